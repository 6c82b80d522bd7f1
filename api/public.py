"""Public forms of job rows that more than one router answers with (runs, and sizings as runs).

A run's public form needs its district version (district id and version
number), so mapping reads the versions of a list of runs in one query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from api.schemas import JobQuotaBody, RunPublic, RunStatus, WorkLimitBody
from api.tables import DistrictVersion, Run

#: Fields of :class:`~api.schemas.RunPublic` that are the run row's columns as they are.
COPIED_RUN_FIELDS = (
    "scenario_id",
    "organisation_id",
    "progress_frac",
    "progress_message",
    "attempts",
    "max_attempts",
    "cancel_requested",
    "worker",
    "error",
    "options",
    "changes",
    "spec_hash",
    "created_at",
    "started_at",
    "finished_at",
    "heartbeat_at",
)


def job_responses(
    invalid: str = "Invalid input; the message names the field",
) -> dict[int | str, Any]:
    """Return the OpenAPI answers of a route that queues jobs: 202, 422, 429, 503.

    ``invalid`` says what makes the body invalid; the work cap of the inline
    queue and the job quota are added to the 422 and 429 answers.
    """
    return {
        202: {"description": "Accepted; poll the Location for status, progress and the result"},
        422: {
            "model": WorkLimitBody,
            "description": f"{invalid}; or, with ENERGY_QUEUE=inline, a job larger than "
            "ENERGY_INLINE_MAX_WORK (errors[].type work_limit, `work`: its factors and the "
            "limit; the message says how to run it on workers or with the CLI)",
        },
        429: {
            "model": JobQuotaBody,
            "description": "Too many requests (Retry-After), or the organisation's job quota "
            "(ENERGY_MAX_ACTIVE_JOBS_PER_ORGANISATION) is full: `quota`, `active`, "
            "`requested`; nothing was stored",
        },
        503: {"description": "The job queue is unreachable; nothing was started"},
    }


def seconds_between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    """Return ``end - start`` in seconds, or None when either is missing."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def runs_public(session: Session, runs: list[Run]) -> list[RunPublic]:
    """Map run rows to their public form (district versions read in one query)."""
    ids = {r.district_version_id for r in runs}
    versions = {
        v.id: v
        for v in session.exec(select(DistrictVersion).where(col(DistrictVersion.id).in_(ids)))
    }
    out = []
    for run in runs:
        version = versions[run.district_version_id]
        done = run.status == RunStatus.succeeded
        out.append(
            RunPublic(
                **{name: getattr(run, name) for name in COPIED_RUN_FIELDS},
                id=run.id or 0,
                district_id=version.district_id,
                district_version=version.version,
                status=RunStatus(run.status),
                diagnosis=list(run.diagnosis),
                queue_wait_s=seconds_between(run.created_at, run.started_at),
                duration_s=seconds_between(run.started_at, run.finished_at),
                results_url=f"/runs/{run.id}/results" if done else None,
            )
        )
    return out


def run_public(session: Session, run: Run) -> RunPublic:
    """Map one run row to its public form."""
    return runs_public(session, [run])[0]
