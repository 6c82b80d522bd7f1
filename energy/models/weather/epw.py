"""Reader of EnergyPlus weather files (``.epw``) into the canonical frame.

An EPW file has eight header lines (``LOCATION`` first, ``DATA PERIODS``
last) and one comma-separated line of 35 fields per hour (EnergyPlus
"Auxiliary Programs", Weather Converter, EPW data dictionary). The fields used
are mapped to canonical names by position (:data:`EPW_FIELD_MAP`); the
labelling is stated in :func:`read_epw`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from energy.errors import InputDataError
from energy.models.weather.frame import (
    TMY_NOMINAL_YEAR,
    canonical_frame,
    check_full_year,
    check_steps,
    read_text,
)
from energy.models.weather.pvgis import centre_irradiance

#: EPW field position (0-based) -> canonical column (EnergyPlus Auxiliary Programs,
#: "Weather Converter Program", EPW data dictionary).
EPW_FIELD_MAP: dict[int, str] = {6: "temp_air", 13: "ghi", 14: "dni", 15: "dhi", 21: "wind_speed"}
#: Missing-value codes of the EPW fields above.
EPW_MISSING: dict[str, float] = {
    "temp_air": 99.9,
    "ghi": 9999.0,
    "dni": 9999.0,
    "dhi": 9999.0,
    "wind_speed": 999.0,
}


def _location(lines: list[str], source: str) -> tuple[dict[str, float], int, str | None]:
    """Return the LOCATION site and time zone, the DATA PERIODS line and a PVGIS comment."""
    if not lines or not lines[0].startswith("LOCATION"):
        raise InputDataError(f"{source}: line 1 must start with LOCATION; not an EPW file")
    loc = lines[0].split(",")
    try:
        latitude, longitude, tz_h, altitude = (float(v) for v in loc[6:10])
    except ValueError as exc:
        raise InputDataError(
            f"{source}: line 1: LOCATION needs latitude, longitude, time zone and elevation: {exc}"
        ) from exc
    head = next((i for i, line in enumerate(lines[:20]) if line.startswith("DATA PERIODS")), None)
    if head is None:
        raise InputDataError(f"{source}: header line DATA PERIODS not found; not an EPW file")
    pvgis = next((line for line in lines[:head] if "Irradiance Time Offset" in line), None)
    site = {"latitude": latitude, "longitude": longitude, "tz_h": tz_h, "altitude_m": altitude}
    return site, head, pvgis


def _table(lines: list[str], head: int, source: str) -> tuple[pd.DataFrame, list[int]]:
    """Return the data lines after DATA PERIODS (date fields 0-3, canonical columns)."""
    first = head + 2  # 1-based number of the first data line
    body = "\n".join(lines[head + 1 :]).rstrip()
    try:
        raw = pd.read_csv(
            io.StringIO(body),
            header=None,
            usecols=[0, 1, 2, 3, *EPW_FIELD_MAP],
            skip_blank_lines=False,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputDataError(
            f"{source}: line {first}: an EPW data line needs 35 fields: {exc}"
        ) from exc
    numbers = list(range(first, first + len(raw)))
    short = np.flatnonzero(raw.isna().any(axis=1).to_numpy())
    if len(short):
        i = int(short[0])
        raise InputDataError(
            f"{source}: line {numbers[i]} is incomplete (fields missing); "
            "the file looks cut off or damaged"
        )
    data = raw.rename(columns=EPW_FIELD_MAP)
    for col, code in EPW_MISSING.items():
        bad = np.flatnonzero(data[col].to_numpy() >= code)
        if len(bad):
            raise InputDataError(
                f"{source}: line {numbers[int(bad[0])]}: {col} has the "
                f"missing-value code {code:g}; fill the gap first"
            )
    return data, numbers


def _index(
    raw: pd.DataFrame, numbers: list[int], source: str, offset_h: float
) -> tuple[pd.DatetimeIndex, int, bool]:
    """Return interval starts [UTC] ``date + (hour - 1) h - offset``, year, typical or not."""
    years = raw[0].astype(int)
    typical = years.nunique() > 1
    year = TMY_NOMINAL_YEAR if typical else int(years.iloc[0])
    try:
        local = pd.to_datetime(
            {
                "year": np.full(len(raw), year) if typical else years,
                "month": raw[1].astype(int),
                "day": raw[2].astype(int),
            }
        )
    except ValueError as exc:
        raise InputDataError(f"{source}: invalid date in the data lines: {exc}") from exc
    start = local + pd.to_timedelta(raw[3].astype(int) - 1, unit="h")
    index = pd.DatetimeIndex((start - pd.Timedelta(hours=offset_h)).dt.tz_localize("UTC"))
    check_steps(index, source, offset_h, numbers)
    check_full_year(index, source, offset_h, year, numbers[-1])
    return index, year, typical


def read_epw(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read an EnergyPlus weather file (``.epw``) into the canonical frame.

    EPW rows carry year, month, day and hour 1..24 in local STANDARD time
    (UTC + the ``TZ`` field of the LOCATION line), labelling the END of the
    hour; irradiances are means (energies) over the preceding hour (EnergyPlus
    "Auxiliary Programs", Weather Converter, EPW data dictionary). Labelling
    here: interval start in UTC, ``date + (hour - 1) h - TZ``.

    Exception: EPW files exported by PVGIS (recognised by the
    ``Irradiance Time Offset`` comment) write the rows in UTC although their
    ``TZ`` field is the local zone; the rows are identical to the PVGIS JSON
    export stamped ``hh:00 UTC`` (checked on the shipped
    ``tmy_45.000_8.000_2005_2023`` pair), so they are read as UTC, and their
    irradiance, sampled at the stated offset from the hour-ending label, is
    moved to the interval centres as in
    :func:`~energy.models.weather.pvgis.read_pvgis_tmy`.

    Typical years whose months come from different years are labelled with
    the nominal year :data:`~energy.models.weather.frame.TMY_NOMINAL_YEAR`; a
    real single-year file keeps its year. Fields used: dry bulb temperature,
    GHI, DNI, DHI [Wh/m2 over the hour = mean W/m2], wind speed; a
    missing-value code in any of them is an error.

    Parameters
    ----------
    path
        The ``.epw`` file.

    Returns
    -------
    tuple
        The canonical frame and metadata ``latitude``, ``longitude``,
        ``altitude_m``, ``year``, ``utc_offset_h``, ``typical_year``, ``source``.
    """
    p = Path(path)
    source = str(p)
    lines = read_text(p).splitlines()
    site, head, pvgis = _location(lines, source)
    offset_h = 0.0 if pvgis else site["tz_h"]
    data, numbers = _table(lines, head, source)
    index, year, typical = _index(data, numbers, source, offset_h)
    meta = {
        "latitude": site["latitude"],
        "longitude": site["longitude"],
        "altitude_m": site["altitude_m"],
        "year": year,
        "utc_offset_h": offset_h,
        "typical_year": typical,
        "source": source,
    }
    frame = canonical_frame(data.set_index(index), source, offset_h, numbers)
    if pvgis:
        match = re.search(r":\s*(-?[0-9.]+)", pvgis)
        # the comment's offset counts from the hour-ending label, ours from the start
        if match:
            frame = centre_irradiance(frame, 1.0 + float(match.group(1)))
    return frame, meta
