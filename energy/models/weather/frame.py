"""The canonical weather frame: its columns, its checks and the helpers every reader shares.

A canonical frame (the table of :mod:`energy.models.weather`) has a tz-aware
UTC index named ``time``, labelled at the START of each interval, and exactly
the float columns :data:`CANONICAL_COLUMNS`; ``frame.attrs`` holds
``utc_offset_h`` (the fixed UTC offset [h] of the file's clock) and ``source``.
:func:`canonical_frame` builds one from a reader's table and raises
:class:`~energy.errors.InputDataError` naming the file and the line (or record)
of a missing or negative value; :func:`check_steps` and :func:`check_full_year`
name missing or repeated hours in the file's own clock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from energy.errors import InputDataError
from energy.timeindex import require_utc_index

#: Columns of the canonical weather frame, in this order (units in energy.models.weather).
CANONICAL_COLUMNS: tuple[str, ...] = ("ghi", "dni", "dhi", "temp_air", "wind_speed")

#: Nominal year given to typical years that mix months of several years (PVGIS
#: TMY, most EPW): the non-leap year 1990, as ``pvlib.iotools`` coerces TMYs.
TMY_NOMINAL_YEAR = 1990

#: Columns that must be >= 0 (irradiances and wind speed).
_NON_NEGATIVE = ["ghi", "dni", "dhi", "wind_speed"]


def fmt_file_time(ts: pd.Timestamp, offset_h: float) -> str:
    """Format a UTC timestamp in a file's own clock, e.g. ``2015-07-02 13:00 (UTC+1)``."""
    local = ts.tz_convert(None) + pd.Timedelta(hours=offset_h)
    clock = "UTC" if offset_h == 0 else f"UTC{offset_h:+g}"
    return f"{local:%Y-%m-%d %H:%M} ({clock})"


def check_steps(
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
                f"{source}: time {fmt_file_time(index[i + 1], offset_h)}{where} is not after "
                f"the previous step {fmt_file_time(index[i], offset_h)}; steps must be hourly "
                "and increasing"
            )
        raise InputDataError(
            f"{source}: hours missing from {fmt_file_time(index[i] + step, offset_h)} to "
            f"{fmt_file_time(index[i + 1], offset_h)}{where}; the file must have every hour"
        )


def check_full_year(
    index: pd.DatetimeIndex, source: str, offset_h: float, year: int, last_line: int | None = None
) -> None:
    """Raise InputDataError naming the part of ``year`` (file clock) the file misses."""
    start = pd.Timestamp(year=year, month=1, day=1, tz="UTC") - pd.Timedelta(hours=offset_h)
    end = start + pd.DateOffset(years=1)
    hour = pd.Timedelta(hours=1)
    if index[0] > start:
        raise InputDataError(
            f"{source}: the year starts with the hour from {fmt_file_time(index[0], offset_h)}; "
            f"missing the period from {fmt_file_time(start, offset_h)} to "
            f"{fmt_file_time(index[0], offset_h)}"
        )
    if index[-1] + hour < end:
        at = f" at line {last_line}" if last_line is not None else ""
        raise InputDataError(
            f"{source}: the file ends{at} with the hour from "
            f"{fmt_file_time(index[-1], offset_h)}; missing the period from "
            f"{fmt_file_time(index[-1] + hour, offset_h)} to "
            f"{fmt_file_time(end, offset_h)} (is the file cut off?)"
        )


#: Attrs of the weather's header that checks of the site read (energy.models.weather.site).
HEADER_ATTRS = ("latitude", "longitude", "local_clock")


def canonical_frame(
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
            f"{source}: {where} ({fmt_file_time(frame.index[i], offset_h)}) has no "
            f"valid value for {', '.join(cols)}"
        )
    negative = frame[_NON_NEGATIVE] < -1e-6
    if negative.to_numpy().any():
        i = int(np.flatnonzero(negative.to_numpy().any(axis=1))[0])
        where = f"line {lines[i]}" if lines is not None else f"record {i + 1}"
        raise InputDataError(
            f"{source}: {where} has a negative irradiance or wind speed; these must be >= 0"
        )
    frame[_NON_NEGATIVE] = frame[_NON_NEGATIVE].clip(lower=0.0)
    frame.attrs = {"utc_offset_h": float(offset_h), "source": source}
    return frame


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
    out = canonical_frame(
        weather,
        str(weather.attrs.get("source", "weather frame")),
        float(weather.attrs.get("utc_offset_h", 0.0)),
    )
    out.attrs.update({k: weather.attrs[k] for k in HEADER_ATTRS if k in weather.attrs})
    return out


def read_text(path: Path) -> str:
    """Read a text file as UTF-8 (Latin-1 as fallback); InputDataError if absent."""
    if not path.is_file():
        raise InputDataError(f"{path}: weather file not found")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def load_json(text: str, source: str) -> Any:
    """Parse JSON text; InputDataError naming line and column if it is not valid JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputDataError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "is the file cut off?"
        ) from exc
