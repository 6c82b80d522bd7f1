"""API test fixtures: in-memory SQLite (StaticPool) with dependency overrides.

Follows the SQLModel tutorial's testing chapter: one in-memory engine per
test, ``app.dependency_overrides[get_session]`` pointing at it. Jobs go to a
:class:`RecordingExecutor` that tests drain explicitly, so every state of a
run (queued, running, finished) can be looked at; ``fake_runner`` stands in
for the optimiser where a test is about the API, not about the physics.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session, SQLModel
from starlette.exceptions import StarletteDeprecationWarning

from api.auth import create_api_key
from api.db import make_engine
from api.deps import get_session
from api.executors import JobExecutor
from api.jobkinds import Runner
from api.jobs import Outcome, execute_run
from api.main import create_app
from api.schemas import EXAMPLE_SPEC, Role
from api.settings import Settings
from api.tables import Organisation, Run
from energy.district import District
from energy.progress import ProgressCallback
from energy.timeindex import make_index

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package for its test client; httpx works the same.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


def small_spec() -> dict[str, Any]:
    """A fresh copy of the two-building test district (the OpenAPI example, kept valid)."""
    return copy.deepcopy(EXAMPLE_SPEC)


@dataclass
class FakeResult:
    """Stands in for ``energy.scenario.ScenarioResult`` (same attributes)."""

    schedule: pd.DataFrame
    node_p_kw: pd.DataFrame
    kpis: dict[str, dict[str, float]]
    savings: dict[str, dict[str, float]]
    metadata: dict[str, Any]
    grid: dict[str, Any] | None = None


IMPORT_KW = 10.0  # constant import of the fake schedule [kW]


def fake_runner(district: District, options: dict[str, Any], progress: ProgressCallback) -> Any:
    """A deterministic schedule on the run's horizon; metadata echoes the inputs used.

    p_import_kw is 10 kW in every step, so a local day of H hours imports
    10 * H kWh (230 kWh on the 23-hour spring DST day); soc_kwh counts steps.
    """
    index = make_index(options["start"], options["days"], options["resolution"])
    n = len(index)
    progress(0.5, "fake optimisation")
    schedule = pd.DataFrame(
        {
            "p_import_kw": np.full(n, IMPORT_KW),
            "p_pv_kw": np.linspace(0.0, 1.0, n),
            "soc_kwh": np.arange(n, dtype=float),
            "price_eur_per_kwh": np.full(n, 0.3),
        },
        index=index,
    )
    nodes = pd.DataFrame({"B1": np.full(n, 4.0), "B2": np.full(n, 6.0)}, index=index)
    progress(1.0, "fake done")
    return FakeResult(
        schedule=schedule,
        node_p_kw=nodes,
        kpis={
            "optimised": {"cost_eur": 100.0, "autarky_frac": float("nan")},
            "B0": {"cost_eur": 130.0},
            "B1": {"cost_eur": 120.0},
        },
        savings={"vs_B0": {"cost_eur": 30.0}, "vs_B1": {"cost_eur": 20.0}},
        metadata={
            "total_kwp": district.total_kwp,
            "total_battery_kwh": district.total_battery_kwh,
            "n_pv": len(district.pv),
            "design_classes": [g.design_class for g in district.lighting],
            "options": options,
        },
        grid={"max_loading_percent": 42.0},
    )


#: Heartbeat of real runs on the shared in-memory test database [s] (RecordingExecutor.drain).
QUIET_HEARTBEAT = {"heartbeat_interval_s": 60.0, "heartbeat_timeout_s": 600.0}


class RecordingExecutor(JobExecutor):
    """Records submitted runs; :meth:`drain` executes them in the test's thread."""

    name = "recording"

    def __init__(self, engine: Any, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.runner: Runner = fake_runner
        self.submitted: list[int] = []
        self.fail_submit = False

    def submit(self, run_id: int) -> None:
        if self.fail_submit:
            raise ConnectionError("broker down")
        self.submitted.append(run_id)

    def check(self) -> None:
        if self.fail_submit:
            raise ConnectionError("broker down")

    def drain(self) -> list[Outcome]:
        """Execute the submitted runs in order, in the test's thread.

        A real run (not :func:`fake_runner`) takes seconds; on the in-memory
        database, one connection shared by every thread (StaticPool), the
        heartbeat thread's writes could interleave with the run's own final
        write (a lost lease, or a result rolled back). Its heartbeat is kept
        quiet here: leases are tested with the fake runner (test_jobs.py) and
        with real databases (tests/api/integration).
        """
        settings = self.settings
        if self.runner is not fake_runner:
            settings = settings.model_copy(update=QUIET_HEARTBEAT)
        outcomes = []
        while self.submitted:
            run_id = self.submitted.pop(0)
            outcomes.append(execute_run(run_id, self.engine, settings, self.runner))
        return outcomes


def as_retried(engine: Any, run_id: int) -> None:
    """Write run ``run_id`` as a retry leaves it: attempts + 1, a later finish (same results)."""
    with Session(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.finished_at is not None
        run.attempts += 1
        run.finished_at = run.finished_at + pd.Timedelta(minutes=5)
        session.add(run)
        session.commit()


def make_settings() -> Settings:
    return Settings(
        database_url="sqlite://",
        max_upload_bytes=200_000,
        heartbeat_interval_s=0.2,
        heartbeat_timeout_s=1.0,
        max_attempts=2,
        # tests send thousands of requests a minute with one key (tests/api/test_public.py
        # tests the limits themselves)
        rate_limit_per_key="1000000/minute",
        rate_limit_anonymous="1000000/minute",
        rate_limit_failed_keys="1000000/minute",
    )


def memory_engine() -> Any:
    """An in-memory SQLite engine (StaticPool) with all tables."""
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    return engine


def build_app(engine: Any, settings: Settings, executor: JobExecutor) -> Any:
    """The app on ``engine``, with the session dependency overridden (SQLModel testing)."""
    app = create_app(settings, engine=engine, executor=executor, migrate_on_start=False)

    def get_session_override() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = get_session_override
    return app


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def engine() -> Iterator[Any]:
    engine = memory_engine()
    yield engine
    engine.dispose()


@pytest.fixture
def executor(engine: Any, settings: Settings) -> RecordingExecutor:
    return RecordingExecutor(engine, settings)


@pytest.fixture
def app(engine: Any, settings: Settings, executor: RecordingExecutor) -> Any:
    return build_app(engine, settings, executor)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@dataclass
class World:
    """Two organisations, A (the utility) and B (a cooperative), with a key per role."""

    client: TestClient
    keys: dict[str, str] = field(default_factory=dict)
    org_ids: dict[str, int] = field(default_factory=dict)

    def h(self, who: str) -> dict[str, str]:
        """Headers of the key ``who`` (e.g. ``planner_a``, ``viewer_b``, ``admin``)."""
        return {"X-API-Key": self.keys[who]}

    def create_district(
        self,
        who: str = "planner_a",
        visibility: str = "private",
        spec: dict[str, Any] | None = None,
        name: str = "Quartier",
    ) -> int:
        r = self.client.post(
            "/districts",
            json={"name": name, "visibility": visibility, "spec": spec or small_spec()},
            headers=self.h(who),
        )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def create_scenario(
        self, district_id: int, who: str = "planner_a", visibility: str = "private", **extra: Any
    ) -> int:
        body = {
            "name": "Szenario",
            "district_id": district_id,
            "visibility": visibility,
            "options": {"start": "2025-03-30", "days": 2},
        } | extra
        r = self.client.post("/scenarios", json=body, headers=self.h(who))
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def start_run(self, scenario_id: int, who: str = "planner_a") -> int:
        r = self.client.post(f"/scenarios/{scenario_id}/runs", headers=self.h(who))
        assert r.status_code == 202, r.text
        return int(r.json()["id"])


def build_world(client: TestClient, engine: Any) -> World:
    """Organisations A and B with one key per role, and an admin key in A."""
    w = World(client)
    with Session(engine) as session:
        for org_name, suffix in (("Stadtwerk", "a"), ("Genossenschaft", "b")):
            org = Organisation(name=org_name)
            session.add(org)
            session.commit()
            session.refresh(org)
            assert org.id is not None
            w.org_ids[suffix] = org.id
            for role in (Role.planner, Role.cooperative, Role.viewer):
                _, key = create_api_key(session, org.id, f"{role}-{suffix}", role)
                w.keys[f"{role.value}_{suffix}"] = key
        _, w.keys["admin"] = create_api_key(session, w.org_ids["a"], "admin", Role.admin)
    return w


@pytest.fixture
def world(client: TestClient, engine: Any) -> World:
    return build_world(client, engine)


@pytest.fixture
def make_runner() -> Callable[..., Runner]:
    """Build runners that raise or block, for failure and cancel tests."""

    def build(exc: Exception | None = None, before: Callable[[], None] | None = None) -> Runner:
        def runner(district: District, options: dict[str, Any], progress: ProgressCallback) -> Any:
            if before is not None:
                before()
            progress(0.3, "working")
            if exc is not None:
                raise exc
            return fake_runner(district, options, progress)

        return runner

    return build
