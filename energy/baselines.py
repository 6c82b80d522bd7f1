"""Baselines B0 and B1, simulated on the same inputs as the optimum.

DESIGN.md "Baselines":

* **B0**: batteries idle, lighting S0 (100 % whenever dark);
* **B1**: batteries on the self-consumption-first rule, lighting S1 (50 %
  from 22:00 to 06:00 local time, 100 % otherwise).

B0 is also the unoptimised schedule of the grid: :func:`baseline_node_p_kw`
gives its net power per node for the AC check of a district without a
schedule and for the base of PV hosting capacity (:mod:`energy.studies.hosting`).

Choices that make the three schedules comparable (documented, not hidden):

* **Where the rule acts.** A battery at a building sits behind that
  building's meter, as home batteries do in reality: it charges from the
  building's own PV surplus and discharges to cover the building's own
  deficit. A battery at the substation then acts on the district's residual
  (all loads, lighting and PV, after the building batteries). Without a
  district energy manager no battery sees the whole copper plate, so this is
  the honest "no optimisation" reference (and less favourable to B1 than a
  rule on the district balance).
* **Terminal state of charge.** The optimum ends with each battery at least
  as full as it started (``inputs.terminal_soc="geq_initial"``) or, as a
  scenario run asks (:func:`energy.scenario.scenario_inputs`), exactly as full
  (``"equal_initial"``: the stored energy at the end is *equalised*, so no
  comparison credits or ignores kWh left in a battery, see :mod:`energy.kpi`).
  So that a baseline does not look cheaper merely by emptying the batteries
  (or, for B0, by self-discharge), each baseline battery that ends below its
  target is recharged in the last steps of the horizon (first by dropping
  discharge, then by charging from the grid, as late as possible within power
  and SoC limits), reported as ``terminal_recharge_kwh``. Under
  ``equal_initial`` a battery that ends above its start (B1 after a sunny last
  day) gives the difference back in the last steps (first by dropping charge,
  then by discharging to the district, as late as possible, never below the
  minimum SoC), reported as ``terminal_release_kwh``.
* **Grid limits.** Surplus above the export bound is curtailed (inverter
  feed-in limitation) where PV is curtailable. Steps where a baseline still
  exceeds the import limit or the export bound are counted, not hidden.
* **Lighting compliance.** S1's 50 % can lie below the minimum level the
  traffic-adaptive class rule allows (e.g. 22:00-01:00, when traffic is still
  above half the design flow). B1 raises such steps to that minimum, so that
  every schedule compared is norm-compliant; the raised group-hours are
  reported as ``lighting_raised_group_h``.

* **Heat pumps and EV charging** (:func:`flex_baselines`): in both baselines
  the heat pumps run on a thermostat without look-ahead and every car charges
  at full power from its arrival (:mod:`energy.models.flex_rules`); the
  battery and lighting rules then see the building loads plus that electricity.

With these choices both baselines are feasible schedules of the LP, so the
optimum can never be worse than either (up to solver tolerance).

:func:`class_rule_lighting_kw` is the lighting at the traffic-adaptive class
minimum wherever dark: the reference that splits a lighting saving into what
the class rule brings and what optimisation adds on top (:mod:`energy.kpi`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from energy.district import SUBSTATION_NODE, Battery
from energy.models.flex_rules import rule_columns
from energy.models.lighting import baseline_level_s0, baseline_level_s1
from energy.system import (
    FLEX_NODE_COLUMNS,
    DispatchInputs,
    node_injections_kw,
    node_net_kw,
    schedule_frame,
    split_curtailment,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BaselineResult:
    """A baseline schedule and notes on how it was made comparable.

    ``notes`` holds ``terminal_recharge_kwh``, ``terminal_release_kwh``,
    ``lighting_raised_group_h``,
    ``import_limit_exceeded_steps`` and ``export_bound_exceeded_steps``.
    """

    name: str
    schedule: pd.DataFrame
    notes: dict[str, float]


def _decay(bat: Battery, dt_h: float) -> float:
    """SoC retained over one step, ``(1 - sigma)^dt`` (as in the dispatch model)."""
    return (1.0 - bat.self_discharge_frac_per_h) ** dt_h


def self_consumption_rule(
    bat: Battery, net_kw: np.ndarray, dt_h: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Operate one battery on the self-consumption-first rule.

    Charge from surplus (``net_kw < 0``), discharge to cover deficit
    (``net_kw > 0``), within power, SoC limits and efficiencies; SoC follows
    ``E' = E (1 - sigma)^dt + eta_ch P_ch dt - P_dis dt / eta_dis`` as in
    :func:`energy.optimisation.storage.define_battery`. A battery at its
    minimum SoC is trickle-charged for its self-discharge, as a battery
    management system holds the minimum (and the optimiser must). With
    ``net_kw = 0`` this is an idle battery.

    Parameters
    ----------
    bat
        The battery.
    net_kw
        (n,) net power the battery sees, load convention (+ = deficit) [kW].
    dt_h
        Step length [h].

    Returns
    -------
    tuple of numpy.ndarray
        ``(p_charge_kw, p_discharge_kw, soc_end_kwh)``, each (n,).
    """
    n = len(net_kw)
    ch = [0.0] * n
    dis = [0.0] * n
    soc_end = [0.0] * n
    k = _decay(bat, dt_h)
    lo = bat.soc_min_frac * bat.capacity_kwh
    hi = bat.soc_max_frac * bat.capacity_kwh
    p_max = bat.power_kw
    eta_c, eta_d = bat.eta_charge, bat.eta_discharge
    soc = bat.soc_initial_frac * bat.capacity_kwh
    for t, net in enumerate(net_kw.tolist()):
        kept = soc * k
        trickle = max(lo - kept, 0.0) / (eta_c * dt_h)
        if net > 0.0 and trickle == 0.0:
            p = min(net, p_max, (kept - lo) * eta_d / dt_h)
            dis[t] = p
            soc = kept - p * dt_h / eta_d
        else:
            p = max(min(-net, p_max, max(hi - kept, 0.0) / (eta_c * dt_h)), trickle)
            ch[t] = p
            soc = kept + eta_c * p * dt_h
        soc_end[t] = soc
    return np.array(ch), np.array(dis), np.array(soc_end)


