"""Sweeps (``/scenarios/{id}/sweeps``, ``/sweeps/{id}``) and sizing jobs (``/sizing/{id}``).

Sweep points and sizings are job rows of the runs table (``Run.kind``), so
they are claimed, heart-beaten, reaped and cancelled like runs. Points run the
real optimiser on one local day of the two-building test district.
Investments are checked against hand calculations with the German defaults of
``energy.analysis.economics`` (PV 1,500 EUR/kWp up to 10 kWp, 1,200 up to 100 kWp;
batteries above 30 kWh 500 EUR/kWh).
"""

from __future__ import annotations

import io
import itertools
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlmodel import Session, select

from api.db import make_engine, migrate
from api.executors import InlineExecutor
from api.jobs import Outcome, reap_lost_runs
from api.schemas import RunKind, RunStatus
from api.tables import Run, Sweep
from tests.api.conftest import TestClient, build_app, build_world, make_settings
from tests.api.test_access import OUTSIDERS
from tests.api.test_savings_api import RealWorld, real_world

ONE_DAY = {"start": "2025-06-02", "days": 1, "ac_check": False}
GRID = {"pv_kwp_added": [0, 20], "battery_kwh_added": [0, 40]}


@dataclass
class Setup:
    real: RealWorld
    scenario: int
    private: dict[str, int]
    published: dict[str, int]

    def post(self, path: str, who: str = "planner_a", **kwargs: Any) -> Any:
        return self.real.world.client.post(path, headers=self.real.world.h(who), **kwargs)

    def get(self, path: str, who: str = "planner_a", **params: Any) -> Any:
        return self.real.world.client.get(path, params=params, headers=self.real.world.h(who))


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    """Private and published scenarios, each with a (queued) sweep and a sizing job."""
    with real_world() as real:
        world = real.world
        made: dict[str, dict[str, int]] = {}
        for visibility in ("private", "published"):
            district = world.create_district(visibility=visibility)
            sid = world.create_scenario(district, visibility=visibility, options=ONE_DAY)
            h = world.h("planner_a")
            sweep = world.client.post(
                f"/scenarios/{sid}/sweeps", json={"grid": {"pv_kwp_added": [10]}}, headers=h
            )
            sizing = world.client.post(
                f"/scenarios/{sid}/sizing", json={"battery_kwh_max": 100}, headers=h
            )
            assert sweep.status_code == sizing.status_code == 202, (sweep.text, sizing.text)
            made[visibility] = {
                "district": district,
                "scenario": sid,
                "sweep": sweep.json()["id"],
                "sizing": sizing.json()["id"],
            }
        real.executor.submitted.clear()  # these stay queued
        scenario = world.create_scenario(world.create_district(), options=ONE_DAY)
        yield Setup(real, scenario, made["private"], made["published"])


