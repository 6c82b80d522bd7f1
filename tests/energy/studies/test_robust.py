"""Robust sweeps and sizing: planted member figures with hand-known quantiles, one real run.

Quantiles are Hyndman-Fan 7 (numpy's default): for n sorted values the
q-quantile sits at position q (n - 1), interpolated linearly. With 5 members
P10 is at position 0.4 and P50 at 2; with 3 members P10 is at 0.2 and P50 at 1.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from energy.district import DATA_DIR, GERA_DISTRICT_FILE, District, load_district
from energy.errors import InputDataError
from energy.scenario import ScenarioOptions
from energy.studies.robust import (
    MemberRows,
    RobustAsk,
    design_figures,
    parse_robust,
    summarise_robust,
)
from energy.studies.robust_runs import (
    member_inputs,
    member_rows,
    robust_size,
    run_member_point,
    run_robust_sweep,
)
from energy.studies.sweep import SweepSpec, run_point
from energy.variants import ScenarioChanges

OPTIONS = ScenarioOptions(start="2025-06-30", days=1, ac_check=False)
TRY_2015 = str(DATA_DIR / "weather" / "TRY2015_Chemnitz_region09_Jahr.dat")
TRY_2045_SUMMER = str(DATA_DIR / "weather" / "TRY2045_Chemnitz_region09_Somm.dat")


@pytest.fixture(scope="module")
def gera() -> District:
    return load_district(GERA_DISTRICT_FILE)


def _planted(
    values: Mapping[float, Sequence[float]], column: str, parameter: str
) -> tuple[Any, list[list[float]]]:
    """An evaluator that returns planted member figures of ``column`` per size; calls logged."""
    calls: list[list[float]] = []

    def evaluate(grid_points: Sequence[Mapping[str, float]]) -> tuple[MemberRows, list]:
        sizes = [p[parameter] for p in grid_points]
        calls.append(sizes)
        n = len(next(iter(values.values())))
        rows: MemberRows = {
            f"m{i}": [{column: values[s][i], "horizon_label": "planted"} for s in sizes]
            for i in range(n)
        }
        return rows, []

    return evaluate, calls


def test_p10_best_and_p50_best_differ_on_planted_npv(gera: District) -> None:
    # NPV [EUR] of the addition in five members, planted:
    #   +100 kWp: 30, 31, 32, 33, 34 -> P10 = 30 + 0.4 (31 - 30) = 30.4, P50 = 32
    #   +200 kWp: 0, 50, 60, 70, 80  -> P10 = 0 + 0.4 (50 - 0) = 20.0,  P50 = 60
    # so P10 picks +100 kWp (steady) and P50 picks +200 kWp (better median, bad tail)
    npv = {100.0: [30, 31, 32, 33, 34], 200.0: [0, 50, 60, 70, 80]}
    spec = SweepSpec(gera, {"pv_kwp_added": [100, 200]}, OPTIONS)
    evaluate, calls = _planted(npv, "npv_eur", "pv_kwp_added")
    ask = RobustAsk("npv", "p10", weather=(TRY_2015,), price_years=(2023,))
    result = run_robust_sweep(spec, ask, evaluate=evaluate)
    assert calls == [[100.0, 200.0]]
    assert result.choice["choice"] == "+100 kWp PV"
    assert result.choice["point"] == {"pv_kwp_added": 100.0}
    assert result.choice["values"] == {"+100 kWp PV": pytest.approx(30.4), "+200 kWp PV": 20.0}
    assert result.choice["p50_choice"] == "+200 kWp PV"
    by_p50 = run_robust_sweep(spec, RobustAsk("npv_eur", "p50"), evaluate=evaluate)
    assert by_p50.choice["choice"] == "+200 kWp PV"
    d = result.designs[1]["figures"]["npv_eur"]
    assert (d["min"], d["p10"], d["p50"], d["p90"], d["max"]) == pytest.approx(
        (0.0, 20.0, 60.0, 76.0, 80.0)  # P90 at position 3.6: 70 + 0.6 x 10
    )
    assert (d["min_member"], d["max_member"], d["worst_member"]) == ("m0", "m4", "m0")
    text = result.summary()
    assert "+100 kWp PV (best P10 of NPV" in text and "By P50 it would be +200 kWp PV" in text
    data = result.to_dict()
    assert data["licence"] == "CC-BY-4.0" and data["period"] == "planted"
    assert "nothing added" in data["baseline"] and data["annual_basis"] == "full year"
    assert json.loads(json.dumps(data))["choice"]["choice"] == "+100 kWp PV"


def test_self_sufficiency_is_in_percent_and_a_failed_member_is_named() -> None:
    rows = {"m0": {"self_sufficiency": 0.25}, "m1": None, "m2": {"self_sufficiency": 0.35}}
    figures = design_figures(rows)
    ss = figures["self_sufficiency_pct"]
    # two values 25 and 35 %: P10 at position 0.1 -> 25 + 0.1 x 10 = 26 %
    assert ss["unit"] == "%" and ss["n"] == 2 and ss["missing"] == ["m1"]
    assert ss["p10"] == pytest.approx(26.0)
    assert figures["payback_discounted_years"]["missing"] == ["m1"]
    pay = design_figures({"m0": {"payback_discounted_years": None}, "m1": None})
    # a payback never reached counts as infinite; a failed member is missing, not infinite
    assert pay["payback_discounted_years"]["n"] == 1
    assert pay["payback_discounted_years"]["missing"] == ["m1"]
    assert pay["payback_discounted_years"]["p50"] is None


# self-sufficiency [fraction] of three members per candidate battery [kWh], planted;
# P10 at position 0.2, P50 at 1:
#     0: .20 .25 .30 -> P10 21.0 %
#   100: .30 .45 .50 -> P10 33.0 %, P50 45 % (P50 would already pass 40 %)
#   200: .39 .50 .55 -> P10 41.2 %  <- smallest with P10 >= 40 %
#   400: .50 .60 .70 -> P10 52.0 %
#   800: .60 .70 .80 -> P10 62.0 %
SS = {
    0.0: [0.20, 0.25, 0.30],
    100.0: [0.30, 0.45, 0.50],
    200.0: [0.39, 0.50, 0.55],
    400.0: [0.50, 0.60, 0.70],
    800.0: [0.60, 0.70, 0.80],
}


@pytest.mark.parametrize(("search", "tried"), [("scan", [0, 100, 200]), ("bisect", [200, 0, 100])])
def test_robust_sizing_picks_the_smallest_meeting_the_target(
    gera: District, search: str, tried: list[float]
) -> None:
    spec = SweepSpec(gera, {"battery_kwh_added": [800, 0, 400, 100, 200]}, OPTIONS)
    evaluate, calls = _planted(SS, "self_sufficiency", "battery_kwh_added")
    ask = RobustAsk("self_sufficiency", "p10", target=40.0)
    result = robust_size(spec, ask, search, evaluate=evaluate)  # type: ignore[arg-type]
    assert [c[0] for c in calls] == tried  # scan stops at 200; bisect halves 0..800
    assert result.choice["choice"] == "+200 kWh battery"
    assert result.choice["values"]["+200 kWh battery"] == pytest.approx(41.2)
    assert result.choice["values"]["+100 kWh battery"] == pytest.approx(33.0)
    assert result.choice["p50_choice"] == "+100 kWh battery"
    assert result.search is not None and result.search["not_evaluated"] == [400.0, 800.0]
    assert [d["point"]["battery_kwh_added"] for d in result.designs] == [0.0, 100.0, 200.0]


def test_robust_sizing_says_when_no_candidate_reaches_the_target(gera: District) -> None:
    spec = SweepSpec(gera, {"battery_kwh_added": list(SS)}, OPTIONS)
    evaluate, calls = _planted(SS, "self_sufficiency", "battery_kwh_added")
    result = robust_size(spec, RobustAsk("self_sufficiency", "p10", target=90.0), evaluate=evaluate)
    assert len(calls) == 5 and result.choice["choice"] is None
    text = result.summary()
    # the best P10 is 800 kWh's: 60 + 0.2 x 10 = 62 %
    assert "no candidate size reaches the target: P10 of self-sufficiency" in text
    assert ">= 90 %." in text and result.choice["why"].startswith("no design meets")
    assert "The best P10 is 62.0 % (+800 kWh battery)" in text


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse_robust("npv"), "--robust: 'npv' is not figure:statistic"),
        (lambda: parse_robust("npv:p95"), "statistic 'p95'"),
        (lambda: parse_robust("wind:p10"), "'wind' is not a figure"),
        (lambda: RobustAsk(target=float("nan")), "robust.target"),
        (lambda: RobustAsk(weather=()), "robust.weather"),
        (lambda: RobustAsk(price_years=tuple(range(2000, 2050))), "at most 100"),
    ],
)
def test_bad_asks_name_the_field(call: Any, message: str) -> None:
    with pytest.raises(InputDataError, match=message.replace("(", r"\(")):
        call()


def test_sizing_needs_one_parameter_and_a_target(gera: District) -> None:
    two = SweepSpec(gera, {"battery_kwh_added": [0, 100], "pv_kwp_added": [0]}, OPTIONS)
    with pytest.raises(InputDataError, match="robust sizing varies one size"):
        robust_size(two, RobustAsk("self_sufficiency", target=40.0))
    one = SweepSpec(gera, {"battery_kwh_added": [0, 100]}, OPTIONS)
    with pytest.raises(InputDataError, match=r"robust\.target"):
        robust_size(one, RobustAsk("self_sufficiency"))


def test_cli_robust_sweep_real_two_members(gera: District, tmp_path: Path) -> None:
    """Gera, one June day, +0/+100 kWp, two weather members: the real chain end to end."""
    from energy.cli.compare import register

    app = typer.Typer()
    register(app)
    args = [
        "sweep", str(GERA_DISTRICT_FILE), "--pv-kwp-added", "0,100", "--days", "1",
        "--start", "2025-06-30", "--robust", "self_sufficiency:p10",
        "--weather", f"{TRY_2015},{TRY_2045_SUMMER}", "--prices", "2024",
        "--workers", "1", "--json", "--out", str(tmp_path),
    ]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.output[res.output.index("{") :])
    assert data["members"] == [
        "TRY 2015 mean year, prices 2024",
        "TRY 2045 extreme summer, prices 2024",
    ]
    assert data["period"] == "1 day (2025-06-30..2025-06-30)"
    assert data["annual_basis"] == "extrapolated" and not data["failed"]
    assert {s["role"] for s in data["data_sources"]} >= {"weather", "day_ahead"}
    # each member's self-sufficiency from a plain run of the point on that member's inputs
    direct = []
    for weather in (TRY_2015, TRY_2045_SUMMER):
        district, options = member_inputs(gera, OPTIONS, weather, 2024)
        direct.append(
            100
            * run_point(district, ScenarioChanges(pv_kwp_added=100), options)["self_sufficiency"]
        )
    lo, hi = sorted(direct)
    d = data["designs"][1]["figures"]["self_sufficiency_pct"]
    assert (d["min"], d["max"]) == pytest.approx((lo, hi), rel=1e-9)
    assert d["p10"] == pytest.approx(lo + 0.1 * (hi - lo), rel=1e-9)  # two values: position 0.1
    # adding PV cannot lower self-sufficiency on a sunny day: +100 kWp is the P10 best
    assert data["choice"]["choice"] == "+100 kWp PV"
    assert (tmp_path / "robust_sweep.json").exists()
    bad = CliRunner().invoke(app, [*args[:8], "--robust", "npv:p95"])
    assert bad.exit_code == 1 and "statistic 'p95'" in bad.output


def _record(cost_eur: float, self_sufficiency: float) -> dict[str, Any]:
    """A run_point record of a design that adds nothing to invest in (hand-made)."""
    nothing = {"pv_kwp": [], "battery_kwh": [], "battery_kw": [], "luminaires": 0}
    return {
        "added": nothing,
        "cost_eur": cost_eur,
        "horizon_h": 8760.0,
        "e_generation_kwh": 0.0,
        "self_sufficiency": self_sufficiency,
        "horizon_label": "365 days (2025-01-01..2025-12-31)",
        "error": None,
    }


def test_failed_runs_are_named_and_left_out(gera: District) -> None:
    spec = SweepSpec(gera, {"pv_kwp_added": [0]}, OPTIONS)
    point = {"pv_kwp_added": 0.0}
    records = {
        "m0": [_record(90.0, 0.5)],
        "m1": [{"error": "OSError: gone"}],
        "m2": [_record(80.0, 0.6)],
    }
    refs = {"m0": _record(100.0, 0.4), "m1": _record(100.0, 0.4), "m2": {"error": "bad base"}}
    rows, failed = member_rows(spec, [point], records, refs)
    assert failed == [
        {"member": "m1", "design": "nothing added", "error": "OSError: gone"},
        {"member": "m2", "design": "nothing added", "error": "bad base"},
    ]
    assert rows["m1"] == [None] and rows["m2"] == [None]
    row = rows["m0"][0]
    assert row is not None
    # nothing invested, 10 EUR saved over a whole year: 10 EUR/a, self-sufficiency 50 %
    assert row["annual_savings_eur"] == pytest.approx(10.0) and row["capex_eur"] == 0.0
    result = summarise_robust(RobustAsk("self_sufficiency"), [point], rows, failed)
    ss = result.designs[0]["figures"]["self_sufficiency_pct"]
    assert (ss["n"], ss["missing"], ss["p50"]) == (1, ["m1", "m2"], 50.0)
    assert result.horizon_label == "365 days (2025-01-01..2025-12-31)"
    assert result.to_dict()["annual_basis"] == "full year"
    assert "Failed: nothing added in m1 (OSError: gone)." in result.summary()


def test_a_member_that_cannot_be_read_is_a_failed_record(gera: District, tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere.dat")
    record = run_member_point(gera, ScenarioChanges(), OPTIONS, missing, 2024)
    assert record["member"] == "nowhere.dat, prices 2024"
    assert record["error"] is not None and "nowhere.dat" in record["error"]
