"""Scenario runs on a grid: grid-aware dispatch and imported (SimBench) networks.

References: the plain optimum of the same inputs (a lower bound of the cost of
any schedule that also respects grid limits), an AC check of the returned
schedule made here on its own, and the SimBench net as loaded by ``simbench``.
"""

from __future__ import annotations

import pandapower as pp
import pandas as pd
import pytest

from energy.ac_check import schedule_q_kvar
from energy.district import GERA_DISTRICT_FILE, District, PVSystem, load_district
from energy.models.grid import check_schedule, import_network, map_to_district
from energy.report.exports import export_info
from energy.scenario import ScenarioOptions, ScenarioResult, run_scenario, scenario_inputs

SIMBENCH_CODE = "1-LV-semiurb4--0-sw"


@pytest.fixture(scope="module")
def gera() -> District:
    return load_district(GERA_DISTRICT_FILE)


def _planted(gera: District, curtailable: bool) -> District:
    """1 MWp of PV on MF01 (60 m out on feeder F1), as in optimisation/test_network.py."""
    extra = PVSystem(id="PLANTED", building="MF01", kwp=1000.0, curtailable=curtailable)
    return gera.model_copy(update={"pv": [*gera.pv, extra]})


def _q_kvar(district: District, res: ScenarioResult) -> pd.DataFrame:
    """Reactive power per node of a run's schedule, as its AC check takes it."""
    options = ScenarioOptions.model_validate(res.metadata["options"])
    return schedule_q_kvar(district, scenario_inputs(district, options), res.schedule)


def _june(days: int, **kwargs: object) -> ScenarioOptions:
    """Clear-sky June days: the planted PV peaks at ~800 kW, over the 187 kW of its cable."""
    return ScenarioOptions(start="2025-06-10", days=days, weather="clearsky", **kwargs)


@pytest.fixture(scope="module")
def planted_runs(gera: District) -> tuple[District, ScenarioResult, ScenarioResult]:
    district = _planted(gera, curtailable=True)
    plain = run_scenario(district, _june(3, ac_check=True))
    aware = run_scenario(district, _june(3, grid_aware=True))
    return district, plain, aware


def test_grid_aware_run_removes_the_planted_overload(planted_runs) -> None:
    district, plain, aware = planted_runs
    # the plain optimum overloads F1 (found by its AC check) ...
    assert plain.grid is not None and not plain.grid["clean"]
    assert plain.grid["violations"] > 0 and plain.grid["max_line_loading_pct"] > 100.0
    # ... grid-aware dispatch starts from that same copper-plate optimum and ends clean
    assert aware.grid is not None
    record = aware.grid["grid_aware"]
    assert record["copper_plate_violations"] == plain.grid["violations"]
    assert record["clean"] and aware.grid["clean"], record["unresolved"]
    assert record["remaining_violations"] == 0 and record["unresolved"] == []
    assert 2 <= record["dispatches"] == len(record["iterations"])
    assert aware.metadata["grid_aware"] == record
    assert not any(w.startswith("grid") for w in aware.metadata["warnings"])
    # an AC check made here, on the returned node powers, agrees: no violation
    again = check_schedule(district, aware.node_p_kw, _q_kvar(district, aware))
    assert len(again.violations) == 0
    assert again.summary["max_line_loading_pct"] <= 100.0
    assert again.summary["max_voltage_rise_pct"] <= 3.0
    # grid limits only remove options: the cost cannot fall below the plain optimum
    cost_plain = plain.kpis["optimised"]["cost_eur"]
    cost_aware = aware.kpis["optimised"]["cost_eur"]
    assert cost_aware >= cost_plain - 1e-6
    # and what it gave up is PV at MF01, curtailed to relieve its service cable
    assert aware.schedule["pv_curtailed_kw:MF01"].sum() > 100.0
    assert aware.kpis["optimised"]["e_curtailed_kwh"] > plain.kpis["optimised"]["e_curtailed_kwh"]
    # the grid used is recorded: the one built from the district
    assert aware.metadata["network"]["source"] == "district"
    assert aware.metadata["options"]["grid_aware"] is True
    assert aware.metadata["data_licences"] == []


