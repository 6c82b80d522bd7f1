"""Background jobs: one run = one job, claimed, executed and recovered through its row.

Where a job executes (threads in the API or Celery workers) is
:mod:`api.executors`; both call :func:`execute_run`, which reads everything
it needs from the database (the run row, the exact district version, the
scenario changes and options) and writes status, progress, heartbeat and
results back to it. A job row is a scenario run, one point of a sweep, a
sizing, ..., or a district's SimBench import (``Run.kind``; that one has no
scenario and stores a new district version when it succeeds,
:func:`_store_version`); all kinds share everything below and differ only in
their work, which the table :data:`api.jobkinds.JOB_KINDS` names.

Never lost, never stuck:

* claiming a run is one conditional UPDATE (queued -> running, attempts + 1),
  so a task delivered twice runs once;
* a running job refreshes ``heartbeat_at`` from a side thread every
  ``heartbeat_interval_s``, also while the solver is busy;
* the :class:`Reaper` finds running runs whose heartbeat is older than
  ``heartbeat_timeout_s`` (their worker died) and queues them again, or fails
  them with the reason once ``max_attempts`` is used up; it also re-sends runs
  that stayed queued for ``requeue_queued_after_s`` (a broker that lost them);
  one reaper re-sends a run per interval (compare-and-set on ``queued_at``),
  and a re-send the queue refused is tried again at the next sweep;
* a database that is unreachable (:data:`DATABASE_UNAVAILABLE`) never fails a
  job: progress writes skip a beat, the final write is retried with backoff
  for ``heartbeat_timeout_s``, a job whose inputs could not be read is handed
  back to the queue, and the error reaches the caller (the Celery task retries
  with backoff; see :mod:`api.worker`);
* every write of a job is conditional on ``attempts`` (its lease), so a worker
  presumed dead cannot overwrite the run after another worker took it over;
* cancelling is cooperative: a queued run is cancelled at once, a running one
  at its next progress report or heartbeat.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Engine, and_, or_, update
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlmodel import Session, col, select

from api.jobkinds import JOB_KINDS, Job, NewVersion, Output, Runner, default_runner
from api.runstore import append_version, load_run_inputs, load_run_network, spec_of
from api.schemas import RunStatus
from api.settings import Settings
from api.tables import District, DistrictVersion, Run, RunResult, utcnow
from energy.errors import InfeasibleError, InputDataError, SolverError
from energy.progress import ProgressCallback

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Progress is written at most this often [s] (plus the first and the last report).
PROGRESS_WRITE_INTERVAL_S = 0.5

#: Errors that mean "the database cannot be reached now" (server stopped, connection
#: dropped, pool exhausted, SQLite locked), not "this job is wrong": a job that meets
#: one is retried or handed back, never failed.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeoutError,
)

#: First and longest pause between two tries of a write while the database is away [s].
DB_RETRY_FIRST_S = 0.5
DB_RETRY_MAX_S = 5.0


class Outcome(StrEnum):
    """What :func:`execute_run` did with a delivered run id."""

    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"
    skipped = "skipped"
    lost = "lost"


class RunCancelledError(Exception):
    """Raised inside the progress callback when the run was cancelled."""


class LeaseLostError(Exception):
    """Raised when the run row no longer belongs to this execution (reaped, taken over)."""


def worker_name() -> str:
    """Return ``host:pid:thread`` of the calling thread, shown in the run row."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:200]


# -- claiming, finishing ------------------------------------------------------------


def _claim(engine: Engine, run_id: int, settings: Settings, me: str) -> int | None:
    """Take the run (queued, or running with a stale heartbeat); return the lease or None."""
    now = utcnow()
    stale = now - pd.Timedelta(seconds=settings.heartbeat_timeout_s).to_pytimedelta()
    claimable = or_(
        col(Run.status) == RunStatus.queued,
        and_(col(Run.status) == RunStatus.running, col(Run.heartbeat_at) < stale),
    )
    with Session(engine) as session:
        result = session.exec(
            update(Run)
            .where(col(Run.id) == run_id, claimable, col(Run.attempts) < col(Run.max_attempts))
            .values(
                status=RunStatus.running,
                attempts=Run.attempts + 1,
                worker=me,
                started_at=now,
                heartbeat_at=now,
                finished_at=None,
                progress_frac=0.0,
                progress_message="started",
                error=None,
                diagnosis=[],
            )
        )
        session.commit()
        if result.rowcount != 1:
            # Finished, cancelled, in good hands elsewhere, or out of attempts
            # (the reaper fails those with the reason).
            return None
        run = session.get(Run, run_id)
        assert run is not None
        return run.attempts


