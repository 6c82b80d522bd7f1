"""Tests of energy.models.weather: readers, labelling, clear sky, typical-year mapping.

Round trips use tiny writers defined here that follow each format's own
specification (cited at each writer); where pvlib has a reader for the same
format, the written file is also read with pvlib as an independent check of
the writer.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from energy.district import Site
from energy.errors import InputDataError
from energy.models.weather import (
    CANONICAL_COLUMNS,
    DEFAULT_TRY_FILE,
    TRY_MONTHLY_TEMP_AIR_C,
    clear_sky,
    decompose_ghi,
    map_to_year,
    read_epw,
    read_open_meteo,
    read_pvgis_tmy,
    read_try,
    read_weather,
    weather_for_index,
)
from energy.timeindex import make_index, year_index

GERA = Site(name="Gera", latitude=50.88, longitude=12.08, altitude_m=200.0)
TRY_LAT, TRY_LON, TRY_ALT = 50.8233, 12.9181, 297.0  # header of the shipped TRY file
HOUR = pd.Timedelta(hours=1)


@pytest.fixture(scope="module")
def try_frame() -> pd.DataFrame:
    return read_try(DEFAULT_TRY_FILE)[0]


@pytest.fixture(scope="module")
def pvgis_json(data_dir: Path) -> Path:
    return data_dir / "reference" / "tmy_45.000_8.000_2005_2023.json"


@pytest.fixture(scope="module")
def pvgis_epw(data_dir: Path) -> Path:
    return data_dir / "reference" / "tmy_45.000_8.000_2005_2023.epw"


def _cos_zenith_mid(index: pd.DatetimeIndex, lat: float, lon: float, alt: float) -> np.ndarray:
    """cos(zenith) at the interval midpoints, straight from pvlib."""
    sp = pvlib.solarposition.get_solarposition(index + HOUR / 2, lat, lon, altitude=alt)
    return np.cos(np.radians(sp["zenith"].to_numpy()))


def _raw_try_line(month: int, day: int, hour: int) -> list[str]:
    """The fields of one data line of the shipped TRY file, found by plain text search."""
    for line in DEFAULT_TRY_FILE.read_text(encoding="utf-8").splitlines():
        f = line.split()
        if len(f) == 17 and f[2:5] == [str(month), str(day), str(hour)]:
            return f
    raise AssertionError("line not found")


# ---------------------------------------------------------------------------
# DWD TRY
# ---------------------------------------------------------------------------
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
    f = _raw_try_line(6, 21, 13)
    row = try_frame.loc[pd.Timestamp("2015-06-21 11:00", tz="UTC")]
    assert row["temp_air"] == float(f[5]) and row["wind_speed"] == float(f[8])
    assert row["ghi"] == float(f[12]) + float(f[13])  # ghi = B + D
    # DNI: B / cos(zenith) at the interval midpoint 11:30 UTC (sun high, no guard)
    cz = _cos_zenith_mid(pd.DatetimeIndex([row.name]), TRY_LAT, TRY_LON, TRY_ALT)
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
    cz = np.clip(_cos_zenith_mid(try_frame.index, TRY_LAT, TRY_LON, TRY_ALT), 0, None)
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
    cz = np.clip(_cos_zenith_mid(frame.index, TRY_LAT, TRY_LON, TRY_ALT), 0, None)
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
    cz = _cos_zenith_mid(try_frame.index, TRY_LAT, TRY_LON, TRY_ALT)
    free = cz > np.cos(np.radians(87))
    np.testing.assert_allclose(back["dni"][free], try_frame["dni"][free], atol=0.5 / 0.0523)
    np.testing.assert_allclose(back["dhi"][free], try_frame["dhi"][free], atol=1.0)


# ---------------------------------------------------------------------------
# PVGIS (JSON, CSV) and EPW
# ---------------------------------------------------------------------------
def test_pvgis_json_and_epw_fixtures_agree(pvgis_json: Path, pvgis_epw: Path) -> None:
    # The two fixtures are the same PVGIS TMY (45 N, 8 E) in two export formats
    j, jmeta = read_pvgis_tmy(pvgis_json)
    e, emeta = read_epw(pvgis_epw)
    pd.testing.assert_index_equal(j.index, e.index)
    assert j.index[0] == pd.Timestamp("1990-01-01 00:00", tz="UTC") and len(j) == 8760
    for col in ("ghi", "dni", "dhi", "temp_air"):
        np.testing.assert_allclose(e[col], j[col], atol=0.01)
    np.testing.assert_allclose(e["wind_speed"], j["wind_speed"], atol=0.051)  # EPW: 0.1 m/s
    assert (jmeta["latitude"], jmeta["longitude"]) == (emeta["latitude"], emeta["longitude"])
    assert jmeta["irradiance_time_offset_h"] == pytest.approx(0.1761)


def test_pvgis_values_against_raw_json(pvgis_json: Path) -> None:
    # Records read without pandas. PVGIS samples irradiance at hh:00 + 0.1761 h (the file's
    # irradiance_time_offset); the interval [hh, hh+1) gets the value at its centre hh:30,
    # linearly between the samples at hh:10.6 and hh+1:10.6: weight of the later sample
    # (0.5 - 0.1761) = 0.3239. Temperature and wind are taken as given.
    doc = json.loads(pvgis_json.read_text())
    rec, nxt = doc["outputs"]["tmy_hourly"][4000:4002]  # an arbitrary daytime hour
    stamp = pd.Timestamp(datetime.strptime(rec["time(UTC)"], "%Y%m%d:%H%M").replace(year=1990))
    row = read_pvgis_tmy(pvgis_json)[0].loc[stamp.tz_localize("UTC")]
    for col, key in (("ghi", "G(h)"), ("dni", "Gb(n)"), ("dhi", "Gd(h)")):
        assert row[col] == pytest.approx(0.6761 * rec[key] + 0.3239 * nxt[key], rel=1e-9)
    assert rec["G(h)"] != nxt["G(h)"]  # the check above is not trivial
    assert (row["temp_air"], row["wind_speed"]) == (rec["T2m"], rec["WS10m"])


def test_pvgis_centroid_is_solar_noon(pvgis_json: Path) -> None:
    # Solar noon at 8 E: 12 - 8/15 = 11.47 h UTC (equation of time averages out over a
    # year). With the irradiance moved to the interval centres, the GHI-weighted mean
    # interval midpoint must be there; a one-hour labelling error would fail.
    frame = read_pvgis_tmy(pvgis_json)[0]
    centroid = float(((frame.index.hour + 0.5) * frame["ghi"]).sum() / frame["ghi"].sum())
    assert centroid == pytest.approx(12 - 8 / 15, abs=0.25)


def _pvgis_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """PVGIS TMY hourly records; month m taken from year 2000 + m as in a real TMY."""
    return [
        {
            "time(UTC)": f"{2000 + t.month}{t:%m%d:%H%M}",
            "T2m": r.temp_air,
            "RH": 80.0,
            "G(h)": r.ghi,
            "Gb(n)": r.dni,
            "Gd(h)": r.dhi,
            "IR(h)": 300.0,
            "WS10m": r.wind_speed,
            "WD10m": 180.0,
            "SP": 99000.0,
        }
        for t, r in frame.iterrows()
    ]


def test_pvgis_json_round_trip(pvgis_json: Path, tmp_path: Path) -> None:
    frame = read_pvgis_tmy(pvgis_json)[0]
    # PVGIS JSON layout (PVGIS API "tmy", outputformat=json)
    doc = {
        "inputs": {"location": {"latitude": 45.0, "longitude": 8.0, "elevation": 250.0}},
        "outputs": {
            "months_selected": [{"month": m, "year": 2000 + m} for m in range(1, 13)],
            "tmy_hourly": _pvgis_records(frame),
        },
        "meta": {"inputs": {}},
    }
    path = tmp_path / "tmy.json"
    path.write_text(json.dumps(doc))
    back, meta = read_weather(path)  # detected as PVGIS by content
    pd.testing.assert_frame_equal(back, frame)
    assert meta["months_selected"][0] == {"month": 1, "year": 2001}


def _write_pvgis_csv(records: list[dict[str, object]], path: Path, offset: str | None) -> None:
    """PVGIS TMY CSV export layout (PVGIS user manual; parsed by pvlib.iotools)."""
    lines = [
        "Latitude (decimal degrees):\t45.000",
        "Longitude (decimal degrees):\t8.000",
        "Elevation (m):\t250",
        *([f"Irradiance Time Offset (h):\t{offset}"] if offset is not None else []),
        "month,year",
        *[f"{m},{2000 + m}" for m in range(1, 13)],
        "time(UTC),T2m,RH,G(h),Gb(n),Gd(h),IR(h),WS10m,WD10m,SP",
        *[
            ",".join(
                str(r[k])
                for k in (
                    "time(UTC)",
                    "T2m",
                    "RH",
                    "G(h)",
                    "Gb(n)",
                    "Gd(h)",
                    "IR(h)",
                    "WS10m",
                    "WD10m",
                    "SP",
                )
            )
            for r in records
        ],
        "",
        "T2m: 2-m air temperature (degree Celsius)",
        "G(h): Global irradiance on the horizontal plane (W/m2)",
        "PVGIS (c) European Union, 2001-2024",
    ]
    path.write_text("\r\n".join(lines) + "\r\n")


def test_pvgis_csv_round_trip(pvgis_json: Path, tmp_path: Path) -> None:
    frame = read_pvgis_tmy(pvgis_json)[0]
    path = tmp_path / "tmy.csv"
    _write_pvgis_csv(_pvgis_records(frame), path, offset=None)  # no offset: values as given
    back, _ = read_pvgis_tmy(path)
    pd.testing.assert_frame_equal(back, frame)
    # independent check of the writer: pvlib's own PVGIS CSV parser reads the same values
    ref, _ = pvlib.iotools.read_pvgis_tmy(path, pvgis_format="csv")
    np.testing.assert_allclose(ref["ghi"].to_numpy(), frame["ghi"].to_numpy())
    assert ref.index[0] == pd.Timestamp("2001-01-01 00:00", tz="UTC")


def test_pvgis_csv_equals_json_export(pvgis_json: Path, tmp_path: Path) -> None:
    # The JSON fixture's raw records written as PVGIS CSV, with its offset line, must read
    # to the same frame as the JSON itself (same samples, same 0.1761 h offset)
    records = json.loads(pvgis_json.read_text())["outputs"]["tmy_hourly"]
    path = tmp_path / "tmy.csv"
    _write_pvgis_csv(records, path, offset="0.1761")
    back, meta = read_pvgis_tmy(path)
    assert meta["irradiance_time_offset_h"] == pytest.approx(0.1761)
    pd.testing.assert_frame_equal(
        back, read_pvgis_tmy(pvgis_json)[0], check_exact=False, rtol=1e-12, atol=1e-9
    )


def _write_epw(frame: pd.DataFrame, path: Path, tz_h: int) -> None:
    """EPW (EnergyPlus Auxiliary Programs, Weather Converter): local standard time
    UTC+tz_h, hour 1..24 ending the interval. The typical year is rotated so that the
    file holds local 1 Jan 00:00 to 31 Dec 24:00, as a real EPW does."""
    rolled = np.roll(frame.to_numpy(), tz_h, axis=0)
    start_local = frame.index.tz_convert(None)  # local labels 1990-01-01 00:00 ...
    rows = []
    for t, (ghi, dni, dhi, temp, wind) in zip(start_local, rolled, strict=True):
        fields = [
            1990,
            t.month,
            t.day,
            t.hour + 1,
            60,
            "?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9?9?9",
            f"{temp:.2f}",
            0.0,
            80,
            99000,
            9999,
            9999,
            300,
            f"{ghi:.2f}",
            f"{dni:.2f}",
            f"{dhi:.2f}",
            999999,
            999999,
            999999,
            9999,
            180,
            f"{wind:.2f}",
            *([0] * 13),
        ]
        rows.append(",".join(str(v) for v in fields))
    header = [
        f"LOCATION,Test,-,ITA,test,000000,45.0,8.0,{tz_h:.1f},250.0",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,written by the test",
        "COMMENTS 2,",
        "DATA PERIODS,1,1,Data,Monday, 1/ 1,12/31",
    ]
    path.write_text("\n".join(header + rows) + "\n")


def test_epw_round_trip_with_time_zone(pvgis_json: Path, tmp_path: Path) -> None:
    frame = read_pvgis_tmy(pvgis_json)[0]  # 1990 UTC
    path = tmp_path / "x.epw"
    _write_epw(frame, path, tz_h=1)
    back, meta = read_epw(path)
    assert meta["utc_offset_h"] == 1.0
    # local 1990-01-01 00:00 (UTC+1) is 1989-12-31 23:00 UTC; it holds the wrapped last hour
    assert back.index[0] == pd.Timestamp("1989-12-31 23:00", tz="UTC")
    common = frame.index[:-1]
    np.testing.assert_allclose(
        back.loc[common].to_numpy(), frame.loc[common].to_numpy(), atol=0.005
    )
    np.testing.assert_allclose(back.iloc[0].to_numpy(), frame.iloc[-1].to_numpy(), atol=0.005)
    # independent labelling check: pvlib's read_epw labels EPW rows at the interval start
    # in the file's standard time; converted to UTC it must give our index
    ref, _ = pvlib.iotools.read_epw(path)
    pd.testing.assert_index_equal(ref.index.tz_convert("UTC"), back.index, check_names=False)


# ---------------------------------------------------------------------------
# Open-Meteo
# ---------------------------------------------------------------------------
def _open_meteo(
    frame: pd.DataFrame, lat: float, lon: float, tz: str = "GMT", unixtime: bool = False
) -> dict[str, object]:
    """An Open-Meteo /v1/forecast response (https://open-meteo.com/en/docs): stamps at
    the END of each hour, radiation = mean of the preceding hour, direct_radiation on
    the horizontal, wind in km/h (the API default)."""
    end = frame.index + HOUR
    if unixtime:
        times: list[object] = [int(t.timestamp()) for t in end]
    elif tz == "GMT":
        times = [f"{t:%Y-%m-%dT%H:%M}" for t in end]
    else:
        times = [f"{t:%Y-%m-%dT%H:%M}" for t in end.tz_convert(tz)]
    cz = np.clip(_cos_zenith_mid(frame.index, lat, lon, 0.0), 0, None)
    return {
        "latitude": lat,
        "longitude": lon,
        "elevation": 0.0,
        "utc_offset_seconds": 0,
        "timezone": tz,
        "hourly_units": {
            "time": "unixtime" if unixtime else "iso8601",
            "shortwave_radiation": "W/m²",
            "temperature_2m": "°C",
            "wind_speed_10m": "km/h",
        },
        "hourly": {
            "time": times,
            "shortwave_radiation": frame["ghi"].round(6).tolist(),
            "direct_radiation": (frame["dni"] * cz).round(6).tolist(),
            "diffuse_radiation": (frame["ghi"] - frame["dni"] * cz).round(6).tolist(),
            "temperature_2m": frame["temp_air"].tolist(),
            "wind_speed_10m": (frame["wind_speed"] * 3.6).tolist(),
        },
    }


@pytest.mark.parametrize("unixtime", [False, True])
def test_open_meteo_round_trip(try_frame: pd.DataFrame, tmp_path: Path, unixtime: bool) -> None:
    frame = try_frame.loc["2015-06-20":"2015-06-22"]
    path = tmp_path / "forecast.json"
    path.write_text(json.dumps(_open_meteo(frame, TRY_LAT, TRY_LON, unixtime=unixtime)))
    back, _ = read_weather(path)  # detected as Open-Meteo by its "hourly" block
    pd.testing.assert_index_equal(back.index, frame.index)  # stamp T -> label T - 1 h
    np.testing.assert_allclose(back["ghi"], frame["ghi"], atol=1e-5)
    cz = _cos_zenith_mid(frame.index, TRY_LAT, TRY_LON, 0.0)
    free = cz > np.cos(np.radians(87))
    np.testing.assert_allclose(back["dni"][free], frame["dni"][free], rtol=1e-5, atol=1e-3)
    # instantaneous temperature and wind: interval mean = mean of its two end values
    # (the writer put interval k's value at its end stamp), the first takes its end value
    expected = (frame["temp_air"] + frame["temp_air"].shift(1)).div(2).fillna(frame["temp_air"])
    np.testing.assert_allclose(back["temp_air"], expected, atol=1e-9)
    wind = (frame["wind_speed"] + frame["wind_speed"].shift(1)).div(2).fillna(frame["wind_speed"])
    np.testing.assert_allclose(back["wind_speed"], wind, atol=1e-9)  # km/h -> m/s


def test_open_meteo_local_time_across_dst_end(try_frame: pd.DataFrame) -> None:
    # Europe/Berlin local stamps around 26 Oct 2025 (02:00 occurs twice)
    frame = map_to_year(try_frame, 2025).loc["2025-10-25 12:00":"2025-10-27 12:00"]
    doc = _open_meteo(frame, TRY_LAT, TRY_LON, tz="Europe/Berlin")
    times = doc["hourly"]["time"]  # type: ignore[index]
    assert times.count("2025-10-26T02:00") == 2
    back, _ = read_open_meteo(doc)
    pd.testing.assert_index_equal(back.index, frame.index)
    assert (back.index.to_series().diff().dropna() == HOUR).all()


def test_open_meteo_ghi_only_is_decomposed(try_frame: pd.DataFrame) -> None:
    frame = try_frame.loc["2015-06-20":"2015-06-22"]
    doc = _open_meteo(frame, TRY_LAT, TRY_LON)
    hourly = doc["hourly"]
    del hourly["direct_radiation"], hourly["diffuse_radiation"]  # type: ignore[attr-defined]
    back, _ = read_open_meteo(doc)
    np.testing.assert_allclose(back["ghi"], frame["ghi"], atol=1e-5)
    assert (back["dhi"] <= back["ghi"] + 1e-9).all()
    # Erbs split of three June days: diffuse fraction of the TRY's measured split +-0.15
    assert back["dhi"].sum() / back["ghi"].sum() == pytest.approx(
        frame["dhi"].sum() / frame["ghi"].sum(), abs=0.15
    )


# ---------------------------------------------------------------------------
# damaged files and wrong columns
# ---------------------------------------------------------------------------
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


def test_epw_cut_in_half(pvgis_epw: Path, tmp_path: Path) -> None:
    text = pvgis_epw.read_text()
    path = tmp_path / "cut.epw"
    path.write_text(text[: len(text) // 2])
    n_lines = text[: len(text) // 2].count("\n") + 1
    with pytest.raises(InputDataError, match=rf"line {n_lines} is incomplete"):
        read_epw(path)


def test_pvgis_csv_cut_and_json_cut(pvgis_json: Path, tmp_path: Path) -> None:
    records = json.loads(pvgis_json.read_text())["outputs"]["tmy_hourly"]
    full = tmp_path / "full.csv"
    _write_pvgis_csv(records, full, offset="0.1761")
    lines = full.read_text().splitlines()
    cut = tmp_path / "cut.csv"
    cut.write_text("\n".join(lines[:3000]) + "\n")  # whole lines: 2981 hours remain
    with pytest.raises(InputDataError, match=r"ends at line 3000 .* missing the period"):
        read_pvgis_tmy(cut)
    text = pvgis_json.read_text()
    broken = tmp_path / "cut.json"
    broken.write_text(text[: len(text) // 2])
    with pytest.raises(InputDataError, match=r"cut\.json: not valid JSON .* cut off"):
        read_weather(broken)


def test_wrong_columns_are_named(pvgis_json: Path, tmp_path: Path) -> None:
    doc = json.loads(pvgis_json.read_text())
    for rec in doc["outputs"]["tmy_hourly"]:
        del rec["Gb(n)"]
    path = tmp_path / "nodni.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputDataError, match=r"missing column\(s\) Gb\(n\)"):
        read_pvgis_tmy(path)
    with pytest.raises(InputDataError, match=r"temperature_2m"):
        read_open_meteo(
            {
                "latitude": 50,
                "longitude": 12,
                "hourly": {
                    "time": ["2025-01-01T01:00"],
                    "shortwave_radiation": [0],
                    "wind_speed_10m": [1],
                },
            }
        )
    frame = read_pvgis_tmy(pvgis_json)[0].drop(columns="wind_speed")
    with pytest.raises(InputDataError, match=r"missing column\(s\) wind_speed"):
        weather_for_index(make_index("1990-06-01"), GERA, frame)


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="not found"):
        read_weather(tmp_path / "none.epw")
    (tmp_path / "w.txt").write_text("x")
    with pytest.raises(InputDataError, match=r"unknown weather file type '\.txt'"):
        read_weather(tmp_path / "w.txt")


# ---------------------------------------------------------------------------
# clear sky and decomposition
# ---------------------------------------------------------------------------
def test_linke_turbidity_default_matches_gera_values() -> None:
    # data/README.md: Linke turbidity at 50.88 N, 12.08 E, Jan..Dec (pvlib LinkeTurbidities.h5)
    readme = [2.95, 3.11, 3.64, 3.55, 4.29, 4.30, 4.69, 4.75, 4.30, 3.46, 3.05, 2.66]
    mid_month = pd.DatetimeIndex([pd.Timestamp(2025, m, 15, tz="UTC") for m in range(1, 13)])
    tl = pvlib.clearsky.lookup_linke_turbidity(mid_month, 50.88, 12.08, interp_turbidity=False)
    np.testing.assert_allclose(tl, readme, atol=0.011)


def test_clear_sky_noon_21_june_gera() -> None:
    # Hand calculation, Ineichen-Perez (2002) at Gera (h = 200 m) at solar noon, 21 June:
    #   zenith = 50.88 - 23.44 = 27.44 deg, cos z = 0.8875
    #   I0 = 1367 (1 + 0.033 cos(2 pi 172/365)) = 1322 W/m2
    #   AM = 1/cos z = 1.127, absolute AM_a = AM * p/p0 = 1.127 * 0.9765 = 1.100
    #   fh1 = exp(-200/8000) = 0.9753, fh2 = exp(-200/1250) = 0.8521
    #   cg1 = 5.09e-5*200 + 0.868 = 0.8782, cg2 = 3.92e-5*200 + 0.0387 = 0.04654
    #   T_L(June) = 4.30 (data/README.md)
    #   GHI = cg1 I0 cos z exp(-cg2 AM_a (fh1 + fh2 (T_L - 1))) = 849 W/m2
    # Tolerance 2 %: the hand values of I0 and the air mass are rounded.
    index = pd.date_range("2025-06-21 10:00", "2025-06-21 13:00", freq="1min", tz="UTC")
    cs = clear_sky(50.88, 12.08, 200.0, index)
    assert cs["ghi"].max() == pytest.approx(849, rel=0.02)
    noon = cs["ghi"].idxmax()  # solar noon at 12.08 E: 11:12 UTC + 1.7 min (equation of time)
    assert abs((noon - pd.Timestamp("2025-06-21 11:13", tz="UTC")).total_seconds()) < 180
    assert cs["temp_air"].iloc[0] == TRY_MONTHLY_TEMP_AIR_C[5]
    assert (cs["wind_speed"] == 1.0).all()


def test_clear_sky_night_and_parameters() -> None:
    index = make_index("2025-12-21", 1, "15min")
    cs = clear_sky(50.88, 12.08, 200.0, index, linke_turbidity=3.0, temp_air_c=-5.0)
    local = cs.index.tz_convert("Europe/Berlin")
    assert (cs.loc[local.hour < 7, "ghi"] == 0).all()  # sunrise in Gera on 21 Dec ~08:10
    assert (cs["temp_air"] == -5.0).all()
    with pytest.raises(InputDataError, match="12 monthly values"):
        clear_sky(50.88, 12.08, 200.0, index, linke_turbidity=[3.0, 3.0])


def test_decompose_ghi_erbs_hand_value() -> None:
    # Erbs et al. (1982): for kt = 0.5,
    #   kd = 0.9511 - 0.1604*0.5 + 4.388*0.25 - 16.638*0.125 + 12.336*0.0625 = 0.6592
    index = pd.DatetimeIndex([pd.Timestamp("2025-06-21 11:00", tz="UTC")], freq="h")
    sp = pvlib.solarposition.get_solarposition(index + HOUR / 2, 50.88, 12.08, altitude=200)
    i0 = pvlib.irradiance.get_extra_radiation(index + HOUR / 2)
    ghi = 0.5 * i0.iloc[0] * np.cos(np.radians(sp["zenith"].iloc[0]))  # kt = 0.5
    dni, dhi = decompose_ghi(pd.Series([ghi], index=index), index, 50.88, 12.08, 200)
    assert dhi.iloc[0] / ghi == pytest.approx(0.6592, abs=1e-3)
    assert dhi.iloc[0] + dni.iloc[0] * np.cos(np.radians(sp["zenith"].iloc[0])) == (
        pytest.approx(ghi, rel=1e-6)
    )


def test_decompose_ghi_against_pvgis_split(pvgis_json: Path) -> None:
    # Second method: PVGIS's own beam/diffuse split of its TMY; Erbs's annual diffuse
    # sum should agree within 15 % (typical bias of the Erbs model, Gueymard & Ruiz-Arias
    # 2016, DOI 10.1016/j.rser.2015.09.065)
    frame = read_pvgis_tmy(pvgis_json)[0]
    _, dhi = decompose_ghi(frame["ghi"], frame.index, 45.0, 8.0, 250.0)
    assert dhi.sum() == pytest.approx(frame["dhi"].sum(), rel=0.15)


# ---------------------------------------------------------------------------
# typical years, resolution and coverage
# ---------------------------------------------------------------------------
def test_map_to_year_dst_and_labelling(try_frame: pd.DataFrame) -> None:
    mapped = map_to_year(try_frame, 2025)
    pd.testing.assert_index_equal(mapped.index, year_index(2025), check_names=False)
    assert mapped.index.is_unique and (mapped.index.to_series().diff().dropna() == HOUR).all()
    local_days = mapped.index.tz_convert("Europe/Berlin").normalize().value_counts()
    assert local_days[pd.Timestamp("2025-03-30", tz="Europe/Berlin")] == 23
    assert local_days[pd.Timestamp("2025-10-26", tz="Europe/Berlin")] == 25
    # 2025-07-01 10:00 UTC = 11:00 MEZ starts the hour that TRY line "7 1 12" ends
    f = _raw_try_line(7, 1, 12)
    row = mapped.loc[pd.Timestamp("2025-07-01 10:00", tz="UTC")]
    assert row["temp_air"] == float(f[5]) and row["ghi"] == float(f[12]) + float(f[13])
    assert mapped["ghi"].sum() == pytest.approx(try_frame["ghi"].sum())


def test_map_to_year_leap_year_repeats_28_february(try_frame: pd.DataFrame) -> None:
    mapped = map_to_year(try_frame, 2024)
    assert len(mapped) == 8784
    mez = mapped.index + HOUR
    feb28 = mapped[(mez.month == 2) & (mez.day == 28)]
    feb29 = mapped[(mez.month == 2) & (mez.day == 29)]
    np.testing.assert_array_equal(feb29.to_numpy(), feb28.to_numpy())


def test_map_to_year_needs_a_whole_year(try_frame: pd.DataFrame) -> None:
    with pytest.raises(
        InputDataError,
        match=r"no data for 2025-07-01 00:00 \(UTC\+1\) to "
        r"2026-01-01 00:00 \(UTC\+1\)",
    ):
        map_to_year(try_frame.loc[:"2015-06-30 22:00"], 2025)


@pytest.mark.parametrize("resolution", ["15min", "30min"])
def test_subhourly_weather_holds_hourly_means(resolution: str) -> None:
    hourly = weather_for_index(year_index(2025), GERA)
    fine = weather_for_index(year_index(2025, resolution), GERA)
    k = 4 if resolution == "15min" else 2
    assert len(fine) == k * 8760
    # energy conserved: sum x dt_h equal; and each hour's sub-steps equal the hourly mean
    assert fine["ghi"].sum() / k == pytest.approx(hourly["ghi"].sum(), rel=1e-12)
    np.testing.assert_array_equal(
        fine["ghi"].to_numpy().reshape(-1, k)[:, 0], hourly["ghi"].to_numpy()
    )
    np.testing.assert_array_equal(fine["ghi"].to_numpy().reshape(-1, k).std(axis=1), 0.0)


def test_weather_for_index_sources(try_frame: pd.DataFrame, tmp_path: Path) -> None:
    index = make_index("2025-06-01", 2, "15min")
    assert weather_for_index(index, GERA, "clearsky").index.equals(index)
    path = tmp_path / "om.json"
    forecast = try_frame.loc["2015-05-31":"2015-06-03"]  # UTC days
    path.write_text(json.dumps(_open_meteo(forecast, TRY_LAT, TRY_LON)))
    got = weather_for_index(make_index("2015-06-01", 2, "1h"), GERA, path)
    assert len(got) == 48 and np.isfinite(got.to_numpy()).all()
    # a forecast that does not cover the request: the missing period is named
    with pytest.raises(
        InputDataError,
        match=r"no weather for 2015-06-04 00:00 to "
        r"2015-06-06 22:00 UTC",
    ):
        weather_for_index(make_index("2015-06-02", 5, "1h"), GERA, path)
