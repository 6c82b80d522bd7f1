"""Schedules and their indicators: cost, energy, CO2, autarky, peak, battery use.

A *schedule* is the common output of the optimiser and of the baselines: a
DataFrame on the UTC dispatch index (interval-start labels, interval means)
with district columns and per-asset columns (``"<quantity>:<id>"``):

========================  =====================================================
column                    meaning [unit]
========================  =====================================================
``load_kw``               building loads [kW]
``lighting_kw``           street lighting [kW]
``pv_kw``                 available PV AC output [kW]
``pv_curtailed_kw``       curtailed PV [kW]
``p_charge_kw``           battery charging, all batteries [kW]
``p_discharge_kw``        battery discharging, all batteries [kW]
``soc_kwh``               stored energy at the END of the step, all batteries [kWh]
``p_import_kw``           import at the transformer [kW], >= 0
``p_export_kw``           export at the transformer [kW], >= 0
``import_price_eur_per_kwh``, ``feed_in_eur_per_kwh``, ``co2_g_per_kwh``  tariff
``p_charge_kw:<bat>``, ``p_discharge_kw:<bat>``, ``soc_kwh:<bat>``  per battery
``level:<group>``         dim level while dark [0..1] (0 in full daylight)
``lighting_kw:<group>``   lighting group power [kW]
``pv_curtailed_kw:<node>``  curtailment per node [kW]
========================  =====================================================

The state of charge is reported at the end of each step, as PyPSA reports
``state_of_charge`` (Brown et al. 2018, https://doi.org/10.5334/jors.188).

Indicators follow DESIGN.md "Definitions" and are computed from the schedule
alone, independent of any optimiser objective.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from energy.district import Battery, lighting_node
from energy.errors import InputDataError
from energy.timeindex import step_hours

if TYPE_CHECKING:
    from energy.optimisation.dispatch import DispatchInputs

#: KPIs that are fractions (savings of these are differences of fractions).
FRACTION_KPIS = ("self_sufficiency", "self_consumption")


def curtailable_kw_by_node(inputs: DispatchInputs) -> dict[str, np.ndarray]:
    """Available output of the curtailable PV per node [kW]."""
    out: dict[str, np.ndarray] = {}
    for pid in inputs.pv_kw.columns:
        if inputs.curtailable(pid):
            node = inputs.pv_node[pid]
            values = inputs.pv_kw[pid].to_numpy()
            out[node] = out[node] + values if node in out else values.copy()
    return out


def split_curtailment(inputs: DispatchInputs, total_kw: np.ndarray) -> dict[str, np.ndarray]:
    """Split district curtailment onto nodes in proportion to their curtailable PV.

    Each node's share never exceeds its available output, because the total
    never exceeds the sum of the available outputs.
    """
    avail = curtailable_kw_by_node(inputs)
    if not avail:
        return {}
    total_avail = np.sum(list(avail.values()), axis=0)
    frac = np.divide(total_kw, total_avail, out=np.zeros_like(total_kw), where=total_avail > 0)
    return {node: frac * a for node, a in avail.items()}


def schedule_frame(
    inputs: DispatchInputs,
    *,
    p_import_kw: np.ndarray,
    p_export_kw: np.ndarray,
    p_charge_kw: np.ndarray,
    p_discharge_kw: np.ndarray,
    soc_end_kwh: np.ndarray,
    curtailed_kw_by_node: Mapping[str, np.ndarray],
    level: np.ndarray,
) -> pd.DataFrame:
    """Assemble a schedule (see the module docstring) from per-asset arrays.

    Parameters
    ----------
    inputs
        The dispatch inputs the schedule belongs to.
    p_import_kw, p_export_kw
        (n,) exchange at the transformer [kW].
    p_charge_kw, p_discharge_kw, soc_end_kwh
        (B, n) per battery of ``inputs.batteries`` [kW, kW, kWh at step end].
    curtailed_kw_by_node
        Curtailment per node [kW].
    level
        (G, n) dim levels of ``inputs.lighting`` [0..1].
    """
    n = inputs.n_steps
    cols: dict[str, np.ndarray] = {}
    cols["load_kw"] = inputs.load_kw.to_numpy().sum(axis=1)
    light_kw = inputs.lighting_power_kw(level)
    cols["lighting_kw"] = light_kw.sum(axis=0) if len(light_kw) else np.zeros(n)
    cols["pv_kw"] = inputs.pv_kw.to_numpy().sum(axis=1)
    cols["pv_curtailed_kw"] = (
        np.sum(list(curtailed_kw_by_node.values()), axis=0) if curtailed_kw_by_node else np.zeros(n)
    )
    ch = np.asarray(p_charge_kw, dtype=float).reshape(-1, n)
    dis = np.asarray(p_discharge_kw, dtype=float).reshape(-1, n)
    soc = np.asarray(soc_end_kwh, dtype=float).reshape(-1, n)
    cols["p_charge_kw"] = ch.sum(axis=0)
    cols["p_discharge_kw"] = dis.sum(axis=0)
    cols["soc_kwh"] = soc.sum(axis=0)
    cols["p_import_kw"] = np.asarray(p_import_kw, dtype=float)
    cols["p_export_kw"] = np.asarray(p_export_kw, dtype=float)
    cols["import_price_eur_per_kwh"] = inputs.import_price_eur_per_kwh
    cols["feed_in_eur_per_kwh"] = inputs.feed_in_eur_per_kwh
    cols["co2_g_per_kwh"] = inputs.co2_g_per_kwh
    for i, bat in enumerate(inputs.batteries):
        cols[f"p_charge_kw:{bat.id}"] = ch[i]
        cols[f"p_discharge_kw:{bat.id}"] = dis[i]
        cols[f"soc_kwh:{bat.id}"] = soc[i]
    if inputs.lighting is not None:
        for g, gid in enumerate(inputs.lighting.group_ids):
            cols[f"level:{gid}"] = level[g]
            cols[f"lighting_kw:{gid}"] = light_kw[g]
    for node, values in curtailed_kw_by_node.items():
        cols[f"pv_curtailed_kw:{node}"] = values
    return pd.DataFrame(cols, index=inputs.index)


def node_injections_kw(inputs: DispatchInputs, schedule: pd.DataFrame) -> pd.DataFrame:
    """Net power per node of a schedule [kW], load convention (+ = drawn from the grid).

    ``load + lighting + charge - discharge - PV + curtailed`` per node; the
    columns are :attr:`DispatchInputs.nodes`. Their sum equals import - export.
    """
    p = {node: np.zeros(inputs.n_steps) for node in inputs.nodes}
    for col in inputs.load_kw.columns:
        p[str(col)] += inputs.load_kw[col].to_numpy()
    for pid in inputs.pv_kw.columns:
        p[inputs.pv_node[pid]] -= inputs.pv_kw[pid].to_numpy()
    for bat in inputs.batteries:
        p[bat.at] += (
            schedule[f"p_charge_kw:{bat.id}"].to_numpy()
            - schedule[f"p_discharge_kw:{bat.id}"].to_numpy()
        )
    if inputs.lighting is not None:
        for gid in inputs.lighting.group_ids:
            p[lighting_node(gid)] += schedule[f"lighting_kw:{gid}"].to_numpy()
    for col in schedule.columns:
        if col.startswith("pv_curtailed_kw:"):
            p[col.split(":", 1)[1]] += schedule[col].to_numpy()
    frame = pd.DataFrame(p, index=schedule.index)
    frame.columns.name = "node"
    return frame


def _ratio(num: float, den: float) -> float:
    return 1.0 - num / den if den > 0 else math.nan


def compute_kpis(
    schedule: pd.DataFrame,
    batteries: Sequence[Battery] = (),
    peak_charge_eur_per_kw: float = 0.0,
) -> dict[str, float]:
    """Compute the indicators of a schedule, by DESIGN.md "Definitions".

    Parameters
    ----------
    schedule
        A schedule (see the module docstring).
    batteries
        Specs of the batteries in the schedule (capacity, initial SoC,
        throughput cost).
    peak_charge_eur_per_kw
        Charge on the horizon's maximum import [EUR/kW].

    Returns
    -------
    dict
        ``cost_eur`` = sum(price x import - feed-in x export) x dt + peak charge
        x max(import) + throughput costs, with its parts ``energy_cost_eur``,
        ``peak_cost_eur``, ``throughput_cost_eur``; ``co2_kg`` = sum(import x
        intensity) x dt / 1000 (no credit for export); ``e_import_kwh``,
        ``e_export_kwh``; ``e_consumption_kwh`` (buildings + lighting; battery
        losses separate); ``e_generation_kwh`` (PV after curtailment);
        ``self_sufficiency`` = 1 - import / consumption; ``self_consumption`` =
        1 - export / generation (NaN without generation); ``peak_import_kw``;
        ``e_lighting_kwh``; ``e_curtailed_kwh``; ``e_charge_kwh``,
        ``e_discharge_kwh``; ``battery_losses_kwh`` = charged - discharged -
        change of stored energy; ``battery_cycles`` = discharged energy /
        installed capacity (equivalent full cycles); ``delta_soc_kwh``.
    """
    if len(schedule) == 0:
        raise InputDataError("schedule: it has no steps")
    dt = step_hours(schedule.index)
    imp = schedule["p_import_kw"].to_numpy()
    exp = schedule["p_export_kw"].to_numpy()
    price = schedule["import_price_eur_per_kwh"].to_numpy()
    feed = schedule["feed_in_eur_per_kwh"].to_numpy()
    co2 = schedule["co2_g_per_kwh"].to_numpy()
    energy_cost = float((price * imp - feed * exp).sum() * dt)
    peak = float(imp.max())
    peak_cost = peak_charge_eur_per_kw * peak
    throughput = 0.0
    e_ch = e_dis = delta = capacity = 0.0
    for bat in batteries:
        ch = schedule[f"p_charge_kw:{bat.id}"].to_numpy()
        dis = schedule[f"p_discharge_kw:{bat.id}"].to_numpy()
        soc = schedule[f"soc_kwh:{bat.id}"].to_numpy()
        throughput += bat.throughput_cost_eur_per_kwh * float(dis.sum()) * dt
        e_ch += float(ch.sum()) * dt
        e_dis += float(dis.sum()) * dt
        delta += float(soc[-1]) - bat.soc_initial_frac * bat.capacity_kwh
        capacity += bat.capacity_kwh
    e_import = float(imp.sum() * dt)
    e_export = float(exp.sum() * dt)
    e_light = float(schedule["lighting_kw"].sum() * dt)
    e_cons = float(schedule["load_kw"].sum() * dt) + e_light
    e_curt = float(schedule["pv_curtailed_kw"].sum() * dt)
    e_gen = float(schedule["pv_kw"].sum() * dt) - e_curt
    return {
        "cost_eur": energy_cost + peak_cost + throughput,
        "energy_cost_eur": energy_cost,
        "peak_cost_eur": peak_cost,
        "throughput_cost_eur": throughput,
        "co2_kg": float((imp * co2).sum() * dt / 1000.0),
        "e_import_kwh": e_import,
        "e_export_kwh": e_export,
        "e_consumption_kwh": e_cons,
        "e_generation_kwh": e_gen,
        "self_sufficiency": _ratio(e_import, e_cons),
        "self_consumption": _ratio(e_export, e_gen),
        "peak_import_kw": peak,
        "e_lighting_kwh": e_light,
        "e_curtailed_kwh": e_curt,
        "e_charge_kwh": e_ch,
        "e_discharge_kwh": e_dis,
        "battery_losses_kwh": e_ch - e_dis - delta,
        "battery_cycles": e_dis / capacity if capacity > 0 else 0.0,
        "delta_soc_kwh": delta,
    }


def savings(baseline: Mapping[str, float], optimised: Mapping[str, float]) -> dict[str, float]:
    """Return savings against a baseline: ``baseline value - optimised value`` per KPI.

    Positive means the optimised schedule has less of it (EUR, kWh, kg saved);
    for the fractions (self-sufficiency, self-consumption) a negative value
    means the optimised schedule is better.
    """
    return {k: float(baseline[k]) - float(optimised[k]) for k in optimised if k in baseline}
