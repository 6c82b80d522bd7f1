"""Runs: start (202 + Location), status and progress, cancel, results and schedules."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlmodel import Session

from api import crud
from api.auth import Principal
from api.conditional import NOT_MODIFIED_RESPONSE, cached_read
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
from api.errors import NotFoundError
from api.executors import submit_jobs
from api.exports import ExportCache, aggregate_frame, frame_response
from api.public import job_responses, run_public, runs_public
from api.runstore import export_info, frame_from_parquet, grid_summary_of
from api.schemas import (
    Aggregate,
    ExportFormat,
    Page,
    RunPublic,
    RunResults,
    RunStatus,
    page_with,
)
from api.settings import Settings
from api.tables import Run, RunResult
from energy.errors import InputDataError
from energy.kpi import COMPARISON_LABELS, HEADLINE_BASELINE

logger = logging.getLogger(__name__)

router = APIRouter(tags=["runs"])


@router.post(
    "/scenarios/{scenario_id}/runs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunPublic,
    tags=["runs"],
    summary="Start a run of a scenario (background job)",
    responses=job_responses(),
)
def start_run(
    session: SessionDep,
    principal: CurrentKey,
    executor: ExecutorDep,
    settings: SettingsDep,
    scenario_id: PathId,
    response: Response,
) -> RunPublic:
    """Queue an optimisation plus AC check of the scenario; answers at once with the run id.

    The run refers to the exact district version the scenario resolves to now;
    later versions of the district do not change it.
    """
    run = crud.runs.create_run(session, principal, scenario_id, settings)
    submit_jobs(session, executor, [run])
    response.headers["Location"] = f"/runs/{run.id}"
    return run_public(session, run)


@router.get(
    "/scenarios/{scenario_id}/runs", response_model=Page[RunPublic], summary="Runs of a scenario"
)
def list_scenario_runs(
    session: SessionDep,
    principal: ReaderKey,
    scenario_id: PathId,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[RunPublic]:
    """List the runs of one scenario, newest first."""
    crud.scenarios.get_scenario(session, principal, scenario_id)
    rows = crud.runs.list_runs(session, principal, offset, limit, scenario_id=scenario_id)
    return page_with(rows, runs_public(session, rows.items))


@router.get("/runs", response_model=Page[RunPublic], summary="List runs")
def list_runs(
    session: SessionDep,
    principal: ReaderKey,
    offset: Offset = 0,
    limit: Limit = 50,
    scenario_id: QueryId = None,
    run_status: Annotated[RunStatus | None, Query(alias="status")] = None,
) -> Page[RunPublic]:
    """List the runs the caller may read, newest first; filter by scenario or status."""
    rows = crud.runs.list_runs(session, principal, offset, limit, scenario_id, run_status)
    return page_with(rows, runs_public(session, rows.items))


@router.get("/runs/{run_id}", response_model=RunPublic, summary="Status, progress and timings")
def get_run(session: SessionDep, principal: ReaderKey, run_id: PathId) -> RunPublic:
    """Return status (queued, running, succeeded, failed, cancelled), progress and timings.

    A failed run carries ``error`` and, when the optimisation was infeasible,
    a ``diagnosis``: one sentence per violated limit, naming the hour.
    """
    return run_public(session, crud.runs.get_run(session, principal, run_id))


@router.post(
    "/runs/{run_id}/cancel",
    response_model=RunPublic,
    summary="Cancel a queued or running run",
    responses={409: {"description": "The run has already ended"}},
)
def cancel_run(session: SessionDep, principal: CurrentKey, run_id: PathId) -> RunPublic:
    """Cancel a queued run at once; a running one stops at its next progress report."""
    return run_public(session, crud.runs.cancel_run(session, principal, run_id))


@router.get(
    "/runs/{run_id}/results",
    response_model=RunResults,
    summary="KPIs and savings of a succeeded run",
    responses={
        **NOT_MODIFIED_RESPONSE,
        409: {"description": "The run has not succeeded (yet)"},
    },
)
def get_results(
    request: Request,
    session: SessionDep,
    principal: ReaderKey,
    settings: SettingsDep,
    cache: ExportCacheDep,
    run_id: PathId,
) -> Response:
    """Return the KPIs of the optimum, B1, B0 and nothing built, and the savings against each.

    ``savings.vs_B1`` is the headline (``headline_baseline``); every figure is
    comparison minus optimised over the run's ``horizon`` (positive = the
    optimum is better), shares as ``*_points`` in percentage points, the same
    numbers ``/runs/{id}/savings`` (``totals.<baseline>.<metric>.total``),
    ``/compare`` (``<metric>_vs_<baseline>``), the CSV exports and the CLI show.
    ``grid`` is the AC check's summary; each bus's, line's and transformer's
    extremes are on the map (``/runs/{id}/grid.geojson``). The answer carries
    a strong ``ETag``; ``If-None-Match`` with it gets 304.
    """
    run = crud.results.get_succeeded_run(session, principal, run_id)

    def render() -> Response:
        result = crud.results.result_of(session, run)
        info = export_info(session, run, settings, result)
        body = RunResults(
            run_id=run_id,
            scenario_id=run.scenario_id,
            kpis=result.kpis,
            savings=result.savings,
            headline_baseline=HEADLINE_BASELINE,
            baseline_labels=COMPARISON_LABELS,
            horizon=result.run_metadata.get("horizon", {}),
            metadata=result.run_metadata
            | {"source": info.source, "data_licences": list(info.data_licences)},
            grid=grid_summary_of(result.grid),
            licence=info.licence,
            attribution=info.attribution,
            data_licences=list(info.data_licences),
            data_sources=list(info.data_sources),
        )
        return Response(body.model_dump_json(), media_type="application/json")

    return cached_read(request, settings, cache, run, principal.key_id is None, render)


def _series_response(
    session: Session,
    settings: Settings,
    run: Run,
    result: RunResult,
    which: str,
    fmt: str,
    aggregate: str,
    columns: str | None,
) -> Response:
    data = result.schedule_parquet if which == "schedule" else result.node_p_kw_parquet
    if data is None:
        raise NotFoundError(f"run {run.id} has no {which} (no AC check was made)")
    frame = frame_from_parquet(data)
    if columns is not None:
        wanted = [c.strip() for c in columns.split(",") if c.strip()]
        if not wanted:
            raise InputDataError(
                f"columns: {columns!r} names no column; give comma-separated names "
                "or leave the parameter out for all",
                field="columns",
                value=columns,
            )
        unknown = [c for c in wanted if c not in frame.columns]
        if unknown:
            raise InputDataError(
                f"columns: {unknown} are not columns of the {which}; "
                f"allowed: {', '.join(map(str, frame.columns))}"
            )
        frame = frame[wanted]
    if which == "node_p_kw":
        frame = frame.rename(columns=lambda node: f"p_kw:{node}")
    info = export_info(session, run, settings, result)
    out = aggregate_frame(frame, aggregate, info.timezone)
    return frame_response(
        out,
        fmt,
        info,
        extra={"run_id": run.id, "table": which, "aggregate": aggregate},
        filename=f"run-{run.id}-{which}-{aggregate}",
    )


def _series_read(
    request: Request,
    session: Session,
    principal: Principal,
    settings: Settings,
    cache: ExportCache,
    run_id: int,
    which: str,
    query: tuple[str, str, str | None],
) -> Response:
    """Answer a time-series read of a succeeded run: 304, cached, or rendered.

    ``query`` is the read's format, aggregation and columns.
    """
    run = crud.results.get_succeeded_run(session, principal, run_id)

    def render() -> Response:
        result = crud.results.result_of(session, run)
        return _series_response(session, settings, run, result, which, *query)

    return cached_read(request, settings, cache, run, principal.key_id is None, render)


@router.get(
    "/runs/{run_id}/schedule",
    summary="The optimised schedule as JSON or CSV, optionally aggregated",
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}}},
        **NOT_MODIFIED_RESPONSE,
    },
)
def get_schedule(
    request: Request,
    session: SessionDep,
    principal: ReaderKey,
    settings: SettingsDep,
    cache: ExportCacheDep,
    run_id: PathId,
    format: ExportFormat = "json",
    aggregate: Aggregate = "none",
    columns: Annotated[str | None, Query(description="Comma-separated column names")] = None,
) -> Response:
    """Return the schedule with local (Europe/Berlin) and UTC times, licence CC-BY-4.0.

    ``aggregate=hour|day|month`` sums powers to energies (``*_kw`` -> ``*_kwh``)
    over local periods; see :mod:`api.exports` for the rule of each column.
    Strong ``ETag``; ``If-None-Match`` with it gets 304.
    """
    query = (format, aggregate, columns)
    return _series_read(request, session, principal, settings, cache, run_id, "schedule", query)


@router.get(
    "/runs/{run_id}/node-power",
    summary="Net power per grid node as JSON or CSV (load convention)",
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}}},
        **NOT_MODIFIED_RESPONSE,
    },
)
def get_node_power(
    request: Request,
    session: SessionDep,
    principal: ReaderKey,
    settings: SettingsDep,
    cache: ExportCacheDep,
    run_id: PathId,
    format: ExportFormat = "json",
    aggregate: Aggregate = "none",
    columns: Annotated[str | None, Query(description="Comma-separated node ids")] = None,
) -> Response:
    """Return each node's net power [kW], positive when drawn from the grid.

    Strong ``ETag``; ``If-None-Match`` with it gets 304.
    """
    query = (format, aggregate, columns)
    return _series_read(request, session, principal, settings, cache, run_id, "node_p_kw", query)
