"""Representative days: k-medoids by hand and by brute force, DST days, and Gera's year.

The Gera test is issue 10's "Must show": the whole-year reference and 12 typical
days give annual savings, NPV and payback, and the whole year lies within the
ranges the typical days report from their measured error.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest

from energy.analysis.compare import compare
from energy.district import GERA_DISTRICT_FILE, load_district
from energy.errors import InputDataError
from energy.scenario import ScenarioOptions, run_scenario, scenario_inputs
from energy.studies.representative import (
    daily_profiles,
    k_medoids,
    run_representative,
    weighted_kpis,
)


def test_k_medoids_by_hand() -> None:
    # two groups on a line: 0, 1, 2 and 10, 11, 12; their medians 1 and 11 are the medoids
    points = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]])
    medoids, labels = k_medoids(points, 2)
    assert medoids.tolist() == [1, 4]
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]
    # one medoid: 2 and 10 both have the least total distance (30); the lower index wins
    assert k_medoids(points, 1)[0].tolist() == [2]
    with pytest.raises(InputDataError, match="typical_days: 7 is not allowed"):
        k_medoids(points, 7)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_k_medoids_matches_brute_force(seed: int) -> None:
    # second method: try every set of 3 medoids of 10 random points in the plane
    points = np.random.default_rng(seed).normal(size=(10, 2))
    dist = np.sqrt(((points[:, None] - points[None]) ** 2).sum(axis=2))
    best = min(dist[list(c)].min(axis=0).sum() for c in itertools.combinations(range(10), 3))
    medoids, labels = k_medoids(points, 3)
    assert dist[medoids].min(axis=0).sum() == pytest.approx(best, rel=1e-12)
    assert (dist[medoids[labels], np.arange(10)] == dist[medoids].min(axis=0)).all()


def test_weighted_kpis_by_hand() -> None:
    # day A x 2 + day B x 3: import 2 x 10 + 3 x 20 = 80 kWh of 2 x 40 + 3 x 40 = 200 kWh
    # consumed -> self-sufficiency 0.6; the year's peak is B's 8 kW, charged at 5 EUR/kW
    base = {k: 0.0 for k in ("throughput_cost_eur", "co2_kg", "e_lighting_kwh")}
    a = base | {
        "cost_eur": 3.0 + 20.0,
        "energy_cost_eur": 3.0,
        "peak_cost_eur": 20.0,
        "peak_import_kw": 4.0,
        "e_import_kwh": 10.0,
        "e_export_kwh": 5.0,
        "e_consumption_kwh": 40.0,
        "e_generation_kwh": 35.0,
    }
    b = a | {"energy_cost_eur": 6.0, "peak_cost_eur": 40.0, "peak_import_kw": 8.0}
    b |= {"e_import_kwh": 20.0, "e_export_kwh": 0.0, "e_generation_kwh": 20.0}
    year = weighted_kpis([a, b], [2, 3])
    assert year["e_import_kwh"] == pytest.approx(80.0)
    assert year["self_sufficiency"] == pytest.approx(1 - 80 / 200)
    assert year["self_consumption"] == pytest.approx(1 - 10 / 130)
    assert year["peak_import_kw"] == 8.0 and year["peak_cost_eur"] == pytest.approx(40.0)
    assert year["cost_eur"] == pytest.approx(2 * 3.0 + 3 * 6.0 + 40.0)


@pytest.fixture(scope="module")
def gera_year_inputs():  # type: ignore[no-untyped-def]
    gera = load_district(GERA_DISTRICT_FILE)
    return scenario_inputs(gera, ScenarioOptions(start=dt.date(2025, 1, 1), days=365))


def test_daily_profiles_cover_dst_days(gera_year_inputs) -> None:  # type: ignore[no-untyped-def]
    profiles = daily_profiles(gera_year_inputs)
    assert profiles.shape == (365, 3 * 24) and not profiles.isna().any().any()
    # 30 March 2025 has no local 02:00: it repeats 01:00
    spring = profiles.loc[dt.date(2025, 3, 30), "demand_kw"]
    assert spring[2] == spring[1]
    # daily demand energy adds up to the year's (the 25-h day averages its two 02:00 hours)
    demand = gera_year_inputs.demand_bounds_kw()[1].sum()
    assert profiles["demand_kw"].to_numpy().sum() == pytest.approx(demand, rel=2e-4)


@pytest.mark.slow
def test_gera_year_against_typical_days_within_their_reported_error() -> None:
    gera = load_district(GERA_DISTRICT_FILE)
    options = ScenarioOptions(start=dt.date(2025, 1, 1), days=365, ac_check=False)
    full = run_scenario(gera, options)
    year = compare({"year": full}, {"year": gera}).economics["year"]
    typical = run_representative(gera, options, k=12)
    econ = typical.economics(gera)
    assert sum(typical.typical.weights) == 365 and len(typical.typical.dates) == 12
    assert year["annual_basis"] == "full year" and year["extrapolated_from"] is None
    assert econ["annual_basis"].startswith("representative days: 12 k-medoids typical days")
    # the whole year's figures lie in the ranges the typical days report
    low, high = econ["annual_savings_range_eur"]
    assert low <= year["annual_savings_eur"] <= high
    npv_low, npv_high = econ["npv_range_eur"]
    assert npv_low <= year["npv_eur"] <= npv_high
    pb_low, pb_high = econ["payback_simple_range_years"]
    assert pb_low <= year["payback_simple_years"] <= pb_high
    # the estimate is informative, not a blanket: a few per cent, not tens
    assert 0.0 < typical.error_bound_frac < 0.10
    # whole-year baselines are what the error is measured against: same inputs as the run
    assert typical.error["cost_eur:B0"]["full_year"] == pytest.approx(
        full.kpis["B0"]["cost_eur"], rel=1e-9
    )