def test_a_sweep_through_the_inline_executor(tmp_path: Path) -> None:
    """Four points on a thread of the API process; the best point is the max-NPV record."""
    engine = make_engine(f"sqlite:///{tmp_path / 'sweep.db'}")
    migrate(engine)
    settings = make_settings()
    executor = InlineExecutor(engine, settings)
    with TestClient(build_app(engine, settings, executor)) as client:
        world = build_world(client, engine)
        h = world.h("planner_a")
        sid = world.create_scenario(world.create_district(), options=ONE_DAY)
        r = client.post(f"/scenarios/{sid}/sweeps", json={"grid": GRID}, headers=h)
        assert r.status_code == 202, r.text
        assert r.headers["Location"] == f"/sweeps/{r.json()['id']}"
        assert r.json()["points_total"] == 4
        deadline = time.monotonic() + 120
        sweep = r.json()
        while sweep["status"] not in ("succeeded", "failed", "cancelled"):
            assert time.monotonic() < deadline, sweep
            time.sleep(0.1)
            sweep = client.get(r.headers["Location"], headers=h).json()
        csv = client.get(r.headers["Location"], params={"format": "csv"}, headers=h)
    engine.dispose()
    assert sweep["status"] == "succeeded", sweep
    assert sweep["points_done"] == 4 and sweep["progress_frac"] == 1.0
    assert sweep["counts"]["succeeded"] == 4 and sweep["finished_at"] is not None
    assert [p["status"] for p in sweep["points"]] == ["succeeded"] * 4
    assert [p["point"] for p in sweep["points"]] == [
        {"pv_kwp_added": 0.0, "battery_kwh_added": 0.0},
        {"pv_kwp_added": 0.0, "battery_kwh_added": 40.0},
        {"pv_kwp_added": 20.0, "battery_kwh_added": 0.0},
        {"pv_kwp_added": 20.0, "battery_kwh_added": 40.0},
    ]
    summary = sweep["summary"]
    table = pd.DataFrame(summary["points"])
    best = summary["best_by_npv"]
    assert best == summary["points"][int(table["npv_eur"].idxmax())]
    assert best["npv_eur"] == table["npv_eur"].max()
    top = summary["best_by_self_sufficiency"]
    assert top["self_sufficiency"] == table["self_sufficiency"].max()
    # nothing added: no investment, no savings against itself -> NPV 0
    assert table.loc[0, "capex_eur"] == 0.0 and table.loc[0, "npv_eur"] == pytest.approx(0.0)
    # 40 kWh x 500 EUR/kWh = 20,000; 20 kWp split 15 + 5 kWp = 15 x 1,200 + 5 x 1,500 = 25,500
    assert table["capex_eur"].tolist() == pytest.approx([0.0, 20_000.0, 25_500.0, 45_500.0])
    # the record of each point is the table's row (same run, same figures)
    for point, row in zip(sweep["points"], summary["points"], strict=True):
        assert point["record"]["cost_eur"] == row["cost_eur"]
    heat = summary["heatmaps"]["npv_eur"]
    assert heat["rows"] == {"parameter": "pv_kwp_added", "values": [0.0, 20.0]}
    assert heat["columns"] == {"parameter": "battery_kwh_added", "values": [0.0, 40.0]}
    assert heat["values"] == [table["npv_eur"].tolist()[:2], table["npv_eur"].tolist()[2:]]
    assert set(summary["heatmaps"]) == {"self_sufficiency", "npv_eur"}
    assert csv.status_code == 200 and csv.headers["X-Licence"] == "CC-BY-4.0"
    assert csv.text.startswith("# licence: CC-BY-4.0")
    assert len(pd.read_csv(io.StringIO(csv.text), comment="#")) == 4


def test_a_grid_without_an_empty_point_gets_a_base_run(setup: Setup) -> None:
    r = setup.post(f"/scenarios/{setup.scenario}/sweeps", json={"grid": {"pv_kwp_added": [10, 20]}})
    assert r.status_code == 202, r.text
    sweep = r.json()
    assert sweep["points_total"] == 3 and sweep["status"] == "queued"
    assert [(p["index"], p["is_reference"]) for p in sweep["points"]] == [
        (0, False),
        (1, False),
        (None, True),
    ]
    assert sweep["points"][2]["point"] == {"pv_kwp_added": 0.0}
    assert setup.real.executor.drain() == [Outcome.succeeded] * 3
    done = setup.get(f"/sweeps/{sweep['id']}").json()
    assert done["status"] == "succeeded"
    summary = done["summary"]
    assert [p["pv_kwp_added"] for p in summary["points"]] == [10.0, 20.0]
    # economics against the base run: savings = base cost - point cost
    base = summary["reference"]["cost_eur"]
    for row in summary["points"]:
        assert row["horizon_savings_eur"] == pytest.approx(base - row["cost_eur"], rel=1e-12)
    # 10 kWp split 7.5 + 2.5 kWp, both up to 10 kWp: 10 x 1,500 = 15,000 EUR
    assert summary["points"][0]["capex_eur"] == pytest.approx(15_000.0)


def test_sweep_points_are_not_runs(setup: Setup) -> None:
    point = setup.get(f"/sweeps/{setup.private['sweep']}").json()["points"][0]["job_id"]
    assert setup.get(f"/runs/{point}").status_code == 404
    assert setup.get(f"/runs/{setup.private['sizing']}").status_code == 404
    listed = {run["id"] for run in setup.get("/runs", limit=200).json()["items"]}
    assert point not in listed and setup.private["sizing"] not in listed


