r"""Weather for PV and lighting: readers for weather files and clear-sky weather.

Every function here returns the same *canonical frame*:

* a tz-aware UTC :class:`pandas.DatetimeIndex` named ``time``, labelled at the
  START of each interval; the values are interval means;
* exactly the columns :data:`CANONICAL_COLUMNS`, as floats:

  ============== ======= =====================================================
  column         unit    meaning
  ============== ======= =====================================================
  ``ghi``        W/m2    global horizontal irradiance
  ``dni``        W/m2    direct normal irradiance
  ``dhi``        W/m2    diffuse horizontal irradiance
  ``temp_air``   C       air temperature at 2 m
  ``wind_speed`` m/s     wind speed at 10 m
  ============== ======= =====================================================

  The names are pvlib's so that frames go straight into pvlib; units are fixed
  by this table.
* ``frame.attrs["utc_offset_h"]``: the fixed UTC offset [h] of the clock the
  file was written in (1 for the DWD TRY's MEZ, 0 for PVGIS); used by
  :func:`map_to_year` to map a typical year by the file's own hour of day.

Vendor column names are mapped to these names at the edge, in the reader
(``*_VARIABLE_MAP``, the pattern of ``pvlib.iotools``); the interval labelling of
each format is stated in its reader's docstring. A damaged file (a line cut
off, hours missing, columns missing) raises :class:`InputDataError` naming the
file and the line or the missing period.

Where a file gives the direct irradiance on the horizontal (DWD TRY,
Open-Meteo), the direct normal irradiance is

.. math:: DNI = B / \cos\theta_z

with the zenith angle :math:`\theta_z` at the interval midpoint; below 3 deg
solar elevation :math:`\cos\theta_z` is held at :math:`\cos 87°` (the
``max_zenith`` guard of pvlib's DIRINT and Erbs models, Maxwell 1987) and the
beam that this limit removes is counted as diffuse, so that
:math:`GHI = DHI + DNI \cos\theta_z` holds at every step.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pvlib

from energy.district import DATA_DIR, Site
from energy.errors import InputDataError
from energy.timeindex import require_utc_index, step_hours, year_index

logger = logging.getLogger(__name__)

#: Columns of the canonical weather frame, in this order (units in the module docstring).
CANONICAL_COLUMNS: tuple[str, ...] = ("ghi", "dni", "dhi", "temp_air", "wind_speed")

#: The shipped DWD test reference year 2015, region 9 (contains Gera).
DEFAULT_TRY_FILE: Path = DATA_DIR / "weather" / "TRY2015_Chemnitz_region09_Jahr.dat"

#: Nominal calendar year given to the DWD TRY 2015 (a TRY has no real year; its
#: months come from 1995-2012). 2015 is not a leap year, as the TRY has no 29 Feb.
TRY_NOMINAL_YEAR = 2015

#: Nominal year given to typical years that mix months of several years (PVGIS
#: TMY, most EPW): the non-leap year 1990, as ``pvlib.iotools`` coerces TMYs.
TMY_NOMINAL_YEAR = 1990

#: Largest zenith angle [deg] at which a horizontal beam is converted to DNI
#: without limit; pvlib's DIRINT and Erbs models use the same 87 deg guard.
MAX_ZENITH_DEG = 87.0

#: Monthly mean air temperature [C], Jan..Dec, of the shipped DWD TRY 2015
#: region 9 (all hours), the default of :func:`clear_sky`. Clear days are warmer
#: by day than these all-hour means, so clear-sky PV is slightly optimistic.
TRY_MONTHLY_TEMP_AIR_C: tuple[float, ...] = (
    0.3,
    1.4,
    4.7,
    9.3,
    13.8,
    17.0,
    18.5,
    18.6,
    14.6,
    10.0,
    5.1,
    1.2,
)

#: Wind speed [m/s] assumed by :func:`clear_sky` (PVWatts' default for missing wind).
DEFAULT_WIND_SPEED = 1.0

#: DWD TRY column -> canonical column (B and D give ghi and dni, see read_try).
TRY_VARIABLE_MAP: dict[str, str] = {
    "t": "temp_air",
    "WG": "wind_speed",
    "B": "beam_horizontal",
    "D": "dhi",
}
#: PVGIS TMY (JSON and CSV) column -> canonical column.
PVGIS_VARIABLE_MAP: dict[str, str] = {
    "G(h)": "ghi",
    "Gb(n)": "dni",
    "Gd(h)": "dhi",
    "T2m": "temp_air",
    "WS10m": "wind_speed",
}
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

#: What :func:`weather_for_index` accepts as a weather source.
WeatherSource: TypeAlias = str | Path | pd.DataFrame | dict[str, Any] | None


# --------------------------------------------------------------------------
# solar geometry shared by the readers and energy.models.pv
# --------------------------------------------------------------------------
def solar_position(
    index: pd.DatetimeIndex, latitude: float, longitude: float, altitude_m: float = 0.0
) -> pd.DataFrame:
    """Return the sun's position at the MIDPOINT of each interval of ``index``.

    Parameters
    ----------
    index
        Start-labelled, regular, tz-aware index (any resolution).
    latitude, longitude
        Site [deg north, deg east].
    altitude_m
        Site altitude [m], for the refraction correction.

    Returns
    -------
    pandas.DataFrame
        On ``index`` (the start labels): ``zenith``, ``apparent_zenith``,
        ``azimuth`` [deg], computed at ``index + dt/2`` with the NREL SPA
        (Reda & Andreas 2004, DOI 10.1016/j.solener.2003.12.003) via
        :func:`pvlib.solarposition.get_solarposition` (``nrel_numpy``).
    """
    utc = require_utc_index(index, "weather index")
    half = pd.Timedelta(hours=step_hours(utc) / 2)
    pos = pvlib.solarposition.get_solarposition(
        utc + half, latitude, longitude, altitude=altitude_m
    )
    out = pos[["zenith", "apparent_zenith", "azimuth"]].copy()
    out.index = utc
    return out


def _split_beam(
    beam_horizontal: np.ndarray, dhi: np.ndarray, zenith_deg: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Return ``(ghi, dni, dhi)`` from the beam on the horizontal and the diffuse.

    :math:`DNI = B / \max(\cos\theta_z, \cos 87°)`, zero with the sun below
    the horizon; the beam this limit removes is added to the diffuse, so that
    :math:`GHI = B + D = DHI + DNI \cos\theta_z` (module docstring).
    """
    ghi = beam_horizontal + dhi
    cos_z = np.cos(np.radians(zenith_deg))
    up = cos_z > 0
    dni = np.where(
        up, beam_horizontal / np.maximum(cos_z, math.cos(math.radians(MAX_ZENITH_DEG))), 0.0
    )
    dhi_out = ghi - dni * np.where(up, cos_z, 0.0)
    return ghi, dni, dhi_out


