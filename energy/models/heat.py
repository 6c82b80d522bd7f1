"""Heat demand of buildings and heat-pump efficiency per time step.

Space heat
    The BDEW/SigLinDe gas standard load profiles (BDEW/VKU/GEODE, "Leitfaden
    Abwicklung von Standardlastprofilen Gas", 2011/2015; method of Hellwig,
    TU München 2003) as implemented by :class:`demandlib.bdew.HeatBuilding`:
    the daily demand is a sigmoid of the geometric-series mean of the last four
    daily mean air temperatures, distributed over the hours by temperature- and
    building-class-dependent hour factors (BGW Praxisinformation P 2006/8).
    Only the space-heat part is used (``ww_incl=False``, sigmoid constant D = 0);
    hot water is modelled separately below.
Hot water
    A constant daily energy, distributed over the local hours by the same BGW
    hour factors in their warmest temperature interval (above 25 C, where a
    gas SLP customer's demand is hot water only) -- the choice of Ruhnau,
    Hirth and Praktiknjo (2019), when2heat, for water heating.
Heat-pump COP
    The when2heat quadratic regressions of manufacturer data on the
    temperature difference between sink and source, see :func:`cop`.

Local time: the profiles are functions of local wall-clock time, as the
electricity profiles of :mod:`energy.models.demand`: each local calendar year is
computed on its naive local hours, the missing spring hour is dropped and the
repeated autumn hour repeated on the UTC axis (23 and 25 steps on those days),
and the year is then normalised so that ``sum(q_kw * dt_h)`` equals the annual
input. Holidays of the federal state count as Sundays.

All series are on UTC indexes labelled at interval start; values are interval
means. Heat flows are positive when delivered to the building [kW].

References
----------
Ruhnau, O., Hirth, L., Praktiknjo, A. (2019): Time series of heat demand and
heat pump efficiency for energy system modeling. Scientific Data 6, 189.
https://doi.org/10.1038/s41597-019-0199-y (code and COP parameters:
https://github.com/oruhnau/when2heat, ``input/cop/cop_parameters.csv``).
Kusuda, T., Achenbach, P. R. (1965): Earth temperature and thermal diffusivity
at selected stations in the United States. ASHRAE Transactions 71(1), 61-75.
"""

from __future__ import annotations

import functools
import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias

import numpy as np
import pandas as pd
from demandlib import bdew

from energy.district_flex import (
    DEFAULT_HEAT_BUILDING_CLASS,
    HeatProfile,
    HeatPump,
    heat_profile_of,
    space_heat_kwh_a_of,
)
from energy.errors import InputDataError
from energy.models.demand import holiday_dates
from energy.models.weather import weather_for_index
from energy.timeindex import require_utc_index, step_hours, year_index

if TYPE_CHECKING:
    from energy.district import District

logger = logging.getLogger(__name__)

HeatSource = Literal["air", "ground", "groundwater"]

#: when2heat COP regressions COP = c0 + c1 dT + c2 dT^2 [-] with dT = T_sink - T_source [K]:
#: (c0, c1, c2) from when2heat's input/cop/cop_parameters.csv (commit 75ab7a6), printed
#: rounded in Ruhnau et al. (2019) as 6.08 - 0.09 dT + 0.0005 dT^2 (air),
#: 10.29 - 0.21 dT + 0.0012 dT^2 (ground), 9.97 - 0.20 dT + 0.0012 dT^2 (groundwater).
COP_COEFFICIENTS: dict[str, tuple[float, float, float]] = {
    "air": (6.0801, -0.0941, 0.0005),
    "ground": (10.288, -0.2084, 0.0012),
    "groundwater": (9.9696, -0.2049, 0.0012),
}
#: when2heat's correction of the regression to field measurements (part load, defrost...) [-].
COP_CORRECTION = 0.85
#: Temperature differences below this are raised to it (the regression's lower end) [K].
DELTA_T_MIN_K = 15.0
#: Ground and groundwater heat exchangers run this much colder than their source [K].
SOURCE_OFFSET_K = 5.0
#: Groundwater temperature of when2heat [C].
GROUNDWATER_TEMP_C = 10.0
#: Mid-depth of ERA5 soil level 1 (0-7 cm), whose temperature when2heat uses for ground [m].
GROUND_DEPTH_M = 0.035
#: Thermal diffusivity of moist soil, 0.58e-6 m2/s (VDI 4640-1 range 0.5-0.8e-6) [m2/day].
SOIL_DIFFUSIVITY_M2_PER_DAY = 0.05
#: Indoor temperature at which heating stops; the heating curve meets it at 20 C outdoors [C].
NO_HEAT_TEMP_C = 20.0

