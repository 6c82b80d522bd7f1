"""Fixtures and format writers shared by the tests of energy.models.weather.

Round trips use tiny writers that follow each format's own specification (cited at
each writer); where pvlib has a reader for the same format, the written file is also
read with pvlib as an independent check of the writer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from energy.district import Site
from energy.models.weather import DEFAULT_TRY_FILE, read_try

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


def cos_zenith_mid(index: pd.DatetimeIndex, lat: float, lon: float, alt: float) -> np.ndarray:
    """cos(zenith) at the interval midpoints, straight from pvlib."""
    sp = pvlib.solarposition.get_solarposition(index + HOUR / 2, lat, lon, altitude=alt)
    return np.cos(np.radians(sp["zenith"].to_numpy()))


def raw_try_line(month: int, day: int, hour: int) -> list[str]:
    """The fields of one data line of the shipped TRY file, found by plain text search."""
    for line in DEFAULT_TRY_FILE.read_text(encoding="utf-8").splitlines():
        f = line.split()
        if len(f) == 17 and f[2:5] == [str(month), str(day), str(hour)]:
            return f
    raise AssertionError("line not found")


def write_pvgis_csv(records: list[dict[str, object]], path: Path, offset: str | None) -> None:
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


def open_meteo_doc(
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
    cz = np.clip(cos_zenith_mid(frame.index, lat, lon, 0.0), 0, None)
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
