"""Autarky as a target: the minimum self-sufficiency row by hand, and the Pareto front."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from typer.testing import CliRunner

from energy.cli.main import app
from energy.district import DATA_DIR, load_district
from energy.errors import InfeasibleError, InputDataError
from energy.kpi import compute_kpis
from energy.optimisation.autarky import AutarkyBlock
from energy.optimisation.dispatch import optimise, solution_schedule
from energy.optimisation.options import DispatchOptions
from energy.scenario import ScenarioOptions
from energy.studies.candidates import BatteryCandidate, PVCandidate, SizingSpec
from energy.studies.pareto import pareto
from energy.studies.sizing import size, size_dispatch, sizing_inputs, solve_sized

from ..optimisation.conftest import battery, tiny_inputs

HEAT_FILE = DATA_DIR / "gera" / "district_heat_mobility.yaml"


def test_minimum_self_sufficiency_by_hand() -> None:
    """10 kW load in two hours, 20 kW PV in the first, a lossless 10 kWh battery.

    Storing costs 0.25 (lost feed-in) + 0.10 (wear) > 0.30 (import), so the cost
    optimum stores nothing: import 10 kWh, self-sufficiency 1 - 10/20 = 50 %,
    cost 3.00 - 2.50 = 0.50 EUR. At least 75 % allows 5 kWh of import: 5 kWh
    stored, cost 1.50 - 1.25 + 0.50 = 0.75 EUR.
    """
    bat = battery(throughput_cost_eur_per_kwh=0.10)
    inputs = tiny_inputs([10.0, 10.0], 0.30, 0.25, pv=[20.0, 0.0], batteries=[bat])
    plain = compute_kpis(solution_schedule(inputs, optimise(inputs)), [bat])
    assert plain["self_sufficiency"] == pytest.approx(0.5)
    assert plain["cost_eur"] == pytest.approx(0.50)
    target = solution_schedule(inputs, optimise(inputs, blocks=[AutarkyBlock(0.75)]))
    kpis = compute_kpis(target, [bat])
    assert kpis["self_sufficiency"] == pytest.approx(0.75)
    assert kpis["cost_eur"] == pytest.approx(0.75)
    assert target["p_discharge_kw:BAT"].sum() == pytest.approx(5.0)


def test_minimum_self_sufficiency_as_a_run_option_and_its_limit_by_hand() -> None:
    """The option gives the block's optimum; a target above what can be reached names it.

    With a 6 kWh battery at most 6 of the 10 kWh surplus can be kept for the second
    hour: import 4 kWh at best, so the highest self-sufficiency is 1 - 4/20 = 80 %.
    """
    bat = battery(throughput_cost_eur_per_kwh=0.10)
    inputs = tiny_inputs([10.0, 10.0], 0.30, 0.25, pv=[20.0, 0.0], batteries=[bat])
    optioned = optimise(inputs, DispatchOptions(min_self_sufficiency=0.75))
    kpis = compute_kpis(solution_schedule(inputs, optioned), [bat])
    assert (kpis["self_sufficiency"], kpis["cost_eur"]) == pytest.approx((0.75, 0.75))
    small = battery(capacity_kwh=6.0)
    inputs = tiny_inputs([10.0, 10.0], 0.30, 0.25, pv=[20.0, 0.0], batteries=[small])
    reached = optimise(inputs, DispatchOptions(min_self_sufficiency=0.80))
    assert compute_kpis(solution_schedule(inputs, reached), [small])[
        "self_sufficiency"
    ] == pytest.approx(0.80)
    with pytest.raises(InfeasibleError) as caught:
        optimise(inputs, DispatchOptions(min_self_sufficiency=0.9))
    assert str(caught.value).startswith(
        "min_self_sufficiency: 90.0 % (self_sufficiency) cannot be reached over "
    )
    assert "the highest this district reaches is 80.0 % (import minimised)" in str(caught.value)
    with pytest.raises(InputDataError, match="min_self_sufficiency"):
        DispatchOptions(min_self_sufficiency=1.5)
    # sizing: a candidate of at most 6 kWh (lossless, 1 h) reaches 80 % at best as well
    candidate = BatteryCandidate(
        kwh_max=6.0, power_kw_per_kwh=1.0, eta_charge=1.0, eta_discharge=1.0,
        soc_min_frac=0.0, soc_max_frac=1.0, soc_initial_frac=0.0,
    )  # fmt: skip
    bare = tiny_inputs([10.0, 10.0], 0.30, 0.25, pv=[20.0, 0.0])
    with pytest.raises(InfeasibleError, match=r"the highest this district reaches is 80\.0 %"):
        size_dispatch(
            bare, SizingSpec(battery=candidate), DispatchOptions(min_self_sufficiency=0.9)
        )


def test_autarky_target_must_be_a_share() -> None:
    with pytest.raises(InputDataError, match=r"min_share: 1\.5 is not allowed"):
        AutarkyBlock(1.5)
    with pytest.raises(InputDataError, match="metric: 'heat' is not allowed"):
        AutarkyBlock(0.5, "heat")  # type: ignore[arg-type]


def test_pareto_front_of_a_summer_week_with_heat_and_mobility() -> None:
    """>= 6 points, cost non-decreasing in autarky, the first the plain cost optimum."""
    district = load_district(HEAT_FILE)
    options = ScenarioOptions(start=dt.date(2025, 6, 2), days=3, ac_check=False)
    spec = SizingSpec(
        battery=BatteryCandidate(kwh_max=2000.0), pv=PVCandidate(kwp_max=300.0, like="PV-SC02")
    )
    result = pareto(district, options, spec, points=6)
    points = result.points
    assert len(points) == 6 and points[0]["target"] is None
    costs = [p["annual_cost_eur_per_year"] for p in points]
    assert all(b >= a - 1e-6 * abs(a) for a, b in itertools.pairwise(costs))
    shares = [p["self_sufficiency"] for p in points]
    assert shares == sorted(shares) and shares[-1] > shares[0] + 0.01
    for p in points[1:]:
        assert p["self_sufficiency"] >= p["target"] - 1e-6
    plain = size(district, options, spec, reference=False)
    years = plain.costs["horizon_years"]
    assert costs[0] == pytest.approx(plain.costs["total_cost_eur"] / years, rel=1e-6)
    assert points[0]["battery_kwh"] == pytest.approx(plain.capacities.battery_kwh or 0.0, abs=1e-3)
    assert result.metadata["extrapolated_from"].startswith("3 days")
    assert points[0]["heat_storage_kwh"] > 0
    # the targets re-solved in HiGHS from the previous basis equal models built with
    # their target and solved from scratch
    inputs, built, _ = sizing_inputs(district, options, spec)
    for p in points[2::2]:
        cold = solve_sized(
            inputs, built, options.dispatch_options(), blocks=[AutarkyBlock(p["target"])]
        )
        assert p["annual_cost_eur_per_year"] == pytest.approx(
            cold.costs["total_cost_eur"] / years, rel=1e-7
        )
        assert p["self_sufficiency"] == pytest.approx(cold.kpis["self_sufficiency"], abs=1e-7)
    assert len(result.metadata["timings_s"]["solves_s"]) == 6


def test_cli_pareto_json() -> None:
    out = CliRunner().invoke(
        app,
        ["pareto", str(HEAT_FILE), "--days", "1", "--start", "2025-01-15", "--points", "3",
         "--json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout[out.stdout.index("{") :])
    assert data["metric"] == "self_sufficiency" and len(data["points"]) == 3
    assert {"annual_cost_eur_per_year", "pv_kwp", "battery_kwh", "heat_storage_kwh"} <= set(
        data["points"][0]
    )
    bad = CliRunner().invoke(app, ["pareto", str(HEAT_FILE), "--days", "1", "--metric", "x"])
    assert bad.exit_code == 1 and "--metric: 'x' is not allowed" in bad.output
