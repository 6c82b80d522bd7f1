"""Building load profiles from the BDEW standard load profiles (via demandlib).

The BDEW standard load profiles (SLP) give the electricity demand of small
customers as quarter-hour values of *local* days, by season (or month) and day
type (working day, Saturday, Sunday/holiday):

* 1999 edition (VDEW 1999, shipped by demandlib's :class:`demandlib.bdew.ElecSlp`):
  H0 households, G0-G6 trade and commerce, L0-L2 agriculture. H0 is used with
  the BDEW dynamisation function (4th-degree polynomial of the day of year), as
  German grid operators apply it.
* 2025 edition (BDEW 2025, demandlib's :class:`~demandlib.bdew.H25`, ``G25``,
  ``L25``, ``P25``, ``S25``): month x day-type profiles; H25/P25/S25 are
  dynamised.

Calendar rules (VDEW, "Anwendung der Repräsentativen VDEW-Lastprofile
step-by-step", M-05/2000; the same rules in grid operators' SLP pages, e.g.
Bayernwerk Netz "Standardlastprofile (SLP)"):

* public holidays of the federal state (``holidays`` package, default
  ``subdiv="TH"``, Thuringia) get the Sunday profile;
* 24 and 31 December get the Saturday profile unless they fall on a Sunday;
* daylight saving time: the profile is a function of local wall-clock time.
  On the spring day the local hour 02:00-03:00 does not exist and is dropped
  (92 quarter-hours); on the autumn day it occurs twice and its profile values
  are repeated (100 quarter-hours). Each step is thus counted once on the UTC
  axis, and the year is then normalised.

Scaling: each local calendar year of the profile is normalised so that its
energy ``sum(p_kw * dt_h)`` equals ``annual_kwh``; a horizon shorter than a
year gets the values of those days of that annual profile.

Power is positive when drawn by the building (load convention). Series are on
UTC indexes labelled at interval start; values are interval means [kW].
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import importlib.resources
import logging
from typing import get_args

import holidays as holidays_lib
import numpy as np
import pandas as pd
from demandlib import bdew
from demandlib.bdew.elec_slp import dynamisation_function

from energy.district import District, LoadProfile
from energy.errors import InputDataError
from energy.timeindex import check_timezone, require_utc_index, step_hours

logger = logging.getLogger(__name__)

#: Profile names accepted by :func:`profile_kw` (the district spec's ``LoadProfile``).
PROFILES: tuple[str, ...] = get_args(LoadProfile)

#: 1999 profiles -> column of :class:`demandlib.bdew.ElecSlp` (H0 dynamised).
_PROFILES_1999: dict[str, str] = {
    "H0": "h0_dyn",
    "G0": "g0",
    "G1": "g1",
    "G2": "g2",
    "G3": "g3",
    "G4": "g4",
    "G5": "g5",
    "G6": "g6",
    "L0": "l0",
    "L1": "l1",
    "L2": "l2",
}

#: Columns of the 1999 profile table (demandlib's ``selp_series.csv``).
_SLP_1999_COLUMNS = ("h0", "g0", "g1", "g2", "g3", "g4", "g5", "g6", "l0", "l1", "l2")

#: 2025 profiles -> demandlib class.
_PROFILES_2025: dict[str, type[pd.Series]] = {
    "H25": bdew.H25,
    "G25": bdew.G25,
    "L25": bdew.L25,
    "P25": bdew.P25,
    "S25": bdew.S25,
}

_QUARTER = pd.Timedelta(minutes=15)
_QUARTER_H = 0.25


def check_profile(profile: str) -> str:
    """Return the canonical (upper-case) name of a BDEW profile.

    Raises
    ------
    InputDataError
        If ``profile`` is not one of :data:`PROFILES`.
    """
    key = str(profile).strip().upper()
    if key not in PROFILES:
        raise InputDataError(
            f"profile: {profile!r} is not a known BDEW standard load profile; "
            f"allowed: {', '.join(PROFILES)}"
        )
    return key


@functools.lru_cache(maxsize=64)
def holiday_dates(year: int, state: str = "TH") -> tuple[dt.date, ...]:
    """Public holidays of a German federal state in ``year`` (``holidays`` package).

    Parameters
    ----------
    year
        Calendar year.
    state
        Federal state code as used by ``holidays`` (``"TH"`` Thuringia, ``"SN"``,
        ``"BY"``, ...). Thuringia has had Weltkindertag (20 Sep) since 2019.
    """
    try:
        days = holidays_lib.country_holidays("DE", subdiv=state, years=year)
    except NotImplementedError as exc:
        allowed = ", ".join(holidays_lib.country_holidays("DE").subdivisions)
        raise InputDataError(
            f"state: {state!r} is not a German federal state code; allowed: {allowed}"
        ) from exc
    return tuple(sorted(days))


@functools.lru_cache(maxsize=1)
def _slp_1999_table() -> tuple[np.ndarray, dict[tuple[str, int], int]]:
    """Return the 1999 BDEW profile values shipped with demandlib and each day type's start.

    demandlib's ``bdew_data/selp_series.csv`` holds 96 quarter-hours (from 00:00,
    in order) for every season (``period``) and weekday (1 = Monday .. 7 =
    Sunday) of the VDEW 1999 profiles. Returns the values (rows x
    :data:`_SLP_1999_COLUMNS`) and ``{(season, weekday): first row}``.
    """
    source = importlib.resources.files("demandlib.bdew") / "bdew_data" / "selp_series.csv"
    with importlib.resources.as_file(source) as path:
        table = pd.read_csv(path)
    starts = {
        (str(period), int(weekday)): int(rows.index[0])
        for (period, weekday), rows in table.groupby(["period", "weekday"])
    }
    return table[list(_SLP_1999_COLUMNS)].to_numpy(dtype=float), starts


def _season_1999(dates: pd.DatetimeIndex) -> np.ndarray:
    """Return the VDEW 1999 season of each date (winter 1 Nov-20 Mar, summer 15 May-14 Sep)."""
    md = dates.month.to_numpy() * 100 + dates.day.to_numpy()
    return np.where(
        (md <= 320) | (md >= 1101),
        "winter",
        np.where((md >= 515) & (md <= 914), "summer", "transition"),
    )


@functools.lru_cache(maxsize=16)
def _elec_slp_frame(year: int, holidays: tuple[dt.date, ...]) -> pd.DataFrame:
    """All 1999 BDEW profiles of ``year`` on naive local quarter-hours (96 per day).

    The values of demandlib's :class:`demandlib.bdew.ElecSlp` (the same table,
    seasons and day types; holidays take the Sunday profile), each column
    normalised to a sum of 1, and ``h0_dyn`` = ``h0`` times demandlib's BDEW
    dynamisation function. Built here from the table because ``ElecSlp`` calls
    ``warnings.simplefilter("error")`` on the process-wide warning filters,
    which no thread of the API may do (or undo with ``warnings.catch_warnings``).
    """
    values, starts = _slp_1999_table()
    days = 366 if calendar.isleap(year) else 365
    naive = pd.date_range(dt.datetime(year, 1, 1), periods=96 * days, freq="15min")
    weekday = naive.weekday.to_numpy() + 1
    weekday[np.isin(naive.normalize(), pd.DatetimeIndex(holidays))] = 7
    season = _season_1999(naive)
    first = np.array([starts[(s, int(w))] for s, w in zip(season, weekday, strict=True)])
    rows = first + naive.hour.to_numpy() * 4 + naive.minute.to_numpy() // 15
    columns = {}
    for j, name in enumerate(_SLP_1999_COLUMNS):
        column = np.ascontiguousarray(values[rows, j])
        columns[name] = column / column.sum()
    frame = pd.DataFrame(columns, index=naive)
    frame["h0_dyn"] = frame["h0"].mul(dynamisation_function(naive), axis=0)
    return frame


@functools.lru_cache(maxsize=32)
def _bdew25_series(profile: str, year: int, holidays: tuple[dt.date, ...]) -> pd.Series:
    """Return a 2025 BDEW profile of ``year`` on naive local quarter-hours (96 per day)."""
    days = 366 if calendar.isleap(year) else 365
    naive = pd.date_range(dt.datetime(year, 1, 1), periods=96 * days, freq="15min")
    values = _PROFILES_2025[profile](naive, holidays=list(holidays))
    return pd.Series(np.asarray(values, dtype=float), index=naive)


def _naive_profile(
    profile: str, year: int, holidays: tuple[dt.date, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Unscaled profile of ``year`` on naive local quarter-hours, as demandlib gives it.

    Returns the values and the dynamisation factor of each quarter-hour (1 for
    static profiles): demandlib's H0 factor is ``h0_dyn / h0``, the 2025
    profiles' factor is their class's ``dynamisation_function``.
    """
    if profile in _PROFILES_1999:
        frame = _elec_slp_frame(year, holidays)
        values = frame[_PROFILES_1999[profile]].to_numpy(dtype=float)
        if profile == "H0":
            return values, values / frame["h0"].to_numpy(dtype=float)
        return values, np.ones_like(values)
    series = _bdew25_series(profile, year, holidays)
    dynamisation = getattr(_PROFILES_2025[profile], "dynamisation_function", None)
    if dynamisation is None:
        return series.to_numpy(dtype=float), np.ones(len(series))
    factor = np.asarray(dynamisation(series.index), dtype=float)
    return series.to_numpy(dtype=float), factor