def restore_terminal_soc(
    bat: Battery,
    ch: np.ndarray,
    dis: np.ndarray,
    soc_end: np.ndarray,
    dt_h: float,
    target_kwh: float,
) -> float:
    """Recharge a battery in the last steps until it ends at ``target_kwh``.

    Works backwards from the last step: first drops discharge, then adds
    charge, never above the power limit or above the maximum SoC at any later
    point. Modifies ``ch``, ``dis`` and ``soc_end`` in place.

    Returns
    -------
    float
        Energy added to the final state of charge [kWh].
    """
    n = len(ch)
    k = _decay(bat, dt_h)
    hi = bat.soc_max_frac * bat.capacity_kwh
    need = target_kwh - soc_end[-1]
    added_total = 0.0
    for t in range(n - 1, -1, -1):
        if need <= 1e-12:
            break
        decay = k ** np.arange(n - t)  # from boundary t+1 to t+1..n
        room = float(np.min((hi - soc_end[t:]) / decay))
        want = need / decay[-1]  # energy needed at boundary t+1
        limit = max(min(want, room), 0.0)
        drop = min(dis[t], limit * bat.eta_discharge / dt_h)
        dis[t] -= drop
        added = drop * dt_h / bat.eta_discharge
        if dis[t] <= 1e-12:
            dis[t] = 0.0
            charge = min(bat.power_kw - ch[t], (limit - added) / (bat.eta_charge * dt_h))
            charge = max(charge, 0.0)
            ch[t] += charge
            added += bat.eta_charge * charge * dt_h
        soc_end[t:] += added * decay
        need -= added * decay[-1]
        added_total += added * decay[-1]
    return added_total


def release_terminal_soc(
    bat: Battery,
    ch: np.ndarray,
    dis: np.ndarray,
    soc_end: np.ndarray,
    dt_h: float,
    target_kwh: float,
) -> float:
    """Give back stored energy in the last steps until a battery ends at ``target_kwh``.

    The mirror of :func:`restore_terminal_soc`: works backwards from the last
    step, first drops charge, then adds discharge, never above the power limit
    or below the minimum SoC at any later point. Modifies ``ch``, ``dis`` and
    ``soc_end`` in place.

    Returns
    -------
    float
        Energy taken from the final state of charge [kWh].
    """
    n = len(ch)
    k = _decay(bat, dt_h)
    lo = bat.soc_min_frac * bat.capacity_kwh
    excess = soc_end[-1] - target_kwh
    released_total = 0.0
    for t in range(n - 1, -1, -1):
        if excess <= 1e-12:
            break
        decay = k ** np.arange(n - t)  # from boundary t+1 to t+1..n
        room = float(np.min((soc_end[t:] - lo) / decay))
        limit = max(min(excess / decay[-1], room), 0.0)
        drop = min(ch[t], limit / (bat.eta_charge * dt_h))
        ch[t] -= drop
        removed = bat.eta_charge * drop * dt_h
        if ch[t] <= 1e-12:
            ch[t] = 0.0
            extra = min(bat.power_kw - dis[t], (limit - removed) * bat.eta_discharge / dt_h)
            extra = max(extra, 0.0)
            dis[t] += extra
            removed += extra * dt_h / bat.eta_discharge
        soc_end[t:] -= removed * decay
        excess -= removed * decay[-1]
        released_total += removed * decay[-1]
    return released_total


