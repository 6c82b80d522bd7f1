"""Time axes: tz-aware UTC indexes labelled at interval start.

Conventions used throughout :mod:`energy`:

* every series lives on a tz-aware :class:`pandas.DatetimeIndex` in UTC;
* a label is the *start* of its interval and the value is the interval mean;
* the step length ``dt_h`` [h] is taken from the index, never assumed;
* a local day is ``start + pd.DateOffset(days=1)`` in the local time zone, so
  a Berlin day has 23, 24 or 25 hours (92, 96 or 100 quarter-hours).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from energy.errors import InputDataError

#: Resolutions accepted by the library, as pandas offset aliases.
RESOLUTIONS: dict[str, str] = {"15min": "15min", "30min": "30min", "1h": "1h", "h": "1h"}
#: Hours of a year of 365 days, the unit of annual figures (also in leap years): annual
#: costs are charged to a horizon by its share ``horizon hours / HOURS_PER_YEAR``, and
#: a horizon's values become annual ones by the inverse.
HOURS_PER_YEAR = 8760.0
#: A horizon at least this long is a whole year (365 local days incl. a 23-h DST day).
YEAR_MIN_HOURS = 8759.0


def parse_resolution(resolution: str) -> pd.Timedelta:
    """Return the step length of a resolution string.

    Parameters
    ----------
    resolution
        ``"15min"``, ``"30min"`` or ``"1h"`` (``"h"`` is an alias of ``"1h"``).

    Returns
    -------
    pandas.Timedelta
        The step length.
    """
    key = resolution.strip().lower()
    if key not in RESOLUTIONS:
        raise InputDataError(
            f"resolution: {resolution!r} is not supported; allowed: 15min, 30min, 1h"
        )
    return pd.Timedelta(RESOLUTIONS[key])


def check_timezone(tz: str) -> str:
    """Return ``tz`` if it names an IANA time zone, else raise InputDataError."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputDataError(
            f"timezone: {tz!r} is not an IANA time zone name (e.g. 'Europe/Berlin')"
        ) from exc
    return tz


def make_index(
    start: str | pd.Timestamp,
    days: int = 1,
    resolution: str = "1h",
    tz: str = "Europe/Berlin",
) -> pd.DatetimeIndex:
    """Build a UTC index covering ``days`` whole local days from ``start``.

    Parameters
    ----------
    start
        First local day (date string such as ``"2025-01-01"`` or a Timestamp).
        A tz-naive value is read as local time in ``tz``.
    days
        Number of local calendar days, >= 1.
    resolution
        Step length, see :func:`parse_resolution`.
    tz
        Local time zone that defines the day boundaries.

    Returns
    -------
    pandas.DatetimeIndex
        UTC labels at the start of each step; a year of Berlin days at 1 h
        has 8760 (8784 in leap years) steps, DST days have 23 and 25 steps.
    """
    if days < 1:
        raise InputDataError(f"days: {days} is not allowed; it must be >= 1")
    step = parse_resolution(resolution)
    check_timezone(tz)
    ts = pd.Timestamp(start)
    ts = ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)
    ts = ts.normalize()
    end = ts + pd.DateOffset(days=days)
    index = pd.date_range(ts.tz_convert("UTC"), end.tz_convert("UTC"), freq=step, inclusive="left")
    index.name = "time"
    return index


def year_index(year: int, resolution: str = "1h", tz: str = "Europe/Berlin") -> pd.DatetimeIndex:
    """Return the UTC index of local calendar year ``year`` (see :func:`make_index`)."""
    start = pd.Timestamp(year=year, month=1, day=1)
    days = (pd.Timestamp(year=year + 1, month=1, day=1) - start).days
    return make_index(start, days=days, resolution=resolution, tz=tz)


def require_utc_index(index: pd.Index, name: str = "index") -> pd.DatetimeIndex:
    """Check that ``index`` is a tz-aware, regular, increasing DatetimeIndex.

    Returns the index converted to UTC. Raises :class:`InputDataError` naming
    ``name`` for a naive, irregular, unsorted or too short index.
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise InputDataError(f"{name}: expected a DatetimeIndex, got {type(index).__name__}")
    if index.tz is None:
        raise InputDataError(
            f"{name}: the time index is tz-naive; localise it (UTC or Europe/Berlin) first"
        )
    if len(index) < 1:
        raise InputDataError(f"{name}: the time index is empty")
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise InputDataError(f"{name}: the time index must be strictly increasing")
    return index.tz_convert("UTC")


def step_hours(index: pd.DatetimeIndex) -> float:
    """Return the constant step length ``dt_h`` [h] of a regular index.

    A one-element index is taken as hourly only if it carries ``freq``; else an
    InputDataError is raised, as it is for an irregular index.
    """
    if len(index) >= 2:
        diffs = index[1:] - index[:-1]
        if (diffs != diffs[0]).any():
            raise InputDataError("index: time steps are irregular; resample to one resolution")
        return float(diffs[0] / pd.Timedelta(hours=1))
    if index.freq is not None:
        return float((index[0] + index.freq - index[0]) / pd.Timedelta(hours=1))
    raise InputDataError("index: cannot infer the step length of a one-element index")


def horizon_label(index: pd.DatetimeIndex, tz: str) -> str:
    """Say which local days a horizon covers, e.g. ``7 days (2025-06-02..2025-06-08)``.

    The count is of local calendar days touched by the interval starts.
    """
    local = index.tz_convert(tz)
    first, last = local[0].date(), local[-1].date()
    days = (last - first).days + 1
    return f"{days} day{'' if days == 1 else 's'} ({first.isoformat()}..{last.isoformat()})"


def horizon_record(index: pd.DatetimeIndex, tz: str) -> dict[str, Any]:
    """Start, end (of the last interval), steps, step length, zone and label of a horizon.

    ``hours`` is the horizon's length, ``full_year`` whether it covers a year
    (:data:`YEAR_MIN_HOURS`), ``label`` :func:`horizon_label`; annual figures of
    a horizon that is not a full year carry ``extrapolated_from: label``
    (:func:`energy.analysis.economics.annualisation`).
    """
    dt_h = step_hours(index)
    hours = len(index) * dt_h
    return {
        "start": str(index[0]),
        "end": str(index[-1] + (index[1] - index[0]) if len(index) > 1 else index[-1]),
        "steps": len(index),
        "dt_h": dt_h,
        "timezone": tz,
        "hours": hours,
        "full_year": hours >= YEAR_MIN_HOURS,
        "label": horizon_label(index, tz),
    }
