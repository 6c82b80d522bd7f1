"""Tariff data files: SMARD.de day-ahead prices and grid CO2 intensity series, read as written.

:func:`read_smard` reads a SMARD.de export (Bundesnetzagentur, CC BY 4.0,
https://www.smard.de/home/downloadcenter/download-marktdaten) exactly as SMARD
writes it, in EUR/MWh, German local time turned into a UTC index labelled at
interval start; :func:`read_co2_csv` reads a CO2 intensity series [g/kWh].
:func:`data_file` resolves the paths a :class:`~energy.district.TariffSpec`
names against :data:`energy.district.DATA_DIR`. The shipped day-ahead file is
:data:`DEFAULT_DAY_AHEAD_FILE` (2023-2024).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from energy.district import DATA_DIR
from energy.errors import InputDataError
from energy.timeindex import require_utc_index, step_hours

#: Time zone of SMARD's "Datum von"/"Datum bis" columns (German local time).
SMARD_TZ = "Europe/Berlin"

#: Day-ahead file used when ``TariffSpec.day_ahead_file`` is None (relative to DATA_DIR).
DEFAULT_DAY_AHEAD_FILE = "prices/smard_dayahead_2023_2024_hourly.csv"

# A SMARD number: decimal comma, optional '.' thousands groups, optional sign.
_SMARD_NUMBER = re.compile(r"^-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")
# An ISO 8601 time stamp that carries its UTC offset ('Z', '+01:00', '+0100').
_ISO_WITH_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def data_file(path: str | Path, field: str) -> Path:
    """Resolve ``path`` against DATA_DIR when relative; it must exist."""
    p = Path(path)
    if not p.is_absolute():
        p = DATA_DIR / p
    if not p.is_file():
        raise InputDataError(
            f"{field}: file {str(path)!r} not found (looked at {p}); relative paths "
            f"resolve against the data folder {DATA_DIR}"
        )
    return p


def _check_table(
    raw: pd.DataFrame, path: str | Path, columns: tuple[str, ...], layout: str, got: list[str]
) -> None:
    """Raise InputDataError naming a missing column (``layout`` says what is expected)."""
    for column in columns:
        if column not in raw.columns:
            raise InputDataError(f"{path}: column {column!r} is missing; {layout} (got {got})")
    if raw.empty:
        raise InputDataError(f"{path}: the file has a header but no data rows")


def read_smard(path: str | Path, zone: str = "Deutschland/Luxemburg") -> pd.Series:
    """Read day-ahead prices of one bidding zone from a SMARD.de CSV export.

    The file is read exactly as SMARD writes it: UTF-8 with a byte-order mark,
    ``;`` as separator, decimal comma (with ``.`` thousands groups for large
    numbers), ``-`` for a missing value, and German local time in the columns
    ``Datum von`` (interval start) and ``Datum bis``. A DST spring day has 23
    rows (no 02:00), an autumn day 25 rows: the repeated 02:00 hour is told
    apart by order (the first is summer time, CEST, the second winter time,
    CET). The step (hourly or 15 min) is ``Datum bis - Datum von`` of the first
    row; every step of the converted UTC index must have that length, so a gap
    or a duplicate row is an error naming the line.

    Parameters
    ----------
    path
        The CSV file.
    zone
        Bidding zone: the part of a column header before `` [``, e.g.
        ``"Deutschland/Luxemburg"`` for ``"Deutschland/Luxemburg [€/MWh]
        Originalauflösungen"``.

    Returns
    -------
    pandas.Series
        Day-ahead price [EUR/MWh] on a UTC index labelled at interval start
        (``index.freq`` set to the step). A ``-`` in the file becomes NaN (the
        file may legitimately lack a zone for some hours); functions that need
        complete prices (:func:`energy.models.tariff.day_ahead_eur_per_kwh`)
        reject a period with NaN.

    Raises
    ------
    InputDataError
        Missing file, wrong layout, an unknown zone (the message lists the
        zones in the file), an unreadable number or date (naming the line), a
        local time that does not exist, or an irregular time axis.

    References
    ----------
    SMARD.de download centre, "Großhandelspreise", Bundesnetzagentur, CC BY 4.0:
    https://www.smard.de/home/downloadcenter/download-marktdaten
    """
    p = Path(path)
    if not p.is_file():
        raise InputDataError(f"{p}: file not found")
    stat = p.stat()
    return _read_smard_cached(str(p.resolve()), stat.st_mtime_ns, stat.st_size, zone).copy()


@functools.lru_cache(maxsize=8)
def _read_smard_cached(path: str, mtime_ns: int, size: int, zone: str) -> pd.Series:
    """Parse a SMARD file; cached on path, modification time and size."""
    try:
        raw = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputDataError(f"{path}: not a SMARD CSV export (UTF-8, ';'): {exc}") from exc
    _check_table(
        raw,
        path,
        ("Datum von", "Datum bis"),
        "a SMARD export starts with 'Datum von;Datum bis;<zone> [€/MWh] ...'",
        list(raw.columns)[:3],
    )
    zones = {str(c).split(" [")[0].strip(): c for c in raw.columns[2:]}
    if zone not in zones:
        raise InputDataError(
            f"{path}: bidding zone {zone!r} is not in the file; available: {sorted(zones)}"
        )
    line = np.arange(len(raw)) + 2  # file line of each row: header is line 1
    start_utc, step = _smard_index(raw, path, line)
    values = _smard_values(raw[zones[zone]], path, line, zones[zone])
    index = pd.DatetimeIndex(start_utc, name="time", freq=step)
    return pd.Series(values, index=index, name="day_ahead_eur_per_mwh")


def _smard_index(
    raw: pd.DataFrame, path: str, line: np.ndarray
) -> tuple[pd.DatetimeIndex, pd.Timedelta]:
    """Return the UTC interval starts of SMARD's local ``Datum von`` and the step."""
    start_local = pd.to_datetime(raw["Datum von"], format="%d.%m.%Y %H:%M", errors="coerce")
    end_local = pd.to_datetime(raw["Datum bis"], format="%d.%m.%Y %H:%M", errors="coerce")
    bad = start_local.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"{path}, line {line[i]}: 'Datum von' {raw['Datum von'].iloc[i]!r} is not a "
            f"date of the form DD.MM.YYYY HH:MM"
        )
    step = end_local.iloc[0] - start_local.iloc[0]
    if pd.isna(step) or step not in (pd.Timedelta("15min"), pd.Timedelta("1h")):
        raise InputDataError(
            f"{path}, line 2: 'Datum bis' - 'Datum von' is {step}; allowed: 15 min or 1 h"
        )

    # The repeated local hour of the autumn DST change: first pass is summer time.
    summer_time = ~start_local.duplicated(keep="first").to_numpy()
    start_utc = pd.DatetimeIndex(start_local).tz_localize(
        SMARD_TZ, ambiguous=summer_time, nonexistent="NaT"
    )
    missing_time = np.asarray(start_utc.isna())
    if missing_time.any():
        i = int(np.flatnonzero(missing_time)[0])
        raise InputDataError(
            f"{path}, line {line[i]}: local time {raw['Datum von'].iloc[i]!r} does not exist "
            f"in {SMARD_TZ} (skipped hour of the spring DST change)"
        )
    start_utc = start_utc.tz_convert("UTC")
    diffs = start_utc[1:] - start_utc[:-1]
    irregular = np.flatnonzero(np.asarray(diffs != step))
    if irregular.size:
        i = int(irregular[0])
        raise InputDataError(
            f"{path}, lines {line[i]}-{line[i + 1]}: rows {raw['Datum von'].iloc[i]!r} and "
            f"{raw['Datum von'].iloc[i + 1]!r} are {diffs[i]} apart; every step must be "
            f"{step} (a gap, a duplicate or unsorted rows)"
        )
    return start_utc, step


