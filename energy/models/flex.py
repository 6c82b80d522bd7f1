r"""Flexible loads of a district on one dispatch index: heat pumps and EV charger groups.

:func:`flex_inputs` turns the district spec's heat pumps, thermal storage and
charging points (:mod:`energy.district_flex`) into the plain arrays the
dispatch (:mod:`energy.optimisation.flex`), the baselines
(:mod:`energy.baselines_flex`) and the KPIs read, through
:attr:`energy.system.DispatchInputs.flex`:

* per heat pump (:class:`HeatPumpUnit`, node = its building): space-heat and
  hot-water demand [kW] (:func:`energy.models.heat.district_heat`), the COP of
  each mode per step, the ratings, and its store (a tank or the building's
  thermal mass, :func:`energy.models.thermal_storage.storage_model`);
* per charger group (:class:`EVGroupUnit`, node = its building): the
  plugged-in charging power, the energy of arriving and departing sessions per
  step (:func:`energy.models.mobility.group_arrays`) and the charge-on-arrival
  power of the baseline (:func:`charge_on_arrival_kw`).

Hot water is heated in its step at the hot-water COP (the buffer tanks of
the spec hold space-heating water below the hot-water temperature, so they
cannot serve it); only space heat can be shifted through the store. The store
is charged at the space-heating COP of the heating curve (a linear model: the
COP penalty of charging a tank above the flow temperature is not modelled).

Buildings whose heat demand has no heat pump get their heat from outside the
electrical model and are left out.

§14a EnWG dimming (:func:`with_dimming`): in the steps the grid operator
dims, every controllable device may draw at most its minimum power
:math:`P_{min,14a}` under the Bundesnetzagentur's determination BK6-22-300 of
27 November 2023, Annex 1 (Anlage 1):

* direct control (Ziff. 4.5.1, :func:`dimmed_limit_kw`): 4.2 kW per
  controllable device (*steuerbare Verbrauchseinrichtung*), each charging point
  one device; a heat pump (with its backup heater, Ziff. 2.4.1 b; several heat
  pumps behind one connection count as one device of their summed power,
  Ziff. 2.4.2) above 11 kW connection power gets the scaled minimum 0.4 x its
  connection power (the scaling factor the determination presumes
  appropriate until a recommendation replaces it);
* control of all devices behind one connection through an energy management
  system (EMS, Ziff. 4.5.2, :func:`ems_limit_kw`): one limit for their sum,
  :math:`P_{min,14a} = P_0 + (n - 1)\,\mathrm{GZF}(n) \times 4.2` kW with
  :math:`n` devices, the simultaneity factors GZF of :data:`GZF_14A`
  (0.8 for 2 devices down to 0.45 for 9 and more) and :math:`P_0` = 4.2 kW,
  or 0.4 x the heat pumps' connection power when that exceeds 11 kW. The
  building's ``control_14a: ems`` chooses it; the dispatch caps the sum of
  pump and charging in the dimmed steps
  (:class:`energy.optimisation.flex.Ems14aBlock`).

Only devices above 4.2 kW are controllable devices (Ziff. 2.4.1); smaller
ones are not dimmed. Two simplifications, both on the safe side (they never
allow more than the determination): the limit applies to the device's whole
draw, not only to what it draws from the grid (the *netzwirksamer
Leistungsbezug* of Ziff. 2.3 would let on-site PV supply more), and the
backup heater is held off while dimmed (the rule would let it share the
heat pump's minimum).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from energy.district_flex import P_14A_THRESHOLD_KW
from energy.errors import InputDataError
from energy.models.heat import WeatherInput, district_heat
from energy.models.mobility import (
    SessionSteps,
    charger_groups,
    ev_sessions,
    group_arrays,
    session_steps,
)
from energy.models.thermal_storage import StorageModel, storage_model
from energy.timeindex import require_utc_index, step_hours

if TYPE_CHECKING:
    from energy.district import District


#: Heat pumps above this connection power get the scaled §14a minimum [kW]
#: (BK6-22-300 Anlage 1 Ziff. 4.5.1 sentence 2, 4.5.2: "über 11 kW").
P_14A_LARGE_HP_KW = 11.0
#: The scaling factor of a large heat pump's §14a minimum, a share of its connection power
#: [-] (Ziff. 4.5.1 sentence 3: presumed appropriate at 0.4).
P_14A_LARGE_HP_FRAC = 0.4
#: Simultaneity factors (Gleichzeitigkeitsfaktoren) of Ziff. 4.5.2 by number of controllable
#: devices behind one EMS-controlled connection; 9 and more: :data:`GZF_14A_MANY` [-].
GZF_14A = {2: 0.8, 3: 0.75, 4: 0.7, 5: 0.65, 6: 0.6, 7: 0.55, 8: 0.5}
GZF_14A_MANY = 0.45


def dimmed_limit_kw(connection_kw: float, heat_pump: bool = True) -> float:
    """Minimum power a directly dimmed §14a device may always draw [kW] (Ziff. 4.5.1).

    ``connection_kw`` is the device's electric connection power (a heat pump's
    with its backup heater).

    >>> dimmed_limit_kw(9.9), dimmed_limit_kw(17.3), dimmed_limit_kw(11.0, heat_pump=False)
    (4.2, 6.92, 4.2)
    """
    if heat_pump and connection_kw > P_14A_LARGE_HP_KW:
        return round(P_14A_LARGE_HP_FRAC * connection_kw, 9)
    return P_14A_THRESHOLD_KW


def ems_limit_kw(heat_pump_kw: float, points: int, kw_per_point: float) -> float:
    """Minimum power of one connection whose §14a devices an EMS controls [kW] (Ziff. 4.5.2).

    ``heat_pump_kw``: connection power of the controllable heat pumps (0 for
    none), ``points`` controllable charging points of ``kw_per_point`` each.
    Devices of at most 4.2 kW are no controllable devices and do not count;
    inf when none is left (nothing is dimmed).

    >>> ems_limit_kw(9.0, 2, 11.0)  # 3 devices: 4.2 + 2 x 0.75 x 4.2
    10.5
    >>> ems_limit_kw(20.0, 1, 11.0)  # a large pump: 0.4 x 20 + 1 x 0.8 x 4.2
    11.36
    """
    n_hp = 1 if heat_pump_kw > P_14A_THRESHOLD_KW else 0
    n = n_hp + (points if kw_per_point > P_14A_THRESHOLD_KW else 0)
    if n == 0:
        return math.inf
    base = P_14A_THRESHOLD_KW
    if n_hp and heat_pump_kw > P_14A_LARGE_HP_KW:
        base = P_14A_LARGE_HP_FRAC * heat_pump_kw
    gzf = GZF_14A.get(n, GZF_14A_MANY) if n > 1 else 0.0
    return round(base + (n - 1) * gzf * P_14A_THRESHOLD_KW, 9)


@dataclass(frozen=True, eq=False)
class HeatPumpUnit:
    """One building's heat pump with its demand, COP and store on the dispatch index.

    Attributes
    ----------
    id
        Building id (also the node).
    electric_kw, thermal_kw, backup_kw
        Compressor electric input, rated heat output and backup heater (COP 1) [kW].
    q_space_kw, q_hot_water_kw
        (n,) heat demand [kW], interval means.
    cop_space, cop_hot_water
        (n,) COP [-] when serving space heat / hot water.
    store
        The store of space heat, or None (heat delivered as demanded).
    controllable_14a
        The pump is controllable under §14a EnWG.
    dimmed
        (n,) steps in which the grid operator dims it (§14a), or None.
    dimmed_cap_kw
        Its limit while dimmed [kW]; None: the direct-control minimum
        (:func:`dimmed_limit_kw`), under an EMS the connection's
        (:func:`ems_limit_kw`).
    """

    id: str
    electric_kw: float
    thermal_kw: float
    backup_kw: float
    q_space_kw: np.ndarray
    q_hot_water_kw: np.ndarray
    cop_space: np.ndarray
    cop_hot_water: np.ndarray
    store: StorageModel | None = None
    controllable_14a: bool = False
    dimmed: np.ndarray | None = None
    dimmed_cap_kw: float | None = None

    def _dimmed_steps(self) -> np.ndarray:
        n = len(self.q_space_kw)
        small = self.electric_kw + self.backup_kw <= P_14A_THRESHOLD_KW  # no §14a device
        if self.dimmed is None or not self.controllable_14a or small:
            return np.zeros(n, dtype=bool)
        return np.asarray(self.dimmed, dtype=bool)

    def electric_limits_kw(self) -> np.ndarray:
        """(n,) compressor limit [kW]: its rating, the §14a minimum where dimmed."""
        cap = self.dimmed_cap_kw
        if cap is None:
            cap = dimmed_limit_kw(self.electric_kw + self.backup_kw)
        full = np.full(len(self.q_space_kw), self.electric_kw)
        return np.where(self._dimmed_steps(), np.minimum(full, cap), full)

    def backup_limits_kw(self) -> np.ndarray:
        """(n,) backup heater limit [kW]: its rating, 0 where dimmed."""
        return np.where(self._dimmed_steps(), 0.0, self.backup_kw)

    def hot_water_kw(self) -> tuple[np.ndarray, np.ndarray]:
        """(electricity, heat not delivered) of hot water heated in its step [kW].

        The compressor heats hot water first, within its electric and thermal
        ratings; what exceeds them stays unmet (reported, never dropped).
        """
        heat = np.minimum.reduce(
            [
                self.q_hot_water_kw,
                np.full_like(self.q_hot_water_kw, self.thermal_kw),
                self.electric_limits_kw() * self.cop_hot_water,
            ]
        )
        return heat / self.cop_hot_water, self.q_hot_water_kw - heat

    def space_limits_kw(self, p_water_kw: np.ndarray) -> np.ndarray:
        """(n,) largest compressor input for space heat [kW] beside hot water's ``p_water_kw``."""
        heat_left = np.maximum(self.thermal_kw - p_water_kw * self.cop_hot_water, 0.0)
        return np.maximum(
            np.minimum(self.electric_limits_kw() - p_water_kw, heat_left / self.cop_space), 0.0
        )


