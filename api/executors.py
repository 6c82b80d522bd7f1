"""Where jobs execute: the :class:`JobExecutor` interface and its two implementations.

* :class:`InlineExecutor` (``ENERGY_QUEUE=inline``, the embedded default): a
  thread pool inside the API process; a request only inserts the job row and
  submits its id, so it never waits for an optimisation.
* :class:`CeleryExecutor` (``ENERGY_QUEUE=celery``): the id goes to Redis;
  any number of Celery workers (:mod:`api.worker`) on any number of machines
  execute it.

Both end in :func:`api.jobs.execute_run`, and both run a
:class:`~api.jobs.Reaper` in the API process. Routers hand stored jobs over
with :func:`submit_jobs`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.errors import QueueUnavailableError
from api.jobkinds import Runner
from api.jobs import Outcome, Reaper, execute_run
from api.schemas import RunStatus
from api.settings import Settings
from api.tables import Run, utcnow

logger = logging.getLogger(__name__)


class JobExecutor(ABC):
    """Where runs are executed; the API only ever calls :meth:`submit`."""

    name: str

    @abstractmethod
    def submit(self, run_id: int) -> None:
        """Hand run ``run_id`` (already stored as queued) to the executor."""

    @abstractmethod
    def check(self) -> None:
        """Raise if the queue cannot take runs (for ``/ready``)."""

    def start(self) -> None:  # noqa: B027  (optional hook)
        """Start background threads (called once when the API starts)."""

    def shutdown(self) -> None:  # noqa: B027  (optional hook)
        """Stop background threads (called once when the API stops)."""


class InlineExecutor(JobExecutor):
    """Threads inside the API process (``ENERGY_QUEUE=inline``).

    On start it submits every queued run (left over from a previous process)
    and starts a :class:`Reaper` for runs whose thread died with its process.
    """

    name = "inline"

    def __init__(self, engine: Engine, settings: Settings, runner: Runner | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.runner = runner
        self._pool = ThreadPoolExecutor(settings.inline_workers, thread_name_prefix="energy-run")
        self._reaper: Reaper | None = None
        self._closed = False

    def submit(self, run_id: int) -> None:
        """Queue the run on the thread pool."""
        self._pool.submit(self._execute, run_id)

    def _execute(self, run_id: int) -> Outcome:
        try:
            return execute_run(run_id, self.engine, self.settings, self.runner)
        except Exception:  # logged, the reaper will requeue or fail the run
            logger.exception("run %s: executor error", run_id)
            return Outcome.lost

    def check(self) -> None:
        """Raise when the pool was shut down."""
        if self._closed:
            raise RuntimeError("the inline executor is shut down")

    def start(self) -> None:
        """Resume queued runs and start the reaper."""
        with Session(self.engine) as session:
            queued = session.exec(
                select(Run.id).where(col(Run.status) == RunStatus.queued).order_by(col(Run.id))
            ).all()
        for run_id in queued:
            assert run_id is not None
            self.submit(run_id)
        if queued:
            logger.info("inline executor: resumed %d queued runs", len(queued))
        self._reaper = Reaper(self.engine, self.settings, self.submit)
        self._reaper.start()

    def shutdown(self) -> None:
        """Stop the reaper; running jobs finish, queued ones stay queued in the database."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)


class CeleryExecutor(JobExecutor):
    """Celery workers on Redis (``ENERGY_QUEUE=celery``); see :mod:`api.worker`."""

    name = "celery"

    def __init__(self, engine: Engine, settings: Settings) -> None:
        # Celery is imported only where the celery queue is used (not by inline APIs).
        from api.celery_app import TASK_NAME, make_celery

        self.engine = engine
        self.settings = settings
        self.app = make_celery(settings)
        self.task_name = TASK_NAME
        self._reaper: Reaper | None = None

    def submit(self, run_id: int) -> None:
        """Send the run id to the queue."""
        self.app.send_task(self.task_name, args=[run_id], queue=self.settings.celery_queue_name)

    def check(self) -> None:
        """Connect to the broker (raises when Redis is unreachable)."""
        with self.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)

    def start(self) -> None:
        """Start a reaper in the API process too (workers run their own)."""
        self._reaper = Reaper(self.engine, self.settings, self.submit)
        self._reaper.start()

    def shutdown(self) -> None:
        """Stop the reaper."""
        if self._reaper is not None:
            self._reaper.stop()


def make_executor(engine: Engine, settings: Settings) -> JobExecutor:
    """Return the executor that ``ENERGY_QUEUE`` names."""
    if settings.queue == "celery":
        return CeleryExecutor(engine, settings)
    return InlineExecutor(engine, settings)


def submit_jobs(session: Session, executor: JobExecutor, runs: list[Run]) -> None:
    """Hand stored jobs to the executor; if the queue refuses, fail the rest and answer 503."""
    for i, run in enumerate(runs):
        assert run.id is not None
        try:
            executor.submit(run.id)
        except Exception as exc:
            logger.exception("job %s: the queue did not take it", run.id)
            error = f"the job queue ({executor.name}) was unreachable: {type(exc).__name__}"
            for rest in runs[i:]:
                rest.status = RunStatus.failed
                rest.error = error
                rest.finished_at = utcnow()
                session.add(rest)
            session.commit()
            raise QueueUnavailableError(
                f"{len(runs) - i} of {len(runs)} jobs not started: {error}"
            ) from exc
