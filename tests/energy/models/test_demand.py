"""Tests of energy.models.demand (BDEW load profiles) and the ``energy profile`` command."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
import yaml
from demandlib import bdew
from typer.testing import CliRunner

from energy.district import District, district_from_dict
from energy.errors import InputDataError
from energy.models.demand import (
    PROFILES,
    _elec_slp_frame,
    district_loads_kw,
    holiday_dates,
    profile_kw,
)
from energy.timeindex import make_index, year_index

TZ = "Europe/Berlin"


def _district_data() -> dict:
    return {
        "site": {"name": "Test quarter", "latitude": 50.88, "longitude": 12.08, "altitude_m": 200},
        "grid": {"feeders": [{"id": "F1"}]},
        "buildings": [
            {
                "id": "MFH1",
                "kind": "multi_family",
                "annual_kwh": 21000,
                "profile": "H0",
                "feeder": "F1",
                "distance_m": 40,
            },
            {
                "id": "EFH1",
                "kind": "single_family",
                "annual_kwh": 3500,
                "profile": "H0",
                "feeder": "F1",
                "distance_m": 80,
            },
            {
                "id": "SHOP",
                "kind": "commercial",
                "annual_kwh": 30000,
                "profile": "G4",
                "feeder": "F1",
                "distance_m": 120,
            },
            {
                "id": "NEW",
                "kind": "single_family",
                "annual_kwh": 2500,
                "profile": "H25",
                "feeder": "F1",
                "distance_m": 160,
            },
        ],
    }


@pytest.fixture()
def district() -> District:
    return district_from_dict(_district_data())


def _energy_kwh(p_kw: pd.Series) -> float:
    dt_h = (p_kw.index[1] - p_kw.index[0]) / pd.Timedelta(hours=1)
    return float(p_kw.sum() * dt_h)


# --- annual sums --------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["H0", "G0", "H25", "G25"])
@pytest.mark.parametrize("year", [2025, 2024])  # 2024 is a leap year (8784 h)
@pytest.mark.parametrize("resolution", ["15min", "1h"])
def test_annual_energy_equals_annual_kwh(profile: str, year: int, resolution: str) -> None:
    # Reference: the definition of an SLP scaled to the annual consumption, e.g. a
    # household of 3,500 kWh/a (DESIGN.md); BDEW: energy = sum of quarter-hour values.
    index = year_index(year, resolution, TZ)
    p = profile_kw(profile, 3500.0, index)
    assert len(p) == (8784 if year == 2024 else 8760) * (4 if resolution == "15min" else 1)
    assert not p.isna().any()
    assert (p > 0).all()
    assert _energy_kwh(p) == pytest.approx(3500.0, rel=0.005)


def test_h0_magnitudes_are_those_of_a_household() -> None:
    # BDEW H0 at 1,000 kWh/a peaks at roughly 0.2-0.3 kW (winter evening); the mean is
    # 1000/8760 = 0.114 kW. A 3,500 kWh household: mean 0.40 kW, peak 0.7-1.0 kW.
    p = profile_kw("H0", 3500.0, year_index(2025, "15min", TZ))
    assert p.mean() == pytest.approx(3500 / 8760, rel=0.005)
    assert 0.7 < p.max() < 1.0
    winter_evening = p.tz_convert(TZ).between_time("17:00", "20:00")
    assert p.tz_convert(TZ).idxmax() in winter_evening.index
    assert p.tz_convert(TZ).idxmax().month in (1, 2, 11, 12)


def test_hourly_values_are_means_of_quarter_hours() -> None:
    # Interval means: the 1 h value equals the mean of its four 15-min values.
    q = profile_kw("G0", 10000.0, year_index(2025, "15min", TZ))
    h = profile_kw("G0", 10000.0, year_index(2025, "1h", TZ))
    np.testing.assert_allclose(q.resample("1h").mean().to_numpy(), h.to_numpy(), rtol=1e-9)


def test_several_years_each_year_sums_to_annual_kwh() -> None:
    index = make_index("2024-01-01", 366 + 365, "1h", TZ)
    p = profile_kw("H0", 3500.0, index).tz_convert(TZ)
    for year in (2024, 2025):
        assert float(p[str(year)].sum()) == pytest.approx(3500.0, rel=1e-9)


def test_partial_year_takes_the_days_of_the_annual_profile() -> None:
    year = profile_kw("H0", 3500.0, year_index(2025, "15min", TZ))
    week_index = make_index("2025-02-03", 7, "15min", TZ)
    week = profile_kw("H0", 3500.0, week_index)
    pd.testing.assert_series_equal(week, year.loc[week_index], check_freq=False)
    # A winter week of H0 is above the annual mean: 3,500 kWh / 52.14 weeks = 67 kWh.
    assert 67.0 < _energy_kwh(week) < 90.0


# --- DST ----------------------------------------------------------------------------------


def _naive_demandlib_h0() -> pd.Series:
    """demandlib's own H0 (dynamised) for 2025: 96 naive quarter-hours on every day."""
    slp = bdew.ElecSlp(2025, holidays=list(holiday_dates(2025, "TH")))
    return slp.get_profiles()["h0_dyn"]