#: demandlib's BGW hour factors and the column of their warmest temperature interval.
_HOUR_FACTORS = Path(bdew.__file__).resolve().parent / "bdew_data" / "shlp_hour_factors.csv"
_WARMEST = "temp_intervall_10"
#: demandlib maps ceil(T) in -20..40 C to temperature intervals; inputs are clipped to it.
_DEMANDLIB_TEMP_RANGE_C = (-20.0, 40.0)
_HOUR = pd.Timedelta(hours=1)


# -- COP ---------------------------------------------------------------------------------
def cop(
    source_temp_c: np.ndarray | pd.Series | float,
    sink_temp_c: np.ndarray | pd.Series | float,
    source: HeatSource,
    correction: float = COP_CORRECTION,
) -> np.ndarray:
    r"""Coefficient of performance of a heat pump [-] (Ruhnau et al. 2019, when2heat).

    .. math::

        \Delta T = \max(T_{sink} - T_{source}, 15\,K), \qquad
        COP = f_c \, (c_0 + c_1 \Delta T + c_2 \Delta T^2)

    with (c0, c1, c2) of :data:`COP_COEFFICIENTS` for air-, ground- and
    groundwater-source heat pumps (quadratic fits to manufacturer data) and the
    correction f_c = 0.85 that when2heat applies to match field measurements.

    Parameters
    ----------
    source_temp_c
        Source temperature [C]: outdoor air; for ground and groundwater the
        brine/water temperature, see :func:`source_temperature_c`.
    sink_temp_c
        Sink (flow) temperature [C], see :func:`heating_curve_c`.
    source
        ``"air"``, ``"ground"`` or ``"groundwater"``.
    correction
        Factor on the regression [-]; 1 gives the manufacturer-data fit itself.

    Returns
    -------
    numpy.ndarray
        COP per value [-].
    """
    if source not in COP_COEFFICIENTS:
        raise InputDataError(
            f"source: {source!r} is not a heat-pump source; allowed: {', '.join(COP_COEFFICIENTS)}"
        )
    c0, c1, c2 = COP_COEFFICIENTS[source]
    delta_k = np.maximum(np.asarray(sink_temp_c, float) - np.asarray(source_temp_c, float), 15.0)
    return correction * (c0 + c1 * delta_k + c2 * delta_k**2)


def heating_curve_c(
    temp_air_c: np.ndarray | pd.Series,
    flow_temp_design_c: float = 35.0,
    design_outdoor_temp_c: float = -10.0,
) -> np.ndarray:
    r"""Space-heating flow temperature from the outdoor temperature [C].

    A straight heating curve through (20 C, 20 C) and the design point:

    .. math::

        T_{flow} = 20 + (T_{flow,design} - 20)\,
                   \frac{20 - T_{out}}{20 - T_{out,design}},
        \quad T_{flow} \ge 20

    With the defaults (35 C at -10 C) it is when2heat's floor-heating curve
    30 - 0.5 T_out; 50 C at -10 C gives its radiator curve 40 - T_out.
    """
    slope = (flow_temp_design_c - NO_HEAT_TEMP_C) / (NO_HEAT_TEMP_C - design_outdoor_temp_c)
    flow = NO_HEAT_TEMP_C + slope * (NO_HEAT_TEMP_C - np.asarray(temp_air_c, float))
    return np.maximum(flow, NO_HEAT_TEMP_C)


