"""Clear-sky weather with the Ineichen-Perez model.

:func:`clear_sky` gives the canonical frame of a cloudless sky at a site: the
upper bound of PV output (``weather_for_index(..., "clearsky")``). The Linke
turbidity defaults to the monthly climatology of Remund et al. (2003) at the
site (2.95 in January to 4.75 in August at Gera), air temperature to the
monthly means of the shipped DWD TRY (:data:`TRY_MONTHLY_TEMP_AIR_C`), wind to
1 m/s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pvlib

from energy.errors import InputDataError
from energy.models.weather.frame import canonical_frame
from energy.models.weather.solar import interval_midpoints, solar_geometry
from energy.timeindex import require_utc_index

#: Monthly mean air temperature [C], Jan..Dec, of the shipped DWD TRY 2015
#: region 9 (all hours), the default of :func:`clear_sky`. Clear days are warmer
#: by day than these all-hour means, so clear-sky PV is slightly optimistic.
TRY_MONTHLY_TEMP_AIR_C: tuple[float, ...] = (
    0.3,
    1.4,
    4.7,
    9.3,
    13.8,
    17.0,
    18.5,
    18.6,
    14.6,
    10.0,
    5.1,
    1.2,
)

#: Wind speed [m/s] assumed by :func:`clear_sky` (PVWatts' default for missing wind).
DEFAULT_WIND_SPEED = 1.0


def _linke_turbidity(
    linke_turbidity: float | Sequence[float] | None,
    mid: pd.DatetimeIndex,
    latitude: float,
    longitude: float,
) -> np.ndarray:
    """Return the Linke turbidity at each midpoint (one value, 12 monthly, or climatology)."""
    if linke_turbidity is None:
        tl = np.asarray(pvlib.clearsky.lookup_linke_turbidity(mid, latitude, longitude))
    elif isinstance(linke_turbidity, int | float):
        tl = np.full(len(mid), float(linke_turbidity))
    else:
        monthly = np.asarray(linke_turbidity, dtype=float)
        if monthly.shape != (12,):
            raise InputDataError(
                f"linke_turbidity: give one value or 12 monthly values, got {monthly.size}"
            )
        tl = monthly[mid.month.to_numpy() - 1]
    if not np.all((tl >= 1) & (tl <= 10)):
        raise InputDataError("linke_turbidity: values must lie in 1..10")
    return tl


def clear_sky(
    latitude: float,
    longitude: float,
    altitude_m: float,
    index: pd.DatetimeIndex,
    linke_turbidity: float | Sequence[float] | None = None,
    temp_air_c: float | Sequence[float] | None = None,
    wind_speed: float = DEFAULT_WIND_SPEED,
) -> pd.DataFrame:
    r"""Clear-sky weather on ``index`` with the Ineichen-Perez model.

    .. math::
        GHI = c_{g1} I_0 \cos\theta_z
              \exp\left(-c_{g2} AM_a (f_{h1} + f_{h2}(T_L - 1))\right)

    with :math:`c_{g1} = 5.09\times10^{-5} h + 0.868`,
    :math:`c_{g2} = 3.92\times10^{-5} h + 0.0387`, :math:`f_{h1} = e^{-h/8000}`,
    :math:`f_{h2} = e^{-h/1250}` (altitude :math:`h` [m]), the extraterrestrial
    irradiance :math:`I_0`, the absolute air mass :math:`AM_a` (Kasten & Young
    1989) and the Linke turbidity :math:`T_L` (Ineichen & Perez 2002,
    DOI 10.1016/S0038-092X(02)00045-2; pvlib.clearsky.ineichen).

    Values are taken at the interval midpoints as the interval means and
    labelled at the interval start; sun position, extraterrestrial irradiance
    and air mass come from :func:`~energy.models.weather.solar.solar_geometry`.

    Parameters
    ----------
    latitude, longitude, altitude_m
        Site [deg north, deg east, m].
    index
        Start-labelled, regular UTC index of any resolution.
    linke_turbidity
        One value, or 12 monthly values (Jan..Dec). Default: the monthly
        climatology of Remund et al. (2003) shipped with pvlib
        (``LinkeTurbidities.h5``, read with
        :func:`pvlib.clearsky.lookup_linke_turbidity`, interpolated between
        months); at Gera (50.88 N, 12.08 E) its monthly values are 2.95 (Jan)
        to 4.75 (Aug).
    temp_air_c
        Air temperature [C], one value or 12 monthly values. Default:
        :data:`TRY_MONTHLY_TEMP_AIR_C` (DWD TRY 2015 region 9; central Germany).
    wind_speed
        Wind speed [m/s], default 1 m/s.

    Returns
    -------
    pandas.DataFrame
        The canonical frame.
    """
    utc = require_utc_index(index, "clear-sky index")
    geo = solar_geometry(utc, latitude, longitude, altitude_m)
    mid = interval_midpoints(utc)
    tl = _linke_turbidity(linke_turbidity, mid, latitude, longitude)
    temps = np.asarray(TRY_MONTHLY_TEMP_AIR_C if temp_air_c is None else temp_air_c, dtype=float)
    temp = np.full(len(utc), float(temps)) if temps.ndim == 0 else temps[mid.month.to_numpy() - 1]
    am_abs = pvlib.atmosphere.get_absolute_airmass(
        geo["airmass"].to_numpy(), pvlib.atmosphere.alt2pres(altitude_m)
    )
    with np.errstate(divide="ignore", invalid="ignore"):  # night: cos(zenith) = 0
        cs = pvlib.clearsky.ineichen(
            geo["apparent_zenith"].to_numpy(),
            am_abs,
            tl,
            altitude=altitude_m,
            dni_extra=geo["dni_extra"].to_numpy(),
        )
    data = pd.DataFrame(
        {
            "ghi": np.nan_to_num(np.asarray(cs["ghi"])),
            "dni": np.nan_to_num(np.asarray(cs["dni"])),
            "dhi": np.nan_to_num(np.asarray(cs["dhi"])),
            "temp_air": temp,
            "wind_speed": float(wind_speed),
        },
        index=utc,
    )
    return canonical_frame(data, "clear sky", 0.0)
