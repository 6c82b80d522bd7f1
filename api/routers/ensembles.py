"""Ensembles of a scenario over weather x price years, one background job per member.

Each member is a job of kind ``ensemble_member`` (the inline executor or any
number of Celery workers share them; a member whose worker dies is queued
again by the reaper like any run). It runs
:func:`energy.studies.ensemble.run_member` and stores its record; once every
member has ended, :func:`energy.studies.ensemble.summarise_ensemble` gives
every figure's min, P10, P50, P90 and max with the members at the extremes.
A member that failed is named in the summary with its reason and is left
out of the quantiles; it is never dropped silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse
from sqlmodel import Session

from api import crud
from api.crud.sweeps import SweepState
from api.deps import (
    CurrentKey,
    ExecutorDep,
    Limit,
    Offset,
    PathId,
    QueryId,
    ReaderKey,
    SessionDep,
    SettingsDep,
)
from api.ensemble_schemas import EnsembleCreate, EnsembleMemberPublic, EnsemblePublic
from api.errors import ConflictError
from api.executors import submit_jobs
from api.exports import ExportInfo, csv_response
from api.public import job_responses
from api.schemas import ExportFormat, Page, RunStatus, page_with
from api.tables import Ensemble, Run

if TYPE_CHECKING:
    from energy.studies.ensemble import EnsembleResult

router = APIRouter(tags=["ensembles"])

#: Licence of an ensemble's figures and the data that went in.
ENSEMBLE_EXPORT = ExportInfo(
    licence="CC-BY-4.0",
    attribution="Digitales Stadtwerk Gera contributors",
    source="energy.studies.ensemble",
    data_licences=("DWD TRY: GeoNutzV, 'Datenbasis: Deutscher Wetterdienst'", "SMARD: CC BY 4.0"),
)


def ensemble_status(ensemble: Ensemble, state: SweepState) -> RunStatus:
    """Return running until every member has ended, then succeeded (failures named) or cancelled."""
    if state.done < state.total:
        started = state.counts[RunStatus.running] or state.done
        return RunStatus.running if started else RunStatus.queued
    return RunStatus.cancelled if ensemble.cancel_requested else RunStatus.succeeded


def member_public(job: Run) -> EnsembleMemberPublic:
    """Map a member job to its public form."""
    record = crud.ensembles.member_record(job) if job.status in ("succeeded", "failed") else None
    params = job.params or {}
    return EnsembleMemberPublic(
        index=job.point_index or 0,
        member=params.get("member", ""),
        weather=params.get("weather", ""),
        price_year=params.get("price_year"),
        job_id=job.id or 0,
        status=RunStatus(job.status),
        worker=job.worker,
        error=job.error or (record or {}).get("error"),
        record=record,
    )


def ensemble_public(
    session: Session, ensemble: Ensemble, *, whole: bool = True
) -> tuple[EnsemblePublic, EnsembleResult | None]:
    """Return the public form of an ensemble and its summary (an EnsembleResult or None).

    ``whole=False`` (lists): status and progress only, without members and summary.
    """
    from energy.studies.ensemble import summarise_ensemble

    assert ensemble.id is not None
    state = crud.ensembles.ensemble_state(session, ensemble.id)
    jobs = crud.ensembles.ensemble_jobs(session, ensemble.id) if whole else []
    current = ensemble_status(ensemble, state)
    result = None
    if whole and current == RunStatus.succeeded:
        result = summarise_ensemble([crud.ensembles.member_record(job) for job in jobs])
    public = EnsemblePublic(
        id=ensemble.id,
        scenario_id=ensemble.scenario_id,
        organisation_id=ensemble.organisation_id,
        status=current,
        cancel_requested=ensemble.cancel_requested,
        weather=ensemble.weather,
        price_years=ensemble.price_years,
        options=ensemble.options,
        spec_hash=ensemble.spec_hash,
        members_total=state.total,
        members_done=state.done,
        progress_frac=state.done / state.total if state.total else 0.0,
        counts={s.value: n for s, n in state.counts.items()},
        created_at=ensemble.created_at,
        finished_at=state.last_finished_at if state.done == state.total else None,
        members=[member_public(job) for job in jobs] if whole else None,
        summary=None if result is None else result.to_dict(),
    )
    return public, result


@router.post(
    "/scenarios/{scenario_id}/ensembles",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EnsemblePublic,
    summary="Start an ensemble over weather x price years (one job per member)",
    responses=job_responses("Unknown weather file or price year; the message names it"),
)
def start_ensemble(
    session: SessionDep,
    principal: CurrentKey,
    executor: ExecutorDep,
    settings: SettingsDep,
    scenario_id: PathId,
    body: EnsembleCreate,
    response: Response,
) -> EnsemblePublic:
    """Queue one run of the scenario per weather file x price year, with its options."""
    ensemble, jobs = crud.ensembles.create_ensemble(session, principal, scenario_id, body, settings)
    submit_jobs(session, executor, jobs)
    response.headers["Location"] = f"/ensembles/{ensemble.id}"
    return ensemble_public(session, ensemble)[0]


@router.get(
    "/ensembles",
    response_model=Page[EnsemblePublic],
    summary="List ensembles (status and progress; no members, no summary), newest first",
)
def list_ensembles(
    session: SessionDep,
    principal: ReaderKey,
    offset: Offset = 0,
    limit: Limit = 50,
    scenario_id: QueryId = None,
) -> Page[EnsemblePublic]:
    """List the ensembles the caller may read; ``scenario_id`` keeps one scenario's."""
    rows = crud.ensembles.list_ensembles(session, principal, offset, limit, scenario_id)
    return page_with(rows, [ensemble_public(session, e, whole=False)[0] for e in rows.items])


@router.get(
    "/ensembles/{ensemble_id}",
    response_model=EnsemblePublic,
    summary="Status, members and, once every member has ended, every figure's distribution",
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}}},
        409: {"description": "CSV asked for before every member has ended"},
    },
)
def get_ensemble(
    session: SessionDep, principal: ReaderKey, ensemble_id: PathId, format: ExportFormat = "json"
) -> Response:
    """Return the ensemble; ``summary`` as api/README.md "Ensembles"; ``format=csv`` the figures.

    The CSV has one row per figure: ``figure, unit, better, min, p10, p50,
    p90, max, min_member, max_member, worst_member, n, missing`` after licence
    header lines (409 until every member has ended).
    """
    from energy.report.exports import csv_with_header

    ensemble = crud.ensembles.get_ensemble(session, principal, ensemble_id)
    public, result = ensemble_public(session, ensemble)
    if format != "csv":
        return JSONResponse(public.model_dump(mode="json"))
    if result is None:
        raise ConflictError(
            f"ensemble {ensemble_id} is {public.status.value}; its figures exist once every "
            "member has ended"
        )
    lines = [f"licence: {ENSEMBLE_EXPORT.licence}", result.summary()]
    table = result.table()
    return csv_response(csv_with_header(table, lines), ENSEMBLE_EXPORT, f"ensemble-{ensemble_id}")


@router.post(
    "/ensembles/{ensemble_id}/cancel",
    response_model=EnsemblePublic,
    summary="Cancel an ensemble and its members",
    responses={409: {"description": "The ensemble has already ended"}},
)
def cancel_ensemble(
    session: SessionDep, principal: CurrentKey, ensemble_id: PathId
) -> EnsemblePublic:
    """Cancel the queued members at once; running members stop when their run ends."""
    ensemble = crud.ensembles.cancel_ensemble(session, principal, ensemble_id)
    return ensemble_public(session, ensemble)[0]
