"""Street lighting: dark hours, adaptive classes, dim levels, luminaire power, baselines.

The domain model follows ``LIGHTING.md`` (shared design notes):

* **When lights burn.** Photocells switch at about 35 lx on / 25 lx off, which
  corresponds to a sun elevation of roughly -3 deg. The dark fraction of a step
  is the share of sub-step sample points at which the sun's (geometric, not
  refraction-corrected) elevation from pvlib's NREL SPA lies below a
  configurable threshold (default -3 deg; -0.833 deg is astronomical
  sunrise/sunset, -6 deg civil twilight). Reda & Andreas (2004), Solar position
  algorithm for solar radiation applications, Solar Energy 76(5) 577-589,
  https://doi.org/10.1016/j.solener.2003.12.003.
* **Classes.** EN 13201-2:2015 maintained levels
  (:data:`energy.district_lighting.LIGHTING_CLASS_LEVELS`). Adaptive lighting
  (CEN/TR 13201-1:2014, DIN 13201-1:2021) lets a road run in a lower class while
  traffic is lower. The traffic rule is UNI 11248:2016 (Italy): one class down
  when the hourly traffic is below 50 % of the design flow, two classes down
  below 25 %; dim down only after two consecutive low hourly readings, brighten
  at once; never below the lowest class the road authority approved.
* **Dim level of a class.** All luminaires of a group dim equally (uniformity is
  kept), so a lower class maps to the level
  ``max(min_dim_frac, required(class) / required(design class))``: the design
  class is taken as exactly met at 100 % (conservative; a constant light output
  driver holds this over the maintenance cycle).
* **Power.** ``p_w = nominal_w * (a + (1 - a) * level)`` per burning luminaire
  with a driver offset ``a`` (about 0.05-0.10), and ``standby_w`` (about 0.5 W)
  while switched off in daylight (LIGHTING.md, "Luminaire power", secondary
  sources marked "check" there; both are per-group spec fields).
* **Baselines.** S0: 100 % whenever dark. S1: 50 % from 22:00 to 06:00 local
  time (common German practice: Leipzig, Dresden, Wuppertal), 100 % otherwise.

All powers are consumption [kW], positive (load convention). Series live on UTC
indexes labelled at interval start; values are interval means.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from energy.district import District
from energy.district_lighting import LIGHTING_CLASS_LEVELS, LightingGroup
from energy.errors import InputDataError
from energy.models.weather import solar_position
from energy.timeindex import check_timezone, require_utc_index, step_hours, year_index

logger = logging.getLogger(__name__)

#: Default switching threshold [deg]: photocell 35 lx on / 25 lx off ~ sun at -3 deg
#: (LIGHTING.md, "When lights burn").
DEFAULT_THRESHOLD_DEG = -3.0
#: Default spacing of the solar-position samples inside a step [min].
SAMPLE_SPACING_MIN = 5.0
#: UNI 11248:2016: traffic below this share of the design flow -> one class down.
ONE_CLASS_DOWN_BELOW_FRAC = 0.50
#: UNI 11248:2016: traffic below this share of the design flow -> two classes down.
TWO_CLASSES_DOWN_BELOW_FRAC = 0.25
#: Baseline S1 (LIGHTING.md, "Baselines for savings"): dim level in the night window.
S1_LEVEL_FRAC = 0.5
#: Baseline S1 night window, local clock [h]: from 22:00 ...
S1_START_HOUR = 22
#: ... to 06:00.
S1_END_HOUR = 6


def _check_step_at_most_hour(index: pd.DatetimeIndex) -> float:
    """Return ``dt_h`` [h]; lighting schedules need steps of at most one hour."""
    dt_h = step_hours(index)
    if dt_h > 1.0 + 1e-9:
        raise InputDataError(
            f"index: step {dt_h:g} h is not allowed for street lighting; it must be <= 1 h "
            "(15min, 30min, 1h)"
        )
    return dt_h


def dark_fraction(
    index: pd.DatetimeIndex,
    latitude: float,
    longitude: float,
    altitude_m: float = 0.0,
    threshold_deg: float = DEFAULT_THRESHOLD_DEG,
    substeps: int | None = None,
) -> pd.Series:
    """Fraction of each step during which the sun is below ``threshold_deg`` [0..1].

    Parameters
    ----------
    index
        tz-aware regular index labelled at interval start.
    latitude, longitude
        Site [deg north, deg east].
    altitude_m
        Site altitude [m].
    threshold_deg
        Switching elevation of the sun [deg], -18..10; default -3 deg.
    substeps
        Sample points per step, placed at the centres of ``substeps`` equal
        sub-intervals. Default: one per 5 min (12 for hourly steps, 3 for 15 min).

    Returns
    -------
    pandas.Series
        ``dark_frac`` on the UTC index.

    Notes
    -----
    One vectorised NREL SPA call for all sample points through
    :func:`energy.models.weather.solar_position` (pvlib ``get_solarposition``,
    ``nrel_numpy``, at the sub-step midpoints); the geometric elevation
    ``90 - zenith`` is used, so -0.833 deg reproduces the astronomical
    sunrise/sunset convention (refraction 34' + solar semi-diameter 16').
    """
    utc = require_utc_index(index)
    dt_h = step_hours(utc)
    if not -90 <= latitude <= 90:
        raise InputDataError(f"latitude: {latitude} deg is not allowed; it must be in -90..90")
    if not -180 <= longitude <= 180:
        raise InputDataError(f"longitude: {longitude} deg is not allowed; it must be in -180..180")
    if not -18 <= threshold_deg <= 10:
        raise InputDataError(
            f"threshold_deg: {threshold_deg} deg is not allowed; it must be in -18..10"
        )
    n = substeps if substeps is not None else max(1, math.ceil(dt_h * 60 / SAMPLE_SPACING_MIN))
    if n < 1:
        raise InputDataError(f"substeps: {n} is not allowed; it must be >= 1")
    # n regular sub-steps per step; solar_position samples each at its midpoint
    sub_step = pd.Timedelta(round(pd.Timedelta(hours=dt_h).value / n), unit="ns")
    samples = pd.date_range(utc[0], periods=len(utc) * n, freq=sub_step)
    zenith = solar_position(samples, latitude, longitude, altitude_m)["zenith"].to_numpy()
    below = (90.0 - zenith) < threshold_deg
    return pd.Series(below.reshape(len(utc), n).mean(axis=1), index=utc, name="dark_frac")


def _class_number(cls: str) -> int:
    return int(cls[1:])


def _check_class(cls: str, field: str = "class") -> str:
    key = str(cls).strip().upper()
    if key not in LIGHTING_CLASS_LEVELS:
        raise InputDataError(
            f"{field}: {cls!r} is not an EN 13201-2 class; allowed: M1-M6, C0-C5, P1-P6"
        )
    return key


def class_level_frac(design_class: str, cls: str) -> float:
    """Return the required level of ``cls`` relative to the design class [0..1+].

    ``required(cls) / required(design_class)`` from the EN 13201-2:2015
    maintained values, e.g. M3 -> M5: 0.50 / 1.0 cd/m2 = 0.5; P3 -> P4:
    5 / 7.5 lx = 0.667.
    """
    design = _check_class(design_class, "design_class")
    other = _check_class(cls, "class")
    if design[0] != other[0]:
        raise InputDataError(
            f"class: {other} is not in the family of design class {design} ({design[0]} classes)"
        )
    return LIGHTING_CLASS_LEVELS[other] / LIGHTING_CLASS_LEVELS[design]


def approved_classes(group: LightingGroup) -> list[str]:
    """Return the classes a group may run in, from its design class to its lowest class."""
    first = _class_number(group.design_class)
    last = _class_number(group.lowest_class) if group.lowest_class else first
    return [f"{group.family}{n}" for n in range(first, last + 1)]


def _classes_down(traffic_frac: np.ndarray) -> np.ndarray:
    """UNI 11248 classes down for traffic relative to the design flow."""
    return np.where(
        traffic_frac < TWO_CLASSES_DOWN_BELOW_FRAC,
        2,
        np.where(traffic_frac < ONE_CLASS_DOWN_BELOW_FRAC, 1, 0),
    )


def allowed_class(
    group: LightingGroup, index: pd.DatetimeIndex, tz: str = "Europe/Berlin"
) -> pd.Series:
    """Lowest class allowed in each step by traffic and the approved range.

    The hourly reading of a step is ``group.traffic_profile[local hour]`` relative
    to ``group.design_traffic_factor``. A step may go as many classes down as
    *both* its hour's reading and the previous hour's reading allow (dim down
    only after two consecutive low readings); one high reading brightens at
    once. Consecutive means consecutive real hours, so the repeated 02:00 hour
    of the autumn DST day and the skipped hour in spring are handled. The
    result never goes below ``group.lowest_class`` (``None``: design class only).

    Returns
    -------
    pandas.Series
        Class names (e.g. ``"M4"``) on the UTC index.
    """
    utc = require_utc_index(index)
    _check_step_at_most_hour(utc)
    check_timezone(tz)
    profile = np.asarray(group.traffic_profile, dtype=float) / group.design_traffic_factor
    hour_now = utc.tz_convert(tz).hour.to_numpy()
    hour_before = (utc - pd.Timedelta(hours=1)).tz_convert(tz).hour.to_numpy()
    down = np.minimum(_classes_down(profile[hour_now]), _classes_down(profile[hour_before]))
    classes = approved_classes(group)
    down = np.minimum(down, len(classes) - 1)
    return pd.Series(np.asarray(classes, dtype=object)[down], index=utc, name="class")


def _level_of_class(group: LightingGroup, cls: str) -> float:
    """Dim level [0..1] for running ``group`` in ``cls`` (clipped at min_dim_frac)."""
    return max(group.min_dim_frac, class_level_frac(group.design_class, cls))


def min_level_frac(
    group: LightingGroup, index: pd.DatetimeIndex, tz: str = "Europe/Berlin"
) -> pd.Series:
    """Lowest compliant dim level per step [0..1].

    ``max(min_dim_frac, required(allowed class) / required(design class))``
    with the allowed class from :func:`allowed_class`.
    """
    classes = allowed_class(group, index, tz)
    levels = {cls: _level_of_class(group, cls) for cls in approved_classes(group)}
    return pd.Series(
        classes.map(levels).to_numpy(dtype=float), index=classes.index, name="min_level_frac"
    )


def discrete_levels(group: LightingGroup) -> np.ndarray:
    """Dim levels the group can run at: its approved classes' levels and 1.0, ascending."""
    levels = {_level_of_class(group, cls) for cls in approved_classes(group)} | {1.0}
    return np.array(sorted(levels))


