"""Capacity sizing: hand-checkable toys, bounds, and the Gera district against a sweep.

Every case states its hand calculation in a comment. The Gera cases check the
sized optimum against sweep points solved as the PLAIN dispatch with a
battery of that size added (a second method, not the sizing block) plus the
capacity cost computed here by hand.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
import typer
from typer.testing import CliRunner

from energy.analysis.economics import EconomicAssumptions
from energy.cli.size import register
from energy.district import GERA_DISTRICT_FILE, Battery, District, load_district
from energy.errors import InputDataError
from energy.models.weather import weather_for_index
from energy.optimisation.dispatch import optimise
from energy.optimisation.model import build_model
from energy.optimisation.options import DispatchOptions
from energy.optimisation.solve import solve
from energy.scenario import ScenarioOptions, inputs_from_district
from energy.studies.candidates import BatteryCandidate, PVCandidate, SizingSpec
from energy.studies.sizing import size, size_dispatch
from energy.system import DispatchInputs
from energy.timeindex import make_index
from tests.energy.optimisation.conftest import check_physics, tiny_index, tiny_inputs

REL = 1e-9

#: Economics whose yearly cost per unit equals the price: r = 0 and a 1-year life
#: give the annuity factor 1/1 = 1, and no operating cost. A 2-hour horizon is
#: 2/8760 of a year, so a price of c * 4380 EUR per unit costs c EUR in the horizon.
ONE_YEAR = EconomicAssumptions(
    discount_rate_frac=0.0,
    battery_lifetime_years=1,
    battery_opex_frac_per_year=0.0,
    pv_lifetime_years=1,
    pv_opex_frac_per_year=0.0,
)
PER_HORIZON_2H = 8760.0 / 2.0


def toy_battery(c_eur_per_kwh: float, **kw: object) -> SizingSpec:
    """An ideal-storage candidate (eta 0.9/0.9, SoC 0..1, empty, 2 kW/kWh) of 0..50 kWh."""
    spec: dict[str, object] = {
        "kwh_max": 50.0,
        "power_kw_per_kwh": 2.0,
        "eta_charge": 0.9,
        "eta_discharge": 0.9,
        "self_discharge_frac_per_h": 0.0,
        "soc_min_frac": 0.0,
        "soc_max_frac": 1.0,
        "soc_initial_frac": 0.0,
        "capex_eur_per_kwh": c_eur_per_kwh * PER_HORIZON_2H,
    }
    spec.update(kw)
    return SizingSpec(battery=BatteryCandidate(**spec), assumptions=ONE_YEAR)  # type: ignore[arg-type]


def arbitrage_inputs() -> DispatchInputs:
    # Step 1 at 0.10 EUR/kWh with no load, step 2 at 0.50 EUR/kWh with 100 kW of load.
    return tiny_inputs(load=[0.0, 100.0], price=[0.1, 0.5])


# Hand calculation for the arbitrage toy, per kWh of capacity K (energy-limited: the
# 2 kW/kWh power never binds, K / 0.9 kW of charging < 2 K kW): buy 1 / 0.9 kWh at 0.10
# in step 1, deliver 0.9 kWh at 0.50 in step 2. Margin m = 0.50 x 0.9 - 0.10 / 0.9
# = 0.45 - 0.111111 = 0.338889 EUR per kWh and horizon. Without a battery the cost is
# 100 kWh x 0.50 = 50 EUR; with K kWh it is 50 - (m - c) K, linear in K, so the optimum
# is K = 50 kWh (the upper bound) if m > c and K = 0 if m < c.
MARGIN = 0.50 * 0.9 - 0.10 / 0.9


@pytest.mark.parametrize(
    ("c", "theta", "kwh"),
    [
        (0.30, 0.0, 50.0),  # m = 0.3389 > c = 0.30: build the most
        (0.35, 0.0, 0.0),  # m < c: build nothing
        # a wear cost theta = 0.05 EUR per kWh discharged costs 0.05 x 0.9 = 0.045 per kWh
        # of capacity: m' = 0.3389 - 0.045 = 0.2939 < 0.30: now nothing pays
        (0.30, 0.05, 0.0),
        (0.25, 0.05, 50.0),  # m' = 0.2939 > 0.25
    ],
)
def test_toy_battery_is_built_iff_the_arbitrage_margin_beats_the_capacity_cost(
    c: float, theta: float, kwh: float
) -> None:
    inputs = arbitrage_inputs()
    spec = toy_battery(c, throughput_cost_eur_per_kwh=theta)
    res = size_dispatch(inputs, spec, reference=True)
    assert res.capacities.battery_kwh == pytest.approx(kwh, abs=1e-9)
    margin = MARGIN - theta * 0.9
    expected = 50.0 - (margin - c) * kwh
    assert res.objective == pytest.approx(expected, rel=REL)
    # the objective is the schedule's cost recomputed from its flows plus the capacity cost
    assert res.costs["total_cost_eur"] == pytest.approx(expected, rel=REL)
    assert res.costs["horizon_cost_eur"] == pytest.approx(c * kwh, rel=REL, abs=1e-12)
    assert res.costs["reference_cost_eur"] == pytest.approx(50.0, rel=REL)
    check_physics(res.inputs, res.schedule)


def test_toy_pv_is_sized_to_the_load_or_beyond_by_the_feed_in() -> None:
    # Two steps of 10 kW load at 0.30 EUR/kWh, feed-in 0.08 EUR/kWh, PV 0.5 kW per kWp,
    # 0..100 kWp. Per kWp and horizon (2 h): up to 10 / 0.5 = 20 kWp each kWp replaces
    # import worth 0.30 x 0.5 x 2 = 0.30 EUR; beyond, it is exported for 0.08 x 0.5 x 2 =
    # 0.08 EUR. So: c > 0.30 -> 0 kWp; 0.08 < c < 0.30 -> 20 kWp; c < 0.08 -> 100 kWp.
    # Costs: no PV 2 x 10 x 0.30 = 6.0 EUR; 20 kWp at c = 0.2: 0 + 4.0 = 4.0 EUR;
    # 100 kWp at c = 0.05: export (50 - 10) x 2 x 0.08 = 6.4 EUR earned, capex 5.0 -> -1.4.
    index = tiny_index(2)
    inputs = tiny_inputs(load=[10.0, 10.0], price=0.3, feed_in=0.08, index=index)
    profile = pd.Series([0.5, 0.5], index=index)
    for c, kwp, total in ((0.35, 0.0, 6.0), (0.2, 20.0, 4.0), (0.05, 100.0, -1.4)):
        pv = PVCandidate(
            kwp_max=100.0,
            building="H",
            capex_eur_per_kwp=c * PER_HORIZON_2H,
            profile_kw_per_kwp=profile,
        )
        res = size_dispatch(inputs, SizingSpec(pv=pv, assumptions=ONE_YEAR))
        assert res.capacities.pv_kwp == pytest.approx(kwp, abs=1e-9)
        assert res.objective == pytest.approx(total, rel=REL)
        check_physics(res.inputs, res.schedule)


def test_capacity_cost_per_horizon_is_the_annuity_plus_opex_share_of_the_year() -> None:
    # Default German assumptions: 4 % real, battery 15 years + 1 %/a opex, PV 25 years +
    # 1.5 %/a, 500 EUR/kWh for community storage (> 30 kWh), 900 EUR/kWp above 100 kWp.
    # a(4 %, 15) = 0.04 x 1.04^15 / (1.04^15 - 1) = 0.04 x 1.800944 / 0.800944 = 0.0899411;
    # a(4 %, 25) = 0.04 x 2.665836 / 1.665836 = 0.0640120.
    # Fixed 100 kWh and 200 kWp over 24 h (24/8760 of a year), with no load, no sun and no
    # self-discharge, so that nothing but the capacities costs:
    # battery 100 x 500 x (0.0899411 + 0.01) x 24 / 8760 = 13.69056 EUR;
    # PV 200 x 900 x (0.0640120 + 0.015) x 24 / 8760 = 38.96480 EUR.
    index = tiny_index(24)
    inputs = tiny_inputs(load=[0.0] * 24, index=index, terminal_soc="geq_initial")
    spec = SizingSpec(
        battery=BatteryCandidate(kwh_min=100.0, kwh_max=100.0, self_discharge_frac_per_h=0.0),
        pv=PVCandidate(
            kwp_min=200.0,
            kwp_max=200.0,
            building="H",
            profile_kw_per_kwp=pd.Series(0.0, index=index),
        ),
    )
    res = size_dispatch(inputs, spec)
    assert res.costs["horizon_cost_eur_battery"] == pytest.approx(13.69056, rel=1e-6)
    assert res.costs["horizon_cost_eur_pv"] == pytest.approx(38.96480, rel=1e-6)
    assert res.objective == pytest.approx(13.69056 + 38.96480, rel=1e-6)
    assert res.costs["capex_eur"] == pytest.approx(100 * 500 + 200 * 900, rel=REL)
    assert res.costs["energy_cost_eur"] == pytest.approx(0.0, abs=1e-9)


# ---------------------------------------------------------------------------------------
# Bounds
# ---------------------------------------------------------------------------------------


def test_lower_bound_forces_an_unprofitable_battery() -> None:
    # c = 0.50 > m = 0.3389: without a lower bound nothing is built; with kwh_min = 20 the
    # optimum is the bound, and costs 50 + (c - m) x 20 = 50 + 0.161111 x 20 = 53.22222 EUR.
    res = size_dispatch(arbitrage_inputs(), toy_battery(0.50, kwh_min=20.0))
    assert res.capacities.battery_kwh == pytest.approx(20.0, abs=1e-9)
    assert res.objective == pytest.approx(50.0 + (0.5 - MARGIN) * 20.0, rel=REL)
    check_physics(res.inputs, res.schedule)


def test_own_power_variable_limits_the_useful_capacity() -> None:
    # Power of its own, 0..30 kW, free; c = 0.30 EUR/kWh. Charging for 1 h at 30 kW stores
    # 0.9 x 30 = 27 kWh; capacity above that can never be filled, and costs, so K = 27 kWh.
    # Cost: 50 - 0.50 x 27 x 0.9 + 0.10 x 30 + 0.30 x 27 = 50 - 12.15 + 3.0 + 8.1 = 48.95 EUR.
    spec = toy_battery(0.30, power_kw_per_kwh=None, kw_max=30.0)
    res = size_dispatch(arbitrage_inputs(), spec)
    assert res.capacities.battery_kwh == pytest.approx(27.0, abs=1e-9)
    assert res.capacities.battery_kw == pytest.approx(30.0, abs=1e-9)
    assert res.objective == pytest.approx(48.95, rel=REL)
    s = res.schedule
    assert s["p_charge_kw:BAT-NEW"].max() <= 30.0 + 1e-9
    check_physics(res.inputs, res.schedule)


def test_bounds_and_fractions_hold_in_the_schedule() -> None:
    # A 0.5 kW/kWh battery with SoC 10-90 % and a PV candidate with 5..8 kWp over a day of
    # varying prices: whatever the optimum, the capacities lie within their bounds and the
    # schedule obeys the SoC window and the power limit of the chosen size.
    rng = np.random.default_rng(7)
    n = 24
    index = tiny_index(n)
    inputs = tiny_inputs(
        load=rng.uniform(2, 20, n).tolist(),
        price=rng.uniform(0.05, 0.6, n).tolist(),
        feed_in=0.07,
        index=index,
        terminal_soc="geq_initial",
    )
    profile = pd.Series(np.clip(np.sin(np.linspace(-1.0, 4.0, n)), 0.0, None) * 0.8, index=index)
    spec = SizingSpec(
        battery=BatteryCandidate(
            kwh_min=10.0, kwh_max=40.0, soc_min_frac=0.1, soc_max_frac=0.9, capex_eur_per_kwh=20.0
        ),
        pv=PVCandidate(kwp_min=5.0, kwp_max=8.0, building="H", profile_kw_per_kwp=profile),
    )
    res = size_dispatch(inputs, spec)
    caps = res.capacities
    assert caps.battery_kwh is not None and caps.pv_kwp is not None
    assert 10.0 - 1e-9 <= caps.battery_kwh <= 40.0 + 1e-9
    assert caps.battery_kw == pytest.approx(0.5 * caps.battery_kwh, rel=1e-9)
    assert 5.0 - 1e-9 <= caps.pv_kwp <= 8.0 + 1e-9
    soc = res.schedule["soc_kwh:BAT-NEW"]
    assert soc.min() >= 0.1 * caps.battery_kwh - 1e-6
    assert soc.max() <= 0.9 * caps.battery_kwh + 1e-6
    assert res.schedule["soc_kwh:BAT-NEW"].iloc[-1] >= 0.5 * caps.battery_kwh - 1e-6
    check_physics(res.inputs, res.schedule)
    # the built PV is the profile times the chosen kWp
    assert res.inputs.pv_kw["PV-NEW"].to_numpy() == pytest.approx(
        caps.pv_kwp * profile.to_numpy(), abs=1e-9
    )


def test_node_injections_carry_the_candidates_without_aggregation() -> None:
    # Without aggregation every node has its own net power; summed over the nodes it
    # must equal import - export in every step (candidate battery at the substation, PV
    # at H), and the optimum is the aggregated model's.
    inputs = arbitrage_inputs()
    spec = toy_battery(0.30)
    pv = PVCandidate(
        kwp_max=10.0, building="H", profile_kw_per_kwp=pd.Series([0.0, 0.4], index=inputs.index)
    )
    spec = dataclasses.replace(spec, pv=pv)
    m = build_model(inputs, DispatchOptions(aggregate=False), [spec.block(inputs)])
    res = solve(m, load_solution=True)
    for t in range(inputs.n_steps):
        net = sum(pyo.value(m.p_node_kw[node, t]) for node in m.NODES)
        assert net == pytest.approx(pyo.value(m.p_import_kw[t] - m.p_export_kw[t]), abs=1e-9)
    assert res.objective == pytest.approx(size_dispatch(inputs, spec).objective, rel=REL)


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: SizingSpec(), "give a PV candidate"),
        (lambda: BatteryCandidate(kwh_max=-1.0), "battery.kwh_max"),
        (lambda: BatteryCandidate(kwh_max=10.0, kwh_min=20.0), "battery.kwh_min: 20 kWh"),
        (lambda: BatteryCandidate(kwh_max=10.0, eta_charge=1.5), "eta_charge"),
        (lambda: BatteryCandidate(kwh_max=10.0, power_kw_per_kwh=None), "battery.kw_max"),
        (lambda: PVCandidate(kwp_max=10.0), "pv.building"),
        (lambda: PVCandidate(kwp_max=10.0, building="H", tilt_deg=120.0), "tilt_deg"),
    ],
)
def test_bad_specs_are_named(make: object, words: str) -> None:
    with pytest.raises(InputDataError, match=re.escape(words)):
        make()  # type: ignore[operator]


def test_bad_model_inputs_are_named() -> None:
    inputs = arbitrage_inputs()
    with pytest.raises(InputDataError, match="objective"):
        size_dispatch(inputs, toy_battery(0.3), DispatchOptions(objective="co2"))
    with pytest.raises(InputDataError, match=re.escape("battery.at: 'X'")):
        size_dispatch(inputs, toy_battery(0.3, at="X"))
    with pytest.raises(InputDataError, match="profile_kw_per_kwp"):
        size_dispatch(inputs, SizingSpec(pv=PVCandidate(kwp_max=1.0, building="H")))


# ---------------------------------------------------------------------------------------
# Gera: zero cost never hurts; the optimum against a sweep of fixed sizes
# ---------------------------------------------------------------------------------------

#: A summer week: PV surplus by day, no negative import prices (so no binaries, and the
#: total cost is a convex function of the capacity, see energy.studies.sizing).
WEEK = ("2025-07-07", 7)
SWEEP_KWH = (0.0, 100.0, 200.0, 400.0, 800.0)
#: 500 EUR/kWh x (a(4 %, 15) + 1 %) = 500 x 0.0999411 = 49.97055 EUR per kWh and year
#: (see the annuity test above); a week is 168 / 8760 of a year.
BAT_EUR_PER_KWH_WEEK = 500.0 * (0.0899411 + 0.01) * 168.0 / 8760.0


@pytest.fixture(scope="module")
def gera() -> District:
    return load_district(GERA_DISTRICT_FILE)


@pytest.fixture(scope="module")
def week_inputs(gera: District) -> DispatchInputs:
    index = make_index(*WEEK, "1h", gera.site.timezone)
    return inputs_from_district(gera, index, weather_for_index(index, gera.site))


def community_battery(kwh: float) -> Battery:
    # the candidate's defaults written out: 0.5 kW/kWh, eta 0.95/0.95, 0.01 %/h, SoC 5-95 %,
    # starting half full, no wear cost
    return Battery(
        id="BAT-NEW",
        at="substation",
        capacity_kwh=kwh,
        power_kw=0.5 * kwh,
        eta_charge=0.95,
        eta_discharge=0.95,
        self_discharge_frac_per_h=0.0001,
        soc_min_frac=0.05,
        soc_max_frac=0.95,
        soc_initial_frac=0.5,
    )


def plain_total(inputs: DispatchInputs, kwh: float) -> float:
    """Cost of the week with a fixed battery of ``kwh`` added, by the plain dispatch."""
    batteries = inputs.batteries + ((community_battery(kwh),) if kwh > 0 else ())
    energy = optimise(dataclasses.replace(inputs, batteries=batteries)).result.objective
    return energy + BAT_EUR_PER_KWH_WEEK * kwh


def test_zero_cost_battery_never_worsens_the_objective(week_inputs: DispatchInputs) -> None:
    # A free battery may always be left at 0 kWh, which is exactly the model without it;
    # so the sized optimum can only be lower or equal. Checked on the Gera week and on
    # random tiny cases, each against the plain dispatch without the candidate.
    free = SizingSpec(battery=BatteryCandidate(kwh_max=800.0, capex_eur_per_kwh=0.0))
    without = optimise(week_inputs).result.objective
    sized = size_dispatch(week_inputs, free)
    assert sized.objective <= without + 1e-7 * abs(without)
    assert sized.capacities.battery_kwh is not None and sized.capacities.battery_kwh > 0
    rng = np.random.default_rng(11)
    for _ in range(5):
        n = 12
        inputs = tiny_inputs(
            load=rng.uniform(0, 10, n).tolist(),
            price=rng.uniform(0.0, 0.5, n).tolist(),
            pv=rng.uniform(0, 12, n).tolist(),
            feed_in=0.05,
            terminal_soc="geq_initial",
        )
        base = optimise(inputs).result.objective
        spec = SizingSpec(battery=BatteryCandidate(kwh_max=30.0, capex_eur_per_kwh=0.0))
        assert size_dispatch(inputs, spec).objective <= base + 1e-9 * max(1.0, abs(base))
        # and a candidate fixed at 0 kWh is exactly the model without it
        zero = dataclasses.replace(spec, battery=BatteryCandidate(kwh_max=0.0))
        assert size_dispatch(inputs, zero).objective == pytest.approx(base, rel=1e-9, abs=1e-9)


def test_gera_sized_battery_beats_every_sweep_point_and_lies_by_the_best(
    week_inputs: DispatchInputs,
) -> None:
    spec = SizingSpec(battery=BatteryCandidate(kwh_max=2000.0))
    res = size_dispatch(week_inputs, spec, sweep_battery_kwh=SWEEP_KWH)
    assert res.metadata["solver"]["integers"] == 0  # an LP: the convexity argument holds
    # each sweep point of the sizing model (capacity fixed) equals the plain dispatch with
    # that battery added plus its capacity cost computed by hand
    assert res.sweep is not None
    sweep = dict(zip(res.sweep["battery_kwh"], res.sweep["total_cost_eur"], strict=True))
    for kwh in SWEEP_KWH:
        assert sweep[kwh] == pytest.approx(plain_total(week_inputs, kwh), rel=1e-6)
    # the sized optimum is a free choice over [0, 2000] kWh, so it is no worse than any point
    total = res.costs["total_cost_eur"]
    assert total == pytest.approx(res.objective, rel=1e-9)
    assert all(total <= v + 1e-7 * abs(v) for v in sweep.values())
    # the total cost is convex in the capacity (an LP's value function in a parameter of
    # its constraints): the minimum lies between the neighbours of the best sweep point
    kwhs = list(SWEEP_KWH)
    best = min(range(len(kwhs)), key=lambda i: sweep[kwhs[i]])
    lo = kwhs[max(best - 1, 0)]
    hi = kwhs[min(best + 1, len(kwhs) - 1)]
    k = res.capacities.battery_kwh
    assert k is not None and lo - 1e-6 <= k <= hi + 1e-6
    assert 0 < k < 2000.0  # an interior optimum in this summer week (not a bound)
    check_physics(res.inputs, res.schedule)


def test_size_on_gera_builds_a_district_that_dispatches_to_the_same_cost(gera: District) -> None:
    # size() on two summer days with a 0..300 kWp PV like the first roof system and a
    # 0..1000 kWh battery; the district it returns, run through the plain dispatch, must
    # reach the energy cost of the sized schedule (the same LP with the sizes fixed).
    spec = SizingSpec(
        battery=BatteryCandidate(kwh_max=1000.0),
        pv=PVCandidate(kwp_max=300.0, like=gera.pv[0].id),
    )
    options = ScenarioOptions(start="2025-07-07", days=2, ac_check=False)
    res = size(gera, options, spec)
    caps = res.capacities
    assert res.district is not None
    added_pv = [p for p in res.district.pv if p.id == "PV-NEW"]
    assert len(added_pv) == (1 if caps.pv_kwp else 0)
    if added_pv:
        assert added_pv[0].kwp == pytest.approx(caps.pv_kwp)
        assert added_pv[0].building == gera.pv[0].building
        assert added_pv[0].tilt_deg == gera.pv[0].tilt_deg
    index = make_index(options.start, options.days, "1h", gera.site.timezone)
    built = inputs_from_district(res.district, index, weather_for_index(index, gera.site))
    again = optimise(built).result.objective
    assert again == pytest.approx(res.costs["energy_cost_eur"], rel=1e-6)
    assert res.costs["savings_eur"] == pytest.approx(
        res.costs["reference_cost_eur"] - res.costs["total_cost_eur"], rel=1e-9
    )
    assert res.costs["savings_eur"] >= -1e-6  # building nothing is always allowed
    assert any("seasonal" in note for note in res.notes)
    # sized on two days: every annual reading of it says so
    assert res.metadata["annual_basis"] == "extrapolated"
    assert res.metadata["extrapolated_from"] == "2 days (2025-07-07..2025-07-08)"
    check_physics(res.inputs, res.schedule)


# ---------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app."""

    register(app)
    return app


