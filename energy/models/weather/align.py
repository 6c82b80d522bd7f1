"""Weather on a horizon: a typical year mapped onto calendar years, then onto the index.

:func:`weather_for_index` is what the rest of :mod:`energy` calls: it loads a
source (:mod:`~energy.models.weather.sources`) or computes clear sky, maps a
typical year onto each local year of the horizon (:func:`map_to_year`) and
puts the interval means onto the requested 15 min, 30 min or 1 h grid,
conserving energy (:func:`align_to_index`).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from energy.district import Site
from energy.errors import InputDataError
from energy.models.weather.clearsky import clear_sky
from energy.models.weather.frame import CANONICAL_COLUMNS, check_weather, fmt_file_time
from energy.models.weather.site import SiteCheck, check_site
from energy.models.weather.sources import WeatherSource, load_source
from energy.timeindex import require_utc_index, step_hours, year_index

logger = logging.getLogger(__name__)

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
        offset_h = frame.attrs["utc_offset_h"]
        raise InputDataError(
            f"{frame.attrs['source']}: the typical year has no data for "
            f"{fmt_file_time(target[gap[0]], offset_h)} to "
            f"{fmt_file_time(target[gap[-1]] + (target[1] - target[0]), offset_h)} "
            f"({len(gap)} steps); "
            "it must cover a whole year"
        )
    out = pd.DataFrame(frame.to_numpy()[pos], index=target, columns=list(CANONICAL_COLUMNS))
    out.attrs = dict(frame.attrs)
    return out


def align_to_index(frame: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Put interval means of ``frame`` onto ``index`` (any 15 min..1 h grid).

    Both grids are refined to their common divisor step; each fine step holds
    the value of the source interval containing it, and each target interval
    is the mean of its fine steps. An hourly mean on 15-min steps is thus held
    constant and energy is conserved for any alignment of the grids.

    Raises
    ------
    InputDataError
        If ``frame`` does not cover ``index``, naming the missing period.
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


def weather_for_index(
    index: pd.DatetimeIndex,
    site: Site,
    source: WeatherSource = None,
    site_check: SiteCheck | None = None,
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
        ``None``: the shipped DWD TRY 2015 region 9
        (:data:`~energy.models.weather.dwd_try.DEFAULT_TRY_FILE`), mapped onto the
        years of ``index``. ``"clearsky"``:
        :func:`~energy.models.weather.clearsky.clear_sky` at the site. A path: a
        weather file, see :func:`~energy.models.weather.sources.read_weather`. A
        dict: a parsed Open-Meteo response. A DataFrame: a canonical frame.
    site_check
        How strictly the weather's header must fit the site
        (:class:`~energy.models.weather.site.SiteCheck`, default strict);
        the mismatches allowed are ``attrs["site_warnings"]`` of the result.

    A source that covers ``index`` is used at its own dates. One that does not,
    but spans a whole year (a typical year), is mapped with
    :func:`map_to_year` onto each local year of ``index``. Hourly means are held
    constant on finer steps (energy is conserved) and averaged on coarser ones.

    Raises
    ------
    InputDataError
        If the source does not cover ``index``, naming the missing period; if
        the weather was recorded far from the site or in another time zone,
        naming both places (:func:`~energy.models.weather.site.check_site`).
    """
    utc = require_utc_index(index, "index")
    if isinstance(source, str) and source.strip().lower() in ("clearsky", "clear_sky"):
        sky = clear_sky(site.latitude, site.longitude, site.altitude_m, utc)
        sky.attrs["site_warnings"] = check_site({"source": "clearsky"}, site, site_check)
        return sky
    frame = load_source(source)
    warnings = check_site(frame.attrs, site, site_check)
    step = pd.Timedelta(hours=step_hours(frame.index))
    covers = frame.index[0] <= utc[0] and utc[-1] < frame.index[-1] + step
    if not covers and len(frame) * step >= pd.Timedelta(days=365):
        local = utc.tz_convert(site.timezone)
        years = range(local[0].year, local[-1].year + 1)
        frame = pd.concat([map_to_year(frame, y, site.timezone) for y in years])
        logger.info(
            "weather %s mapped as a typical year onto %s", frame.attrs.get("source"), list(years)
        )
    out = align_to_index(frame, utc)
    out.attrs["site_warnings"] = warnings
    return out
