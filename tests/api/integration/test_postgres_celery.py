"""Integration: the real PostgreSQL and Redis of this machine, real Celery worker processes.

A fresh PostgreSQL database and a dedicated Redis database number per test
session (both removed at the end). Workers are started with subprocess, as a
deployment would start them, and one is killed with SIGKILL in the middle of a
run: the run must end succeeded on another worker (re-delivery or the reaper)
or failed with a reason, never stay "running".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

from api.db import make_engine
from api.main import create_app
from api.schemas import RunStatus
from api.settings import Settings
from api.tables import Run, RunResult
from energy.district import GERA_DISTRICT_FILE
from tests.api.conftest import TestClient, build_world

pytestmark = pytest.mark.integration

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
#: Redis database of these tests (flushed before and after); the sweep test uses the one
#: below it. Set ENERGY_TEST_REDIS_DB when two checkouts run the suite on one Redis.
REDIS_DB = int(os.environ.get("ENERGY_TEST_REDIS_DB", "13"))
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 unreachable: {exc}")
    name = f"energy_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def flushed_redis(url: str) -> Iterator[str]:
    """Yield ``url`` with its Redis database flushed before and after (skip if unreachable)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.skip(f"Redis on 127.0.0.1:6379 unreachable: {exc}")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def redis_db() -> Iterator[str]:
    yield from flushed_redis(REDIS_URL)