def test_cli_size_json_and_table(tmp_path: Path) -> None:
    args = ["size", str(GERA_DISTRICT_FILE), "--start", "2025-07-07", "--days", "2"]
    res = CliRunner().invoke(
        _app(), [*args, "--battery-kwh-max", "1000", "--sweep-kwh", "0,400,800", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout[res.stdout.index("{") :])
    kwh = data["capacities"]["battery_kwh"]
    assert 0.0 <= kwh <= 1000.0
    totals = [row["total_cost_eur"] for row in data["sweep"]]
    assert data["costs"]["total_cost_eur"] <= min(totals) + 1e-6 * abs(min(totals))
    assert data["licence"] == "CC-BY-4.0"
    assert data["metadata"]["extrapolated_from"] == "2 days (2025-07-07..2025-07-08)"
    out = tmp_path / "sized.yaml"
    res = CliRunner().invoke(
        _app(), [*args, "--battery-kwh-max", "1000", "--save-district", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "battery" in res.output and "total" in res.output
    assert load_district(out).total_battery_kwh == pytest.approx(
        load_district(GERA_DISTRICT_FILE).total_battery_kwh + kwh, rel=1e-6
    )


def test_cli_size_needs_a_candidate() -> None:
    res = CliRunner().invoke(_app(), ["size", str(GERA_DISTRICT_FILE), "--days", "1"])
    assert res.exit_code == 1
    assert "--battery-kwh-max" in res.output
