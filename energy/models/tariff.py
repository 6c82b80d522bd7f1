"""Electricity prices, feed-in remuneration and grid CO2 intensity as time series.

This module turns a :class:`energy.district.TariffSpec` into the series the
optimiser consumes (:func:`tariff_series`): an import price, a feed-in
remuneration and a CO2 intensity per time step, on a tz-aware UTC index
labelled at interval start.

Import price kinds
------------------
``flat``
    ``flat_eur_per_kwh`` in every step.
``time_of_use``
    Bands of local hours (:class:`energy.district.TouPeriod`); hours no band
    covers get the flat price.
``day_ahead``
    A dynamic end-customer tariff as every supplier must offer since 1 Jan 2025
    (§ 41a Abs. 2 EnWG, https://www.gesetze-im-internet.de/enwg_2005/__41a.html):
    ``(day-ahead price + surcharges) * (1 + VAT)``.

German default figures (cited)
------------------------------
* Household price 2025: 39.7 ct/kWh incl. VAT for 3,500 kWh/a (BDEW
  Strompreisanalyse, Oct 2025, https://www.bdew.de/service/daten-und-grafiken/
  bdew-strompreisanalyse/); the default flat price of :class:`TariffSpec`.
* Surcharges on the day-ahead price, default 0.22 EUR/kWh (net of VAT). Their
  2025 parts, in ct/kWh: network charges incl. metering 10.95 (BDEW
  Strompreisanalyse 2025 average; BNetzA/BKartA Monitoringbericht, household
  price components, https://www.bundesnetzagentur.de/monitoringbericht);
  Aufschlag für besondere Netznutzung (former § 19 StromNEV levy) 1.558,
  Offshore-Netzumlage 0.816, KWKG-Umlage 0.277 (transmission system operators,
  https://www.netztransparenz.de); electricity tax 2.05 (§ 3 StromStG);
  concession fee 1.59 for towns of 25,001-100,000 inhabitants such as Gera
  (§ 2 Abs. 2 KAV; BDEW average 1.67). These sum to 17.24 ct/kWh; the remaining
  about 4.8 ct/kWh covers the supplier's sales, balancing and margin. With the
  2024 mean DE-LU day-ahead price of about 7.9 ct/kWh this gives
  (7.9 + 22) * 1.19 = 35.6 ct/kWh, below the BDEW average of 39.7 ct/kWh,
  which also contains fixed charges spread over the kWh and hedged
  procurement.
* EEG feed-in tariff, surplus feed-in, <= 10 kWp: 7.94 ct/kWh for systems
  commissioned Feb-Jul 2025, 7.78 ct/kWh from Feb 2026 (§§ 48, 49 EEG 2023;
  rates published by the Bundesnetzagentur, https://www.bundesnetzagentur.de/
  DE/Fachthemen/ElektrizitaetundGas/ErneuerbareEnergien/EEG_Foerderung/).
* No feed-in payment in time steps with a negative day-ahead price, for
  systems commissioned from 25 Feb 2025: § 51 EEG 2023 as amended by the
  Solarspitzengesetz (Gesetz zur Änderung des Energiewirtschaftsrechts zur
  Vermeidung von temporären Erzeugungsüberschüssen, 21 Feb 2025, BGBl. 2025 I
  Nr. 51; https://www.gesetze-im-internet.de/eeg_2014/__51.html).
* Grid CO2 intensity, CO2 only, German electricity mix: 433 g/kWh (2022),
  386 g/kWh (2023), 363 g/kWh (2024, estimate) (Umweltbundesamt, "Entwicklung
  der spezifischen Treibhausgas-Emissionen des deutschen Strommix in den Jahren
  1990-2024", Climate Change series, 2025, https://www.umweltbundesamt.de).

Day-ahead data and year mapping
-------------------------------
Day-ahead prices come from a SMARD.de export (Bundesnetzagentur, CC BY 4.0,
https://www.smard.de/home/downloadcenter/download-marktdaten), read exactly as
SMARD writes it (:func:`read_smard`). The shipped file covers 2023-2024. When
a requested local calendar year is not in the file (a planning year such as
2025 or 2026), the nearest fully covered year of the file is mapped onto it by
shifting whole weeks: every requested time ``t`` takes the value at
``t - n * 7 days`` with ``n = round((start of requested year - start of source
year) / 7 days)``; steps that land outside the source year move one more week
into it (at most the last or first few days of the year). Weekday and hour of
day are kept (a Monday 18:00 price comes from a Monday 18:00), so the weekly
price shape and the weekday/weekend contrast survive; public holidays and the
exact DST switch hours do not move with the calendar. :func:`year_mapping`
returns the ``{requested year: source year}`` pairs, and each mapping is logged
at INFO level. This is a planning proxy for an unknown future year, not a
forecast.

All prices are in EUR/kWh inside this module and the library; SMARD's EUR/MWh
appear only in :func:`read_smard`'s result.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from energy.district import DATA_DIR, TariffSpec
from energy.errors import InputDataError
from energy.timeindex import check_timezone, require_utc_index, step_hours

logger = logging.getLogger(__name__)

#: Time zone of SMARD's "Datum von"/"Datum bis" columns (German local time).
SMARD_TZ = "Europe/Berlin"

#: Day-ahead file used when ``TariffSpec.day_ahead_file`` is None (relative to DATA_DIR).
DEFAULT_DAY_AHEAD_FILE = "prices/smard_dayahead_2023_2024_hourly.csv"

#: German grid CO2 intensity [g/kWh], CO2 only, by year (Umweltbundesamt,
#: "Entwicklung der spezifischen Treibhausgas-Emissionen des deutschen Strommix
#: in den Jahren 1990-2024", 2025; 2024 is an estimate).
UBA_CO2_G_PER_KWH: dict[int, float] = {2022: 433.0, 2023: 386.0, 2024: 363.0}

_WEEK = pd.Timedelta(days=7)
# A SMARD number: decimal comma, optional '.' thousands groups, optional sign.
_SMARD_NUMBER = re.compile(r"^-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")
# An ISO 8601 time stamp that carries its UTC offset ('Z', '+01:00', '+0100').
_ISO_WITH_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


# -- files --------------------------------------------------------------------
def _data_file(path: str | Path, field: str) -> Path:
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
        complete prices (:func:`day_ahead_eur_per_kwh`) reject a period with
        NaN.

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
    for column in ("Datum von", "Datum bis"):
        if column not in raw.columns:
            raise InputDataError(
                f"{path}: column {column!r} is missing; a SMARD export starts with "
                f"'Datum von;Datum bis;<zone> [€/MWh] ...' (got {list(raw.columns)[:3]})"
            )
    if raw.empty:
        raise InputDataError(f"{path}: the file has a header but no data rows")
    zones = {str(c).split(" [")[0].strip(): c for c in raw.columns[2:]}
    if zone not in zones:
        raise InputDataError(
            f"{path}: bidding zone {zone!r} is not in the file; available: {sorted(zones)}"
        )
    line = np.arange(len(raw)) + 2  # file line of each row: header is line 1

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

    text = raw[zones[zone]].str.strip()
    absent = text.isin(["-", ""]).to_numpy()
    valid = text.str.fullmatch(_SMARD_NUMBER).to_numpy(dtype=bool)
    bad = ~absent & ~valid
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"{path}, line {line[i]}, column {zones[zone]!r}: {text.iloc[i]!r} is not a "
            f"number with decimal comma (e.g. '-12,34') or '-' for missing"
        )
    numbers = (
        text.where(~absent).str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    values = pd.to_numeric(numbers).to_numpy(dtype=float)
    index = pd.DatetimeIndex(start_utc, name="time", freq=step)
    return pd.Series(values, index=index, name="day_ahead_eur_per_mwh")


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
    for column in ("time", "co2_g_per_kwh"):
        if column not in raw.columns:
            raise InputDataError(
                f"{p}: column {column!r} is missing; expected columns 'time' (ISO 8601 "
                f"with UTC offset) and 'co2_g_per_kwh' (got {list(raw.columns)})"
            )
    if raw.empty:
        raise InputDataError(f"{p}: the file has a header but no data rows")
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


# -- mapping a source series onto the requested index -------------------------
def _year_start_utc(year: int, tz: str) -> pd.Timestamp:
    return pd.Timestamp(year=year, month=1, day=1).tz_localize(tz).tz_convert("UTC")


def _source_step(source: pd.Series) -> pd.Timedelta:
    return pd.Timedelta(hours=step_hours(pd.DatetimeIndex(source.index)))


def year_mapping(
    source_index: pd.DatetimeIndex, index: pd.DatetimeIndex, tz: str = "Europe/Berlin"
) -> dict[int, int]:
    """Return ``{requested local year: source local year}`` for ``index``.

    A requested year whose steps all lie inside the source series maps to
    itself. Any other year maps to the nearest local calendar year that the
    source covers completely (on a tie, the later one); the module docstring
    explains the whole-week shift used for it.

    Parameters
    ----------
    source_index
        Regular UTC index of the source series (e.g. SMARD prices).
    index
        Requested UTC index.
    tz
        Time zone that defines calendar years.

    Raises
    ------
    InputDataError
        If the source covers no complete calendar year and the request is not
        inside it.
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