def decompose_ghi(
    ghi: pd.Series,
    index: pd.DatetimeIndex,
    latitude: float,
    longitude: float,
    altitude_m: float = 0.0,
) -> tuple[pd.Series, pd.Series]:
    r"""Split global horizontal irradiance into DNI and DHI with the Erbs model.

    The diffuse fraction :math:`k_d` is a piecewise polynomial of the clearness
    index :math:`k_t = GHI / (I_0 \cos\theta_z)` (Erbs, Klein & Duffie 1982,
    DOI 10.1016/0038-092X(82)90302-4), e.g. for :math:`0.22 < k_t \le 0.8`:
    :math:`k_d = 0.9511 - 0.1604 k_t + 4.388 k_t^2 - 16.638 k_t^3 + 12.336 k_t^4`;
    then :math:`DHI = k_d GHI` and :math:`DNI = (GHI - DHI)/\cos\theta_z`
    (pvlib.irradiance.erbs, zenith limited to 87 deg).

    Parameters
    ----------
    ghi
        Global horizontal irradiance [W/m2], interval means on ``index``.
    index
        Start-labelled UTC index; the sun's position is taken at the interval midpoints.
    latitude, longitude, altitude_m
        Site [deg north, deg east, m].

    Returns
    -------
    tuple of pandas.Series
        ``(dni, dhi)`` [W/m2] on ``index``.
    """
    pos = solar_position(index, latitude, longitude, altitude_m)
    doy = (pos.index + pd.Timedelta(hours=step_hours(pos.index) / 2)).dayofyear
    out = pvlib.irradiance.erbs(
        np.asarray(ghi, dtype=float), pos["zenith"].to_numpy(), doy.to_numpy()
    )
    return (
        pd.Series(np.asarray(out["dni"]), index=pos.index, name="dni"),
        pd.Series(np.asarray(out["dhi"]), index=pos.index, name="dhi"),
    )


# --------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------
def _fmt(ts: pd.Timestamp, offset_h: float) -> str:
    """Format a UTC timestamp in a file's own clock, e.g. ``2015-07-02 13:00 (UTC+1)``."""
    local = ts.tz_convert(None) + pd.Timedelta(hours=offset_h)
    clock = "UTC" if offset_h == 0 else f"UTC{offset_h:+g}"
    return f"{local:%Y-%m-%d %H:%M} ({clock})"


def _check_steps(
    index: pd.DatetimeIndex, source: str, offset_h: float, lines: Sequence[int] | None = None
) -> None:
    """Raise InputDataError naming duplicated or missing periods of an hourly file."""
    if len(index) < 2:
        raise InputDataError(f"{source}: needs at least two time steps, found {len(index)}")
    diffs = index[1:] - index[:-1]
    step = pd.Timedelta(hours=1)
    bad = np.flatnonzero(diffs != step)
    if len(bad):
        i = int(bad[0])
        where = f" after line {lines[i]}" if lines is not None else f" after record {i + 1}"
        if diffs[i] <= pd.Timedelta(0):
            raise InputDataError(
                f"{source}: time {_fmt(index[i + 1], offset_h)}{where} is not after the "
                f"previous step {_fmt(index[i], offset_h)}; steps must be hourly and increasing"
            )
        raise InputDataError(
            f"{source}: hours missing from {_fmt(index[i] + step, offset_h)} to "
            f"{_fmt(index[i + 1], offset_h)}{where}; the file must have every hour"
        )


def _check_full_year(
    index: pd.DatetimeIndex, source: str, offset_h: float, year: int, last_line: int | None = None
) -> None:
    """Raise InputDataError naming the part of ``year`` (file clock) the file misses."""
    start = pd.Timestamp(year=year, month=1, day=1, tz="UTC") - pd.Timedelta(hours=offset_h)
    end = start + pd.DateOffset(years=1)
    hour = pd.Timedelta(hours=1)
    if index[0] > start:
        raise InputDataError(
            f"{source}: the year starts with the hour from {_fmt(index[0], offset_h)}; "
            f"missing the period from {_fmt(start, offset_h)} to {_fmt(index[0], offset_h)}"
        )
    if index[-1] + hour < end:
        at = f" at line {last_line}" if last_line is not None else ""
        raise InputDataError(
            f"{source}: the file ends{at} with the hour from {_fmt(index[-1], offset_h)}; "
            f"missing the period from {_fmt(index[-1] + hour, offset_h)} to "
            f"{_fmt(end, offset_h)} (is the file cut off?)"
        )


