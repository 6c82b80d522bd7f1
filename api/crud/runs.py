"""Job rows of every kind: scenario runs, sweep points, sizings (``Run.kind``).

New jobs of a scenario are made through :func:`job_inputs`, which resolves the
scenario to the exact district version it refers to now; :mod:`api.crud.sweeps`
and :mod:`api.crud.sizing` make theirs the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from api.auth import Principal, can_write_scenario, run_visible
from api.crud.common import ACTIVE_STATUSES, get_visible, page, save
from api.crud.scenarios import get_scenario, get_scenario_for_write
from api.crud.versions import get_version
from api.errors import ConflictError, ForbiddenError, JobQuotaError
from api.jobkinds import JOB_KINDS
from api.runstore import district_of
from api.schemas import FINAL_STATUSES, Page, Role, RunKind, RunStatus, Visibility
from api.settings import Settings
from api.tables import District, DistrictVersion, Organisation, Run, Scenario, utcnow
from api.workload import check_inline_work, job_workload
from energy.district import District as DistrictSpec


@dataclass(frozen=True)
class JobInputs:
    """What a new job of a scenario refers to: the scenario, the exact version, the district."""

    scenario: Scenario
    version: DistrictVersion
    district: DistrictSpec  # the version's spec with the scenario's changes applied
    organisation_id: int | None = None  # the job's organisation; None: the scenario's

    @property
    def spec_path(self) -> str:
        """Where the job's district spec is read: ``/districts/{id}?version={n}``."""
        return f"/districts/{self.version.district_id}?version={self.version.version}"

    def new_job(self, p: Principal, settings: Settings, **values: Any) -> Run:
        """Return a queued (unsaved) job row of the scenario; ``values`` set kind, params...

        and may replace the scenario's ``options``.
        """
        assert self.version.id is not None and self.scenario.id is not None
        fields: dict[str, Any] = {
            "scenario_id": self.scenario.id,
            "organisation_id": self.organisation_id or self.scenario.organisation_id,
            "district_version_id": self.version.id,
            "options": dict(self.scenario.options),
            "changes": dict(self.scenario.changes),
            "spec_hash": self.district.spec_hash(),
            "max_attempts": settings.max_attempts,
            "created_by_key_id": p.key_id,
        }
        return Run(**(fields | values))


def _guest_run(p: Principal, scenario: Scenario) -> bool:
    """Return whether ``p`` is a cooperative running another organisation's published scenario."""
    return (
        p.role == Role.cooperative
        and scenario.visibility == Visibility.published
        and not can_write_scenario(p, scenario.organisation_id)
    )


def job_inputs(session: Session, p: Principal, scenario_id: int, guest: bool = False) -> JobInputs:
    """Resolve a scenario the caller may run to its exact district version and district.

    With ``guest``, a cooperative key may run another organisation's
    published scenario: the job then belongs to the cooperative's own
    organisation (``JobInputs.organisation_id``).
    """
    scenario = get_scenario(session, p, scenario_id)
    organisation = p.organisation_id if guest and _guest_run(p, scenario) else None
    if organisation is None:
        scenario = get_scenario_for_write(session, p, scenario_id)
    district = session.get(District, scenario.district_id)
    assert district is not None
    foreign = not p.is_admin and district.organisation_id != p.organisation_id
    if foreign and district.visibility != Visibility.published:
        raise ForbiddenError(
            f"scenario {scenario_id}: its district {district.id} is no longer published; "
            "runs on it can be started by the district's organisation only"
        )
    version = get_version(session, district, scenario.district_version)
    changes = scenario.changes
    return JobInputs(scenario, version, district_of(version, changes), organisation)


def active_jobs(session: Session, organisation_id: int) -> int:
    """Return the jobs of every kind the organisation has queued or running."""
    return session.exec(
        select(func.count())
        .select_from(Run)
        .where(col(Run.organisation_id) == organisation_id, col(Run.status).in_(ACTIVE_STATUSES))
    ).one()