def test_a_point_whose_worker_died_is_queued_again(setup: Setup) -> None:
    sweep = setup.post(
        f"/scenarios/{setup.scenario}/sweeps", json={"grid": {"battery_kwh_added": [0]}}
    ).json()
    job_id = sweep["points"][0]["job_id"]
    settings = make_settings()
    with Session(setup.real.engine) as session:
        job = session.get(Run, job_id)
        assert job is not None and job.kind == RunKind.sweep_point
        job.status, job.attempts, job.heartbeat_at = RunStatus.running, 1, None
        session.add(job)
        session.commit()
    resent: list[int] = []
    done = reap_lost_runs(setup.real.engine, settings, resent.append)
    assert job_id in done["requeued"] and job_id in resent
    assert setup.get(f"/sweeps/{sweep['id']}").json()["points"][0]["status"] == "queued"
    setup.real.executor.submitted.clear()


def test_cancel_a_sweep(setup: Setup) -> None:
    sweep = setup.post(
        f"/scenarios/{setup.scenario}/sweeps", json={"grid": {"pv_kwp_added": [0, 5]}}
    ).json()
    r = setup.post(f"/sweeps/{sweep['id']}/cancel")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "cancelled" and body["cancel_requested"] is True
    assert body["counts"]["cancelled"] == 2 and body["summary"] is None
    # delivered anyway (a broker that still had them): skipped, not run
    assert setup.real.executor.drain() == [Outcome.skipped, Outcome.skipped]
    assert setup.post(f"/sweeps/{sweep['id']}/cancel").status_code == 409
    r = setup.get(f"/sweeps/{sweep['id']}", format="csv")
    assert r.status_code == 409 and "cancelled" in r.json()["detail"]


def test_a_scenario_goes_with_its_sweeps_and_sizings(setup: Setup) -> None:
    world = setup.real.world
    sid = world.create_scenario(world.create_district(), options=ONE_DAY)
    sweep = setup.post(f"/scenarios/{sid}/sweeps", json={"grid": {"pv_kwp_added": [0]}}).json()
    sizing = setup.post(f"/scenarios/{sid}/sizing", json={"battery_kwh_max": 10}).json()
    r = world.client.delete(f"/scenarios/{sid}", headers=world.h("planner_a"))
    assert r.status_code == 409  # its jobs are queued
    assert setup.real.executor.drain() == [Outcome.succeeded] * 2
    r = world.client.delete(f"/scenarios/{sid}", headers=world.h("planner_a"))
    assert r.status_code == 204, r.text
    assert setup.get(f"/sweeps/{sweep['id']}").status_code == 404
    assert setup.get(f"/sizing/{sizing['id']}").status_code == 404
    with Session(setup.real.engine) as session:
        assert session.get(Sweep, sweep["id"]) is None
        assert session.get(Run, sizing["id"]) is None