def _local_profile(profile: str, year: int, state: str) -> np.ndarray:
    """Profile of local ``year`` with the holiday and 24/31 December rules applied.

    24 and 31 December (unless a Sunday or holiday) take the values of the last
    Saturday on or before 24 December (same month and season; 18-24 December
    hold no German public holiday), times the ratio of the dynamisation factors.
    Returns the unscaled values on naive local quarter-hours (96 per day).
    """
    days_off = holiday_dates(year, state)
    values, factor = _naive_profile(profile, year, days_off)
    values = values.copy()
    christmas_eve = dt.date(year, 12, 24)
    saturday = christmas_eve - dt.timedelta(days=(christmas_eve.weekday() - 5) % 7)
    ref = slice(96 * (saturday.timetuple().tm_yday - 1), 96 * saturday.timetuple().tm_yday)
    for day in (christmas_eve, dt.date(year, 12, 31)):
        if day.weekday() == 6 or day in days_off:
            continue  # a Sunday or a holiday keeps the Sunday profile
        start = 96 * (day.timetuple().tm_yday - 1)
        target = slice(start, start + 96)
        values[target] = values[ref] * factor[target] / factor[ref]
    return values


@functools.lru_cache(maxsize=128)
def _unit_year(profile: str, year: int, tz: str, state: str) -> np.ndarray:
    """Profile of local ``year`` on its UTC quarter-hours at unit annual energy.

    Returns read-only values [kW per kWh/a] whose energy
    ``sum(values) * 0.25 h`` is 1 kWh. Wall-clock times map the DST days: the
    missing spring hour is dropped, the repeated autumn hour repeats its values.
    """
    local = _local_profile(profile, year, state)
    naive_index = pd.date_range(dt.datetime(year, 1, 1), periods=len(local), freq="15min")
    start = pd.Timestamp(year=year, month=1, day=1).tz_localize(tz)
    end = pd.Timestamp(year=year + 1, month=1, day=1).tz_localize(tz)
    utc = pd.date_range(
        start.tz_convert("UTC"), end.tz_convert("UTC"), freq=_QUARTER, inclusive="left"
    )
    wall = utc.tz_convert(tz).tz_localize(None)
    positions = naive_index.get_indexer(wall)
    if (positions < 0).any():  # pragma: no cover - wall times always lie in the year
        raise InputDataError(f"profile {profile}: no value for some local times of {year}")
    values = local[positions]
    total_kwh = float(values.sum()) * _QUARTER_H
    if not np.isfinite(values).all() or total_kwh <= 0:
        raise InputDataError(f"profile {profile}: demandlib returned invalid values for {year}")
    unit = values / total_kwh
    unit.setflags(write=False)
    return unit


