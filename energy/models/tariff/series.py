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

Day-ahead prices and the year mapping
-------------------------------------
SMARD.de day-ahead prices [EUR/MWh] are read by :mod:`energy.models.tariff.files`;
years the file lacks are mapped from its nearest complete year by whole-week
shifts (:func:`energy.models.tariff.mapping.year_mapping`).

All prices are in EUR/kWh inside this module and the library; SMARD's EUR/MWh
appear only in :func:`~energy.models.tariff.files.read_smard`'s result.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from energy.district import TariffSpec
from energy.errors import InputDataError
from energy.models.tariff.files import DEFAULT_DAY_AHEAD_FILE, data_file, read_co2_csv, read_smard
from energy.models.tariff.mapping import on_index
from energy.timeindex import check_timezone, require_utc_index, step_hours

logger = logging.getLogger(__name__)

#: German grid CO2 intensity [g/kWh], CO2 only, by year (Umweltbundesamt,
#: "Entwicklung der spezifischen Treibhausgas-Emissionen des deutschen Strommix
#: in den Jahren 1990-2024", 2025; 2024 is an estimate).
UBA_CO2_G_PER_KWH: dict[int, float] = {2022: 433.0, 2023: 386.0, 2024: 363.0}


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
    path = data_file(spec.day_ahead_file or DEFAULT_DAY_AHEAD_FILE, "tariff.day_ahead_file")
    return read_smard(path, spec.day_ahead_zone) / 1000.0


def day_ahead_eur_per_kwh(
    spec: TariffSpec, index: pd.DatetimeIndex, tz: str = "Europe/Berlin"
) -> pd.Series:
    """Day-ahead wholesale price on ``index`` [EUR/kWh].

    Years the file lacks are mapped from its nearest complete year by whole-week
    shifts (:func:`energy.models.tariff.mapping.year_mapping`); with
    ``spec.price_year`` every year is taken from that year of the file (an
    ensemble's price years). A requested
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
    series = on_index(
        day_ahead_source(spec),
        index,
        tz,
        f"day-ahead prices ({spec.day_ahead_zone})",
        source_year=spec.price_year,
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
    source = read_co2_csv(data_file(spec.co2_file, "tariff.co2_file"))
    return on_index(source, index, tz, "CO2 intensity").rename("co2_g_per_kwh")


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
