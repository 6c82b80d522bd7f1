"""Tests of energy.models.weather.dwd_try: the DWD TRY reader, its labelling and damaged files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from energy.errors import InputDataError
from energy.models.weather import (
    CANONICAL_COLUMNS,
    DEFAULT_TRY_FILE,
    TRY_MONTHLY_TEMP_AIR_C,
    read_try,
)
from tests.energy.models.weather.conftest import (
    HOUR,
    TRY_ALT,
    TRY_LAT,
    TRY_LON,
    cos_zenith_mid,
    raw_try_line,
)


def test_try_annual_ghi_and_metadata(try_frame: pd.DataFrame) -> None:
    # data/README.md: annual GHI of TRY 2015 region 9 "about 1025 kWh/m2"; tolerance 2 %
    assert len(try_frame) == 8760
    assert list(try_frame.columns) == list(CANONICAL_COLUMNS)
    assert try_frame["ghi"].sum() / 1000 == pytest.approx(1025, rel=0.02)
    _, meta = read_try(DEFAULT_TRY_FILE)
    # header lines 2-4 of the file: Breitengrad 50.8233, Laengengrad 12.9181, 297 m
    assert (meta["latitude"], meta["longitude"], meta["altitude_m"]) == (50.8233, 12.9181, 297)
    assert meta["year"] == 2015 and meta["utc_offset_h"] == 1.0


def test_try_labelling_against_raw_lines(try_frame: pd.DataFrame) -> None:
    # First data line: MM=1 DD=1 HH=1 -> mean of 00:00-01:00 MEZ = 23:00-24:00 UTC on 31 Dec
    assert try_frame.index[0] == pd.Timestamp("2014-12-31 23:00", tz="UTC")
    # Line "6 21 13": hour ending 13:00 MEZ -> interval 12:00-13:00 MEZ -> starts 11:00 UTC
    f = raw_try_line(6, 21, 13)
    row = try_frame.loc[pd.Timestamp("2015-06-21 11:00", tz="UTC")]
    assert row["temp_air"] == float(f[5]) and row["wind_speed"] == float(f[8])
    assert row["ghi"] == float(f[12]) + float(f[13])  # ghi = B + D
    # DNI: B / cos(zenith) at the interval midpoint 11:30 UTC (sun high, no guard)
    cz = cos_zenith_mid(pd.DatetimeIndex([row.name]), TRY_LAT, TRY_LON, TRY_ALT)
    assert row["dni"] == pytest.approx(float(f[12]) / cz[0], rel=1e-6)
    assert row["dhi"] == pytest.approx(float(f[13]), abs=1e-9)


def test_try_daily_centroid_is_solar_noon(try_frame: pd.DataFrame) -> None:
    # Independent physics check of the labelling: weighted by GHI, the mean interval
    # midpoint (UTC) is solar noon at 12.92 E, 12 - 12.92/15 = 11.14 h (the equation of
    # time averages out over a year). A one-hour labelling error would move it by 1 h.
    mid_h = try_frame.index.hour + 0.5
    centroid = float((mid_h * try_frame["ghi"]).sum() / try_frame["ghi"].sum())
    assert centroid == pytest.approx(12 - 12.9181 / 15, abs=0.25)


def test_try_beam_closure(try_frame: pd.DataFrame) -> None:
    # GHI = DHI + DNI cos(zenith) at every step, cos from pvlib at the midpoints
    cz = np.clip(cos_zenith_mid(try_frame.index, TRY_LAT, TRY_LON, TRY_ALT), 0, None)
    closure = try_frame["dhi"] + try_frame["dni"] * cz
    np.testing.assert_allclose(closure, try_frame["ghi"], atol=1e-6)
    assert (try_frame[["ghi", "dni", "dhi"]] >= 0).all().all()
    # the 87-deg guard caps DNI at B / cos 87 deg: no DNI above the solar constant
    assert try_frame["dni"].max() < 1361


def test_try_monthly_temperature_constant_matches_file(try_frame: pd.DataFrame) -> None:
    # TRY_MONTHLY_TEMP_AIR_C is documented as the file's monthly means (1 decimal)
    mez = try_frame.index + HOUR  # months in the file's clock
    means = try_frame["temp_air"].groupby(mez.month).mean().to_numpy()
    np.testing.assert_allclose(means, TRY_MONTHLY_TEMP_AIR_C, atol=0.051)


def _write_try(frame: pd.DataFrame, path: Path) -> None:
    """Write a canonical frame of nominal year 2015 as a DWD TRY 2015 .dat file.

    Format: DWD "Handbuch Ortsgenaue Testreferenzjahre" (2017): HH 1..24 MEZ
    (UTC+1) at the END of the hour, B = beam on the horizontal, D = diffuse.
    """
    cz = np.clip(cos_zenith_mid(frame.index, TRY_LAT, TRY_LON, TRY_ALT), 0, None)
    lines = [
        "Ort               : Test",
        f"Breitengrad       : {TRY_LAT}",
        f"Längengrad        : {TRY_LON}",
        f"Hoehenlage        : {TRY_ALT:.0f} Meter ueber NN",
        "",
        "     RW      HW MM DD HH     t    p  WR   WG N    x  RF    B    D   A    E IL",
    ]
    for (t, row), c in zip(frame.iterrows(), cz, strict=True):
        end_mez = t.tz_convert(None) + HOUR + HOUR
        day, hh = (end_mez - HOUR, 24) if end_mez.hour == 0 else (end_mez, end_mez.hour)
        beam = round(row["dni"] * c)
        diffuse = round(row["ghi"]) - beam
        lines.append(
            f"4198500 2677500 {day.month:2d} {day.day:2d} {hh:2d} {row['temp_air']:5.1f}  988 "
            f"232 {row['wind_speed']:4.1f} 7  3.7  86 {beam:4d} {diffuse:4d} 288 -315  2"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_try_round_trip(try_frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "try.dat"
    _write_try(try_frame, path)
    back, _ = read_try(path)
    pd.testing.assert_index_equal(back.index, try_frame.index)
    for col in ("ghi", "temp_air", "wind_speed"):
        np.testing.assert_allclose(back[col], try_frame[col], atol=0.051)
    # DNI/DHI are recovered where the beam conversion is not limited (zenith < 87 deg);
    # B and D are written as integers: DNI within 0.5 / cos(z) <= 0.5 / cos 87 W/m2
    cz = cos_zenith_mid(try_frame.index, TRY_LAT, TRY_LON, TRY_ALT)
    free = cz > np.cos(np.radians(87))
    np.testing.assert_allclose(back["dni"][free], try_frame["dni"][free], atol=0.5 / 0.0523)
    np.testing.assert_allclose(back["dhi"][free], try_frame["dhi"][free], atol=1.0)


def test_try_cut_mid_line_names_the_line(tmp_path: Path) -> None:
    text = DEFAULT_TRY_FILE.read_text(encoding="utf-8")
    half = text[: len(text) // 2]  # cut in the middle of a line
    path = tmp_path / "cut.dat"
    path.write_text(half, encoding="utf-8")
    n_lines = half.count("\n") + 1  # the cut line is the last one
    with pytest.raises(InputDataError, match=rf"cut\.dat: line {n_lines} has \d+ values"):
        read_try(path)


def test_try_cut_at_line_end_names_the_missing_period(tmp_path: Path) -> None:
    lines = DEFAULT_TRY_FILE.read_text(encoding="utf-8").splitlines()
    # keep the 33 header lines and data through 2 Jul HH 24 (MEZ)
    keep = next(i for i, line in enumerate(lines) if line.split()[2:5] == ["7", "2", "24"])
    path = tmp_path / "cut.dat"
    path.write_text("\n".join(lines[: keep + 1]) + "\n", encoding="utf-8")
    with pytest.raises(
        InputDataError,
        match=r"missing the period from 2015-07-03 00:00 "
        r"\(UTC\+1\) to 2016-01-01 00:00 \(UTC\+1\)",
    ):
        read_try(path)


def test_try_missing_hours_are_named(tmp_path: Path) -> None:
    lines = DEFAULT_TRY_FILE.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.split()[2:5] == ["3", "5", "7"])
    del lines[first : first + 3]  # hours ending 07, 08, 09 MEZ on 5 March
    path = tmp_path / "gap.dat"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # the missing hours are 06:00-09:00 MEZ
    with pytest.raises(
        InputDataError,
        match=r"hours missing from 2015-03-05 06:00 \(UTC\+1\) "
        r"to 2015-03-05 09:00 \(UTC\+1\) after line",
    ):
        read_try(path)


def test_try_wrong_columns_are_named(tmp_path: Path) -> None:
    text = DEFAULT_TRY_FILE.read_text(encoding="utf-8").replace("    B    D   A", "    X    Y   A")
    path = tmp_path / "cols.dat"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputDataError, match=r"missing column\(s\) B, D"):
        read_try(path)