def _on_index(source: pd.Series, index: pd.DatetimeIndex, tz: str, what: str) -> pd.Series:
    """Put ``source`` on ``index``: year mapping, hold or average, NaN check."""
    src_step = _source_step(source)
    dt = pd.Timedelta(hours=step_hours(index))
    if src_step < dt:  # finer source: interval means of the requested steps
        grouped = source.resample(dt, origin="start")
        incomplete = grouped.count() < grouped.size()
        source = grouped.mean().mask(incomplete)
        src_step = dt
    mapping = year_mapping(pd.DatetimeIndex(source.index), index, tz)
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


# -- public series -------------------------------------------------------------
def _check_index(index: pd.DatetimeIndex, tz: str) -> pd.DatetimeIndex:
    check_timezone(tz)
    index = require_utc_index(index)
    step_hours(index)  # raises on an irregular index
    return index


def day_ahead_source(spec: TariffSpec) -> pd.Series:
    """Return the day-ahead price series of ``spec`` as read from its file [EUR/kWh].

    ``spec.day_ahead_file`` (relative paths resolve against
    :data:`energy.district.DATA_DIR`; None means :data:`DEFAULT_DAY_AHEAD_FILE`),
    zone ``spec.day_ahead_zone``, converted from EUR/MWh to EUR/kWh.
    """
    path = _data_file(spec.day_ahead_file or DEFAULT_DAY_AHEAD_FILE, "tariff.day_ahead_file")
    return read_smard(path, spec.day_ahead_zone) / 1000.0


