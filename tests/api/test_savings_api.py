"""Savings of a run per period and source (``GET /runs/{id}/savings``), on a real run.

The run is the library's optimiser on the two-building test district, two
local days (Sunday 1 and Monday 2 June 2025, so two ISO weeks), without the AC
check. References: the sources add up to the total in every period; over the
horizon, battery + lighting equal the run's own savings against the baseline
(computed by ``energy.kpi`` from the schedules, a second path); the days add
up to the horizon.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
from sqlmodel import Session

from api.jobkinds import default_runner
from api.jobs import Outcome
from api.tables import RunResult
from tests.api.conftest import (
    QUIET_HEARTBEAT,
    RecordingExecutor,
    TestClient,
    World,
    build_app,
    build_world,
    make_settings,
    memory_engine,
)
from tests.api.test_access import OUTSIDERS

#: Two local days, hourly, no AC check (the check is not what these tests are about).
REAL_OPTIONS = {"start": "2025-06-01", "days": 2, "ac_check": False}
SOURCES = ("pv", "battery", "lighting")
LIGHTING_PARTS = ("lighting_class_rule", "lighting_optimisation")
METRICS = ("cost_eur", "e_import_kwh", "co2_kg", "self_sufficiency_points")


@dataclass
class RealWorld:
    """An app with organisations A and B whose jobs run the real optimiser when drained."""

    world: World
    executor: RecordingExecutor
    engine: Any

    def run(
        self,
        district_id: int,
        visibility: str = "private",
        changes: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
    ) -> int:
        """Create a scenario of the district, run it to success and return the run id."""
        sid = self.world.create_scenario(
            district_id,
            visibility=visibility,
            options=options or REAL_OPTIONS,
            changes=changes or {},
        )
        run_id = self.world.start_run(sid)
        assert self.executor.drain() == [Outcome.succeeded]
        return run_id


@contextmanager
def real_world() -> Iterator[RealWorld]:
    """A module's app on its own in-memory database, jobs run by ``default_runner``.

    The heartbeat is slow here: the in-memory database is one connection
    (StaticPool), which a heartbeat thread would share with the job's thread.
    """
    engine = memory_engine()
    settings = make_settings().model_copy(update=QUIET_HEARTBEAT)
    executor = RecordingExecutor(engine, settings)
    executor.runner = default_runner
    with TestClient(build_app(engine, settings, executor)) as client:
        yield RealWorld(build_world(client, engine), executor, engine)
    engine.dispose()


@dataclass
class Setup:
    real: RealWorld
    run: int
    published_run: int


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    with real_world() as real:
        private = real.world.create_district()
        published = real.world.create_district(visibility="published")
        yield Setup(real, real.run(private), real.run(published, visibility="published"))


def get(setup: Setup, path: str, who: str = "planner_a", **params: Any) -> Any:
    return setup.real.world.client.get(path, params=params, headers=setup.real.world.h(who))


def test_sources_add_up_in_every_period(setup: Setup) -> None:
    r = get(setup, f"/runs/{setup.run}/savings", period="day")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["licence"] == "CC-BY-4.0" and body["period"] == "day"
    assert body["baselines"] == ["B1", "B0", "nothing_built"] and body["run_id"] == setup.run
    assert body["headline_baseline"] == "B1"
    assert r.headers["X-Licence"] == "CC-BY-4.0" and 'rel="license"' in r.headers["Link"]
    rows = pd.DataFrame(body["rows"])
    # 2 local days x 3 baselines x (3 sources, total, 2 lighting parts) x 4 metrics
    assert len(rows) == 2 * 3 * 6 * 4
    assert sorted(rows["period"].unique()) == ["2025-06-01", "2025-06-02"]
    assert set(rows["period_start"]) == {"2025-06-01T00:00:00+02:00", "2025-06-02T00:00:00+02:00"}
    wide = rows.pivot_table(
        index=["period", "baseline", "metric"], columns="source", values="value"
    )
    assert len(wide) == 2 * 3 * 4
    parts = wide[list(SOURCES)].sum(axis=1)
    assert (parts - wide["total"]).abs().max() < 1e-9
    assert (wide[list(LIGHTING_PARTS)].sum(axis=1) - wide["lighting"]).abs().max() < 1e-9
    # the battery and the PV do something on a June day: the test is not vacuous
    cost = wide.xs("cost_eur", level="metric")
    assert (cost.xs("nothing_built", level="baseline")[["pv", "battery"]].abs() > 1e-3).all().all()
    assert (cost.xs("B0", level="baseline")["battery"].abs() > 1e-3).all()
    # against B1 and B0 the PV is the optimum's own: no PV saving there
    assert (cost.xs("B1", level="baseline")["pv"] == 0).all()


def test_horizon_totals_match_the_runs_own_savings(setup: Setup) -> None:
    body = get(setup, f"/runs/{setup.run}/savings", period="day").json()
    results = get(setup, f"/runs/{setup.run}/results").json()
    kpis = results["kpis"]
    for name in ("B1", "B0", "nothing_built"):
        totals = body["totals"][name]
        # total = baseline - optimised = the run's own savings record, from the KPIs
        assert totals["cost_eur"]["total"] == pytest.approx(
            results["savings"][f"vs_{name}"]["cost_eur"], abs=1e-6
        )
        saved_import = kpis[name]["e_import_kwh"] - kpis["optimised"]["e_import_kwh"]
        assert totals["e_import_kwh"]["total"] == pytest.approx(saved_import, abs=1e-6)
        # additive metrics: the days add up to the horizon
        for metric in ("cost_eur", "e_import_kwh", "co2_kg"):
            days = [p[metric]["total"] for p in body["by_baseline"][name]]
            assert sum(days) == pytest.approx(totals[metric]["total"], rel=1e-9)
    assert [p["hours"] for p in body["by_baseline"]["B0"]] == [24.0, 24.0]


def test_weeks_are_iso_weeks_and_one_baseline_can_be_chosen(setup: Setup) -> None:
    body = get(setup, f"/runs/{setup.run}/savings", period="week", baseline="B1").json()
    assert body["baselines"] == ["B1"]
    assert {row["baseline"] for row in body["rows"]} == {"B1"}
    # Sunday 1 June 2025 ends ISO week 22, Monday 2 June starts week 23
    periods = body["by_baseline"]["B1"]
    assert [p["period"] for p in periods] == ["2025-W22", "2025-W23"]
    assert [p["complete"] for p in periods] == [False, False]
    assert list(body["totals"]) == ["B1"]


def test_csv_carries_the_licence_and_the_json_values(setup: Setup) -> None:
    r = get(setup, f"/runs/{setup.run}/savings", period="day", format="csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["X-Licence"] == "CC-BY-4.0"
    assert r.text.startswith("# licence: CC-BY-4.0 (https://creativecommons.org/licenses/by/4.0/)")
    assert f"# source: run {setup.run} of scenario" in r.text
    table = pd.read_csv(io.StringIO(r.text), comment="#")
    assert list(table.columns) == [
        "period_start",
        "period",
        "baseline",
        "source",
        "metric",
        "value",
    ]
    rows = pd.DataFrame(get(setup, f"/runs/{setup.run}/savings", period="day").json()["rows"])
    assert table["value"].to_numpy() == pytest.approx(rows["value"].to_numpy(), rel=1e-8)


def test_missing_baselines_are_recomputed(setup: Setup) -> None:
    totals = get(setup, f"/runs/{setup.run}/savings", period="day").json()["totals"]
    # a run stored before the baselines were kept (migration 0002): columns empty
    with Session(setup.real.engine) as session:
        row = session.get(RunResult, setup.run)
        assert row is not None and row.baseline_b0_parquet is not None
        kept = (row.baseline_b0_parquet, row.baseline_b1_parquet)
        row.baseline_b0_parquet = row.baseline_b1_parquet = None
        session.add(row)
        session.commit()
    try:
        again = get(setup, f"/runs/{setup.run}/savings", period="month").json()["totals"]
    finally:
        with Session(setup.real.engine) as session:
            row = session.get(RunResult, setup.run)
            assert row is not None
            row.baseline_b0_parquet, row.baseline_b1_parquet = kept
            session.add(row)
            session.commit()
    for name in ("B0", "B1"):
        for metric in METRICS:
            for source in (*SOURCES, "total"):
                assert again[name][metric][source] == pytest.approx(
                    totals[name][metric][source], abs=1e-9
                )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "fortnight"}, "period"),
        ({"baseline": "B2"}, "baseline"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_parameters_are_refused_naming_them(
    setup: Setup, params: dict[str, str], field: str
) -> None:
    r = get(setup, f"/runs/{setup.run}/savings", **params)
    assert r.status_code == 422
    assert field in r.json()["detail"]


def test_savings_of_an_unfinished_run_are_a_conflict(setup: Setup) -> None:
    world = setup.real.world
    run_id = world.start_run(world.create_scenario(world.create_district()))
    r = get(setup, f"/runs/{run_id}/savings")
    assert r.status_code == 409 and "queued" in r.json()["detail"]
    setup.real.executor.submitted.clear()


@pytest.mark.parametrize("who", OUTSIDERS)
def test_savings_of_private_runs_are_hidden(setup: Setup, who: str) -> None:
    r = get(setup, f"/runs/{setup.run}/savings", who=who)
    assert r.status_code == 404 and "not found" in r.json()["detail"]
    assert get(setup, f"/runs/{setup.published_run}/savings", who=who).status_code == 200
