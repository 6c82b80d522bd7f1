"""Rule-based operation of heat pumps and EV charging: a thermostat and charging on arrival.

What an operator without optimisation runs, simulated on the same inputs as
the optimum (:attr:`energy.system.DispatchInputs.flex`); the baselines B0 and
B1 use it (:func:`energy.baselines.flex_baselines`):

* **Heat pump on a thermostat** (:func:`thermostat`), no look-ahead: hot water
  is heated as it is drawn (as in the optimum, :mod:`energy.models.flex`); a
  store is charged with hysteresis: the pump switches on when the state falls
  to the lower switching point and runs at the power its ratings allow until
  the upper one is reached (a tank: on at a quarter of its band, off when
  full; a building's thermal mass: on at the lower comfort limit, off 0.5 K
  above it). While off, it still delivers what holds the state at the band's
  bottom (comfort first); the backup heater covers what the compressor cannot,
  and what is left is unmet (reported, ``e_heat_unmet_kwh``). A store that
  ends below its initial state is refilled in the last steps, as late as the
  ratings allow (``heat_store_refill_kwh``), as the optimum must end at least
  as full as it started. Without a store the heat is delivered as demanded.
* **Cars charged at full power on arrival**
  (:attr:`energy.models.flex.EVGroupUnit.p_on_arrival_kw`): every session at its
  point's power from arrival until its energy is in; at a connection whose
  §14a devices an EMS dims together, the cars get in the dimmed steps what the
  heat pump leaves of the limit, and catch up afterwards.

Both are feasible schedules of the dispatch model's heat-pump and charging
blocks (:mod:`energy.optimisation.flex`), so the optimum is never worse.
"""

from __future__ import annotations

import numpy as np

from energy.models.flex import (
    FlexInputs,
    HeatPumpUnit,
    catch_up_kw,
    district_flex_sums,
    heat_pump_columns,
)
from energy.models.thermal_storage import step_coefficients

#: Hysteresis of a building's thermal-mass thermostat above the lower comfort limit [K].
MASS_HYSTERESIS_K = 0.5
#: Lower switching point of a tank thermostat, as a fraction of its band [-].
TANK_SWITCH_ON_FRAC = 0.25


def _switch_points(unit: HeatPumpUnit) -> tuple[float, float]:
    """Lower and upper switching states of the thermostat [kWh]."""
    s = unit.store
    assert s is not None
    if s.kind == "building_mass":
        return s.e_min_kwh, min(s.e_min_kwh + MASS_HYSTERESIS_K * s.kwh_per_k, s.e_max_kwh)
    return s.e_min_kwh + TANK_SWITCH_ON_FRAC * (s.e_max_kwh - s.e_min_kwh), s.e_max_kwh


def thermostat(
    unit: HeatPumpUnit, dt_h: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, float]:
    """Run one heat pump on its thermostat (module docstring).

    Returns
    -------
    tuple
        ``(p_kw, backup_kw, unmet_space_kw, store_end_kwh, refill_kwh)``:
        compressor and backup electricity [kW], unmet space heat [kW], the
        store's state at each step's end [kWh] (None without a store) and the
        heat added at the end to refill the store [kWh].
    """
    p_water, _ = unit.hot_water_kw()
    cap = unit.cop_space * unit.space_limits_kw(p_water)
    q = unit.q_space_kw
    n = len(q)
    heat, backup, unmet = np.zeros(n), np.zeros(n), np.zeros(n)
    if unit.store is None:
        heat = np.minimum(q, cap)
        backup = np.minimum(q - heat, unit.backup_limits_kw())
        unmet = q - heat - backup
        return p_water + heat / unit.cop_space, backup, unmet, None, 0.0
    s = unit.store
    ret, gain = step_coefficients(s.loss_frac_per_h, dt_h)
    e_on, e_off = _switch_points(unit)
    e, on = s.e_initial_kwh, False
    backup_kw = unit.backup_limits_kw()
    state = np.zeros(n)
    for t in range(n):
        on = (on or e <= e_on + 1e-9) and e < e_off - 1e-9
        free = ret * e + gain * (-q[t] - s.loss_kw)
        need = max((s.e_min_kwh - free) / gain, 0.0)
        want = max((e_off - free) / gain, need) if on else need
        heat[t] = min(want, cap[t])
        backup[t] = min(max(need - heat[t], 0.0), backup_kw[t])
        unmet[t] = max(need - heat[t] - backup[t], 0.0)
        e = free + gain * (heat[t] + backup[t] + unmet[t])
        state[t] = e
    refill = _refill(unit, heat, cap, state, ret, gain)
    return p_water + heat / unit.cop_space, backup, unmet, state, refill


def _refill(
    unit: HeatPumpUnit,
    heat: np.ndarray,
    cap: np.ndarray,
    state: np.ndarray,
    ret: float,
    gain: float,
) -> float:
    """Add compressor heat in the last steps until the store ends at its initial state.

    Works backwards from the last step, within the compressor's heat limit
    and the store's upper bound at every later step. Modifies ``heat`` and
    ``state`` in place; returns the energy added to the final state [kWh].
    """
    s = unit.store
    assert s is not None
    n = len(heat)
    need = s.e_initial_kwh - state[-1]
    added_total = 0.0
    for t in range(n - 1, -1, -1):
        if need <= 1e-9:
            break
        decay = ret ** np.arange(n - t)  # effect on the states t+1..n of heat in step t
        room = float(np.min((s.e_max_kwh - state[t:]) / decay))
        add = max(min(cap[t] - heat[t], need / (gain * decay[-1]), room / gain), 0.0)
        heat[t] += add
        state[t:] += gain * add * decay
        need -= gain * add * decay[-1]
        added_total += gain * add * decay[-1]
    return added_total


def rule_columns(flex: FlexInputs, n: int, dt_h: float) -> tuple[dict[str, np.ndarray], float]:
    """Schedule columns (:mod:`energy.system`) of the flexible loads on their rules; refill [kWh].

    ``n`` steps of ``dt_h`` hours; heat pumps on :func:`thermostat`, charger
    groups charging on arrival.
    """
    cols: dict[str, np.ndarray] = {}
    refill = 0.0
    drawn: dict[str, np.ndarray] = {}
    for unit in flex.heat_pumps:
        p, backup, unmet, store, added = thermostat(unit, dt_h)
        refill += added
        if unit.controllable_14a:
            drawn[unit.id] = p + backup  # what shares a connection's §14a limit
        cols |= heat_pump_columns(unit, p, backup, unmet, store)
    ems = dict(flex.ems)
    for group in flex.ev_groups:
        p = group.p_on_arrival_kw
        if group.id in ems and group.id in drawn and group.controllable_14a:
            # under an EMS the cars get what the pump leaves of the connection's limit (§14a)
            limit = group.power_limits_kw()
            left = np.maximum(ems[group.id] - drawn[group.id], 0.0)
            dimmed = np.zeros(n, dtype=bool) if group.dimmed is None else group.dimmed
            p = catch_up_kw(p, np.where(dimmed, np.minimum(limit, left), limit), dt_h)
        cols[f"p_ev_kw:{group.id}"] = p
    return cols | district_flex_sums(cols, n), refill
