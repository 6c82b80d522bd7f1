"""Measured meter data: upload (``POST /districts/{id}/meter-data``) and plan vs measurement.

The meter files are made from a real run's own schedule, so the expected
answer is known without the code under test: a meter that measured exactly
the plan gives measured = planned; a consumption 10 % higher gives a measured
consumption of exactly 1.1 x the planned one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest

from tests.api.test_access import OUTSIDERS
from tests.api.test_savings_api import RealWorld, real_world

ONE_DAY = {"start": "2025-06-02", "days": 1, "ac_check": False}


@dataclass
class Setup:
    real: RealWorld
    district: int
    run: int
    published_district: int
    published_run: int
    schedule: pd.DataFrame

    def h(self, who: str) -> dict[str, str]:
        return self.real.world.h(who)

    def upload(self, text: str, who: str = "planner_a", district: int | None = None) -> Any:
        return self.real.world.client.post(
            f"/districts/{district or self.district}/meter-data",
            files={"file": ("zaehler.csv", text.encode(), "text/csv")},
            headers=self.h(who),
        )

    def compare(self, meter_id: int, who: str = "planner_a", run: int | None = None) -> Any:
        return self.real.world.client.get(
            f"/runs/{run or self.run}/meter-comparison",
            params={"meter_data": meter_id},
            headers=self.h(who),
        )


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    with real_world() as real:
        district = real.world.create_district()
        run = real.run(district, options=ONE_DAY)
        published = real.world.create_district(visibility="published")
        published_run = real.run(published, visibility="published", options=ONE_DAY)
        rows = real.world.client.get(
            f"/runs/{run}/schedule", headers=real.world.h("planner_a")
        ).json()["rows"]
        yield Setup(real, district, run, published, published_run, pd.DataFrame(rows))


def meter_csv(schedule: pd.DataFrame, consumption_factor: float = 1.0) -> str:
    """A meter file that measured the plan: consumption = buildings + lighting, PV as fed in."""
    consumption = (schedule["load_kw"] + schedule["lighting_kw"]) * consumption_factor
    generation = schedule["pv_kw"] - schedule["pv_curtailed_kw"]
    lines = ["# Zaehlerdaten Testquartier", "time;consumption_kw;generation_kw"]
    lines += [
        f"{t};{c!r};{g!r}"
        for t, c, g in zip(schedule["time_utc"], consumption, generation, strict=True)
    ]
    return "\n".join(lines) + "\n"


def test_a_meter_that_measured_the_plan(setup: Setup) -> None:
    r = setup.upload(meter_csv(setup.schedule))
    assert r.status_code == 201, r.text
    meter = r.json()
    assert r.headers["Location"] == f"/meter-data/{meter['id']}"
    assert meter["rows"] == 24 and meter["step_minutes"] == 60.0
    assert meter["columns"] == ["consumption_kw", "generation_kw"]
    assert meter["start"] == "2025-06-01T22:00:00Z" and meter["end"] == "2025-06-02T22:00:00Z"
    r = setup.compare(meter["id"])
    assert r.status_code == 200, r.text
    assert r.headers["X-Licence"] == "CC-BY-4.0"
    body = r.json()
    assert body["licence"] == "CC-BY-4.0" and body["meter_data_id"] == meter["id"]
    assert "meter data" in body["source"]
    for name, row in body["kpis"].items():
        assert row["measured"] == pytest.approx(row["planned"], rel=1e-9, abs=1e-6), name
    for baseline in ("B0", "B1"):
        for metric, row in body["savings"][baseline].items():
            assert row["difference"] == pytest.approx(0.0, abs=1e-6), (baseline, metric)
    listed = setup.real.world.client.get(
        f"/districts/{setup.district}/meter-data", headers=setup.h("planner_a")
    ).json()
    assert meter["id"] in [m["id"] for m in listed["items"]]


def test_more_consumption_is_measured_as_such(setup: Setup) -> None:
    meter = setup.upload(meter_csv(setup.schedule, consumption_factor=1.1)).json()
    kpis = setup.compare(meter["id"]).json()["kpis"]
    planned = kpis["e_consumption_kwh"]["planned"]
    assert kpis["e_consumption_kwh"]["measured"] == pytest.approx(1.1 * planned, rel=1e-9)
    assert kpis["e_import_kwh"]["measured"] > kpis["e_import_kwh"]["planned"]


def test_quarter_hours_are_averaged_onto_the_hours(setup: Setup) -> None:
    # each hour's four quarter-hours are v+1, v-1, v+1, v-1 kW: their mean is v
    lines = ["time,consumption_kw,generation_kw"]
    s = setup.schedule
    for t, load, light, gen in zip(
        s["time_utc"],
        s["load_kw"],
        s["lighting_kw"],
        s["pv_kw"] - s["pv_curtailed_kw"],
        strict=True,
    ):
        for q, sign in enumerate((1, -1, 1, -1)):
            time = pd.Timestamp(t) + pd.Timedelta(minutes=15 * q)
            lines.append(f"{time.isoformat()},{load + light + sign!r},{gen!r}")
    meter = setup.upload("\n".join(lines)).json()
    assert meter["rows"] == 96 and meter["step_minutes"] == 15.0
    kpis = setup.compare(meter["id"]).json()["kpis"]
    assert kpis["e_consumption_kwh"]["measured"] == pytest.approx(
        kpis["e_consumption_kwh"]["planned"], rel=1e-9
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("time,consumption_kw\n2025-06-02T00:00Z,1\n2025-06-02T01:00Z,viel\n", "line 3"),
        ("time,consumption_kw\n2025-06-02T00:00Z,1\n2025-06-02T01:00Z,viel\n", "consumption_kw"),
        ("time,consumption_kw\n2025-06-02T00:00,1\n2025-06-02T01:00,2\n", "column time"),
        ("time,generation_kw\n2025-06-02T00:00Z,1\n2025-06-02T01:00Z,2\n", "consumption_kw"),
        ("time,consumption_kw\n2025-06-02T00:00Z,1\n2025-06-02T01:00Z,-2\n", "negative"),
        ("/etc/passwd", "header line"),
    ],
)
def test_bad_files_are_refused_naming_line_and_column(
    setup: Setup, text: str, expected: str
) -> None:
    r = setup.upload(text)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert expected in detail and "zaehler.csv" in detail
    assert "root" not in detail  # a one-line file is never taken for a server path


def test_a_file_over_the_size_limit_is_refused(setup: Setup) -> None:
    big = meter_csv(setup.schedule) + "#" * 250_000  # the test limit is 200,000 bytes
    assert setup.upload(big).status_code == 413


def test_meter_data_must_fit_the_run(setup: Setup) -> None:
    other = setup.upload(meter_csv(setup.schedule), district=setup.published_district).json()
    r = setup.compare(other["id"])
    assert r.status_code == 422 and "meter_data" in r.json()["detail"]
    assert f"district {setup.published_district}" in r.json()["detail"]
    half_day = meter_csv(setup.schedule.iloc[:12])
    r = setup.compare(setup.upload(half_day).json()["id"])
    assert r.status_code == 422
    assert "meter_data" in r.json()["detail"] and "no value for" in r.json()["detail"]


def test_meter_data_are_their_organisations_own(setup: Setup) -> None:
    """A cooperative's meter data on a published district: theirs to compare, hidden from A."""
    r = setup.upload(
        meter_csv(setup.schedule), who="cooperative_b", district=setup.published_district
    )
    assert r.status_code == 201, r.text
    mine = r.json()["id"]
    assert setup.compare(mine, who="cooperative_b", run=setup.published_run).status_code == 200
    for who in ("planner_a", "viewer_b"):
        assert setup.compare(mine, who=who, run=setup.published_run).status_code == 404
        got = setup.real.world.client.get(f"/meter-data/{mine}", headers=setup.h(who))
        assert got.status_code == 404
    assert setup.upload(meter_csv(setup.schedule), who="viewer_a").status_code == 404
    r = setup.upload(meter_csv(setup.schedule), who="viewer_a", district=setup.published_district)
    assert r.status_code == 403  # viewers never write


@pytest.mark.parametrize("who", OUTSIDERS)
def test_private_objects_stay_hidden(setup: Setup, who: str) -> None:
    own = setup.upload(meter_csv(setup.schedule)).json()["id"]
    client = setup.real.world.client
    refusals = [
        setup.upload(meter_csv(setup.schedule), who=who),
        client.get(f"/districts/{setup.district}/meter-data", headers=setup.h(who)),
        client.get(f"/meter-data/{own}", headers=setup.h(who)),
        setup.compare(own, who=who),
    ]
    for r in refusals:
        assert r.status_code == 404, r.text
        assert "not found" in r.json()["detail"]