def ground_temperature_c(
    temp_air_c: pd.Series,
    depth_m: float = GROUND_DEPTH_M,
    diffusivity_m2_per_day: float = SOIL_DIFFUSIVITY_M2_PER_DAY,
) -> pd.Series:
    r"""Undisturbed ground temperature at ``depth_m`` (Kusuda and Achenbach 1965) [C].

    The annual cycle of the air temperature is fitted by least squares,
    T_air(t) ~ T_m + A cos(w t - phi) with w = 2 pi / 365.25 d, and damped and
    delayed with depth by the solution of the heat equation for a periodic
    surface temperature:

    .. math::

        T(z, t) = T_m + A\, e^{-z/d} \cos(\omega t - \varphi - z/d),
        \qquad d = \sqrt{2 \alpha / \omega}

    (d = 2.4 m for the default diffusivity). The default depth is the middle of
    ERA5 soil level 1, whose temperature when2heat uses for ground-source heat
    pumps; collectors at 1.5 m or boreholes see warmer winters (pass a larger
    depth).

    Parameters
    ----------
    temp_air_c
        Air temperature on a tz-aware index spanning at least one year [C].
    depth_m
        Depth below the surface [m], >= 0.
    diffusivity_m2_per_day
        Thermal diffusivity of the soil [m2/day], > 0.
    """
    index = require_utc_index(temp_air_c.index, "temp_air_c")
    if index[-1] - index[0] < pd.Timedelta(days=364):
        raise InputDataError(
            "temp_air_c: the ground temperature needs at least one year of air temperature "
            f"to fit its annual cycle; got {index[0]} .. {index[-1]}"
        )
    if depth_m < 0 or diffusivity_m2_per_day <= 0:
        raise InputDataError(
            f"depth_m {depth_m} m / diffusivity_m2_per_day {diffusivity_m2_per_day}: "
            "the depth must be >= 0 m and the diffusivity > 0 m2/day"
        )
    omega = 2 * math.pi / 365.25
    days = np.asarray((index - pd.Timestamp("2000-01-01", tz="UTC")) / pd.Timedelta(days=1))
    basis = np.column_stack([np.ones_like(days), np.cos(omega * days), np.sin(omega * days)])
    (mean_c, a, b), *_ = np.linalg.lstsq(basis, temp_air_c.to_numpy(float), rcond=None)
    damping = depth_m / math.sqrt(2 * diffusivity_m2_per_day / omega)
    phase = math.atan2(b, a)
    amplitude = math.hypot(a, b) * math.exp(-damping)
    values = mean_c + amplitude * np.cos(omega * days - phase - damping)
    return pd.Series(values, index=index, name="temp_ground_c")


def source_temperature_c(source: HeatSource, temp_air_c: pd.Series) -> pd.Series:
    """Source temperature of a heat pump [C], as when2heat defines it.

    Air: the air temperature. Ground: :func:`ground_temperature_c` minus
    5 K. Groundwater: 10 C minus 5 K.
    """
    if source == "air":
        return temp_air_c.rename("temp_source_c")
    if source == "ground":
        ground = ground_temperature_c(temp_air_c) - SOURCE_OFFSET_K
        return ground.rename("temp_source_c")
    constant = GROUNDWATER_TEMP_C - SOURCE_OFFSET_K
    return pd.Series(constant, index=temp_air_c.index, name="temp_source_c")


