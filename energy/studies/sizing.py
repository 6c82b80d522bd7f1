r"""Capacity sizing: how much PV [kWp] and battery [kWh, kW] is worth it.

:func:`size` (a district) and :func:`size_dispatch` (dispatch inputs) give
the candidates of a :class:`~energy.studies.candidates.SizingSpec` capacity
variables (:mod:`energy.optimisation.capacity`: the same battery physics as
every battery, the capacities' annual cost charged for the horizon), so that
a single LP answers "how much battery (and PV) pays" together with the
schedule that makes it pay; optionally they also solve the dispatch without
the candidates (the reference, for the saving) and fixed sizes (to compare).

Cost of capacity
----------------
A unit of capacity (1 kWp, 1 kWh or 1 kW) priced ``I`` [EUR] costs per year
its annuity plus its operating cost
(:func:`energy.analysis.economics.annual_cost_eur_per_unit`, VDI 2067-1):

.. math::

    c^{year} = I \, \big(a(r, L) + o\big), \qquad
    a(r, L) = \frac{r (1+r)^L}{(1+r)^L - 1}

with the discount rate :math:`r`, the lifetime :math:`L` and the operating
cost :math:`o` as a fraction of the investment per year, all from
:class:`energy.analysis.economics.EconomicAssumptions`. The optimiser charges the
horizon its share, :math:`c = c^{year} \, H / 8760` with the horizon
:math:`H` in hours (:data:`energy.timeindex.HOURS_PER_YEAR`, also in leap years).

A horizon shorter than a year therefore gives a **seasonal** answer: the
capacity that pays if every part of the year looked like the horizon (a
summer week favours PV and batteries that store PV surplus, a winter week
does not). For an investment decision optimise a whole year, or
representative weeks of every season and compare their answers. On the Gera
district a sized year took 20-55 s against 4 s for its plain dispatch, a
sized week 0.1 s (``benchmarks/bench_sizing.py``): the capacity columns
couple all steps and the dual simplex needs many more iterations.

Fixed sizes
-----------
The optimal total cost is a convex function of a fixed capacity (the value
function of an LP in a right-hand side parameter), so the sized optimum lies
between the neighbours of the best point of any sweep over fixed capacities
(:func:`~energy.studies.candidates.with_fixed_capacity`, the same model and
prices). Steps with negative prices add binaries
(:func:`energy.optimisation.model.define_grid_exchange`), which can break
that convexity.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from energy.district import District, PVSystem
from energy.errors import InputDataError
from energy.kpi import compute_kpis
from energy.models.flex import flex_inputs
from energy.models.weather import weather_for_index
from energy.optimisation.blocks import ModelBlock
from energy.optimisation.capacity import Capacities, CapacityBlock, read_capacities
from energy.optimisation.dispatch import DispatchSolution, optimise, solution_schedule
from energy.optimisation.options import DispatchOptions
from energy.progress import ProgressCallback, no_progress, scaled
from energy.report.exports import export_info
from energy.scenario import ScenarioOptions, inputs_from_district, scenario_data_files
from energy.serialise import RESULTS_LICENCE
from energy.studies.candidates import (
    PVCandidate,
    SizingSpec,
    built_district,
    built_inputs,
    candidate_profile,
    resolve_pv_candidate,
    with_fixed_capacity,
)
from energy.studies.sizing_record import sizing_metadata, sizing_notes
from energy.system import DispatchInputs, schedule_frame
from energy.timeindex import make_index

logger = logging.getLogger(__name__)


def capacity_costs(spec: SizingSpec, caps: Capacities, years: float) -> dict[str, float]:
    """Investment and its yearly and horizon cost for the given capacities [EUR].

    ``capex_eur`` (overnight investment), ``annual_cost_eur_per_year``
    (annuity + operating cost) and ``horizon_cost_eur`` (the horizon's share,
    ``years`` of 8760 h), each also split into ``*_pv`` and ``*_battery``.
    """
    unit = spec.annual_cost_per_unit()
    capex = {"pv": 0.0, "battery": 0.0}
    annual = {"pv": 0.0, "battery": 0.0}
    if spec.pv is not None and caps.pv_kwp is not None:
        capex["pv"] = spec.pv_capex_eur_per_kwp * caps.pv_kwp
        annual["pv"] = unit["pv_eur_per_kwp"] * caps.pv_kwp
    if spec.battery is not None and caps.battery_kwh is not None:
        kw = caps.battery_kw or 0.0
        capex["battery"] = (
            spec.battery_capex_eur_per_kwh * caps.battery_kwh + spec.battery_capex_eur_per_kw * kw
        )
        annual["battery"] = (
            unit["battery_eur_per_kwh"] * caps.battery_kwh + unit["battery_eur_per_kw"] * kw
        )
    out: dict[str, float] = {
        "capex_eur": capex["pv"] + capex["battery"],
        "annual_cost_eur_per_year": annual["pv"] + annual["battery"],
        "horizon_cost_eur": (annual["pv"] + annual["battery"]) * years,
    }
    for part in ("pv", "battery"):
        out[f"capex_eur_{part}"] = capex[part]
        out[f"annual_cost_eur_per_year_{part}"] = annual[part]
        out[f"horizon_cost_eur_{part}"] = annual[part] * years
    return out


def built_schedule(
    inputs: DispatchInputs,
    spec: SizingSpec,
    solution: DispatchSolution,
    built: DispatchInputs,
) -> pd.DataFrame:
    """Return the sized dispatch as a schedule of the built inputs (:mod:`energy.system` format)."""
    base = solution_schedule(inputs, solution)
    n = inputs.n_steps
    v = solution.result.values
    ids = [b.id for b in built.batteries]
    ch = [base[f"p_charge_kw:{b.id}"].to_numpy() for b in inputs.batteries]
    dis = [base[f"p_discharge_kw:{b.id}"].to_numpy() for b in inputs.batteries]
    soc = [base[f"soc_kwh:{b.id}"].to_numpy() for b in inputs.batteries]
    if spec.battery is not None and spec.battery.id in ids:
        ch.append(v["p_charge_sized_kw"])
        dis.append(v["p_discharge_sized_kw"])
        soc.append(v["soc_sized_kwh"][1:])
    curtailed = {
        col.split(":", 1)[1]: base[col].to_numpy()
        for col in base.columns
        if col.startswith("pv_curtailed_kw:")
    }
    if spec.pv is not None and spec.pv.id in built.pv_kw.columns:
        assert spec.pv.building is not None
        used = np.zeros(n)
        used[_on_steps(inputs, spec.pv)] = v["p_pv_sized_kw"]
        cut = np.clip(built.pv_kw[spec.pv.id].to_numpy() - used, 0.0, None)
        node = spec.pv.building
        curtailed[node] = curtailed[node] + cut if node in curtailed else cut
    frame = schedule_frame(
        built,
        p_import_kw=solution.p_import_kw,
        p_export_kw=solution.p_export_kw,
        p_charge_kw=np.array(ch).reshape(len(ch), n),
        p_discharge_kw=np.array(dis).reshape(len(dis), n),
        soc_end_kwh=np.array(soc).reshape(len(soc), n),
        curtailed_kw_by_node=curtailed,
        level=solution.level,
    )
    flex = [c for c in base.columns if c not in frame.columns]  # heat pumps, EV charging
    return pd.concat([frame, base[flex]], axis=1) if flex else frame


def _on_steps(inputs: DispatchInputs, pv: PVCandidate) -> list[int]:
    return np.flatnonzero(candidate_profile(inputs, pv) > 0).tolist()


@dataclass
class SizingResult:
    """Outcome of a sizing run.

    Attributes
    ----------
    capacities
        Optimal PV [kWp], battery energy [kWh] and power [kW].
    costs
        ``energy_cost_eur`` (cost of the schedule over the horizon, DESIGN.md
        ``cost_eur``: energy, peak charge, throughput), ``horizon_cost_eur``
        (the horizon's share of the capacities' annuity and operating cost),
        ``total_cost_eur`` (their sum, the objective of the cost objective),
        ``capex_eur`` (overnight investment), ``annual_cost_eur_per_year``,
        the ``*_pv`` / ``*_battery`` splits, ``horizon_years``; with a
        reference run also ``reference_cost_eur`` and ``savings_eur``
        (reference minus total).
    schedule
        The dispatch of the built system (:mod:`energy.system` format).
    kpis
        :func:`energy.kpi.compute_kpis` of ``schedule``.
    inputs
        Dispatch inputs with the candidates built (for re-checks and KPIs).
    objective
        Solver objective value; equals ``costs["total_cost_eur"]`` for the
        cost objective (a weighted objective adds its other terms).
    reference_kpis
        KPIs of the same dispatch without the candidates, if computed.
    sweep
        One row per fixed-capacity point if a sweep was asked for:
        ``battery_kwh``, ``pv_kwp``, ``energy_cost_eur``, ``horizon_cost_eur``,
        ``total_cost_eur``.
    district
        The district with the candidates added at their optimal size (None
        when sized from dispatch inputs); run it with
        :func:`energy.scenario.run_scenario` for baselines and the AC check.
    notes
        Warnings in words (seasonal horizon, a capacity at its bound, a price
        band that does not fit the optimum).
    metadata
        Licence, horizon, options, spec, solver status and timings.
    """

    capacities: Capacities
    costs: dict[str, float]
    schedule: pd.DataFrame
    kpis: dict[str, float]
    inputs: DispatchInputs
    objective: float
    reference_kpis: dict[str, float] | None = None
    sweep: pd.DataFrame | None = None
    district: District | None = None
    notes: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data without the schedule (capacities, costs, KPIs, sweep, notes, metadata).

        ``data_licences`` and ``data_sources`` name the data that went in
        (:func:`energy.report.exports.export_info` of ``metadata``).
        """
        used = export_info(self.metadata)
        return {
            "licence": RESULTS_LICENCE,
            "data_licences": used["data_licences"],
            "data_sources": used["data_sources"],
            "capacities": dataclasses.asdict(self.capacities),
            "costs": self.costs,
            "kpis": self.kpis,
            "reference_kpis": self.reference_kpis,
            "sweep": None if self.sweep is None else self.sweep.to_dict(orient="records"),
            "notes": self.notes,
            "metadata": self.metadata,
        }