def test_dst_days_have_23_and_25_hours_and_the_right_energy() -> None:
    index = year_index(2025, "15min", TZ)
    p = profile_kw("H0", 3500.0, index)
    local = p.tz_convert(TZ)
    spring, autumn = local["2025-03-30"], local["2025-10-26"]
    assert len(spring) == 92 and len(autumn) == 100
    assert not spring.isna().any() and not autumn.isna().any()
    assert not p.index.has_duplicates
    # Second method: demandlib's naive profile ignores DST (every day 24 h). The BDEW
    # rule drops the local hour 02:00-03:00 on 30 March and doubles it on 26 October,
    # so E(30 Mar) = E_naive(day) - E_naive(02-03), E(26 Oct) = E_naive(day) + E_naive(02-03).
    # Scale: the naive year sums to 1 (demandlib normalises to 1, 'h0_dyn' to 1.00012);
    # our year has the same energy up to the two DST hours (< 0.05 % of the year).
    naive = _naive_demandlib_h0()
    scale = 3500.0 / naive.sum()
    for day, sign in (("2025-03-30", -1), ("2025-10-26", +1)):
        whole = naive[day].sum()
        night_hour = naive[f"{day} 02:00" : f"{day} 02:45"].sum()
        expected_kwh = (whole + sign * night_hour) * scale
        assert float(local[day].sum() * 0.25) == pytest.approx(expected_kwh, rel=0.002)
    # the repeated autumn hour repeats the same four values (no double counting of energy
    # elsewhere: the whole year still sums to 3,500 kWh, checked above)
    night = autumn.between_time("02:00", "02:45").to_numpy()
    assert len(night) == 8
    np.testing.assert_allclose(night[:4], night[4:])


def test_dst_days_hourly() -> None:
    p = profile_kw("G0", 5000.0, year_index(2025, "1h", TZ)).tz_convert(TZ)
    assert len(p["2025-03-30"]) == 23
    assert len(p["2025-10-26"]) == 25


# --- holidays -----------------------------------------------------------------------------


def _day_shape(p_local: pd.Series, day: str) -> np.ndarray:
    values = p_local[day].to_numpy()
    return values / values.sum()


def test_thuringian_holidays_are_known() -> None:
    days = {d.isoformat() for d in holiday_dates(2025, "TH")}
    # Thuringia: Reformationstag (31 Oct) and, since 2019, Weltkindertag (20 Sep);
    # Fronleichnam (19 Jun 2025) only in the Eichsfeld, not state-wide.
    assert {"2025-10-31", "2025-09-20", "2025-04-18", "2025-12-25"} <= days
    assert "2025-06-19" not in days
    assert "2025-09-20" not in {d.isoformat() for d in holiday_dates(2025, "SN")}


@pytest.mark.parametrize(
    ("holiday", "sunday", "workday_or_saturday"),
    [
        # Reformationstag, Friday 31 Oct 2025; transition season until 31 Oct
        ("2025-10-31", "2025-10-19", "2025-10-24"),
        # Weltkindertag, Saturday 20 Sep 2025 (TH holiday since 2019); transition season
        ("2025-09-20", "2025-09-21", "2025-09-13"),
    ],
)
@pytest.mark.parametrize("profile", ["H0", "G0"])
def test_holiday_gets_the_sunday_shape(
    profile: str, holiday: str, sunday: str, workday_or_saturday: str
) -> None:
    # BDEW rule: holidays get the Sunday profile. H0 is dynamised, so the daily energy
    # differs by a smooth factor; the normalised 15-min shape is identical.
    p = profile_kw(profile, 3500.0, year_index(2025, "15min", TZ)).tz_convert(TZ)
    h, s = _day_shape(p, holiday), _day_shape(p, sunday)
    other = _day_shape(p, workday_or_saturday)
    # the shape of a Sunday of the same season; small dynamisation differences in-day
    assert np.abs(h - s).max() < 1e-4
    # and clearly not the shape of the ordinary weekday (the test can fail)
    assert np.abs(h - other).max() > 2e-3


def test_christmas_and_new_years_eve_get_the_saturday_shape() -> None:
    # BDEW/VDEW rule (VDEW M-05/2000; grid operators' SLP pages): 24 and 31 December
    # get the Saturday profile unless they fall on a Sunday. 24 Dec 2025 is a Wednesday.
    p = profile_kw("G0", 3500.0, year_index(2025, "15min", TZ)).tz_convert(TZ)
    saturday = _day_shape(p, "2025-12-20")
    np.testing.assert_allclose(_day_shape(p, "2025-12-24"), saturday, atol=1e-12)
    np.testing.assert_allclose(_day_shape(p, "2025-12-31"), saturday, atol=1e-12)
    assert np.abs(_day_shape(p, "2025-12-24") - _day_shape(p, "2025-12-17")).max() > 5e-3
    # a static profile: same season and day type -> same energy
    assert float(p["2025-12-24"].sum()) == pytest.approx(float(p["2025-12-20"].sum()), rel=1e-12)