def heat_pump_cop(hp: HeatPump, temp_air_c: pd.Series) -> pd.DataFrame:
    """COP of a heat pump for space heat and for hot water per step [-].

    Returns a frame on ``temp_air_c``'s index with columns ``cop_space``
    (sink: :func:`heating_curve_c` of the pump's design point) and
    ``cop_hot_water`` (sink: ``flow_temp_hot_water_c``).
    """
    source = source_temperature_c(hp.source, temp_air_c).to_numpy()
    sink = heating_curve_c(temp_air_c, hp.flow_temp_space_c, hp.design_outdoor_temp_c)
    return pd.DataFrame(
        {
            "cop_space": cop(source, sink, hp.source),
            "cop_hot_water": cop(source, hp.flow_temp_hot_water_c, hp.source),
        },
        index=temp_air_c.index,
    )


# -- heat demand ---------------------------------------------------------------------------
def _naive_hours(year: int) -> pd.DatetimeIndex:
    """All wall-clock hours of local ``year`` (8760 or 8784, DST ignored)."""
    start = pd.Timestamp(year=year, month=1, day=1)
    return pd.date_range(
        start, pd.Timestamp(year=year + 1, month=1, day=1), freq="h", inclusive="left"
    )


def _local_to_utc_year(values: np.ndarray, year: int, tz: str) -> np.ndarray:
    """Map values on the naive local hours of ``year`` onto its UTC hours, at unit energy.

    The missing spring hour is dropped, the repeated autumn hour repeats its
    value; the result sums to 1 [kWh per kWh/a] (hourly steps).
    """
    utc = year_index(year, "1h", tz)
    wall = utc.tz_convert(tz).tz_localize(None)
    mapped = values[_naive_hours(year).get_indexer(wall)]
    total = float(mapped.sum())
    if not np.isfinite(mapped).all() or total <= 0:
        raise InputDataError(f"heat profile: invalid values for {year} (sum {total})")
    return mapped / total


def _years_of(temp_air_c: pd.Series, tz: str) -> list[int]:
    """Local years that ``temp_air_c`` covers completely, hour by hour; else InputDataError."""
    index = require_utc_index(temp_air_c.index, "temp_air_c")
    if len(index) < 2 or step_hours(index) != 1.0:
        raise InputDataError("temp_air_c: needs hourly values (1 h steps) of whole local years")
    first, last = index[0].tz_convert(tz), (index[-1] + _HOUR).tz_convert(tz)
    years = list(range(first.year, last.year))
    whole = [year_index(y, "1h", tz) for y in years]
    if not years or whole[0][0] != index[0] or whole[-1][-1] != index[-1]:
        raise InputDataError(
            f"temp_air_c: {index[0]} .. {index[-1]} is not a run of whole local years in {tz}; "
            "heat profiles are normalised per local calendar year"
        )
    return years


def space_heat_unit_kw(
    temp_air_c: pd.Series,
    profile: HeatProfile = "MFH",
    building_class: int = 11,
    tz: str = "Europe/Berlin",
    state: str = "TH",
    wind_class: int = 0,
) -> pd.Series:
    """Space-heat profile at unit annual energy from the air temperature [kW per kWh/a].

    Parameters
    ----------
    temp_air_c
        Hourly air temperature [C] on a UTC index covering whole local years.
        Values are clipped to -20..40 C, the range of demandlib's intervals.
    profile
        SigLinDe profile type (EFH, MFH, GHD, GKO, ...).
    building_class
        SigLinDe building class 1..11 for EFH and MFH (Baualtersklasse, BGW
        2006 p. 42: classes rise as the share of pre-1979 buildings falls; 11
        is the German mean); ignored (0) for the other types.
    tz, state
        Local time zone and the federal state whose holidays count as Sundays.
    wind_class
        0 for a sheltered, 1 for a windy location.

    Returns
    -------
    pandas.Series
        Interval-mean heat [kW per kWh/a] on ``temp_air_c``'s index; each local
        year sums to 1 kWh.
    """
    residential = profile in ("EFH", "MFH")
    clipped = temp_air_c.clip(*_DEMANDLIB_TEMP_RANGE_C)
    parts = []
    for year in _years_of(temp_air_c, tz):
        naive = _naive_hours(year)
        instants = naive.tz_localize(tz, nonexistent="shift_forward", ambiguous=True)
        temps = clipped.reindex(instants.tz_convert("UTC")).to_numpy()
        building = bdew.HeatBuilding(
            naive,
            temperature=pd.Series(temps, index=naive),
            shlp_type=profile,
            building_class=building_class if residential else 0,
            wind_class=wind_class,
            annual_heat_demand=1.0,
            ww_incl=False,
            holidays=list(holiday_dates(year, state)),
        )
        with warnings.catch_warnings():
            values = np.asarray(building.get_normalized_bdew_profile(), dtype=float)
        parts.append(_local_to_utc_year(values, year, tz))
    return pd.Series(np.concatenate(parts), index=temp_air_c.index, name="q_space_kw")


