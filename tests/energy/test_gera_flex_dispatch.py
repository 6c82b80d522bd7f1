"""The Gera quarter with heat pumps and wallboxes through the whole run: dispatch, baselines, AC.

The optimum is never worse than the thermostat / charge-on-arrival baselines,
comfort and departure energy hold in every step (re-checked from the
schedule's columns, not from the model), the AC power flow checks the node
powers with heat pumps and charging, and ``energy optimise --json`` carries
the heat and mobility KPIs for the optimum and the baselines.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from energy.cli.main import app
from energy.district import DATA_DIR, District, load_district
from energy.models.flex import dimmed_limit_kw
from energy.scenario import ScenarioOptions, ScenarioResult, run_scenario, scenario_inputs
from energy.system import DispatchInputs, node_injections_kw

HEAT_FILE = DATA_DIR / "gera" / "district_heat_mobility.yaml"
TOL = 1e-6


@pytest.fixture(scope="module")
def gera_heat() -> District:
    return load_district(HEAT_FILE)


def check_flex(inputs: DispatchInputs, schedule: object) -> None:
    """Comfort band, no unmet heat, every departed car full, charging within the plugged power."""
    import pandas as pd

    assert isinstance(schedule, pd.DataFrame) and inputs.flex is not None
    dt_h = inputs.dt_h
    for u in inputs.flex.heat_pumps:
        assert schedule[f"q_unmet_kw:{u.id}"].max() <= TOL, u.id
        if u.store is not None:
            e = schedule[f"heat_store_kwh:{u.id}"].to_numpy()
            assert e.min() >= u.store.e_min_kwh - TOL and e.max() <= u.store.e_max_kwh + TOL
        assert (schedule[f"p_heat_pump_kw:{u.id}"] <= u.electric_kw + TOL).all()
    for g in inputs.flex.ev_groups:
        p = schedule[f"p_ev_kw:{g.id}"].to_numpy()
        charged = np.cumsum(p) * dt_h  # summed anew: solver tolerance adds up over the steps
        tol_kwh = 1e-7 * len(p) + 1e-6
        assert (charged >= np.cumsum(g.e_depart_kwh) - tol_kwh).all(), g.id
        assert (charged <= np.cumsum(g.e_arrive_kwh) + tol_kwh).all(), g.id
        assert (p <= g.p_max_kw + TOL).all() and p.min() >= -TOL


@pytest.fixture(scope="module")
def week(gera_heat: District) -> tuple[DispatchInputs, ScenarioResult]:
    options = ScenarioOptions(start=dt.date(2025, 1, 13), days=7, ac_check=True)
    return scenario_inputs(gera_heat, options), run_scenario(gera_heat, options)


def test_winter_week_optimum_beats_thermostat_and_charge_on_arrival(
    week: tuple[DispatchInputs, ScenarioResult],
) -> None:
    inputs, result = week
    opt = result.kpis["optimised"]
    for name in ("B1", "B0"):
        assert opt["cost_eur"] <= result.kpis[name]["cost_eur"] + 1e-6
        # the same heat and the same car energy are delivered in every schedule
        assert result.kpis[name]["e_heat_kwh"] == pytest.approx(opt["e_heat_kwh"])
        assert result.kpis[name]["e_ev_kwh"] == pytest.approx(opt["e_ev_kwh"], rel=1e-6)
        assert result.kpis[name]["e_heat_unmet_kwh"] == pytest.approx(0.0, abs=1e-6)
    check_flex(inputs, result.schedule)
    for name in ("B1", "B0"):
        check_flex(inputs, result.baselines[name])
    # a winter week: SCOP of air-source pumps between 2 and 4, EV energy > 0
    assert 2.0 < opt["scop"] < 4.0 and opt["e_ev_kwh"] > 0
    assert opt["self_sufficiency_heat"] > opt["self_sufficiency"]


def test_ac_check_sees_heat_pumps_and_charging(week: tuple[DispatchInputs, ScenarioResult]) -> None:
    inputs, result = week
    assert result.grid is not None and result.grid["steps"] == 7 * 24
    node = result.node_p_kw
    s = result.schedule
    np.testing.assert_allclose(
        node.sum(axis=1).to_numpy(), (s.p_import_kw - s.p_export_kw).to_numpy(), atol=1e-5
    )
    # the building with a heat pump and wallboxes: load - PV + battery + pump + backup + EV
    without = node_injections_kw(inputs, s.drop(columns=[c for c in s if c.endswith(":MF01")]))
    flex = s["p_heat_pump_kw:MF01"] + s["p_backup_heater_kw:MF01"] + s["p_ev_kw:MF01"]
    np.testing.assert_allclose((node["MF01"] - without["MF01"]).to_numpy(), flex.to_numpy())
    assert flex.max() > 10.0  # the pump and the wallboxes do draw power there


def test_cli_optimise_json_has_heat_and_mobility_kpis() -> None:
    out = CliRunner().invoke(
        app, ["optimise", str(HEAT_FILE), "--days", "2", "--no-ac-check", "--json"]
    )
    assert out.exit_code == 0, out.output
    kpis = json.loads(out.stdout[out.stdout.index("{") :])["kpis"]
    for name in ("optimised", "B0", "B1"):
        for key in ("e_heat_pump_kwh", "e_ev_kwh", "self_sufficiency", "self_sufficiency_heat"):
            assert kpis[name][key] > 0, (name, key)
    assert kpis["optimised"]["cost_eur"] <= kpis["B0"]["cost_eur"] + 1e-6


@pytest.mark.slow
def test_gera_year_with_heat_and_mobility(gera_heat: District) -> None:
    """The whole year: never worse than the baselines, comfort and departures met in every step.

    Annual heat-pump electricity (compressor + backup) is that of the
    thermostat within 1 % (the same heat, a little more at the better COP of
    shifted hours), EV energy 540.8 MWh as `energy mobility` gives.
    """
    options = ScenarioOptions(days=365, ac_check=False)
    inputs = scenario_inputs(gera_heat, options)
    result = run_scenario(gera_heat, options)
    opt = result.kpis["optimised"]
    for name in ("B1", "B0"):
        assert opt["cost_eur"] <= result.kpis[name]["cost_eur"] + 1e-6
        assert opt["self_sufficiency"] >= result.kpis[name]["self_sufficiency"] - 0.02
    check_flex(inputs, result.schedule)
    assert opt["e_heat_pump_kwh"] == pytest.approx(result.kpis["B0"]["e_heat_pump_kwh"], rel=0.01)
    assert opt["e_ev_kwh"] == pytest.approx(540_800.0, rel=0.005)


def test_14a_dimming_window_in_a_gera_run(gera_heat: District) -> None:
    """Dimmed 17:00-20:00: every controllable pump and charging point within its §14a minimum."""
    base = ScenarioOptions(start=dt.date(2025, 1, 13), days=2, ac_check=False)
    dimmed = base.model_copy(update={"dimming_14a": "17:00-20:00"})
    inputs = scenario_inputs(gera_heat, dimmed)
    result = run_scenario(gera_heat, dimmed)
    free = run_scenario(gera_heat, base)
    assert inputs.flex is not None
    mask = inputs.flex.heat_pumps[0].dimmed
    assert mask is not None and mask.sum() == 2 * 3
    s = result.schedule
    for u in inputs.flex.heat_pumps:
        drawn = (s[f"p_heat_pump_kw:{u.id}"] + s[f"p_backup_heater_kw:{u.id}"]).to_numpy()
        limit = dimmed_limit_kw(u.electric_kw + u.backup_kw)
        assert (drawn[mask] <= limit + TOL).all(), u.id
    for g in inputs.flex.ev_groups:
        assert (s[f"p_ev_kw:{g.id}"].to_numpy()[mask] <= 4.2 * g.points + TOL).all(), g.id
    check_flex(inputs, s)
    assert result.kpis["optimised"]["cost_eur"] >= free.kpis["optimised"]["cost_eur"] - 1e-6
    for name in ("B1", "B0"):
        assert result.kpis["optimised"]["cost_eur"] <= result.kpis[name]["cost_eur"] + 1e-6


def test_14a_ems_connection_from_the_spec(gera_heat: District) -> None:
    """``control_14a: ems`` on MF01: its pump and wallboxes share one limit (Ziff. 4.5.2)."""
    data = gera_heat.model_dump()
    mf01 = next(b for b in data["buildings"] if b["id"] == "MF01")
    mf01["control_14a"] = "ems"
    district = District.model_validate(data)
    options = ScenarioOptions(start=dt.date(2025, 1, 13), days=1, ac_check=False,
                              dimming_14a="17:00-20:00")  # fmt: skip
    flex = scenario_inputs(district, options).flex
    assert flex is not None
    hp = next(b.heat_pump for b in district.buildings if b.id == "MF01")
    ev = next(b.ev_chargers for b in district.buildings if b.id == "MF01")
    assert hp is not None and ev is not None
    n = 1 + ev.count  # the pump and every point above 4.2 kW
    gzf = {2: 0.8, 3: 0.75, 4: 0.7, 5: 0.65, 6: 0.6, 7: 0.55, 8: 0.5}.get(n, 0.45)
    base = 0.4 * hp.connection_kw if hp.connection_kw > 11.0 else 4.2
    assert dict(flex.ems) == {"MF01": pytest.approx(base + (n - 1) * gzf * 4.2)}
    assert gera_heat.model_dump() != data and "control_14a" not in str(gera_heat.model_dump())