def day_ahead_eur_per_kwh(
    spec: TariffSpec, index: pd.DatetimeIndex, tz: str = "Europe/Berlin"
) -> pd.Series:
    """Day-ahead wholesale price on ``index`` [EUR/kWh].

    Years the file lacks are mapped from its nearest complete year by whole-week
    shifts (see the module docstring and :func:`year_mapping`). A requested
    step shorter than the file's step holds the file's value (15-min steps
    within an hour get the hour's price); a longer step gets the mean of the
    file's steps within it.

    Parameters
    ----------
    spec
        Tariff; uses ``day_ahead_file`` and ``day_ahead_zone``.
    index
        tz-aware UTC index labelled at interval start.
    tz
        Time zone that defines the calendar years for the year mapping.

    Returns
    -------
    pandas.Series
        ``day_ahead_eur_per_kwh`` [EUR/kWh], can be negative.

    Raises
    ------
    InputDataError
        If the file is missing or unreadable, or has missing values ('-') in
        the requested period.
    """
    index = _check_index(index, tz)
    series = _on_index(
        day_ahead_source(spec), index, tz, f"day-ahead prices ({spec.day_ahead_zone})"
    )
    return series.rename("day_ahead_eur_per_kwh")


def _time_of_use(spec: TariffSpec, index: pd.DatetimeIndex, tz: str) -> np.ndarray:
    """Time-of-use prices: first listed band covering the local hour wins."""
    local = index.tz_convert(tz)
    hour = np.asarray(local.hour)
    weekday = np.asarray(local.dayofweek) < 5
    price = np.full(len(index), spec.flat_eur_per_kwh)
    unset = np.ones(len(index), dtype=bool)
    for i, band in enumerate(spec.time_of_use):
        if band.start_hour == band.end_hour:
            raise InputDataError(
                f"tariff.time_of_use[{i}]: start_hour = end_hour = {band.start_hour} is an "
                f"empty band; use 0-24 for a whole day"
            )
        if band.start_hour < band.end_hour:
            in_band = (hour >= band.start_hour) & (hour < band.end_hour)
        else:  # wraps over midnight, e.g. 22-6
            in_band = (hour >= band.start_hour) | (hour < band.end_hour)
        if band.weekdays_only:
            in_band &= weekday
        take = in_band & unset
        price[take] = band.price_eur_per_kwh
        unset &= ~take
    return price


