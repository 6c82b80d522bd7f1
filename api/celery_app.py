"""The Celery application: broker, delivery settings and the task's name, nothing else.

Both ends of the queue build their app here: the API sends run ids with it
(:class:`api.executors.CeleryExecutor`), the workers register the task on it
(:mod:`api.worker`). It imports neither end, so neither imports the other.

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
"""

from __future__ import annotations

from celery import Celery

from api.settings import Settings

#: Name of the one task: execute the job row whose id is its argument.
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