@dataclass(frozen=True)
class SizedSolution:
    """One sized dispatch: capacities, built inputs, schedule, KPIs, costs (:func:`solve_sized`)."""

    caps: Capacities
    built: DispatchInputs
    schedule: pd.DataFrame
    kpis: dict[str, float]
    costs: dict[str, float]
    solution: DispatchSolution


def solve_sized(
    inputs: DispatchInputs,
    spec: SizingSpec,
    options: DispatchOptions,
    progress: ProgressCallback | None = None,
    blocks: Sequence[ModelBlock] = (),
) -> SizedSolution:
    """Solve capacities and dispatch in one model, with further model ``blocks`` (e.g. autarky).

    ``costs`` holds :func:`capacity_costs` plus ``energy_cost_eur`` (the
    schedule's cost), ``total_cost_eur`` and ``horizon_years``.
    """
    block = spec.block(inputs)
    solution = optimise(inputs, options, [block, *blocks], progress=progress)
    return sized_solution(inputs, spec, block, solution)


def sized_solution(
    inputs: DispatchInputs, spec: SizingSpec, block: CapacityBlock, solution: DispatchSolution
) -> SizedSolution:
    """Capacities, built inputs, schedule, KPIs and costs of a solved model with ``block``.

    Costs as :func:`solve_sized` [EUR over the horizon, ``horizon_years`` in years].
    """
    caps = read_capacities(solution.result.values, block)
    built = built_inputs(inputs, spec, caps)
    schedule = built_schedule(inputs, spec, solution, built)
    kpis = compute_kpis(schedule, built.batteries, built.peak_charge_eur_per_kw)
    years = inputs.horizon_years
    costs = capacity_costs(spec, caps, years)
    costs["energy_cost_eur"] = kpis["cost_eur"]
    costs["total_cost_eur"] = kpis["cost_eur"] + costs["horizon_cost_eur"]
    costs["horizon_years"] = years
    return SizedSolution(caps, built, schedule, kpis, costs, solution)