@dataclass(frozen=True, eq=False)
class EVGroupUnit:
    r"""One building's charging points and their sessions, aggregated on the dispatch index.

    With :math:`C_t` the energy charged in steps 0..t-1 (:math:`C_0 = 0`), a
    schedule :math:`p_t` is feasible when :math:`0 \le p_t \le` ``p_max_kw``
    and cumsum(``e_depart_kwh``)\ :sub:`t` :math:`\le C_{t+1} \le`
    cumsum(``e_arrive_kwh``)\ :sub:`t`: no car charges before it arrives, every
    car that has left is full. This envelope lets energy move between the
    cars of one group (a shared garage with load management); see
    :func:`energy.models.mobility.group_arrays`.

    Attributes
    ----------
    id
        Building id (also the node).
    p_max_kw, e_arrive_kwh, e_depart_kwh
        (n,) plugged-in power [kW], arriving and departing session energy [kWh].
    p_on_arrival_kw
        (n,) every car charged at full power from arrival until full [kW].
    points, kw_per_point
        Charging points and their power [kW].
    controllable_14a
        The points are controllable under §14a EnWG.
    dimmed
        (n,) steps in which the grid operator dims them (§14a), or None.
    dimmed_cap_kw
        The group's limit while dimmed [kW]; None: 4.2 kW a point (direct
        control), under an EMS the connection's (:func:`ems_limit_kw`).
    """

    id: str
    p_max_kw: np.ndarray
    e_arrive_kwh: np.ndarray
    e_depart_kwh: np.ndarray
    p_on_arrival_kw: np.ndarray
    points: int
    kw_per_point: float
    controllable_14a: bool = False
    dimmed: np.ndarray | None = None
    dimmed_cap_kw: float | None = None

    def power_limits_kw(self) -> np.ndarray:
        """(n,) charging limit [kW]: plugged-in power, at most 4.2 kW a point where dimmed."""
        if self.dimmed is None or not self.controllable_14a:
            return self.p_max_kw
        cap = self.dimmed_cap_kw
        if cap is None:
            cap = self.points * dimmed_limit_kw(self.kw_per_point, heat_pump=False)
        return np.where(np.asarray(self.dimmed, dtype=bool), np.minimum(self.p_max_kw, cap),
                        self.p_max_kw)  # fmt: skip


