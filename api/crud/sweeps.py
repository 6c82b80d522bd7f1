"""Sweeps: one queued job per grid point of a scenario, their states and cancelling."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from api.auth import Principal, can_write_scenario, sweep_visible
from api.crud.common import ACTIVE_STATUSES, get_visible, page
from api.crud.runs import admit_jobs, cancel_jobs, job_inputs
from api.errors import ConflictError, ForbiddenError
from api.schemas import FINAL_STATUSES, Page, RunKind, RunStatus
from api.settings import Settings
from api.study_schemas import (
    MAX_SWEEP_POINTS,
    RobustCreate,
    SweepCreate,
    check_robust_runs,
    economic_assumptions,
)
from api.tables import Run, Sweep
from api.workload import check_inline_work, job_workload
from energy.district import District
from energy.errors import InputDataError
from energy.variants import apply_changes

if TYPE_CHECKING:
    from energy.studies.sweep import SweepSpec


def sweep_spec(
    district: District, options: dict[str, Any], sweep: SweepCreate | Sweep
) -> SweepSpec:
    """Return the ``energy.studies.sweep.SweepSpec`` of a sweep request or of a stored sweep.

    ``district`` is the scenario's (exact version with its changes), ``options``
    the options of the sweep's points.
    """
    from energy.scenario import ScenarioOptions
    from energy.studies.sweep import SweepSpec

    return SweepSpec(
        district=district,
        grid=sweep.grid,
        options=ScenarioOptions(**options),
        assumptions=economic_assumptions(sweep.assumptions),
        battery_c_rate=sweep.battery_c_rate,
        battery_at=sweep.battery_at,
    )


def create_sweep(
    session: Session, p: Principal, scenario_id: int, data: SweepCreate, settings: Settings
) -> tuple[Sweep, list[Run]]:
    """Store a sweep of the scenario and one queued job per grid point (and the base run).

    The points are ``energy.studies.sweep.points`` of the scenario's district (exact
    version with the scenario's changes); when no point adds nothing, a base
    run is added as the economic reference. Refused with InputDataError (422)
    naming the field: an invalid or too large grid, an unknown ``battery_at``,
    unknown economic assumptions, a largest point too large for the inline
    queue (422, :mod:`api.workload`); past the organisation's job quota: 429.
    """
    from energy.studies.sweep import changes_for

    inputs = job_inputs(session, p, scenario_id)
    n_points = math.prod(len(values) for values in data.grid.values())
    if n_points > MAX_SWEEP_POINTS:
        sizes = " x ".join(str(len(v)) for v in data.grid.values())
        raise InputDataError(
            f"grid: {n_points} points ({sizes}); at most {MAX_SWEEP_POINTS} are allowed per sweep"
        )
    if data.robust is not None:
        check_robust_runs(data.robust, n_points)
        data.robust.ask()  # members and target; InputDataError names the field
    options = dict(inputs.scenario.options) | {"ac_check": data.ac_check}
    spec = sweep_spec(inputs.district, options, data)
    largest = {name: max(values) for name, values in spec.grid.items()}
    try:
        largest_district = apply_changes(inputs.district, changes_for(spec, largest))
    except InputDataError as exc:
        raise InputDataError(f"battery_at: {exc}") from exc
    jobs = point_params(spec, data.robust)
    workload = job_workload(RunKind.sweep_point, largest_district, options, jobs[0][1])
    check_inline_work(
        settings,
        RunKind.sweep_point,
        workload,
        options,
        f"largest point of the sweep of scenario {scenario_id}",
        inputs.spec_path,
    )
    admit_jobs(session, settings, inputs.scenario.organisation_id, len(jobs))
    assert inputs.version.id is not None and inputs.scenario.id is not None
    sweep = Sweep(
        scenario_id=inputs.scenario.id,
        organisation_id=inputs.scenario.organisation_id,
        district_version_id=inputs.version.id,
        grid={name: list(values) for name, values in spec.grid.items()},
        battery_c_rate=data.battery_c_rate,
        battery_at=data.battery_at,
        options=options,
        changes=dict(inputs.scenario.changes),
        assumptions=data.assumptions,
        spec_hash=inputs.district.spec_hash(),
        created_by_key_id=p.key_id,
    )
    session.add(sweep)
    session.flush()
    runs = [
        inputs.new_job(
            p,
            settings,
            kind=RunKind.sweep_point,
            sweep_id=sweep.id,
            point_index=index,
            params=params,
            options=options,
        )
        for index, params in jobs
    ]
    session.add_all(runs)
    session.commit()
    session.refresh(sweep)
    for run in runs:
        session.refresh(run)
    return sweep, runs


def point_params(
    spec: SweepSpec, robust: RobustCreate | None = None
) -> list[tuple[int | None, dict[str, Any]]]:
    """Return the grid index (None: the base run) and the ``Run.params`` of each job of a sweep.

    The base run with nothing added is added as the economic reference when
    no grid point adds nothing. With ``robust`` every job's params carry it
    (``robust``): the job runs its point also over the members.
    """
    from energy.studies.sweep import points

    grid_points = points(spec)
    jobs: list[tuple[int | None, dict[str, Any]]] = [
        (i, {"point": point, "changes": changes.model_dump(mode="json")})
        for i, (point, changes) in enumerate(grid_points)
    ]
    if not any(changes.is_empty for _, changes in grid_points):
        base = {name: 0.0 for name in spec.parameters}
        jobs.append((None, {"point": base, "changes": {}, "reference": True}))
    if robust is not None:
        extra = {"robust": robust.model_dump(mode="json")}
        jobs = [(index, params | extra) for index, params in jobs]
    return jobs


def get_sweep(session: Session, p: Principal, sweep_id: int) -> Sweep:
    """Return a sweep the caller may read, else NotFoundError."""
    return get_visible(session, Sweep, sweep_id, sweep_visible(p), "sweep")


def list_sweeps(
    session: Session, p: Principal, offset: int, limit: int, scenario_id: int | None = None
) -> Page[Sweep]:
    """List the sweeps the caller may read, newest first, optionally of one scenario."""
    condition = sweep_visible(p)
    if scenario_id is not None:
        condition = sa.and_(condition, col(Sweep.scenario_id) == scenario_id)
    return page(session, Sweep, condition, offset, limit, col(Sweep.id).desc())


def sweep_jobs(session: Session, sweep_ids: list[int]) -> dict[int, list[Run]]:
    """Return the point jobs of each sweep in grid order (the base run last)."""
    rows = session.exec(
        select(Run)
        .where(col(Run.sweep_id).in_(sweep_ids))
        .order_by(col(Run.point_index).is_(None), col(Run.point_index), col(Run.id))
    ).all()
    out: dict[int, list[Run]] = {i: [] for i in sweep_ids}
    for run in rows:
        assert run.sweep_id is not None
        out[run.sweep_id].append(run)
    return out


@dataclass(frozen=True)
class SweepState:
    """Job counts by status and the latest end of a sweep's jobs."""

    counts: dict[RunStatus, int]
    last_finished_at: dt.datetime | None

    @property
    def total(self) -> int:
        """Number of jobs."""
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        """Number of jobs that have ended."""
        return sum(n for s, n in self.counts.items() if s in FINAL_STATUSES)


