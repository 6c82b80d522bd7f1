"""The AC check of a run's schedule with reactive power on every node.

:func:`schedule_q_kvar` splits a schedule into what each node draws or feeds
(building loads, PV output after curtailment, street lighting) and gives each
part its reactive power (:mod:`energy.models.reactive`: load cos phi by
profile, PV by VDE-AR-N 4105's cos phi(P), lighting); batteries exchange
active power only. :func:`check_run` is the AC check of a scenario and of
grid-aware dispatch (:func:`energy.optimisation.grid_aware.grid_aware_dispatch`
takes :func:`q_kvar_of` of the run).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from energy.district import District
from energy.models.reactive import ReactivePower, node_q_kvar
from energy.progress import ProgressCallback, scaled
from energy.system import DispatchInputs, curtailable_kw_by_node

if TYPE_CHECKING:
    import pandapower as pp

    from energy.models.grid.check import GridCheckResult
    from energy.models.grid.powerflow import TimeSeriesRunner
    from energy.optimisation.grid_aware import GridAwareResult


def pv_output_kw(inputs: DispatchInputs, schedule: pd.DataFrame) -> pd.DataFrame:
    """PV output per system after curtailment [kW].

    A node's curtailment (``pv_curtailed_kw:<node>``) is shared by its
    curtailable systems in proportion to their available output, as
    :func:`energy.system.split_curtailment` shares the district's.
    """
    out = inputs.pv_kw.copy()
    avail = curtailable_kw_by_node(inputs)
    for pid in inputs.pv_kw.columns:
        node = inputs.pv_node[pid]
        column = f"pv_curtailed_kw:{node}"
        if not inputs.curtailable(pid) or column not in schedule.columns:
            continue
        own = inputs.pv_kw[pid].to_numpy(dtype=float)
        share = np.divide(own, avail[node], out=np.zeros_like(own), where=avail[node] > 0)
        out[pid] = own - share * schedule[column].to_numpy(dtype=float)
    return out


def schedule_q_kvar(
    district: District,
    inputs: DispatchInputs,
    schedule: pd.DataFrame,
    settings: ReactivePower | None = None,
) -> pd.DataFrame:
    """Reactive power per node of a schedule [kvar], load convention (+ = consumed)."""
    lighting = {}
    if inputs.lighting is not None:
        lighting = {
            gid: schedule[f"lighting_kw:{gid}"].to_numpy() for gid in inputs.lighting.group_ids
        }
    return node_q_kvar(
        district,
        list(inputs.nodes),
        inputs.load_kw,
        pv_output_kw(inputs, schedule),
        lighting,
        settings,
    )


def q_kvar_of(
    district: District, inputs: DispatchInputs, settings: ReactivePower | None = None
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Return :func:`schedule_q_kvar` of a run as a function of its schedule."""

    def of(schedule: pd.DataFrame) -> pd.DataFrame:
        return schedule_q_kvar(district, inputs, schedule, settings)

    return of


def check_run(
    district: District,
    inputs: DispatchInputs,
    schedule: pd.DataFrame,
    node_p_kw: pd.DataFrame,
    settings: ReactivePower | None = None,
    net: pp.pandapowerNet | None = None,
    progress: ProgressCallback | None = None,
    runner: TimeSeriesRunner | None = None,
) -> GridCheckResult:
    """AC check of a run's schedule with the reactive power of :func:`schedule_q_kvar`.

    ``runner``: a prepared power flow of the grid (then ``net`` is not used).
    """
    from energy.models.grid.check import check_schedule

    q = schedule_q_kvar(district, inputs, schedule, settings)
    return check_schedule(district, node_p_kw, q_kvar=q, net=net, progress=progress, runner=runner)


def grid_summary(
    district: District,
    run: tuple[DispatchInputs, pd.DataFrame, pd.DataFrame],
    settings: ReactivePower | None,
    ac_check: bool,
    net: pp.pandapowerNet | None,
    grid_aware: GridAwareResult | None,
    report: ProgressCallback,
    timings: dict[str, float],
    runner: TimeSeriesRunner | None = None,
) -> dict[str, Any] | None:
    """Return the AC check's summary of a run (inputs, schedule, node powers), if one is done.

    With grid-aware dispatch its last AC check is the check of the schedule
    (plus ``grid_aware``, :meth:`~energy.optimisation.grid_aware.GridAwareResult.record`);
    else :func:`check_run` when ``ac_check``; the time taken goes to
    ``timings["ac_check_s"]``. ``elements`` holds each bus's, line's and
    transformer's extremes and violation steps
    (:func:`energy.models.grid.geojson.element_maxima`), so a stored run's map
    needs no power flow. ``runner``: a prepared power flow of ``net`` to use.
    """
    if grid_aware is not None:
        checked = grid_aware.check
        return _with_elements(checked) | {"grid_aware": grid_aware.record()}
    if not ac_check:
        return None
    report(0.8, f"AC power-flow check of {len(run[2])} steps")
    t = time.perf_counter()
    progress = scaled(report, 0.8, 0.98)
    checked = check_run(district, *run, settings, net=net, progress=progress, runner=runner)
    timings["ac_check_s"] = time.perf_counter() - t
    return _with_elements(checked)


def _with_elements(checked: GridCheckResult) -> dict[str, Any]:
    """Return the check's summary plus its per-element extremes (``elements``)."""
    from energy.models.grid.geojson import element_maxima

    return dict(checked.summary) | {
        "elements": element_maxima(checked.timeseries, checked.violations)
    }
