"""Tests of energy.models.weather.align: typical years onto calendar years, resolution, coverage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from energy.errors import InputDataError
from energy.models.weather import map_to_year, weather_for_index
from energy.timeindex import make_index, year_index
from tests.energy.models.weather.conftest import (
    GERA,
    HOUR,
    TRY_LAT,
    TRY_LON,
    open_meteo_doc,
    raw_try_line,
)


def test_map_to_year_dst_and_labelling(try_frame: pd.DataFrame) -> None:
    mapped = map_to_year(try_frame, 2025)
    pd.testing.assert_index_equal(mapped.index, year_index(2025), check_names=False)
    assert mapped.index.is_unique and (mapped.index.to_series().diff().dropna() == HOUR).all()
    local_days = mapped.index.tz_convert("Europe/Berlin").normalize().value_counts()
    assert local_days[pd.Timestamp("2025-03-30", tz="Europe/Berlin")] == 23
    assert local_days[pd.Timestamp("2025-10-26", tz="Europe/Berlin")] == 25
    # 2025-07-01 10:00 UTC = 11:00 MEZ starts the hour that TRY line "7 1 12" ends
    f = raw_try_line(7, 1, 12)
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
    path.write_text(json.dumps(open_meteo_doc(forecast, TRY_LAT, TRY_LON)))
    got = weather_for_index(make_index("2015-06-01", 2, "1h"), GERA, path)
    assert len(got) == 48 and np.isfinite(got.to_numpy()).all()
    # a forecast that does not cover the request: the missing period is named
    with pytest.raises(
        InputDataError,
        match=r"no weather for 2015-06-04 00:00 to "
        r"2015-06-06 22:00 UTC",
    ):
        weather_for_index(make_index("2015-06-02", 5, "1h"), GERA, path)
