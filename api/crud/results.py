"""The results of a succeeded run: KPIs, savings and time series (stored by the job)."""

from __future__ import annotations

from sqlmodel import Session

from api.auth import Principal
from api.crud.runs import get_run
from api.errors import ConflictError, NotFoundError
from api.runstore import load_result_row
from api.schemas import RunStatus
from api.tables import Run, RunResult


def get_result(session: Session, p: Principal, run_id: int) -> tuple[Run, RunResult]:
    """Return a succeeded run and its results (409 while it is not succeeded)."""
    run = get_run(session, p, run_id)
    if run.status != RunStatus.succeeded:
        detail = f"run {run_id} is {run.status}; results exist once it has succeeded"
        if run.status == RunStatus.failed:
            detail += f" (it failed: {run.error})"
        raise ConflictError(detail)
    result = load_result_row(session, run_id)
    if result is None:  # pragma: no cover - written in the same transaction as the status
        raise NotFoundError(f"run {run_id}: results missing")
    return run, result
