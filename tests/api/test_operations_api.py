"""Rolling-horizon operation as a job: ``POST /scenarios/{id}/operations``, ``/operations/{id}``.

The two-building test district with a battery, two June days at 1 h steps,
through the inline executor. Checked against properties of the problem, not
against the code's own numbers: with perfect forecasts and a horizon that
covers the whole period the realised cost equals perfect foresight's; with
forecasts (persistence) it is never lower; the saving against B1 is B1's cost
minus the realised cost as the KPIs give them. Bad bodies get a 422 naming
the field, and nothing is queued.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from api.db import make_engine, migrate
from api.executors import InlineExecutor
from api.schemas import RunKind
from api.tables import Run
from api.workload import job_dispatches
from energy.scenario import ScenarioOptions
from tests.api.conftest import TestClient, World, build_app, build_world, make_settings

TWO_DAYS = {"start": "2025-06-02", "days": 2, "ac_check": False}


@dataclass
class Live:
    client: TestClient
    world: World
    scenario_id: int
    engine: Any

    def jobs(self) -> int:
        """Job rows of every kind in the database."""
        with Session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(Run)).one())


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    db: Path = tmp_path_factory.mktemp("operations") / "operations.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    settings = make_settings()
    with TestClient(build_app(engine, settings, InlineExecutor(engine, settings))) as client:
        world = build_world(client, engine)
        sid = world.create_scenario(world.create_district(), options=TWO_DAYS)
        yield Live(client, world, sid, engine)
    engine.dispose()


def operate(live: Live, body: dict[str, Any]) -> dict[str, Any]:
    """Start an operation and poll it until it has ended; return its last answer."""
    h = live.world.h("planner_a")
    r = live.client.post(f"/scenarios/{live.scenario_id}/operations", json=body, headers=h)
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/operations/{r.json()['id']}"
    deadline = time.monotonic() + 180
    job = r.json()
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
        job = live.client.get(r.headers["Location"], headers=h).json()
    assert job["status"] == "succeeded", job
    return dict(job["result"])


def test_perfect_forecast_over_the_whole_period_is_perfect_foresight(live: Live) -> None:
    result = operate(live, {"horizon_h": 48, "step_h": 48, "forecast": "perfect"})
    assert result["period"] == {"start": "2025-06-02", "days": 2}
    assert result["windows"] == 1
    k = result["kpis"]
    perfect = k["perfect_foresight"]["cost_eur"]
    assert k["realised"]["cost_eur"] == pytest.approx(perfect, rel=1e-6, abs=1e-6)
    assert result["forecast_error"]["cost_eur"] == pytest.approx(0.0, abs=1e-6 * max(1, perfect))
    assert result["forecast_error"]["baseline"] == "perfect foresight over the same days"
    # sources: the DWD weather and the SMARD prices that went in, with their licences
    lines = " ".join(result["sources"]["data_licences"])
    assert "Deutscher Wetterdienst" in lines and "SMARD" in lines
    saving = result["saving_vs_B1_eur"]["realised"]
    assert saving == pytest.approx(k["B1"]["cost_eur"] - k["realised"]["cost_eur"], abs=1e-9)


def test_persistence_forecast_is_never_better_than_perfect_foresight(live: Live) -> None:
    body = {"days": 2, "horizon_h": 24, "step_h": 12, "forecast": "persistence"}
    result = operate(live, body)
    assert result["windows"] == 4  # 48 h re-planned every 12 h
    k = result["kpis"]
    tol = 1e-6 * max(1.0, abs(k["perfect_foresight"]["cost_eur"]))
    assert k["realised"]["cost_eur"] >= k["perfect_foresight"]["cost_eur"] - tol
    assert result["forecast_error"]["cost_eur"] >= -tol


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"forecast": "file"}, "forecast"),
        ({"horizon_h": 12, "step_h": 24}, "step_h"),
        ({"horizon_h": "NaN"}, "horizon_h"),
        ({"days": 0}, "days"),
        ({"start": "9999-01-01"}, "start"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_bodies_name_the_field_and_queue_nothing(
    live: Live, body: dict[str, Any], field: str
) -> None:
    h = live.world.h("planner_a")
    before = live.jobs()
    r = live.client.post(f"/scenarios/{live.scenario_id}/operations", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert field in r.text
    assert live.jobs() == before


def test_others_cannot_start_or_read_an_operation(live: Live) -> None:
    h_b = live.world.h("planner_b")
    r = live.client.post(f"/scenarios/{live.scenario_id}/operations", json={}, headers=h_b)
    assert r.status_code == 404, r.text
    # a viewer may start an operation exactly where it may start a run (here: nowhere)
    h = live.world.h("viewer_a")
    r = live.client.post(f"/scenarios/{live.scenario_id}/operations", json={}, headers=h)
    run = live.client.post(f"/scenarios/{live.scenario_id}/runs", headers=h)
    assert r.status_code == run.status_code and r.status_code in (403, 404), r.text
    # another organisation cannot read one either
    own = live.world.h("planner_a")
    body = {"horizon_h": 48, "step_h": 48, "forecast": "perfect"}
    job = live.client.post(f"/scenarios/{live.scenario_id}/operations", json=body, headers=own)
    assert job.status_code == 202, job.text
    assert live.client.get(job.headers["Location"], headers=h_b).status_code == 404
    deadline = time.monotonic() + 180  # let it end before the module's database goes
    while live.client.get(job.headers["Location"], headers=own).json()["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_an_operation_counts_one_plan_per_window_in_its_work() -> None:
    # 28 days re-planned every 24 h: 28 windows + perfect foresight = 29 dispatches;
    # every 6 h: 112 + 1 (by hand from the window count of energy.operation.operate)
    options = ScenarioOptions(days=28)
    assert job_dispatches(RunKind.operation, options, {"step_h": 24.0}) == 29
    assert job_dispatches(RunKind.operation, options, {"step_h": 6.0}) == 113
