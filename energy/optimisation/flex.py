r"""Heat pumps with thermal storage and EV charging as model blocks.

:class:`HeatPumpBlock` and :class:`EVChargingBlock` are model blocks
(:mod:`energy.optimisation.blocks`, stage ``"assets"``) over the flexible
loads of :attr:`energy.system.DispatchInputs.flex` (:mod:`energy.models.flex`);
:func:`flex_blocks` returns those a district needs and
:func:`energy.optimisation.dispatch.optimise` adds them by itself.
:func:`flex_schedule_columns` reads a solution back into the schedule columns
of :mod:`energy.system`.

Heat pump of building :math:`b` (compressor electricity :math:`P_{b,t}`,
hot water :math:`W_{b,t}` heated in its step at :math:`\mathrm{COP}^{w}_{b,t}`,
space heat through the store at :math:`\mathrm{COP}^{s}_{b,t}`, see
:mod:`energy.models.flex`):

.. math::

    W_{b,t} \le P_{b,t} \le W_{b,t} + \bar P^{s}_{b,t}, \qquad
    0 \le B_{b,t} \le \bar B_b, \qquad U_{b,t} \ge 0

    E_{b,t+1} = r_b E_{b,t} + g_b \big(\mathrm{COP}^{s}_{b,t} (P_{b,t} - W_{b,t})
                + B_{b,t} + U_{b,t} - Q^{s}_{b,t} - l_{0,b}\big), \quad
    \underline E_b \le E_{b,s} \le \bar E_b, \quad E_{b,0} = E^0_b \le E_{b,n}

with the exact step coefficients :math:`r_b = e^{-k_b \Delta t}`,
:math:`g_b = (1 - r_b)/k_b` (:func:`energy.models.thermal_storage.step_coefficients`);
without a store the heat is delivered as demanded
(:math:`\mathrm{COP}^{s}(P - W) + B + U = Q^{s}`). :math:`\bar P^{s}` keeps
compressor heat within the rated heat output and electricity within the
electric rating (:meth:`~energy.models.flex.HeatPumpUnit.space_limits_kw`).
The comfort band is a hard bound; a shortfall :math:`U` [kW] exists only in
steps where the pump and backup heater together cannot cover the demand and
the store's loss (:func:`unmet_steps`) and costs the model's slack penalty,
so it is zero wherever comfort can be met, and reported where it cannot.

EV charger group :math:`g` (charged energy :math:`C_{g,s}` on the boundary
points, the envelope of :class:`energy.models.flex.EVGroupUnit`):

.. math::

    0 \le C_{g,t+1} - C_{g,t} = p_{g,t} \Delta t \le \bar p_{g,t} \Delta t, \quad
    C_{g,0} = 0, \quad D_{g,t} \le C_{g,t+1} \le A_{g,t}

with :math:`D, A` the cumulative energy of departed and arrived sessions:
every car that has left is full, none charges before it has come. Vehicle-to-
grid is not modelled (charging only).

==========================  ============================  =====
symbol                      attribute                     unit
==========================  ============================  =====
:math:`P_{b,t}`             ``p_heat_pump_kw[b, t]``      kW
:math:`B_{b,t}`             ``p_backup_heater_kw[b, t]``  kW
:math:`U_{b,t}`             ``q_unmet_kw[b, t]``          kW
:math:`E_{b,s}`             ``heat_store_kwh[b, s]``      kWh
:math:`p_{g,t}`             (rise of ``ev_charged_kwh``)  kW
:math:`C_{g,s}`             ``ev_charged_kwh[g, s]``      kWh
==========================  ============================  =====
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp

from energy.models.flex import EVGroupUnit, HeatPumpUnit, district_flex_sums, heat_pump_columns
from energy.models.thermal_storage import step_coefficients
from energy.optimisation.blocks import BlockTerms, ModelBlock, Stage
from energy.optimisation.layout import DispatchLayout
from energy.optimisation.options import DispatchOptions
from energy.optimisation.rows import MatrixRows, add_matrix_rows, at_most, linear, per_unit
from energy.system import DispatchInputs

#: Tolerance of the shortfall test [kW].
UNMET_TOL_KW = 1e-9


def unmet_steps(unit: HeatPumpUnit) -> np.ndarray:
    """Return the steps where pump and backup heater cannot cover the demand and largest loss."""
    p_water, _ = unit.hot_water_kw()
    cap = unit.cop_space * unit.space_limits_kw(p_water) + unit.backup_limits_kw()
    loss = 0.0
    if unit.store is not None:
        s = unit.store
        loss = max(s.loss_kw + s.loss_frac_per_h * max(s.e_max_kwh, 0.0), 0.0)
    return np.flatnonzero(unit.q_space_kw + loss > cap + UNMET_TOL_KW)


class _AssetBlock:
    """A block whose electricity joins the balance (stage ``"assets"``)."""

    @property
    def stage(self) -> Stage:
        """Assets: the block's electricity joins the balance."""
        return "assets"


