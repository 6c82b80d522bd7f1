"""Tests of energy.models.weather.open_meteo: stamps, units, DST, decomposition."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from energy.models.weather import map_to_year, read_open_meteo, read_weather
from tests.energy.models.weather.conftest import (
    HOUR,
    TRY_LAT,
    TRY_LON,
    cos_zenith_mid,
    open_meteo_doc,
)


@pytest.mark.parametrize("unixtime", [False, True])
def test_open_meteo_round_trip(try_frame: pd.DataFrame, tmp_path: Path, unixtime: bool) -> None:
    frame = try_frame.loc["2015-06-20":"2015-06-22"]
    path = tmp_path / "forecast.json"
    path.write_text(json.dumps(open_meteo_doc(frame, TRY_LAT, TRY_LON, unixtime=unixtime)))
    back, _ = read_weather(path)  # detected as Open-Meteo by its "hourly" block
    pd.testing.assert_index_equal(back.index, frame.index)  # stamp T -> label T - 1 h
    np.testing.assert_allclose(back["ghi"], frame["ghi"], atol=1e-5)
    cz = cos_zenith_mid(frame.index, TRY_LAT, TRY_LON, 0.0)
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
    doc = open_meteo_doc(frame, TRY_LAT, TRY_LON, tz="Europe/Berlin")
    times = doc["hourly"]["time"]  # type: ignore[index]
    assert times.count("2025-10-26T02:00") == 2
    back, _ = read_open_meteo(doc)
    pd.testing.assert_index_equal(back.index, frame.index)
    assert (back.index.to_series().diff().dropna() == HOUR).all()


def test_open_meteo_ghi_only_is_decomposed(try_frame: pd.DataFrame) -> None:
    frame = try_frame.loc["2015-06-20":"2015-06-22"]
    doc = open_meteo_doc(frame, TRY_LAT, TRY_LON)
    hourly = doc["hourly"]
    del hourly["direct_radiation"], hourly["diffuse_radiation"]  # type: ignore[attr-defined]
    back, _ = read_open_meteo(doc)
    np.testing.assert_allclose(back["ghi"], frame["ghi"], atol=1e-5)
    assert (back["dhi"] <= back["ghi"] + 1e-9).all()
    # Erbs split of three June days: diffuse fraction of the TRY's measured split +-0.15
    assert back["dhi"].sum() / back["ghi"].sum() == pytest.approx(
        frame["dhi"].sum() / frame["ghi"].sum(), abs=0.15
    )