@dataclass(frozen=True, eq=False)
class FlexInputs:
    """The flexible loads of a district on one index (heat pumps, charger groups)."""

    heat_pumps: tuple[HeatPumpUnit, ...] = ()
    ev_groups: tuple[EVGroupUnit, ...] = ()
    #: (node, limit [kW]) of the connections whose controllable devices an EMS dims together
    #: (§14a, :func:`ems_limit_kw`); their devices' sum stays within it while dimmed.
    ems: tuple[tuple[str, float], ...] = ()

    @property
    def nodes(self) -> set[str]:
        """Nodes of the flexible loads (building ids)."""
        return {u.id for u in self.heat_pumps} | {g.id for g in self.ev_groups}


def with_dimming(
    flex: FlexInputs, dimmed: np.ndarray, dt_h: float, ems_nodes: frozenset[str] = frozenset()
) -> FlexInputs:
    """Return ``flex`` with its controllable devices dimmed in the steps of ``dimmed`` (§14a).

    At the nodes of ``ems_nodes`` an EMS controls the devices: they share the
    connection's limit (:func:`ems_limit_kw`, listed in ``FlexInputs.ems``);
    elsewhere each device has its own (:func:`dimmed_limit_kw`). Charging on
    arrival (the baseline) is capped in those steps and catches up on its
    undimmed curve afterwards, as far as the plugged-in power allows
    (:func:`catch_up_kw`).
    """
    mask = np.asarray(dimmed, dtype=bool)
    pump_at = {u.id: u for u in flex.heat_pumps if u.controllable_14a}
    group_at = {g.id: g for g in flex.ev_groups if g.controllable_14a}
    ems: dict[str, float] = {}
    for node in sorted(ems_nodes & (set(pump_at) | set(group_at))):
        pump, group = pump_at.get(node), group_at.get(node)
        cap = ems_limit_kw(
            0.0 if pump is None else pump.electric_kw + pump.backup_kw,
            0 if group is None else group.points,
            0.0 if group is None else group.kw_per_point,
        )
        if math.isfinite(cap):
            ems[node] = cap
    pumps = tuple(
        dataclasses.replace(u, dimmed=mask, dimmed_cap_kw=ems.get(u.id)) for u in flex.heat_pumps
    )
    groups = []
    for g in flex.ev_groups:
        g = dataclasses.replace(g, dimmed=mask, dimmed_cap_kw=ems.get(g.id))
        p = catch_up_kw(g.p_on_arrival_kw, g.power_limits_kw(), dt_h)
        groups.append(dataclasses.replace(g, p_on_arrival_kw=p))
    return FlexInputs(pumps, tuple(groups), tuple(ems.items()))


