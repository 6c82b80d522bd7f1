"""Year mapping: a price or CO2 series of some years put onto any requested horizon.

Day-ahead prices come from a SMARD.de export (Bundesnetzagentur, CC BY 4.0,
https://www.smard.de/home/downloadcenter/download-marktdaten), read exactly as
SMARD writes it (:func:`energy.models.tariff.files.read_smard`). The shipped
file covers 2023-2024. When a requested local calendar year is not in the file
(a planning year such as 2025 or 2026), the nearest fully covered year of the
file is mapped onto it by shifting whole weeks: every requested time ``t``
takes the value at ``t - n * 7 days`` with
``n = round((start of requested year - start of source year) / 7 days)``;
steps that land outside the source year move one more week into it (at most
the last or first few days of the year).
Weekday and hour of day are kept (a Monday 18:00 price comes from a Monday
18:00), so the weekly price shape and the weekday/weekend contrast survive;
public holidays and the exact DST switch hours do not move with the calendar.
:func:`year_mapping` returns the ``{requested year: source year}`` pairs, and
each mapping is logged at INFO level. This is a planning proxy for an unknown
future year, not a forecast.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from energy.errors import InputDataError
from energy.timeindex import check_timezone, require_utc_index, step_hours

logger = logging.getLogger(__name__)

_WEEK = pd.Timedelta(days=7)


def _year_start_utc(year: int, tz: str) -> pd.Timestamp:
    return pd.Timestamp(year=year, month=1, day=1).tz_localize(tz).tz_convert("UTC")


def _source_step(source: pd.Series) -> pd.Timedelta:
    return pd.Timedelta(hours=step_hours(pd.DatetimeIndex(source.index)))


def year_mapping(
    source_index: pd.DatetimeIndex,
    index: pd.DatetimeIndex,
    tz: str = "Europe/Berlin",
    source_year: int | None = None,
) -> dict[int, int]:
    """Return ``{requested local year: source local year}`` for ``index``.

    A requested year whose steps all lie inside the source series maps to
    itself. Any other year maps to the nearest local calendar year that the
    source covers completely (on a tie, the later one); the module docstring
    explains the whole-week shift used for it. With ``source_year`` (a price
    year, :attr:`energy.district.TariffSpec.price_year`) every requested year
    maps to that year, which the source must cover completely.

    Parameters
    ----------
    source_index
        Regular UTC index of the source series (e.g. SMARD prices).
    index
        Requested UTC index.
    tz
        Time zone that defines calendar years.

    source_year
        Optional: take every requested year from this local calendar year.

    Raises
    ------
    InputDataError
        If the source covers no complete calendar year and the request is not
        inside it, or ``source_year`` is not a year it covers completely.
    """
    check_timezone(tz)
    index = require_utc_index(index)
    src = require_utc_index(source_index, "source")
    step = pd.Timedelta(hours=step_hours(src))
    first, end = src[0], src[-1] + step
    local_years = index.tz_convert(tz).year
    covered = [
        y
        for y in range(src[0].tz_convert(tz).year, src[-1].tz_convert(tz).year + 1)
        if first <= _year_start_utc(y, tz) and _year_start_utc(y + 1, tz) <= end
    ]
    if source_year is not None:
        if source_year not in covered:
            raise InputDataError(
                f"tariff.price_year: {source_year} is not a calendar year the price file "
                f"covers completely; it covers {', '.join(map(str, covered)) or 'none'}"
            )
        return {int(year): int(source_year) for year in sorted(set(local_years))}
    mapping: dict[int, int] = {}
    for year in sorted(set(local_years)):
        stamps = index[local_years == year]
        if stamps[0] >= first and stamps[-1] < end:
            mapping[int(year)] = int(year)
            continue
        if not covered:
            raise InputDataError(
                f"the source series covers {first} to {end} (UTC), no complete calendar "
                f"year, and does not contain the requested year {year}"
            )
        mapping[int(year)] = min(covered, key=lambda y: (abs(y - year), -y))
    return mapping


def on_index(
    source: pd.Series,
    index: pd.DatetimeIndex,
    tz: str,
    what: str,
    source_year: int | None = None,
) -> pd.Series:
    """Put ``source`` on ``index``: year mapping, hold or average, NaN check.

    A requested step shorter than the source's step holds the source's value;
    a longer one gets the mean of the source's steps within it (NaN if any is
    missing). ``what`` names the series in the log and in errors;
    ``source_year`` forces the source year of :func:`year_mapping`.
    """
    src_step = _source_step(source)
    dt = pd.Timedelta(hours=step_hours(index))
    if src_step < dt:  # finer source: interval means of the requested steps
        grouped = source.resample(dt, origin="start")
        incomplete = grouped.count() < grouped.size()
        source = grouped.mean().mask(incomplete)
        src_step = dt
    mapping = year_mapping(pd.DatetimeIndex(source.index), index, tz, source_year)
    local_years = index.tz_convert(tz).year
    shift = np.zeros(len(index), dtype="m8[ns]")
    for year, src_year in mapping.items():
        if year == src_year:
            continue
        start_y, start_s = _year_start_utc(year, tz), _year_start_utc(src_year, tz)
        end_s = _year_start_utc(src_year + 1, tz)
        weeks = round((start_y - start_s) / _WEEK)
        mask = np.asarray(local_years == year)
        shifted = index[mask] - weeks * _WEEK
        shifted = shifted.where(shifted < end_s, shifted - _WEEK)
        shifted = shifted.where(shifted >= start_s, shifted + _WEEK)
        shift[mask] = (index[mask] - shifted).to_numpy()
        logger.info(
            "%s for %d taken from %d, shifted by %d weeks (weekday and hour kept)",
            what,
            year,
            src_year,
            weeks,
        )
    wanted = index - pd.TimedeltaIndex(shift)
    pos = source.index.searchsorted(wanted, side="right") - 1
    inside = (pos >= 0) & (wanted < source.index[np.clip(pos, 0, None)] + src_step)
    values = np.where(inside, source.to_numpy()[np.clip(pos, 0, None)], np.nan)
    missing = np.flatnonzero(np.isnan(values))
    if missing.size:
        i = int(missing[0])
        raise InputDataError(
            f"{what}: no value for {missing.size} of {len(index)} requested steps, first at "
            f"{index[i]} (UTC; source time {wanted[i]}); the source has a missing value "
            f"('-') or a gap there"
        )
    return pd.Series(values, index=index)
