"""Limits on compute (issue 13 item 5): the job quota, the inline work cap, key expiry, auth cache.

Work units are recomputed by hand from api/workload.py's definition,
dispatches x steps x (elements + 100): the two-building test district has
2 buildings + 1 PV system + 1 battery + 1 lighting group = 5 elements; the
scenarios of ``World.create_scenario`` start on 2025-03-30 (the spring DST day,
23 hours) for 2 days: 23 + 24 = 47 hourly steps.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, func, select

import api.auth
import api.crud.runs
from api.auth import AuthCache, Principal, create_api_key
from api.crud.runs import create_run
from api.db import make_engine, migrate
from api.errors import JobQuotaError
from api.schemas import Role, Visibility
from api.settings import Settings
from api.tables import ApiKey, District, DistrictVersion, Organisation, Run, Scenario, Sweep
from tests.api.conftest import (
    RecordingExecutor,
    TestClient,
    World,
    build_app,
    build_world,
    make_settings,
    small_spec,
)

#: Steps of 2 local days from 2025-03-30 at 1 h (23 h DST day + 24 h).
STEPS_2_DAYS = 47
#: Elements of the two-building test district (buildings, PV, battery, lighting group).
ELEMENTS = 5


def with_settings(**values: Any) -> Settings:
    return make_settings().model_copy(update=values)


def count(engine: Any, model: Any, *where: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


# -- the job quota ----------------------------------------------------------------


@pytest.fixture
def settings() -> Settings:
    return with_settings(max_active_jobs_per_organisation=3)


def test_quota_refuses_the_job_past_it_and_stores_nothing(
    world: World, engine: Any, executor: RecordingExecutor
) -> None:
    sid = world.create_scenario(world.create_district())
    for _ in range(3):
        world.start_run(sid)
    r = world.client.post(f"/scenarios/{sid}/runs", headers=world.h("planner_a"))
    assert r.status_code == 429, r.text
    body = r.json()
    assert (body["quota"], body["active"], body["requested"]) == (3, 3, 1)
    assert body["organisation_id"] == world.org_ids["a"]
    assert "ENERGY_MAX_ACTIVE_JOBS_PER_ORGANISATION" in body["detail"]
    assert "cancel" in body["detail"] and "not stored" in body["detail"]
    assert "Retry-After" not in r.headers  # nobody knows when the jobs end
    assert count(engine, Run) == 3
    # another organisation has its own quota
    sid_b = world.create_scenario(world.create_district("planner_b"), who="planner_b")
    world.start_run(sid_b, who="planner_b")
    # once the jobs have ended, the organisation may queue again
    executor.drain()
    assert count(engine, Run, col(Run.status) == "succeeded") == 4
    world.start_run(sid)


def test_a_study_over_the_quota_is_refused_whole(world: World, engine: Any) -> None:
    sid = world.create_scenario(world.create_district())
    world.start_run(sid)
    h = world.h("planner_a")
    # 2 points + the base run (no point adds nothing) = 3 jobs; 1 active + 3 > 3
    grid = {"grid": {"battery_kwh_added": [100, 200]}}
    r = world.client.post(f"/scenarios/{sid}/sweeps", json=grid, headers=h)
    assert r.status_code == 429, r.text
    assert (r.json()["active"], r.json()["requested"]) == (1, 3)
    assert count(engine, Sweep) == 0 and count(engine, Run) == 1
    # 4 points + base = 5 jobs: more than the quota alone, whatever is active
    big = {"grid": {"battery_kwh_added": [100, 200, 300, 400]}}
    r = world.client.post(f"/scenarios/{sid}/sweeps", json=big, headers=h)
    assert r.status_code == 429 and "this request alone has 5 jobs" in r.json()["detail"]
    # an ensemble of 2 members fits (1 + 2 = 3), a sizing after it does not
    body = {"weather": ["clearsky"], "price_years": [2023, 2024], "ac_check": False}
    assert world.client.post(f"/scenarios/{sid}/ensembles", json=body, headers=h).status_code == 202
    r = world.client.post(f"/scenarios/{sid}/sizing", json={"battery_kwh_max": 10}, headers=h)
    assert r.status_code == 429 and r.json()["active"] == 3
    assert count(engine, Run) == 3


def _submit_together(engine: Any, scenario_id: int, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Start two runs of ``scenario_id`` from two threads at once (quota 1).

    Counting takes 0.3 s longer than usual, so without the lock both
    submissions would count 0 active jobs and both be stored.
    """
    counted = api.crud.runs.active_jobs

    def slow_count(session: Session, organisation_id: int) -> int:
        n = counted(session, organisation_id)
        time.sleep(0.3)
        return n

    monkeypatch.setattr(api.crud.runs, "active_jobs", slow_count)
    settings = with_settings(max_active_jobs_per_organisation=1)
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def submit() -> None:
        with Session(engine) as session:
            p = Principal(key_id=None, key_name="test", role=Role.admin, organisation_id=1)
            barrier.wait()
            try:
                outcomes.append(create_run(session, p, scenario_id, settings).id)
            except JobQuotaError as exc:
                outcomes.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def _scenario(engine: Any) -> int:
    """One organisation, district (version 1) and scenario in ``engine``; the scenario's id."""
    with Session(engine) as session:
        org = Organisation(name="Stadtwerk")
        session.add(org)
        session.flush()
        assert org.id is not None
        district = District(name="Q", organisation_id=org.id, visibility=Visibility.private)
        session.add(district)
        session.flush()
        assert district.id is not None
        session.add(
            DistrictVersion(
                district_id=district.id, version=1, spec=small_spec(), spec_hash="x", source="json"
            )
        )
        scenario = Scenario(
            name="S",
            organisation_id=org.id,
            district_id=district.id,
            visibility=Visibility.private,
            options={"start": "2025-03-30", "days": 2},
        )
        session.add(scenario)
        session.commit()
        assert scenario.id is not None
        return scenario.id


