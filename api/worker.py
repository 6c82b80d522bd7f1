"""The Celery worker: the task that executes a job, on workers on any number of machines.

Start one with ``energy-api worker`` (or ``celery -A api.worker worker``). The
environment gives ``ENERGY_DATABASE_URL`` and ``ENERGY_REDIS_URL``. The app
and its delivery settings come from :mod:`api.celery_app`; the work is
:func:`api.jobs.execute_run`, which shares one SQL database with the API.

Each worker also runs a :class:`~api.jobs.Reaper`, so a run whose worker died
is queued again (or failed with the reason) even if Redis lost the message.
A task that cannot reach the database retries with backoff instead of being
acknowledged as done (:func:`execute_run_task`).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Task, signals

from api.celery_app import TASK_NAME, make_celery
from api.db import get_engine
from api.jobs import DATABASE_UNAVAILABLE, Outcome, Reaper, execute_run
from api.settings import get_settings

logger = logging.getLogger(__name__)

celery_app = make_celery(get_settings())


#: Pauses of the task's retries while the database is unreachable: full jitter on
#: 1, 2, 4, ... s, at most :data:`DB_RETRY_BACKOFF_MAX_S` [s]; after
#: :data:`DB_RETRY_MAX` retries (about 30 min) the reaper's re-send is the backstop.
DB_RETRY_BACKOFF_MAX_S = 30
DB_RETRY_MAX = 60


@celery_app.task(
    name=TASK_NAME,
    bind=True,
    autoretry_for=DATABASE_UNAVAILABLE,
    retry_backoff=1,
    retry_backoff_max=DB_RETRY_BACKOFF_MAX_S,
    retry_jitter=True,
    max_retries=DB_RETRY_MAX,
)
def execute_run_task(self: Task, run_id: int) -> str:
    """Execute job ``run_id`` (a run, a sweep point or a sizing); returns the outcome's name.

    The outcome is in the database. Every point of a sweep is a task of its
    own, so the workers share a sweep's points. A database that cannot be
    reached (:data:`api.jobs.DATABASE_UNAVAILABLE`) is not an outcome: the
    task is sent again with exponential backoff (Celery's ``autoretry_for``)
    before its message is acknowledged, so a message taken while PostgreSQL
    is down still executes its run once the database is back.
    """
    me = f"{self.request.hostname or 'celery'}:{os.getpid()}"
    outcome: Outcome = execute_run(run_id, get_engine(), get_settings(), me=me)
    return outcome.value


_reaper: list[Reaper] = []


@signals.worker_process_init.connect
def _fresh_engine(**_: Any) -> None:
    """Drop the parent's database connections in a forked pool process."""
    get_engine().dispose(close=False)


@signals.worker_ready.connect
def _start_reaper(**_: Any) -> None:
    settings = get_settings()

    def resend(run_id: int) -> None:
        # the reaper thread publishes on a connection of its own (kombu connections
        # are not shared between threads)
        with celery_app.connection_for_write() as connection:
            celery_app.send_task(
                TASK_NAME, args=[run_id], queue=settings.celery_queue_name, connection=connection
            )

    reaper = Reaper(get_engine(), settings, resend)
    reaper.start()
    _reaper.append(reaper)


@signals.worker_shutdown.connect
def _stop_reaper(**_: Any) -> None:
    while _reaper:
        _reaper.pop().stop()