def group_power_constants(group: LightingGroup) -> tuple[float, float, float]:
    """Linear power coefficients of a group [kW].

    Returns
    -------
    tuple of float
        ``(a_kw, b_kw, standby_kw)`` with ``a_kw = n p_nom a / 1000`` (driver
        offset at full dark), ``b_kw = n p_nom (1 - a) / 1000`` (the part that
        scales with the level) and ``standby_kw = n p_standby / 1000``.
    """
    n = group.luminaires
    a = group.driver_offset_frac
    return (
        n * group.nominal_w * a / 1000.0,
        n * group.nominal_w * (1.0 - a) / 1000.0,
        n * group.standby_w / 1000.0,
    )


def _check_frac(values: np.ndarray, name: str) -> None:
    if values.size and (np.nanmin(values) < 0 or np.nanmax(values) > 1 or np.isnan(values).any()):
        raise InputDataError(
            f"{name}: values must lie in 0..1, got {np.nanmin(values):g}..{np.nanmax(values):g}"
        )


def _linear_power_kw(
    a_kw: np.ndarray | float,
    b_kw: np.ndarray | float,
    standby_kw: np.ndarray | float,
    level_frac: np.ndarray,
    dark_frac: np.ndarray,
) -> np.ndarray:
    """``dark * (a_kw + b_kw * level) + (1 - dark) * standby_kw`` [kW]."""
    _check_frac(level_frac, "level_frac")
    _check_frac(dark_frac, "dark_frac")
    return dark_frac * (a_kw + b_kw * level_frac) + (1.0 - dark_frac) * standby_kw