def lock_organisation(session: Session, organisation_id: int) -> None:
    """Hold the organisation's job admissions until the session's transaction ends.

    PostgreSQL: ``SELECT ... FOR UPDATE`` of the organisation's row, so a
    second admission of the same organisation waits for the first to commit
    and then counts its jobs (READ COMMITTED reads anew per statement).
    SQLite has no row locks: a write (an UPDATE that changes nothing) takes the
    database's write lock, which the second admission waits for (busy timeout)
    before it counts.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.exec(
            select(Organisation.id).where(col(Organisation.id) == organisation_id).with_for_update()
        )
        return
    session.exec(
        sa.update(Organisation)
        .where(col(Organisation.id) == organisation_id)
        .values(created_at=col(Organisation.created_at))  # no key, no index touched
    )


def admit_jobs(session: Session, settings: Settings, organisation_id: int, count: int) -> None:
    """Refuse ``count`` new jobs that would take the organisation past its quota (429).

    Call it in the transaction that stores the jobs, before they are added:
    the organisation stays locked (:func:`lock_organisation`) until that
    transaction commits or rolls back, so two submissions at once cannot both
    pass on the same count. A refused submission stores nothing.
    """
    quota = settings.max_active_jobs_per_organisation
    lock_organisation(session, organisation_id)
    active = active_jobs(session, organisation_id)
    if active + count <= quota:
        return
    jobs = "job" if count == 1 else "jobs"
    if count > quota:
        advice = (
            f"this request alone has {count} jobs, more than the quota: make it smaller "
            "(fewer sweep points or ensemble members)"
        )
    else:
        advice = (
            "wait until some end, or cancel some (POST /runs/{id}/cancel, /sweeps/{id}/cancel, "
            "/ensembles/{id}/cancel, /sizing/{id}/cancel; queued runs: GET /runs?status=queued), "
            "then send it again"
        )
    raise JobQuotaError(
        f"job quota: organisation {organisation_id} has {active} jobs queued or running and may "
        f"have at most {quota} at once (ENERGY_MAX_ACTIVE_JOBS_PER_ORGANISATION); this request "
        f"adds {count} {jobs} and was not stored; {advice}",
        quota=quota,
        active=active,
        requested=count,
        organisation_id=organisation_id,
    )


def create_run(session: Session, p: Principal, scenario_id: int, settings: Settings) -> Run:
    """Store a queued run of the scenario on the exact district version it resolves to.

    A cooperative key may also run another organisation's *published*
    scenario: the run then belongs to the cooperative's own organisation,
    which may cancel it and read it; the scenario stays unchanged. Refused
    when too large for the inline queue (422, :mod:`api.workload`) or past the
    organisation's job quota (429, :func:`admit_jobs`).
    """
    inputs = job_inputs(session, p, scenario_id, guest=True)
    run = inputs.new_job(p, settings)
    workload = job_workload(RunKind.scenario, inputs.district, run.options)
    check_inline_work(
        settings,
        RunKind.scenario,
        workload,
        run.options,
        f"run of scenario {scenario_id}",
        inputs.spec_path,
    )
    admit_jobs(session, settings, run.organisation_id, 1)
    return save(session, run)


def get_job(session: Session, p: Principal, run_id: int, kind: RunKind) -> Run:
    """Return a job row of ``kind`` the caller may read, else NotFoundError."""
    visible = sa.and_(col(Run.kind) == kind, run_visible(p))
    return get_visible(session, Run, run_id, visible, JOB_KINDS[kind].noun)


def get_run(session: Session, p: Principal, run_id: int) -> Run:
    """Return a scenario run the caller may read, else NotFoundError."""
    return get_job(session, p, run_id, RunKind.scenario)


def list_runs(
    session: Session,
    p: Principal,
    offset: int,
    limit: int,
    scenario_id: int | None = None,
    status: RunStatus | None = None,
) -> Page[Run]:
    """List the scenario runs the caller may read, newest first, optionally of a scenario or status.

    Sweep points and sizing jobs are listed with their sweep and sizing.
    """
    condition = sa.and_(run_visible(p), col(Run.kind) == RunKind.scenario)
    if scenario_id is not None:
        condition = sa.and_(condition, col(Run.scenario_id) == scenario_id)
    if status is not None:
        condition = sa.and_(condition, col(Run.status) == status)
    return page(session, Run, condition, offset, limit, col(Run.id).desc())


def cancel_jobs(session: Session, which: ColumnElement[bool]) -> None:
    """Cancel the queued jobs of ``which`` at once; ask the running ones to stop (no commit)."""
    session.exec(
        sa.update(Run)
        .where(which, col(Run.status) == RunStatus.queued)
        .values(
            status=RunStatus.cancelled,
            cancel_requested=True,
            finished_at=utcnow(),
            progress_message="cancelled before it started",
        )
    )
    session.exec(
        sa.update(Run)
        .where(which, col(Run.status) == RunStatus.running)
        .values(cancel_requested=True, progress_message="cancel requested")
    )


def cancel_run(
    session: Session, p: Principal, run_id: int, kind: RunKind = RunKind.scenario
) -> Run:
    """Cancel a queued run (or sizing job) at once, or ask a running one to stop."""
    run = get_job(session, p, run_id, kind)
    if not can_write_scenario(p, run.organisation_id):
        raise ForbiddenError(
            f"{JOB_KINDS[kind].noun} {run_id}: only its organisation may cancel it"
        )
    if run.status in FINAL_STATUSES:
        raise ConflictError(f"{JOB_KINDS[kind].noun} {run_id} is already {run.status}")
    cancel_jobs(session, col(Run.id) == run_id)
    session.commit()
    session.refresh(run)
    return run
