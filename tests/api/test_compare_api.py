"""Runs side by side (``GET /compare``) on two real runs of the test district.

Run A is the district as it is; run B adds 20 kWp of PV and a 40 kWh / 20 kW
battery. Investments are checked against hand calculations with the German
defaults of ``energy.analysis.economics`` (PV by size band 1,500 / 1,200 / 900 EUR/kWp
up to 10 / 100 kWp / above; batteries 800 EUR/kWh up to 30 kWh, 500 above;
150 EUR per luminaire controller).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest

from tests.api.test_access import OUTSIDERS
from tests.api.test_savings_api import RealWorld, real_world

ADDED = {
    "pv_kwp_added": 20,
    "batteries": [{"capacity_kwh": 40, "power_kw": 20}],
}


@dataclass
class Setup:
    real: RealWorld
    a: int
    b: int
    published: int


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    with real_world() as real:
        district = real.world.create_district()
        published = real.world.create_district(visibility="published")
        yield Setup(
            real,
            real.run(district),
            real.run(district, changes=ADDED),
            real.run(published, visibility="published"),
        )


def get(setup: Setup, who: str = "planner_a", **params: Any) -> Any:
    return setup.real.world.client.get("/compare", params=params, headers=setup.real.world.h(who))


def values(body: dict[str, Any], key: str) -> dict[str, Any]:
    return next(row["values"] for row in body["rows"] if row["key"] == key)


def test_whole_system_view(setup: Setup) -> None:
    r = get(setup, runs=f"{setup.a},{setup.b}")
    assert r.status_code == 200, r.text
    assert r.headers["X-Licence"] == "CC-BY-4.0"
    body = r.json()
    assert body["licence"] == "CC-BY-4.0" and body["economic_reference"] == "nothing built"
    names = [run["name"] for run in body["runs"]]
    assert [run["id"] for run in body["runs"]] == [setup.a, setup.b]
    assert body["scenarios"] == names == [f"Szenario (run {setup.a})", f"Szenario (run {setup.b})"]
    # the optimised costs are those of each run's own results
    for run_id, name in zip((setup.a, setup.b), names, strict=True):
        results = setup.real.world.client.get(
            f"/runs/{run_id}/results", headers=setup.real.world.h("planner_a")
        ).json()
        assert values(body, "cost_eur")[name] == pytest.approx(
            results["kpis"]["optimised"]["cost_eur"], rel=1e-12
        )
        assert values(body, "cost_eur_vs_B0")[name] == pytest.approx(
            results["savings"]["vs_B0"]["cost_eur"], rel=1e-12
        )
    # everything run A's district has: PV1 20 kWp (1,200 EUR/kWp) = 24,000;
    # BAT1 50 kWh (500 EUR/kWh) = 25,000; 10 controllers x 150 = 1,500 -> 50,500 EUR
    assert values(body, "capex_eur")[names[0]] == pytest.approx(50_500.0)
    # two local days scaled to a year: 8760 / 48 = 182.5, an estimate
    assert values(body, "annualisation_factor")[names[0]] == pytest.approx(182.5)
    assert values(body, "annual_savings_is_estimate")[names[0]] is True


def test_incremental_view_against_a_reference_run(setup: Setup) -> None:
    body = get(setup, runs=f"{setup.a},{setup.b}", reference=setup.a).json()
    a, b = body["scenarios"]
    assert body["economic_reference"] == a
    capex = values(body, "capex_eur")
    # what B adds: 20 kWp split by demand 30,000 : 10,000 kWh -> 15 kWp (1,200 EUR/kWp)
    # and 5 kWp (1,500 EUR/kWp) = 18,000 + 7,500; a 40 kWh battery x 500 = 20,000
    assert capex[b] == pytest.approx(45_500.0)
    assert capex[a] == 0.0
    cost = values(body, "cost_eur")
    assert values(body, "horizon_savings_eur")[b] == pytest.approx(cost[a] - cost[b], rel=1e-12)


def test_csv_has_the_licence_and_one_column_per_run(setup: Setup) -> None:
    r = get(setup, runs=f"{setup.a},{setup.b}", format="csv")
    assert r.status_code == 200 and r.headers["X-Licence"] == "CC-BY-4.0"
    assert r.text.startswith("# licence: CC-BY-4.0")
    table = pd.read_csv(io.StringIO(r.text), comment="#")
    assert list(table.columns) == [
        "key",
        "label",
        "unit",
        f"Szenario (run {setup.a})",
        f"Szenario (run {setup.b})",
    ]
    assert "npv_eur" in set(table["key"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"runs": "1,zwei"}, "runs"),
        ({"runs": ""}, "runs"),
        ({"runs": ",".join(["1"] * 11)}, "runs"),
        ({"runs": "1,1"}, "runs"),
        ({"runs": "1,2", "reference": 3}, "reference"),
        ({"runs": "1", "format": "pdf"}, "format"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    setup: Setup, params: dict[str, Any], field: str
) -> None:
    r = get(setup, **params)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"]


def test_an_unfinished_run_is_a_conflict(setup: Setup) -> None:
    world = setup.real.world
    queued = world.start_run(world.create_scenario(world.create_district()))
    r = get(setup, runs=f"{setup.a},{queued}")
    assert r.status_code == 409 and f"run {queued} is queued" in r.json()["detail"]
    setup.real.executor.submitted.clear()


@pytest.mark.parametrize("who", OUTSIDERS)
def test_private_runs_of_others_are_hidden(setup: Setup, who: str) -> None:
    for runs in (f"{setup.a}", f"{setup.published},{setup.b}"):
        r = get(setup, who=who, runs=runs)
        assert r.status_code == 404 and "not found" in r.json()["detail"]
    assert get(setup, who=who, runs=f"{setup.published}").status_code == 200
