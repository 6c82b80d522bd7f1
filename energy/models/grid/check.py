"""Grid limits, the violation report and the AC check of a schedule.

Limits (defaults):

* voltage band 0.90-1.10 pu at every bus (DIN EN 50160:2020, 10-minute means
  of the supply voltage within +/-10 % of 230/400 V);
* voltage rise by generation at most 3 % (VDE-AR-N 4105:2018-11, 5.3.2: the
  generating units of a low-voltage network may raise the voltage at any
  connection point by at most 3 % against the voltage without them);
* lines and transformers at most 100 % of their rated current.

How the 3 % criterion is evaluated here: the rise of a bus in a step is its
voltage minus its *no-load* voltage (the same network with every node power
zero: no load, no generation, batteries idle), in % of nominal voltage, and
counts only where positive. The network operator's planning check of VDE-AR-N
4105 takes full generation against the voltage without generation at minimal
load; net node powers already contain the load, so the rise above no-load is
the rise the step's net feed-in causes. It is a linear criterion on the node
powers, so the dispatch optimiser can respect it (see
:mod:`energy.optimisation.network`).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandapower as pp
import pandas as pd

from energy.district import District
from energy.errors import InputDataError
from energy.models.grid.build import build_network
from energy.models.grid.powerflow import GridTimeSeriesResult, Method, TimeSeriesRunner
from energy.progress import ProgressCallback
from energy.timeindex import step_hours

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Operating limits of the grid check.

    Parameters
    ----------
    v_min_pu, v_max_pu
        Voltage band [pu] (DIN EN 50160: 0.90-1.10).
    max_loading_pct
        Line and transformer loading limit [%].
    voltage_rise_pct
        Largest voltage rise above the no-load voltage [% of nominal]
        (VDE-AR-N 4105: 3); ``None`` switches the criterion off.
    """

    v_min_pu: float = 0.90
    v_max_pu: float = 1.10
    max_loading_pct: float = 100.0
    voltage_rise_pct: float | None = 3.0

    def __post_init__(self) -> None:
        if not 0.5 <= self.v_min_pu < self.v_max_pu <= 1.5:
            raise InputDataError(
                f"voltage band: v_min_pu {self.v_min_pu} and v_max_pu {self.v_max_pu} are not "
                "allowed; they need 0.5 <= v_min_pu < v_max_pu <= 1.5"
            )
        if not 0.0 < self.max_loading_pct <= 1000.0:
            raise InputDataError(
                f"max_loading_pct: {self.max_loading_pct} % is not allowed; it must be in (0, 1000]"
            )
        if self.voltage_rise_pct is not None and not 0.0 < self.voltage_rise_pct <= 50.0:
            raise InputDataError(
                f"voltage_rise_pct: {self.voltage_rise_pct} % is not allowed; it must be in "
                "(0, 50] or None"
            )

    def violated_rows(
        self,
        vm_pu: np.ndarray,
        vm_noload_pu: np.ndarray,
        line_loading_pct: np.ndarray,
        trafo_loading_pct: np.ndarray,
    ) -> np.ndarray:
        """Return one bool per row (step): does any element break a limit? NaN never does."""
        bad = np.zeros(len(vm_pu), dtype=bool)
        with np.errstate(invalid="ignore"):
            bad |= (vm_pu < self.v_min_pu).any(axis=1) | (vm_pu > self.v_max_pu).any(axis=1)
            if self.voltage_rise_pct is not None:
                rise = (vm_pu - vm_noload_pu[None, :]) * 100.0
                bad |= (rise > self.voltage_rise_pct).any(axis=1)
            bad |= (line_loading_pct > self.max_loading_pct).any(axis=1)
            bad |= (trafo_loading_pct > self.max_loading_pct).any(axis=1)
        return bad


VIOLATION_COLUMNS = [
    "time_utc",
    "time_local",
    "element_type",
    "element",
    "kind",
    "value",
    "limit",
    "unit",
]


def _violation_rows(
    frame: pd.DataFrame,
    mask: np.ndarray,
    element_type: str,
    kind: str,
    values: np.ndarray,
    limit: float,
    unit: str,
) -> pd.DataFrame | None:
    """Rows of the steps x elements where ``mask`` holds, or None if there are none."""
    rows, cols = np.nonzero(mask)
    if not len(rows):
        return None
    return pd.DataFrame(
        {
            "time_utc": frame.index[rows],
            "element_type": element_type,
            "element": frame.columns[cols].astype(str),
            "kind": kind,
            "value": values[rows, cols],
            "limit": limit,
            "unit": unit,
        }
    )


def _empty_violations(tz: str) -> pd.DataFrame:
    """Return the violations table with no rows (typed columns)."""
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in VIOLATION_COLUMNS})
    out["time_utc"] = pd.DatetimeIndex([], tz="UTC")
    out["time_local"] = pd.DatetimeIndex([], tz=tz)
    return out