def catch_up_kw(wanted_kw: np.ndarray, cap_kw: np.ndarray, dt_h: float) -> np.ndarray:
    """(n,) power that follows the energy of ``wanted_kw`` within ``cap_kw``, catching up [kW].

    In each step the power is what brings the energy delivered so far up to
    that of ``wanted_kw``, at most ``cap_kw`` and at least 0.
    """
    target = np.cumsum(wanted_kw) * dt_h
    p, charged = np.zeros(len(cap_kw)), 0.0
    for t in range(len(cap_kw)):
        p[t] = min(max((target[t] - charged) / dt_h, 0.0), cap_kw[t])
        charged += p[t] * dt_h
    return p


def dimming_mask(index: pd.DatetimeIndex, windows: str, tz: str) -> np.ndarray:
    """(n,) steps whose start lies in daily local windows, e.g. ``"17:00-20:00,06:00-07:30"``.

    A window may cross midnight (``"22:00-02:00"``).
    """
    utc = require_utc_index(index)
    minutes = utc.tz_convert(tz)
    minute = np.asarray(minutes.hour * 60 + minutes.minute)
    mask = np.zeros(len(utc), dtype=bool)
    for part in windows.split(","):
        try:
            start, end = (int(h) * 60 + int(m) for h, m in (x.split(":") for x in part.split("-")))
        except ValueError:
            raise InputDataError(
                f"dimming_14a: {part.strip()!r} is not allowed; give daily local windows "
                "HH:MM-HH:MM, comma-separated, e.g. 17:00-20:00"
            ) from None
        inside = (minute >= start) & (minute < end) if start <= end else (
            (minute >= start) | (minute < end))  # fmt: skip
        mask |= inside
    return mask