def _check_one_admitted(engine: Any, outcomes: list[Any]) -> None:
    stored = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, JobQuotaError)]
    assert len(stored) == 1 and len(refused) == 1, outcomes
    assert refused[0].body["active"] == 1  # the second counted the first's run
    assert count(engine, Run) == 1


def test_two_submissions_at_once_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")  # a file: WAL, busy timeout
    migrate(engine)
    scenario_id = _scenario(engine)
    _check_one_admitted(engine, _submit_together(engine, scenario_id, monkeypatch))
    engine.dispose()


@pytest.fixture
def postgres_engine() -> Iterator[Any]:
    """A fresh database on the machine's PostgreSQL (dropped afterwards), migrated."""
    import uuid

    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=5
        )
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 unreachable: {exc}")
    name = f"energy_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.integration
def test_two_submissions_at_once_on_postgres(
    postgres_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario_id = _scenario(postgres_engine)
    _check_one_admitted(
        postgres_engine, _submit_together(postgres_engine, scenario_id, monkeypatch)
    )


# -- the work cap of the inline queue ------------------------------------------------


def test_inline_refuses_a_year_at_15_min_and_says_how_to_run_it(world: World, engine: Any) -> None:
    options = {"start": "2025-01-01", "days": 366, "resolution": "15min"}
    sid = world.create_scenario(world.create_district(), options=options)
    r = world.client.post(f"/scenarios/{sid}/runs", headers=world.h("planner_a"))
    assert r.status_code == 422, r.text
    body = r.json()
    # 366 local days from 2025-01-01: 366 x 24 h (the 23-h and the 25-h DST day cancel)
    # = 8784 h = 35,136 quarter-hours
    steps = 366 * 24 * 4
    assert body["work"]["steps"] == steps and body["work"]["elements"] == ELEMENTS
    assert body["work"]["units"] == steps * (ELEMENTS + 100) == 3_689_280
    assert body["work"]["limit"] == 2_500_000
    assert body["errors"][0]["type"] == "work_limit" and body["errors"][0]["field"] == "options"
    detail = body["detail"]
    assert (
        "energy optimise district.yaml --start 2025-01-01 --days 366 --resolution 15min" in detail
    )
    assert "ENERGY_QUEUE=celery" in detail
    district_id = world.client.get(f"/scenarios/{sid}", headers=world.h("planner_a")).json()[
        "district_id"
    ]
    assert f"GET /districts/{district_id}?version=1" in detail
    assert count(engine, Run) == 0
    # the same year hourly is a quarter of the work: accepted
    hourly = world.create_scenario(world.create_district(), options=options | {"resolution": "1h"})
    world.start_run(hourly)


def test_grid_aware_sizing_and_pareto_count_their_dispatches(
    world: World, settings: Settings
) -> None:
    run_units = STEPS_2_DAYS * (ELEMENTS + 100)  # 4,935
    settings.inline_max_work = 3 * run_units
    h = world.h("planner_a")
    district = world.create_district()
    sid = world.create_scenario(district)
    world.start_run(sid)
    # grid-aware: up to 7 dispatches
    aware = world.create_scenario(
        district, options={"start": "2025-03-30", "days": 2, "grid_aware": True}
    )
    r = world.client.post(f"/scenarios/{aware}/runs", headers=h)
    assert r.status_code == 422 and r.json()["work"]["units"] == 7 * run_units
    # sizing: the sized dispatch + the reference + 2 fixed sizes = 4, on 5 + 1 elements
    body = {"battery_kwh_max": 10, "sweep_battery_kwh": [0, 5]}
    r = world.client.post(f"/scenarios/{sid}/sizing", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["work"]["units"] == 4 * STEPS_2_DAYS * (ELEMENTS + 1 + 100)
    assert "energy size" in r.json()["detail"]
    r = world.client.post(f"/scenarios/{sid}/sizing", json={"battery_kwh_max": 10}, headers=h)
    assert r.status_code == 202  # 2 dispatches
    # a robust sweep: each point once and once per member (1 weather x 2 price years);
    # the largest point adds a battery: 3 x 47 x (6 + 100) = 14,946 > 3 x 4,935
    robust = {"weather": ["clearsky"], "price_years": [2023, 2024]}
    body = {"grid": {"battery_kwh_added": [5, 10]}, "robust": robust}
    r = world.client.post(f"/scenarios/{sid}/sweeps", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["work"]["units"] == 3 * STEPS_2_DAYS * (ELEMENTS + 1 + 100)
    # a robust sizing: (2 candidate sizes + the base) x 2 members = 6 dispatches
    target = {"figure": "self_sufficiency_pct", "target": 40}
    body = {"sweep_battery_kwh": [5, 10], "robust": robust | target}
    r = world.client.post(f"/scenarios/{sid}/sizing", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["work"]["units"] == 6 * STEPS_2_DAYS * (ELEMENTS + 1 + 100)
    # Pareto: points + 1 dispatches, on 5 + 2 elements (a PV system and a battery)
    r = world.client.post(f"/scenarios/{sid}/pareto", json={"points": 2}, headers=h)
    assert r.status_code == 422 and r.json()["work"]["units"] == 3 * STEPS_2_DAYS * 107


def test_celery_takes_large_runs(engine: Any, executor: RecordingExecutor) -> None:
    settings = with_settings(queue="celery")
    with TestClient(build_app(engine, settings, executor)) as client:
        world = build_world(client, engine)
        options = {"start": "2025-01-01", "days": 366, "resolution": "15min"}
        sid = world.create_scenario(world.create_district(), options=options)
        world.start_run(sid)
    assert count(engine, Run) == 1


# -- key expiry ------------------------------------------------------------------------


def test_keys_with_an_expiry(world: World, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    c = world.client
    before = dt.datetime.now(dt.UTC)
    r = c.post(
        "/keys",
        json={"name": "consultant", "role": "viewer", "expires_in_days": 30},
        headers=world.h("planner_a"),
    )
    assert r.status_code == 201, r.text
    new = r.json()
    expires = dt.datetime.fromisoformat(new["expires_at"])
    assert abs(expires - (before + dt.timedelta(days=30))) < dt.timedelta(minutes=1)
    listed = {k["id"]: k for k in c.get("/keys", headers=world.h("planner_a")).json()["items"]}
    assert listed[new["id"]]["expires_at"] == new["expires_at"]
    assert all(listed[k]["expires_at"] is None for k in listed if k != new["id"])
    key = {"X-API-Key": new["key"]}
    assert c.get("/me", headers=key).status_code == 200
    # 31 days later (the clock of api.auth moved on; the key is in the auth cache now)
    real_now = api.auth.utcnow
    monkeypatch.setattr(api.auth, "utcnow", lambda: real_now() + dt.timedelta(days=31))
    r = c.get("/me", headers=key)
    assert r.status_code == 401
    assert "this key expired at" in r.json()["detail"] and "POST /keys" in r.json()["detail"]
    app.state.auth_cache = AuthCache(5.0)
    assert c.get("/me", headers=key).status_code == 401  # from the database too
    for bad in (0, 3651, 1.5, "x"):
        body = {"name": "k", "role": "viewer", "expires_in_days": bad}
        r = c.post("/keys", json=body, headers=world.h("planner_a"))
        assert r.status_code == 422 and "expires_in_days" in r.text


# -- the auth cache ----------------------------------------------------------------------


class Clock:
    """A clock for the cache's TTL that moves only when told [s]."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def key_lookups(engine: Any) -> Callable[[], int]:
    """Count the SELECTs of the api_keys table from now on."""
    seen = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM api_keys" in statement:
            seen[0] += 1

    return lambda: seen[0]


def test_the_cache_reads_a_key_once_per_ttl(world: World, app: Any, engine: Any) -> None:
    clock = Clock()
    app.state.auth_cache = AuthCache(5.0, clock=clock)
    lookups = key_lookups(engine)
    h = world.h("viewer_a")
    for _ in range(10):
        assert world.client.get("/me", headers=h).status_code == 200
    assert lookups() == 1
    clock.now += 4.9
    assert world.client.get("/me", headers=h).status_code == 200
    assert lookups() == 1
    clock.now += 0.1  # the TTL has passed: read again
    assert world.client.get("/me", headers=h).status_code == 200
    assert lookups() == 2
    # TTL 0: every request reads the row
    app.state.auth_cache = AuthCache(0.0)
    for _ in range(3):
        world.client.get("/me", headers=h)
    assert lookups() == 5


def test_revocation_here_is_at_once_elsewhere_within_the_ttl(
    world: World, app: Any, engine: Any
) -> None:
    clock = Clock()
    app.state.auth_cache = AuthCache(5.0, clock=clock)
    c = world.client
    me = c.get("/me", headers=world.h("viewer_a")).json()  # cached now
    r = c.delete(f"/keys/{me['key_id']}", headers=world.h("admin"))
    assert r.status_code == 200
    r = c.get("/me", headers=world.h("viewer_a"))
    assert r.status_code == 401 and "this key was revoked at" in r.json()["detail"]
    # revoked by another process (straight in the database): this process's cache
    # keeps the key for at most the TTL
    me = c.get("/me", headers=world.h("viewer_b")).json()
    with Session(engine) as session:
        row = session.get(ApiKey, me["key_id"])
        assert row is not None
        row.revoked_at = api.auth.utcnow()
        session.add(row)
        session.commit()
    assert c.get("/me", headers=world.h("viewer_b")).status_code == 200
    clock.now += 5.0
    assert c.get("/me", headers=world.h("viewer_b")).status_code == 401


def test_unknown_keys_are_not_cached(world: World, app: Any, engine: Any) -> None:
    cache = AuthCache(60.0)
    app.state.auth_cache = cache
    for _ in range(3):
        r = world.client.get("/me", headers={"X-API-Key": "esk_00000000_nope"})
        assert r.status_code == 401 and r.json()["detail"] == "X-API-Key: unknown key"
    assert len(cache) == 0
    with Session(engine) as session:
        _, key = create_api_key(session, world.org_ids["a"], "x", Role.viewer)
    assert world.client.get("/me", headers={"X-API-Key": key}).status_code == 200
    assert len(cache) == 1


def test_cli_keys_with_an_expiry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from api.cli import app as cli
    from api.settings import get_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ENERGY_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        before = dt.datetime.now(dt.UTC)
        result = runner.invoke(cli, ["create-admin-key", "--expires-in-days", "7"])
        assert result.exit_code == 0, result.output
        key = result.stdout.strip()  # stdout is the key alone; the expiry goes to stderr
        assert key.startswith("esk_") and "expires at" in result.stderr
        refused = runner.invoke(
            cli, ["create-key", "--organisation", "X", "--role", "viewer", "--expires-in-days", "0"]
        )
        assert refused.exit_code != 0
    finally:
        get_settings.cache_clear()
    engine = make_engine(url)
    with Session(engine) as session:
        row = session.exec(select(ApiKey).where(col(ApiKey.prefix) == key.split("_")[1])).one()
        assert row.expires_at is not None
        assert abs(row.expires_at - (before + dt.timedelta(days=7))) < dt.timedelta(minutes=1)
    engine.dispose()