@functools.lru_cache(maxsize=32)
def _hot_water_factors(profile: str, building_class: int) -> np.ndarray:
    """BGW hour factors of the warmest interval: array [weekday 0..7, hour 0..23] [-]."""
    table = pd.read_csv(_HOUR_FACTORS, index_col=0)
    rows = table[(table.shlp_type == profile) & (table.building_class == building_class)]
    factors = np.zeros((8, 24))
    for weekday, group in rows.groupby("weekday"):
        by_hour = group.set_index("hour_of_day")[_WARMEST].reindex(range(1, 25))
        factors[int(str(weekday))] = by_hour.to_numpy(float)
    if (rows.weekday == 0).all():  # residential types: one profile for every day
        factors[:] = factors[0]
    return factors


def hot_water_unit_kw(
    index: pd.DatetimeIndex,
    profile: HeatProfile = "MFH",
    building_class: int = 11,
    tz: str = "Europe/Berlin",
    state: str = "TH",
) -> pd.Series:
    """Hot-water profile at unit annual energy [kW per kWh/a].

    Equal energy on every local day, spread over its hours by the BGW hour
    factors of the warmest temperature interval (above 25 C) of ``profile``
    (as when2heat does for water heating); non-residential types use their
    weekday-dependent factors (holidays as Sundays).

    Parameters
    ----------
    index
        Hourly UTC index of whole local years (e.g. :func:`energy.timeindex.year_index`).
    """
    years = _years_of(pd.Series(0.0, index=index), tz)
    residential = profile in ("EFH", "MFH")
    factors = _hot_water_factors(profile, building_class if residential else 0)
    parts = []
    for year in years:
        naive = _naive_hours(year)
        weekday = np.asarray(naive.weekday + 1)
        weekday[pd.Index(naive.date).isin(holiday_dates(year, state))] = 7
        parts.append(_local_to_utc_year(factors[weekday, naive.hour], year, tz))
    return pd.Series(np.concatenate(parts), index=index, name="q_hot_water_kw")


def on_index(hourly: pd.Series | pd.DataFrame, index: pd.DatetimeIndex) -> np.ndarray:
    """Sample hour-constant interval means onto ``index`` (steps of 15, 30 or 60 min).

    A step inside an hour gets that hour's mean, so energy is conserved.
    """
    utc = require_utc_index(index)
    dt_h = step_hours(utc) if len(utc) > 1 else 1.0
    if dt_h > 1.0 or abs(1.0 / dt_h - round(1.0 / dt_h)) > 1e-9:
        raise InputDataError(
            f"index: step {dt_h * 60:g} min is not allowed; heat profiles need 15, 30 or 60 min"
        )
    hours = utc.floor("h")
    missing = ~hours.isin(hourly.index)
    if missing.any():
        raise InputDataError(f"index: {utc[missing][0]} lies outside the heat profile's years")
    return np.asarray(hourly.reindex(hours).to_numpy(float))


# -- a district's buildings ----------------------------------------------------------------
WeatherInput: TypeAlias = str | Path | pd.DataFrame | None


