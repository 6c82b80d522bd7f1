"""Economics against hand calculations: annuity, NPV, payback, LCOE, replacements, member split.

Every expected number below is derived by hand (pocket-calculator arithmetic in
the comment), never taken from the code under test.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from energy.analysis.cooperative import split_by_members
from energy.analysis.economics import (
    EconomicAssumptions,
    InvestmentItems,
    evaluate,
    investment_items_from_district,
)
from energy.analysis.finance import annualised_capex, annuity_factor, irr, lcoe, npv, payback_years
from energy.district import district_from_dict
from energy.errors import InputDataError

# A 4 % / 25 a annuity factor, used by several tests:
# 1.04^25 = 2.665836; a = 0.04 * 2.665836 / 1.665836 = 0.0640120; 1/a = 15.622080
A_4_25 = 0.0640120
PV_FACTOR_4_25 = 15.622080


# -- annuity factor ------------------------------------------------------------------------
def test_annuity_factor_4_percent_20_years() -> None:
    # 1.04^20 = 2.191123; a = 0.04 * 2.191123 / (2.191123 - 1) = 0.0876449 / 1.191123 = 0.073582
    assert annuity_factor(0.04, 20) == pytest.approx(0.073582, abs=5e-7)


def test_annuity_factor_zero_rate_is_one_over_n() -> None:
    # r = 0: repaying 1 in n equal parts -> 1/n
    assert annuity_factor(0.0, 20) == pytest.approx(1 / 20, rel=1e-15)
    # a tiny rate approaches 1/n (limit of the formula), no cancellation blow-up:
    # a = 1/n + r/2 + O(r^2) -> 0.05 + 5e-13
    assert annuity_factor(1e-12, 20) == pytest.approx(0.05 + 5e-13, rel=1e-9)


def test_annuity_factor_one_year_repays_principal_plus_interest() -> None:
    # n = 1: a = r (1+r) / r = 1 + r
    assert annuity_factor(0.07, 1) == pytest.approx(1.07, rel=1e-12)


def test_annualised_capex_is_capex_times_annuity() -> None:
    # 10,000 EUR over 25 a at 4 %: 10,000 * 0.0640120 = 640.12 EUR/a
    assert annualised_capex(10_000, 0.04, 25) == pytest.approx(640.12, abs=0.01)


# -- NPV and IRR ---------------------------------------------------------------------------
def test_npv_of_known_cash_flow() -> None:
    # -1000, then 300 for 5 years at 5 %:
    # present-value factor (1 - 1.05^-5)/0.05 = (1 - 0.783526)/0.05 = 4.329477
    # NPV = -1000 + 300 * 4.329477 = 298.843
    assert npv(0.05, [-1000, 300, 300, 300, 300, 300]) == pytest.approx(298.84, abs=0.005)


def test_npv_year_zero_is_not_discounted() -> None:
    # a single flow in year 0 keeps its value; 110 in year 1 at 10 % is worth 100
    assert npv(0.3, [123.0]) == 123.0
    assert npv(0.10, [0.0, 110.0]) == pytest.approx(100.0, rel=1e-12)


def test_irr_of_two_period_flow() -> None:
    # -100 now, +121 in year 2: (1 + i)^2 = 1.21 -> i = 10 %
    assert irr([-100, 0, 121]) == pytest.approx(0.10, abs=1e-9)
    # -100, +10, +10 repays only at a negative rate: with x = 1/(1+i),
    # 10x^2 + 10x - 100 = 0 -> x = (-1 + sqrt 41)/2 = 2.701562 -> i = 1/x - 1 = -0.629844
    assert irr([-100, 10, 10]) == pytest.approx(-0.629844, abs=1e-6)
    # all flows negative: the NPV never changes sign -> None
    assert irr([-100, -10]) is None


# -- payback -------------------------------------------------------------------------------
def test_simple_payback() -> None:
    # 1000 / 300 = 3.3333 a
    assert payback_years(1000, 300) == pytest.approx(10 / 3, rel=1e-12)
    # same with a horizon long enough, and with a year-by-year list
    assert payback_years(1000, 300, horizon_years=5) == pytest.approx(10 / 3, rel=1e-12)
    assert payback_years(1000, [300] * 5) == pytest.approx(10 / 3, rel=1e-12)


def test_discounted_payback_interpolates_within_the_year() -> None:
    # 300/a at 5 %, discounted: 285.714, 272.109, 259.151, 246.811 (= 300/1.05^t)
    # cumulative: 285.714, 557.823, 816.974, 1063.785 -> crosses 1000 in year 4
    # payback = 3 + (1000 - 816.974) / 246.811 = 3 + 0.74156 = 3.7416 a
    assert payback_years(1000, 300, rate=0.05) == pytest.approx(3.7416, abs=1e-4)
    assert payback_years(1000, [300] * 5, rate=0.05) == pytest.approx(3.7416, abs=1e-4)


def test_payback_never() -> None:
    # 100/a for 5 years repays only 500 of 1000
    assert payback_years(1000, 100, horizon_years=5) is None
    assert payback_years(1000, [100] * 5) is None
    # no savings at all
    assert payback_years(1000, 0) is None
    # discounted without a horizon: a perpetuity of 40/a at 5 % is worth 40/0.05 = 800 < 1000
    assert payback_years(1000, 40, rate=0.05) is None
    # ... but a simple payback exists (25 a)
    assert payback_years(1000, 40) == pytest.approx(25.0, rel=1e-12)
    # zero investment is paid back at once
    assert payback_years(0, 50) == 0.0


def test_discounted_payback_without_horizon_matches_closed_form_bound() -> None:
    # 100/a at 5 % against 1000: closed form n* = -ln(1 - 1000*0.05/100) / ln 1.05
    # = ln 2 / ln 1.05 = 14.2067 a; the year-wise interpolation lies in year 15:
    # cumulative after 14 a = 100 * (1 - 1.05^-14)/0.05 = 989.864;
    # year 15 adds 100/1.05^15 = 48.102 -> 14 + 10.136/48.102 = 14.2107 a
    assert payback_years(1000, 100, rate=0.05) == pytest.approx(14.2107, abs=1e-4)


# -- LCOE ----------------------------------------------------------------------------------
def test_lcoe_of_pv_case() -> None:
    # 1000 EUR/kWp, opex 1.5 % = 15 EUR/kWp/a, 950 kWh/kWp/a, 4 %, 25 a, no degradation:
    # LCOE = (1000 * a + 15) / 950 = (64.0120 + 15) / 950 = 0.083171 EUR/kWh
    assert lcoe(1000, 15, 950, 0.04, 25) == pytest.approx(0.083171, abs=1e-6)


def test_lcoe_with_degradation_two_years() -> None:
    # 1000 EUR, no opex, 100 kWh in year 1, 10 %/a degradation, 10 %, 2 years:
    # discounted energy = 100/1.1 + 90/1.21 = 90.909 + 74.380 = 165.289 kWh
    # LCOE = 1000 / 165.289 = 6.0500 EUR/kWh
    assert lcoe(1000, 0, 100, 0.10, 2, degradation_frac_per_year=0.10) == pytest.approx(
        6.05, abs=1e-9
    )


# -- appraisal of a scenario ---------------------------------------------------------------
def test_pv_price_bands_and_battery_classes() -> None:
    a = EconomicAssumptions()
    # a system is priced by its own size band
    assert a.pv_capex_eur_per_kwp(10) == 1500
    assert a.pv_capex_eur_per_kwp(10.5) == 1200
    assert a.pv_capex_eur_per_kwp(100) == 1200
    assert a.pv_capex_eur_per_kwp(300) == 900
    assert a.battery_capex_eur_per_kwh(10) == 800
    assert a.battery_capex_eur_per_kwh(400) == 500
    # 8 kWp home + 300 kWp school + 10 kWh home + 400 kWh community (200 kW) + 50 controllers:
    # PV 8*1500 + 300*900 = 12,000 + 270,000 = 282,000; battery 10*800 + 400*500 = 208,000;
    # controllers 50*150 = 7,500; total 497,500 EUR
    items = InvestmentItems(
        pv_kwp=(8, 300), battery_kwh=(10, 400), battery_kw=(5, 200), luminaires=50
    )
    res = evaluate(items, 0.0, a)
    assert res["capex_by_component_eur"] == {
        "pv": 282_000,
        "battery": 208_000,
        "controllers": 7_500,
    }
    assert res["capex_eur"] == pytest.approx(497_500, abs=1e-6)
    # opex: 282,000*1.5 % + 208,000*1 % + 7,500*3 % = 4,230 + 2,080 + 225 = 6,535 EUR/a
    assert res["opex_eur_per_year"] == pytest.approx(6535.0, abs=1e-6)


def test_battery_replacement_in_25_year_horizon() -> None:
    # 100 kWh community battery at 500 EUR/kWh = 50,000 EUR, opex 1 % = 500 EUR/a,
    # lifetime 15 a, horizon 25 a, 4 %, no savings.
    # Bought in year 0 and again in year 15; the second unit would run to year 30, so at
    # the end of the horizon (25) it has 5 of its 15 years left -> residual 50,000 * 5/15.
    # NPV = -50,000 - 500 * 15.622080 - 50,000 / 1.04^15 + 16,666.67 / 1.04^25
    #     = -50,000 - 7,811.04 - 50,000/1.800944 + 16,666.67/2.665836
    #     = -50,000 - 7,811.04 - 27,763.16 + 6,251.89 = -79,322.31 EUR
    items = InvestmentItems(battery_kwh=(100,))
    res = evaluate(items, 0.0, EconomicAssumptions())
    assert res["replacements"] == [{"component": "battery", "year": 15, "cost_eur": 50_000.0}]
    assert res["residual_value_eur"] == pytest.approx(50_000 / 3, rel=1e-12)
    assert res["cash_flows_eur"][15] == pytest.approx(-50_500.0, abs=1e-6)
    assert res["cash_flows_eur"][25] == pytest.approx(-500 + 50_000 / 3, abs=1e-6)
    assert res["npv_eur"] == pytest.approx(-79_322.31, abs=0.05)
    assert res["payback_simple_years"] is None
    # the only inflow is the residual value in year 25, so the IRR is negative
    irr_frac = res["irr_frac"]
    assert irr_frac is not None
    assert irr_frac < 0


def test_component_outliving_the_horizon_gets_residual_value() -> None:
    # 100 controllers at 150 EUR = 15,000 EUR with 20 a lifetime in a 15 a horizon:
    # no replacement, residual 15,000 * (20 - 15)/20 = 3,750 EUR credited in year 15
    a = EconomicAssumptions(controller_lifetime_years=20, horizon_years=15)
    res = evaluate(InvestmentItems(luminaires=100), 0.0, a)
    assert res["replacements"] == []
    assert res["residual_value_eur"] == pytest.approx(3750.0, rel=1e-12)


def test_evaluate_pv_project_npv_annuity_payback_irr() -> None:
    # 50 kWp at 1200 EUR/kWp = 60,000 EUR; opex 1.5 % = 900 EUR/a; savings 6,000 EUR/a;
    # 25 a at 4 %, lifetime = horizon -> no replacement, no residual.
    # annuity = 60,000 * 0.0640120 = 3,840.72 EUR/a; annual cost = 4,740.72 EUR/a
    # NPV = -60,000 + (6,000 - 900) * 15.622080 = -60,000 + 79,672.61 = 19,672.61 EUR
    # simple payback = 60,000 / 5,100 = 11.7647 a
    # discounted: cumulative PV factor after n years (1 - 1.04^-n)/0.04:
    #   n=15: 11.118387 -> 56,703.77; n=16: 11.652296 -> 59,426.71; n=17: 12.165669 -> 62,044.91
    #   -> 16 + (60,000 - 59,426.71) / (62,044.91 - 59,426.71) = 16 + 573.29/2,618.20 = 16.219 a
    items = InvestmentItems(pv_kwp=(50,))
    res = evaluate(items, 6000.0, EconomicAssumptions())
    assert res["capex_eur"] == pytest.approx(60_000, abs=1e-6)
    assert res["annuity_eur_per_year"] == pytest.approx(3840.72, abs=0.01)
    assert res["annual_cost_eur_per_year"] == pytest.approx(4740.72, abs=0.01)
    assert res["npv_eur"] == pytest.approx(19_672.61, abs=0.05)
    assert res["payback_simple_years"] == pytest.approx(11.7647, abs=1e-4)
    assert res["payback_discounted_years"] == pytest.approx(16.219, abs=1e-3)
    assert res["replacements"] == []
    assert res["residual_value_eur"] == 0.0
    # IRR: the NPV at the IRR is zero (checked with the annuity identity, not with npv()):
    # 60,000 * a(i, 25) = 5,100  <=>  a(i, 25) = 0.085
    i = res["irr_frac"]
    assert i is not None
    q = (1 + i) ** 25
    assert i * q / (q - 1) == pytest.approx(0.085, rel=1e-9)


def test_savings_escalation() -> None:
    # 1000 EUR investment, 100 EUR savings rising 10 %/a, 0 % rate, 3-year horizon, PV only
    # 1000 EUR = 1 kWp at 1000 EUR/kWp without opex: flows -1000, 100, 110, 121 -> NPV = -669
    a = EconomicAssumptions(
        pv_capex_small_eur_per_kwp=1000,
        pv_opex_frac_per_year=0,
        pv_lifetime_years=3,
        discount_rate_frac=0,
        savings_escalation_frac_per_year=0.10,
        horizon_years=3,
    )
    res = evaluate(InvestmentItems(pv_kwp=(1,)), 100.0, a)
    assert res["cash_flows_eur"] == pytest.approx([-1000, 100, 110, 121], abs=1e-9)
    assert res["npv_eur"] == pytest.approx(-669.0, abs=1e-9)
    # a yearly savings list instead of a number
    res2 = evaluate(InvestmentItems(pv_kwp=(1,)), [100.0, 110.0, 121.0], a)
    assert res2["cash_flows_eur"] == pytest.approx(res["cash_flows_eur"], abs=1e-9)


def test_investment_items_from_district() -> None:
    data: dict[str, Any] = {
        "site": {"name": "T", "latitude": 50.88, "longitude": 12.08},
        "grid": {"feeders": [{"id": "F1"}]},
        "buildings": [
            {
                "id": "B1",
                "kind": "school",
                "annual_kwh": 8e4,
                "profile": "G1",
                "feeder": "F1",
                "distance_m": 10,
            }
        ],
        "pv": [
            {"id": "PV1", "building": "B1", "kwp": 99.5},
            {"id": "PV2", "building": "B1", "kwp": 7.0},
        ],
        "batteries": [{"id": "S1", "at": "substation", "capacity_kwh": 400, "power_kw": 200}],
        "lighting": [
            {
                "id": "L1",
                "road": "A",
                "design_class": "M3",
                "luminaires": 24,
                "nominal_w": 95,
                "feeder": "F1",
            },
            {
                "id": "L2",
                "road": "B",
                "design_class": "P4",
                "luminaires": 6,
                "nominal_w": 30,
                "feeder": "F1",
            },
        ],
    }
    items = investment_items_from_district(district_from_dict(data))
    assert items == InvestmentItems(
        pv_kwp=(99.5, 7.0), battery_kwh=(400.0,), battery_kw=(200.0,), luminaires=30
    )


# -- cooperative view ----------------------------------------------------------------------
def test_split_by_members_sums_back_and_scales_with_share() -> None:
    # 300,000 EUR project, 30,000 EUR/a savings, 3,000 EUR/a opex; shares in EUR
    # A 150,000 (50 %), B 100,000 (1/3), C 50,000 (1/6): B has twice C's share.
    shares = {"A": 150_000.0, "B": 100_000.0, "C": 50_000.0}
    rows = split_by_members(300_000, 30_000, shares, EconomicAssumptions(), annual_opex_eur=3_000)
    by = {r["member"]: r for r in rows}
    assert [r["member"] for r in rows] == ["A", "B", "C"]
    assert math.fsum(r["investment_eur"] for r in rows) == pytest.approx(300_000, rel=1e-12)
    assert math.fsum(r["annual_savings_eur"] for r in rows) == pytest.approx(30_000, rel=1e-12)
    assert by["B"]["annual_savings_eur"] == pytest.approx(2 * by["C"]["annual_savings_eur"])
    assert by["B"]["investment_eur"] == pytest.approx(100_000, rel=1e-12)
    assert by["A"]["share_frac"] == pytest.approx(0.5, rel=1e-12)
    # project NPV = -300,000 + (30,000 - 3,000) * 15.622080 = 121,796.16 EUR; member C gets 1/6
    assert math.fsum(r["npv_eur"] for r in rows) == pytest.approx(121_796.16, abs=0.05)
    assert by["C"]["npv_eur"] == pytest.approx(121_796.16 / 6, abs=0.01)
    # every member has the project's payback: 300,000 / 27,000 = 11.111 a
    for r in rows:
        assert r["payback_simple_years"] == pytest.approx(11.1111, abs=1e-4)
        assert r["payback_discounted_years"] is not None


def test_split_by_members_accepts_fractions_and_reports_never() -> None:
    # fractions 0.25 + 0.75; savings of 1,000 EUR/a never repay 100,000 EUR in 25 a
    rows = split_by_members(100_000, 1_000, {"x": 0.25, "y": 0.75})
    assert rows[0]["investment_eur"] == pytest.approx(25_000, rel=1e-12)
    assert rows[1]["annual_savings_eur"] == pytest.approx(750, rel=1e-12)
    assert rows[0]["payback_simple_years"] is None
    assert rows[0]["payback_discounted_years"] is None


# -- invalid input -------------------------------------------------------------------------
def test_shares_not_adding_up_name_the_field() -> None:
    with pytest.raises(InputDataError, match=r"member_shares: the shares add up to 0\.9"):
        split_by_members(100_000, 5_000, {"a": 0.5, "b": 0.4})
    with pytest.raises(InputDataError, match=r"member_shares.*total_investment_eur = 100000"):
        split_by_members(100_000, 5_000, {"a": 50_000, "b": 40_000})
    with pytest.raises(InputDataError, match=r"member_shares\['b'\]: -0\.5 is not allowed"):
        split_by_members(100_000, 5_000, {"a": 1.5, "b": -0.5})
    with pytest.raises(InputDataError, match="member_shares: empty"):
        split_by_members(100_000, 5_000, {})


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: annuity_factor(-1.5, 10), "rate: -1.5 is not allowed; it must be > -1"),
        (lambda: annuity_factor(-1.0, 10), "rate: -1.0 is not allowed"),
        (lambda: annuity_factor(0.04, 0), "years: 0 is not allowed; it must be > 0"),
        (lambda: npv(-2, [1, 2]), "rate: -2"),
        (lambda: npv(0.05, []), "cash_flows: empty"),
        (lambda: npv(0.05, [1.0, float("nan")]), r"cash_flows\[1\]: nan"),
        (lambda: payback_years(-5, 10), "investment_eur: -5"),
        (lambda: payback_years(5, [1, 2], horizon_years=3), "horizon_years"),
        (lambda: lcoe(1000, 15, 0, 0.04, 25), "energy_kwh_per_year: 0"),
        (lambda: lcoe(1000, 15, 950, 0.04, 2.5), "years: 2.5 is not allowed; it must be a whole"),
        (lambda: EconomicAssumptions(discount_rate_frac=-1.2), "discount_rate_frac: -1.2"),
        (lambda: EconomicAssumptions(pv_capex_small_eur_per_kwp=-1), "pv_capex_small_eur_per_kwp"),
        (lambda: EconomicAssumptions(battery_lifetime_years=12.5), "battery_lifetime_years: 12.5"),
        (lambda: EconomicAssumptions(horizon_years="25"), "horizon_years: '25' is not allowed"),
        (lambda: EconomicAssumptions(pv_small_max_kwp=200), "pv_small_max_kwp: 200"),
        (lambda: InvestmentItems(pv_kwp=(10, -3)), r"pv_kwp\[1\]: -3 is not allowed"),
        (lambda: InvestmentItems(battery_kwh=(10, 20), battery_kw=(5,)), "battery_kw: 1 values"),
        (lambda: InvestmentItems(luminaires=-1), "luminaires: -1"),
        (
            lambda: evaluate(InvestmentItems(pv_kwp=(5,)), [1.0, 2.0]),
            "annual_savings_eur: 2 yearly values given",
        ),
        (lambda: split_by_members(-1, 10, {"a": 1.0}), "total_investment_eur: -1"),
    ],
)
def test_invalid_inputs_raise_input_data_error_naming_the_field(call: Any, field: str) -> None:
    with pytest.raises(InputDataError, match=field):
        call()


def test_replace_rechecks_assumptions() -> None:
    a = EconomicAssumptions()
    with pytest.raises(InputDataError, match="pv_opex_frac_per_year"):
        dataclasses.replace(a, pv_opex_frac_per_year=0.9)
    # whole-number floats are accepted and stored as int (used as year counts)
    b = dataclasses.replace(a, battery_lifetime_years=12.0)
    assert b.battery_lifetime_years == 12
    assert isinstance(b.battery_lifetime_years, int)