def _finish(
    engine: Engine,
    run_id: int,
    lease: int,
    status: RunStatus,
    message: str,
    error: str | None = None,
    diagnosis: list[str] | None = None,
    result: RunResult | None = None,
    output: dict[str, Any] | None = None,
    version: NewVersion | None = None,
) -> bool:
    """Write the final state (and ``output``) if this execution still holds the run.

    A ``version`` is stored in the same transaction (:func:`_store_version`),
    and its district and number added to ``output``.
    """
    with Session(engine) as session:
        if version is not None:
            output = (output or {}) | _store_version(session, run_id, version)
        values: dict[str, Any] = {
            "status": status,
            "finished_at": utcnow(),
            "progress_message": message,
            "error": error,
            "diagnosis": diagnosis or [],
            "output": output,
        }
        if status == RunStatus.succeeded:
            values["progress_frac"] = 1.0
        changed = session.exec(
            update(Run)
            .where(
                col(Run.id) == run_id,
                col(Run.status) == RunStatus.running,
                col(Run.attempts) == lease,
            )
            .values(**values)
        )
        if changed.rowcount != 1:
            session.rollback()
            return False
        if result is not None:
            old = session.get(RunResult, run_id)
            if old is not None:
                session.delete(old)
                session.flush()
            session.add(result)
        session.commit()
    return True


def _store_version(session: Session, run_id: int, new: NewVersion) -> dict[str, Any]:
    """Add the job's new district version (no commit); return its district id and number.

    The spec is the one of the job's version, which must still be the
    district's latest: a version stored meanwhile (a new spec, another
    import) would otherwise be undone silently.

    Raises
    ------
    InputDataError
        The district got a newer version while the job ran; nothing is stored.
    """
    run = session.get(Run, run_id)
    assert run is not None
    base = session.get(DistrictVersion, run.district_version_id)
    assert base is not None
    district = session.get(District, base.district_id)
    assert district is not None and district.id is not None
    if district.latest_version != base.version:
        raise InputDataError(
            f"district {district.id}: version {district.latest_version} was stored while this "
            f"job ran on version {base.version}; nothing was stored; send it again to build "
            "on the latest version"
        )
    spec = spec_of(base)
    row = append_version(session, district, spec, new.source, new.network_json, new.licence)
    session.flush()
    return {"district_id": district.id, "version": row.version}


def _retrying(write: Callable[[], T], what: str, budget_s: float) -> T:
    """Call ``write`` until it gets through to the database, for at most ``budget_s`` [s].

    Pauses double from :data:`DB_RETRY_FIRST_S` to :data:`DB_RETRY_MAX_S`. The
    writes retried here are conditional on the lease, so trying again is safe.
    The last :data:`DATABASE_UNAVAILABLE` error is raised when the budget is spent.
    """
    pause_s = DB_RETRY_FIRST_S
    give_up = time.monotonic() + budget_s
    while True:
        try:
            return write()
        except DATABASE_UNAVAILABLE as exc:
            if time.monotonic() + pause_s > give_up:
                raise
            logger.warning("%s: database unreachable (%s); again in %.1f s", what, exc, pause_s)
            time.sleep(pause_s)
            pause_s = min(2 * pause_s, DB_RETRY_MAX_S)