def power_kw(
    group: LightingGroup,
    level_frac: pd.Series | np.ndarray | float,
    dark_frac: pd.Series | np.ndarray | float,
) -> pd.Series | np.ndarray:
    """Electric input power of a group [kW].

    ``n * (p_nom * (a + (1 - a) * level) * dark + p_standby * (1 - dark)) / 1000``
    (LIGHTING.md, "Luminaire power"): luminaires burn at ``level`` for the dark
    part of the step and draw standby power while switched off.

    Parameters
    ----------
    group
        The lighting group (count, nominal W, driver offset, standby W).
    level_frac
        Dim level while burning [0..1].
    dark_frac
        Dark fraction of each step [0..1], see :func:`dark_fraction`.

    Returns
    -------
    pandas.Series or numpy.ndarray
        A Series on the index of ``level_frac`` or ``dark_frac`` if either is a
        Series, else an array.
    """
    a_kw, b_kw, standby_kw = group_power_constants(group)
    level = np.asarray(level_frac, dtype=float)
    dark = np.asarray(dark_frac, dtype=float)
    p = _linear_power_kw(a_kw, b_kw, standby_kw, level, dark)
    for ref in (level_frac, dark_frac):
        if isinstance(ref, pd.Series):
            return pd.Series(np.broadcast_to(p, ref.shape), index=ref.index, name="p_kw")
    return p