def _equalise_terminal(
    inputs: DispatchInputs,
    bat: Battery,
    flows: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[float, float]:
    """Bring one baseline battery to its terminal target; (recharged, released) [kWh]."""
    ch, dis, soc = flows
    target = _terminal_target(inputs, bat)
    if target is None:
        return 0.0, 0.0
    dt = inputs.dt_h
    if soc[-1] < target - 1e-9:
        return restore_terminal_soc(bat, ch, dis, soc, dt, target), 0.0
    if inputs.terminal_soc == "equal_initial" and soc[-1] > target + 1e-9:
        return 0.0, release_terminal_soc(bat, ch, dis, soc, dt, target)
    return 0.0, 0.0


def _grid_exchange(
    inputs: DispatchInputs, net_kw: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, float]]:
    """Import, export and curtailment of a district net power (load convention)."""
    imp = np.maximum(net_kw, 0.0)
    surplus = np.maximum(-net_kw, 0.0)
    excess = np.maximum(surplus - inputs.export_bound_kw, 0.0)
    curtailable = sum(
        inputs.pv_kw[c].to_numpy() for c in inputs.pv_kw.columns if inputs.curtailable(c)
    )
    curtail = np.minimum(excess, curtailable) if np.ndim(curtailable) else np.zeros_like(excess)
    exp = surplus - curtail
    notes = {
        "import_limit_exceeded_steps": float((imp > inputs.import_limit_kw + 1e-9).sum()),
        "export_bound_exceeded_steps": float((exp > inputs.export_bound_kw + 1e-9).sum()),
    }
    return imp, exp, curtail, notes


def _terminal_target(inputs: DispatchInputs, bat: Battery) -> float | None:
    if inputs.terminal_soc == "free":
        return None
    return bat.soc_initial_frac * bat.capacity_kwh


def _simulate(
    inputs: DispatchInputs, name: str, level: np.ndarray, rule: bool, notes: dict[str, float]
) -> BaselineResult:
    """Run the batteries (rule or idle), settle the grid exchange, build the schedule."""
    n = inputs.n_steps
    dt = inputs.dt_h
    district_net = inputs.district_net_kw(inputs.lighting_power_kw(level))
    # what a building battery sees behind its meter: the building's load minus its PV
    node_net = node_net_kw(inputs)
    nb = len(inputs.batteries)
    ch = np.zeros((nb, n))
    dis = np.zeros((nb, n))
    soc = np.zeros((nb, n))
    recharge = release = 0.0
    # building batteries first (behind their meters), then the substation's
    order = sorted(range(nb), key=lambda i: inputs.batteries[i].at == SUBSTATION_NODE)
    for i in order:
        bat = inputs.batteries[i]
        if not rule:
            sees = np.zeros(n)  # idle
        elif bat.at == SUBSTATION_NODE:
            sees = district_net
        else:
            sees = node_net[bat.at]
        ch[i], dis[i], soc[i] = self_consumption_rule(bat, sees, dt)
        added, taken = _equalise_terminal(inputs, bat, (ch[i], dis[i], soc[i]))
        recharge += added
        release += taken
        flow = ch[i] - dis[i]
        district_net = district_net + flow
        if bat.at != SUBSTATION_NODE:
            node_net[bat.at] = node_net[bat.at] + flow
    imp, exp, curtail, grid_notes = _grid_exchange(inputs, district_net)
    schedule = schedule_frame(
        inputs,
        p_import_kw=imp,
        p_export_kw=exp,
        p_charge_kw=ch,
        p_discharge_kw=dis,
        soc_end_kwh=soc,
        curtailed_kw_by_node=split_curtailment(inputs, curtail),
        level=level,
    )
    notes = {
        **notes,
        **grid_notes,
        "terminal_recharge_kwh": recharge,
        "terminal_release_kwh": release,
    }
    return BaselineResult(name=name, schedule=schedule, notes=notes)


