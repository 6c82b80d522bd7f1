"""Integration: PostgreSQL stopped under writes, Redis killed: no accepted run lost or stuck.

Each test makes its own PostgreSQL cluster and its own Redis server on free
ports (:mod:`tests.api.integration.servers`), runs the API in this process
and two real Celery workers as subprocesses, and keeps writing through the
API (scenarios, and runs now and then) while one server goes away:

* PostgreSQL stopped in immediate mode (as in a crash) for about 10 s; the
  reaper's re-send of queued runs is off (``requeue_queued_after_s`` an hour),
  so runs whose message a worker took during the outage are saved by the
  task's own retry (:mod:`api.worker`), or they stay queued and the test fails;
* Redis (append-only file on, as in docker-compose.yml) killed with SIGKILL
  and restarted on its files; Redis re-delivers unacknowledged messages only
  after ``visibility_timeout_s`` (10 min here), so what the workers held when
  it died is re-sent by the reaper after ``requeue_queued_after_s`` (10 s).

Both check: every run the API accepted (202) ends succeeded, or failed with a
reason, within the bound; every write the API acknowledged (2xx) is in the
database afterwards; a run refused with 503 is failed with the reason, not
left queued. Figures are printed (``pytest -s``) for the report.
"""

from __future__ import annotations

import ast
import datetime as dt
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.db import make_engine
from api.main import create_app
from api.schemas import RunStatus
from api.settings import Settings
from api.tables import Run, Scenario, utcnow
from tests.api.conftest import TestClient, build_world
from tests.api.integration.servers import PostgresCluster, RedisServer, wait_until
from tests.api.integration.test_postgres_celery import Worker, celery_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FINAL = (RunStatus.succeeded, RunStatus.failed, RunStatus.cancelled)
#: A reaper's line in a worker's log: "[2026-12-03 18:36:33,740: WARNING/MainProcess] reaper: {..}"
REAPER_LINE = re.compile(r"\[([\d-]+ [\d:]+),(\d+): \w+/\w+\] (reaper: .*)")


@pytest.fixture
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> Iterator[RedisServer]:
    server = RedisServer(append_only=getattr(request, "param", True))
    try:
        yield server
    finally:
        server.remove()


def fault_settings(database_url: str, redis_url: str, requeue_s: float) -> Settings:
    """Reapers every second; Redis's own re-delivery (visibility timeout) out of reach."""
    return celery_settings(
        database_url,
        redis_url,
        reaper_interval_s=1.0,
        requeue_queued_after_s=requeue_s,
        visibility_timeout_s=600,
    )


@dataclass
class Load:
    """Writes through the API from a thread: a scenario each time, every third one a run."""

    client: TestClient
    headers: dict[str, str]
    district_id: int
    max_runs: int
    attempted: int = 0
    scenarios: dict[int, str] = field(default_factory=dict)  # id -> name, 201 answers
    runs: dict[int, dt.datetime] = field(default_factory=dict)  # id -> UTC time of the 202
    refused: Counter[str] = field(default_factory=Counter)  # status code or exception
    ok_at: list[float] = field(default_factory=list)  # monotonic time of every 2xx
    stop: threading.Event = field(default_factory=threading.Event)

    def _post(self, url: str, **kwargs: Any) -> Any:
        self.attempted += 1
        try:
            r = self.client.post(url, headers=self.headers, **kwargs)
        except Exception as exc:  # counted; the test looks at what was acknowledged
            self.refused[type(exc).__name__] += 1
            return None
        if r.status_code >= 300:
            self.refused[str(r.status_code)] += 1
            return None
        self.ok_at.append(time.monotonic())
        return r.json()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            name = f"load-{n}"
            body = {
                "name": name,
                "district_id": self.district_id,
                "options": {"start": "2025-06-02", "days": 1},
            }
            scenario = self._post("/scenarios", json=body)
            if scenario is not None:
                self.scenarios[scenario["id"]] = name
                if len(self.scenarios) % 3 == 1 and len(self.runs) < self.max_runs:
                    run = self._post(f"/scenarios/{scenario['id']}/runs")
                    if run is not None:
                        self.runs[run["id"]] = utcnow()
            time.sleep(0.02)  # pacing: leave the two cores to the workers

    def oks_since(self, t: float) -> int:
        return sum(1 for s in list(self.ok_at) if s > t)