def size_dispatch(
    inputs: DispatchInputs,
    spec: SizingSpec,
    options: DispatchOptions | None = None,
    progress: ProgressCallback | None = None,
    reference: bool = False,
    sweep_battery_kwh: Sequence[float] = (),
    sweep_pv_kwp: Sequence[float] = (),
) -> SizingResult:
    """Size the candidates of ``spec`` on given dispatch inputs.

    Parameters
    ----------
    inputs
        Dispatch inputs of the existing district.
    spec
        Candidates (a PV candidate needs its ``profile_kw_per_kwp``) and
        economics.
    options
        Dispatch options; the objective must contain cost.
    progress
        Progress callback.
    reference
        Also optimise the dispatch without the candidates, for savings.
    sweep_battery_kwh, sweep_pv_kwp
        Fixed capacities to solve for comparison (their product is the grid;
        an empty sequence leaves that capacity to the optimiser).

    Raises
    ------
    InputDataError, InfeasibleError, SolverError
        As :func:`energy.optimisation.solve.optimise`.
    """
    options = options or DispatchOptions()
    report = progress or no_progress
    points = _grid(sweep_battery_kwh, sweep_pv_kwp)
    runs = 1 + int(reference) + len(points)
    t0 = time.perf_counter()
    sized = solve_sized(inputs, spec, options, scaled(report, 0.0, 1.0 / runs))
    result = sized.solution.result
    costs = dict(sized.costs)
    reference_kpis = None
    if reference:
        report(1.0 / runs, "reference dispatch without the candidates")
        reference_kpis = _reference_kpis(inputs, options)
        costs["reference_cost_eur"] = reference_kpis["cost_eur"]
        costs["savings_eur"] = reference_kpis["cost_eur"] - costs["total_cost_eur"]
    done = (1 + int(reference)) / runs
    sweep = _fixed_sizes(inputs, spec, options, points, report, done, 1.0 / runs)
    timings = {f"{k}_s": v for k, v in result.timings_s.items()}
    timings["total_s"] = time.perf_counter() - t0
    notes = sizing_notes(spec, sized.caps, costs["horizon_years"])
    if not result.proven_optimal:
        notes.append(f"feasible, not proven optimal (MIP gap {result.mip_gap:.3g})")
    if options.min_self_sufficiency is not None:
        notes.append(
            f"autarky target: at least {100 * options.min_self_sufficiency:.1f} % "
            f"{options.autarky_metric} over the horizon (the sizing is the cost optimum that "
            "reaches it; the reference of the savings is the district as it is, dispatched "
            "without the target)"
        )
    report(
        1.0,
        f"sized: {_describe(sized.caps.battery_kwh, sized.caps.pv_kwp)}; "
        f"total {costs['total_cost_eur']:,.2f} EUR",
    )
    return SizingResult(
        capacities=sized.caps,
        costs=costs,
        schedule=sized.schedule,
        kpis=sized.kpis,
        inputs=sized.built,
        objective=result.objective,
        reference_kpis=reference_kpis,
        sweep=sweep,
        notes=notes,
        metadata=sizing_metadata(inputs, spec, sized.solution, timings),
    )


