"""A real run through the API: the library's optimiser on the small district, one day."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from api.jobkinds import default_runner
from api.jobs import Outcome
from tests.api.conftest import RecordingExecutor, World


def test_real_run_results_and_exports(world: World, executor: RecordingExecutor) -> None:
    c, h = world.client, world.h("planner_a")
    executor.runner = default_runner
    district_id = world.create_district()
    sid = world.create_scenario(
        district_id,
        options={"start": "2025-06-02", "days": 1, "resolution": "1h", "ac_check": True},
        changes={"batteries": [{"capacity_kwh": 40, "power_kw": 20}]},
    )
    run_id = world.start_run(sid)
    assert executor.drain() == [Outcome.succeeded]
    run = c.get(f"/runs/{run_id}", headers=h).json()
    assert run["status"] == "succeeded" and run["error"] is None
    results = c.get(f"/runs/{run_id}/results", headers=h).json()
    kpis = results["kpis"]
    # the optimum is never dearer than either baseline (both are feasible schedules)
    assert kpis["optimised"]["cost_eur"] <= kpis["B0"]["cost_eur"] + 1e-6
    assert kpis["optimised"]["cost_eur"] <= kpis["B1"]["cost_eur"] + 1e-6
    assert results["savings"]["vs_B0"]["cost_eur"] == pytest.approx(
        kpis["B0"]["cost_eur"] - kpis["optimised"]["cost_eur"], abs=1e-6
    )
    assert results["metadata"]["options"]["days"] == 1
    assert results["grid"] is not None
    csv = c.get(f"/runs/{run_id}/schedule?format=csv", headers=h).text
    s = pd.read_csv(io.StringIO(csv), comment="#")
    assert len(s) == 24
    # energy balance at every step, recomputed from the exported schedule:
    # import + PV - curtailed + discharge = load + lighting + charge + export
    supply = s["p_import_kw"] + s["pv_kw"] - s["pv_curtailed_kw"] + s["p_discharge_kw"]
    demand = s["load_kw"] + s["lighting_kw"] + s["p_charge_kw"] + s["p_export_kw"]
    assert (supply - demand).abs().max() < 1e-4
    # the battery added by the scenario is in the schedule
    assert "soc_kwh:BAT-ADD-substation" in s.columns
    day = c.get(f"/runs/{run_id}/schedule?aggregate=day", headers=h).json()["rows"][0]
    assert day["e_import_kwh"] == pytest.approx(s["p_import_kw"].sum(), rel=1e-7)
    nodes = c.get(f"/runs/{run_id}/node-power", headers=h).json()
    assert len(nodes["rows"]) == 24 and "p_kw:B1" in nodes["columns"]
