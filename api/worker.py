"""Celery app and task: workers on any number of machines, sharing one SQL database.

Start one with ``energy-api worker`` (or ``celery -A api.worker worker``). The
environment gives ``ENERGY_DATABASE_URL`` and ``ENERGY_REDIS_URL``.

Delivery settings (Celery docs, "Tasks: acks_late" and "Redis: visibility
timeout"):

* ``task_acks_late``: the message is acknowledged after the task returned, so
  a worker that dies mid-run leaves it in Redis for re-delivery;
* ``task_reject_on_worker_lost``: a pool process killed mid-task puts the
  message back at once;
* ``worker_prefetch_multiplier=1``: a worker reserves one run per process, so
  N workers share a batch of runs evenly;
* ``visibility_timeout``: Redis re-delivers an unacknowledged run after
  ``ENERGY_VISIBILITY_TIMEOUT_S``; a re-delivery of a run that is still alive
  elsewhere is skipped by the claim in :func:`api.jobs.execute_run`.

Each worker also runs a :class:`~api.jobs.Reaper`, so a run whose worker died
is queued again (or failed with the reason) even if Redis lost the message.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, Task, signals

from api.db import get_engine
from api.jobs import Outcome, Reaper, execute_run
from api.settings import Settings, get_settings

logger = logging.getLogger(__name__)

TASK_NAME = "energy.execute_run"


def make_celery(settings: Settings) -> Celery:
    """Return a Celery app configured from ``settings``."""
    app = Celery("energy", broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=settings.celery_queue_name,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_s,
            "unacked_restore_interval": min(10, settings.visibility_timeout_s),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


celery_app = make_celery(get_settings())


@celery_app.task(name=TASK_NAME, bind=True)
def execute_run_task(self: Task, run_id: int) -> str:
    """Execute job ``run_id`` (a run, a sweep point or a sizing); returns the outcome's name.

    The outcome is in the database. Every point of a sweep is a task of its
    own, so the workers share a sweep's points.
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
