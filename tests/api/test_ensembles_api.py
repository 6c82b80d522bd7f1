"""Ensembles (``POST /scenarios/{id}/ensembles``, ``/ensembles/{id}``): one job per member.

Members run the real optimiser on one local day of the two-building test
district; the quantiles are checked against the members' own records.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from api.db import make_engine, migrate
from api.executors import InlineExecutor
from api.jobs import Outcome
from tests.api.conftest import TestClient, build_app, build_world, make_settings
from tests.api.test_savings_api import RealWorld, real_world

ONE_DAY = {"start": "2025-06-02", "days": 1, "ac_check": False}
TWO = ["TRY2015_Chemnitz_region09_Jahr.dat", "TRY2045_Chemnitz_region09_Somm.dat"]


def test_an_ensemble_through_the_inline_executor(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ensemble.db'}")
    migrate(engine)
    settings = make_settings()
    with TestClient(build_app(engine, settings, InlineExecutor(engine, settings))) as client:
        world = build_world(client, engine)
        h = world.h("planner_a")
        sid = world.create_scenario(world.create_district(), options=ONE_DAY)
        body = {"weather": [*TWO, "nowhere.dat"], "price_years": [2024]}
        bad = client.post(f"/scenarios/{sid}/ensembles", json=body, headers=h)
        assert bad.status_code == 422 and "'nowhere.dat' is not a shipped" in bad.text
        body = {"weather": TWO, "price_years": [2023, 2024], "ac_check": False}
        r = client.post(f"/scenarios/{sid}/ensembles", json=body, headers=h)
        assert r.status_code == 202, r.text
        assert r.headers["Location"] == f"/ensembles/{r.json()['id']}"
        assert r.json()["members_total"] == 4
        deadline = time.monotonic() + 120
        ensemble = r.json()
        while ensemble["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, ensemble
            time.sleep(0.1)
            ensemble = client.get(r.headers["Location"], headers=h).json()
        csv = client.get(r.headers["Location"], params={"format": "csv"}, headers=h)
        listed = client.get("/ensembles", params={"scenario_id": sid}, headers=h).json()
        other = client.get("/ensembles", params={"scenario_id": sid + 1}, headers=h).json()
        outsider = client.get("/ensembles", headers=world.h("viewer_b")).json()
    engine.dispose()
    # the list: status and progress of the scenario's one ensemble, no members, no summary
    assert listed["total"] == 1 and other["total"] == 0
    (item,) = listed["items"]
    assert item["id"] == r.json()["id"] and item["status"] == "succeeded"
    assert (item["members_done"], item["members"], item["summary"]) == (4, None, None)
    assert outsider["total"] == 0  # another organisation's private scenario stays hidden
    assert ensemble["status"] == "succeeded", ensemble
    assert [m["member"] for m in ensemble["members"]] == [
        "TRY 2015 mean year, prices 2023",
        "TRY 2015 mean year, prices 2024",
        "TRY 2045 extreme summer, prices 2023",
        "TRY 2045 extreme summer, prices 2024",
    ]
    summary = ensemble["summary"]
    assert summary["members_ok"] == 4 and summary["failed"] == []
    cost = {m["member"]: m["record"]["figures"]["cost_eur"] for m in ensemble["members"]}
    d = summary["figures"]["cost_eur"]
    ranked = sorted(cost.values())
    assert (d["min"], d["max"]) == (ranked[0], ranked[-1])
    # P50 of four values: halfway between the 2nd and 3rd (Hyndman-Fan 7)
    assert d["p50"] == pytest.approx((ranked[1] + ranked[2]) / 2)
    assert cost[d["max_member"]] == ranked[-1] and d["worst_member"] == d["max_member"]
    assert "The bad year for" in summary["bad_year"]["self_sufficiency_pct"]
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    table = pd.read_csv(io.StringIO(csv.text), comment="#")
    head = ["figure", "unit", "better", "min", "p10", "p50", "p90", "max"]
    assert list(table.columns[:8]) == head
    assert table.set_index("figure").loc["cost_eur", "p50"] == pytest.approx(d["p50"])


@pytest.fixture(scope="module")
def real() -> Iterator[RealWorld]:
    with real_world() as world:
        yield world


def test_cancel_an_ensemble_cancels_its_members(real: RealWorld) -> None:
    world = real.world
    h = world.h("planner_a")
    sid = world.create_scenario(world.create_district(), options=ONE_DAY)
    r = world.client.post(
        f"/scenarios/{sid}/ensembles", json={"weather": TWO, "price_years": [2024]}, headers=h
    )
    assert r.status_code == 202, r.text
    eid = r.json()["id"]
    cancelled = world.client.post(f"/ensembles/{eid}/cancel", headers=h)
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled" and body["counts"]["cancelled"] == 2
    assert body["summary"] is None
    assert real.executor.drain() == [Outcome.skipped, Outcome.skipped]
    assert world.client.post(f"/ensembles/{eid}/cancel", headers=h).status_code == 409
    csv = world.client.get(f"/ensembles/{eid}", params={"format": "csv"}, headers=h)
    assert csv.status_code == 409 and "cancelled" in csv.json()["detail"]
    # another organisation does not see it
    assert world.client.get(f"/ensembles/{eid}", headers=world.h("planner_b")).status_code == 404