def import_price_eur_per_kwh(
    spec: TariffSpec,
    index: pd.DatetimeIndex,
    tz: str = "Europe/Berlin",
    *,
    day_ahead: pd.Series | None = None,
) -> pd.Series:
    """End-customer price of electricity drawn from the grid [EUR/kWh].

    ``spec.import_kind``:

    * ``"flat"``: ``spec.flat_eur_per_kwh`` in every step;
    * ``"time_of_use"``: each :class:`~energy.district.TouPeriod` covers local
      hours ``[start_hour, end_hour)`` (a band with ``start_hour > end_hour``
      wraps over midnight, e.g. 22-6); ``weekdays_only`` bands apply Monday to
      Friday (public holidays are not excluded); where bands overlap, the
      first listed wins; uncovered hours get ``spec.flat_eur_per_kwh``;
    * ``"day_ahead"``: ``(p_da + spec.surcharges_eur_per_kwh) * (1 + spec.vat_frac)``
      with ``p_da`` the day-ahead price [EUR/kWh], a dynamic tariff under
      § 41a EnWG. Negative wholesale prices pass through, so the end price can
      be negative when ``p_da < -surcharges``.

    Parameters
    ----------
    spec
        Tariff.
    index
        tz-aware UTC index labelled at interval start.
    tz
        Local time zone of the time-of-use bands and of the calendar years.
    day_ahead
        Day-ahead prices on ``index`` [EUR/kWh] if already computed (as
        :func:`tariff_series` does); else read from the spec's file.

    Returns
    -------
    pandas.Series
        ``import_price_eur_per_kwh`` [EUR/kWh].
    """
    index = _check_index(index, tz)
    if spec.import_kind == "flat":
        values = np.full(len(index), spec.flat_eur_per_kwh)
    elif spec.import_kind == "time_of_use":
        values = _time_of_use(spec, index, tz)
    else:
        if day_ahead is None:
            day_ahead = day_ahead_eur_per_kwh(spec, index, tz)
        values = (day_ahead.to_numpy() + spec.surcharges_eur_per_kwh) * (1.0 + spec.vat_frac)
    return pd.Series(values, index=index, name="import_price_eur_per_kwh")