@dataclass(frozen=True)
class DistrictHeat:
    """Heat demand and heat-pump COP of a district's buildings on one dispatch index.

    Attributes
    ----------
    q_space_kw, q_hot_water_kw
        Heat demand [kW], one column per building with a heat demand.
    cop_space, cop_hot_water
        COP [-] of each building's heat pump (one column per heat pump) when it
        serves space heat (heating-curve sink) or hot water (hot-water sink).
    temp_air_c
        Air temperature on the index [C].
    """

    q_space_kw: pd.DataFrame
    q_hot_water_kw: pd.DataFrame
    cop_space: pd.DataFrame
    cop_hot_water: pd.DataFrame
    temp_air_c: pd.Series


def _hourly_years(index: pd.DatetimeIndex, tz: str) -> pd.DatetimeIndex:
    """Hourly UTC index of the whole local years that ``index`` touches."""
    first = index[0].tz_convert(tz).year
    last = (index[-1] + pd.Timedelta(hours=step_hours(index) if len(index) > 1 else 1.0)
            - pd.Timedelta(1, "ns")).tz_convert(tz).year  # fmt: skip
    return pd.DatetimeIndex(
        np.concatenate([year_index(y, "1h", tz) for y in range(first, last + 1)])
    )


def district_heat(
    district: District, index: pd.DatetimeIndex, weather: WeatherInput = None, state: str = "TH"
) -> DistrictHeat:
    """Heat demand and COP of every building with heat fields, on ``index``.

    Each building's profiles are computed on the whole local years that
    ``index`` touches and scaled to its annual inputs
    (:func:`energy.district_flex.space_heat_kwh_a_of`, ``hot_water_kwh_a``), so
    every complete local year in ``index`` sums to them; shorter horizons get
    those days of the annual profile. ``weather`` is any source that
    :func:`energy.models.weather.weather_for_index` accepts (default: the
    shipped DWD TRY 2015, mapped onto the years).
    """
    utc = require_utc_index(index)
    tz = district.site.timezone
    hours = _hourly_years(utc, tz)
    temp_hourly = weather_for_index(hours, district.site, weather)["temp_air"].astype(float)
    units: dict[tuple[str, str, int], pd.Series] = {}

    def unit(kind: str, profile: HeatProfile, klass: int) -> pd.Series:
        key = (kind, profile, klass)
        if key not in units:
            units[key] = (
                space_heat_unit_kw(temp_hourly, profile, klass, tz, state)
                if kind == "space"
                else hot_water_unit_kw(hours, profile, klass, tz, state)
            )
        return units[key]

    space, water, cop_s, cop_w = {}, {}, {}, {}
    for b in district.buildings:
        e_space, e_water = space_heat_kwh_a_of(b), b.hot_water_kwh_a or 0.0
        if e_space <= 0 and e_water <= 0 and b.heat_pump is None:
            continue
        profile = heat_profile_of(b.heat_profile, b.kind)
        klass = b.heat_building_class or DEFAULT_HEAT_BUILDING_CLASS
        space[b.id] = on_index(unit("space", profile, klass), utc) * e_space
        water[b.id] = on_index(unit("water", profile, klass), utc) * e_water
        if b.heat_pump is not None:
            cops = heat_pump_cop(b.heat_pump, temp_hourly)
            cop_s[b.id] = on_index(cops["cop_space"], utc)
            cop_w[b.id] = on_index(cops["cop_hot_water"], utc)

    def frame(data: dict[str, np.ndarray]) -> pd.DataFrame:
        out = pd.DataFrame(data, index=utc, dtype=float)
        out.columns.name = "building"
        return out

    temp = pd.Series(on_index(temp_hourly, utc), index=utc, name="temp_air_c")
    return DistrictHeat(frame(space), frame(water), frame(cop_s), frame(cop_w), temp)


