"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import ExecutorDep, SessionDep

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness: the process answers")
def health() -> dict[str, str]:
    """Answer ``{"status": "ok"}`` while the process runs (no dependencies checked)."""
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Readiness: database and job queue reachable",
    responses={503: {"description": "The database or the queue is unreachable"}},
)
def ready(session: SessionDep, executor: ExecutorDep) -> JSONResponse:
    """Check the database (``SELECT 1``) and the queue (broker connection or thread pool)."""
    checks: dict[str, str] = {}
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        checks["database"] = "ok"
    except Exception as exc:
        logger.warning("readiness: database unreachable", exc_info=True)
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        executor.check()
        checks["queue"] = f"ok ({executor.name})"
    except Exception as exc:
        logger.warning("readiness: queue unreachable", exc_info=True)
        checks["queue"] = f"unreachable ({executor.name}): {type(exc).__name__}"
    ok = all(value.startswith("ok") for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks},
        status_code=200 if ok else 503,
    )