#: AC-check violations that drawing less power relieves (``kind`` of the violation list).
LOAD_VIOLATIONS = ("undervoltage", "trafo_overload", "line_overload")


def critical_steps(violations: pd.DataFrame, index: pd.DatetimeIndex) -> np.ndarray:
    """(n,) steps of ``index`` in which an AC check found a load-driven violation.

    ``violations`` is the violation list of :func:`energy.models.grid.check.check_schedule`
    (columns ``time_utc`` and ``kind``); undervoltage and overloads count
    (:data:`LOAD_VIOLATIONS`), voltage rise does not (dimming a load cannot
    relieve it). The mask is the grid operator's dimming input of
    :func:`with_dimming`: dispatch, check, dim in the critical steps, dispatch again.
    """
    utc = require_utc_index(index)
    if len(violations) == 0:
        return np.zeros(len(utc), dtype=bool)
    times = pd.DatetimeIndex(violations.loc[violations["kind"].isin(LOAD_VIOLATIONS), "time_utc"])
    return np.asarray(utc.isin(times))


def charge_on_arrival_kw(
    sessions: pd.DataFrame, steps: SessionSteps, index: pd.DatetimeIndex, groups: list[str]
) -> pd.DataFrame:
    """Each session charged at its full power from arrival until its energy is in [kW].

    The baseline "cars charged at full power on arrival": per session,
    step by step through the steps it is plugged in, ``p_max x plugged_h``
    until ``e_kwh`` (its energy inside the horizon) is delivered. Returns the
    interval-mean power per group (columns ``groups``) on ``index``.
    """
    utc = require_utc_index(index)
    dt_h = step_hours(utc) if len(utc) > 1 else 1.0
    out = np.zeros((len(utc), len(groups)))
    if len(steps.session):
        cap = steps.p_max_kw[steps.session] * steps.plugged_h
        cum = pd.Series(cap).groupby(steps.session).cumsum().to_numpy()
        delivered = np.clip(steps.e_kwh[steps.session] - (cum - cap), 0.0, cap)
        col = {g: i for i, g in enumerate(groups)}
        g_of = np.array([col[g] for g in sessions.group], dtype=np.int64)
        np.add.at(out, (steps.step, g_of[steps.session]), delivered / dt_h)
    return pd.DataFrame(out, index=utc, columns=pd.Index(groups, name="group"))