def direct_operation_kw(
    hp: HeatPump,
    q_space_kw: np.ndarray,
    q_hot_water_kw: np.ndarray,
    cop_space: np.ndarray,
    cop_hot_water: np.ndarray,
) -> pd.DataFrame:
    """Heat pump covering the demand as it occurs, without storage (a plain thermostat).

    The pump delivers the whole demand while it can: its heat is at most
    ``thermal_kw`` and its electricity ``q_space / cop_space + q_hot_water /
    cop_hot_water`` at most ``electric_kw``; both parts are scaled down
    together beyond that. The backup heater (COP 1) covers the rest up to
    ``backup_heater_kw``; what remains is unmet.

    Returns
    -------
    pandas.DataFrame
        Columns ``q_hp_kw`` (heat from the pump), ``p_hp_kw`` (its electricity),
        ``p_backup_kw`` (backup heater electricity = heat), ``q_unmet_kw`` [kW].
    """
    q_kw = q_space_kw + q_hot_water_kw
    p_kw = q_space_kw / cop_space + q_hot_water_kw / cop_hot_water
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.minimum.reduce(
            [np.ones_like(q_kw), np.where(q_kw > 0, hp.thermal_kw / q_kw, 1.0),
             np.where(p_kw > 0, hp.electric_kw / p_kw, 1.0)]
        )  # fmt: skip
    rest_kw = q_kw * (1.0 - share)
    backup_kw = np.minimum(rest_kw, hp.backup_heater_kw)
    return pd.DataFrame(
        {
            "q_hp_kw": q_kw * share,
            "p_hp_kw": p_kw * share,
            "p_backup_kw": backup_kw,
            "q_unmet_kw": rest_kw - backup_kw,
        }
    )


def heat_summary(district: District, heat: DistrictHeat) -> pd.DataFrame:
    """Energy per building over the horizon of ``heat``, heat pumps run directly.

    Columns: ``e_space_kwh``, ``e_hot_water_kwh``, ``e_hp_kwh`` (compressor
    electricity), ``e_backup_kwh``, ``e_unmet_kwh``, ``scop`` (heat from the
    pump / its electricity, the seasonal COP), ``q_peak_kw`` (largest demand of
    a step) and ``thermal_kw`` (heat-pump rating; 0 without a heat pump, whose
    heat then comes from outside the electrical model). A last row
    ``total`` sums the energies (its ``scop`` is that of all pumps together).
    Heat pumps run by :func:`direct_operation_kw`: the thermostat case.
    """
    dt_h = step_hours(heat.q_space_kw.index) if len(heat.q_space_kw) > 1 else 1.0
    rows = {}
    for bid in heat.q_space_kw.columns:
        q_s, q_w = heat.q_space_kw[bid].to_numpy(), heat.q_hot_water_kw[bid].to_numpy()
        hp = district.building(bid).heat_pump
        ops = pd.Series(0.0, index=["q_hp_kw", "p_hp_kw", "p_backup_kw", "q_unmet_kw"])
        if hp is not None:
            cops = heat.cop_space[bid].to_numpy(), heat.cop_hot_water[bid].to_numpy()
            ops = direct_operation_kw(hp, q_s, q_w, *cops).sum() * dt_h
        rows[bid] = {
            "e_space_kwh": q_s.sum() * dt_h,
            "e_hot_water_kwh": q_w.sum() * dt_h,
            "e_hp_kwh": ops["p_hp_kw"],
            "e_backup_kwh": ops["p_backup_kw"],
            "e_unmet_kwh": ops["q_unmet_kw"],
            "q_hp_kwh": ops["q_hp_kw"],
            "q_peak_kw": float((q_s + q_w).max()),
            "thermal_kw": hp.thermal_kw if hp is not None else 0.0,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    total = table.sum()
    total["q_peak_kw"] = float((heat.q_space_kw + heat.q_hot_water_kw).sum(axis=1).max())
    table.loc["total"] = total
    with np.errstate(divide="ignore", invalid="ignore"):
        table["scop"] = np.where(table.e_hp_kwh > 0, table.q_hp_kwh / table.e_hp_kwh, np.nan)
    return table.drop(columns="q_hp_kwh")
