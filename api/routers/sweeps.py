"""Sweeps over PV and battery additions, and capacity sizing, as background jobs.

A sweep is one job per grid point (``Run`` rows of kind ``sweep_point``), so
the inline executor or any number of Celery workers share its points, and a
point whose worker dies is queued again by the reaper like any run. Each point
runs :func:`energy.studies.sweep.run_point` and stores its record; once every point
has succeeded, :func:`energy.studies.sweep.summarise_sweep` gives the table, the best
points and the heat maps (drawn as SVG by :func:`energy.report.sweep_heatmap.sweep_heatmap_svg`
at ``GET /sweeps/{id}/heatmap.svg``). A sizing (``Run`` of kind ``sizing``) runs
:func:`energy.studies.sizing.size` and stores ``SizingResult.to_dict()``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse
from sqlmodel import Session

from api import crud
from api.deps import (
    CurrentKey,
    ExecutorDep,
    ExportCacheDep,
    Limit,
    Offset,
    PathId,
    QueryId,
    ReaderKey,
    SessionDep,
    SettingsDep,
)
from api.errors import ConflictError
from api.executors import submit_jobs
from api.exports import ExportInfo, csv_response
from api.public import job_responses, run_public
from api.runstore import load_run_inputs
from api.schemas import ExportFormat, Page, RunKind, RunStatus, page_with
from api.study_schemas import (
    OperationCreate,
    OperationPublic,
    ParetoCreate,
    ParetoPublic,
    SizingCreate,
    SizingPublic,
    SweepCreate,
    SweepPointPublic,
    SweepPublic,
)
from api.tables import DistrictVersion, Run, Sweep

logger = logging.getLogger(__name__)

router = APIRouter(tags=["sweeps and sizing"])


# -- sweeps ----------------------------------------------------------------------------------


def sweep_status(sweep: Sweep, state: crud.sweeps.SweepState) -> RunStatus:
    """Status of a sweep from its jobs: running until every job has ended."""
    counts = state.counts
    if state.done < state.total:
        started = counts[RunStatus.running] or state.done
        return RunStatus.running if started else RunStatus.queued
    if counts[RunStatus.succeeded] == state.total:
        return RunStatus.succeeded
    if counts[RunStatus.failed] and not sweep.cancel_requested:
        return RunStatus.failed
    return RunStatus.cancelled


def sweep_result(session: Session, sweep: Sweep, jobs: list[Run]) -> Any:
    """Summarise a sweep whose points all succeeded (``energy.studies.sweep.SweepResult``)."""
    from energy.studies.sweep import summarise_sweep

    district, options = load_run_inputs(session, jobs[0])
    spec = crud.sweeps.sweep_spec(district, options, sweep)
    records = [job.output or {} for job in jobs if job.point_index is not None]
    reference = next((job.output for job in jobs if job.point_index is None), None)
    result = summarise_sweep(spec, records, reference)
    licence = session.get(DistrictVersion, sweep.district_version_id)
    if licence is not None and licence.licence:
        result.info["data_licences"].append(licence.licence)
    return result


def robust_result(session: Session, sweep: Sweep, jobs: list[Run]) -> dict[str, Any] | None:
    """Return the robust answer of a sweep whose points all succeeded (None if not asked).

    ``energy.studies.robust_runs.robust_from_records`` of the members' records
    each point job stored; the reference is the base run's (the grid point
    that adds nothing, or the extra base job).
    """
    from api.study_schemas import RobustCreate
    from energy.studies.robust_runs import robust_from_records
    from energy.studies.sweep import points

    robust = (jobs[0].params or {}).get("robust") if jobs else None
    if not robust:
        return None
    district, options = load_run_inputs(session, jobs[0])
    spec = crud.sweeps.sweep_spec(district, options, sweep)
    grid = [job.output or {} for job in jobs if job.point_index is not None]
    extra = next((job.output or {} for job in jobs if job.point_index is None), None)
    if extra is None:
        empty = next(i for i, (_, changes) in enumerate(points(spec)) if changes.is_empty)
        extra = grid[empty]
    members = [rec.get("members", []) for rec in grid]
    answer = robust_from_records(
        spec, RobustCreate.model_validate(robust).ask(), members, extra.get("members", [])
    )
    return answer.to_dict()


def finished_result(
    session: Session, sweep: Sweep, state: crud.sweeps.SweepState, jobs: list[Run], what: str
) -> Any:
    """Summarise a sweep whose points all succeeded; 409 naming ``what`` otherwise."""
    current = sweep_status(sweep, state)
    if current != RunStatus.succeeded:
        raise ConflictError(
            f"sweep {sweep.id} is {current.value}; {what} exists once every point has succeeded"
        )
    return sweep_result(session, sweep, jobs)


def result_export_info(result: Any) -> ExportInfo:
    """Licence and provenance of a sweep summary for the HTTP headers of an export."""
    return ExportInfo(
        licence=result.info["licence"],
        attribution=result.info["attribution"],
        source=result.info["source"],
        data_licences=tuple(result.info["data_licences"]),
    )


def point_public(job: Run) -> SweepPointPublic:
    """Map a sweep point job to its public form."""
    params = job.params or {}
    return SweepPointPublic(
        index=job.point_index,
        point=params.get("point", {}),
        is_reference=bool(params.get("reference", False)),
        job_id=job.id or 0,
        status=RunStatus(job.status),
        attempts=job.attempts,
        worker=job.worker,
        error=job.error,
        started_at=job.started_at,
        finished_at=job.finished_at,
        record=job.output,
    )


def sweep_public(
    session: Session, sweep: Sweep, state: crud.sweeps.SweepState, jobs: list[Run] | None = None
) -> SweepPublic:
    """Map a sweep to its public form; with ``jobs`` also the points and, if done, the summary."""
    version = session.get(DistrictVersion, sweep.district_version_id)
    assert version is not None and sweep.id is not None
    status_ = sweep_status(sweep, state)
    summary = None
    if jobs is not None and status_ == RunStatus.succeeded:
        summary = sweep_result(session, sweep, jobs).to_dict()
        robust = robust_result(session, sweep, jobs)
        if robust is not None:
            summary["robust"] = robust
    return SweepPublic(
        id=sweep.id,
        scenario_id=sweep.scenario_id,
        organisation_id=sweep.organisation_id,
        district_id=version.district_id,
        district_version=version.version,
        status=status_,
        cancel_requested=sweep.cancel_requested,
        grid=sweep.grid,
        battery_c_rate=sweep.battery_c_rate,
        battery_at=sweep.battery_at,
        options=sweep.options,
        assumptions=sweep.assumptions,
        points_total=state.total,
        points_done=state.done,
        progress_frac=state.done / state.total if state.total else 0.0,
        counts={s.value: n for s, n in state.counts.items()},
        created_at=sweep.created_at,
        finished_at=state.last_finished_at if state.done == state.total else None,
        robust=(jobs[0].params or {}).get("robust") if jobs else None,
        points=None if jobs is None else [point_public(job) for job in jobs],
        summary=summary,
    )


def sweep_detail(session: Session, sweep: Sweep) -> SweepPublic:
    """Return the full public form of one sweep: state, points and summary."""
    assert sweep.id is not None
    state = crud.sweeps.sweep_states(session, [sweep.id])[sweep.id]
    return sweep_public(
        session, sweep, state, crud.sweeps.sweep_jobs(session, [sweep.id])[sweep.id]
    )


@router.post(
    "/scenarios/{scenario_id}/sweeps",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SweepPublic,
    summary="Start a sweep over PV and battery additions (one job per point)",
    responses=job_responses("The grid is invalid or too large; the message names the field"),
)
def start_sweep(
    session: SessionDep,
    principal: CurrentKey,
    executor: ExecutorDep,
    settings: SettingsDep,
    scenario_id: PathId,
    body: SweepCreate,
    response: Response,
) -> SweepPublic:
    """Queue one run per grid point of the scenario (plus the base run if no point is empty).

    Each point is the scenario with ``pv_kwp_added`` kWp of PV split over the
    buildings by demand and a battery of ``battery_kwh_added`` kWh at
    ``battery_at`` with ``battery_c_rate`` kW per kWh; its economics are
    incremental against the scenario with nothing added, annualised from the
    horizon (an estimate unless it is a year). The points run with the
    scenario's options, without an AC check unless ``ac_check`` is true.
    """
    sweep, jobs = crud.sweeps.create_sweep(session, principal, scenario_id, body, settings)
    submit_jobs(session, executor, jobs)
    response.headers["Location"] = f"/sweeps/{sweep.id}"
    return sweep_detail(session, sweep)


@router.get("/sweeps", response_model=Page[SweepPublic], summary="List sweeps")
def list_sweeps(
    session: SessionDep,
    principal: ReaderKey,
    offset: Offset = 0,
    limit: Limit = 50,
    scenario_id: QueryId = None,
) -> Page[SweepPublic]:
    """List the sweeps the caller may read with status and progress (no points), newest first."""
    rows = crud.sweeps.list_sweeps(session, principal, offset, limit, scenario_id)
    states = crud.sweeps.sweep_states(session, [s.id for s in rows.items if s.id is not None])
    return page_with(rows, [sweep_public(session, s, states[s.id or 0]) for s in rows.items])


@router.get(
    "/sweeps/{sweep_id}",
    response_model=SweepPublic,
    summary="Status, progress, per-point records and, when done, the summary",
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}}},
        409: {"description": "CSV asked for before every point has succeeded"},
    },
)
def get_sweep(
    session: SessionDep,
    principal: ReaderKey,
    cache: ExportCacheDep,
    sweep_id: PathId,
    format: ExportFormat = "json",
) -> Response:
    """Return the sweep; once every point has succeeded, ``summary`` holds the result.

    ``summary`` is ``energy.studies.sweep.SweepResult.to_dict()``: ``points`` (the
    table: parameters, KPIs, savings, ``npv_eur``, ``payback_*``, ...),
    ``best_by_npv``, ``best_by_self_sufficiency``, ``heatmaps`` of
    ``self_sufficiency`` and ``npv_eur`` (``rows``/``columns``: parameter and
    values, ``values``: the grid), ``reference`` and the licence fields.
    ``format=csv``: the table with licence header lines (409 until done).
    """
    sweep = crud.sweeps.get_sweep(session, principal, sweep_id)
    key = ("sweep", sweep_id, sweep.created_at, format)
    cached = cache.get(key)
    if cached is not None:
        return cached
    state = crud.sweeps.sweep_states(session, [sweep_id])[sweep_id]
    jobs = crud.sweeps.sweep_jobs(session, [sweep_id])[sweep_id]
    if format == "csv":
        from energy.report.exports import csv_with_header, header_lines

        result = finished_result(session, sweep, state, jobs, "its table")
        answer = csv_response(
            csv_with_header(result.table, header_lines(result.info)),
            result_export_info(result),
            f"sweep-{sweep_id}",
        )
    else:
        detail = sweep_public(session, sweep, state, jobs)
        answer = JSONResponse(detail.model_dump(mode="json"))
    if state.done == state.total:
        cache.put(key, answer)
    return answer


@router.get(
    "/sweeps/{sweep_id}/heatmap.svg",
    summary="A heat map of the sweep's self-sufficiency or NPV as an accessible SVG",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "The picture (licence headers)"},
        409: {"description": "Not every point of the sweep has succeeded (yet)"},
    },
)
def get_sweep_heatmap(
    session: SessionDep,
    principal: ReaderKey,
    cache: ExportCacheDep,
    sweep_id: PathId,
    metric: Annotated[
        Literal["self_sufficiency", "npv_eur"],
        Query(description="self_sufficiency (in %, sequential colours) or npv_eur (diverging)"),
    ],
    lang: Annotated[Literal["en", "de"], Query(description="Words and numbers")] = "en",
) -> Response:
    """Return the heat map of ``summary.heatmaps[metric]`` drawn by ``energy.report.sweep_heatmap``.

    Rows are the sweep's first parameter, columns its second; each cell
    carries its value written in it and as ``data-value`` (the raw value of
    the summary), the legend names the colour classes. The licence is in the
    ``X-Licence`` and ``Link`` headers and in the picture's ``<metadata>``.
    """
    from energy.report.sweep_heatmap import sweep_heatmap_svg

    sweep = crud.sweeps.get_sweep(session, principal, sweep_id)
    key = ("sweep", sweep_id, sweep.created_at, "heatmap.svg", metric, lang)
    cached = cache.get(key)
    if cached is not None:
        return cached
    state = crud.sweeps.sweep_states(session, [sweep_id])[sweep_id]
    jobs = crud.sweeps.sweep_jobs(session, [sweep_id])[sweep_id]
    result = finished_result(session, sweep, state, jobs, "its heat map")
    svg = sweep_heatmap_svg(
        result.table,
        result.parameters,
        metric,
        result.info,
        lang,
        id_prefix=f"sweep-{sweep_id}-{metric}",
    )
    headers = result_export_info(result).http_headers() | {
        "Content-Disposition": f'inline; filename="sweep-{sweep_id}-{metric}.svg"',
        "Content-Security-Policy": "default-src 'none'",
        "X-Content-Type-Options": "nosniff",
    }
    answer = Response(svg, media_type="image/svg+xml", headers=headers)
    cache.put(key, answer)
    return answer


@router.post(
    "/sweeps/{sweep_id}/cancel",
    response_model=SweepPublic,
    summary="Cancel a sweep",
    responses={409: {"description": "The sweep has already ended"}},
)
def cancel_sweep(session: SessionDep, principal: CurrentKey, sweep_id: PathId) -> SweepPublic:
    """Cancel the queued points at once; running points stop when they end."""
    return sweep_detail(session, crud.sweeps.cancel_sweep(session, principal, sweep_id))


# -- sizing ----------------------------------------------------------------------------------


def _study_public(session: Session, job: Run, prefix: str) -> dict[str, Any]:
    """Return a study job's public fields: a run's, its request, its result once succeeded."""
    done = job.status == RunStatus.succeeded
    return run_public(session, job).model_dump() | {
        "results_url": f"/{prefix}/{job.id}" if done else None,
        "params": job.params or {},
        "result": job.output if done else None,
    }


def sizing_public(session: Session, job: Run) -> SizingPublic:
    """Map a sizing job to its public form (the result once it has succeeded)."""
    return SizingPublic(**_study_public(session, job, "sizing"))


@router.post(
    "/scenarios/{scenario_id}/sizing",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SizingPublic,
    summary="Size a new battery and/or PV system (background job)",
    responses=job_responses(),
)
def start_sizing(
    session: SessionDep,
    principal: CurrentKey,
    executor: ExecutorDep,
    settings: SettingsDep,
    scenario_id: PathId,
    body: SizingCreate,
    response: Response,
) -> SizingPublic:
    """Queue a sizing of the scenario: capacities and dispatch in one optimisation.

    The capacities' annuity and O&M (``energy.analysis.economics`` defaults unless
    ``assumptions`` or prices are given) are charged for the horizon's share of
    a year; a horizon shorter than a year gives a seasonal answer (a note in
    the result says so). The result is ``SizingResult.to_dict()``:
    ``capacities`` (``pv_kwp``, ``battery_kwh``, ``battery_kw``), ``costs``,
    ``kpis``, ``reference_kpis``, ``sweep`` (fixed sizes asked for), ``notes``,
    ``metadata`` and ``licence``.
    """
    job = crud.sizing.create_sizing(session, principal, scenario_id, body, settings)
    submit_jobs(session, executor, [job])
    response.headers["Location"] = f"/sizing/{job.id}"
    return sizing_public(session, job)


@router.get("/sizing/{job_id}", response_model=SizingPublic, summary="Status and result")
def get_sizing(session: SessionDep, principal: ReaderKey, job_id: PathId) -> SizingPublic:
    """Return status and progress of a sizing job, and its result once it has succeeded."""
    return sizing_public(session, crud.runs.get_job(session, principal, job_id, RunKind.sizing))


@router.post(
    "/sizing/{job_id}/cancel",
    response_model=SizingPublic,
    summary="Cancel a sizing job",
    responses={409: {"description": "The job has already ended"}},
)
def cancel_sizing(session: SessionDep, principal: CurrentKey, job_id: PathId) -> SizingPublic:
    """Cancel a queued sizing at once; a running one stops at its next progress report."""
    return sizing_public(session, crud.runs.cancel_run(session, principal, job_id, RunKind.sizing))


# -- Pareto front: what autarky costs ----------------------------------------------------------


def pareto_public(session: Session, job: Run) -> ParetoPublic:
    """Map a Pareto job to its public form (the result once it has succeeded)."""
    return ParetoPublic(**_study_public(session, job, "pareto"))


@router.post(
    "/scenarios/{scenario_id}/pareto",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ParetoPublic,
    summary="What autarky costs: cost-optimal design per self-sufficiency target (background job)",
    responses=job_responses(),
)
def start_pareto(
    session: SessionDep,
    principal: CurrentKey,
    executor: ExecutorDep,
    settings: SettingsDep,
    scenario_id: PathId,
    body: ParetoCreate,
    response: Response,
) -> ParetoPublic:
    """Queue a Pareto front of the scenario: the cost optimum, then rising autarky targets.

    The result is ``ParetoResult.to_dict()`` (api/README.md, "Pareto front"):
    ``metric``, ``points`` (per point ``target``, ``self_sufficiency``,
    ``self_sufficiency_heat``, ``annual_cost_eur_per_year`` and its parts,
    ``pv_kwp``, ``battery_kwh``, ``heat_storage_kwh``) and ``metadata``.
    """
    job = crud.sizing.create_pareto(session, principal, scenario_id, body, settings)
    submit_jobs(session, executor, [job])
    response.headers["Location"] = f"/pareto/{job.id}"
    return pareto_public(session, job)


@router.get("/pareto/{job_id}", response_model=ParetoPublic, summary="Status and result")
def get_pareto(session: SessionDep, principal: ReaderKey, job_id: PathId) -> ParetoPublic:
    """Return status and progress of a Pareto job, and its result once it has succeeded."""
    return pareto_public(session, crud.runs.get_job(session, principal, job_id, RunKind.pareto))


# -- Rolling-horizon operation: what forecast errors cost --------------------------------------


def operation_public(session: Session, job: Run) -> OperationPublic:
    """Map an operation job to its public form (the result once it has succeeded)."""
    return OperationPublic(**_study_public(session, job, "operations"))


@router.post(
    "/scenarios/{scenario_id}/operations",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OperationPublic,
    summary="Rolling-horizon operation with forecasts against perfect foresight (background job)",
    responses=job_responses(),
)
def start_operation(
    session: SessionDep,
    principal: CurrentKey,
    executor: ExecutorDep,
    settings: SettingsDep,
    scenario_id: PathId,
    body: OperationCreate,
    response: Response,
) -> OperationPublic:
    """Queue a rolling-horizon operation of the scenario (``energy operate`` as a job).

    The result is ``OperationResult.to_dict()`` (api/README.md, "Operation"):
    ``period``, ``horizon_h``, ``step_h``, the forecasts, ``kpis`` of
    ``realised``, ``perfect_foresight`` and ``B1``, ``forecast_error``
    (EUR and autarky points against perfect foresight over the same days) and
    ``saving_vs_B1_eur``.
    """
    job = crud.sizing.create_operation(session, principal, scenario_id, body, settings)
    submit_jobs(session, executor, [job])
    response.headers["Location"] = f"/operations/{job.id}"
    return operation_public(session, job)


@router.get("/operations/{job_id}", response_model=OperationPublic, summary="Status and result")
def get_operation(session: SessionDep, principal: ReaderKey, job_id: PathId) -> OperationPublic:
    """Return status and progress of an operation job, and its result once it has succeeded."""
    return operation_public(
        session, crud.runs.get_job(session, principal, job_id, RunKind.operation)
    )
