r"""PV systems -> AC power [kW]: PVWatts-style chain on pvlib.

For each step of a canonical weather frame (:mod:`energy.models.weather`,
start-labelled UTC interval means) and each :class:`~energy.district.PVSystem`:

1. Solar position at the interval MIDPOINT (NREL SPA, Reda & Andreas 2004,
   DOI 10.1016/j.solener.2003.12.003), extraterrestrial DNI and air mass
   (:func:`energy.models.weather.solar_geometry`, the same geometry clear sky
   uses), computed once per weather frame and shared by all systems of a district.
2. Plane-of-array irradiance with the Perez 1990 transposition
   (Perez et al. 1990, DOI 10.1016/0038-092X(90)90055-H; ``allsitescomposite1990``
   coefficients) with that extraterrestrial DNI (Spencer 1971) and relative air
   mass (Kasten & Young 1989):
   :math:`E_{poa} = E_b + E_{sky} + E_{ground}`,
   :math:`E_b = DNI \cos(AOI)`, :math:`E_{ground} = GHI\,\rho\,(1-\cos\beta)/2`.
3. Angle-of-incidence loss of the beam with the physical glass-cover model
   used by PVWatts v5 (n = 1.526, K = 4 /m, L = 2 mm; De Soto et al. 2006,
   DOI 10.1016/j.solener.2005.06.010):
   :math:`E_{eff} = E_b\,IAM(AOI) + E_{sky} + E_{ground}`.
4. Cell temperature by mount. Roof: PVWatts v5's own roof-mount treatment,
   the Fuentes (1987) heat balance with INOCT 49 C (Dobos 2014, section 7;
   :func:`energy.models.cell_temperature.fuentes_cell_c`). Open rack: SAPM
   (King, Boyson & Kratochvil 2004, SAND2004-3535)
   :math:`T_c = E_{poa} e^{a + b\,WS} + T_a + \Delta T\,E_{poa}/1000` with the
   open-rack glass/polymer set (:data:`SAPM_TEMPERATURE_BY_MOUNT`), which
   reproduces the PVWatts open-rack reference year within 2 % (tests).
5. PVWatts DC (Dobos 2014, PVWatts Version 5 Manual, NREL/TP-6A20-62641, eq. 1-2):
   :math:`P_{dc} = \frac{E_{eff}}{1000} P_{dc0} (1 + \gamma (T_c - 25))
   (1 - L_{sys})`, with :math:`P_{dc0}` = kWp, :math:`\gamma` = ``gamma_pdc_per_k``,
   :math:`L_{sys}` = ``losses_frac``.
6. PVWatts inverter (Dobos 2014, eq. 3-4):
   :math:`\zeta = P_{dc}/P_{dc0,inv}`,
   :math:`\eta = \frac{\eta_{nom}}{\eta_{ref}}(-0.0162\zeta - 0.0059/\zeta + 0.9858)`,
   :math:`P_{ac} = \min(\eta P_{dc}, P_{ac0})` with :math:`P_{ac0}` =
   kWp / DC-AC ratio and :math:`P_{dc0,inv} = P_{ac0}/\eta_{nom}`; night output 0.

All outputs are AC power in kW, >= 0 (generation), on the weather's index.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import pvlib

from energy.district import District, PVSystem, Site
from energy.errors import InputDataError
from energy.models.cell_temperature import INOCT_BY_MOUNT, fuentes_cell_c
from energy.models.weather import WeatherSource, check_weather, solar_geometry, weather_for_index
from energy.timeindex import make_index, step_hours, year_index

logger = logging.getLogger(__name__)

#: SAPM cell-temperature parameter set of open-rack systems
#: (pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS, King et al. 2004, Table 1). Roof
#: systems use PVWatts' roof-mount model instead (INOCT 49 C, module docstring): the
#: SAPM "close roof mount" set used before ran roof cells about 10 K hotter than
#: PVWatts' roof mount above 200 W/m2 (measured on the PVWatts Denver year: +9.6 K)
#: and their yields about 3 % low.
SAPM_TEMPERATURE_BY_MOUNT: dict[str, str] = {"open_rack": "open_rack_glass_polymer"}

#: Reference inverter efficiency of the PVWatts inverter curve (Dobos 2014).
ETA_INV_REF = 0.9637


def _orientation_key(system: PVSystem) -> tuple[float, float, float]:
    return (system.tilt_deg, system.azimuth_deg, system.albedo)


def _electrical_key(system: PVSystem) -> tuple[Any, ...]:
    return (
        *_orientation_key(system),
        system.mount,
        system.gamma_pdc_per_k,
        system.losses_frac,
        system.inverter_eta_nom,
        system.dc_ac_ratio,
    )


def plane_of_array(system: PVSystem, weather: pd.DataFrame, geometry: pd.DataFrame) -> pd.DataFrame:
    """Plane-of-array irradiance of one orientation [W/m2] (steps 2-3 of the module).

    Parameters
    ----------
    system
        Supplies tilt, azimuth and albedo.
    weather
        Canonical weather frame.
    geometry
        :func:`energy.models.weather.solar_geometry` on the weather's index at
        the site. DNI is set to 0 where the sun is below the horizon at the
        interval midpoint.

    Returns
    -------
    pandas.DataFrame
        ``poa_global`` (before the angle-of-incidence loss, as PVWatts reports
        it) and ``poa_effective`` (beam reduced by the physical IAM).
    """
    # no beam with the sun below the horizon at the interval midpoint (a sunrise or
    # sunset hour of an hourly file can carry DNI > 0 from the part of the hour with sun)
    dni = weather["dni"].where(geometry["apparent_zenith"] < 90.0, 0.0)
    poa = pvlib.irradiance.get_total_irradiance(
        system.tilt_deg,
        system.azimuth_deg,
        geometry["apparent_zenith"],
        geometry["azimuth"],
        dni,
        weather["ghi"],
        weather["dhi"],
        dni_extra=geometry["dni_extra"],
        airmass=geometry["airmass"],
        albedo=system.albedo,
        model="perez",
    )
    aoi = pvlib.irradiance.aoi(
        system.tilt_deg, system.azimuth_deg, geometry["apparent_zenith"], geometry["azimuth"]
    )
    iam = pvlib.iam.physical(aoi)
    direct = poa["poa_direct"].fillna(0.0).clip(lower=0.0)
    diffuse = poa["poa_diffuse"].fillna(0.0).clip(lower=0.0)
    return pd.DataFrame(
        {"poa_global": direct + diffuse, "poa_effective": direct * np.nan_to_num(iam) + diffuse},
        index=weather.index,
    )


def cell_temperature_c(
    system: PVSystem, weather: pd.DataFrame, poa_global: pd.Series
) -> np.ndarray:
    """Cell temperature [C] of a system by its mount (step 4 of the module)."""
    if system.mount == "roof":
        return fuentes_cell_c(
            poa_global,
            weather["temp_air"],
            weather["wind_speed"],
            INOCT_BY_MOUNT["roof"],
            system.tilt_deg,
        )
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][
        SAPM_TEMPERATURE_BY_MOUNT[system.mount]
    ]
    return np.asarray(
        pvlib.temperature.sapm_cell(
            poa_global.to_numpy(),
            weather["temp_air"].to_numpy(),
            weather["wind_speed"].to_numpy(),
            **params,
        ),
        dtype=float,
    )


def _ac_kw_per_kwp(system: PVSystem, weather: pd.DataFrame, poa: pd.DataFrame) -> np.ndarray:
    """AC power per kWp [kW/kWp] from POA irradiance (steps 4-6 of the module)."""
    t_cell = cell_temperature_c(system, weather, poa["poa_global"])
    pdc = pvlib.pvsystem.pvwatts_dc(
        poa["poa_effective"].to_numpy(), t_cell, 1.0, system.gamma_pdc_per_k
    ) * (1.0 - system.losses_frac)
    pac0 = 1.0 / system.dc_ac_ratio
    pac = pvlib.inverter.pvwatts(
        np.maximum(pdc, 0.0),
        pac0 / system.inverter_eta_nom,
        eta_inv_nom=system.inverter_eta_nom,
        eta_inv_ref=ETA_INV_REF,
    )
    return np.clip(np.nan_to_num(np.asarray(pac, dtype=float)), 0.0, pac0)


def pv_ac_kw(
    system: PVSystem, weather: pd.DataFrame, site: Site, geometry: pd.DataFrame | None = None
) -> pd.Series:
    """AC power of one PV system [kW, >= 0] on the weather's index.

    Parameters
    ----------
    system
        The PV system (kWp, orientation, PVWatts parameters).
    weather
        Canonical weather frame (start-labelled UTC interval means).
    site
        Site of the system (latitude, longitude, altitude).
    geometry
        Result of :func:`energy.models.weather.solar_geometry` for
        ``weather.index`` at ``site``, to reuse it across systems; computed if
        omitted.

    Returns
    -------
    pandas.Series
        AC power [kW] named ``system.id``; interval means like the weather.
    """
    frame = check_weather(weather)
    if geometry is None:
        geometry = solar_geometry(frame.index, site.latitude, site.longitude, site.altitude_m)
    if not geometry.index.equals(frame.index):
        raise InputDataError(
            "geometry: its index differs from the weather index; compute it with "
            "solar_geometry(weather.index, site.latitude, site.longitude, site.altitude_m)"
        )
    poa = plane_of_array(system, frame, geometry)
    return pd.Series(
        system.kwp * _ac_kw_per_kwp(system, frame, poa), index=frame.index, name=system.id
    )


def district_pv_kw(district: District, weather: pd.DataFrame) -> pd.DataFrame:
    """AC power of every PV system of ``district`` [kW], one column per system id.

    The solar position is computed once; the transposition once per distinct
    orientation (tilt, azimuth, albedo); the electrical chain once per distinct
    parameter set, scaled by kWp (every step of the chain is proportional to
    kWp).

    Parameters
    ----------
    district
        The district (site and PV systems).
    weather
        Canonical weather frame on the horizon, e.g. from
        :func:`energy.models.weather.weather_for_index`.

    Returns
    -------
    pandas.DataFrame
        AC power [kW, >= 0] on ``weather.index``, one column per PV system id
        (no columns if the district has no PV).
    """
    frame = check_weather(weather)
    if not district.pv:
        return pd.DataFrame(index=frame.index)
    site = district.site
    geo = solar_geometry(frame.index, site.latitude, site.longitude, site.altitude_m)
    poa_cache: dict[tuple[float, float, float], pd.DataFrame] = {}
    per_kwp: dict[tuple[Any, ...], np.ndarray] = {}
    columns: dict[str, np.ndarray] = {}
    for system in district.pv:
        key = _electrical_key(system)
        if key not in per_kwp:
            okey = _orientation_key(system)
            if okey not in poa_cache:
                poa_cache[okey] = plane_of_array(system, frame, geo)
            per_kwp[key] = _ac_kw_per_kwp(system, frame, poa_cache[okey])
        columns[system.id] = system.kwp * per_kwp[key]
    logger.debug(
        "district PV: %d systems, %d orientations, %d parameter sets, %d steps",
        len(district.pv),
        len(poa_cache),
        len(per_kwp),
        len(frame),
    )
    return pd.DataFrame(columns, index=frame.index)


def yield_table(district: District, p_kw: pd.DataFrame) -> pd.DataFrame:
    """Energy of each PV system and of the district over the horizon of ``p_kw``.

    Parameters
    ----------
    district
        The district whose systems are the columns of ``p_kw``.
    p_kw
        AC power [kW] from :func:`district_pv_kw` (start-labelled interval means).

    Returns
    -------
    pandas.DataFrame
        Index: system ids and ``"total"``; columns ``building``, ``kwp`` [kWp],
        ``e_kwh`` [kWh] = sum of ``p_kw`` x dt_h, ``kwh_per_kwp`` [kWh/kWp].
    """
    e_kwh = p_kw.sum() * step_hours(p_kw.index)
    rows = [
        {
            "id": s.id,
            "building": s.building,
            "kwp": s.kwp,
            "e_kwh": float(e_kwh[s.id]),
            "kwh_per_kwp": float(e_kwh[s.id]) / s.kwp,
        }
        for s in district.pv
    ]
    total_kwp = district.total_kwp
    total = float(e_kwh.sum())
    rows.append(
        {
            "id": "total",
            "building": "",
            "kwp": total_kwp,
            "e_kwh": total,
            "kwh_per_kwp": total / total_kwp if total_kwp > 0 else 0.0,
        }
    )
    return pd.DataFrame(rows).set_index("id")


def annual_yield(district: District, year: int, source: WeatherSource = None) -> pd.DataFrame:
    """Annual AC energy of each PV system and of the district, hourly, local year.

    Parameters
    ----------
    district
        The district.
    year
        Local calendar year (the site's time zone).
    source
        Weather source, see :func:`energy.models.weather.weather_for_index`
        (default: the shipped DWD TRY 2015 region 9 mapped onto ``year``).

    Returns
    -------
    pandas.DataFrame
        See :func:`yield_table`.
    """
    index = year_index(year, "1h", district.site.timezone)
    return yield_table(
        district, district_pv_kw(district, weather_for_index(index, district.site, source))
    )


def pv_forecast(
    district: District,
    start: str | pd.Timestamp,
    days: int,
    resolution: str = "1h",
    source: WeatherSource = None,
) -> pd.DataFrame:
    """AC power of every PV system for whole local days from ``start`` [kW].

    Parameters
    ----------
    district
        The district.
    start
        First local day (site time zone).
    days
        Number of days.
    resolution
        ``"15min"``, ``"30min"`` or ``"1h"``.
    source
        A forecast (Open-Meteo JSON file or parsed dict), ``"clearsky"`` for
        the clear-sky upper bound, or any other source of
        :func:`energy.models.weather.weather_for_index`; ``None`` gives the
        climatological expectation from the shipped typical year.

    Returns
    -------
    pandas.DataFrame
        On :func:`energy.timeindex.make_index`, one column per system [kW].
    """
    index = make_index(start, days, resolution, district.site.timezone)
    return district_pv_kw(district, weather_for_index(index, district.site, source))
