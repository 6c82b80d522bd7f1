"""How much work one job is, and the cap on it when jobs run inside the API process.

With ``ENERGY_QUEUE=inline`` every job runs on a thread of the API process, so
one large job takes the API's memory and CPU (issue 13 measured a run of 366
days at 15 min of the Gera district: 27 s and 2.0 GB inside the API). Jobs
whose work passes ``ENERGY_INLINE_MAX_WORK`` are refused there with 422 and a
message saying how to run them; with ``ENERGY_QUEUE=celery`` they go to the
workers as any other job.

The measure, in work units::

    work = dispatches x steps x (elements + STEP_OVERHEAD_ELEMENTS)

* ``steps``: time steps of the horizon, ``days`` local days at the run's
  resolution (a Berlin year at 1 h has 8,760, at 15 min 35,040; DST days
  have 23 and 25 hours);
* ``elements``: what carries a series, variables or a power-flow injection in
  every step: buildings (a load profile and a node), PV systems, batteries,
  lighting groups, and the heat pumps, thermal stores and EV charger groups
  of buildings;
* ``STEP_OVERHEAD_ELEMENTS`` = 100: the work of a step that does not grow
  with the district (weather, prices, baselines, the AC power flow's
  iteration), expressed in elements. Fit on this machine (below): the time
  per step is about 0.64 ms + 5 us per element (ratio 126), the memory per
  step about 11 kB + 0.16 kB per element (ratio 70); 100 lies between;
* ``dispatches``: optimisations of the job; 1 for a run, a sweep point or an
  ensemble member; a grid-aware run up to :data:`GRID_AWARE_DISPATCHES` (the
  first dispatch and at most 6 re-dispatches of
  ``energy.optimisation.grid_aware``); a point of a robust sweep 1 + one per
  member (weather x price years); a sizing 1 + the reference run + each
  fixed size compared, a robust sizing (candidate sizes + 1) x members at
  most; a Pareto front ``points`` + 1; a rolling-horizon operation one plan
  per window (``days x 24 / step_h``, rounded up) + perfect foresight once.

Measured with ``energy optimise FILE --days D --resolution R --json`` under
``/usr/bin/time -v`` (2 cores shared with other jobs, 2026-12-04):

=====================  ==============  ======  ========  ============  =======  ===========
district               horizon         steps   elements  work [units]  wall     peak memory
=====================  ==============  ======  ========  ============  =======  ===========
Gera (data/gera)       30 days, 1 h       720       128       164,160   7.6 s    0.49 GB
Gera                   365 days, 1 h    8,760       128     1,997,280  17.9 s    0.74 GB
Gera                   92 days, 15 min  8,832       128     2,013,696  14.4 s    0.73 GB
2-building example     366 days, 15 min 35,136        5     3,689,280  29.3 s    0.86 GB
Gera (issue 13, API)   366 days, 15 min 35,136       128     8,011,008  27 s     2.0 GB
=====================  ==============  ======  ========  ============  =======  ===========

About 6 s and 0.45 GB of each run are fixed (imports, weather, model
set-up); the rest grows with the work. The default cap, 2.5 M units, takes
the Gera year at 1 h (the demo's run) and refuses the Gera year at 15 or
30 min. An imported grid (SimBench, pandapower JSON) makes the AC check of
each step dearer than the spec's elements say; its buses are not counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from api.errors import WorkTooLargeError
from api.schemas import RunKind
from api.settings import Settings
from energy.district import District
from energy.scenario import ScenarioOptions
from energy.timeindex import make_index

#: Per-step work that does not grow with the district, in elements (module docstring).
STEP_OVERHEAD_ELEMENTS = 100
#: Dispatches of a grid-aware run at most: the first and 6 re-dispatches
#: (``energy.optimisation.grid_aware.grid_aware_dispatch``, ``max_iterations=6``).
GRID_AWARE_DISPATCHES = 7

#: The command line that runs each kind of job outside the API.
CLI_COMMAND = {
    RunKind.scenario: "energy optimise",
    RunKind.sweep_point: "energy sweep",
    RunKind.sizing: "energy size",
    RunKind.pareto: "energy pareto",
    RunKind.ensemble_member: "energy ensemble",
    RunKind.operation: "energy operate",
}


@dataclass(frozen=True)
class Workload:
    """The work of one job (module docstring): dispatches x steps x (elements + overhead).

    Attributes
    ----------
    dispatches
        Optimisations the job runs (at most).
    steps
        Time steps of the horizon.
    elements
        Elements of the district with a series or variables per step.
    """

    dispatches: int
    steps: int
    elements: int

    @property
    def units(self) -> int:
        """Work units of the job."""
        return self.dispatches * self.steps * (self.elements + STEP_OVERHEAD_ELEMENTS)

    def words(self) -> str:
        """Return the sum in words: ``1 dispatch x 35136 steps x (128 elements + 100) = ...``."""
        plural = "" if self.dispatches == 1 else "es"
        return (
            f"{self.dispatches} dispatch{plural} x {self.steps} steps x "
            f"({self.elements} elements + {STEP_OVERHEAD_ELEMENTS}) = {self.units:,} work units"
        )

    def record(self) -> dict[str, int]:
        """JSON form: the factors and the units."""
        return {
            "dispatches": self.dispatches,
            "steps": self.steps,
            "elements": self.elements,
            "step_overhead_elements": STEP_OVERHEAD_ELEMENTS,
            "units": self.units,
        }


def district_elements(district: District) -> int:
    """Return the elements of ``district`` that carry a series or variables in every step."""
    flex = sum(
        (b.heat_pump is not None) + (b.thermal_storage is not None) + (b.ev_chargers is not None)
        for b in district.buildings
    )
    return (
        len(district.buildings)
        + len(district.pv)
        + len(district.batteries)
        + len(district.lighting)
        + flex
    )


@lru_cache(maxsize=256)
def horizon_steps(start: str, days: int, resolution: str, tz: str) -> int:
    """Return the time steps of ``days`` local days from ``start`` at ``resolution`` in ``tz``."""
    return len(make_index(start, days, resolution, tz))


def robust_members(params: dict[str, Any]) -> int:
    """Return the members (weather x price years) of a job's ``robust`` request; 0 without."""
    robust = params.get("robust")
    if not robust:
        return 0
    return len(robust.get("weather") or ()) * len(robust.get("price_years") or ())