def _grid(
    battery_kwh: Sequence[float], pv_kwp: Sequence[float]
) -> list[tuple[float | None, float | None]]:
    """Return the fixed sizes to compare: the product of the values (None: optimised)."""
    kwh_grid: list[float | None] = list(battery_kwh) or [None]
    kwp_grid: list[float | None] = list(pv_kwp) or [None]
    points = list(itertools.product(kwh_grid, kwp_grid))
    return [] if points == [(None, None)] else points


def _reference_kpis(inputs: DispatchInputs, options: DispatchOptions) -> dict[str, float]:
    """KPIs of the optimal dispatch without the candidates, and without an autarky target."""
    ref = optimise(inputs, options.model_copy(update={"min_self_sufficiency": None}))
    schedule = solution_schedule(inputs, ref)
    return compute_kpis(schedule, inputs.batteries, inputs.peak_charge_eur_per_kw)


def _fixed_sizes(
    inputs: DispatchInputs,
    spec: SizingSpec,
    options: DispatchOptions,
    points: list[tuple[float | None, float | None]],
    report: ProgressCallback,
    done_frac: float,
    run_frac: float,
) -> pd.DataFrame | None:
    """Solve the spec at fixed sizes (same model and prices); one row per point."""
    if not points:
        return None
    rows = []
    for i, (kwh, kwp) in enumerate(points):
        report(done_frac + i * run_frac, f"fixed size: {_describe(kwh, kwp)}")
        point = solve_sized(inputs, with_fixed_capacity(spec, kwh, kwp), options)
        rows.append(
            {
                "battery_kwh": kwh,
                "pv_kwp": kwp,
                "energy_cost_eur": point.costs["energy_cost_eur"],
                "horizon_cost_eur": point.costs["horizon_cost_eur"],
                "total_cost_eur": point.costs["total_cost_eur"],
            }
        )
    return pd.DataFrame(rows)