def _dark_levels(inputs: DispatchInputs, level_t: np.ndarray) -> np.ndarray:
    """(G, n) levels: ``level_t`` where dark, 0 in full daylight."""
    light = inputs.lighting
    if light is None:
        return np.zeros((0, inputs.n_steps))
    dark = np.asarray(light.dark_frac, dtype=float)
    return np.where(dark > 0, np.broadcast_to(level_t, dark.shape), 0.0)


def baseline_b0(inputs: DispatchInputs) -> BaselineResult:
    """B0: batteries idle (held at their minimum SoC, refilled at the end), lighting S0."""
    level = _dark_levels(inputs, baseline_level_s0(inputs.index).to_numpy())
    return _simulate(inputs, "B0", level, rule=False, notes={"lighting_raised_group_h": 0.0})


def baseline_b1(inputs: DispatchInputs) -> BaselineResult:
    """B1: self-consumption-first batteries, lighting S1 raised to the compliant minimum."""
    s1 = baseline_level_s1(inputs.index, inputs.timezone).to_numpy()
    level = _dark_levels(inputs, s1)
    raised = 0.0
    if inputs.lighting is not None:
        lo = np.asarray(inputs.lighting.min_level_frac, dtype=float)
        below = (level > 0) & (level < lo - 1e-12)
        raised = float(below.sum() * inputs.dt_h)
        level = np.where(below, lo, level)
    return _simulate(inputs, "B1", level, rule=True, notes={"lighting_raised_group_h": raised})


def baseline_node_p_kw(inputs: DispatchInputs) -> pd.DataFrame:
    """Net power per node of B0 [kW], load convention (+ = drawn from the grid).

    :func:`energy.system.node_injections_kw` of :func:`baseline_b0`'s schedule:
    loads minus PV (curtailed only above the export bound), lighting S0,
    batteries idle (refilled at the end, see the module docstring).
    """
    return node_injections_kw(inputs, baseline_b0(inputs).schedule)


def class_rule_lighting_kw(inputs: DispatchInputs) -> np.ndarray:
    """District street-lighting power at the traffic-adaptive class minimum [kW], shape (n,).

    Every group at its lowest level the class rule allows
    (``LightingInputs.min_level_frac``) wherever dark, 0 in full daylight
    (standby included as in every schedule); zeros without lighting.
    """
    light = inputs.lighting
    if light is None:
        return np.zeros(inputs.n_steps)
    dark = np.asarray(light.dark_frac, dtype=float)
    level = np.where(dark > 0, np.broadcast_to(light.min_level_frac, dark.shape), 0.0)
    return np.asarray(inputs.lighting_power_kw(level).sum(axis=0), dtype=float)


def flex_baselines(inputs: DispatchInputs) -> tuple[BaselineResult, BaselineResult]:
    """B0 and B1 (:mod:`energy.baselines`) with heat pumps and EV charging on their rules.

    Without flexible loads these are :func:`~energy.baselines.baseline_b0` and
    :func:`~energy.baselines.baseline_b1` unchanged. With them, the batteries'
    and lighting's rules run on the building loads plus the flexible loads'
    electricity at their nodes; the schedules keep ``load_kw`` as the building
    loads and carry the flexible loads' own columns (:mod:`energy.system`).
    Notes add ``e_heat_unmet_kwh`` and ``heat_store_refill_kwh``.
    """
    if inputs.flex is None:
        return baseline_b0(inputs), baseline_b1(inputs)
    cols, refill = rule_columns(inputs.flex, inputs.n_steps, inputs.dt_h)
    load = inputs.load_kw.copy()
    for col, values in cols.items():
        quantity, _, node = col.partition(":")
        if node and quantity in FLEX_NODE_COLUMNS:
            load[node] = load[node].to_numpy() + values
    derived = dataclasses.replace(inputs, load_kw=load, flex=None)
    building_load = inputs.load_kw.to_numpy().sum(axis=1)
    notes = {
        "e_heat_unmet_kwh": float(cols["q_unmet_kw"].sum() * inputs.dt_h),
        "heat_store_refill_kwh": float(refill),
    }
    extra = pd.DataFrame(cols, index=inputs.index)
    out = []
    for result in (baseline_b0(derived), baseline_b1(derived)):
        schedule = pd.concat([result.schedule.assign(load_kw=building_load), extra], axis=1)
        out.append(dataclasses.replace(result, schedule=schedule, notes=result.notes | notes))
    return out[0], out[1]
