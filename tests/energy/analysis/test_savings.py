"""Savings by period and source: a hand-made two-day toy case and the Gera district."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from energy.analysis.savings import (
    period_table,
    savings_report,
    step_savings,
)
from energy.district import GERA_DISTRICT_FILE, Battery, District, load_district
from energy.errors import InputDataError
from energy.kpi import compute_kpis, savings
from energy.report.results import baselines_for_run, load_run, write_outputs
from energy.scenario import ScenarioOptions, ScenarioResult, run_scenario
from energy.timeindex import make_index

TZ = "Europe/Berlin"
# one battery, lossless, empty at start and end, 0.01 EUR/kWh wear
TOY_BATTERY = Battery(
    id="BAT",
    at="substation",
    capacity_kwh=20,
    power_kw=10,
    eta_charge=1.0,
    eta_discharge=1.0,
    self_discharge_frac_per_h=0.0,
    soc_min_frac=0.0,
    soc_max_frac=1.0,
    soc_initial_frac=0.0,
    throughput_cost_eur_per_kwh=0.01,
)


def toy_schedule(
    index: pd.DatetimeIndex,
    load_kw: np.ndarray,
    pv_kw: np.ndarray,
    lighting_kw: np.ndarray,
    charge_kw: np.ndarray,
    discharge_kw: np.ndarray,
    price: np.ndarray,
    co2: np.ndarray,
    feed_in: float = 0.08,
) -> pd.DataFrame:
    """A schedule in energy.system format with import/export from the energy balance."""
    net = load_kw + lighting_kw + charge_kw - discharge_kw - pv_kw
    soc = np.cumsum(charge_kw - discharge_kw)  # lossless, 1-h steps
    return pd.DataFrame(
        {
            "load_kw": load_kw,
            "lighting_kw": lighting_kw,
            "pv_kw": pv_kw,
            "pv_curtailed_kw": 0.0,
            "p_charge_kw": charge_kw,
            "p_discharge_kw": discharge_kw,
            "soc_kwh": soc,
            "p_import_kw": np.maximum(net, 0.0),
            "p_export_kw": np.maximum(-net, 0.0),
            "import_price_eur_per_kwh": price,
            "feed_in_eur_per_kwh": feed_in,
            "co2_g_per_kwh": co2,
            "p_charge_kw:BAT": charge_kw,
            "p_discharge_kw:BAT": discharge_kw,
            "soc_kwh:BAT": soc,
        },
        index=index,
    )


def toy_result() -> ScenarioResult:
    """Two local days, 30 June and 1 July 2025 (a Monday and a Tuesday), hourly.

    Per local hour h, every day: building load 10 kW; PV 20 kW at h = 10..13;
    lighting B0 2 kW at h = 20..5, optimised and B1 2 kW at 20, 21 and 1 kW at
    22..5; price 0.30 EUR/kWh, 0.50 at h = 18, 19; CO2 400 g/kWh, 600 at 18, 19;
    feed-in 0.08. Battery: B0 idle; optimised charges 10 kW at 10, 11 and
    discharges 10 kW at 18, 19; B1 charges at 10, 11 and discharges at 14, 15.
    """
    index = make_index("2025-06-30", 2, "1h", TZ)
    h = index.tz_convert(TZ).hour.to_numpy()
    n = len(index)
    zero = np.zeros(n)
    load = np.full(n, 10.0)
    pv = np.where((h >= 10) & (h <= 13), 20.0, 0.0)
    dark = (h >= 20) | (h < 6)
    light_s0 = np.where(dark, 2.0, 0.0)
    light_opt = np.where(dark, np.where((h == 20) | (h == 21), 2.0, 1.0), 0.0)
    price = np.where((h == 18) | (h == 19), 0.50, 0.30)
    co2 = np.where((h == 18) | (h == 19), 600.0, 400.0)
    charge = np.where((h == 10) | (h == 11), 10.0, 0.0)
    dis_opt = np.where((h == 18) | (h == 19), 10.0, 0.0)
    dis_b1 = np.where((h == 14) | (h == 15), 10.0, 0.0)
    opt = toy_schedule(index, load, pv, light_opt, charge, dis_opt, price, co2)
    b0 = toy_schedule(index, load, pv, light_s0, zero, zero, price, co2)
    b1 = toy_schedule(index, load, pv, light_opt, charge, dis_b1, price, co2)
    kpis = {
        name: compute_kpis(s, [TOY_BATTERY])
        for name, s in (("optimised", opt), ("B0", b0), ("B1", b1))
    }
    return ScenarioResult(
        schedule=opt,
        node_p_kw=pd.DataFrame(index=index),
        kpis=kpis,
        savings={f"vs_{b}": savings(kpis[b], kpis["optimised"]) for b in ("B0", "B1")},
        metadata={
            "licence": "CC-BY-4.0",
            "district": {"name": "toy", "spec_hash": "0" * 64},
            "horizon": {"timezone": TZ},
        },
        baselines={"B0": b0, "B1": b1},
    )


# Hand calculation, per local day (both days are the same):
#   consumption C: optimised / B1 240 + 12 = 252 kWh, B0 240 + 20 = 260 kWh.
#   B0: export 10 kW x 4 h = 40 kWh; import 20 h x 10 + 20 lighting = 220 kWh,
#       of which 20 kWh at 0.50 (h 18, 19) -> 10 + 200 x 0.30 = 60 - 40 x 0.08 = 3.2
#       -> cost 66.8 EUR; CO2 200 x 0.4 + 20 x 0.6 = 92 kg.
#   optimised: export 20 kWh (h 12, 13); import 18 h x 10 + 12 = 192 kWh, all at
#       0.30 = 57.6 - 1.6 + wear 20 x 0.01 = 0.2 -> 56.2 EUR; CO2 192 x 0.4 = 76.8 kg.
#   B1: export 20 kWh; import 192 kWh, 20 of them at 0.50: 10 + 172 x 0.3 = 51.6
#       -> 61.6 - 1.6 + 0.2 = 60.2 EUR; CO2 172 x 0.4 + 20 x 0.6 = 80.8 kg.
# vs B0: lighting 8 kWh at 0.30 = 2.4 EUR, 8 kWh, 3.2 kg;
#        battery = (66.8 - 56.2) - 2.4 = 8.2 EUR (= 20 kWh x (0.50 - 0.08) - 0.2 wear),
#        import 28 - 8 = 20 kWh, CO2 15.2 - 3.2 = 12 kg (20 kWh x 0.6);
#        pv: B0 without PV imports 260 kWh: 20 x 0.5 + 240 x 0.3 = 82 EUR, so
#        82 - 66.8 = 15.2 EUR (40 kWh self-consumed x 0.3 + 40 exported x 0.08),
#        import 40 kWh, CO2 40 x 0.4 = 16 kg.
# vs B1: lighting 0; battery 60.2 - 56.2 = 4.0 EUR (20 kWh at 0.50 instead of 0.30),
#        import 0, CO2 80.8 - 76.8 = 4.0 kg; pv: B1 without PV (same battery flows)
#        imports 240 + 20 - 20 + 12 = 252 kWh: 20 x 0.5 + 232 x 0.3 + 0.2 = 79.8 EUR,
#        so 79.8 - 60.2 = 19.6 EUR (60 kWh self-consumed x 0.3 + 20 exported x 0.08),
#        import 60 kWh, CO2 24 kg.
# self-sufficiency points vs B0 (no-PV reference: I' = 260, C_B = 260, I_o = 192,
#        C_o = 252): total 100 (260/260 - 192/252) = 23.8095; pv 100 x 40/260 = 15.3846;
#        battery 100 x 20/260 = 7.6923; lighting 100 (8 - (192/252) 8)/260 = 0.7326.
HAND_DAY = {
    ("B0", "cost_eur"): {"pv": 15.2, "battery": 8.2, "lighting": 2.4, "total": 25.8},
    ("B0", "e_import_kwh"): {"pv": 40.0, "battery": 20.0, "lighting": 8.0, "total": 68.0},
    ("B0", "co2_kg"): {"pv": 16.0, "battery": 12.0, "lighting": 3.2, "total": 31.2},
    ("B0", "self_sufficiency_points"): {
        "pv": 100 * 40 / 260,
        "battery": 100 * 20 / 260,
        "lighting": 100 * (8 - 192 / 252 * 8) / 260,
        "total": 100 * (1 - 192 / 252),
    },
    ("B1", "cost_eur"): {"pv": 19.6, "battery": 4.0, "lighting": 0.0, "total": 23.6},
    ("B1", "e_import_kwh"): {"pv": 60.0, "battery": 0.0, "lighting": 0.0, "total": 60.0},
    ("B1", "co2_kg"): {"pv": 24.0, "battery": 4.0, "lighting": 0.0, "total": 28.0},
}


def _value(frame: pd.DataFrame, period: str, baseline: str, source: str, metric: str) -> float:
    sel = frame[
        (frame["period"] == period)
        & (frame["baseline"] == baseline)
        & (frame["source"] == source)
        & (frame["metric"] == metric)
    ]
    assert len(sel) == 1
    return float(sel["value"].iloc[0])


def test_toy_by_hand_per_day_month_week() -> None:
    result = toy_result()
    days = savings_report(result, "day").frame
    months = savings_report(result, "month").frame
    for (base, metric), parts in HAND_DAY.items():
        for source, value in parts.items():
            for label in ("2025-06-30", "2025-07-01"):
                assert _value(days, label, base, source, metric) == pytest.approx(
                    value, abs=1e-9
                ), (label, base, metric, source)
            # 30 June is in June, 1 July in July: one day each
            for label in ("2025-06", "2025-07"):
                assert _value(months, label, base, source, metric) == pytest.approx(value, abs=1e-9)
    week = savings_report(result, "week")
    # Monday 30 June and Tuesday 1 July lie in ISO week 27; two days of savings
    assert list(week.coverage["period"]) == ["2025-W27"]
    assert week.coverage["hours"].iloc[0] == 48.0 and not week.coverage["complete"].iloc[0]
    assert _value(week.frame, "2025-W27", "B0", "total", "cost_eur") == pytest.approx(51.6)
    assert bool(savings_report(result, "day").coverage["complete"].all())


def test_operation_savings_equal_design_savings() -> None:
    # lighting + battery = baseline - optimised (DESIGN.md), the scenario's savings
    result = toy_result()
    horizon = savings_report(result, "horizon").frame
    for base in ("B0", "B1"):
        for metric in ("cost_eur", "e_import_kwh", "co2_kg"):
            op = _value(horizon, "horizon", base, "battery", metric) + _value(
                horizon, "horizon", base, "lighting", metric
            )
            assert op == pytest.approx(result.savings[f"vs_{base}"][metric], abs=1e-9)


def test_step_costs_add_up_to_kpis() -> None:
    result = toy_result()
    steps = step_savings(result, "B0")
    total_op = steps["cost_eur:battery"].sum() + steps["cost_eur:lighting"].sum()
    assert total_op == pytest.approx(
        result.kpis["B0"]["cost_eur"] - result.kpis["optimised"]["cost_eur"], abs=1e-9
    )


def test_report_json_and_csv_carry_licence(tmp_path: Path) -> None:
    report = savings_report(toy_result(), "month")
    data = report.to_dict()
    assert data["licence"] == "CC-BY-4.0"
    assert data["licence_url"].startswith("https://creativecommons.org/")
    assert data["data_licences"] == []
    june = data["baselines"]["B0"][0]
    assert june["period"] == "2025-06" and june["hours"] == 24.0 and june["complete"] is False
    assert june["period_start"] == "2025-06-01T00:00:00+02:00"
    assert june["cost_eur"]["total"] == pytest.approx(25.8)
    json.loads(json.dumps(data, allow_nan=False))
    csv_path = report.write_csv(tmp_path / "s.csv")
    text = csv_path.read_text()
    assert text.startswith("# licence: CC-BY-4.0")
    assert "# source: scenario run of district 'toy'" in text
    table = pd.read_csv(csv_path, comment="#")
    assert list(table.columns) == [
        "period_start",
        "period",
        "baseline",
        "source",
        "metric",
        "value",
    ]
    assert len(table) == 2 * 2 * 4 * 4  # months x baselines x sources x metrics
    report.write_json(tmp_path / "s.json")
    assert json.loads((tmp_path / "s.json").read_text())["period"] == "month"


def test_bad_requests() -> None:
    result = toy_result()
    with pytest.raises(InputDataError, match="period: 'quarter' is not allowed"):
        savings_report(result, "quarter")
    with pytest.raises(InputDataError, match="baseline: 'B2' is not allowed"):
        savings_report(result, "day", baselines=("B2",))
    result.baselines = {}
    with pytest.raises(InputDataError, match="holds no B0 schedule"):
        savings_report(result, "day")


# -- Gera: the same invariants on a real run across a month boundary ------------------------
@pytest.fixture(scope="module")
def gera() -> District:
    return load_district(GERA_DISTRICT_FILE)


@pytest.fixture(scope="module")
def gera_run(gera: District) -> ScenarioResult:
    # 30 June and 1 July 2025: two local days in two months
    return run_scenario(gera, ScenarioOptions(start="2025-06-30", days=2, ac_check=False))


def test_gera_sources_add_up_and_months_sum_to_horizon(gera_run: ScenarioResult) -> None:
    months = savings_report(gera_run, "month").frame
    horizon = savings_report(gera_run, "horizon").frame
    assert sorted(months["period"].unique()) == ["2025-06", "2025-07"]
    for frame in (months, savings_report(gera_run, "day").frame, horizon):
        parts = frame[frame["source"] != "total"].groupby(["period", "baseline", "metric"])
        totals = frame[frame["source"] == "total"].set_index(["period", "baseline", "metric"])
        summed = parts["value"].sum()
        for key, value in totals["value"].items():
            assert summed[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
    additive = months[months["metric"] != "self_sufficiency_points"]
    by_month = additive.groupby(["baseline", "source", "metric"])["value"].sum()
    whole = horizon.set_index(["baseline", "source", "metric"])["value"]
    for key, value in by_month.items():
        assert value == pytest.approx(whole[key], rel=1e-9, abs=1e-9), key
    # over the horizon, lighting + battery are the scenario's savings (DESIGN.md)
    for base in ("B0", "B1"):
        op = whole[(base, "battery", "cost_eur")] + whole[(base, "lighting", "cost_eur")]
        assert op == pytest.approx(gera_run.savings[f"vs_{base}"]["cost_eur"], rel=1e-9)
        # self-sufficiency: total points = 100 (a_optimised - a_reference without PV)
        b = gera_run.baselines[base]
        c_ref = float((b["load_kw"] + b["lighting_kw"]).sum())  # 1-h steps
        gen = b["pv_kw"] - b["pv_curtailed_kw"]
        i_ref = float((b["p_import_kw"] - b["p_export_kw"] + gen).clip(lower=0).sum())
        a_o = gera_run.kpis["optimised"]["self_sufficiency"]
        assert whole[(base, "total", "self_sufficiency_points")] == pytest.approx(
            100 * (a_o - (1 - i_ref / c_ref)), rel=1e-9
        )


def test_gera_pv_savings_second_method(gera_run: ScenarioResult) -> None:
    # B0's batteries are idle, so its export is PV surplus: PV energy gen splits into
    # exported = min(export, gen) at the feed-in tariff and self-consumed = gen -
    # exported at the import price. That is the pv source by a second method.
    b0 = gera_run.baselines["B0"]
    gen = (b0["pv_kw"] - b0["pv_curtailed_kw"]).to_numpy()
    exported = np.minimum(b0["p_export_kw"].to_numpy(), gen)
    value = (
        (gen - exported) * b0["import_price_eur_per_kwh"].to_numpy()
        + exported * b0["feed_in_eur_per_kwh"].to_numpy()
    ).sum()  # x 1 h
    horizon = savings_report(gera_run, "horizon", baselines=("B0",)).frame
    assert _value(horizon, "horizon", "B0", "pv", "cost_eur") == pytest.approx(value, rel=1e-9)
    assert value > 100.0  # ~0.94 MWp on two summer days: well over 100 EUR


def test_run_folder_round_trip(gera_run: ScenarioResult, gera: District, tmp_path: Path) -> None:
    write_outputs(gera_run, tmp_path)
    assert (tmp_path / "baseline_B0.parquet").is_file()
    loaded = load_run(tmp_path)
    for name in ("B0", "B1"):
        (tmp_path / f"baseline_{name}.parquet").unlink()
    without = load_run(tmp_path)
    assert without.baselines == {}
    # recomputed from the district and the recorded options: the same schedules
    again = baselines_for_run(gera, without.metadata)
    for name in ("B0", "B1"):
        pd.testing.assert_frame_equal(again[name], gera_run.baselines[name], check_freq=False)
    a = savings_report(loaded, "day").frame
    b = savings_report(gera_run, "day").frame
    assert np.allclose(a["value"], b["value"], rtol=1e-12, atol=1e-9, equal_nan=True)
    other = gera.model_copy(update={"description": "changed"})
    with pytest.raises(InputDataError, match="spec hash"):
        baselines_for_run(other, without.metadata)
    assert math.isfinite(loaded.kpis["optimised"]["cost_eur"])


def test_local_periods_on_dst_days() -> None:
    # 30 March 2025 has 23 local hours, 26 October 25; days start at local midnight
    for start, hours in (("2025-03-29", [24, 23, 24]), ("2025-10-25", [24, 25, 24])):
        index = make_index(start, 3, "15min", TZ)
        table = period_table(index, "day", TZ)
        counts = table.groupby("period", sort=False).size()
        assert list(counts / 4) == hours
        first = table["period_start"].iloc[0]
        assert first.hour == 0 and str(first.tz) == TZ
        lengths = (table["period_end"] - table["period_start"]).dt.total_seconds() / 3600
        assert sorted(set(lengths)) == sorted(set(hours))
    # ISO weeks: Monday 29 December 2025 starts week 1 of 2026
    table = period_table(make_index("2025-12-28", 2, "1h", TZ), "week", TZ)
    assert list(table["period"].unique()) == ["2025-W52", "2026-W01"]
