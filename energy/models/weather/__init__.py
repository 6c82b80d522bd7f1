"""Weather for PV and lighting: readers, solar geometry, clear sky, alignment to a horizon.

Every function here returns the same *canonical frame*:

* a tz-aware UTC :class:`pandas.DatetimeIndex` named ``time``, labelled at the
  START of each interval; the values are interval means;
* exactly the columns :data:`CANONICAL_COLUMNS`, as floats:

  ============== ======= =====================================================
  column         unit    meaning
  ============== ======= =====================================================
  ``ghi``        W/m2    global horizontal irradiance
  ``dni``        W/m2    direct normal irradiance
  ``dhi``        W/m2    diffuse horizontal irradiance
  ``temp_air``   C       air temperature at 2 m
  ``wind_speed`` m/s     wind speed at 10 m
  ============== ======= =====================================================

  The names are pvlib's so that frames go straight into pvlib; units are fixed
  by this table.
* ``frame.attrs["utc_offset_h"]``: the fixed UTC offset [h] of the clock the
  file was written in (1 for the DWD TRY's MEZ, 0 for PVGIS); used by
  :func:`map_to_year` to map a typical year by the file's own hour of day.

Modules, one topic each:

* :mod:`~energy.models.weather.frame`: the canonical frame and its checks
  (:func:`check_weather`);
* readers, one per format, each mapping the vendor's column names to the
  canonical ones at the edge (``*_VARIABLE_MAP``, the pattern of
  ``pvlib.iotools``) and stating its interval labelling in its docstring:
  :mod:`~energy.models.weather.dwd_try` (:func:`read_try`),
  :mod:`~energy.models.weather.epw` (:func:`read_epw`),
  :mod:`~energy.models.weather.pvgis` (:func:`read_pvgis_tmy`),
  :mod:`~energy.models.weather.open_meteo` (:func:`read_open_meteo`), and
  :mod:`~energy.models.weather.sources` (:func:`read_weather` picks one). A
  damaged file (a line cut off, hours missing, columns missing) raises
  :class:`~energy.errors.InputDataError` naming the file and the line or the
  missing period;
* :mod:`~energy.models.weather.solar`: the sun at interval midpoints
  (:func:`solar_position`; with extraterrestrial irradiance and air mass,
  :func:`solar_geometry`, used by clear sky and by :mod:`energy.models.pv`),
  horizontal beam to DNI, Erbs decomposition (:func:`decompose_ghi`);
* :mod:`~energy.models.weather.clearsky`: Ineichen-Perez clear sky (:func:`clear_sky`);
* :mod:`~energy.models.weather.align`: a typical year onto calendar years
  (:func:`map_to_year`) and any source onto a horizon (:func:`weather_for_index`).
"""

from energy.models.weather.align import map_to_year, weather_for_index
from energy.models.weather.clearsky import DEFAULT_WIND_SPEED, TRY_MONTHLY_TEMP_AIR_C, clear_sky
from energy.models.weather.dwd_try import (
    DEFAULT_TRY_FILE,
    TRY_NOMINAL_YEAR,
    TRY_VARIABLE_MAP,
    read_try,
)
from energy.models.weather.epw import EPW_FIELD_MAP, EPW_MISSING, read_epw
from energy.models.weather.frame import CANONICAL_COLUMNS, TMY_NOMINAL_YEAR, check_weather
from energy.models.weather.open_meteo import OPEN_METEO_VARIABLE_MAP, read_open_meteo
from energy.models.weather.pvgis import PVGIS_VARIABLE_MAP, read_pvgis_tmy
from energy.models.weather.solar import (
    MAX_ZENITH_DEG,
    decompose_ghi,
    interval_midpoints,
    solar_geometry,
    solar_position,
)
from energy.models.weather.sources import WeatherSource, read_weather

__all__ = [
    "CANONICAL_COLUMNS",
    "DEFAULT_TRY_FILE",
    "DEFAULT_WIND_SPEED",
    "EPW_FIELD_MAP",
    "EPW_MISSING",
    "MAX_ZENITH_DEG",
    "OPEN_METEO_VARIABLE_MAP",
    "PVGIS_VARIABLE_MAP",
    "TMY_NOMINAL_YEAR",
    "TRY_MONTHLY_TEMP_AIR_C",
    "TRY_NOMINAL_YEAR",
    "TRY_VARIABLE_MAP",
    "WeatherSource",
    "check_weather",
    "clear_sky",
    "decompose_ghi",
    "interval_midpoints",
    "map_to_year",
    "read_epw",
    "read_open_meteo",
    "read_pvgis_tmy",
    "read_try",
    "read_weather",
    "solar_geometry",
    "solar_position",
    "weather_for_index",
]