def violations(
    result: GridTimeSeriesResult, limits: Limits | None = None, tz: str = "Europe/Berlin"
) -> pd.DataFrame:
    """List every limit violation of an AC time series.

    Parameters
    ----------
    result
        The AC time series.
    limits
        The limits (default :class:`Limits()`).
    tz
        Time zone of the ``time_local`` column.

    Returns
    -------
    pandas.DataFrame
        One row per element, step and kind, sorted by time and element:
        ``time_utc``, ``time_local``, ``element_type`` (bus, line, trafo),
        ``element`` (its name), ``kind`` (undervoltage, overvoltage,
        voltage_rise, line_overload, trafo_overload), ``value`` and ``limit``
        in ``unit`` (pu or %).
    """
    lim = limits or Limits()
    vm = result.vm_pu.to_numpy(dtype=float)
    found: list[pd.DataFrame | None] = []
    with np.errstate(invalid="ignore"):
        found.append(
            _violation_rows(
                result.vm_pu, vm < lim.v_min_pu, "bus", "undervoltage", vm, lim.v_min_pu, "pu"
            )
        )
        found.append(
            _violation_rows(
                result.vm_pu, vm > lim.v_max_pu, "bus", "overvoltage", vm, lim.v_max_pu, "pu"
            )
        )
        if lim.voltage_rise_pct is not None:
            rise = (vm - result.vm_noload_pu.to_numpy(dtype=float)[None, :]) * 100.0
            found.append(
                _violation_rows(
                    result.vm_pu,
                    rise > lim.voltage_rise_pct,
                    "bus",
                    "voltage_rise",
                    rise,
                    lim.voltage_rise_pct,
                    "%",
                )
            )
        for frame, element_type in (
            (result.line_loading_pct, "line"),
            (result.trafo_loading_pct, "trafo"),
        ):
            arr = frame.to_numpy(dtype=float)
            found.append(
                _violation_rows(
                    frame,
                    arr > lim.max_loading_pct,
                    element_type,
                    f"{element_type}_overload",
                    arr,
                    lim.max_loading_pct,
                    "%",
                )
            )
    parts = [part for part in found if part is not None]
    if not parts:
        return _empty_violations(tz)
    out = pd.concat(parts, ignore_index=True)
    out["time_local"] = pd.DatetimeIndex(out["time_utc"]).tz_convert(tz)
    out = out.sort_values(["time_utc", "element_type", "element", "kind"], ignore_index=True)
    return out[VIOLATION_COLUMNS]


def _argext(frame: pd.DataFrame, largest: bool) -> tuple[float, str, str]:
    """(value, column, ISO time) of the largest or smallest entry; NaN-safe."""
    arr = frame.to_numpy(dtype=float)
    if arr.size == 0 or np.isnan(arr).all():
        return float("nan"), "", ""
    flat = int(np.nanargmax(arr) if largest else np.nanargmin(arr))
    row, col = divmod(flat, arr.shape[1])
    return float(arr[row, col]), str(frame.columns[col]), frame.index[row].isoformat()


def summarise(result: GridTimeSeriesResult, found: pd.DataFrame) -> dict[str, Any]:
    """Headline KPIs of an AC time series and its violations.

    Returns a dict: steps, ``dt_h``, extreme voltages (value, bus, UTC time),
    the largest voltage rise above no-load [%], the largest line and
    transformer loading [%], violation counts, ``hours_in_violation`` (steps
    with at least one violation x ``dt_h``), losses, import and export [kWh].
    """
    index = result.index
    dt_h = step_hours(index)
    v_min, v_min_bus, v_min_time = _argext(result.vm_pu, largest=False)
    v_max, v_max_bus, v_max_time = _argext(result.vm_pu, largest=True)
    rise = (result.vm_pu - result.vm_noload_pu) * 100.0
    rise_max, rise_bus, rise_time = _argext(rise, largest=True)
    line_max, line_name, line_time = _argext(result.line_loading_pct, largest=True)
    trafo_max, trafo_name, trafo_time = _argext(result.trafo_loading_pct, largest=True)
    steps_bad = int(found["time_utc"].nunique()) if len(found) else 0
    p_ext = result.p_ext_grid_kw
    return {
        "steps": len(index),
        "dt_h": dt_h,
        "start": index[0].isoformat(),
        "method": result.method,
        "elapsed_s": result.elapsed_s,
        "v_min_pu": v_min,
        "v_min_bus": v_min_bus,
        "v_min_time": v_min_time,
        "v_max_pu": v_max,
        "v_max_bus": v_max_bus,
        "v_max_time": v_max_time,
        "max_voltage_rise_pct": max(rise_max, 0.0),
        "max_voltage_rise_bus": rise_bus,
        "max_voltage_rise_time": rise_time,
        "max_line_loading_pct": line_max,
        "max_line": line_name,
        "max_line_time": line_time,
        "max_trafo_loading_pct": trafo_max,
        "max_trafo": trafo_name,
        "max_trafo_time": trafo_time,
        "violations": len(found),
        "violating_steps": steps_bad,
        "hours_in_violation": steps_bad * dt_h,
        "elements_in_violation": int(found["element"].nunique()) if len(found) else 0,
        "losses_kwh": float(result.losses_kw.sum() * dt_h),
        "import_kwh": float(p_ext.clip(lower=0).sum() * dt_h),
        "export_kwh": float((-p_ext).clip(lower=0).sum() * dt_h),
        "clean": len(found) == 0,
    }


