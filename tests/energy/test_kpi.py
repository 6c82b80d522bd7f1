"""KPIs of a hand-made schedule, each value worked out by hand (DESIGN.md "Definitions")."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from energy.district import Battery
from energy.kpi import compute_kpis, nothing_built_schedule, savings


def schedule_2h() -> tuple[pd.DataFrame, Battery]:
    """Two hourly steps with one battery (10 kWh, 5 kWh at the start)."""
    index = pd.date_range("2025-06-01 10:00", periods=2, freq="1h", tz="UTC")
    bat = Battery(
        id="B",
        at="substation",
        capacity_kwh=10.0,
        power_kw=5.0,
        soc_initial_frac=0.5,
        throughput_cost_eur_per_kwh=0.02,
    )
    frame = pd.DataFrame(
        {
            "load_kw": [4.0, 6.0],
            "lighting_kw": [0.0, 1.0],
            "pv_kw": [10.0, 0.0],
            "pv_curtailed_kw": [1.0, 0.0],
            "p_charge_kw": [3.0, 0.0],
            "p_discharge_kw": [0.0, 2.0],
            "soc_kwh": [7.85, 5.75],
            "p_import_kw": [0.0, 5.0],
            "p_export_kw": [2.0, 0.0],
            "import_price_eur_per_kwh": [0.30, 0.40],
            "feed_in_eur_per_kwh": [0.08, 0.08],
            "co2_g_per_kwh": [300.0, 500.0],
            "p_charge_kw:B": [3.0, 0.0],
            "p_discharge_kw:B": [0.0, 2.0],
            "soc_kwh:B": [7.85, 5.75],
        },
        index=index,
    )
    return frame, bat


def test_kpis_by_hand() -> None:
    s, bat = schedule_2h()
    k = compute_kpis(s, [bat], peak_charge_eur_per_kw=10.0)
    # energy cost: 0.30 x 0 - 0.08 x 2 + 0.40 x 5 - 0 = 1.84 EUR
    assert k["energy_cost_eur"] == pytest.approx(1.84)
    # peak 5 kW x 10 EUR/kW = 50 EUR; wear 0.02 x 2 kWh = 0.04 EUR
    assert k["peak_cost_eur"] == pytest.approx(50.0)
    assert k["throughput_cost_eur"] == pytest.approx(0.04)
    assert k["cost_eur"] == pytest.approx(51.88)
    # CO2: 5 kWh x 500 g = 2.5 kg; exports get no credit
    assert k["co2_kg"] == pytest.approx(2.5)
    assert k["e_import_kwh"] == pytest.approx(5.0)
    assert k["e_export_kwh"] == pytest.approx(2.0)
    # consumption = loads + lighting = 10 + 1 = 11 kWh; generation = 10 - 1 curtailed = 9
    assert k["e_consumption_kwh"] == pytest.approx(11.0)
    assert k["e_generation_kwh"] == pytest.approx(9.0)
    assert k["self_sufficiency"] == pytest.approx(1 - 5 / 11)
    assert k["self_consumption"] == pytest.approx(1 - 2 / 9)
    assert k["peak_import_kw"] == pytest.approx(5.0)
    assert k["e_lighting_kwh"] == pytest.approx(1.0)
    assert k["e_curtailed_kwh"] == pytest.approx(1.0)
    # battery: 3 kWh in, 2 kWh out, stored 5 -> 5.75: losses 3 - 2 - 0.75 = 0.25 kWh
    assert k["battery_losses_kwh"] == pytest.approx(0.25)
    assert k["delta_soc_kwh"] == pytest.approx(0.75)
    # equivalent full cycles: 2 kWh discharged / 10 kWh = 0.2
    assert k["battery_cycles"] == pytest.approx(0.2)


def test_self_consumption_without_generation_is_nan() -> None:
    s, bat = schedule_2h()
    s["pv_kw"] = 0.0
    s["pv_curtailed_kw"] = 0.0
    assert math.isnan(compute_kpis(s, [bat])["self_consumption"])


def test_savings_are_positive_when_the_scenario_is_better() -> None:
    # amounts: comparison - scenario; shares: 100 x (scenario - comparison) points;
    # export has no "better" direction, so no saving
    base = {"cost_eur": 100.0, "co2_kg": 50.0, "self_sufficiency": 0.2, "e_export_kwh": 3.0}
    opt = {"cost_eur": 80.0, "co2_kg": 55.0, "self_sufficiency": 0.353, "e_export_kwh": 1.0}
    assert savings(base, opt) == pytest.approx(
        {"cost_eur": 20.0, "co2_kg": -5.0, "self_sufficiency_points": 15.3}
    )


def test_lighting_saving_splits_into_class_rule_and_optimisation() -> None:
    # baseline lights 10 kWh, the class minimum would be 6 kWh, the scenario lights 7:
    # the class rule saves 10 - 6 = 4 kWh, optimisation adds 6 - 7 = -1 kWh; 3 in all
    base = {"e_lighting_kwh": 10.0}
    opt = {"e_lighting_kwh": 7.0, "e_lighting_class_rule_kwh": 6.0}
    assert savings(base, opt) == pytest.approx(
        {
            "e_lighting_kwh": 3.0,
            "e_lighting_class_rule_kwh": 4.0,
            "e_lighting_optimisation_kwh": -1.0,
        }
    )


def test_nothing_built_imports_load_and_full_lighting() -> None:
    s, _ = schedule_2h()
    k = compute_kpis(nothing_built_schedule(s), (), 10.0)
    # import = load + lighting = 4 and 7 kW: 0.30 x 4 + 0.40 x 7 = 4.0 EUR; peak 7 kW
    assert k["energy_cost_eur"] == pytest.approx(4.0)
    assert k["cost_eur"] == pytest.approx(4.0 + 70.0)
    assert k["e_generation_kwh"] == 0.0 and k["self_sufficiency"] == 0.0