def celery_settings(database_url: str, redis_url: str, **overrides: Any) -> Settings:
    """Settings of the integration tests: heartbeats in seconds, a queue name of their own."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "queue": "celery",
        "redis_url": redis_url,
        "heartbeat_interval_s": 1.0,
        "heartbeat_timeout_s": 6.0,
        "reaper_interval_s": 2.0,
        "visibility_timeout_s": 30,
        "max_attempts": 3,
        "celery_queue_name": f"energy-test-{uuid.uuid4().hex[:8]}",
    }
    return Settings(**(values | overrides))


@pytest.fixture(scope="module")
def settings(pg_url: str, redis_db: str) -> Settings:
    return celery_settings(pg_url, redis_db)


def worker_env(settings: Settings) -> dict[str, str]:
    values = {
        "DATABASE_URL": settings.database_url,
        "QUEUE": settings.queue,
        "REDIS_URL": settings.redis_url,
        "HEARTBEAT_INTERVAL_S": str(settings.heartbeat_interval_s),
        "HEARTBEAT_TIMEOUT_S": str(settings.heartbeat_timeout_s),
        "REAPER_INTERVAL_S": str(settings.reaper_interval_s),
        "REQUEUE_QUEUED_AFTER_S": str(settings.requeue_queued_after_s),
        "VISIBILITY_TIMEOUT_S": str(settings.visibility_timeout_s),
        "MAX_ATTEMPTS": str(settings.max_attempts),
        "CELERY_QUEUE_NAME": settings.celery_queue_name,
    }
    return dict(os.environ) | {f"ENERGY_{k}": v for k, v in values.items()}


class Worker:
    """A Celery worker process (its own session, so SIGKILL takes its pool too)."""

    def __init__(self, settings: Settings, name: str, log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.cli",
                "worker",
                "--concurrency",
                "1",
                "--hostname",
                f"{name}@%h",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=worker_env(settings),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if " ready." in self.log_path.read_text():
                return
            assert self.proc.poll() is None, self.log_path.read_text()
            time.sleep(0.2)
        raise AssertionError(f"worker {self.name} not ready:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool: a machine that dies."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self._log.close()


@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[Callable[[str], Worker]]:
    workers: list[Worker] = []

    def start(name: str) -> Worker:
        worker = Worker(settings, name, tmp_path)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[tuple[TestClient, Any]]:
    engine = make_engine(settings.database_url)
    with TestClient(create_app(settings, engine=engine)) as client:  # migrates PostgreSQL
        world = build_world(client, engine)
        yield client, world
    engine.dispose()


def gera_scenario(client: TestClient, world: Any, days: int) -> int:
    h = world.h("planner_a")
    if not hasattr(world, "gera_id"):
        r = client.post(
            "/districts/yaml?visibility=published",
            content=GERA_DISTRICT_FILE.read_bytes(),
            headers=h | {"Content-Type": "application/yaml"},
        )
        assert r.status_code == 201, r.text
        world.gera_id = r.json()["id"]
    return int(world.create_scenario(world.gera_id, options={"start": "2025-06-02", "days": days}))


def wait_for(
    client: TestClient, world: Any, run_id: int, done: Callable[[dict], bool], timeout_s: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = client.get(f"/runs/{run_id}", headers=world.h("planner_a")).json()
        if done(run):
            return run
        time.sleep(0.25)
    raise AssertionError(f"run {run_id} did not get there in {timeout_s} s: {run}")


def final(run: dict[str, Any]) -> bool:
    return run["status"] in ("succeeded", "failed", "cancelled")


def test_migrations_match_the_models_on_postgres(api: Any, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()


def test_ready_checks_postgres_and_redis(api: Any) -> None:
    client, _ = api
    r = client.get("/ready")
    assert r.status_code == 200, r.text
    assert r.json()["checks"] == {"database": "ok", "queue": "ok (celery)"}


def test_a_real_run_on_a_celery_worker(
    api: Any, settings: Settings, start_worker: Callable[[str], Worker]
) -> None:
    client, world = api
    sid = gera_scenario(client, world, days=2)
    # queued before any worker exists: nothing is lost, the worker picks it up later
    r = client.post(f"/scenarios/{sid}/runs", headers=world.h("planner_a"))
    assert r.status_code == 202
    run_id = r.json()["id"]
    cancelled = client.post(f"/scenarios/{sid}/runs", headers=world.h("planner_a")).json()["id"]
    assert (
        client.post(f"/runs/{cancelled}/cancel", headers=world.h("planner_a")).json()["status"]
        == "cancelled"
    )
    start_worker("alpha")
    run = wait_for(client, world, run_id, final, timeout_s=240)
    assert run["status"] == "succeeded", run
    assert run["worker"].startswith("alpha@") and run["attempts"] == 1
    results = client.get(f"/runs/{run_id}/results", headers=world.h("planner_a")).json()
    assert results["kpis"]["optimised"]["cost_eur"] <= results["kpis"]["B0"]["cost_eur"] + 1e-6
    schedule = client.get(f"/runs/{run_id}/schedule", headers=world.h("planner_a")).json()
    assert len(schedule["rows"]) == 48
    # the results live in PostgreSQL, written by the worker process
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        row = session.get(Run, run_id)
        assert row is not None and (row.worker or "").startswith("alpha@")
        assert session.get(RunResult, run_id) is not None
        assert session.get(Run, cancelled).status == RunStatus.cancelled  # skipped, not run
        assert session.get(RunResult, cancelled) is None
    engine.dispose()


def test_a_simbench_import_on_a_celery_worker(
    api: Any, settings: Settings, start_worker: Callable[[str], Worker]
) -> None:
    """The import job runs on a worker and its version lands in PostgreSQL (ODbL)."""
    client, world = api
    h = world.h("planner_a")
    district_id = world.create_district()
    r = client.post(
        f"/districts/{district_id}/network/simbench", json={"code": "1-LV-rural1--0-sw"}, headers=h
    )
    assert r.status_code == 202, r.text
    start_worker("importer")
    deadline = time.monotonic() + 120
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = client.get(r.headers["Location"], headers=h).json()
        if final(job):
            break
        time.sleep(0.25)
    assert job["status"] == "succeeded", (job["error"], job["progress_message"])
    assert job["version"] == 2 and job["attempts"] == 1
    detail = client.get(job["district_url"], headers=h).json()
    assert detail["version"]["source"] == "simbench" and detail["licence"].startswith("ODbL-1.0")
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        row = session.get(Run, job["id"])
        assert row is not None and row.scenario_id is None
        assert (row.worker or "").startswith("importer@")
    engine.dispose()


def test_worker_killed_mid_run_is_recovered(
    api: Any, settings: Settings, start_worker: Callable[[str], Worker]
) -> None:
    client, world = api
    sid = gera_scenario(client, world, days=28)
    doomed = start_worker("doomed")
    run_id = client.post(f"/scenarios/{sid}/runs", headers=world.h("planner_a")).json()["id"]
    running = wait_for(
        client,
        world,
        run_id,
        lambda r: r["status"] == "running" and r["progress_frac"] > 0.0,
        timeout_s=180,
    )
    assert running["attempts"] == 1
    doomed.kill()
    time.sleep(2 * settings.heartbeat_interval_s)
    # nothing moves the run while no worker lives: it still says running
    assert client.get(f"/runs/{run_id}", headers=world.h("planner_a")).json()["status"] == "running"
    start_worker("rescuer")
    run = wait_for(client, world, run_id, final, timeout_s=300)
    if run["status"] == "failed":  # allowed, if with a reason
        assert "worker lost" in (run["error"] or ""), run
    else:
        assert run["status"] == "succeeded", run
        assert run["attempts"] == 2
        engine = make_engine(settings.database_url)
        with Session(engine) as session:
            row = session.get(Run, run_id)
            assert row is not None and (row.worker or "").startswith("rescuer@")
            assert session.exec(select(RunResult).where(RunResult.run_id == run_id)).one()
        engine.dispose()
        rows = client.get(
            f"/runs/{run_id}/schedule?aggregate=day", headers=world.h("planner_a")
        ).json()["rows"]
        assert len(rows) == 28
