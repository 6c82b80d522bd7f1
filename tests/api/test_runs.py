"""Runs: 202 + Location, status, results, exports with licence, cancel, failures."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest

from api.jobs import Outcome
from energy.errors import InfeasibleError, InputDataError, SolverError
from tests.api.conftest import IMPORT_KW, RecordingExecutor, World


@pytest.fixture
def run_id(world: World) -> int:
    district_id = world.create_district()
    return world.start_run(world.create_scenario(district_id))


def test_start_answers_202_with_location(world: World, executor: RecordingExecutor) -> None:
    c = world.client
    district_id = world.create_district()
    sid = world.create_scenario(district_id, changes={"pv_kwp_added": 40})
    r = c.post(f"/scenarios/{sid}/runs", headers=world.h("planner_a"))
    assert r.status_code == 202
    run = r.json()
    assert r.headers["Location"] == f"/runs/{run['id']}"
    assert run["status"] == "queued" and run["attempts"] == 0
    assert executor.submitted == [run["id"]]
    assert c.get(f"/runs/{run['id']}/results", headers=world.h("planner_a")).status_code == 409
    assert executor.drain() == [Outcome.succeeded]
    done = c.get(r.headers["Location"], headers=world.h("planner_a")).json()
    assert done["status"] == "succeeded" and done["progress_frac"] == 1.0
    assert done["attempts"] == 1 and done["duration_s"] >= 0 and done["queue_wait_s"] >= 0
    assert done["results_url"] == f"/runs/{run['id']}/results"
    results = c.get(done["results_url"], headers=world.h("planner_a")).json()
    assert results["kpis"]["optimised"]["cost_eur"] == 100.0
    assert results["kpis"]["optimised"]["autarky_frac"] is None  # NaN -> null
    assert results["savings"]["vs_B0"]["cost_eur"] == 30.0
    assert results["licence"] == "CC-BY-4.0"
    # the scenario's changes reached the runner: 20 kWp + 40 kWp added
    assert results["metadata"]["total_kwp"] == pytest.approx(60.0)
    listed = c.get(f"/scenarios/{sid}/runs", headers=world.h("planner_a")).json()
    assert [x["id"] for x in listed["items"]] == [run["id"]]
    runs = c.get("/runs?status=succeeded", headers=world.h("planner_a")).json()
    assert runs["total"] == 1
    assert c.get("/runs?status=queued", headers=world.h("planner_a")).json()["total"] == 0


def test_schedule_json_csv_aggregated(
    world: World, executor: RecordingExecutor, run_id: int
) -> None:
    c = world.client
    executor.drain()
    h = world.h("planner_a")
    r = c.get(f"/runs/{run_id}/schedule", headers=h)
    body = r.json()
    assert body["licence"] == "CC-BY-4.0" and body["timezone"] == "Europe/Berlin"
    assert r.headers["X-Licence"] == "CC-BY-4.0" and 'rel="license"' in r.headers["Link"]
    # 2025-03-30 (23 h) and 2025-03-31 (24 h): 47 hourly rows
    assert len(body["rows"]) == 47
    first = body["rows"][0]
    assert first["time_local"] == "2025-03-30T00:00:00+01:00"
    assert first["time_utc"] == "2025-03-29T23:00:00+00:00"
    assert first["p_import_kw"] == IMPORT_KW
    # after the switch to summer time local 03:00 follows 01:00
    assert body["rows"][2]["time_local"] == "2025-03-30T03:00:00+02:00"
    r = c.get(f"/runs/{run_id}/schedule?aggregate=day&format=csv", headers=h)
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.startswith("# licence: CC-BY-4.0")
    frame = pd.read_csv(io.StringIO(r.text), comment="#")
    # 10 kW x 23 h = 230 kWh; 10 kW x 24 h = 240 kWh
    assert frame["e_import_kwh"].tolist() == pytest.approx([230.0, 240.0])
    assert frame["time_local"].tolist() == [
        "2025-03-30T00:00:00+01:00",
        "2025-03-31T00:00:00+02:00",
    ]
    r = c.get(f"/runs/{run_id}/schedule?columns=p_import_kw&aggregate=month", headers=h)
    assert r.json()["columns"] == ["e_import_kwh"]
    assert r.json()["rows"][0]["e_import_kwh"] == pytest.approx(470.0)
    r = c.get(f"/runs/{run_id}/schedule?columns=nope", headers=h)
    assert r.status_code == 422 and "columns" in r.json()["detail"]
    r = c.get(f"/runs/{run_id}/schedule?aggregate=week", headers=h)
    assert r.status_code == 422 and "query.aggregate" in r.json()["detail"]
    nodes = c.get(f"/runs/{run_id}/node-power?aggregate=day", headers=h).json()
    assert nodes["columns"] == ["e_kwh:B1", "e_kwh:B2"]
    assert nodes["rows"][0]["e_kwh:B1"] == pytest.approx(4.0 * 23)  # 4 kW x 23 h


def test_cancel_queued_and_running(
    world: World, executor: RecordingExecutor, make_runner: Any, run_id: int
) -> None:
    c = world.client
    h = world.h("planner_a")
    r = c.post(f"/runs/{run_id}/cancel", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert executor.drain() == [Outcome.skipped]  # the delivered task does nothing
    assert c.post(f"/runs/{run_id}/cancel", headers=h).status_code == 409
    sid = c.get(f"/runs/{run_id}", headers=h).json()["scenario_id"]
    second = world.start_run(sid)

    def cancel_while_running() -> None:
        running = c.get(f"/runs/{second}", headers=h).json()
        assert running["status"] == "running" and running["attempts"] == 1
        r = c.post(f"/runs/{second}/cancel", headers=h)
        assert r.json()["status"] == "running" and r.json()["cancel_requested"]

    executor.runner = make_runner(before=cancel_while_running)
    assert executor.drain() == [Outcome.cancelled]
    run = c.get(f"/runs/{second}", headers=h).json()
    assert run["status"] == "cancelled" and run["finished_at"] is not None


@pytest.mark.parametrize(
    ("exc", "error", "diagnosis"),
    [
        (
            InfeasibleError(
                "no feasible schedule",
                ["import limit 600 kW exceeded at 2025-03-30 18:00 by 40 kW"],
            ),
            "no feasible schedule",
            ["import limit 600 kW exceeded at 2025-03-30 18:00 by 40 kW"],
        ),
        (InputDataError("weather: file covers 2024 only"), "weather: file covers 2024 only", []),
        (SolverError("HiGHS time limit"), "solver: HiGHS time limit", []),
        (ZeroDivisionError("boom"), "internal error (ZeroDivisionError): boom", []),
    ],
)
def test_failed_runs_carry_the_reason(
    world: World,
    executor: RecordingExecutor,
    make_runner: Any,
    run_id: int,
    exc: Exception,
    error: str,
    diagnosis: list[str],
) -> None:
    executor.runner = make_runner(exc=exc)
    assert executor.drain() == [Outcome.failed]
    run = world.client.get(f"/runs/{run_id}", headers=world.h("planner_a")).json()
    assert run["status"] == "failed"
    assert run["error"] == error and run["diagnosis"] == diagnosis
    r = world.client.get(f"/runs/{run_id}/results", headers=world.h("planner_a"))
    assert r.status_code == 409 and error in r.json()["detail"]


def test_queue_down_is_503_and_not_ready(world: World, executor: RecordingExecutor) -> None:
    sid = world.create_scenario(world.create_district())
    executor.fail_submit = True
    r = world.client.post(f"/scenarios/{sid}/runs", headers=world.h("planner_a"))
    assert r.status_code == 503 and "unreachable" in r.json()["detail"]
    runs = world.client.get("/runs", headers=world.h("planner_a")).json()["items"]
    assert runs[0]["status"] == "failed" and "unreachable" in runs[0]["error"]
    ready = world.client.get("/ready")
    assert ready.status_code == 503 and ready.json()["checks"]["database"] == "ok"