def _canonical(
    data: pd.DataFrame, source: str, offset_h: float, lines: Sequence[int] | None = None
) -> pd.DataFrame:
    """Select the canonical columns as floats, check values, attach attrs."""
    missing = [c for c in CANONICAL_COLUMNS if c not in data.columns]
    if missing:
        raise InputDataError(
            f"{source}: missing column(s) {', '.join(missing)}; the canonical "
            f"weather frame needs {', '.join(CANONICAL_COLUMNS)}"
        )
    frame = data.loc[:, list(CANONICAL_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    frame = frame.astype(float)
    frame.index = require_utc_index(data.index, source)
    frame.index.name = "time"
    values = frame.to_numpy()
    bad_rows = np.flatnonzero(~np.isfinite(values).all(axis=1))
    if len(bad_rows):
        i = int(bad_rows[0])
        cols = [
            c for c, ok in zip(CANONICAL_COLUMNS, np.isfinite(values[i]), strict=True) if not ok
        ]
        where = f"line {lines[i]}" if lines is not None else f"record {i + 1}"
        raise InputDataError(
            f"{source}: {where} ({_fmt(frame.index[i], offset_h)}) has no "
            f"valid value for {', '.join(cols)}"
        )
    negative = frame[["ghi", "dni", "dhi", "wind_speed"]] < -1e-6
    if negative.to_numpy().any():
        i = int(np.flatnonzero(negative.to_numpy().any(axis=1))[0])
        where = f"line {lines[i]}" if lines is not None else f"record {i + 1}"
        raise InputDataError(
            f"{source}: {where} has a negative irradiance or wind speed; these must be >= 0"
        )
    frame[["ghi", "dni", "dhi", "wind_speed"]] = frame[["ghi", "dni", "dhi", "wind_speed"]].clip(
        lower=0.0
    )
    frame.attrs = {"utc_offset_h": float(offset_h), "source": source}
    return frame


def _read_text(path: Path) -> str:
    """Read a text file as UTF-8 (Latin-1 as fallback); InputDataError if absent."""
    if not path.is_file():
        raise InputDataError(f"{path}: weather file not found")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _coerce_year(local: pd.DatetimeIndex, year: int, source: str) -> pd.DatetimeIndex:
    """Replace the year of naive file-clock labels by the non-leap ``year``."""
    leap = np.flatnonzero((local.month == 2) & (local.day == 29))
    if len(leap):
        raise InputDataError(
            f"{source}: record {leap[0] + 1} is a 29 February; a typical "
            "year must have 365 days (drop 29 February first)"
        )
    return pd.DatetimeIndex(
        pd.to_datetime(
            {
                "year": np.full(len(local), year),
                "month": local.month,
                "day": local.day,
                "hour": local.hour,
                "minute": local.minute,
            }
        )
    )


# --------------------------------------------------------------------------
# readers
# --------------------------------------------------------------------------
def read_try(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a DWD test reference year (TRY 2015 ``.dat``) into the canonical frame.

    Format (DWD/BBSR, "Handbuch Ortsgenaue Testreferenzjahre", 2017): a German
    header with ``Breitengrad``, ``Laengengrad``, ``Hoehenlage``, then the
    column line ``RW HW MM DD HH t p WR WG N x RF B D A E IL`` and one line per
    hour. ``HH`` runs 1..24 in MEZ (UTC+1, no daylight saving time) and labels
    the END of the hour: ``HH = 1`` is the mean over 00:00-01:00 MEZ, i.e. the
    interval starting 23:00 UTC of the previous day. Readings used: ``t`` air
    temperature [C], ``WG`` wind speed [m/s], ``B`` direct and ``D`` diffuse
    irradiance on the horizontal [W/m2].

    Labelling here: start of the interval in UTC, ``MM-DD (HH-1):00 MEZ - 1 h``.
    ``ghi = B + D``; ``dni`` from ``B`` at the interval midpoint with the low-sun
    guard of the module docstring, computed at the file's own grid point.

    A TRY has no real year (its months are taken from 1995-2012); it is
    labelled with the nominal year :data:`TRY_NOMINAL_YEAR` = 2015. Use
    :func:`map_to_year` or :func:`weather_for_index` for other years.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    tuple
        The canonical frame (8760 hours from 2014-12-31 23:00 UTC) and metadata
        ``latitude``, ``longitude`` [deg], ``altitude_m`` [m], ``year`` (nominal),
        ``utc_offset_h`` (1), ``typical_year`` (True), ``source``.

    Raises
    ------
    InputDataError
        For a missing header field or column, a line with too few values (a cut
        file, named by line number), or missing hours (the period is named).
    """
    p = Path(path)
    source = str(p)
    text = _read_text(p)
    lines = text.splitlines()

    def header_value(pattern: str, name: str) -> float:
        for line in lines[:60]:
            m = re.match(pattern + r"\s*:\s*(-?[0-9.]+)", line.strip())
            if m:
                return float(m.group(1))
        raise InputDataError(f"{source}: header field {name} not found; not a DWD TRY file?")

    meta: dict[str, Any] = {
        "latitude": header_value(r"Breitengrad", "Breitengrad"),
        "longitude": header_value(r"L(?:ä|ae|a)ngengrad", "Laengengrad"),
        "altitude_m": header_value(r"Hoehenlage", "Hoehenlage"),
        "year": TRY_NOMINAL_YEAR,
        "utc_offset_h": 1.0,
        "typical_year": True,
        "source": source,
    }
    head = next(
        (i for i, line in enumerate(lines) if line.split()[:5] == ["RW", "HW", "MM", "DD", "HH"]),
        None,
    )
    if head is None:
        raise InputDataError(
            f"{source}: column line 'RW HW MM DD HH ...' not found; not a DWD TRY 2015 file?"
        )
    columns = lines[head].split()
    needed = ["MM", "DD", "HH", *TRY_VARIABLE_MAP]
    absent = [c for c in needed if c not in columns]
    if absent:
        raise InputDataError(
            f"{source}: line {head + 1}: missing column(s) "
            f"{', '.join(absent)}; a TRY needs {', '.join(needed)}"
        )
    rows: list[list[float]] = []
    line_numbers: list[int] = []
    for number, line in enumerate(lines[head + 1 :], start=head + 2):
        fields = line.split()
        if not fields or fields[0].startswith("*"):
            continue
        if len(fields) != len(columns):
            raise InputDataError(
                f"{source}: line {number} has {len(fields)} values, expected {len(columns)} "
                f"({' '.join(columns)}); the file looks cut off or damaged"
            )
        try:
            rows.append([float(v) for v in fields])
        except ValueError as exc:
            raise InputDataError(f"{source}: line {number}: {exc}") from exc
        line_numbers.append(number)
    if not rows:
        raise InputDataError(f"{source}: no data lines after the column line {head + 1}")
    raw = pd.DataFrame(rows, columns=columns)
    try:
        date = pd.to_datetime(
            {
                "year": np.full(len(raw), TRY_NOMINAL_YEAR),
                "month": raw["MM"].astype(int),
                "day": raw["DD"].astype(int),
            }
        )
    except ValueError as exc:
        raise InputDataError(f"{source}: invalid month/day in the data lines: {exc}") from exc
    hour = raw["HH"].astype(int)
    bad_hour = np.flatnonzero((hour < 1) | (hour > 24))
    if len(bad_hour):
        i = int(bad_hour[0])
        raise InputDataError(
            f"{source}: line {line_numbers[i]}: HH = {hour[i]} is not "
            "allowed; TRY hours run 1..24 (MEZ, end of the hour)"
        )
    # start of the hour in MEZ = date + (HH - 1) h; UTC = MEZ - 1 h
    start_utc = (date + pd.to_timedelta(hour - 2, unit="h")).dt.tz_localize("UTC")
    index = pd.DatetimeIndex(start_utc)
    _check_steps(index, source, 1.0, line_numbers)
    _check_full_year(index, source, 1.0, TRY_NOMINAL_YEAR, line_numbers[-1])
    data = raw.rename(columns=TRY_VARIABLE_MAP).set_index(index)
    pos = solar_position(index, meta["latitude"], meta["longitude"], meta["altitude_m"])
    ghi, dni, dhi = _split_beam(
        data["beam_horizontal"].to_numpy(), data["dhi"].to_numpy(), pos["zenith"].to_numpy()
    )
    data["ghi"], data["dni"], data["dhi"] = ghi, dni, dhi
    return _canonical(data, source, 1.0, line_numbers), meta


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
    moved to the interval centres as in :func:`read_pvgis_tmy`.

    Typical years whose months come from different years are labelled with
    the nominal year :data:`TMY_NOMINAL_YEAR`; a real single-year file keeps
    its year. Fields used: dry bulb temperature, GHI, DNI, DHI [Wh/m2 over the
    hour = mean W/m2], wind speed; a missing-value code in any of them is an error.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    tuple
        The canonical frame and metadata ``latitude``, ``longitude``,
        ``altitude_m``, ``year``, ``utc_offset_h``, ``typical_year``, ``source``.
    """
    p = Path(path)
    source = str(p)
    text = _read_text(p)
    lines = text.splitlines()
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
    offset_h = 0.0 if pvgis else tz_h
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
    _check_steps(index, source, offset_h, numbers)
    _check_full_year(index, source, offset_h, year, numbers[-1])
    meta = {
        "latitude": latitude,
        "longitude": longitude,
        "altitude_m": altitude,
        "year": year,
        "utc_offset_h": offset_h,
        "typical_year": typical,
        "source": source,
    }
    frame = _canonical(data.set_index(index), source, offset_h, numbers)
    if pvgis:
        match = re.search(r":\s*(-?[0-9.]+)", pvgis)
        # the comment's offset counts from the hour-ending label, ours from the start
        if match:
            frame = _centre_irradiance(frame, 1.0 + float(match.group(1)))
    return frame, meta


def _centre_irradiance(frame: pd.DataFrame, sample_offset_h: float) -> pd.DataFrame:
    """Move irradiance sampled at ``label + sample_offset_h`` to the interval centres.

    Linear interpolation between neighbouring hourly samples, cyclic over the
    typical year (its last interval interpolates towards its first sample):
    for a sample at ``hh:10.6`` (offset 0.1761 h) the interval ``[hh, hh+1)``
    gets ``0.676 v(hh) + 0.324 v(hh+1)``. Temperature and wind are unchanged.
    """
    position = 0.5 - sample_offset_h  # interval centre, in hourly steps after the sample
    j = math.floor(position)
    weight = position - j
    out = frame.copy()
    for col in ("ghi", "dni", "dhi"):
        v = frame[col].to_numpy()
        out[col] = (1 - weight) * np.roll(v, -j) + weight * np.roll(v, -(j + 1))
    return out


def _pvgis_frame(
    records: pd.DataFrame, source: str, lines: Sequence[int] | None, sample_offset_h: float | None
) -> pd.DataFrame:
    """Map a PVGIS TMY table (``time(UTC)`` + PVGIS columns) to the canonical frame."""
    needed = ["time(UTC)", *PVGIS_VARIABLE_MAP]
    absent = [c for c in needed if c not in records.columns]
    if absent:
        raise InputDataError(
            f"{source}: missing column(s) {', '.join(absent)}; a PVGIS TMY "
            f"needs {', '.join(needed)}"
        )
    try:
        stamps = pd.to_datetime(records["time(UTC)"].astype(str).str.strip(), format="%Y%m%d:%H%M")
    except ValueError as exc:
        raise InputDataError(f"{source}: invalid time(UTC) stamp: {exc}") from exc
    index = _coerce_year(pd.DatetimeIndex(stamps), TMY_NOMINAL_YEAR, source).tz_localize("UTC")
    _check_steps(index, source, 0.0, lines)
    _check_full_year(index, source, 0.0, TMY_NOMINAL_YEAR, lines[-1] if lines is not None else None)
    data = records.rename(columns=PVGIS_VARIABLE_MAP).set_index(index)
    frame = _canonical(data, source, 0.0, lines)
    return frame if sample_offset_h is None else _centre_irradiance(frame, sample_offset_h)


def read_pvgis_tmy(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a PVGIS typical meteorological year (JSON or CSV export).

    The format is chosen by content (a JSON object, else PVGIS CSV). PVGIS
    stamps every hour ``YYYYMMDD:hh00`` in UTC (``time(UTC)``); ``G(h)``,
    ``Gb(n)``, ``Gd(h)`` [W/m2] are global horizontal, beam normal and diffuse
    horizontal irradiance, ``T2m`` [C], ``WS10m`` [m/s] (PVGIS user manual,
    https://joint-research-centre.ec.europa.eu/pvgis-online-tool/pvgis-user-manual_en).
    The irradiances are satellite values for ``hh:00`` plus the file's
    ``irradiance_time_offset`` (0.1761 h for SARAH-3, i.e. about hh:10).

    Labelling here: the row stamped ``hh:00`` becomes the interval
    ``[hh:00, hh+1:00)`` UTC. Its irradiances are interpolated linearly from
    the samples at ``hh:10.6`` and ``hh+1:10.6`` to the interval centre
    ``hh:30`` (cyclic over the typical year). Taking the ``hh:10.6`` sample
    for the whole interval would pair it with the sun 20 min later and bias
    east- and west-facing arrays by about -4 % and +4 % a year (measured with
    clear-sky data at 45 N; south-facing arrays change by < 0.5 %). Air
    temperature and wind are used as given. A file without an offset is read as
    interval means of ``[hh:00, hh+1:00)`` unchanged. The months come from different
    years; they are labelled with the nominal year :data:`TMY_NOMINAL_YEAR`.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    tuple
        The canonical frame (8760 hours of 1990 UTC) and metadata ``latitude``,
        ``longitude``, ``altitude_m``, ``year``, ``utc_offset_h`` (0),
        ``typical_year`` (True), ``months_selected``, ``irradiance_time_offset_h``,
        ``source``.
    """
    p = Path(path)
    source = str(p)
    text = _read_text(p)
    meta: dict[str, Any] = {
        "year": TMY_NOMINAL_YEAR,
        "utc_offset_h": 0.0,
        "typical_year": True,
        "source": source,
    }
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputDataError(
                f"{source}: not valid JSON (line {exc.lineno}, column "
                f"{exc.colno}: {exc.msg}); is the file cut off?"
            ) from exc
        try:
            location = doc["inputs"]["location"]
            table = pd.DataFrame(doc["outputs"]["tmy_hourly"])
        except (KeyError, TypeError) as exc:
            raise InputDataError(
                f"{source}: not a PVGIS TMY JSON export ({exc!r} missing "
                "or invalid; expected inputs.location and "
                "outputs.tmy_hourly)"
            ) from exc
        meta.update(
            latitude=float(location["latitude"]),
            longitude=float(location["longitude"]),
            altitude_m=float(location.get("elevation", 0.0)),
            irradiance_time_offset_h=location.get("irradiance_time_offset"),
            months_selected=doc["outputs"].get("months_selected"),
        )
        offset = location.get("irradiance_time_offset")
        return _pvgis_frame(table, source, None, None if offset is None else float(offset)), meta
    lines = text.splitlines()
    values: dict[str, float] = {}
    for line in lines[:20]:
        key, _, value = line.partition(":")
        for name, field in (
            ("Latitude", "latitude"),
            ("Longitude", "longitude"),
            ("Elevation", "altitude_m"),
            ("Irradiance Time Offset", "irradiance_time_offset_h"),
        ):
            if key.startswith(name):
                values[field] = float(value)
    head = next((i for i, line in enumerate(lines) if line.startswith("time(UTC)")), None)
    if head is None or "latitude" not in values or "longitude" not in values:
        raise InputDataError(
            f"{source}: not a PVGIS TMY CSV export (needs Latitude, "
            "Longitude and a 'time(UTC),...' column line)"
        )
    meta.update(values)
    meta.setdefault("altitude_m", 0.0)
    body = []
    for line in lines[head + 1 :]:
        if not line[:1].isdigit():
            break
        body.append(line)
    numbers = list(range(head + 2, head + 2 + len(body)))
    table = pd.read_csv(io.StringIO("\n".join([lines[head], *body])), dtype=str)
    short = np.flatnonzero(table.isna().any(axis=1).to_numpy())
    if len(short):
        raise InputDataError(
            f"{source}: line {numbers[int(short[0])]} is incomplete (fields "
            "missing); the file looks cut off or damaged"
        )
    return _pvgis_frame(table, source, numbers, values.get("irradiance_time_offset_h")), meta


def read_open_meteo(
    path_or_dict: str | Path | dict[str, Any],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read an Open-Meteo hourly forecast (JSON file or parsed dict).

    Variables (https://open-meteo.com/en/docs): ``shortwave_radiation`` (GHI),
    ``direct_radiation`` (beam on the HORIZONTAL), ``diffuse_radiation`` [W/m2],
    each "the average of the preceding hour"; ``temperature_2m`` and
    ``wind_speed_10m`` are instantaneous at the stamp. Units come from
    ``hourly_units`` (Open-Meteo's default wind unit is km/h; temperature in
    C or F). Stamps are local times of the response's ``timezone`` (ISO strings)
    or Unix seconds (``timeformat=unixtime``).

    Labelling here: a radiation value stamped ``T`` is the mean of
    ``[T - 1 h, T)`` and is labelled ``T - 1 h`` (UTC). Temperature and wind for
    that interval are the means of the two instantaneous values at its ends
    (the first interval takes its end value). ``dni`` comes from
    ``direct_radiation`` at the interval midpoint (module docstring); if only
    ``shortwave_radiation`` is given, DNI and DHI come from
    :func:`decompose_ghi`.

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
    if isinstance(path_or_dict, dict):
        doc, source = path_or_dict, "Open-Meteo forecast"
    else:
        p = Path(path_or_dict)
        source = str(p)
        try:
            doc = json.loads(_read_text(p))
        except json.JSONDecodeError as exc:
            raise InputDataError(
                f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                "is the file cut off?"
            ) from exc
    hourly = doc.get("hourly") if isinstance(doc, dict) else None
    if not isinstance(hourly, dict) or "time" not in hourly:
        raise InputDataError(f"{source}: no 'hourly' block with 'time'; not an Open-Meteo forecast")
    needed = ["shortwave_radiation", "temperature_2m", "wind_speed_10m"]
    absent = [k for k in needed if k not in hourly]
    if absent:
        raise InputDataError(
            f"{source}: hourly variable(s) {', '.join(absent)} missing; "
            f"needed: {', '.join(needed)} (and direct_radiation, "
            "diffuse_radiation if available)"
        )
    n = len(hourly["time"])
    uneven = [k for k, v in hourly.items() if isinstance(v, list) and len(v) != n]
    if uneven:
        raise InputDataError(
            f"{source}: hourly variable(s) {', '.join(uneven)} have a "
            f"different length than time ({n}); is the file cut off?"
        )
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
    times = hourly["time"]
    if n and isinstance(times[0], int | float):
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
    index = end - pd.Timedelta(hours=1)
    _check_steps(index, source, 0.0)
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
    if "beam_horizontal" in data and "dhi" in data:
        pos = solar_position(index, meta["latitude"], meta["longitude"], meta["altitude_m"])
        beam = data["beam_horizontal"].to_numpy()
        ghi, dni, dhi = _split_beam(beam, data["dhi"].to_numpy(), pos["zenith"].to_numpy())
        data["ghi"], data["dni"], data["dhi"] = ghi, dni, dhi
    else:
        data["dni"], data["dhi"] = decompose_ghi(
            data["ghi"].clip(lower=0),
            index,
            meta["latitude"],
            meta["longitude"],
            meta["altitude_m"],
        )
    return _canonical(data, source, 0.0), meta


def read_weather(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read any supported weather file, choosing the reader by suffix and content.

    ``.dat`` -> :func:`read_try`; ``.epw`` -> :func:`read_epw`; ``.csv`` ->
    PVGIS TMY CSV; ``.json`` -> Open-Meteo if the object has an ``hourly``
    block, else PVGIS TMY JSON.

    Parameters
    ----------
    path
        The weather file.

    Returns
    -------
    tuple
        The canonical frame and the reader's metadata.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".dat":
        return read_try(p)
    if suffix == ".epw":
        return read_epw(p)
    if suffix == ".csv":
        return read_pvgis_tmy(p)
    if suffix == ".json":
        text = _read_text(p)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputDataError(
                f"{p}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                "is the file cut off?"
            ) from exc
        if isinstance(doc, dict) and "hourly" in doc:
            frame, meta = read_open_meteo(doc)
            frame.attrs["source"] = meta["source"] = str(p)
            return frame, meta
        return read_pvgis_tmy(p)
    raise InputDataError(
        f"{p}: unknown weather file type {suffix!r}; allowed: .dat (DWD TRY), "
        ".epw, .csv (PVGIS TMY), .json (PVGIS TMY or Open-Meteo)"
    )


# --------------------------------------------------------------------------
# clear sky
# --------------------------------------------------------------------------
def clear_sky(
    latitude: float,
    longitude: float,
    altitude_m: float,
    index: pd.DatetimeIndex,
    linke_turbidity: float | Sequence[float] | None = None,
    temp_air_c: float | Sequence[float] | None = None,
    wind_speed: float = DEFAULT_WIND_SPEED,
) -> pd.DataFrame:
    r"""Clear-sky weather on ``index`` with the Ineichen-Perez model.

    .. math::
        GHI = c_{g1} I_0 \cos\theta_z
              \exp\left(-c_{g2} AM_a (f_{h1} + f_{h2}(T_L - 1))\right)

    with :math:`c_{g1} = 5.09\times10^{-5} h + 0.868`,
    :math:`c_{g2} = 3.92\times10^{-5} h + 0.0387`, :math:`f_{h1} = e^{-h/8000}`,
    :math:`f_{h2} = e^{-h/1250}` (altitude :math:`h` [m]), the extraterrestrial
    irradiance :math:`I_0`, the absolute air mass :math:`AM_a` (Kasten & Young
    1989) and the Linke turbidity :math:`T_L` (Ineichen & Perez 2002,
    DOI 10.1016/S0038-092X(02)00045-2; pvlib.clearsky.ineichen).

    Values are taken at the interval midpoints as the interval means and
    labelled at the interval start.

    Parameters
    ----------
    latitude, longitude, altitude_m
        Site [deg north, deg east, m].
    index
        Start-labelled, regular UTC index of any resolution.
    linke_turbidity
        One value, or 12 monthly values (Jan..Dec). Default: the monthly
        climatology of Remund et al. (2003) shipped with pvlib
        (``LinkeTurbidities.h5``, read with
        :func:`pvlib.clearsky.lookup_linke_turbidity`, interpolated between
        months); at Gera (50.88 N, 12.08 E) its monthly values are 2.95 (Jan)
        to 4.75 (Aug).
    temp_air_c
        Air temperature [C], one value or 12 monthly values. Default:
        :data:`TRY_MONTHLY_TEMP_AIR_C` (DWD TRY 2015 region 9; central Germany).
    wind_speed
        Wind speed [m/s], default 1 m/s.

    Returns
    -------
    pandas.DataFrame
        The canonical frame.
    """
    utc = require_utc_index(index, "clear-sky index")
    pos = solar_position(utc, latitude, longitude, altitude_m)
    mid = utc + pd.Timedelta(hours=step_hours(utc) / 2)
    month0 = mid.month.to_numpy() - 1
    if linke_turbidity is None:
        tl = np.asarray(pvlib.clearsky.lookup_linke_turbidity(mid, latitude, longitude))
    elif isinstance(linke_turbidity, int | float):
        tl = np.full(len(utc), float(linke_turbidity))
    else:
        monthly = np.asarray(linke_turbidity, dtype=float)
        if monthly.shape != (12,):
            raise InputDataError(
                f"linke_turbidity: give one value or 12 monthly values, got {monthly.size}"
            )
        tl = monthly[month0]
    if not np.all((tl >= 1) & (tl <= 10)):
        raise InputDataError("linke_turbidity: values must lie in 1..10")
    temps = np.asarray(TRY_MONTHLY_TEMP_AIR_C if temp_air_c is None else temp_air_c, dtype=float)
    temp = np.full(len(utc), float(temps)) if temps.ndim == 0 else temps[month0]
    airmass = pvlib.atmosphere.get_relative_airmass(pos["apparent_zenith"].to_numpy())
    am_abs = pvlib.atmosphere.get_absolute_airmass(airmass, pvlib.atmosphere.alt2pres(altitude_m))
    dni_extra = pvlib.irradiance.get_extra_radiation(mid).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):  # night: cos(zenith) = 0
        cs = pvlib.clearsky.ineichen(
            pos["apparent_zenith"].to_numpy(), am_abs, tl, altitude=altitude_m, dni_extra=dni_extra
        )
    data = pd.DataFrame(
        {
            "ghi": np.nan_to_num(np.asarray(cs["ghi"])),
            "dni": np.nan_to_num(np.asarray(cs["dni"])),
            "dhi": np.nan_to_num(np.asarray(cs["dhi"])),
            "temp_air": temp,
            "wind_speed": float(wind_speed),
        },
        index=utc,
    )
    return _canonical(data, "clear sky", 0.0)


# --------------------------------------------------------------------------
# typical years and alignment onto a requested index
# --------------------------------------------------------------------------
_STEP_TO_RESOLUTION = {15: "15min", 30: "30min", 60: "1h"}


def _keys(naive: pd.DatetimeIndex) -> np.ndarray:
    """Integer key (month, day, hour, minute) of naive file-clock labels."""
    return (
        (naive.month.to_numpy() * 32 + naive.day.to_numpy()) * 24 + naive.hour.to_numpy()
    ) * 60 + naive.minute.to_numpy()


def map_to_year(weather: pd.DataFrame, year: int, tz: str = "Europe/Berlin") -> pd.DataFrame:
    """Map a typical-year frame onto the local calendar year ``year``.

    Each step of the target year is given the value with the same (month,
    day, hour, minute) in the FILE'S OWN clock (``weather.attrs["utc_offset_h"]``,
    0 = UTC if absent), so the hour of day keeps its relation to the sun
    (a fixed-offset clock has no daylight saving time). 29 February of a leap
    year repeats 28 February.

    Parameters
    ----------
    weather
        Canonical frame of one typical year (any nominal year).
    year
        Calendar year to produce.
    tz
        Time zone whose local calendar year is produced (its 1 Jan 00:00 to
        31 Dec 24:00), e.g. 8760 hourly steps for Berlin 2025.

    Returns
    -------
    pandas.DataFrame
        Canonical frame on :func:`energy.timeindex.year_index` ``(year, step, tz)``:
        a gap-free UTC index without duplicates across the DST switches.

    Raises
    ------
    InputDataError
        If the frame lacks some (month, day, hour) of the year; the period is named.
    """
    frame = check_weather(weather)
    offset = pd.Timedelta(hours=frame.attrs["utc_offset_h"])
    minutes = round(step_hours(frame.index) * 60)
    if minutes not in _STEP_TO_RESOLUTION:
        raise InputDataError(
            f"weather: a typical year must be at 15 min, 30 min or 1 h steps, got {minutes} min"
        )
    target = year_index(year, _STEP_TO_RESOLUTION[minutes], tz)
    src_keys = _keys(frame.index.tz_convert(None) + offset)
    if len(np.unique(src_keys)) != len(src_keys):
        raise InputDataError(
            f"{frame.attrs['source']}: covers more than one year; "
            "map_to_year needs exactly one typical year"
        )
    local = target.tz_convert(None) + offset
    leap_day = (local.month == 2) & (local.day == 29)
    local = local.where(~leap_day, local - pd.Timedelta(days=1))
    pos = pd.Index(src_keys).get_indexer(_keys(local))
    if (pos < 0).any():
        gap = np.flatnonzero(pos < 0)
        raise InputDataError(
            f"{frame.attrs['source']}: the typical year has no data for "
            f"{_fmt(target[gap[0]], frame.attrs['utc_offset_h'])} to "
            f"{_fmt(target[gap[-1]] + (target[1] - target[0]), frame.attrs['utc_offset_h'])} "
            f"({len(gap)} steps); "
            "it must cover a whole year"
        )
    out = pd.DataFrame(frame.to_numpy()[pos], index=target, columns=list(CANONICAL_COLUMNS))
    out.attrs = dict(frame.attrs)
    return out


def _align(frame: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Put interval means of ``frame`` onto ``index`` (any 15 min..1 h grid).

    Both grids are refined to their common divisor step; each fine step holds
    the value of the source interval containing it, and each target interval
    is the mean of its fine steps. An hourly mean on 15-min steps is thus held
    constant and energy is conserved for any alignment of the grids.
    """
    src_step = pd.Timedelta(hours=step_hours(frame.index))
    dst_step = pd.Timedelta(hours=step_hours(index))
    phase = (index[0] - frame.index[0]) % src_step
    fine_s = math.gcd(
        int(src_step.total_seconds()), int(dst_step.total_seconds()), int(phase.total_seconds())
    )
    fine = pd.Timedelta(seconds=fine_s)
    k = int(dst_step / fine)
    fine_index = index[0] + fine * np.arange(len(index) * k)
    pos = frame.index.searchsorted(fine_index, side="right") - 1
    covered = (pos >= 0) & (fine_index < frame.index[np.maximum(pos, 0)] + src_step)
    if not covered.all():
        missing = index[np.flatnonzero(~covered.reshape(len(index), k).all(axis=1))]
        raise InputDataError(
            f"{frame.attrs.get('source', 'weather')}: covers {frame.index[0]:%Y-%m-%d %H:%M} "
            f"to {frame.index[-1] + src_step:%Y-%m-%d %H:%M} UTC; no weather for "
            f"{missing[0]:%Y-%m-%d %H:%M} to {missing[-1] + dst_step:%Y-%m-%d %H:%M} UTC "
            f"({len(missing)} steps)"
        )
    values = frame.to_numpy()[pos].reshape(len(index), k, frame.shape[1]).mean(axis=1)
    out = pd.DataFrame(values, index=index, columns=frame.columns)
    out.index.name = "time"
    out.attrs = dict(frame.attrs)
    return out


def check_weather(weather: pd.DataFrame) -> pd.DataFrame:
    """Validate a canonical weather frame; return it as floats with its attrs.

    Parameters
    ----------
    weather
        A frame with the columns :data:`CANONICAL_COLUMNS` on a tz-aware index.

    Raises
    ------
    InputDataError
        Naming missing columns, the first step with a missing value, a
        negative irradiance, or a naive or unsorted index.
    """
    if not isinstance(weather, pd.DataFrame):
        raise InputDataError(f"weather: expected a DataFrame, got {type(weather).__name__}")
    return _canonical(
        weather,
        str(weather.attrs.get("source", "weather frame")),
        float(weather.attrs.get("utc_offset_h", 0.0)),
    )


def _load(source: WeatherSource) -> pd.DataFrame:
    """Return the canonical frame of a weather source (file, dict, frame, None = TRY)."""
    if source is None:
        return read_try(DEFAULT_TRY_FILE)[0]
    if isinstance(source, pd.DataFrame):
        return check_weather(source)
    if isinstance(source, dict):
        return read_open_meteo(source)[0]
    return read_weather(source)[0]


def weather_for_index(
    index: pd.DatetimeIndex, site: Site, source: WeatherSource = None
) -> pd.DataFrame:
    """Return canonical weather on exactly ``index`` (15 min, 30 min or 1 h steps).

    Parameters
    ----------
    index
        Start-labelled UTC index, e.g. from :func:`energy.timeindex.make_index`.
    site
        The district site (coordinates for clear sky; its time zone sets the
        calendar years onto which a typical year is mapped).
    source
        ``None``: the shipped DWD TRY 2015 region 9 (:data:`DEFAULT_TRY_FILE`),
        mapped onto the years of ``index``. ``"clearsky"``: :func:`clear_sky`
        at the site. A path: a weather file, see :func:`read_weather`. A dict:
        a parsed Open-Meteo response. A DataFrame: a canonical frame.

    A source that covers ``index`` is used at its own dates. One that does not,
    but spans a whole year (a typical year), is mapped with
    :func:`map_to_year` onto each local year of ``index``. Hourly means are held
    constant on finer steps (energy is conserved) and averaged on coarser ones.

    Raises
    ------
    InputDataError
        If the source does not cover ``index``, naming the missing period.
    """
    utc = require_utc_index(index, "index")
    if isinstance(source, str) and source.strip().lower() in ("clearsky", "clear_sky"):
        return clear_sky(site.latitude, site.longitude, site.altitude_m, utc)
    frame = _load(source)
    step = pd.Timedelta(hours=step_hours(frame.index))
    covers = frame.index[0] <= utc[0] and utc[-1] < frame.index[-1] + step
    if not covers and len(frame) * step >= pd.Timedelta(days=365):
        local = utc.tz_convert(site.timezone)
        years = range(local[0].year, local[-1].year + 1)
        frame = pd.concat([map_to_year(frame, y, site.timezone) for y in years])
        logger.info(
            "weather %s mapped as a typical year onto %s", frame.attrs.get("source"), list(years)
        )
    return _align(frame, utc)