def test_grid_aware_run_never_presents_a_remainder_as_clean(gera: District) -> None:
    district = _planted(gera, curtailable=False)
    res = run_scenario(district, _june(1, grid_aware=True, ac_check=False))
    assert res.grid is not None  # grid-aware dispatch reports its AC check without ac_check
    record = res.grid["grid_aware"]
    assert not record["clean"] and not res.grid["clean"]
    assert record["remaining_violations"] == res.grid["violations"] > 0
    # the same count from an AC check made here on the returned node powers (and the
    # reactive power the run gives them)
    q = _q_kvar(district, res)
    assert len(check_schedule(district, res.node_p_kw, q).violations) == res.grid["violations"]
    text = "\n".join(record["unresolved"])
    assert "line_overload of service MF01" in text and "cannot be resolved" in text
    warnings = res.metadata["warnings"]
    assert any("violations remain" in w for w in warnings)
    assert [w for w in warnings if w.startswith("grid: ")] == [
        f"grid: {u}" for u in record["unresolved"]
    ]


@pytest.fixture(scope="module")
def simbench_net() -> pp.pandapowerNet:
    return import_network(SIMBENCH_CODE)


def test_run_on_an_imported_simbench_grid(gera: District, simbench_net) -> None:
    res = run_scenario(gera, _june(1), network=simbench_net)
    assert res.grid is not None
    used = res.metadata["network"]
    assert res.grid["network"] == used
    # the AC check ran on the SimBench net: its size and its bus names
    assert used["buses"] == len(simbench_net.bus) and used["lines"] == len(simbench_net.line)
    assert res.grid["v_min_bus"] in set(simbench_net.bus["name"])
    assert res.grid["max_line"] in set(simbench_net.line["name"])
    # the same figures from an AC check made here on the net mapped onto Gera
    mapped = map_to_district(simbench_net, gera)
    again = check_schedule(gera, res.node_p_kw, _q_kvar(gera, res), net=mapped).summary
    for key in ("v_min_pu", "v_max_pu", "max_line_loading_pct", "violations"):
        assert res.grid[key] == pytest.approx(again[key], abs=1e-9), key
    # named, with its licence, and exports carry ODbL
    assert used["source"] == "simbench" and used["code"] == SIMBENCH_CODE
    assert used["licence"] == "ODbL-1.0" and "10.3390/en13123290" in used["attribution"]
    assert "map_to_district" in used["node_map"]
    assert res.metadata["data_licences"] == ["ODbL-1.0"]
    exported = export_info(res.metadata)["data_licences"]  # the grid first, then the data files
    assert exported[0] == "ODbL-1.0"
    assert any(line.startswith("CC-BY-4.0: Bundesnetzagentur | SMARD.de") for line in exported)
    # the net given is not changed by the run (the mapping works on a copy)
    assert "MF01" not in set(simbench_net["node"].index)


def test_grid_aware_run_on_an_imported_simbench_grid(gera: District, simbench_net) -> None:
    plain = run_scenario(gera, _june(1), network=simbench_net)
    aware = run_scenario(gera, _june(1, grid_aware=True), network=simbench_net)
    assert aware.grid is not None and plain.grid is not None
    assert aware.grid["network"]["buses"] == len(simbench_net.bus)
    record = aware.grid["grid_aware"]
    assert record["copper_plate_violations"] == plain.grid["violations"]
    # Gera's 47 buildings crowd the 44-bus SimBench feeder: the plain optimum violates it
    assert plain.grid["violations"] > 0
    # curtailment and the batteries resolve it
    assert record["clean"] and aware.grid["violations"] == 0, record["unresolved"]
    assert aware.kpis["optimised"]["cost_eur"] >= plain.kpis["optimised"]["cost_eur"] - 1e-6


def test_network_is_unused_without_a_grid_check(gera: District, simbench_net) -> None:
    res = run_scenario(gera, _june(1, ac_check=False), network=simbench_net)
    assert res.grid is None
    assert res.metadata["network"] is None and res.metadata["data_licences"] == []