def _smard_values(column: pd.Series, path: str, line: np.ndarray, name: str) -> np.ndarray:
    """Return the numbers of a SMARD price column [EUR/MWh]; ``-`` or empty -> NaN."""
    text = column.str.strip()
    absent = text.isin(["-", ""]).to_numpy()
    valid = text.str.fullmatch(_SMARD_NUMBER).to_numpy(dtype=bool)
    bad = ~absent & ~valid
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"{path}, line {line[i]}, column {name!r}: {text.iloc[i]!r} is not a "
            f"number with decimal comma (e.g. '-12,34') or '-' for missing"
        )
    numbers = (
        text.where(~absent).str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    return pd.to_numeric(numbers).to_numpy(dtype=float)


def read_co2_csv(path: str | Path) -> pd.Series:
    """Read an hourly (or 15-min) grid CO2 intensity series from a CSV file.

    Format: comma-separated, UTF-8, a header line with at least the columns
    ``time`` and ``co2_g_per_kwh``. ``time`` is ISO 8601 with an explicit UTC
    offset (``2025-01-01T00:00:00+01:00`` or ``2024-12-31T23:00:00Z``) and
    labels the START of the interval; ``co2_g_per_kwh`` is the mean intensity
    over the interval [g CO2/kWh], a number >= 0 with a decimal point. Rows must
    be regular and increasing in time.

    Returns
    -------
    pandas.Series
        CO2 intensity [g/kWh] on a UTC index labelled at interval start.
    """
    p = Path(path)
    try:
        raw = pd.read_csv(p, dtype={"time": str})
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputDataError(f"{p}: cannot read the CO2 CSV file: {exc}") from exc
    _check_table(
        raw,
        p,
        ("time", "co2_g_per_kwh"),
        "expected columns 'time' (ISO 8601 with UTC offset) and 'co2_g_per_kwh'",
        list(raw.columns),
    )
    stamps = raw["time"].astype(str).str.strip()
    naive = ~stamps.str.contains(_ISO_WITH_OFFSET)
    if naive.any():
        i = int(np.flatnonzero(naive.to_numpy())[0])
        raise InputDataError(
            f"{p}, line {i + 2}: time {stamps.iloc[i]!r} has no UTC offset; write e.g. "
            f"'2025-01-01T00:00:00+01:00' or '2024-12-31T23:00:00Z'"
        )
    try:
        index = pd.DatetimeIndex(pd.to_datetime(stamps, format="ISO8601", utc=True), name="time")
    except (ValueError, TypeError) as exc:
        raise InputDataError(f"{p}: column 'time' is not ISO 8601: {exc}") from exc
    values = pd.to_numeric(raw["co2_g_per_kwh"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"{p}, line {i + 2}: co2_g_per_kwh {raw['co2_g_per_kwh'].iloc[i]!r} is not "
            f"allowed; it must be a number >= 0 [g/kWh]"
        )
    index = require_utc_index(index, f"{p}: time")
    step_hours(index)  # raises on an irregular axis
    return pd.Series(values, index=index, name="co2_g_per_kwh")