# --- district and errors ------------------------------------------------------------------


def test_district_loads(district: District) -> None:
    index = year_index(2025, "1h", TZ)
    loads = district_loads_kw(district, index)
    assert list(loads.columns) == ["MFH1", "EFH1", "SHOP", "NEW"]
    for b in district.buildings:
        assert float(loads[b.id].sum()) == pytest.approx(b.annual_kwh, rel=1e-9)
    # same profile, scaled: MFH1 (21,000 kWh) = 6 x EFH1 (3,500 kWh)
    np.testing.assert_allclose(loads["MFH1"].to_numpy(), 6 * loads["EFH1"].to_numpy())
    assert str(loads.index.tz) == "UTC"


def test_unknown_profile_names_the_allowed_list() -> None:
    with pytest.raises(InputDataError, match=r"'X9'.*allowed: H0, G0") as info:
        profile_kw("X9", 1000.0, year_index(2025, "1h", TZ))
    assert all(name in str(info.value) for name in PROFILES)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"annual_kwh": -1.0}, "annual_kwh"),
        ({"state": "XX"}, "state"),
        ({"tz": "Mars/Olympus"}, "timezone"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    args = {"profile": "H0", "annual_kwh": 1000.0, "index": year_index(2025, "1h", TZ)}
    args.update(kwargs)
    with pytest.raises(InputDataError, match=match):
        profile_kw(**args)


def test_bad_index() -> None:
    naive = pd.date_range("2025-01-01", periods=24, freq="1h")
    with pytest.raises(InputDataError, match="tz-naive"):
        profile_kw("H0", 1000.0, naive)
    five_min = pd.date_range("2025-01-01", periods=24, freq="5min", tz="UTC")
    with pytest.raises(InputDataError, match="multiple of 15 min"):
        profile_kw("H0", 1000.0, five_min)


# --- CLI ----------------------------------------------------------------------------------


@pytest.fixture()
def cli() -> typer.Typer:
    from energy.cli.profile import register

    app = typer.Typer()
    register(app)
    return app


def test_cli_profile_json_and_csv(cli: typer.Typer, tmp_path: Path) -> None:
    spec = tmp_path / "district.yaml"
    spec.write_text(yaml.safe_dump(_district_data()), encoding="utf-8")
    out = tmp_path / "load.csv"
    result = CliRunner().invoke(
        cli,
        [
            "profile",
            str(spec),
            "--year",
            "2025",
            "--resolution",
            "15min",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_id = {b["id"]: b for b in data["buildings"]}
    assert by_id["EFH1"]["e_kwh"] == pytest.approx(3500.0, rel=1e-6)
    assert data["total"]["e_kwh"] == pytest.approx(21000 + 3500 + 30000 + 2500, rel=1e-6)
    assert data["total"]["peak_kw"] <= data["total"]["sum_of_peaks_kw"] + 1e-9
    frame = pd.read_csv(out, index_col=0, parse_dates=True)
    assert frame.shape == (35040, 4)
    assert str(frame.index.tz) == "UTC"
    assert float(frame["SHOP"].sum() * 0.25) == pytest.approx(30000.0, rel=1e-5)


def test_cli_profile_table_and_errors(cli: typer.Typer, tmp_path: Path) -> None:
    spec = tmp_path / "district.yaml"
    spec.write_text(yaml.safe_dump(_district_data()), encoding="utf-8")
    ok = CliRunner().invoke(cli, ["profile", str(spec), "--year", "2025"])
    assert ok.exit_code == 0, ok.output
    assert "EFH1" in ok.stdout and "3,500.0" in ok.stdout
    bad = CliRunner().invoke(cli, ["profile", str(spec), "--resolution", "7min"])
    assert bad.exit_code == 1
    assert "resolution" in bad.output and "Traceback" not in bad.output
    data = _district_data()
    data["buildings"][0]["profile"] = "Z7"
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    bad = CliRunner().invoke(cli, ["profile", str(spec)])
    assert bad.exit_code == 1
    assert "buildings[0].profile" in bad.output and "Traceback" not in bad.output


# --- 1999 profiles built from demandlib's table -----------------------------------------


@pytest.mark.parametrize(("year", "state"), [(2024, "TH"), (2025, "BY"), (2027, None)])
def test_1999_profiles_equal_demandlib_elecslp(year: int, state: str | None) -> None:
    # Second method: demandlib's own ElecSlp, from the same table. Our lookup is built
    # without it because ElecSlp sets warnings.simplefilter("error") process-wide (not
    # allowed on the API's threads); the test calls it once, single-threaded, with the
    # filter change kept inside catch_warnings. Same seasons, day types and holidays,
    # same normalisation: equal to the last bit, leap year and no holidays included.
    holidays = holiday_dates(year, state) if state else ()
    with warnings.catch_warnings():
        expected = bdew.ElecSlp(year, holidays=list(holidays)).get_profiles()
    got = _elec_slp_frame(year, holidays)
    pd.testing.assert_frame_equal(
        got[expected.columns], expected, check_exact=True, check_freq=False
    )
