"""Tests of the PVGIS TMY (JSON, CSV) and EPW readers: labelling, round trips, damaged files."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from energy.errors import InputDataError
from energy.models.weather import read_epw, read_pvgis_tmy, read_weather
from tests.energy.models.weather.conftest import write_pvgis_csv


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


def test_pvgis_csv_round_trip(pvgis_json: Path, tmp_path: Path) -> None:
    frame = read_pvgis_tmy(pvgis_json)[0]
    path = tmp_path / "tmy.csv"
    write_pvgis_csv(_pvgis_records(frame), path, offset=None)  # no offset: values as given
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
    write_pvgis_csv(records, path, offset="0.1761")
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
    write_pvgis_csv(records, full, offset="0.1761")
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