def sweep_states(session: Session, sweep_ids: list[int]) -> dict[int, SweepState]:
    """Return the state of each sweep's jobs (one grouped query)."""
    return job_states(session, col(Run.sweep_id), sweep_ids)


def job_states(session: Session, parent: Any, ids: list[int]) -> dict[int, SweepState]:
    """Return the state of the jobs of each parent (a sweep or an ensemble) by ``parent`` column."""
    rows = session.exec(
        select(parent, Run.status, func.count(), func.max(Run.finished_at))
        .where(parent.in_(ids))
        .group_by(parent, col(Run.status))
    ).all()
    counts: dict[int, dict[RunStatus, int]] = {i: dict.fromkeys(RunStatus, 0) for i in ids}
    last: dict[int, dt.datetime | None] = dict.fromkeys(ids)
    for parent_id, run_status, n, finished in rows:
        assert parent_id is not None
        counts[parent_id][RunStatus(run_status)] = n
        if finished is not None:
            previous = last[parent_id]
            last[parent_id] = finished if previous is None else max(previous, finished)
    return {i: SweepState(counts[i], last[i]) for i in ids}


def cancel_sweep(session: Session, p: Principal, sweep_id: int) -> Sweep:
    """Cancel the queued points of a sweep at once; running ones stop after their point."""
    sweep = get_sweep(session, p, sweep_id)
    return cancel_children(session, p, sweep, col(Run.sweep_id), "sweep")


def cancel_children(session: Session, p: Principal, parent: Any, column: Any, noun: str) -> Any:
    """Cancel the jobs whose ``column`` is ``parent.id`` (a sweep's points, an ensemble's members).

    ForbiddenError unless the caller may write the parent's organisation;
    ConflictError when none of its jobs is still queued or running.
    """
    if not can_write_scenario(p, parent.organisation_id):
        raise ForbiddenError(f"{noun} {parent.id}: only its organisation may cancel it")
    active = session.exec(
        select(func.count())
        .select_from(Run)
        .where(column == parent.id, col(Run.status).in_(ACTIVE_STATUSES))
    ).one()
    if not active:
        raise ConflictError(f"{noun} {parent.id} has already ended")
    parent.cancel_requested = True
    session.add(parent)
    cancel_jobs(session, column == parent.id)
    session.commit()
    session.refresh(parent)
    return parent
