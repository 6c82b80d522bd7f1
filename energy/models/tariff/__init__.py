"""Electricity prices, feed-in remuneration and grid CO2 intensity as time series.

Modules:

* :mod:`~energy.models.tariff.series`: a :class:`~energy.district.TariffSpec`
  turned into the series the optimiser consumes (:func:`tariff_series`), with
  the cited German default figures;
* :mod:`~energy.models.tariff.files`: the data files as written (SMARD.de
  day-ahead prices, :func:`read_smard`; CO2 intensity CSV, :func:`read_co2_csv`);
* :mod:`~energy.models.tariff.mapping`: a series of some years onto any horizon
  by whole-week shifts (:func:`year_mapping`);
* :mod:`~energy.models.tariff.grid_fee_14a`: the §14a EnWG grid-fee modules 1,
  2 and 3 per household (:func:`~energy.models.tariff.grid_fee_14a.compare_modules`).
"""

from energy.models.tariff.files import (
    DEFAULT_DAY_AHEAD_FILE,
    SMARD_TZ,
    read_co2_csv,
    read_smard,
)
from energy.models.tariff.mapping import year_mapping
from energy.models.tariff.series import (
    UBA_CO2_G_PER_KWH,
    co2_g_per_kwh,
    day_ahead_eur_per_kwh,
    day_ahead_source,
    feed_in_eur_per_kwh,
    import_price_eur_per_kwh,
    tariff_series,
)

__all__ = [
    "DEFAULT_DAY_AHEAD_FILE",
    "SMARD_TZ",
    "UBA_CO2_G_PER_KWH",
    "co2_g_per_kwh",
    "day_ahead_eur_per_kwh",
    "day_ahead_source",
    "feed_in_eur_per_kwh",
    "import_price_eur_per_kwh",
    "read_co2_csv",
    "read_smard",
    "tariff_series",
    "year_mapping",
]