@dataclass(frozen=True)
class HeatPumpBlock(_AssetBlock):
    """The district's heat pumps, their stores and comfort (module docstring)."""

    units: tuple[HeatPumpUnit, ...]

    def define(
        self,
        m: pyo.ConcreteModel,
        inputs: DispatchInputs,
        layout: DispatchLayout,
        options: DispatchOptions,
    ) -> BlockTerms:
        """Add compressor, backup, shortfall and store variables and the heat balance rows."""
        units = self.units
        ids = [u.id for u in units]
        m.HP = pyo.Set(initialize=ids, ordered=True)
        water = [u.hot_water_kw()[0] for u in units]
        limit = [u.space_limits_kw(w) for u, w in zip(units, water, strict=True)]
        m.p_heat_pump_kw = pyo.Var(m.HP, m.T)
        p = per_unit(m.p_heat_pump_kw, len(units))
        for pu, w, lim in zip(p, water, limit, strict=True):
            for x, lo, hi in zip(pu, w.tolist(), (w + lim).tolist(), strict=True):
                x.setlb(lo)
                x.setub(hi)
        backed = [u for u in units if u.backup_kw > 0]
        m.HP_BACKUP = pyo.Set(initialize=[u.id for u in backed], ordered=True)
        backup_ub = {u.id: u.backup_limits_kw().tolist() for u in backed}
        m.p_backup_heater_kw = pyo.Var(
            m.HP_BACKUP, m.T, bounds=lambda m, b, t: (0.0, backup_ub[b][t])
        )
        short = [(u.id, int(t)) for u in units for t in unmet_steps(u)]
        m.HP_UNMET = pyo.Set(dimen=2, initialize=short, ordered=True)
        m.q_unmet_kw = pyo.Var(m.HP_UNMET, bounds=(0.0, None))
        stored = [u for u in units if u.store is not None]
        m.HP_STORE = pyo.Set(initialize=[u.id for u in stored], ordered=True)
        m.heat_store_kwh = pyo.Var(m.HP_STORE, m.S)
        for u, e in zip(
            stored, per_unit(m.heat_store_kwh, len(stored)) if stored else [], strict=True
        ):
            assert u.store is not None
            for x in e:
                x.setlb(u.store.e_min_kwh)
                x.setub(u.store.e_max_kwh)
            e[0].fix(u.store.e_initial_kwh)
            e[-1].setlb(max(u.store.e_initial_kwh, u.store.e_min_kwh))
        add_matrix_rows(m, self._heat_rows(m, inputs, water))
        p_of = dict(zip(ids, p, strict=True))
        injection: dict[tuple[str, int], list[tuple[float, Any]]] = {}
        for b, pu in p_of.items():
            for t, x in enumerate(pu):
                injection[(b, t)] = [(1.0, x)]
        for b, t in m.p_backup_heater_kw:
            injection[(b, t)].append((1.0, m.p_backup_heater_kw[b, t]))
        cost = [(layout.penalty, m.q_unmet_kw[k]) for k in short]
        return BlockTerms(injection=injection, cost=cost)

    def _heat_rows(
        self, m: pyo.ConcreteModel, inputs: DispatchInputs, water: list[np.ndarray]
    ) -> MatrixRows:
        r"""One heat balance per pump and step: the store's state equation, or heat = demand.

        Row of pump :math:`b`, step :math:`t` (module docstring; ``water`` is the
        hot water's compressor power :math:`W_{b,t}` [kW]); with a store, the
        balance times :math:`-g_b` with the states on the left:

        .. math::

            E_{b,t+1} - r_b E_{b,t} - g_b (\mathrm{COP}^{s}_{b,t} P_{b,t} + B_{b,t} + U_{b,t})
            = -g_b (Q^{s}_{b,t} + l_{0,b} + \mathrm{COP}^{s}_{b,t} W_{b,t})

        without one :math:`\mathrm{COP}^{s}_{b,t} P_{b,t} + B_{b,t} + U_{b,t}
        = Q^{s}_{b,t} + \mathrm{COP}^{s}_{b,t} W_{b,t}`.
        """
        units, n, dt = self.units, inputs.n_steps, inputs.dt_h
        backed = [i for i, u in enumerate(units) if u.backup_kw > 0]
        stored = [i for i, u in enumerate(units) if u.store is not None]
        short = [unmet_steps(u) for u in units]
        n_unmet = sum(len(ts) for ts in short)
        base_b = len(units) * n
        base_u = base_b + len(backed) * n
        base_s = base_u + n_unmet
        b_of = {i: j for j, i in enumerate(backed)}
        s_of = {i: k for k, i in enumerate(stored)}
        rows, cols, vals = [], [], []
        rhs = np.empty(len(units) * n)
        steps = np.arange(n)
        u_next = base_u
        for i, u in enumerate(units):
            r = i * n + steps
            cop = u.cop_space
            heat_w = cop * water[i]
            scale, const = 1.0, u.q_space_kw + heat_w
            if u.store is not None:
                ret, gain = step_coefficients(u.store.loss_frac_per_h, dt)
                scale, const = -gain, -gain * (u.q_space_kw + u.store.loss_kw + heat_w)
                e0 = base_s + s_of[i] * (n + 1)
                rows += [r, r]
                cols += [e0 + steps + 1, e0 + steps]
                vals += [np.ones(n), np.full(n, -ret)]
            rows.append(r)
            cols.append(i * n + steps)
            vals.append(scale * cop)
            if i in b_of:
                rows.append(r)
                cols.append(base_b + b_of[i] * n + steps)
                vals.append(np.full(n, scale))
            ts = short[i]
            rows.append(i * n + ts)
            cols.append(u_next + np.arange(len(ts)))
            vals.append(np.full(len(ts), scale))
            u_next += len(ts)
            rhs[r] = const
        width = base_s + len(stored) * (n + 1)
        matrix = sp.coo_array(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(units) * n, width),
        )
        variables = (m.p_heat_pump_kw, m.p_backup_heater_kw, m.q_unmet_kw, m.heat_store_kwh)
        return MatrixRows("heat_balance", [u.id for u in units], n, variables, matrix, rhs, rhs)


