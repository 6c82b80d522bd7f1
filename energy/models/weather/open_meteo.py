"""Reader of Open-Meteo hourly forecasts (JSON file or parsed response) into the canonical frame.

Variables (https://open-meteo.com/en/docs) are mapped to canonical names by
:data:`OPEN_METEO_VARIABLE_MAP`; units come from the response's
``hourly_units``. The labelling is stated in :func:`read_open_meteo`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from energy.errors import InputDataError
from energy.models.weather.frame import canonical_frame, check_steps, load_json, read_text
from energy.models.weather.solar import decompose_ghi, solar_position, split_beam

#: Open-Meteo hourly variable -> canonical column.
OPEN_METEO_VARIABLE_MAP: dict[str, str] = {
    "shortwave_radiation": "ghi",
    "direct_radiation": "beam_horizontal",
    "diffuse_radiation": "dhi",
    "temperature_2m": "temp_air",
    "wind_speed_10m": "wind_speed",
}
#: Open-Meteo wind-speed units -> factor to m/s (its default unit is km/h).
_WIND_UNIT_TO_M_PER_S: dict[str, float] = {
    "km/h": 1 / 3.6,
    "m/s": 1.0,
    "mp/h": 0.44704,
    "mph": 0.44704,
    "kn": 0.514444,
}
#: Hourly variables a forecast must have.
_NEEDED = ["shortwave_radiation", "temperature_2m", "wind_speed_10m"]


def _document(path_or_dict: str | Path | dict[str, Any]) -> tuple[Any, str]:
    """Return the parsed response and its source name."""
    if isinstance(path_or_dict, dict):
        return path_or_dict, "Open-Meteo forecast"
    p = Path(path_or_dict)
    return load_json(read_text(p), str(p)), str(p)


def _hourly(doc: Any, source: str) -> dict[str, Any]:
    """Return the ``hourly`` block, checked for the needed variables and equal lengths."""
    hourly = doc.get("hourly") if isinstance(doc, dict) else None
    if not isinstance(hourly, dict) or "time" not in hourly:
        raise InputDataError(f"{source}: no 'hourly' block with 'time'; not an Open-Meteo forecast")
    absent = [k for k in _NEEDED if k not in hourly]
    if absent:
        raise InputDataError(
            f"{source}: hourly variable(s) {', '.join(absent)} missing; "
            f"needed: {', '.join(_NEEDED)} (and direct_radiation, "
            "diffuse_radiation if available)"
        )
    n = len(hourly["time"])
    uneven = [k for k, v in hourly.items() if isinstance(v, list) and len(v) != n]
    if uneven:
        raise InputDataError(
            f"{source}: hourly variable(s) {', '.join(uneven)} have a "
            f"different length than time ({n}); is the file cut off?"
        )
    return hourly


def _interval_starts(doc: dict[str, Any], times: list[Any]) -> pd.DatetimeIndex:
    """Return the UTC interval starts; each stamp (local ISO or Unix seconds) ends its hour."""
    if times and isinstance(times[0], int | float):
        end = pd.DatetimeIndex(pd.to_datetime(times, unit="s", utc=True))
    else:
        naive = pd.DatetimeIndex(pd.to_datetime(times))
        tz = str(doc.get("timezone") or "GMT")
        if tz in ("GMT", "UTC"):
            end = naive.tz_localize("UTC")
        else:
            try:
                end = naive.tz_localize(tz, ambiguous="infer").tz_convert("UTC")
            except Exception:  # unknown zone or DST hours that cannot be inferred
                offset = pd.Timedelta(seconds=float(doc.get("utc_offset_seconds", 0)))
                end = (naive - offset).tz_localize("UTC")
    return end - pd.Timedelta(hours=1)


def _table(
    doc: dict[str, Any], hourly: dict[str, Any], index: pd.DatetimeIndex, source: str
) -> pd.DataFrame:
    """Return the hourly variables under canonical names, in C and m/s, as interval means."""
    units = doc.get("hourly_units", {}) or {}
    wind_unit = str(units.get("wind_speed_10m", "km/h")).replace(" ", "")
    if wind_unit not in _WIND_UNIT_TO_M_PER_S:
        raise InputDataError(
            f"{source}: wind_speed_10m unit {wind_unit!r} is not supported; "
            f"allowed: {', '.join(_WIND_UNIT_TO_M_PER_S)}"
        )
    table = pd.DataFrame(
        {
            k: pd.to_numeric(pd.Series(v, dtype=object), errors="coerce")
            for k, v in hourly.items()
            if k in OPEN_METEO_VARIABLE_MAP
        }
    )
    table.index = index
    data = table.rename(columns=OPEN_METEO_VARIABLE_MAP)
    temp = data["temp_air"]
    if str(units.get("temperature_2m", "°C")).endswith("F"):
        temp = (temp - 32.0) * 5.0 / 9.0
    wind = data["wind_speed"] * _WIND_UNIT_TO_M_PER_S[wind_unit]
    data["temp_air"] = ((temp + temp.shift(1)) / 2).fillna(temp)
    data["wind_speed"] = ((wind + wind.shift(1)) / 2).fillna(wind)
    return data


def read_open_meteo(
    path_or_dict: str | Path | dict[str, Any],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read an Open-Meteo hourly forecast (JSON file or parsed dict).

    Variables: ``shortwave_radiation`` (GHI), ``direct_radiation`` (beam on the
    HORIZONTAL), ``diffuse_radiation`` [W/m2], each "the average of the
    preceding hour"; ``temperature_2m`` and ``wind_speed_10m`` are
    instantaneous at the stamp. Units come from ``hourly_units`` (Open-Meteo's
    default wind unit is km/h; temperature in C or F). Stamps are local times
    of the response's ``timezone`` (ISO strings) or Unix seconds
    (``timeformat=unixtime``).

    Labelling here: a radiation value stamped ``T`` is the mean of
    ``[T - 1 h, T)`` and is labelled ``T - 1 h`` (UTC). Temperature and wind for
    that interval are the means of the two instantaneous values at its ends
    (the first interval takes its end value). ``dni`` comes from
    ``direct_radiation`` at the interval midpoint
    (:func:`~energy.models.weather.solar.split_beam`); if only
    ``shortwave_radiation`` is given, DNI and DHI come from
    :func:`~energy.models.weather.solar.decompose_ghi`.

    Parameters
    ----------
    path_or_dict
        A JSON file of the response, or the response already parsed.

    Returns
    -------
    tuple
        The canonical frame and metadata ``latitude``, ``longitude``,
        ``altitude_m``, ``utc_offset_h`` (0), ``typical_year`` (False), ``source``.
    """
    doc, source = _document(path_or_dict)
    hourly = _hourly(doc, source)
    meta: dict[str, Any] = {
        "latitude": float(doc.get("latitude", math.nan)),
        "longitude": float(doc.get("longitude", math.nan)),
        "altitude_m": float(doc.get("elevation", 0.0) or 0.0),
        "utc_offset_h": 0.0,
        "typical_year": False,
        "source": source,
    }
    if not (math.isfinite(meta["latitude"]) and math.isfinite(meta["longitude"])):
        raise InputDataError(f"{source}: latitude and longitude are required")
    index = _interval_starts(doc, hourly["time"])
    check_steps(index, source, 0.0)
    data = _table(doc, hourly, index, source)
    site = (meta["latitude"], meta["longitude"], meta["altitude_m"])
    if "beam_horizontal" in data and "dhi" in data:
        pos = solar_position(index, *site)
        beam = data["beam_horizontal"].to_numpy()
        ghi, dni, dhi = split_beam(beam, data["dhi"].to_numpy(), pos["zenith"].to_numpy())
        data["ghi"], data["dni"], data["dhi"] = ghi, dni, dhi
    else:
        data["dni"], data["dhi"] = decompose_ghi(data["ghi"].clip(lower=0), index, *site)
    return canonical_frame(data, source, 0.0), meta
