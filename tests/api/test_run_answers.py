"""Answers that say what happened: validation errors with field and value, failed runs.

Issue 10: every API validation error carries ``errors[]`` with the field path
and the rejected value (``api.errors``); failed runs are listable with their
reason (``GET /runs?status=failed``: ``error`` in words, ``diagnosis`` one
sentence per cause); the /docs example scenario names groups that exist in
the shipped Gera district.
"""

from __future__ import annotations

from typing import Any

from api.jobs import Outcome
from api.schemas import ScenarioCreate
from energy.district import GERA_DISTRICT_FILE, load_district
from energy.errors import InfeasibleError
from energy.variants import ScenarioChanges, apply_changes
from tests.api.conftest import RecordingExecutor, World


def test_body_validation_errors_name_field_and_value(world: World) -> None:
    district = world.create_district()
    r = world.client.post(
        "/scenarios",
        headers=world.h("planner_a"),
        json={
            "name": "x",
            "district_id": district,
            "options": {
                "days": 0,
                "resolution": "2h",
                "min_self_sufficiency": 1.5,
                "autarky_metric": "heat",
            },
        },
    )
    assert r.status_code == 422
    errors = {e["field"]: e for e in r.json()["errors"]}
    assert errors["body.options.days"]["value"] == 0
    assert errors["body.options.resolution"]["value"] == "2h"
    assert errors["body.options.min_self_sufficiency"]["value"] == 1.5
    assert errors["body.options.autarky_metric"]["value"] == "heat"
    assert all(e["message"] for e in errors.values())


def test_missing_field_has_a_null_value(world: World) -> None:
    r = world.client.post("/scenarios", headers=world.h("planner_a"), json={"name": "x"})
    assert r.status_code == 422
    (error,) = [e for e in r.json()["errors"] if e["field"] == "body.district_id"]
    assert error["value"] is None and error["type"] == "missing"


def test_query_validation_errors_name_field_and_value(world: World) -> None:
    r = world.client.get("/runs/1/savings?period=quarter", headers=world.h("planner_a"))
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error["field"] == "query.period" and error["value"] == "quarter"


def test_library_input_errors_carry_errors_too(world: World) -> None:
    h = world.h("planner_a")
    r = world.client.get("/compare", params={"runs": "1,a"}, headers=h)
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error == {
        "field": "runs",
        "value": "1,a",
        "message": r.json()["detail"],
        "type": "input_data",
    }
    r = world.client.get("/compare", params={"runs": "1,2", "reference": 5}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "reference"
    assert r.json()["errors"][0]["value"] == 5


def test_failed_runs_are_listed_with_their_reason(
    world: World, executor: RecordingExecutor, make_runner: Any
) -> None:
    h = world.h("planner_a")
    district = world.create_district()
    ok = world.start_run(world.create_scenario(district))
    assert executor.drain() == [Outcome.succeeded]
    failing = world.start_run(world.create_scenario(district))
    executor.runner = make_runner(
        exc=InfeasibleError(
            "no feasible schedule", ["import limit 600 kW exceeded at 2025-03-30 18:00 by 40 kW"]
        )
    )
    assert executor.drain() == [Outcome.failed]
    listed = world.client.get("/runs", params={"status": "failed"}, headers=h).json()
    assert [run["id"] for run in listed["items"]] == [failing] and listed["total"] == 1
    (run,) = listed["items"]
    assert run["status"] == "failed" and run["error"] == "no feasible schedule"
    assert run["diagnosis"] == ["import limit 600 kW exceeded at 2025-03-30 18:00 by 40 kW"]
    assert run["finished_at"] is not None
    # the succeeded run is not among them, and asking for its results of the failed one is 409
    assert ok not in [r["id"] for r in listed["items"]]
    assert world.client.get(f"/runs/{failing}/results", headers=h).status_code == 409


def test_docs_example_scenario_fits_the_shipped_district() -> None:
    example = ScenarioCreate.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    changes = ScenarioChanges.model_validate(example["changes"])
    gera = load_district(GERA_DISTRICT_FILE)
    groups = {g.id for g in gera.lighting}
    assert {c.group for c in changes.lighting} <= groups
    changed = apply_changes(gera, changes)  # raises on a group the district lacks
    assert changed.total_kwp > gera.total_kwp
