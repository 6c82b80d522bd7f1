"""Savings by period and source: a hand-made two-day toy case and the Gera district."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from energy.analysis.savings import (
    LIGHTING_PARTS,
    period_table,
    savings_report,
    step_savings,
)
from energy.district import GERA_DISTRICT_FILE, Battery, District, load_district
from energy.errors import InputDataError
from energy.kpi import CLASS_RULE_COLUMN, comparison_kpis
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
    The class-minimum lighting is the optimised lighting except at h = 21,
    where the class rule would allow 1 kW (the toy optimum lights 2 kW).
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
    opt[CLASS_RULE_COLUMN] = np.where(h == 21, 1.0, light_opt)
    b0 = toy_schedule(index, load, pv, light_s0, zero, zero, price, co2)
    b1 = toy_schedule(index, load, pv, light_opt, charge, dis_b1, price, co2)
    kpis, saved = comparison_kpis(opt, {"B0": b0, "B1": b1}, [TOY_BATTERY], 0.0)
    return ScenarioResult(
        schedule=opt,
        node_p_kw=pd.DataFrame(index=index),
        kpis=kpis,
        savings=saved,
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
#   nothing built: import 240 load + 20 S0 lighting = 260 kWh: 20 x 0.5 + 240 x 0.3
#       = 82 EUR; CO2 20 x 0.6 + 240 x 0.4 = 108 kg.
# vs B0: total 66.8 - 56.2 = 10.6 EUR, 220 - 192 = 28 kWh, 92 - 76.8 = 15.2 kg;
#        pv 0 (same PV); lighting 8 kWh at 0.30 = 2.4 EUR, 8 kWh, 3.2 kg;
#        battery 10.6 - 2.4 = 8.2 EUR (= 20 kWh x (0.50 - 0.08) - 0.2 wear),
#        20 kWh, 12 kg (20 kWh x 0.6).
#        lighting parts: class rule 20 - 11 = 9 kWh (2.7 EUR, 3.6 kg), optimisation
#        11 - 12 = -1 kWh (-0.3 EUR, -0.4 kg): the toy optimum lights 1 kWh more.
# vs B1: total 60.2 - 56.2 = 4.0 EUR (20 kWh at 0.50 instead of 0.30), 0 kWh, 4.0 kg;
#        lighting 0 = class rule 12 - 11 = 1 kWh + optimisation -1 kWh; battery 4.0.
# vs nothing built: total 82 - 56.2 = 25.8 EUR, 68 kWh, 31.2 kg; pv = B0 without PV
#        (= nothing built here, B0's battery is idle) - B0 = 82 - 66.8 = 15.2 EUR
#        (40 kWh self-consumed x 0.3 + 40 exported x 0.08), 40 kWh, 16 kg; lighting as
#        vs B0; battery 25.8 - 15.2 - 2.4 = 8.2 EUR, 20 kWh, 12 kg.
# self-sufficiency points (I_o = 192, C_o = 252): vs B0 (I = 220, C = 260) total
#        100 (220/260 - 192/252) = 8.4249, battery 100 x 20/260, lighting
#        100 (8 - (192/252) 8)/260 = 0.7326; vs nothing built (I = C = 260) total
#        100 (1 - 192/252) = 23.8095, pv 100 x 40/260 = 15.3846.
LIGHT_POINTS = 100 * (8 - 192 / 252 * 8) / 260
HAND_DAY = {
    ("B0", "cost_eur"): {"pv": 0.0, "battery": 8.2, "lighting": 2.4, "total": 10.6},
    ("B0", "e_import_kwh"): {"pv": 0.0, "battery": 20.0, "lighting": 8.0, "total": 28.0},
    ("B0", "co2_kg"): {"pv": 0.0, "battery": 12.0, "lighting": 3.2, "total": 15.2},
    ("B0", "self_sufficiency_points"): {
        "pv": 0.0,
        "battery": 100 * 20 / 260,
        "lighting": LIGHT_POINTS,
        "total": 100 * (220 / 260 - 192 / 252),
        "lighting_class_rule": LIGHT_POINTS * 9 / 8,
        "lighting_optimisation": -LIGHT_POINTS / 8,
    },
    ("B0", "cost_eur", "parts"): {"lighting_class_rule": 2.7, "lighting_optimisation": -0.3},
    ("B0", "co2_kg", "parts"): {"lighting_class_rule": 3.6, "lighting_optimisation": -0.4},
    ("B1", "cost_eur"): {"pv": 0.0, "battery": 4.0, "lighting": 0.0, "total": 4.0},
    ("B1", "e_import_kwh"): {"pv": 0.0, "battery": 0.0, "lighting": 0.0, "total": 0.0},
    ("B1", "co2_kg"): {"pv": 0.0, "battery": 4.0, "lighting": 0.0, "total": 4.0},
    ("B1", "e_import_kwh", "parts"): {"lighting_class_rule": 1.0, "lighting_optimisation": -1.0},
    ("nothing_built", "cost_eur"): {"pv": 15.2, "battery": 8.2, "lighting": 2.4, "total": 25.8},
    ("nothing_built", "e_import_kwh"): {
        "pv": 40.0,
        "battery": 20.0,
        "lighting": 8.0,
        "total": 68.0,
    },
    ("nothing_built", "co2_kg"): {"pv": 16.0, "battery": 12.0, "lighting": 3.2, "total": 31.2},
    ("nothing_built", "self_sufficiency_points"): {
        "pv": 100 * 40 / 260,
        "battery": 100 * 20 / 260,
        "lighting": LIGHT_POINTS,
        "total": 100 * (1 - 192 / 252),
    },
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
    for (base, metric, *_), parts in HAND_DAY.items():
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
    assert _value(week.frame, "2025-W27", "B0", "total", "cost_eur") == pytest.approx(21.2)
    assert _value(week.frame, "2025-W27", "nothing_built", "total", "cost_eur") == pytest.approx(
        51.6
    )
    assert bool(savings_report(result, "day").coverage["complete"].all())


def test_totals_equal_the_runs_savings() -> None:
    # total = baseline - optimised = the scenario's savings, in every comparison
    result = toy_result()
    horizon = savings_report(result, "horizon").frame
    for base in ("B1", "B0", "nothing_built"):
        for metric in ("cost_eur", "e_import_kwh", "co2_kg", "self_sufficiency_points"):
            total = _value(horizon, "horizon", base, "total", metric)
            assert total == pytest.approx(result.savings[f"vs_{base}"][metric], abs=1e-9)
    # the lighting kWh parts are those of the run's savings record
    assert result.savings["vs_B0"]["e_lighting_class_rule_kwh"] == pytest.approx(18.0)
    assert result.savings["vs_B0"]["e_lighting_optimisation_kwh"] == pytest.approx(-2.0)


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
    assert june["cost_eur"]["total"] == pytest.approx(10.6)
    assert data["baselines"]["nothing_built"][0]["cost_eur"]["total"] == pytest.approx(25.8)
    assert data["headline_baseline"] == "B1" and next(iter(data["baselines"])) == "B1"
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
    # months x baselines x (sources, total and the two lighting parts) x metrics
    assert len(table) == 2 * 3 * 6 * 4
    assert "# baseline B1: B1: self-consumption rule, lighting S1 (headline)" in text
    assert "# sign: a saving is positive when the optimised schedule is better" in text
    report.write_json(tmp_path / "s.json")
    assert json.loads((tmp_path / "s.json").read_text())["period"] == "month"


def test_bad_requests() -> None:
    result = toy_result()
    with pytest.raises(InputDataError, match="period: 'quarter' is not allowed"):
        savings_report(result, "quarter")
    with pytest.raises(InputDataError, match="baseline: 'B2' is not allowed"):
        savings_report(result, "day", baselines=("B2",))
    result.baselines = {}
    with pytest.raises(InputDataError, match="holds no B1 schedule"):
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
    keys = ["period", "baseline", "metric"]
    for frame in (months, savings_report(gera_run, "day").frame, horizon):
        sources = frame[frame["source"].isin(("pv", "battery", "lighting"))]
        parts = frame[frame["source"].isin(LIGHTING_PARTS)].groupby(keys)["value"].sum()
        totals = frame[frame["source"] == "total"].set_index(keys)["value"]
        lighting = frame[frame["source"] == "lighting"].set_index(keys)["value"]
        summed = sources.groupby(keys)["value"].sum()
        for key, value in totals.items():
            assert summed[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
            assert parts[key] == pytest.approx(lighting[key], rel=1e-9, abs=1e-9), key
    additive = months[months["metric"] != "self_sufficiency_points"]
    by_month = additive.groupby(["baseline", "source", "metric"])["value"].sum()
    whole = horizon.set_index(["baseline", "source", "metric"])["value"]
    for key, value in by_month.items():
        assert value == pytest.approx(whole[key], rel=1e-9, abs=1e-9), key
    for base in ("B1", "B0", "nothing_built"):
        # over the horizon, the total is the scenario's saving against that comparison
        total = whole[(base, "total", "cost_eur")]
        assert total == pytest.approx(gera_run.savings[f"vs_{base}"]["cost_eur"], rel=1e-9)
        # self-sufficiency: total points = 100 (a_optimised - a_comparison)
        a_o = gera_run.kpis["optimised"]["self_sufficiency"]
        assert whole[(base, "total", "self_sufficiency_points")] == pytest.approx(
            100 * (a_o - gera_run.kpis[base]["self_sufficiency"]), rel=1e-9
        )
        # the LP sits at the class minimum: optimisation adds no lighting saving
        assert whole[(base, "lighting_optimisation", "e_import_kwh")] == pytest.approx(
            0.0, abs=1e-6
        )
    # against B1 and B0 the PV is the same as the optimum's: it saves nothing there
    assert whole[("B1", "pv", "cost_eur")] == 0.0 and whole[("B0", "pv", "cost_eur")] == 0.0


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
    horizon = savings_report(gera_run, "horizon", baselines=("nothing_built",)).frame
    pv = _value(horizon, "horizon", "nothing_built", "pv", "cost_eur")
    assert pv == pytest.approx(value, rel=1e-9)
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
