"""KPIs of a hand-made schedule, each value worked out by hand (DESIGN.md "Definitions")."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from energy.district import Battery
from energy.kpi import compute_kpis, savings


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


def test_savings_are_baseline_minus_optimised() -> None:
    base = {"cost_eur": 100.0, "co2_kg": 50.0, "self_sufficiency": 0.2}
    opt = {"cost_eur": 80.0, "co2_kg": 55.0, "self_sufficiency": 0.3}
    assert savings(base, opt) == pytest.approx(
        {"cost_eur": 20.0, "co2_kg": -5.0, "self_sufficiency": -0.1}
    )
