"""PV hosting capacity of a district, on its unoptimised schedule (baseline B0).

:func:`district_hosting_capacity` runs the bisection of
:func:`energy.models.grid.hosting.hosting_capacity` (many AC power flows per
building) on the district's baseline B0 (:func:`energy.baselines.baseline_node_p_kw`):
building loads, existing PV (curtailed only above the export bound, as B0's
inverter feed-in limitation), lighting S0 and idle batteries. The same B0 is
the default schedule of ``energy grid check`` (:func:`district_b0_node_p_kw`).
"""

from __future__ import annotations

import pandapower as pp
import pandas as pd

from energy.ac_check import schedule_q_kvar
from energy.baselines import baseline_b0, baseline_node_p_kw
from energy.district import District
from energy.errors import InputDataError
from energy.models.grid.build import build_network
from energy.models.grid.check import Limits
from energy.models.grid.hosting import (
    HostingCapacityResult,
    hosting_capacity,
    reference_pv_kw_per_kwp,
)
from energy.models.grid.powerflow import Method
from energy.models.reactive import ReactivePower
from energy.models.weather import weather_for_index
from energy.progress import ProgressCallback
from energy.scenario import inputs_from_district
from energy.system import node_injections_kw
from energy.timeindex import require_utc_index, year_index


def district_b0_node_p_kw(
    district: District, index: pd.DatetimeIndex, weather: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Net power per node of the district's baseline B0 [kW], load convention.

    Parameters
    ----------
    district
        The district.
    index
        UTC time axis.
    weather
        Canonical weather on ``index``; default the shipped test reference year
        (:func:`energy.models.weather.weather_for_index`).
    """
    utc = require_utc_index(index)
    if weather is None:
        weather = weather_for_index(utc, district.site)
    elif not weather.index.equals(utc):
        raise InputDataError("weather: its index differs from the schedule index")
    return baseline_node_p_kw(inputs_from_district(district, utc, weather))


def district_b0_q_kvar(
    district: District,
    index: pd.DatetimeIndex,
    weather: pd.DataFrame | None = None,
    settings: ReactivePower | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Net active [kW] and reactive [kvar] power per node of the district's B0, load convention.

    The reactive power is :func:`energy.ac_check.schedule_q_kvar` of B0's
    schedule (loads by profile, PV by VDE-AR-N 4105, lighting), as a run's AC
    check takes it. Parameters as :func:`district_b0_node_p_kw`, plus the
    reactive-power ``settings``.
    """
    utc = require_utc_index(index)
    if weather is None:
        weather = weather_for_index(utc, district.site)
    elif not weather.index.equals(utc):
        raise InputDataError("weather: its index differs from the schedule index")
    inputs = inputs_from_district(district, utc, weather)
    b0 = baseline_b0(inputs).schedule
    return node_injections_kw(inputs, b0), schedule_q_kvar(district, inputs, b0, settings)


def district_hosting_capacity(
    district: District,
    index: pd.DatetimeIndex | None = None,
    weather: pd.DataFrame | None = None,
    net: pp.pandapowerNet | None = None,
    limits: Limits | None = None,
    n_critical: int = 48,
    max_kwp: float = 1000.0,
    tol_kwp: float = 1.0,
    method: Method = "auto",
    progress: ProgressCallback | None = None,
) -> HostingCapacityResult:
    """Hosting capacity of a district's buildings over a year.

    The base schedule is B0 (:func:`district_b0_node_p_kw`); the additional PV
    follows :func:`~energy.models.grid.hosting.reference_pv_kw_per_kwp`; the
    candidates are the buildings. Other parameters as in
    :func:`~energy.models.grid.hosting.hosting_capacity`.

    Parameters
    ----------
    district
        The district.
    index
        UTC time axis; default the local year 2025 at 1 h.
    weather
        Canonical weather on ``index``; default the shipped test reference year.
    net
        Optional prepared network (default :func:`~energy.models.grid.build_network`).
    limits, n_critical, max_kwp, tol_kwp, method, progress
        See :func:`~energy.models.grid.hosting.hosting_capacity`.
    """
    utc = year_index(2025, tz=district.site.timezone) if index is None else index
    wx = weather if weather is not None else weather_for_index(utc, district.site)
    base = district_b0_node_p_kw(district, utc, wx)
    pv = reference_pv_kw_per_kwp(district, wx)
    return hosting_capacity(
        net if net is not None else build_network(district),
        base,
        pv,
        candidates=[b.id for b in district.buildings],
        limits=limits,
        n_critical=n_critical,
        max_kwp=max_kwp,
        tol_kwp=tol_kwp,
        method=method,
        progress=progress,
    )
