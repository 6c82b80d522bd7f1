"""Runs of a district with an imported grid: the AC check and grid-aware dispatch use it.

References: the district's grid as the API itself serves it (GeoJSON of the
stored version, built from the SimBench data), and ODbL-1.0, the licence of
SimBench data (https://simbench.de).
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from api.jobkinds import default_runner
from api.jobs import Outcome
from tests.api.conftest import RecordingExecutor, World

SIMBENCH_CODE = "1-LV-rural1--0-sw"


def test_run_on_an_imported_simbench_grid(world: World, executor: RecordingExecutor) -> None:
    c, h = world.client, world.h("planner_a")
    executor.runner = default_runner
    district_id = world.create_district()
    r = c.post(
        f"/districts/{district_id}/network/simbench", json={"code": SIMBENCH_CODE}, headers=h
    )
    assert r.status_code == 202, r.text
    assert executor.drain() == [Outcome.succeeded]  # the import job
    assert c.get(r.headers["Location"], headers=h).json()["version"] == 2
    assert c.get(f"/districts/{district_id}", headers=h).json()["version"]["has_network"]
    geo = c.get(f"/districts/{district_id}/grid.geojson", headers=h).json()
    buses = {
        f["properties"]["name"] for f in geo["features"] if f["properties"]["element_type"] == "bus"
    }
    sid = world.create_scenario(
        district_id,
        options={
            "start": "2025-06-02",
            "days": 1,
            "weather": "clearsky",
            "ac_check": True,
            "grid_aware": True,
        },
    )
    run_id = world.start_run(sid)
    assert executor.drain() == [Outcome.succeeded]
    run = c.get(f"/runs/{run_id}", headers=h).json()
    assert run["status"] == "succeeded" and run["error"] is None
    assert run["options"]["grid_aware"] is True
    results = c.get(f"/runs/{run_id}/results", headers=h).json()
    grid, meta = results["grid"], results["metadata"]
    # the grid check used the imported grid: its size and its bus names
    assert grid["network"]["source"] == "simbench" and grid["network"]["code"] == SIMBENCH_CODE
    assert grid["network"]["buses"] == len(buses)
    assert grid["v_min_bus"] in buses and grid["v_max_bus"] in buses
    # grid-aware dispatch ran: 40 MWh/a and 20 kWp are far below what the rural feeder
    # carries, so the first (copper-plate) dispatch is already clean
    aware = grid["grid_aware"]
    assert aware["clean"] and grid["clean"] and aware["dispatches"] == 1
    assert aware["unresolved"] == [] and grid["violations"] == 0
    assert meta["grid_aware"] == aware and meta["network"] == grid["network"]
    # ODbL in the results' metadata and in every export
    assert meta["data_licences"][0].startswith("ODbL-1.0")
    assert any("Bundesnetzagentur | SMARD.de" in line for line in meta["data_licences"])
    csv = c.get(f"/runs/{run_id}/schedule?format=csv", headers=h)
    assert csv.status_code == 200
    assert any(line.startswith("# contains: ODbL-1.0") for line in csv.text.splitlines()[:10]), (
        csv.text[:500]
    )
    assert len(pd.read_csv(io.StringIO(csv.text), comment="#")) == 24
    savings = c.get(f"/runs/{run_id}/savings?period=day", headers=h).json()
    assert any(x.startswith("ODbL-1.0") for x in savings["data_licences"])
    # the run's grid map shows the imported grid with the run's own extremes
    run_geo = c.get(f"/runs/{run_id}/grid.geojson", headers=h).json()
    run_buses = [f for f in run_geo["features"] if f["properties"]["element_type"] == "bus"]
    assert {f["properties"]["name"] for f in run_buses} == buses
    v_min = min(f["properties"]["vm_min_pu"] for f in run_buses)
    assert v_min == pytest.approx(grid["v_min_pu"], abs=1e-6)  # GeoJSON keeps 6 decimals


def test_run_without_an_imported_grid_uses_the_built_one(
    world: World, executor: RecordingExecutor
) -> None:
    c, h = world.client, world.h("planner_a")
    executor.runner = default_runner
    district_id = world.create_district()
    sid = world.create_scenario(
        district_id,
        options={"start": "2025-06-02", "days": 1, "weather": "clearsky", "grid_aware": True},
    )
    run_id = world.start_run(sid)
    assert executor.drain() == [Outcome.succeeded]
    results = c.get(f"/runs/{run_id}/results", headers=h).json()
    assert results["grid"]["network"]["source"] == "district"
    # the clear sky is no data file; the day-ahead prices are, and no SimBench grid went in
    lines = results["metadata"]["data_licences"]
    assert results["data_licences"] == lines
    assert not any("ODbL" in line or "Wetterdienst" in line for line in lines), lines
    assert any(line.startswith("CC-BY-4.0: Bundesnetzagentur | SMARD.de") for line in lines)
    csv = c.get(f"/runs/{run_id}/schedule?format=csv", headers=h).text
    assert "ODbL" not in csv