def test_an_unreachable_queue_fails_the_points(setup: Setup) -> None:
    setup.real.executor.fail_submit = True
    try:
        r = setup.post(
            f"/scenarios/{setup.scenario}/sweeps", json={"grid": {"pv_kwp_added": [0, 5]}}
        )
    finally:
        setup.real.executor.fail_submit = False
    assert r.status_code == 503 and "2 of 2 jobs not started" in r.json()["detail"]
    sweeps = setup.get("/sweeps", scenario_id=setup.scenario).json()["items"]
    assert sweeps[0]["status"] == "failed" and sweeps[0]["counts"]["failed"] == 2
    assert sweeps[0]["points"] is None  # lists carry no points


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"grid": {"pv_kwp_added": list(range(11)), "battery_kwh_added": list(range(10))}}, "grid"),
        ({"grid": {"wind_kw_added": [1]}}, "grid"),
        ({"grid": {"pv_kwp_added": [-5]}}, "grid.pv_kwp_added[0]"),
        ({"grid": {"pv_kwp_added": []}}, "grid.pv_kwp_added"),
        ({"grid": {"pv_kwp_added": [5, 5]}}, "grid.pv_kwp_added"),
        ({"grid": {}}, "grid"),
        ({"grid": {"pv_kwp_added": ["viel"]}}, "grid.pv_kwp_added"),
        ({"grid": {"battery_kwh_added": [10]}, "battery_at": "Rathaus"}, "battery_at"),
        ({"grid": {"battery_kwh_added": [10]}, "battery_c_rate": 0}, "battery_c_rate"),
        ({"grid": {"pv_kwp_added": [1]}, "assumptions": {"rate": 0.1}}, "assumptions"),
        (
            {"grid": {"pv_kwp_added": [1]}, "assumptions": {"discount_rate_frac": 5}},
            "assumptions.discount_rate_frac",
        ),
        ({"grid": {"pv_kwp_added": [1]}, "extra": 1}, "extra"),
    ],
)
def test_bad_sweeps_are_refused_naming_the_field(
    setup: Setup, body: dict[str, Any], field: str
) -> None:
    r = setup.post(f"/scenarios/{setup.scenario}/sweeps", json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"]


def test_a_sizing_job(setup: Setup) -> None:
    r = setup.post(
        f"/scenarios/{setup.scenario}/sizing",
        json={"battery_kwh_max": 100, "battery_capex_eur_per_kwh": 0},
    )
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/sizing/{r.json()['id']}"
    assert r.json()["status"] == "queued" and r.json()["result"] is None
    assert setup.real.executor.drain() == [Outcome.succeeded]
    job = setup.get(r.headers["Location"]).json()
    assert job["status"] == "succeeded" and job["results_url"] == r.headers["Location"]
    result = job["result"]
    assert result["licence"] == "CC-BY-4.0"
    assert job["params"]["battery_kwh_max"] == 100
    caps, costs = result["capacities"], result["costs"]
    assert 0.0 <= caps["battery_kwh"] <= 100.0 + 1e-6 and caps["pv_kwp"] is None
    # a free battery can only help: the sized optimum is never dearer than the reference
    # dispatch without it (which the optimiser could have chosen with 0 kWh)
    assert costs["total_cost_eur"] <= costs["reference_cost_eur"] + 1e-6
    assert costs["capex_eur"] == 0.0
    assert setup.post(f"/sizing/{job['id']}/cancel").status_code == 409


def test_cancel_a_sizing_job(setup: Setup) -> None:
    r = setup.post(f"/scenarios/{setup.scenario}/sizing", json={"pv_kwp_max": 10, "pv_like": "PV1"})
    assert r.status_code == 202, r.text
    cancelled = setup.post(f"/sizing/{r.json()['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert setup.real.executor.drain() == [Outcome.skipped]


def test_a_pareto_job(setup: Setup) -> None:
    """What autarky costs on the test district's day: 3 points, cost non-decreasing."""
    r = setup.post(f"/scenarios/{setup.scenario}/pareto", json={"points": 3, "pv_kwp_max": 20})
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/pareto/{r.json()['id']}"
    assert setup.real.executor.drain() == [Outcome.succeeded]
    job = setup.get(r.headers["Location"]).json()
    assert job["status"] == "succeeded" and job["params"]["points"] == 3
    points = job["result"]["points"]
    assert job["result"]["metric"] == "self_sufficiency" and 1 <= len(points) <= 3
    assert points[0]["target"] is None
    costs = [p["annual_cost_eur_per_year"] for p in points]
    assert all(b >= a - 1e-6 * abs(a) for a, b in itertools.pairwise(costs))
    bad = setup.post(f"/scenarios/{setup.scenario}/pareto", json={"points": 1})
    assert bad.status_code == 422 and "points" in bad.text
    where = setup.post(f"/scenarios/{setup.scenario}/pareto", json={"battery_at": "Rathaus"})
    assert where.status_code == 422 and "battery_at" in where.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "battery_kwh_max, pv_kwp_max"),
        ({"battery_kwh_max": -1}, "battery_kwh_max"),
        ({"battery_kwh_max": 10, "battery_kwh_min": 20}, "battery.kwh"),
        ({"pv_kwp_max": 10}, "pv.building"),
        ({"pv_kwp_max": 10, "pv_building": "Rathaus"}, "pv_building"),
        ({"pv_kwp_max": 10, "pv_like": "PV9"}, "pv_like"),
        ({"battery_kwh_max": 10, "battery_at": "Rathaus"}, "battery_at"),
        ({"battery_kwh_max": 10, "assumptions": {"horizon_years": 0}}, "assumptions"),
    ],
)
def test_bad_sizings_are_refused_naming_the_field(
    setup: Setup, body: dict[str, Any], field: str
) -> None:
    r = setup.post(f"/scenarios/{setup.scenario}/sizing", json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"]


# (method, path template, request keyword arguments); the writes carry valid bodies
READS = [
    ("GET", "/sweeps/{sweep}", {}),
    ("GET", "/sweeps/{sweep}", {"params": {"format": "csv"}}),
    ("GET", "/sizing/{sizing}", {}),
]
WRITES = [
    ("POST", "/scenarios/{scenario}/sweeps", {"json": {"grid": {"pv_kwp_added": [5]}}}),
    ("POST", "/sweeps/{sweep}/cancel", {}),
    ("POST", "/scenarios/{scenario}/sizing", {"json": {"battery_kwh_max": 10}}),
    ("POST", "/sizing/{sizing}/cancel", {}),
]


def call(setup: Setup, who: str, method: str, path: str, kwargs: dict[str, Any], ids: Any) -> Any:
    return setup.real.world.client.request(
        method, path.format(**ids), headers=setup.real.world.h(who), **kwargs
    )


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize(("method", "path", "kwargs"), READS + WRITES)
def test_private_sweeps_and_sizings_are_hidden(
    setup: Setup, who: str, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    r = call(setup, who, method, path, kwargs, setup.private)
    assert r.status_code == 404, r.text
    assert "not found" in r.json()["detail"]


@pytest.mark.parametrize("who", ["planner_b", "cooperative_b", "viewer_b"])
@pytest.mark.parametrize(("method", "path", "kwargs"), WRITES)
def test_published_sweeps_and_sizings_are_read_only_for_others(
    setup: Setup, who: str, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    r = call(setup, who, method, path, kwargs, setup.published)
    assert r.status_code == 403, r.text


@pytest.mark.parametrize("who", OUTSIDERS)
def test_lists_hold_only_visible_sweeps(setup: Setup, who: str) -> None:
    ids = {s["id"] for s in setup.get("/sweeps", who=who, limit=200).json()["items"]}
    assert setup.private["sweep"] not in ids and setup.published["sweep"] in ids
    assert setup.get(f"/sweeps/{setup.published['sweep']}", who=who).status_code == 200
    assert setup.get(f"/sizing/{setup.published['sizing']}", who=who).status_code == 200
    with Session(setup.real.engine) as session:
        mine = session.exec(select(Run).where(Run.sweep_id == setup.private["sweep"])).all()
    assert mine and all(job.status == RunStatus.queued for job in mine)  # untouched


# -- heat-map pictures (GET /sweeps/{id}/heatmap.svg) -----------------------------------------

SVG = {"s": "http://www.w3.org/2000/svg"}


def test_heat_map_pictures_of_a_sweep(setup: Setup) -> None:
    grid = {"pv_kwp_added": [0, 10], "battery_kwh_added": [0, 20]}
    sweep = setup.post(f"/scenarios/{setup.scenario}/sweeps", json={"grid": grid}).json()
    url = f"/sweeps/{sweep['id']}/heatmap.svg"
    r = setup.get(url, metric="npv_eur")
    assert r.status_code == 409 and "queued" in r.json()["detail"]  # not run yet
    assert setup.real.executor.drain() == [Outcome.succeeded] * 4
    summary = setup.get(f"/sweeps/{sweep['id']}").json()["summary"]
    for metric in ("self_sufficiency", "npv_eur"):
        r = setup.get(url, metric=metric, lang="de")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("image/svg+xml")
        assert r.headers["x-licence"] == "CC-BY-4.0" and 'rel="license"' in r.headers["link"]
        root = ET.fromstring(r.text)
        meta = root.find("s:metadata", SVG)
        assert meta is not None and str(meta.text).startswith("licence: CC-BY-4.0")
        heat = summary["heatmaps"][metric]["values"]
        cells = root.findall(".//s:g[@class='cell']", SVG)
        assert len(cells) == len(heat) * len(heat[0]) == 4
        for cell in cells:
            value = heat[int(cell.get("data-row", -1))][int(cell.get("data-col", -1))]
            assert float(cell.get("data-value", "nan")) == value  # the summary's raw value
            written = cell.find("s:text", SVG)
            assert written is not None
            # German numbers: self-sufficiency in % with one decimal, NPV in whole euros
            want = (
                f"{100 * value:.1f}".replace(".", ",")
                if metric == "self_sufficiency"
                else f"{round(value):,}".replace(",", ".")
            )
            assert written.text == want
    english = setup.get(url, metric="self_sufficiency")
    title = ET.fromstring(english.text).find("s:title", SVG)
    assert title is not None and title.text == "Self-sufficiency by PV and battery added"
    assert setup.get(url, metric="cost_eur").status_code == 422


@pytest.mark.parametrize("who", OUTSIDERS)
def test_heat_maps_follow_the_sweeps_access(setup: Setup, who: str) -> None:
    private = f"/sweeps/{setup.private['sweep']}/heatmap.svg"
    r = setup.get(private, who=who, metric="npv_eur")
    assert r.status_code == 404 and "not found" in r.json()["detail"]
    # the owner sees it, but a queued sweep has no picture yet
    assert setup.get(private, metric="npv_eur").status_code == 409
    # a published sweep is readable by all, its picture once every point has succeeded
    published = f"/sweeps/{setup.published['sweep']}/heatmap.svg"
    assert setup.get(published, who=who, metric="npv_eur").status_code == 409


# -- robust answers over weather x price years ---------------------------------------------
TWO_WEATHER = ["TRY2015_Chemnitz_region09_Jahr.dat", "TRY2045_Chemnitz_region09_Somm.dat"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"robust": {"figure": "wind"}}, "robust.figure"),
        ({"robust": {"statistic": "p95"}}, "robust.statistic"),
        ({"robust": {"weather": ["/etc/passwd"]}}, "robust.weather"),
        ({"robust": {"weather": []}}, "robust.weather"),
        ({"robust": {"price_years": ["x"]}}, "robust.price_years"),
        ({"robust": {"target": 1e12}}, "robust.target"),
        ({"robust": {"best": "npv"}}, "robust.best"),
    ],
)
def test_bad_robust_sweeps_are_refused_naming_the_field(
    setup: Setup, body: dict[str, Any], field: str
) -> None:
    r = setup.post(
        f"/scenarios/{setup.scenario}/sweeps", json={"grid": {"pv_kwp_added": [0]}, **body}
    )
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"]