def _release(engine: Engine, run_id: int, lease: int, exc: Exception) -> None:
    """Hand a run back to the queue after the database failed under its attempt ``lease``.

    The attempt counts: the run is queued again while attempts remain, and
    failed with the reason after its last one.
    """
    reason = f"database unreachable during attempt {lease} ({type(exc).__name__})"
    ours = and_(
        col(Run.id) == run_id, col(Run.status) == RunStatus.running, col(Run.attempts) == lease
    )
    with Session(engine) as session:
        session.exec(
            update(Run)
            .where(ours, col(Run.attempts) < col(Run.max_attempts))
            .values(
                status=RunStatus.queued,
                queued_at=utcnow(),
                worker=None,
                progress_message=f"re-queued: {reason}",
            )
        )
        session.exec(  # still running (the first did nothing): that was the last attempt
            update(Run)
            .where(ours)
            .values(
                status=RunStatus.failed,
                finished_at=utcnow(),
                error=f"{reason}; that was the last allowed attempt",
            )
        )
        session.commit()


class _Lease:
    """Heartbeat, progress and cancellation of one execution of a run."""

    def __init__(self, engine: Engine, run_id: int, lease: int, settings: Settings) -> None:
        self.engine = engine
        self.run_id = run_id
        self.lease = lease
        self.interval_s = settings.heartbeat_interval_s
        self.cancelled = threading.Event()
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._last_write = 0.0
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-run-{run_id}", daemon=True
        )

    def __enter__(self) -> _Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _touch(self, **values: Any) -> None:
        """Refresh the heartbeat (and ``values``); note a cancel request or a lost lease."""
        with Session(self.engine) as session:
            changed = session.exec(
                update(Run)
                .where(
                    col(Run.id) == self.run_id,
                    col(Run.status) == RunStatus.running,
                    col(Run.attempts) == self.lease,
                )
                .values(heartbeat_at=utcnow(), **values)
            )
            session.commit()
            if changed.rowcount != 1:
                self.lost.set()
                return
            requested = session.exec(
                select(Run.cancel_requested).where(col(Run.id) == self.run_id)
            ).first()
            if requested:
                self.cancelled.set()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._touch()
            except Exception:  # the database may be briefly away; try again next beat
                logger.warning("run %s: heartbeat failed", self.run_id, exc_info=True)

    def progress(self, fraction: float, message: str) -> None:
        """Progress callback handed to the library: stores progress, honours cancel."""
        now = time.monotonic()
        if now - self._last_write >= PROGRESS_WRITE_INTERVAL_S or fraction >= 1.0:
            self._last_write = now
            try:
                self._touch(
                    progress_frac=min(max(float(fraction), 0.0), 1.0),
                    progress_message=message[:500],
                )
            except DATABASE_UNAVAILABLE as exc:  # progress is best effort; the work goes on
                logger.warning("run %s: progress not written: %s", self.run_id, exc)
        if self.lost.is_set():
            raise LeaseLostError(f"run {self.run_id} was taken over by another worker")
        if self.cancelled.is_set():
            raise RunCancelledError(f"run {self.run_id} cancelled")