class Resends(logging.Handler):
    """Collects the reapers' re-sends: this process's from logging, the workers' from their logs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[tuple[dt.datetime, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("reaper: "):
            self.lines.append((dt.datetime.fromtimestamp(record.created, dt.UTC), message))

    def after(self, t: dt.datetime, workers: list[Worker]) -> dict[int, float]:
        """Run ids re-sent (or re-queued) after ``t``, with the seconds since ``t``."""
        lines = list(self.lines)
        for worker in workers:
            for m in REAPER_LINE.finditer(worker.log_path.read_text()):
                stamp = dt.datetime.fromisoformat(f"{m[1]}.{m[2]}").replace(tzinfo=dt.UTC)
                lines.append((stamp, m[3]))
        sent: dict[int, float] = {}
        for stamp, message in sorted(lines):
            done = ast.literal_eval(message.removeprefix("reaper: "))
            for run_id in done.get("resent", []) + done.get("requeued", []):
                if stamp > t:
                    sent.setdefault(run_id, round((stamp - t).total_seconds(), 1))
        return sent


@dataclass
class Stack:
    """The API (in this process) and two workers on one database and one Redis."""

    client: TestClient
    engine: Engine
    settings: Settings
    workers: list[Worker]
    load: Load
    thread: threading.Thread
    resends: Resends


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[Any]:
    with ExitStack() as cleanup:  # unwinds also after a failure: no process outlives the test

        def build(settings: Settings, max_runs: int) -> Stack:
            engine = make_engine(settings.database_url)
            cleanup.callback(engine.dispose)
            resends = Resends()
            logging.getLogger("api.jobs").addHandler(resends)
            cleanup.callback(logging.getLogger("api.jobs").removeHandler, resends)
            app = create_app(settings, engine=engine)
            # entering migrates the database and starts the API's reaper
            client = cleanup.enter_context(TestClient(app, raise_server_exceptions=False))
            world = build_world(client, engine)
            workers = []
            for name in ("left", "right"):
                workers.append(Worker(settings, name, tmp_path))
                cleanup.callback(workers[-1].stop)
            for worker in workers:
                worker.wait_ready()
            load = Load(client, world.h("planner_a"), world.create_district(), max_runs)
            thread = threading.Thread(target=load.run, name="load")
            thread.start()
            cleanup.callback(thread.join, timeout=60)
            cleanup.callback(load.stop.set)
            return Stack(client, engine, settings, workers, load, thread, resends)

        yield build


def wait_all_final(stack: Stack, timeout_s: float) -> dict[int, Run]:
    """Wait until every run row is final; return them by id."""
    runs: dict[int, Run] = {}

    def done() -> bool:
        with Session(stack.engine) as session:
            rows = session.exec(select(Run)).all()
        runs.clear()
        runs.update({row.id: row for row in rows if row.id is not None})
        return all(row.status in FINAL for row in rows)

    try:
        wait_until(done, "every run final", timeout_s)
    except AssertionError:
        stuck = {i: (r.status, r.attempts, r.progress_message) for i, r in runs.items()}
        raise AssertionError(f"runs not final after {timeout_s} s: {stuck}") from None
    return runs


def check_nothing_lost(stack: Stack, runs: dict[int, Run]) -> dict[str, Any]:
    """Assert the invariants; return the figures for the report."""
    load = stack.load
    assert load.runs, "no run was accepted"
    assert set(load.runs) <= set(runs)
    # every run ends with an answer: the accepted ones, and those whose request got an
    # error answer (refused by the queue: failed with the reason; or written, then the
    # answer failed: executed all the same)
    for run in runs.values():
        assert run.status == RunStatus.succeeded or run.error, run
    with Session(stack.engine) as session:
        stored = dict(
            session.exec(
                select(Scenario.id, Scenario.name).where(col(Scenario.id).in_(load.scenarios))
            ).all()
        )
    assert stored == load.scenarios  # every 2xx write is there
    finished = {i: runs[i].finished_at for i in load.runs}
    assert all(finished.values()), finished
    waited = {i: ((finished[i] or t) - t).total_seconds() for i, t in load.runs.items()}
    return {
        "writes attempted": load.attempted,
        "writes acknowledged (2xx)": len(load.scenarios) + len(load.runs),
        "writes refused": dict(load.refused),
        "runs accepted": len(load.runs),
        "run rows without a 2xx answer": dict(
            Counter(r.status.value for i, r in runs.items() if i not in load.runs)
        ),
        "accepted runs by status": dict(Counter(runs[i].status.value for i in load.runs)),
        "attempts of accepted runs": dict(Counter(runs[i].attempts for i in load.runs)),
        "longest 202 -> final [s]": round(max(waited.values()), 1),
    }


def retries_logged(stack: Stack) -> int:
    """Number of task retries the workers logged ("Retry in ...")."""
    return sum(w.log_path.read_text().count("Retry in") for w in stack.workers)


def test_postgres_stopped_under_writes(
    postgres: PostgresCluster, broker: RedisServer, make_stack: Any
) -> None:
    url = postgres.create_database("energy")
    # the reaper's re-send is off: the task's retry alone must save the runs
    stack = make_stack(fault_settings(url, broker.url, requeue_s=3600), max_runs=24)
    load = stack.load
    wait_until(lambda: len(load.runs) >= 8, "8 runs accepted", timeout_s=120)
    backlog = len(load.runs)
    down_at = time.monotonic()
    postgres.stop()
    stopped_s = time.monotonic() - down_at
    time.sleep(10.0)  # the outage itself, not a wait for a condition
    start_at = time.monotonic()
    postgres.start()
    up_at, up_utc = time.monotonic(), utcnow()
    first_ok_s = wait_until(lambda: load.oks_since(up_at) > 0, "a 2xx after restart", 120)
    wait_until(lambda: load.oks_since(up_at) >= 50, "50 writes after restart", timeout_s=180)
    load.stop.set()
    stack.thread.join(timeout=60)
    runs = wait_all_final(stack, timeout_s=600)
    all_final_s = time.monotonic() - up_at
    figures = check_nothing_lost(stack, runs)
    retries = retries_logged(stack)
    assert retries >= 1, "no task met the outage: the test did not test the fault"
    down = [s for s in load.ok_at if down_at < s < up_at]
    print(
        f"\nPostgreSQL down {up_at - down_at:.1f} s (immediate stop {stopped_s:.1f} s, "
        f"start and WAL replay {up_at - start_at:.1f} s), backlog {backlog} runs;"
        f" first 2xx {first_ok_s:.1f} s after restart; 2xx during the outage: {len(down)};"
        f" task retries {retries}; all runs final {all_final_s:.1f} s after restart;"
        f" re-sent or re-queued by a reaper [s after restart]:"
        f" {stack.resends.after(up_utc, stack.workers)}; {figures}"
    )


@pytest.mark.parametrize("broker", [True, False], ids=["aof", "no-aof"], indirect=True)
def test_redis_killed_and_restarted(
    postgres: PostgresCluster, broker: RedisServer, make_stack: Any
) -> None:
    url = postgres.create_database("energy")
    requeue_s = 10.0
    stack = make_stack(fault_settings(url, broker.url, requeue_s=requeue_s), max_runs=18)
    load = stack.load
    wait_until(lambda: len(load.runs) >= 8, "8 runs accepted", timeout_s=120)
    backlog = len(load.runs)
    down_at = time.monotonic()
    broker.kill()
    wait_until(lambda: sum(load.refused.values()) >= 1, "a write refused", timeout_s=60)
    time.sleep(3.0)  # the outage itself
    broker.start()  # with the append-only file: replays it; without: empty
    up_at, up_utc = time.monotonic(), utcnow()
    wait_until(lambda: load.oks_since(up_at) >= 50, "50 writes after restart", timeout_s=180)
    load.stop.set()
    stack.thread.join(timeout=60)
    # bound: the re-send interval, then the queue's work (18 short runs on 2 workers)
    runs = wait_all_final(stack, timeout_s=requeue_s + 180)
    all_final_s = time.monotonic() - up_at
    figures = check_nothing_lost(stack, runs)
    resent = stack.resends.after(up_utc, stack.workers)
    if not broker.append_only:  # the queue came back empty: the reapers re-sent what was queued
        assert resent, "no run was re-sent after an empty restart"
    print(
        f"\nRedis SIGKILL (append-only file: {broker.append_only}), back after"
        f" {up_at - down_at:.1f} s, backlog {backlog} runs; all runs final {all_final_s:.1f} s"
        f" after restart; re-sent or re-queued by a reaper [s after restart]: {resent}; {figures}"
    )
