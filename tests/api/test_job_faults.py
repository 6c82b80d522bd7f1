"""A database or a broker that is away: jobs are retried or handed back, never failed or lost.

The database errors are raised by patched functions (the error SQLAlchemy
raises for a stopped server); the real outages, with a PostgreSQL and a Redis
of their own, are in ``tests/api/integration/test_faults.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

import api.jobs
from api.jobs import Outcome, execute_run, reap_lost_runs
from api.schemas import RunStatus
from api.tables import utcnow
from tests.api.conftest import fake_runner
from tests.api.test_jobs import get_run, set_run


def db_down() -> OperationalError:
    """The error psycopg gives SQLAlchemy when the server refuses connections."""
    return OperationalError("SELECT 1", {}, Exception("connection refused"))


def failing(times: int, real: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``real`` so that its first ``times`` calls raise :func:`db_down`."""
    calls = {"n": 0}

    def call(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise db_down()
        return real(*args, **kwargs)

    return call


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api.jobs, "DB_RETRY_FIRST_S", 0.01)
    monkeypatch.setattr(api.jobs, "DB_RETRY_MAX_S", 0.02)


@pytest.fixture
def queued(world: Any) -> int:
    return int(world.start_run(world.create_scenario(world.create_district())))


def test_a_run_that_cannot_be_claimed_stays_queued_and_raises(
    engine: Any, settings: Any, queued: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.jobs, "_claim", failing(1, api.jobs._claim))
    with pytest.raises(OperationalError):  # the Celery task retries on this
        execute_run(queued, engine, settings, fake_runner)
    run = get_run(engine, queued)
    assert (run.status, run.attempts) == (RunStatus.queued, 0)
    assert execute_run(queued, engine, settings, fake_runner) == Outcome.succeeded
    assert get_run(engine, queued).attempts == 1


def test_progress_writes_skip_while_the_database_is_away(
    engine: Any, settings: Any, queued: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fake_runner reports twice (0.5 and 1.0); both writes fail, the run does not
    monkeypatch.setattr(api.jobs._Lease, "_touch", failing(2, api.jobs._Lease._touch))
    assert execute_run(queued, engine, settings, fake_runner) == Outcome.succeeded
    run = get_run(engine, queued)
    assert (run.status, run.attempts, run.error) == (RunStatus.succeeded, 1, None)


def test_the_final_write_is_retried_until_the_database_is_back(
    engine: Any, settings: Any, queued: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.jobs, "_finish", failing(3, api.jobs._finish))
    assert execute_run(queued, engine, settings, fake_runner) == Outcome.succeeded
    run = get_run(engine, queued)
    assert (run.status, run.attempts) == (RunStatus.succeeded, 1)


def test_a_final_write_that_never_gets_through_leaves_the_run_to_the_reaper(
    engine: Any, settings: Any, queued: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.jobs, "_finish", failing(10**6, api.jobs._finish))
    with pytest.raises(OperationalError):
        execute_run(queued, engine, settings, fake_runner)  # gives up after heartbeat_timeout_s
    run = get_run(engine, queued)
    assert run.status == RunStatus.running  # not failed: the heartbeat goes stale, then
    set_run(engine, queued, heartbeat_at=utcnow() - dt.timedelta(minutes=5))
    assert reap_lost_runs(engine, settings, lambda _: None)["requeued"] == [queued]


def test_unreadable_inputs_hand_the_run_back_then_fail_it_on_the_last_attempt(
    engine: Any, settings: Any, queued: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.jobs, "load_run_inputs", failing(2, api.jobs.load_run_inputs))
    with pytest.raises(OperationalError):
        execute_run(queued, engine, settings, fake_runner)
    run = get_run(engine, queued)
    assert (run.status, run.attempts, run.error) == (RunStatus.queued, 1, None)
    assert "database unreachable during attempt 1" in run.progress_message
    # settings.max_attempts is 2: the second interrupted attempt is the last one
    with pytest.raises(OperationalError):
        execute_run(queued, engine, settings, fake_runner)
    run = get_run(engine, queued)
    assert (run.status, run.attempts) == (RunStatus.failed, 2)
    assert "database unreachable during attempt 2" in (run.error or "")
    assert "last allowed attempt" in (run.error or "")


def test_a_resend_the_broker_refused_is_tried_at_the_next_sweep(
    engine: Any, settings: Any, queued: int
) -> None:
    set_run(engine, queued, queued_at=utcnow() - dt.timedelta(hours=2))
    sent: list[int] = []
    broker_up = False

    def submit(run_id: int) -> None:
        if not broker_up:
            raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")
        sent.append(run_id)

    assert reap_lost_runs(engine, settings, submit)["resent"] == [queued]
    assert sent == []
    broker_up = True
    assert reap_lost_runs(engine, settings, submit)["resent"] == [queued]  # not an interval later
    assert sent == [queued]
    assert reap_lost_runs(engine, settings, submit)["resent"] == []


def test_a_requeued_run_the_broker_refused_is_sent_at_the_next_sweep(
    engine: Any, settings: Any, queued: int
) -> None:
    old = utcnow() - dt.timedelta(minutes=5)
    set_run(engine, queued, status=RunStatus.running, attempts=1, heartbeat_at=old)

    def refuse(run_id: int) -> None:
        raise ConnectionError("broker down")

    assert reap_lost_runs(engine, settings, refuse)["requeued"] == [queued]
    sent: list[int] = []
    assert reap_lost_runs(engine, settings, sent.append)["resent"] == [queued]
    assert sent == [queued]


def test_a_run_waiting_in_a_busy_queue_executes_once_however_often_it_is_resent(
    engine: Any, settings: Any, queued: int
) -> None:
    sent: list[int] = [queued]  # the original message
    for _ in range(3):  # it waited three intervals behind other runs
        set_run(engine, queued, queued_at=utcnow() - dt.timedelta(hours=2))
        reap_lost_runs(engine, settings, sent.append)
    assert sent == [queued] * 4
    outcomes = [execute_run(run_id, engine, settings, fake_runner) for run_id in sent]
    assert outcomes == [Outcome.succeeded] + [Outcome.skipped] * 3
    assert get_run(engine, queued).attempts == 1


def test_the_celery_task_retries_instead_of_acknowledging(monkeypatch: pytest.MonkeyPatch) -> None:
    import api.worker

    monkeypatch.setattr(
        api.worker, "execute_run", failing(2, lambda *args, **kwargs: Outcome.succeeded)
    )
    monkeypatch.setattr(api.worker, "get_engine", lambda: None)
    result = api.worker.execute_run_task.apply(args=[7])  # eager: retries run at once
    assert result.get() == "succeeded"
    assert api.worker.execute_run_task.autoretry_for == api.jobs.DATABASE_UNAVAILABLE
    assert api.worker.execute_run_task.max_retries == api.worker.DB_RETRY_MAX