def _unit_profile(profile: str, index: pd.DatetimeIndex, tz: str, state: str) -> np.ndarray:
    """Interval means of the unit-energy profile on ``index`` [kW per kWh/a]."""
    dt_h = step_hours(index)
    quarters = dt_h / _QUARTER_H
    k = round(quarters)
    if k < 1 or abs(quarters - k) > 1e-9:
        raise InputDataError(
            f"index: step {dt_h * 60:g} min is not allowed; load profiles need a multiple "
            "of 15 min (15min, 30min, 1h)"
        )
    if (index[0] - index[0].floor(_QUARTER)) != pd.Timedelta(0):
        raise InputDataError(
            f"index: first label {index[0]} is not on a quarter-hour; BDEW profiles are "
            "quarter-hour values"
        )
    step = pd.Timedelta(hours=dt_h)
    first_year = index[0].tz_convert(tz).year
    last_year = (index[-1] + step - pd.Timedelta(1, "ns")).tz_convert(tz).year
    years = range(first_year, last_year + 1)
    values = np.concatenate([_unit_year(profile, y, tz, state) for y in years])
    base = pd.Timestamp(year=first_year, month=1, day=1).tz_localize(tz).tz_convert("UTC")
    pos = np.asarray((index - base) // _QUARTER, dtype=np.int64)
    if k == 1:
        return values[pos]
    cum = np.concatenate(([0.0], np.cumsum(values)))
    return (cum[pos + k] - cum[pos]) / k


def profile_kw(
    profile: str,
    annual_kwh: float,
    index: pd.DatetimeIndex,
    tz: str = "Europe/Berlin",
    state: str = "TH",
) -> pd.Series:
    """Load of one customer from a BDEW standard load profile [kW].

    Parameters
    ----------
    profile
        BDEW profile name, one of :data:`PROFILES` (H0 is dynamised).
    annual_kwh
        Energy of each local calendar year [kWh/a], >= 0.
    index
        tz-aware index labelled at interval start, step a multiple of 15 min
        (15 min, 30 min, 1 h), any span (partial years and several years).
    tz
        Local time zone in which the profile's quarter-hours and days are read.
    state
        Federal state whose public holidays get the Sunday profile.

    Returns
    -------
    pandas.Series
        Interval-mean power [kW] on ``index`` (UTC). For every complete local
        year in ``index``, ``sum(p_kw) * dt_h == annual_kwh``.

    References
    ----------
    VDEW (1999): Repräsentative VDEW-Lastprofile, VDEW-Materialien M-28/99;
    VDEW (2000): Anwendung der Repräsentativen VDEW-Lastprofile step-by-step,
    M-05/2000; BDEW (2025): Standardlastprofile Strom,
    https://www.bdew.de/energie/standardlastprofile-strom/; demandlib (oemof),
    https://github.com/oemof/demandlib.
    """
    key = check_profile(profile)
    if not np.isfinite(annual_kwh) or annual_kwh < 0:
        raise InputDataError(f"annual_kwh: {annual_kwh} kWh/a is not allowed; it must be >= 0")
    check_timezone(tz)
    utc = require_utc_index(index)
    unit = _unit_profile(key, utc, tz, state)
    return pd.Series(unit * float(annual_kwh), index=utc, name="p_kw")


def district_loads_kw(
    district: District, index: pd.DatetimeIndex, state: str = "TH"
) -> pd.DataFrame:
    """Return the loads of all buildings of a district [kW], one column per building.

    Each distinct profile is computed once at unit annual energy and scaled by
    the building's ``annual_kwh``. Local time is the site's time zone.
    """
    utc = require_utc_index(index)
    tz = district.site.timezone
    units = {p: _unit_profile(p, utc, tz, state) for p in {b.profile for b in district.buildings}}
    data = {b.id: units[b.profile] * b.annual_kwh for b in district.buildings}
    frame = pd.DataFrame(data, index=utc)
    frame.columns.name = "building"
    return frame
