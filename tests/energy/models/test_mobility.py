"""EV charging sessions: reproducible, faithful to the fleet description, physically capped.

Statistical tolerances come from the sampling error of N independent draws: a
share p estimated from N draws has the binomial standard error sqrt(p (1-p) / N),
a mean the standard error sd / sqrt(N); tests allow 4 standard errors. The
draws are seeded, so each test is deterministic (never flaky); the tolerance
says how far an honest sampler may stray, and the seed is not tuned to pass.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import pytest

from energy.district import District, district_from_dict
from energy.district_flex import Fleet
from energy.models.mobility import (
    charger_groups,
    ev_sessions,
    group_arrays,
    inverse_cdf,
    session_steps,
    sessions_summary,
)
from energy.timeindex import make_index, year_index

TZ = "Europe/Berlin"
CARS = 200


def district(fleet: dict[str, Any] | None = None, kw: float = 22.0, **chargers: Any) -> District:
    """One car park of CARS points (no dwellings: one car per point) and a district fleet."""
    data: dict[str, Any] = {
        "site": {"name": "T", "latitude": 50.88, "longitude": 12.08},
        "grid": {"feeders": [{"id": "F1"}]},
        "buildings": [
            {
                "id": "P1",
                "kind": "other",
                "annual_kwh": 1000,
                "profile": "G0",
                "feeder": "F1",
                "distance_m": 10,
                "ev_chargers": {
                    "count": CARS,
                    "kw_per_point": kw,
                    "controllable_14a": True,
                    **chargers,
                },
            }
        ],
    }
    if fleet is not None:
        data["fleet"] = fleet
    return district_from_dict(data)


@pytest.fixture(scope="module")
def year_sessions() -> pd.DataFrame:
    """A year of sessions, battery and charger never binding (22 kW, 250 kWh, 15 kWh/100 km)."""
    d = district({"usable_battery_kwh": 250, "consumption_kwh_per_100km": 15})
    return ev_sessions(d, year_index(2025, "1h", TZ))


def arriving_in_2025(sessions: pd.DataFrame) -> pd.DataFrame:
    index = year_index(2025, "1h", TZ)
    arr = pd.DatetimeIndex(sessions.arrival)
    return sessions[(arr >= index[0]) & (arr < index[-1] + pd.Timedelta(hours=1))]


def test_sessions_are_reproducible_and_depend_on_the_seed() -> None:
    index = make_index("2025-03-01", 14, "1h", TZ)
    first = ev_sessions(district(), index)
    assert len(first) > 0
    pd.testing.assert_frame_equal(first, ev_sessions(district(), index))
    other = ev_sessions(district({"seed": 1}), index)
    assert not first.arrival.equals(other.arrival)


def test_a_weeks_sessions_do_not_depend_on_the_horizon(year_sessions: pd.DataFrame) -> None:
    d = district({"usable_battery_kwh": 250, "consumption_kwh_per_100km": 15})
    week = make_index("2025-06-02", 7, "1h", TZ)
    mine = ev_sessions(d, week)
    inside = (mine.arrival >= week[0]) & (mine.departure <= week[-1])
    in_year = year_sessions.merge(mine[inside], how="inner")
    assert inside.sum() > 100 and len(in_year) == inside.sum()


def test_annual_km_and_kwh_match_the_fleet(year_sessions: pd.DataFrame) -> None:
    fleet = Fleet(usable_battery_kwh=250, consumption_kwh_per_100km=15)
    edges, shares = np.array(fleet.daily_km_bins_km), np.array(fleet.daily_km_shares)
    a, b = edges[:-1], edges[1:]
    mean_km = float(np.sum(shares * (a + b) / 2))  # 61.725 km on a day of use
    mean_km2 = float(np.sum(shares * (a * a + a * b + b * b) / 3))  # E[K^2], uniform bins
    p = fleet.use_frac_per_day
    var_day = p * mean_km2 - (p * mean_km) ** 2  # X = used x km per car-day
    days = 365
    expected = days * p * mean_km  # 13,518 km per car in 2025
    se = np.sqrt(days * var_day / CARS)  # of the mean over CARS cars
    arriving = arriving_in_2025(year_sessions)
    km_per_car = arriving.km.sum() / CARS
    assert abs(km_per_car - expected) < 4 * se, (km_per_car, expected, se)
    assert 0.005 * expected < 4 * se < 0.03 * expected  # the tolerance is ~1 %, not loose
    # nothing binds here, so the energy is km x 15 kWh/100 km, also per car and year
    assert arriving.e_capped_kwh.sum() == 0.0
    kwh_per_car = arriving.e_kwh.sum() / CARS
    assert abs(kwh_per_car - 0.15 * expected) < 4 * 0.15 * se
    # one session per day of use
    per_day = len(arriving) / (CARS * days)
    assert abs(per_day - p) < 4 * np.sqrt(p * (1 - p) / (CARS * days))


@pytest.mark.parametrize("which", ["arrival", "departure"])
def test_local_hours_follow_their_input_histograms(year_sessions: pd.DataFrame, which: str) -> None:
    fleet = Fleet()
    shares = np.array(getattr(fleet, f"{which}_hour_shares"))
    arriving = arriving_in_2025(year_sessions)
    local = pd.DatetimeIndex(arriving[which]).tz_convert(TZ)
    hours = local.hour + local.minute / 60 + local.second / 3600
    n = len(hours)
    observed = np.bincount(local.hour, minlength=24) / n
    tolerance = 4 * np.sqrt(shares * (1 - shares) / n) + 1e-12
    assert (np.abs(observed - shares) <= tolerance).all(), observed - shares
    # mean and its standard error from the histogram (uniform within each hour)
    mids = np.arange(24) + 0.5
    mean = float(np.sum(shares * mids))
    sd = float(np.sqrt(np.sum(shares * (mids**2 + 1 / 12)) - mean**2))
    assert abs(float(np.mean(hours)) - mean) < 4 * sd / np.sqrt(n)


def test_every_session_is_capped_by_power_window_and_battery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # 3.7 kW and 40 kWh usable: long days (up to 400 km x 0.19 kWh/km = 76 kWh) bind.
    d = district({"usable_battery_kwh": 40}, kw=3.7)
    index = year_index(2025, "1h", TZ)
    with caplog.at_level(logging.INFO, logger="energy.models.mobility"):
        sessions = ev_sessions(d, index)
    window_h = (sessions.departure - sessions.arrival) / pd.Timedelta(hours=1)
    assert (sessions.e_kwh <= 3.7 * window_h + 1e-9).all()
    assert (sessions.e_kwh <= 40.0 + 1e-9).all()
    expected = np.minimum(np.minimum(sessions.e_need_kwh, 3.7 * window_h), 40.0)
    assert sessions.e_kwh.to_numpy() == pytest.approx(expected.to_numpy())
    assert sessions.e_capped_kwh.to_numpy() == pytest.approx(
        (sessions.e_need_kwh - sessions.e_kwh).to_numpy()
    )
    assert (sessions.e_capped_kwh > 0).sum() > 50
    assert "sessions capped" in caplog.text
    steps = session_steps(sessions, index)
    summary = sessions_summary(sessions, steps, charger_groups(d), index)
    assert summary.loc["total", "capped_sessions"] > 50
    assert summary.loc["total", "e_capped_kwh"] > 0


def test_cars_follow_dwellings_and_points() -> None:
    d = district_from_dict(
        {
            "site": {"name": "T", "latitude": 50.88, "longitude": 12.08},
            "grid": {"feeders": [{"id": "F1"}]},
            "fleet": {"cars_per_dwelling": 1.04, "ev_share_frac": 0.5},
            "buildings": [
                {"id": "A", "kind": "multi_family", "households": 30, "annual_kwh": 1,
                 "profile": "H0", "feeder": "F1", "distance_m": 1,
                 "ev_chargers": {"count": 20, "kw_per_point": 11, "controllable_14a": True}},
                {"id": "B", "kind": "multi_family", "households": 30, "annual_kwh": 1,
                 "profile": "H0", "feeder": "F1", "distance_m": 1,
                 "ev_chargers": {"count": 10, "kw_per_point": 3.7}},
                {"id": "C", "kind": "multi_family", "households": 30, "annual_kwh": 1,
                 "profile": "H0", "feeder": "F1", "distance_m": 1,
                 "ev_chargers": {"count": 10, "kw_per_point": 3.7, "cars": 4},
                 "fleet": {"use_frac_per_day": 0.9}},
            ],
        }
    )  # fmt: skip
    groups = {g.id: g for g in charger_groups(d)}
    assert groups["A"].cars == 16  # round(30 x 1.04 x 0.5) = round(15.6)
    assert groups["B"].cars == 10  # 15.6 cars but only 10 points
    assert groups["C"].cars == 4 and groups["C"].fleet.use_frac_per_day == 0.9


def test_session_steps_by_hand() -> None:
    # plugged 17:30 -> 06:15 next day (UTC), 11 kW, 20 kWh, on an hourly index from 00:00 UTC
    index = pd.date_range("2025-01-10", periods=48, freq="h", tz="UTC")
    sessions = pd.DataFrame(
        {
            "group": ["G"],
            "car": [0],
            "arrival": [pd.Timestamp("2025-01-10 17:30", tz="UTC")],
            "departure": [pd.Timestamp("2025-01-11 06:15", tz="UTC")],
            "km": [100.0],
            "e_need_kwh": [20.0],
            "e_kwh": [20.0],
            "e_capped_kwh": [0.0],
            "p_max_kw": [11.0],
        }
    )
    steps = session_steps(sessions, index)
    assert (steps.first_step[0], steps.last_step[0]) == (17, 30)
    assert steps.plugged_h.sum() == pytest.approx(12.75)
    arrays = group_arrays(sessions, steps, index, ["G"])
    assert arrays.p_max_kw.G.iloc[17] == pytest.approx(5.5)  # half an hour of 11 kW
    assert arrays.p_max_kw.G.iloc[18] == pytest.approx(11.0)
    assert arrays.p_max_kw.G.iloc[30] == pytest.approx(2.75)  # a quarter hour
    assert arrays.e_arrive_kwh.G.iloc[17] == 20.0 and arrays.e_depart_kwh.G.iloc[30] == 20.0
    # cut by a horizon ending at 00:00: 6.5 of 12.75 h inside, energy pro-rated
    cut = session_steps(sessions, index[:24])
    assert cut.e_kwh[0] == pytest.approx(20.0 * 6.5 / 12.75)
    assert cut.last_step[0] == 23


def test_group_arrays_conserve_energy_and_resolution(year_sessions: pd.DataFrame) -> None:
    hourly = make_index("2025-01-01", 31, "1h", TZ)
    quarter = make_index("2025-01-01", 31, "15min", TZ)
    sessions = ev_sessions(district(), hourly)
    h_steps, q_steps = session_steps(sessions, hourly), session_steps(sessions, quarter)
    h, q = (
        group_arrays(sessions, h_steps, hourly, ["P1"]),
        group_arrays(sessions, q_steps, quarter, ["P1"]),
    )
    # the quarter-hour availability averages to the hourly one; energies agree
    assert q.p_max_kw.P1.resample("h").mean().to_numpy() == pytest.approx(h.p_max_kw.P1.to_numpy())
    assert q_steps.e_kwh == pytest.approx(h_steps.e_kwh)
    total = h_steps.e_kwh.sum()
    assert h.e_arrive_kwh.P1.sum() == pytest.approx(total)
    assert h.e_depart_kwh.P1.sum() == pytest.approx(total)
    assert (h.e_depart_kwh.P1.cumsum() <= h.e_arrive_kwh.P1.cumsum() + 1e-9).all()
    # each session can be served: its energy <= its power x plugged time in the horizon
    plugged = np.bincount(h_steps.session, weights=h_steps.plugged_h, minlength=len(sessions))
    assert (h_steps.e_kwh <= h_steps.p_max_kw * plugged + 1e-9).all()
    # availability never exceeds the points' total power
    assert h.p_max_kw.P1.max() <= CARS * 22.0 + 1e-9


def test_inverse_cdf_skips_empty_bins() -> None:
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    shares = np.array([0.5, 0.0, 0.5])
    values = inverse_cdf(edges, shares, np.array([0.0, 0.25, 0.5, 0.75, 0.999]))
    assert values == pytest.approx([0.0, 0.5, 2.0, 2.5, 2.998])
