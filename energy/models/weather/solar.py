r"""Solar geometry at interval midpoints, and the split of irradiance into its components.

Every series in :mod:`energy` is labelled at interval START and holds interval
means, so the sun is taken at the interval MIDPOINT ``t + dt/2``
(:func:`interval_midpoints`). :func:`solar_position` and :func:`solar_geometry`
are the one place that computes it, for the weather readers, clear sky
(:mod:`~energy.models.weather.clearsky`), PV (:mod:`energy.models.pv`) and
street lighting (:mod:`energy.models.lighting`).

Where a file gives the direct irradiance on the horizontal (DWD TRY,
Open-Meteo), the direct normal irradiance is

.. math:: DNI = B / \cos\theta_z

with the zenith angle :math:`\theta_z` at the interval midpoint; below 3 deg
solar elevation :math:`\cos\theta_z` is held at :math:`\cos 87°` (the
``max_zenith`` guard of pvlib's DIRINT and Erbs models, Maxwell 1987) and the
beam that this limit removes is counted as diffuse, so that
:math:`GHI = DHI + DNI \cos\theta_z` holds at every step (:func:`split_beam`).
Where a source gives only GHI, :func:`decompose_ghi` splits it with the Erbs
model.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pvlib

from energy.timeindex import require_utc_index, step_hours

#: Largest zenith angle [deg] at which a horizontal beam is converted to DNI
#: without limit; pvlib's DIRINT and Erbs models use the same 87 deg guard.
MAX_ZENITH_DEG = 87.0


def interval_midpoints(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Return ``index + dt/2``: the midpoints of the start-labelled intervals [UTC]."""
    utc = require_utc_index(index, "weather index")
    return utc + pd.Timedelta(hours=step_hours(utc) / 2)


def solar_position(
    index: pd.DatetimeIndex, latitude: float, longitude: float, altitude_m: float = 0.0
) -> pd.DataFrame:
    """Return the sun's position at the MIDPOINT of each interval of ``index``.

    Parameters
    ----------
    index
        Start-labelled, regular, tz-aware index (any resolution).
    latitude, longitude
        Site [deg north, deg east].
    altitude_m
        Site altitude [m], for the refraction correction.

    Returns
    -------
    pandas.DataFrame
        On ``index`` (the start labels): ``zenith``, ``apparent_zenith``,
        ``azimuth`` [deg], computed at ``index + dt/2`` with the NREL SPA
        (Reda & Andreas 2004, DOI 10.1016/j.solener.2003.12.003) via
        :func:`pvlib.solarposition.get_solarposition` (``nrel_numpy``).
    """
    utc = require_utc_index(index, "weather index")
    pos = pvlib.solarposition.get_solarposition(
        interval_midpoints(utc), latitude, longitude, altitude=altitude_m
    )
    out = pos[["zenith", "apparent_zenith", "azimuth"]].copy()
    out.index = utc
    return out


def solar_geometry(
    index: pd.DatetimeIndex, latitude: float, longitude: float, altitude_m: float = 0.0
) -> pd.DataFrame:
    """Sun position, extraterrestrial irradiance and air mass at the interval midpoints.

    What clear sky and the PV transposition need, computed once per index.

    Parameters
    ----------
    index
        Start-labelled, regular UTC index.
    latitude, longitude, altitude_m
        Site [deg north, deg east, m].

    Returns
    -------
    pandas.DataFrame
        On ``index``: ``zenith``, ``apparent_zenith``, ``azimuth`` [deg]
        (:func:`solar_position`), ``dni_extra`` [W/m2], the extraterrestrial
        normal irradiance (Spencer 1971, :func:`pvlib.irradiance.get_extra_radiation`),
        and ``airmass``, the relative air mass of the apparent zenith (Kasten &
        Young 1989, :func:`pvlib.atmosphere.get_relative_airmass`; NaN with the
        sun below the horizon).
    """
    pos = solar_position(index, latitude, longitude, altitude_m)
    apparent = pos["apparent_zenith"].to_numpy()
    return pd.DataFrame(
        {
            "zenith": pos["zenith"].to_numpy(),
            "apparent_zenith": apparent,
            "azimuth": pos["azimuth"].to_numpy(),
            "dni_extra": pvlib.irradiance.get_extra_radiation(
                interval_midpoints(pos.index)
            ).to_numpy(),
            "airmass": pvlib.atmosphere.get_relative_airmass(apparent),
        },
        index=pos.index,
    )


def split_beam(
    beam_horizontal: np.ndarray, dhi: np.ndarray, zenith_deg: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Return ``(ghi, dni, dhi)`` from the beam on the horizontal and the diffuse.

    :math:`DNI = B / \max(\cos\theta_z, \cos 87°)`, zero with the sun below
    the horizon; the beam this limit removes is added to the diffuse, so that
    :math:`GHI = B + D = DHI + DNI \cos\theta_z` (module docstring).
    """
    ghi = beam_horizontal + dhi
    cos_z = np.cos(np.radians(zenith_deg))
    up = cos_z > 0
    dni = np.where(
        up, beam_horizontal / np.maximum(cos_z, math.cos(math.radians(MAX_ZENITH_DEG))), 0.0
    )
    dhi_out = ghi - dni * np.where(up, cos_z, 0.0)
    return ghi, dni, dhi_out


def decompose_ghi(
    ghi: pd.Series,
    index: pd.DatetimeIndex,
    latitude: float,
    longitude: float,
    altitude_m: float = 0.0,
) -> tuple[pd.Series, pd.Series]:
    r"""Split global horizontal irradiance into DNI and DHI with the Erbs model.

    The diffuse fraction :math:`k_d` is a piecewise polynomial of the clearness
    index :math:`k_t = GHI / (I_0 \cos\theta_z)` (Erbs, Klein & Duffie 1982,
    DOI 10.1016/0038-092X(82)90302-4), e.g. for :math:`0.22 < k_t \le 0.8`:
    :math:`k_d = 0.9511 - 0.1604 k_t + 4.388 k_t^2 - 16.638 k_t^3 + 12.336 k_t^4`;
    then :math:`DHI = k_d GHI` and :math:`DNI = (GHI - DHI)/\cos\theta_z`
    (pvlib.irradiance.erbs, zenith limited to 87 deg).

    Parameters
    ----------
    ghi
        Global horizontal irradiance [W/m2], interval means on ``index``.
    index
        Start-labelled UTC index; the sun's position is taken at the interval midpoints.
    latitude, longitude, altitude_m
        Site [deg north, deg east, m].

    Returns
    -------
    tuple of pandas.Series
        ``(dni, dhi)`` [W/m2] on ``index``.
    """
    pos = solar_position(index, latitude, longitude, altitude_m)
    doy = interval_midpoints(pos.index).dayofyear
    out = pvlib.irradiance.erbs(
        np.asarray(ghi, dtype=float), pos["zenith"].to_numpy(), doy.to_numpy()
    )
    return (
        pd.Series(np.asarray(out["dni"]), index=pos.index, name="dni"),
        pd.Series(np.asarray(out["dhi"]), index=pos.index, name="dhi"),
    )