@dataclass(frozen=True)
class EVChargingBlock(_AssetBlock):
    """The district's charger groups: charging within the sessions' envelope (module docstring)."""

    groups: tuple[EVGroupUnit, ...]

    def define(
        self,
        m: pyo.ConcreteModel,
        inputs: DispatchInputs,
        layout: DispatchLayout,
        options: DispatchOptions,
    ) -> BlockTerms:
        r"""Add the charged energy per group and the rows that bound its rise by the power.

        The charging power is the rise of the charged energy,
        :math:`p_{g,t} = (C_{g,t+1} - C_{g,t}) / \Delta t`, so it needs no variable of its
        own: one ranged row per step keeps it within :math:`0 .. \bar p_{g,t}`
        (:class:`~energy.optimisation.rows.MatrixRows`, a native ranged row of HiGHS).
        """
        groups = self.groups
        m.EV = pyo.Set(initialize=[g.id for g in groups], ordered=True)
        m.ev_charged_kwh = pyo.Var(m.EV, m.S)
        states = per_unit(m.ev_charged_kwh, len(groups))
        dt = inputs.dt_h
        limit = {}
        for g, e in zip(groups, states, strict=True):
            hi_e = np.cumsum(g.e_arrive_kwh)
            lo_e = np.minimum(np.cumsum(g.e_depart_kwh), hi_e)
            e[0].fix(0.0)
            for x, lo, hi in zip(e[1:], lo_e.tolist(), hi_e.tolist(), strict=True):
                x.setlb(lo)
                x.setub(hi)
            limit[g.id] = g.power_limits_kw() * dt
        n = inputs.n_steps
        steps = np.arange(n)
        rows = np.tile(np.arange(len(groups) * n), 2)
        first = (np.arange(len(groups))[:, None] * (n + 1) + steps).ravel()
        cols = np.concatenate([first + 1, first])
        vals = np.concatenate([np.ones(len(groups) * n), -np.ones(len(groups) * n)])
        matrix = sp.coo_array((vals, (rows, cols)), shape=(len(groups) * n, len(groups) * (n + 1)))
        upper = np.concatenate([limit[g.id] for g in groups])
        add_matrix_rows(
            m,
            MatrixRows(
                "ev_power", [g.id for g in groups], n, (m.ev_charged_kwh,), matrix,
                np.zeros(len(groups) * n), upper,
            ),
        )  # fmt: skip
        injection = {
            (g.id, t): [(1.0 / dt, e[t + 1]), (-1.0 / dt, e[t])]
            for g, e in zip(groups, states, strict=True)
            for t in range(inputs.n_steps)
        }
        return BlockTerms(injection=injection)