def feed_in_eur_per_kwh(
    spec: TariffSpec,
    index: pd.DatetimeIndex,
    tz: str = "Europe/Berlin",
    *,
    day_ahead: pd.Series | None = None,
) -> pd.Series:
    """Remuneration of electricity fed into the grid [EUR/kWh].

    ``spec.feed_in_eur_per_kwh`` in every step, except that with
    ``spec.feed_in_zero_when_negative`` it is 0 in steps whose day-ahead price
    is negative (strictly below 0; a price of exactly 0 is still paid), as
    § 51 Abs. 1 EEG 2023 as amended by the Solarspitzengesetz (BGBl. 2025 I
    Nr. 51) prescribes for systems commissioned from 25 Feb 2025. The EEG
    rule uses the spot price of the step; with an hourly price file and a
    15-min index each quarter-hour takes its hour's price.

    Parameters
    ----------
    spec, index, tz
        As for :func:`import_price_eur_per_kwh`.
    day_ahead
        Day-ahead prices on ``index`` [EUR/kWh] if already computed.

    Returns
    -------
    pandas.Series
        ``feed_in_eur_per_kwh`` [EUR/kWh], >= 0.
    """
    index = _check_index(index, tz)
    values = np.full(len(index), spec.feed_in_eur_per_kwh)
    if spec.feed_in_zero_when_negative:
        if day_ahead is None:
            day_ahead = day_ahead_eur_per_kwh(spec, index, tz)
        values[day_ahead.to_numpy() < 0.0] = 0.0
    return pd.Series(values, index=index, name="feed_in_eur_per_kwh")


def co2_g_per_kwh(
    spec: TariffSpec, index: pd.DatetimeIndex, tz: str = "Europe/Berlin"
) -> pd.Series:
    """CO2 intensity of electricity drawn from the grid [g/kWh].

    Without ``spec.co2_file`` the constant ``spec.co2_g_per_kwh`` (default
    363 g/kWh, UBA 2024 estimate; other years in :data:`UBA_CO2_G_PER_KWH`).
    With it, the hourly or 15-min series of :func:`read_co2_csv` (relative
    paths resolve against :data:`energy.district.DATA_DIR`), mapped onto
    ``index`` like the day-ahead prices (held for shorter steps, averaged for
    longer ones, missing years shifted by whole weeks from the nearest complete
    year).

    Returns
    -------
    pandas.Series
        ``co2_g_per_kwh`` [g/kWh].
    """
    index = _check_index(index, tz)
    if spec.co2_file is None:
        return pd.Series(np.full(len(index), spec.co2_g_per_kwh), index=index, name="co2_g_per_kwh")
    source = read_co2_csv(_data_file(spec.co2_file, "tariff.co2_file"))
    return _on_index(source, index, tz, "CO2 intensity").rename("co2_g_per_kwh")


def tariff_series(
    spec: TariffSpec, index: pd.DatetimeIndex, tz: str = "Europe/Berlin"
) -> pd.DataFrame:
    """All tariff series the optimiser needs, on ``index``.

    Parameters
    ----------
    spec
        Tariff.
    index
        tz-aware UTC index labelled at interval start.
    tz
        Local time zone (time-of-use bands, calendar years).

    Returns
    -------
    pandas.DataFrame
        Columns ``import_price_eur_per_kwh`` [EUR/kWh], ``feed_in_eur_per_kwh``
        [EUR/kWh], ``co2_g_per_kwh`` [g/kWh] and, when a day-ahead file is used
        (``import_kind == "day_ahead"`` or the negative-price feed-in rule),
        ``day_ahead_eur_per_kwh`` [EUR/kWh]. No NaN.
    """
    index = _check_index(index, tz)
    needs_day_ahead = spec.import_kind == "day_ahead" or spec.feed_in_zero_when_negative
    day_ahead = day_ahead_eur_per_kwh(spec, index, tz) if needs_day_ahead else None
    columns = {
        "import_price_eur_per_kwh": import_price_eur_per_kwh(spec, index, tz, day_ahead=day_ahead),
        "feed_in_eur_per_kwh": feed_in_eur_per_kwh(spec, index, tz, day_ahead=day_ahead),
        "co2_g_per_kwh": co2_g_per_kwh(spec, index, tz),
    }
    if day_ahead is not None:
        columns["day_ahead_eur_per_kwh"] = day_ahead
    return pd.DataFrame(columns, index=index)
