"""Tests of energy.models.weather.sources: reader choice, wrong columns, unknown files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from energy.errors import InputDataError
from energy.models.weather import read_open_meteo, read_pvgis_tmy, read_weather, weather_for_index
from energy.timeindex import make_index
from tests.energy.models.weather.conftest import GERA


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