@dataclass(frozen=True)
class Ems14aBlock(_AssetBlock):
    r"""§14a dimming of a connection whose devices an EMS controls: their sum within the limit.

    For a node :math:`b` with a heat pump and a charger group and the
    connection's limit :math:`\bar P^{14a}_b`
    (:func:`energy.models.flex.ems_limit_kw`, BK6-22-300 Anlage 1 Ziff. 4.5.2),
    in every dimmed step :math:`t`:

    .. math::

        P_{b,t} + B_{b,t} + (C_{b,t+1} - C_{b,t}) / \Delta t \le \bar P^{14a}_b

    A node with only one of them needs no row: that device's own limit is the
    connection's (:attr:`energy.models.flex.HeatPumpUnit.dimmed_cap_kw`).
    Must come after :class:`HeatPumpBlock` and :class:`EVChargingBlock`.
    """

    pumps: tuple[HeatPumpUnit, ...]
    groups: tuple[EVGroupUnit, ...]
    ems: tuple[tuple[str, float], ...]

    def define(
        self,
        m: pyo.ConcreteModel,
        inputs: DispatchInputs,
        layout: DispatchLayout,
        options: DispatchOptions,
    ) -> BlockTerms:
        """Add the rows ``ems_14a[node, t]`` over the dimmed steps."""
        pump = {u.id: u for u in self.pumps if u.controllable_14a}
        group = {g.id: g for g in self.groups if g.controllable_14a}
        backed = {u.id for u in self.pumps if u.backup_kw > 0}
        cap = dict(self.ems)
        keys = []
        for b in cap:
            dimmed = pump[b].dimmed if b in pump and b in group else None
            if dimmed is not None:
                keys += [(b, int(t)) for t in np.flatnonzero(dimmed)]
        dt = inputs.dt_h

        def rule(m: pyo.ConcreteModel, b: str, t: int) -> Any:
            coefs = [1.0, 1.0 / dt, -1.0 / dt]
            xs = [m.p_heat_pump_kw[b, t], m.ev_charged_kwh[b, t + 1], m.ev_charged_kwh[b, t]]
            if b in backed:
                coefs.append(1.0)
                xs.append(m.p_backup_heater_kw[b, t])
            return at_most(linear(coefs, xs), cap[b])

        m.EMS_14A = pyo.Set(dimen=2, initialize=keys, ordered=True)
        m.ems_14a = pyo.Constraint(m.EMS_14A, rule=rule)
        return BlockTerms()


def flex_blocks(inputs: DispatchInputs) -> list[ModelBlock]:
    """Return the blocks of the flexible loads (none without :attr:`DispatchInputs.flex`)."""
    flex = inputs.flex
    if flex is None:
        return []
    blocks: list[ModelBlock] = []
    if flex.heat_pumps:
        blocks.append(HeatPumpBlock(flex.heat_pumps))
    if flex.ev_groups:
        blocks.append(EVChargingBlock(flex.ev_groups))
    if flex.ems and flex.heat_pumps and flex.ev_groups:
        blocks.append(Ems14aBlock(flex.heat_pumps, flex.ev_groups, flex.ems))
    return blocks


def flex_schedule_columns(
    inputs: DispatchInputs, values: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Return the flexible loads' schedule columns (:mod:`energy.system`) of a solved model.

    ``values`` are the solved values by component name
    (:attr:`energy.optimisation.solve.SolveResult.values`).
    """
    flex = inputs.flex
    if flex is None:
        return {}
    n = inputs.n_steps
    cols: dict[str, np.ndarray] = {}
    units = flex.heat_pumps
    if units:
        p = values["p_heat_pump_kw"].reshape(len(units), n)
        backed = [u.id for u in units if u.backup_kw > 0]
        bk = values["p_backup_heater_kw"].reshape(len(backed), n) if backed else np.zeros((0, n))
        stored = [u.id for u in units if u.store is not None]
        store = values["heat_store_kwh"].reshape(len(stored), n + 1) if stored else None
        unmet = np.zeros((len(units), n))
        pairs = [(i, int(t)) for i, u in enumerate(units) for t in unmet_steps(u)]
        if pairs:
            rows, steps = zip(*pairs, strict=True)
            unmet[list(rows), list(steps)] = values["q_unmet_kw"]
        backup = {b: bk[i] for i, b in enumerate(backed)}
        states = {b: store[i, 1:] for i, b in enumerate(stored)} if store is not None else {}
        for i, u in enumerate(units):
            cols |= heat_pump_columns(u, p[i], backup.get(u.id), unmet[i], states.get(u.id))
    if flex.ev_groups:
        charged = values["ev_charged_kwh"].reshape(len(flex.ev_groups), n + 1).copy()
        charged[:, 0] = 0.0  # fixed at 0, so not handed to the solver (NaN in values)
        ev = np.diff(charged, axis=1) / inputs.dt_h
        for i, g in enumerate(flex.ev_groups):
            cols[f"p_ev_kw:{g.id}"] = ev[i]
    return cols | district_flex_sums(cols, n)