def _work(engine: Engine, run_id: int, progress: ProgressCallback, runner: Runner) -> Output:
    """Load a claimed job's inputs, then do the work its kind names in :data:`JOB_KINDS`."""
    with Session(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        kind = JOB_KINDS[run.kind]
        district, options = load_run_inputs(session, run)
        network = load_run_network(session, run, options) if kind.uses_network else None
    progress(0.0, "inputs loaded")
    return kind.work(Job(run, district, options, progress, runner, network))


def execute_run(
    run_id: int,
    engine: Engine,
    settings: Settings,
    runner: Runner | None = None,
    me: str | None = None,
) -> Outcome:
    """Execute run ``run_id`` if it can be claimed; write every outcome to the database.

    Parameters
    ----------
    run_id
        Id of the run row.
    engine
        Engine of the run's database.
    settings
        Heartbeat timing.
    runner
        Function that runs the scenario; default :func:`api.jobkinds.default_runner`.
    me
        Name of this worker (default host:pid:thread).

    Returns
    -------
    Outcome
        ``skipped`` when the run was not claimable (done, cancelled, or
        executing elsewhere), ``lost`` when another worker took it over.

    Raises
    ------
    OperationalError
        Or another of :data:`DATABASE_UNAVAILABLE`: the run could not be
        claimed, its inputs could not be read (the run was handed back to the
        queue, if the database let that be written), or its final state could
        not be written within ``heartbeat_timeout_s``. Nothing about the run
        is decided; the caller tries again later (or the reaper does).
    """
    me = me or worker_name()
    lease = _claim(engine, run_id, settings, me)
    if lease is None:
        logger.info("run %s: not claimable, skipped by %s", run_id, me)
        return Outcome.skipped
    logger.info("run %s: attempt %s on %s", run_id, lease, me)

    def finish(status: RunStatus, message: str, **kwargs: Any) -> Outcome:
        def write() -> bool:
            return _finish(engine, run_id, lease, status, message, **kwargs)

        # the heartbeat goes on meanwhile: the lease stays ours while the database is away
        if _retrying(write, f"run {run_id}: final write", settings.heartbeat_timeout_s):
            logger.info("run %s: %s (%s)", run_id, status.value, message)
            return Outcome(status.value)
        logger.warning("run %s: lease %s lost before the end; result dropped", run_id, lease)
        return Outcome.lost

    with _Lease(engine, run_id, lease, settings) as job:
        try:
            done = _work(engine, run_id, job.progress, runner or default_runner)
        except RunCancelledError:
            return finish(RunStatus.cancelled, "cancelled on request")
        except LeaseLostError:
            return Outcome.lost
        except DATABASE_UNAVAILABLE as exc:  # not the job's fault: hand it back, then raise
            logger.warning("run %s: database unreachable during attempt %s: %s", run_id, lease, exc)
            _retrying(
                partial(_release, engine, run_id, lease, exc),
                f"run {run_id}: hand back",
                settings.heartbeat_timeout_s,
            )
            raise
        except InfeasibleError as exc:
            return finish(
                RunStatus.failed,
                "infeasible",
                error=str(exc).splitlines()[0],
                diagnosis=list(exc.diagnosis),
            )
        except InputDataError as exc:
            return finish(RunStatus.failed, "invalid input", error=str(exc))
        except SolverError as exc:
            return finish(RunStatus.failed, "solver failed", error=f"solver: {exc}")
        except Exception as exc:
            logger.exception("run %s: unexpected error", run_id)
            return finish(
                RunStatus.failed,
                "internal error",
                error=f"internal error ({type(exc).__name__}): {exc}",
            )
        return _store_output(finish, run_id, done)


def _store_output(finish: Callable[..., Outcome], run_id: int, done: Output) -> Outcome:
    """Write a job's success with its output; fail it with the reason if that is refused.

    ``finish`` is :func:`execute_run`'s final write. A new version that can no
    longer be stored (:func:`_store_version`) and a result the database refuses
    (a constraint, a length) fail the job at once, instead of leaving it
    running until the reaper retries it; a database that is away is raised,
    as for every final write.
    """
    try:
        return finish(
            RunStatus.succeeded,
            "done",
            result=done.result,
            output=done.output,
            version=done.version,
        )
    except InputDataError as exc:
        return finish(RunStatus.failed, "invalid input", error=str(exc))
    except DATABASE_UNAVAILABLE:
        raise  # nothing decided: the caller or the reaper tries again
    except SQLAlchemyError as exc:
        logger.exception("run %s: the database refused its result", run_id)
        reason = str(exc).splitlines()[0]
        return finish(
            RunStatus.failed,
            "internal error",
            error=f"internal error: the database refused the result ({reason})",
        )


# -- recovery ------------------------------------------------------------------------


def reap_lost_runs(
    engine: Engine, settings: Settings, submit: Callable[[int], Any]
) -> dict[str, list[int]]:
    """Requeue or fail runs whose worker died; re-send runs queued for too long.

    Returns the ids handled, by what was done: ``requeued``, ``failed``,
    ``cancelled``, ``resent``.
    """
    now = utcnow()
    stale = now - pd.Timedelta(seconds=settings.heartbeat_timeout_s).to_pytimedelta()
    old_queue = now - pd.Timedelta(seconds=settings.requeue_queued_after_s).to_pytimedelta()
    done: dict[str, list[int]] = {"requeued": [], "failed": [], "cancelled": [], "resent": []}
    with Session(engine) as session:
        lost = session.exec(
            select(Run).where(
                col(Run.status) == RunStatus.running,
                or_(col(Run.heartbeat_at) < stale, col(Run.heartbeat_at).is_(None)),
            )
        ).all()
        for run in lost:
            assert run.id is not None
            same = and_(
                col(Run.id) == run.id,
                col(Run.status) == RunStatus.running,
                col(Run.attempts) == run.attempts,
            )
            since = run.heartbeat_at.isoformat() if run.heartbeat_at else "never"
            if run.cancel_requested:
                values: dict[str, Any] = {
                    "status": RunStatus.cancelled,
                    "finished_at": now,
                    "progress_message": "cancelled (its worker was lost)",
                }
                kind = "cancelled"
            elif run.attempts >= run.max_attempts:
                values = {
                    "status": RunStatus.failed,
                    "finished_at": now,
                    "error": (
                        f"worker lost: no heartbeat since {since} on {run.worker}; "
                        f"attempt {run.attempts} of {run.max_attempts}, not tried again"
                    ),
                }
                kind = "failed"
            else:
                values = {
                    "status": RunStatus.queued,
                    "queued_at": now,
                    "worker": None,
                    "progress_message": (
                        f"re-queued after attempt {run.attempts}: worker {run.worker} "
                        f"lost (no heartbeat since {since})"
                    ),
                }
                kind = "requeued"
            if session.exec(update(Run).where(same).values(**values)).rowcount == 1:
                done[kind].append(run.id)
        session.commit()
        waiting = session.exec(
            select(Run).where(col(Run.status) == RunStatus.queued, col(Run.queued_at) < old_queue)
        ).all()
        for run in waiting:
            # compare-and-set on queued_at: of the reapers in the API and in every
            # worker, one re-sends the run per interval
            changed = session.exec(
                update(Run)
                .where(
                    col(Run.id) == run.id,
                    col(Run.status) == RunStatus.queued,
                    col(Run.queued_at) == run.queued_at,
                )
                .values(queued_at=now)
            )
            if changed.rowcount == 1:
                assert run.id is not None
                done["resent"].append(run.id)
        session.commit()
    unsent = [run_id for run_id in done["requeued"] + done["resent"] if not _send(submit, run_id)]
    if unsent:
        _resend_next_sweep(engine, unsent, now, old_queue)
    if any(done.values()):
        logger.warning("reaper: %s", {k: v for k, v in done.items() if v})
    return done


def _send(submit: Callable[[int], Any], run_id: int) -> bool:
    """Hand ``run_id`` to the queue; False (logged) when the queue refused it."""
    try:
        submit(run_id)
    except Exception as exc:  # broker down: the next sweep tries again
        logger.warning("reaper: run %s not sent, the queue refused it: %s", run_id, exc)
        return False
    return True


def _resend_next_sweep(
    engine: Engine, run_ids: list[int], stamp: dt.datetime, due: dt.datetime
) -> None:
    """Date back ``queued_at`` of runs the queue refused, so the next sweep sends them.

    Only runs still queued with the ``stamp`` this sweep gave them are changed.
    """
    with Session(engine) as session:
        session.exec(
            update(Run)
            .where(
                col(Run.id).in_(run_ids),
                col(Run.status) == RunStatus.queued,
                col(Run.queued_at) == stamp,
            )
            .values(queued_at=due - dt.timedelta(seconds=1))
        )
        session.commit()


class Reaper:
    """A daemon thread that calls :func:`reap_lost_runs` every ``reaper_interval_s``."""

    def __init__(self, engine: Engine, settings: Settings, submit: Callable[[int], Any]) -> None:
        self.engine = engine
        self.settings = settings
        self.submit = submit
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="run-reaper", daemon=True)

    def start(self) -> None:
        """Start the thread (a first sweep runs at once)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            try:
                reap_lost_runs(self.engine, self.settings, self.submit)
            except Exception:
                logger.warning("reaper sweep failed", exc_info=True)
            if self._stop.wait(self.settings.reaper_interval_s):
                return
