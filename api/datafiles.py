"""Files that a spec, a scenario or run options may name: shipped files inside data/ only.

A spec from the network may name data files (day-ahead prices, CO2 series,
a weather file); they must be relative paths inside ``data/`` that exist, so
no caller can make the server read another file. Checked when a district or
scenario is stored (422 naming the field) and again when a job reads its
options (:func:`api.runstore.load_run_inputs`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from energy.district import DATA_DIR
from energy.errors import InputDataError

#: Weather sources that name no file.
CLEAR_SKY_NAMES = ("clearsky", "clear_sky")
#: Tariff fields that name a data file.
TARIFF_FILE_FIELDS = ("day_ahead_file", "co2_file")


def check_data_file(value: str, field: str) -> Path:
    """Return the shipped data file ``value`` names, or raise naming ``field``."""
    path = Path(value)
    resolved = (DATA_DIR / path).resolve()
    if path.is_absolute() or not resolved.is_relative_to(DATA_DIR.resolve()):
        raise InputDataError(
            f"{field}: {value!r} is not allowed; name a file inside the data/ folder, "
            "e.g. prices/smard_dayahead_2023_2024_hourly.csv"
        )
    if not resolved.is_file():
        raise InputDataError(f"{field}: {value!r} does not exist in the data/ folder")
    return resolved


def check_tariff_files(tariff: Any, field: str) -> None:
    """Check the data files a tariff (of a spec or of scenario changes) names.

    Parameters
    ----------
    tariff
        An object with the attributes of :data:`TARIFF_FILE_FIELDS` (None: not named).
    field
        Where the tariff sits in the request, e.g. ``spec.tariff``.
    """
    for name in TARIFF_FILE_FIELDS:
        value = getattr(tariff, name)
        if value is not None:
            check_data_file(value, f"{field}.{name}")


def weather_file(weather: str | None, field: str) -> Path | None:
    """Return the weather file ``weather`` names; None for the typical year or clear sky."""
    if weather is None or weather.strip().lower() in CLEAR_SKY_NAMES:
        return None
    return check_data_file(weather, field)
