"""Job execution: claim once, heartbeats, the reaper, lost leases, the inline executor."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from api.db import make_engine, migrate
from api.executors import InlineExecutor
from api.jobkinds import JOB_KINDS, Job, JobKind, Output
from api.jobs import Outcome, execute_run, reap_lost_runs
from api.schemas import RunKind, RunStatus
from api.tables import Run, utcnow
from tests.api.conftest import (
    RecordingExecutor,
    TestClient,
    World,
    build_app,
    build_world,
    fake_runner,
    make_settings,
)


def set_run(engine: Any, run_id: int, **values: Any) -> None:
    with Session(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        for key, value in values.items():
            setattr(run, key, value)
        session.add(run)
        session.commit()


def get_run(engine: Any, run_id: int) -> Run:
    with Session(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        return run


@pytest.fixture
def queued(world: World) -> int:
    return world.start_run(world.create_scenario(world.create_district()))


def test_a_run_delivered_twice_executes_once(engine: Any, settings: Any, queued: int) -> None:
    assert execute_run(queued, engine, settings, fake_runner) == Outcome.succeeded
    assert execute_run(queued, engine, settings, fake_runner) == Outcome.skipped
    assert get_run(engine, queued).attempts == 1


def test_every_job_kind_has_one_entry_in_the_dispatch_table() -> None:
    assert set(JOB_KINDS) == set(RunKind)
    nouns = [kind.noun for kind in JOB_KINDS.values()]
    assert len(set(nouns)) == len(nouns)


def test_a_job_does_the_work_its_kind_names_in_the_table(
    engine: Any, settings: Any, queued: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int | None, RunKind, str, Any]] = []

    def work(job: Job) -> Output:
        seen.append((job.run.id, job.run.kind, job.district.site.name, job.network))
        job.progress(0.5, "half way")
        return Output(output={"answer": 42})

    monkeypatch.setitem(JOB_KINDS, RunKind.scenario, JobKind("run", work))
    assert execute_run(queued, engine, settings, fake_runner) == Outcome.succeeded
    assert seen == [(queued, RunKind.scenario, "Testquartier", None)]
    run = get_run(engine, queued)
    assert run.output == {"answer": 42} and run.progress_frac == 1.0


def test_reaper_requeues_then_fails_lost_runs(engine: Any, settings: Any, queued: int) -> None:
    old = utcnow() - dt.timedelta(seconds=10 * settings.heartbeat_timeout_s)
    set_run(engine, queued, status=RunStatus.running, attempts=1, heartbeat_at=old, worker="w1:123")
    sent: list[int] = []
    done = reap_lost_runs(engine, settings, sent.append)
    assert done["requeued"] == [queued] and sent == [queued]
    run = get_run(engine, queued)
    assert run.status == RunStatus.queued and "w1:123 lost" in run.progress_message
    # second attempt lost as well: max_attempts (2) used up -> failed with the reason
    set_run(engine, queued, status=RunStatus.running, attempts=2, heartbeat_at=old)
    done = reap_lost_runs(engine, settings, sent.append)
    assert done["failed"] == [queued]
    run = get_run(engine, queued)
    assert run.status == RunStatus.failed and run.finished_at is not None
    assert "worker lost" in (run.error or "") and "attempt 2 of 2" in (run.error or "")


def test_reaper_leaves_live_runs_and_cancels_lost_cancelled_ones(
    engine: Any, settings: Any, queued: int
) -> None:
    set_run(engine, queued, status=RunStatus.running, attempts=1, heartbeat_at=utcnow())
    assert not any(reap_lost_runs(engine, settings, lambda _: None).values())
    old = utcnow() - dt.timedelta(minutes=5)
    set_run(engine, queued, heartbeat_at=old, cancel_requested=True)
    assert reap_lost_runs(engine, settings, lambda _: None)["cancelled"] == [queued]
    assert get_run(engine, queued).status == RunStatus.cancelled


def test_reaper_resends_runs_queued_too_long(engine: Any, settings: Any, queued: int) -> None:
    set_run(engine, queued, queued_at=utcnow() - dt.timedelta(hours=2))
    sent: list[int] = []
    assert reap_lost_runs(engine, settings, sent.append)["resent"] == [queued]
    assert sent == [queued]
    assert reap_lost_runs(engine, settings, sent.append)["resent"] == []  # queued_at renewed


def test_redelivery_takes_over_a_stale_run(engine: Any, settings: Any, queued: int) -> None:
    set_run(
        engine,
        queued,
        status=RunStatus.running,
        attempts=1,
        heartbeat_at=utcnow() - dt.timedelta(minutes=5),
        worker="dead",
    )
    assert execute_run(queued, engine, settings, fake_runner, me="w2") == Outcome.succeeded
    run = get_run(engine, queued)
    assert (run.status, run.attempts, run.worker) == (RunStatus.succeeded, 2, "w2")


def test_a_worker_that_lost_its_lease_writes_nothing(
    engine: Any, settings: Any, queued: int, make_runner: Any
) -> None:
    def taken_over() -> None:  # meanwhile the reaper and a second worker took the run
        set_run(engine, queued, attempts=2, worker="w2", progress_message="w2 at work")

    assert execute_run(queued, engine, settings, make_runner(before=taken_over)) == Outcome.lost
    run = get_run(engine, queued)
    assert (run.status, run.worker, run.progress_message) == (RunStatus.running, "w2", "w2 at work")


@pytest.fixture
def file_engine(tmp_path: Path) -> Any:
    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def slow_runner(seconds: float) -> Any:
    def runner(district: Any, options: dict[str, Any], progress: Any) -> Any:
        time.sleep(seconds)
        return fake_runner(district, options, progress)

    return runner


def test_heartbeat_advances_while_the_solver_is_silent(file_engine: Any) -> None:
    settings = make_settings()  # heartbeat every 0.2 s
    executor = RecordingExecutor(file_engine, settings)
    with TestClient(build_app(file_engine, settings, executor)) as client:
        world = build_world(client, file_engine)
        run_id = world.start_run(world.create_scenario(world.create_district()))
    seen: list[dt.datetime] = []

    def runner(district: Any, options: dict[str, Any], progress: Any) -> Any:
        start = get_run(file_engine, run_id).heartbeat_at
        time.sleep(0.9)  # no progress reports, like a long HiGHS solve
        seen.extend([start, get_run(file_engine, run_id).heartbeat_at])
        return fake_runner(district, options, progress)

    assert execute_run(run_id, file_engine, settings, runner) == Outcome.succeeded
    assert seen[1] - seen[0] >= dt.timedelta(seconds=0.4)


def test_two_workers_racing_for_one_run(file_engine: Any) -> None:
    settings = make_settings()
    executor = RecordingExecutor(file_engine, settings)
    with TestClient(build_app(file_engine, settings, executor)) as client:
        world = build_world(client, file_engine)
        run_id = world.start_run(world.create_scenario(world.create_district()))
    outcomes: list[Outcome] = []
    threads = [
        threading.Thread(
            target=lambda: outcomes.append(
                execute_run(run_id, file_engine, settings, slow_runner(0.3))
            )
        )
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [Outcome.skipped, Outcome.succeeded]
    assert get_run(file_engine, run_id).attempts == 1


def test_inline_executor_never_blocks_the_request(file_engine: Any) -> None:
    settings = make_settings()
    executor = InlineExecutor(file_engine, settings, runner=slow_runner(1.0))
    with TestClient(build_app(file_engine, settings, executor)) as client:
        world = build_world(client, file_engine)
        sid = world.create_scenario(world.create_district())
        r = client.post(f"/scenarios/{sid}/runs", headers=world.h("planner_a"))
        assert r.status_code == 202
        # the answer came while the 1-second job had not finished
        assert r.json()["status"] == "queued"
        assert client.get("/ready").json()["checks"]["queue"] == "ok (inline)"
        deadline = time.monotonic() + 30
        status = ""
        while time.monotonic() < deadline:
            status = client.get(r.headers["Location"], headers=world.h("planner_a")).json()[
                "status"
            ]
            if status == "succeeded":
                break
            time.sleep(0.1)
        assert status == "succeeded"


def test_inline_executor_resumes_queued_runs_on_start(file_engine: Any) -> None:
    settings = make_settings()
    recorder = RecordingExecutor(file_engine, settings)
    with TestClient(build_app(file_engine, settings, recorder)) as client:
        world = build_world(client, file_engine)
        run_id = world.start_run(world.create_scenario(world.create_district()))
    # the process "died" with the run queued; a new API process picks it up
    executor = InlineExecutor(file_engine, settings, runner=fake_runner)
    executor.start()
    try:
        deadline = time.monotonic() + 30
        while get_run(file_engine, run_id).status != RunStatus.succeeded:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        executor.shutdown()