def flex_inputs(
    district: District,
    index: pd.DatetimeIndex,
    weather: WeatherInput = None,
    dimming_14a: str | None = None,
) -> FlexInputs | None:
    """Return the district's heat pumps and charger groups on ``index``; None if it has neither.

    ``weather`` is passed to :func:`energy.models.heat.district_heat` (default:
    the shipped test reference year mapped onto the horizon); ``dimming_14a``
    gives daily local §14a dimming windows (:func:`dimming_mask`,
    :func:`with_dimming`).
    """
    utc = require_utc_index(index)
    with_hp = [b for b in district.buildings if b.heat_pump is not None]
    groups = charger_groups(district)
    if not with_hp and not groups:
        return None
    pumps: list[HeatPumpUnit] = []
    if with_hp:
        heat = district_heat(district, utc, weather)
        for b in with_hp:
            hp = b.heat_pump
            assert hp is not None
            pumps.append(
                HeatPumpUnit(
                    id=b.id,
                    electric_kw=hp.electric_kw,
                    thermal_kw=hp.thermal_kw,
                    backup_kw=hp.backup_heater_kw,
                    q_space_kw=heat.q_space_kw[b.id].to_numpy(),
                    q_hot_water_kw=heat.q_hot_water_kw[b.id].to_numpy(),
                    cop_space=heat.cop_space[b.id].to_numpy(),
                    cop_hot_water=heat.cop_hot_water[b.id].to_numpy(),
                    store=None if b.thermal_storage is None else storage_model(b.thermal_storage),
                    controllable_14a=hp.controllable_14a,
                )
            )
    flex = FlexInputs(tuple(pumps), _ev_groups(district, utc))
    if not dimming_14a:
        return flex
    mask = dimming_mask(utc, dimming_14a, district.site.timezone)
    ems = frozenset(b.id for b in district.buildings if b.control_14a == "ems")
    return with_dimming(flex, mask, step_hours(utc) if len(utc) > 1 else 1.0, ems)


def _ev_groups(district: District, index: pd.DatetimeIndex) -> tuple[EVGroupUnit, ...]:
    groups = charger_groups(district)
    if not groups:
        return ()
    ids = [g.id for g in groups]
    sessions = ev_sessions(district, index)
    steps = session_steps(sessions, index)
    arrays = group_arrays(sessions, steps, index, ids)
    on_arrival = charge_on_arrival_kw(sessions, steps, index, ids)
    return tuple(
        EVGroupUnit(
            id=g.id,
            p_max_kw=arrays.p_max_kw[g.id].to_numpy(),
            e_arrive_kwh=arrays.e_arrive_kwh[g.id].to_numpy(),
            e_depart_kwh=arrays.e_depart_kwh[g.id].to_numpy(),
            p_on_arrival_kw=on_arrival[g.id].to_numpy(),
            points=g.points,
            kw_per_point=g.kw_per_point,
            controllable_14a=g.controllable_14a,
        )
        for g in groups
    )


def heat_pump_columns(
    unit: HeatPumpUnit,
    p_kw: np.ndarray,
    backup_kw: np.ndarray | None,
    unmet_space_kw: np.ndarray,
    store_kwh: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Schedule columns of one heat pump from its compressor power and the rest [kW, kWh].

    Compressor heat: hot water at its COP, the rest at the space COP;
    ``q_unmet_kw`` adds hot water the pump could not heat.
    """
    p_water, unmet_water = unit.hot_water_kw()
    heat = unit.cop_hot_water * p_water + unit.cop_space * np.maximum(p_kw - p_water, 0.0)
    b = unit.id
    cols = {
        f"p_heat_pump_kw:{b}": np.asarray(p_kw, dtype=float),
        f"p_backup_heater_kw:{b}": np.zeros_like(p_kw) if backup_kw is None else backup_kw,
        f"q_heat_pump_kw:{b}": heat,
        f"q_heat_demand_kw:{b}": unit.q_space_kw + unit.q_hot_water_kw,
        f"q_unmet_kw:{b}": unmet_space_kw + unmet_water,
    }
    if store_kwh is not None:
        cols[f"heat_store_kwh:{b}"] = store_kwh
    return cols


#: District sums of the flexible loads' per-asset columns.
FLEX_SUM_COLUMNS = (
    "p_heat_pump_kw",
    "p_backup_heater_kw",
    "q_heat_pump_kw",
    "q_heat_demand_kw",
    "q_unmet_kw",
    "p_ev_kw",
)


def district_flex_sums(cols: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """District sums (:data:`FLEX_SUM_COLUMNS`) of per-asset columns ``<quantity>:<id>``."""
    out = {name: np.zeros(n) for name in FLEX_SUM_COLUMNS}
    for col, values in cols.items():
        quantity, _, asset = col.partition(":")
        if asset and quantity in out:
            out[quantity] = out[quantity] + values
    return out