@dataclass(frozen=True)
class LightingInputs:
    """Arrays of all lighting groups of a district for the optimiser.

    Power of group g in step t is linear in its dim level ``x[g, t]``:
    ``dark_frac[g, t] * (a_kw[g] + b_kw[g] * x[g, t]) + (1 - dark_frac[g, t]) * standby_kw[g]``
    with ``min_level_frac[g, t] <= x[g, t] <= 1`` and, for a discrete schedule,
    ``x[g, t]`` in ``discrete_levels[g]``.

    Attributes
    ----------
    group_ids : list of str
        Group ids, in the district's order (row g).
    index : pandas.DatetimeIndex
        UTC time axis (column t).
    dt_h : float
        Step length [h].
    dark_frac : numpy.ndarray
        (G, T) dark fraction of each step [0..1].
    min_level_frac : numpy.ndarray
        (G, T) lowest compliant dim level [0..1].
    a_kw, b_kw, standby_kw : numpy.ndarray
        (G,) power coefficients [kW], see :func:`group_power_constants`.
    discrete_levels : list of numpy.ndarray
        Per group: allowed levels, ascending, ending in 1.0.
    """

    group_ids: list[str]
    index: pd.DatetimeIndex
    dt_h: float
    dark_frac: np.ndarray
    min_level_frac: np.ndarray
    a_kw: np.ndarray
    b_kw: np.ndarray
    standby_kw: np.ndarray
    discrete_levels: list[np.ndarray]

    def power_kw(self, level_frac: np.ndarray) -> np.ndarray:
        """(G, T) power [kW] at dim levels ``level_frac`` (broadcast to (G, T))."""
        level = np.broadcast_to(np.asarray(level_frac, dtype=float), self.dark_frac.shape)
        return _linear_power_kw(
            self.a_kw[:, None], self.b_kw[:, None], self.standby_kw[:, None], level, self.dark_frac
        )

    def energy_kwh(self, level_frac: np.ndarray) -> np.ndarray:
        """(G,) energy over the horizon [kWh] at dim levels ``level_frac``."""
        return self.power_kw(level_frac).sum(axis=1) * self.dt_h


def lighting_inputs(
    district: District, index: pd.DatetimeIndex, threshold_deg: float = DEFAULT_THRESHOLD_DEG
) -> LightingInputs:
    """Dark fractions, minimum levels and power coefficients of all groups.

    The dark fraction is computed once for the site and shared by all groups.
    """
    utc = require_utc_index(index)
    dt_h = _check_step_at_most_hour(utc)
    site = district.site
    groups = district.lighting
    dark = dark_fraction(utc, site.latitude, site.longitude, site.altitude_m, threshold_deg)
    constants = np.array([group_power_constants(g) for g in groups], dtype=float).reshape(-1, 3)
    return LightingInputs(
        group_ids=[g.id for g in groups],
        index=utc,
        dt_h=dt_h,
        dark_frac=np.tile(dark.to_numpy(), (len(groups), 1)),
        min_level_frac=np.array(
            [min_level_frac(g, utc, site.timezone).to_numpy() for g in groups], dtype=float
        ).reshape(len(groups), len(utc)),
        a_kw=constants[:, 0],
        b_kw=constants[:, 1],
        standby_kw=constants[:, 2],
        discrete_levels=[discrete_levels(g) for g in groups],
    )


