"""Scenario comparison: KPIs, savings and economics of Gera with and without a battery."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from energy.analysis.annual import annualisation
from energy.analysis.compare import added_items, compare, nothing_built_kpis
from energy.analysis.economics import EconomicAssumptions
from energy.cli.compare import register
from energy.district import GERA_DISTRICT_FILE, District, load_district, save_district
from energy.errors import InputDataError
from energy.scenario import ScenarioOptions, ScenarioResult, run_scenario
from energy.variants import BatteryAddition, ScenarioChanges, apply_changes

Results = dict[str, ScenarioResult]
Districts = dict[str, District]
OPTIONS = ScenarioOptions(start="2025-06-30", days=1, ac_check=False)


@pytest.fixture(scope="module")
def districts() -> dict[str, District]:
    base = load_district(GERA_DISTRICT_FILE)
    battery = BatteryAddition(id="BAT-NEW", capacity_kwh=200, power_kw=100)
    return {"base": base, "battery": apply_changes(base, ScenarioChanges(batteries=[battery]))}


@pytest.fixture(scope="module")
def results(districts: dict[str, District]) -> dict[str, ScenarioResult]:
    return {name: run_scenario(d, OPTIONS) for name, d in districts.items()}


def test_annualisation() -> None:
    # one day -> x 365, flagged with what it is extrapolated from; 365 local days of
    # 2025 = 8760 h -> x 1, not extrapolated
    assert annualisation(24.0, "1 day (2025-06-30..2025-06-30)") == (
        365.0,
        "1 day (2025-06-30..2025-06-30)",
    )
    assert annualisation(24.0) == (365.0, "24 h")
    assert annualisation(8760.0) == (1.0, None)
    # a 365-day horizon starting on the 23-h spring DST day has 8759 h: still a year
    assert annualisation(8759.0)[1] is None
    with pytest.raises(InputDataError, match="horizon_h"):
        annualisation(0.0)


def test_battery_run_costs_no_more(results: Results, districts: Districts) -> None:
    table = compare(results, districts).frame
    # the optimiser may leave the added battery idle, so its cost is never higher
    assert table.loc["cost_eur", "battery"] <= table.loc["cost_eur", "base"] + 1e-6
    assert table.loc["self_sufficiency", "battery"] >= table.loc["self_sufficiency", "base"] - 1e-9
    for name, result in results.items():
        assert table.loc["cost_eur_vs_B0", name] == pytest.approx(
            result.kpis["B0"]["cost_eur"] - result.kpis["optimised"]["cost_eur"]
        )
        assert table.loc["self_sufficiency_points_vs_B1", name] == pytest.approx(
            100
            * (result.kpis["optimised"]["self_sufficiency"] - result.kpis["B1"]["self_sufficiency"])
        )


def test_whole_system_economics(results: Results, districts: Districts) -> None:
    comparison = compare(results, districts)
    base = results["base"]
    # nothing built: every kWh of building load + full lighting imported at the price
    b0 = base.baselines["B0"]
    imported = b0["load_kw"] + b0["lighting_kw"]
    cost = float((imported * b0["import_price_eur_per_kwh"]).sum())  # 1-h steps
    assert nothing_built_kpis(base)["cost_eur"] == pytest.approx(cost, rel=1e-12)
    assert base.kpis["nothing_built"]["cost_eur"] == pytest.approx(cost, rel=1e-12)
    t = comparison.frame
    assert t.loc["horizon_savings_eur", "base"] == pytest.approx(
        cost - base.kpis["optimised"]["cost_eur"]
    )
    assert t.loc["annual_savings_eur", "base"] == pytest.approx(
        365 * t.loc["horizon_savings_eur", "base"]
    )
    assert t.loc["annual_savings_is_estimate", "base"] is True
    # a one-day run's annual figures say what they are scaled from
    assert t.loc["extrapolated_from", "base"] == "1 day (2025-06-30..2025-06-30)"
    assert t.loc["annual_basis", "base"] == "extrapolated"
    assert comparison.economics["base"]["extrapolated_from"] == "1 day (2025-06-30..2025-06-30)"
    assert any("extrapolated_from: 1 day" in line for line in comparison.to_dict()["notes"])
    # Gera's investment by hand from data/gera/district.yaml: home storage (<= 30 kWh,
    # 800 EUR/kWh) 30 + 5 + 5 + 10 + 8 + 6 + 10 = 74 kWh; community storage (500 EUR/kWh)
    # 500 + 100 + 60 + 40 + 40 = 740 kWh; 14 lighting groups with 14 + 14 + 6 + 16 + 8 +
    # 9 + 11 + 11 + 9 + 10 + 11 + 8 + 10 + 25 = 162 luminaires at 150 EUR.
    assert t.loc["capex_controllers_eur", "base"] == pytest.approx(162 * 150.0)
    assert t.loc["capex_battery_eur", "base"] == pytest.approx(74 * 800.0 + 740 * 500.0)
    assert t.loc["capex_battery_eur", "battery"] == pytest.approx(74 * 800.0 + 940 * 500.0)


def test_incremental_economics_by_hand(results: Results, districts: Districts) -> None:
    comparison = compare(results, districts, reference="base")
    t = comparison.frame
    assert t.loc["capex_eur", "base"] == 0.0 and t.loc["npv_eur", "base"] == 0.0
    # the added 200 kWh community battery: 200 x 500 EUR/kWh
    capex = 100_000.0
    assert t.loc["capex_eur", "battery"] == pytest.approx(capex)
    saving = 365 * (
        results["base"].kpis["optimised"]["cost_eur"]
        - results["battery"].kpis["optimised"]["cost_eur"]
    )
    assert t.loc["annual_savings_eur", "battery"] == pytest.approx(saving)
    # NPV by hand: 25 years at 4 %; opex 1 % of capex a year; the 15-year battery is
    # bought again in year 15 and 1/3 of it (5 of 15 years left) returns in year 25.
    r, n = 0.04, 25
    annuity_sum = (1 - (1 + r) ** -n) / r
    npv = (
        -capex
        + (saving - 0.01 * capex) * annuity_sum
        - capex / (1 + r) ** 15
        + capex / 3 / (1 + r) ** 25
    )
    assert t.loc["npv_eur", "battery"] == pytest.approx(npv, rel=1e-9)
    assert t.loc["payback_simple_years", "battery"] == pytest.approx(
        capex / (saving - 0.01 * capex), rel=1e-9
    )
    assert t.loc["lcoe_pv_eur_per_kwh", "battery"] is None  # no PV added


def test_added_items(districts: Districts) -> None:
    items = added_items(districts["battery"], districts["base"])
    assert items.battery_kwh == (200.0,) and items.battery_kw == (100.0,)
    assert items.pv_kwp == () and items.luminaires == 0
    bigger = districts["base"].model_copy(
        update={
            "batteries": [
                b.model_copy(update={"capacity_kwh": 900.0}) if b.id == "BAT-Q" else b
                for b in districts["base"].batteries
            ]
        }
    )
    with pytest.raises(InputDataError, match=r"battery BAT-Q: 900\.0 kWh"):
        added_items(bigger, districts["base"])


def test_json_and_files(results: Results, districts: Districts, tmp_path: Path) -> None:
    comparison = compare(
        results, districts, EconomicAssumptions(discount_rate_frac=0.03), reference="base"
    )
    data = comparison.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["licence"] == "CC-BY-4.0"
    assert data["scenarios"] == ["base", "battery"]
    assert data["economic_reference"] == "base"
    assert data["assumptions"]["discount_rate_frac"] == 0.03
    row = next(r for r in data["rows"] if r["key"] == "npv_eur")
    assert row["unit"] == "EUR" and set(row["values"]) == {"base", "battery"}
    paths = comparison.write(tmp_path)
    assert paths[0].read_text().startswith("# licence: CC-BY-4.0")
    assert json.loads(paths[1].read_text())["rows"][0]["key"] == "horizon_h"


def test_bad_arguments(results: Results, districts: Districts) -> None:
    with pytest.raises(InputDataError, match="reference: 'nope' is not a scenario"):
        compare(results, districts, reference="nope")
    with pytest.raises(InputDataError, match="no district for the scenarios"):
        compare(results, {"base": districts["base"]})
    with pytest.raises(InputDataError, match="empty"):
        compare({}, districts)


# -- CLI ---------------------------------------------------------------------------------
def _flat(text: str) -> str:
    """Text with rich's line wrapping undone."""
    return " ".join(text.split())


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_cli_compare_then_savings(districts: Districts, tmp_path: Path) -> None:
    files = [tmp_path / "base.yaml", tmp_path / "battery.json"]
    save_district(districts["base"], files[0])
    save_district(districts["battery"], files[1])
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["compare", *map(str, files), "--start", "2025-06-30", "--days", "1"]
    res = runner.invoke(_app(), [*args, "--reference", "base", "--json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["scenarios"] == ["base", "battery"]
    npv = next(r for r in data["rows"] if r["key"] == "npv_eur")["values"]
    assert npv["base"] == 0.0
    assert (out / "comparison.csv").is_file() and (out / "battery" / "kpis.json").is_file()
    # a table for people, with progress on stderr
    res = runner.invoke(_app(), args)
    assert res.exit_code == 0, res.output
    assert "net present value [EUR]" in res.stdout and "base: done" in res.stderr
    # savings of a run folder written by --out
    res = runner.invoke(_app(), ["savings", str(out / "battery"), "--period", "day", "--json"])
    assert res.exit_code == 0, res.output
    saved = json.loads(res.stdout)
    assert saved["licence"] == "CC-BY-4.0"
    total = saved["baselines"]["B0"][0]["cost_eur"]
    assert total["total"] == pytest.approx(total["pv"] + total["battery"] + total["lighting"])
    res = runner.invoke(_app(), ["savings", str(out / "battery"), "--baseline", "B1", "--csv"])
    assert res.exit_code == 0 and res.stdout.startswith("# licence: CC-BY-4.0")
    # without the baseline files: a clear error, or recomputed from --district
    for name in ("B0", "B1"):
        (out / "battery" / f"baseline_{name}.parquet").unlink()
    res = runner.invoke(_app(), ["savings", str(out / "battery")])
    assert res.exit_code == 1 and "give the district with --district" in _flat(res.stderr)
    res = runner.invoke(
        _app(), ["savings", str(out / "battery"), "--district", str(files[1]), "--json"]
    )
    assert res.exit_code == 0, res.output
    again = json.loads(res.stdout)["baselines"]["B0"][0]["cost_eur"]["total"]
    assert again == pytest.approx(total["total"], rel=1e-9)


def test_cli_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(_app(), ["compare", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 1 and "file not found" in _flat(res.stderr)
    res = runner.invoke(_app(), ["savings", str(tmp_path), "--period", "quarter"])
    assert res.exit_code == 1 and "--period: 'quarter' is not allowed" in _flat(res.stderr)
    res = runner.invoke(_app(), ["savings", str(tmp_path)])
    assert res.exit_code == 1 and "has no schedule.parquet" in _flat(res.stderr)
