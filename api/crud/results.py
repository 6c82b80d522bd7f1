"""The results of a succeeded run: KPIs, savings and time series (stored by the job)."""

from __future__ import annotations

from sqlmodel import Session

from api.auth import Principal
from api.crud.runs import get_run
from api.errors import ConflictError, NotFoundError
from api.runstore import load_result_row
from api.schemas import RunStatus
from api.tables import Run, RunResult


def get_succeeded_run(session: Session, p: Principal, run_id: int) -> Run:
    """Return a succeeded run the caller may read (409 while it is not succeeded).

    One SELECT (the run with its access condition); the results row is not read.
    """
    run = get_run(session, p, run_id)
    if run.status != RunStatus.succeeded:
        detail = f"run {run_id} is {run.status}; results exist once it has succeeded"
        if run.status == RunStatus.failed:
            detail += f" (it failed: {run.error})"
        raise ConflictError(detail)
    return run


def result_of(session: Session, run: Run) -> RunResult:
    """Return the results row of a succeeded run (time series loaded on first access)."""
    assert run.id is not None
    result = load_result_row(session, run.id)
    if result is None:  # pragma: no cover - written in the same transaction as the status
        raise NotFoundError(f"run {run.id}: results missing")
    return result


def get_result(session: Session, p: Principal, run_id: int) -> tuple[Run, RunResult]:
    """Return a succeeded run and its results (409 while it is not succeeded)."""
    run = get_succeeded_run(session, p, run_id)
    return run, result_of(session, run)