def baseline_level_s0(index: pd.DatetimeIndex) -> pd.Series:
    """Baseline S0: dim level 1.0 in every step (full power whenever dark)."""
    utc = require_utc_index(index)
    return pd.Series(1.0, index=utc, name="level_frac")


def night_window_share(index: pd.DatetimeIndex, tz: str = "Europe/Berlin") -> pd.Series:
    """Share of each step [0..1] that lies in the local night window 22:00-06:00.

    Computed exactly from the local clock time of the step's start and its
    length (steps <= 1 h). With hour-aligned steps in a whole-hour time zone
    (Europe/Berlin) every share is 0 or 1.
    """
    utc = require_utc_index(index)
    dt_min = _check_step_at_most_hour(utc) * 60.0
    check_timezone(tz)
    local = utc.tz_convert(tz)
    start = (local.hour * 60 + local.minute + local.second / 60).to_numpy(dtype=float)
    end = start + dt_min
    # the window as two intervals on the clock of one day: [-2 h, 6 h) and [22 h, 30 h)
    share = np.zeros(len(utc))
    for lo, hi in (
        (S1_START_HOUR * 60 - 1440, S1_END_HOUR * 60),
        (S1_START_HOUR * 60, S1_END_HOUR * 60 + 1440),
    ):
        share += np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None)
    return pd.Series(share / dt_min, index=utc, name="night_share")


def baseline_level_s1(index: pd.DatetimeIndex, tz: str = "Europe/Berlin") -> pd.Series:
    """Baseline S1: 50 % from 22:00 to 06:00 local time, 100 % otherwise [0..1].

    A step that straddles 22:00 or 06:00 gets the time-weighted mean level
    ``1 - 0.5 * share`` with ``share`` from :func:`night_window_share`; with
    hour-aligned steps in Europe/Berlin no step straddles.
    """
    share = night_window_share(index, tz)
    return (1.0 - (1.0 - S1_LEVEL_FRAC) * share).rename("level_frac")


def lighting_summary(
    district: District,
    year: int,
    threshold_deg: float = DEFAULT_THRESHOLD_DEG,
    resolution: str = "1h",
) -> pd.DataFrame:
    """Burning hours and energy per lighting group over a local calendar year.

    Columns: ``luminaires``, ``burning_h`` (``sum dark_frac * dt_h``),
    ``burning_22_06_h`` (the part in the 22:00-06:00 window), ``e_s0_kwh``,
    ``e_s1_kwh`` (S1 level clipped at the group's ``min_dim_frac``),
    ``e_min_kwh`` (every step at the traffic-adaptive minimum level). All
    energies include standby while switched off. The last row, ``total``, sums
    the groups (its burning hours are the site's, the same for every group).
    """
    if not district.lighting:
        raise InputDataError("lighting: the district has no lighting groups")
    tz = district.site.timezone
    index = year_index(year, resolution, tz)
    inputs = lighting_inputs(district, index, threshold_deg)
    share = night_window_share(index, tz).to_numpy()
    min_dim = np.array([g.min_dim_frac for g in district.lighting])[:, None]
    s1 = np.maximum(baseline_level_s1(index, tz).to_numpy()[None, :], min_dim)
    burning_h = inputs.dark_frac.sum(axis=1) * inputs.dt_h
    frame = pd.DataFrame(
        {
            "luminaires": [g.luminaires for g in district.lighting],
            "burning_h": burning_h,
            "burning_22_06_h": (inputs.dark_frac * share).sum(axis=1) * inputs.dt_h,
            "e_s0_kwh": inputs.energy_kwh(baseline_level_s0(index).to_numpy()),
            "e_s1_kwh": inputs.energy_kwh(s1),
            "e_min_kwh": inputs.energy_kwh(inputs.min_level_frac),
        },
        index=pd.Index(inputs.group_ids, name="group"),
    )
    total = frame.sum()
    total["burning_h"] = frame["burning_h"].iloc[0]
    total["burning_22_06_h"] = frame["burning_22_06_h"].iloc[0]
    frame.loc["total"] = total
    frame["luminaires"] = frame["luminaires"].astype(int)
    return frame