def _describe(battery_kwh: float | None, pv_kwp: float | None) -> str:
    parts = [] if battery_kwh is None else [f"battery {battery_kwh:,.1f} kWh"]
    parts += [] if pv_kwp is None else [f"PV {pv_kwp:,.1f} kWp"]
    return ", ".join(parts)


def size(
    district: District,
    options: ScenarioOptions,
    spec: SizingSpec,
    progress: ProgressCallback | None = None,
    reference: bool = True,
    sweep_battery_kwh: Sequence[float] = (),
    sweep_pv_kwp: Sequence[float] = (),
) -> SizingResult:
    """Size a candidate PV system and/or battery for a district.

    Weather, PV, loads, lighting and tariff are prepared as in
    :func:`energy.scenario.run_scenario`; the candidate PV's profile comes
    from :mod:`energy.models.pv` with the same weather. One LP then chooses
    the capacities and the dispatch together (module docstring).

    Parameters
    ----------
    district
        The existing district; the candidates come in addition.
    options
        Horizon, resolution, weather, objective (must contain cost), solver
        settings. ``export_cap_frac`` is taken of the existing kWp only.
        ``ac_check`` is not done here: run the returned ``district``
        through :func:`energy.scenario.run_scenario` for it.
    spec
        Candidates and economics.
    progress
        Progress callback.
    reference
        Also optimise without the candidates (``costs["savings_eur"]``).
    sweep_battery_kwh, sweep_pv_kwp
        Optional fixed capacities to compare with (see :func:`size_dispatch`).

    Returns
    -------
    SizingResult
        With ``district`` the district as built.
    """
    report = progress or no_progress
    report(0.0, f"weather, PV, loads and tariff for {options.days} days")
    t0 = time.perf_counter()
    inputs, spec, template = sizing_inputs(district, options, spec)
    t_inputs = time.perf_counter() - t0
    result = size_dispatch(
        inputs,
        spec,
        options.dispatch_options(),
        scaled(report, 0.1, 1.0),
        reference=reference,
        sweep_battery_kwh=sweep_battery_kwh,
        sweep_pv_kwp=sweep_pv_kwp,
    )
    result.district = built_district(district, spec, result.capacities, template)
    result.metadata["district"] = {"name": district.site.name, "spec_hash": district.spec_hash()}
    result.metadata["horizon"]["timezone"] = district.site.timezone
    result.metadata["options"] = options.model_dump(mode="json")
    result.metadata["data_files"] = scenario_data_files(district, options)
    result.metadata["timings_s"]["inputs_s"] = t_inputs
    return result


def sizing_inputs(
    district: District, options: ScenarioOptions, spec: SizingSpec
) -> tuple[DispatchInputs, SizingSpec, PVSystem | None]:
    """Dispatch inputs of a sizing run, the spec with its PV candidate resolved, the PV template.

    As :func:`energy.scenario.scenario_inputs` (stored energy at the end
    equalised, heat pumps and EV charging included); ``export_cap_frac`` is
    taken of the existing kWp only.
    """
    tz = district.site.timezone
    index = make_index(options.start.isoformat(), options.days, options.resolution, tz)
    weather = weather_for_index(index, district.site, options.weather, options.site_check())
    export_cap = (
        None if options.export_cap_frac is None else options.export_cap_frac * district.total_kwp
    )
    # stored energy at the end equalised, as in every scenario run (energy.kpi)
    inputs = inputs_from_district(
        district,
        index,
        weather,
        export_cap_kw=export_cap,
        terminal_soc="equal_initial",
        flex=flex_inputs(district, index, options.weather, options.dimming_14a),
    )
    template = None
    if spec.pv is not None:
        template = next((p for p in district.pv if p.id == spec.pv.like), None)
        spec = dataclasses.replace(spec, pv=resolve_pv_candidate(district, spec.pv, weather))
    if spec.battery is not None and spec.battery.id in {b.id for b in district.batteries}:
        raise InputDataError(
            f"battery.id: {spec.battery.id!r} is already a battery of the district"
        )
    return inputs, spec, template