def test_a_robust_target_that_is_not_a_number_is_refused(setup: Setup) -> None:
    content = '{"grid": {"pv_kwp_added": [0]}, "robust": {"target": NaN}}'
    world = setup.real.world
    r = world.client.post(
        f"/scenarios/{setup.scenario}/sweeps",
        content=content,
        headers={**world.h("planner_a"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert "robust.target" in r.json()["detail"]


def test_a_robust_sweep_of_too_many_runs_is_refused(setup: Setup) -> None:
    # 5 x 5 points + the base (26) x 12 default members = 312 runs > 200
    grid = {"pv_kwp_added": [0, 1, 2, 3, 4], "battery_kwh_added": [0, 1, 2, 3, 4]}
    r = setup.post(f"/scenarios/{setup.scenario}/sweeps", json={"grid": grid, "robust": {}})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("robust: 25 designs (+ the base) x 12 members = 312")


def test_a_robust_sweep_through_the_api(setup: Setup) -> None:
    """One day, +0/+20 kWp, two weather members: quantiles of the members' own records."""
    robust = {"figure": "self_sufficiency", "weather": TWO_WEATHER, "price_years": [2024]}
    r = setup.post(
        f"/scenarios/{setup.scenario}/sweeps",
        json={"grid": {"pv_kwp_added": [0, 20]}, "robust": robust},
    )
    assert r.status_code == 202, r.text
    assert r.json()["robust"]["figure"] == "self_sufficiency_pct"
    assert setup.real.executor.drain() == [Outcome.succeeded] * 2
    done = setup.get(f"/sweeps/{r.json()['id']}").json()
    assert done["status"] == "succeeded", done
    answer = done["summary"]["robust"]
    assert answer["members"] == [
        "TRY 2015 mean year, prices 2024",
        "TRY 2045 extreme summer, prices 2024",
    ]
    assert answer["period"] == "1 day (2025-06-02..2025-06-02)"
    assert answer["annual_basis"] == "extrapolated" and answer["failed"] == []
    assert answer["ask"]["weather"] == TWO_WEATHER and answer["licence"] == "CC-BY-4.0"
    assert "nothing added" in answer["baseline"]
    paths = {s["file"] for s in answer["data_sources"] if s["role"] == "weather"}
    assert paths == {f"data/weather/{name}" for name in TWO_WEATHER}
    # the +20 kWp point's members, as its job stored them (fractions)
    members = done["points"][1]["record"]["members"]
    lo, hi = sorted(100 * m["self_sufficiency"] for m in members)
    d = answer["designs"][1]["figures"]["self_sufficiency_pct"]
    assert (d["min"], d["max"]) == pytest.approx((lo, hi), rel=1e-12)
    assert d["p10"] == pytest.approx(lo + 0.1 * (hi - lo), rel=1e-12)  # 2 values: position 0.1
    assert answer["choice"]["values"]["+20 kWp PV"] == pytest.approx(d["p10"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"robust": {"target": 40}}, "sweep_battery_kwh, sweep_pv_kwp"),
        ({"robust": {}, "sweep_battery_kwh": [0, 10]}, "robust.target"),
        (
            {"robust": {"target": 40, "search": "guess"}, "sweep_battery_kwh": [0, 10]},
            "robust.search",
        ),
        (
            {"robust": {"target": 40}, "sweep_battery_kwh": [0, 10], "sweep_pv_kwp": [5]},
            "sweep_battery_kwh, sweep_pv_kwp",
        ),
        ({"robust": {"target": 40}, "sweep_battery_kwh": [10, 10]}, "sweep_battery_kwh"),
        (
            {"robust": {"target": 40}, "sweep_battery_kwh": [10], "battery_at": "Rathaus"},
            "battery_at",
        ),
        ({"robust": {"target": 40}, "sweep_pv_kwp": [10], "pv_like": "PV-NONE"}, "pv_like"),
        ({"robust": {"target": 40}, "sweep_pv_kwp": [10], "pv_building": "Rathaus"}, "pv_building"),
    ],
)
def test_bad_robust_sizings_are_refused_naming_the_field(
    setup: Setup, body: dict[str, Any], field: str
) -> None:
    r = setup.post(f"/scenarios/{setup.scenario}/sizing", json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"]


def test_a_robust_sizing_job_says_when_no_size_reaches_the_target(setup: Setup) -> None:
    # self-sufficiency cannot exceed 100 %: no candidate reaches 100.5 %
    robust = {"target": 100.5, "weather": TWO_WEATHER[:1], "price_years": [2024]}
    r = setup.post(
        f"/scenarios/{setup.scenario}/sizing",
        json={"robust": robust, "sweep_battery_kwh": [40, 0]},
    )
    assert r.status_code == 202, r.text
    assert setup.real.executor.drain() == [Outcome.succeeded]
    result = setup.get(r.headers["Location"]).json()["result"]
    assert result["choice"]["choice"] is None
    assert result["search"]["evaluated"] == [0.0, 40.0]  # scan: smallest first
    assert result["summary"].startswith("Over 1 member (TRY 2015 mean year, prices 2024)")
    assert "no candidate size reaches the target" in result["summary"]
    assert ">= 100.5 %" in result["summary"]
    assert result["period"] == "1 day (2025-06-02..2025-06-02)"