@dataclass(frozen=True)
class GridCheckResult:
    """The AC check of a schedule: KPIs, the violation list and the time series."""

    summary: dict[str, Any]
    violations: pd.DataFrame
    timeseries: GridTimeSeriesResult
    limits: Limits = field(default_factory=Limits)


def check_result(
    result: GridTimeSeriesResult, limits: Limits | None = None, tz: str = "Europe/Berlin"
) -> GridCheckResult:
    """Violations and KPIs of an AC time series that was already computed."""
    lim = limits or Limits()
    found = violations(result, lim, tz)
    summary = summarise(result, found) | violation_counts(result, found) | {"limits": asdict(lim)}
    return GridCheckResult(summary, found, result, lim)


#: The kinds of violation (``kind`` of :func:`violations`), in the order reports list them.
VIOLATION_KINDS = ("voltage_rise", "overvoltage", "undervoltage", "trafo_overload", "line_overload")


def violation_counts(result: GridTimeSeriesResult, found: pd.DataFrame) -> dict[str, Any]:
    """Violations by kind, and those in steps where the district feeds in.

    Returns ``violations_by_kind`` (every kind of :data:`VIOLATION_KINDS`,
    0 where none) and ``feed_in_violations``: violations in steps with net
    export at the transformer (``p_ext_grid_kw < 0``), i.e. caused by
    generation, the ones an exceeded hosting capacity produces.
    """
    kinds = found["kind"].value_counts() if len(found) else pd.Series(dtype=int)
    export_steps = result.p_ext_grid_kw.index[result.p_ext_grid_kw.to_numpy(dtype=float) < 0]
    in_export = found["time_utc"].isin(export_steps) if len(found) else pd.Series(dtype=bool)
    return {
        "violations_by_kind": {k: int(kinds.get(k, 0)) for k in VIOLATION_KINDS},
        "feed_in_violations": int(in_export.sum()),
    }


def check_schedule(
    district: District,
    node_p_kw: pd.DataFrame,
    q_kvar: pd.DataFrame | None = None,
    cos_phi: float = 1.0,
    v_min_pu: float = 0.90,
    v_max_pu: float = 1.10,
    max_loading_pct: float = 100.0,
    voltage_rise_pct: float | None = 3.0,
    net: pp.pandapowerNet | None = None,
    method: Method = "auto",
    progress: ProgressCallback | None = None,
    runner: TimeSeriesRunner | None = None,
) -> GridCheckResult:
    """AC check of a district schedule.

    Parameters
    ----------
    district
        The district; its network is built with :func:`build_network` unless
        ``net`` is given (e.g. an imported net mapped with ``map_to_district``).
    node_p_kw
        Net power per node [kW], load convention (+ = drawn from the grid), UTC
        index x node ids (building ids, ``"substation"``, ``"light:<id>"``).
    q_kvar, cos_phi
        Reactive power, see :func:`~energy.models.grid.powerflow.run_timeseries`.
    v_min_pu, v_max_pu, max_loading_pct, voltage_rise_pct
        Limits, see :class:`Limits`.
    net
        Optional prepared network.
    method
        Power-flow method, see :func:`~energy.models.grid.powerflow.run_timeseries`.
    progress
        Optional progress callback.
    runner
        A prepared power flow of the grid (e.g. :func:`energy.models.cache.runner`);
        ``net`` and ``method`` are then not used.

    Returns
    -------
    GridCheckResult
    """
    limits = Limits(v_min_pu, v_max_pu, max_loading_pct, voltage_rise_pct)
    if runner is None:
        runner = TimeSeriesRunner(net if net is not None else build_network(district), method)
    result = runner.run(node_p_kw, q_kvar, cos_phi, progress)
    checked = check_result(result, limits, district.site.timezone)
    logger.info(
        "grid check: %d violations in %d steps",
        len(checked.violations),
        checked.summary["violating_steps"],
    )
    return checked