def job_dispatches(kind: RunKind, options: ScenarioOptions, params: dict[str, Any] | None) -> int:
    """Return the optimisations a job of ``kind`` runs at most (module docstring)."""
    params = params or {}
    run = GRID_AWARE_DISPATCHES if options.grid_aware else 1  # one scenario run
    members = robust_members(params)
    fixed = len(params.get("sweep_battery_kwh") or ()) + len(params.get("sweep_pv_kwp") or ())
    if kind == RunKind.sizing and members:
        return (fixed + 1) * members * run  # every candidate size and the base, per member
    if kind == RunKind.sizing:
        return 1 + bool(params.get("reference", True)) + fixed
    if kind == RunKind.pareto:
        return int(params.get("points", 8)) + 1
    if kind == RunKind.sweep_point:
        return (1 + members) * run  # the point, and again per member of a robust sweep
    if kind == RunKind.operation:  # one plan per window and perfect foresight once
        return math.ceil(24.0 * options.days / float(params.get("step_h", 24.0))) + 1
    return run


def job_workload(
    kind: RunKind,
    district: District,
    options: dict[str, Any],
    params: dict[str, Any] | None = None,
    added_elements: int = 0,
) -> Workload:
    """Return the work of one job of ``kind`` on ``district`` with the run ``options``.

    Parameters
    ----------
    kind
        Kind of job.
    district
        The district the job runs on (exact version with the scenario's changes).
    options
        Run options as stored (``ScenarioOptions`` fields; missing ones take
        their defaults).
    params
        The job's request (sizing bounds, Pareto points), if any.
    added_elements
        Elements the job adds to ``district`` (a sized PV system and battery).
    """
    opts = ScenarioOptions(**options)
    steps = horizon_steps(
        opts.start.isoformat(), opts.days, opts.resolution, district.site.timezone
    )
    return Workload(
        dispatches=job_dispatches(kind, opts, params),
        steps=steps,
        elements=district_elements(district) + added_elements,
    )


def check_inline_work(
    settings: Settings,
    kind: RunKind,
    workload: Workload,
    options: dict[str, Any],
    what: str,
    spec_path: str = "/districts/{id}?version=N",
) -> None:
    """Refuse a job too large to run inside the API process (only with ``ENERGY_QUEUE=inline``).

    Parameters
    ----------
    settings
        The app's settings (queue and ``inline_max_work``).
    kind
        Kind of the job (names the command line in the message).
    workload
        The job's work (:func:`job_workload`).
    options
        The job's run options (echoed in the message and ``errors[].value``).
    what
        The job in words, e.g. ``run of scenario 5``.
    spec_path
        Where the job's district spec is read, e.g. ``/districts/3?version=2``.

    Raises
    ------
    WorkTooLargeError
        (422) naming the work, the cap and how to run the job instead.
    """
    if settings.queue != "inline" or workload.units <= settings.inline_max_work:
        return
    opts = ScenarioOptions(**options)
    horizon = {"start": opts.start.isoformat(), "days": opts.days, "resolution": opts.resolution}
    message = (
        f"{what}: {workload.words()}, more than the {settings.inline_max_work:,} this server "
        "runs inside the API process (ENERGY_QUEUE=inline, ENERGY_INLINE_MAX_WORK). Run it "
        "on Celery workers (ENERGY_QUEUE=celery and `energy-api worker`), or on a machine of "
        f"your own with `{CLI_COMMAND[kind]} district.yaml --start {horizon['start']} "
        f"--days {opts.days} --resolution {opts.resolution}` (the district's spec: GET "
        f"{spec_path}; the scenario's changes apply to it), or shorten the horizon "
        "(options.days) or coarsen the resolution (options.resolution)"
    )
    raise WorkTooLargeError(
        message,
        errors=[{"field": "options", "value": horizon, "message": message, "type": "work_limit"}],
        work=workload.record() | {"limit": settings.inline_max_work},
    )
