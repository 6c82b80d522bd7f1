r"""Batteries in the dispatch model: one set of physics for fixed and sized units.

:func:`define_battery` adds charge, discharge and state of charge of storage
units to a model. A unit of fixed size has its limits as variable bounds; a
unit whose size is a variable (:class:`~energy.optimisation.layout.StorageCapacity`,
as PyPSA's ``e_nom_extendable`` or oemof-solph's ``Investment``) gets capacity
variables and the same limits as rows in them. The dispatch core calls it for
the district's batteries (:mod:`energy.optimisation.model`), the capacity block
for a candidate battery (:mod:`energy.optimisation.capacity`).

Rolling-horizon operation (:mod:`energy.operation`) carries the state between
windows: :func:`with_initial_soc` starts the batteries of a window with the
stored energy the previous window ended with, and the model block
:class:`TerminalStorage` values the energy left at a window's end (so that
the horizon's end does not empty the batteries) or fixes it to a target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp

from energy.district import Battery
from energy.errors import InputDataError
from energy.optimisation.blocks import BlockTerms, Stage
from energy.optimisation.layout import DispatchLayout, StorageUnit
from energy.optimisation.options import DispatchOptions
from energy.optimisation.rows import (
    MatrixRows,
    add_matrix_rows,
    at_least,
    at_most,
    equal,
    linear,
    per_unit,
)
from energy.system import DispatchInputs, TerminalSoc


@dataclass(frozen=True)
class UnitVars:
    """The variables of one storage unit as lists over the states or steps (see per_unit).

    ``cap_kwh`` and ``cap_kw`` are the capacity variables of a sized unit
    (None for a unit of fixed size).
    """

    soc: list[Any]
    charge: list[Any]
    discharge: list[Any]
    cap_kwh: Any = None
    cap_kw: Any = None


def define_battery(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    units: Sequence[StorageUnit],
    nonconvex_steps: Sequence[int],
    tag: str = "",
) -> list[UnitVars]:
    r"""Storage units: charge, discharge and state of charge.

    States on the boundary points :math:`s = 0..n`, flows on the intervals
    (oemof-solph ``GenericStorage``, https://doi.org/10.1016/j.esr.2018.07.001):

    .. math::

        E_{b,t+1} = E_{b,t} (1 - \sigma_b)^{\Delta t}
                    + \eta^{ch}_b P^{ch}_{b,t} \Delta t
                    - P^{dis}_{b,t} \Delta t / \eta^{dis}_b

        \underline E_b \le E_{b,s} \le \bar E_b, \quad E_{b,0} = E^{0}_b, \quad
        0 \le P^{ch}_{b,t}, P^{dis}_{b,t} \le \bar P_b

    Terminal rule: :math:`E_{b,n} \ge E^0_b` (``geq_initial``, default),
    :math:`= E^0_b` (``equal_initial``) or free; set as bounds on
    :math:`E_{b,n}`, not as rows. A sized unit's limits are rows in its
    capacity instead (:func:`_define_capacity_rows`).

    Simultaneous charge and discharge burns energy in the losses; it pays only
    where energy has a negative value, i.e. where the import coefficient is
    <= 0. In those steps (``nonconvex_steps``) binaries :math:`v_{b,t}` forbid
    it (:math:`P^{ch} \le \bar P v`, :math:`P^{dis} \le \bar P (1-v)`);
    :func:`energy.optimisation.diagnose.simultaneous_flows` counts any that
    remain elsewhere (e.g. to dissipate surplus when curtailment is off).

    ========================  ================================  =====
    symbol                    attribute                         unit
    ========================  ================================  =====
    :math:`E_{b,s}`           ``soc_kwh[b, s]``                 kWh
    :math:`P^{ch}_{b,t}`      ``p_charge_kw[b, t]``             kW
    :math:`P^{dis}_{b,t}`     ``p_discharge_kw[b, t]``          kW
    :math:`v_{b,t}`           ``charge_on[b, t]``               0/1
    :math:`\eta^{ch}_b`       ``Battery.eta_charge``            --
    :math:`\eta^{dis}_b`      ``Battery.eta_discharge``         --
    :math:`\sigma_b`          ``self_discharge_frac_per_h``     1/h
    :math:`\Delta t`          ``inputs.dt_h``                   h
    ========================  ================================  =====

    ``tag`` goes into every component name after its first word (``""``:
    ``p_charge_kw``; ``"_sized"``: ``p_charge_sized_kw``), so that several
    sets of units can share a model. Returns each unit's variables as lists
    (:class:`UnitVars`) for the balance, the node injections and the objective.
    """
    index = pyo.Set(initialize=[u.id for u in units], ordered=True)
    m.add_component(f"B{tag}", index)
    if not units:
        return []
    unit_vars = _define_flows(m, inputs, units, index, tag)
    sized = [u for u in units if u.capacity is not None]
    if sized:
        unit_vars = _define_capacity_vars(m, units, unit_vars, tag)
    lists = {u.id: v for u, v in zip(units, unit_vars, strict=True)}
    add_matrix_rows(m, _soc_balance_rows(m, inputs, units, tag))
    if sized:
        _define_capacity_rows(m, inputs, sized, lists, tag)
    if nonconvex_steps:
        _define_directions(m, units, lists, tag)
    return unit_vars


def _soc_balance_rows(
    m: pyo.ConcreteModel, inputs: DispatchInputs, units: Sequence[StorageUnit], tag: str
) -> MatrixRows:
    r"""Return the state-of-charge balance of every unit and step as :class:`MatrixRows`.

    Row ``(b, t)``: :math:`-E_{b,t+1} + (1 - \sigma_b)^{\Delta t} E_{b,t}
    + \eta^{ch}_b \Delta t P^{ch}_{b,t} - \Delta t / \eta^{dis}_b P^{dis}_{b,t} = 0`,
    over the columns of ``soc_kwh`` (``units x (n + 1)``), then ``p_charge_kw``
    and ``p_discharge_kw`` (``units x n`` each), unit-major as the Vars hold them.
    Built with numpy: a Pyomo row per unit and step was most of the build and
    hand-over of a year (benchmarks/bench_year.py).
    """
    n, k, dt = inputs.n_steps, len(units), inputs.dt_h
    unit = np.repeat(np.arange(k), n)
    step = np.tile(np.arange(n), k)
    row = np.arange(k * n)
    soc_t = unit * (n + 1) + step
    flow = k * (n + 1) + row
    keep = np.array([(1.0 - u.self_discharge_frac_per_h) ** dt for u in units])[unit]
    charge = np.array([u.eta_charge * dt for u in units])[unit]
    discharge = np.array([-dt / u.eta_discharge for u in units])[unit]
    matrix = sp.coo_array(
        (
            np.concatenate([-np.ones(k * n), keep, charge, discharge]),
            (np.tile(row, 4), np.concatenate([soc_t + 1, soc_t, flow, flow + k * n])),
        ),
        shape=(k * n, k * (n + 1) + 2 * k * n),
    )
    variables = tuple(
        m.component(name) for name in (f"soc{tag}_kwh", f"p_charge{tag}_kw", f"p_discharge{tag}_kw")
    )
    zero = np.zeros(k * n)
    return MatrixRows(f"soc{tag}_balance", [u.id for u in units], n, variables, matrix, zero, zero)


def _define_flows(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    units: Sequence[StorageUnit],
    index: pyo.Set,
    tag: str,
) -> list[UnitVars]:
    """Charge, discharge and SoC variables with their bounds, as lists per unit."""
    charge = pyo.Var(index, m.T, bounds=(0.0, None))
    discharge = pyo.Var(index, m.T, bounds=(0.0, None))
    soc = pyo.Var(index, m.S)
    m.add_component(f"p_charge{tag}_kw", charge)
    m.add_component(f"p_discharge{tag}_kw", discharge)
    m.add_component(f"soc{tag}_kwh", soc)
    # the units' variables as lists over the steps, kept for the balance and the
    # objective (see per_unit); bounds are set on them unit by unit, a third cheaper
    # than a bounds rule called per index
    unit_vars = [
        UnitVars(*lists)
        for lists in zip(
            per_unit(soc, len(units)),
            per_unit(charge, len(units)),
            per_unit(discharge, len(units)),
            strict=True,
        )
    ]
    for u, v in zip(units, unit_vars, strict=True):
        _set_bounds(u, v, inputs.terminal_soc)
    return unit_vars


def _set_bounds(u: StorageUnit, v: UnitVars, terminal_soc: TerminalSoc) -> None:
    """Power and SoC bounds of one unit; a fixed unit's initial and terminal SoC too."""
    for x in v.charge + v.discharge:
        x.setub(u.power_kw)
    for e in v.soc:
        e.setlb(u.soc_min_kwh)
        e.setub(u.soc_max_kwh)
    if u.capacity is not None:
        return
    n = len(v.charge)
    v.soc[0].setlb(u.soc_initial_kwh)
    v.soc[0].setub(u.soc_initial_kwh)
    if terminal_soc == "geq_initial":
        v.soc[n].setlb(max(u.soc_min_kwh, u.soc_initial_kwh))
    elif terminal_soc == "equal_initial":
        v.soc[n].setlb(u.soc_initial_kwh)
        v.soc[n].setub(u.soc_initial_kwh)


def _define_capacity_vars(
    m: pyo.ConcreteModel, units: Sequence[StorageUnit], unit_vars: list[UnitVars], tag: str
) -> list[UnitVars]:
    r"""Capacity variables :math:`K^e_b` [kWh], :math:`K^p_b` [kW] of the sized units.

    With a fixed ratio :math:`\rho_b` [kW/kWh]: :math:`K^p_b = \rho_b K^e_b`.
    Returns ``unit_vars`` with the capacity variables of the sized units.
    """
    caps = {u.id: u.capacity for u in units if u.capacity is not None}
    index = pyo.Set(initialize=list(caps), ordered=True)
    m.add_component(f"B{tag}_capacity", index)
    cap_kwh = pyo.Var(index, bounds=lambda m, b: (caps[b].kwh_min, caps[b].kwh_max))
    cap_kw = pyo.Var(index, bounds=lambda m, b: (caps[b].kw_min, caps[b].kw_max))
    m.add_component(f"cap{tag}_kwh", cap_kwh)
    m.add_component(f"cap{tag}_kw", cap_kw)
    ratio = {b: c.kw_per_kwh for b, c in caps.items() if c.kw_per_kwh is not None}
    if ratio:

        def power_ratio(m: pyo.ConcreteModel, b: str) -> Any:
            return equal(linear([1.0, -ratio[b]], [cap_kw[b], cap_kwh[b]]), 0.0)

        m.add_component(f"cap{tag}_ratio", pyo.Constraint(list(ratio), rule=power_ratio))
    return [
        UnitVars(v.soc, v.charge, v.discharge, cap_kwh[u.id], cap_kw[u.id]) if u.id in caps else v
        for u, v in zip(units, unit_vars, strict=True)
    ]


def _define_capacity_rows(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    sized: Sequence[StorageUnit],
    lists: dict[str, UnitVars],
    tag: str,
) -> None:
    r"""Limits of the sized units as rows in their capacity.

    .. math::

        P^{ch}_{b,t}, P^{dis}_{b,t} \le K^p_b, \quad
        \underline e_b K^e_b \le E_{b,s} \le \bar e_b K^e_b \; (s \ge 1), \quad
        E_{b,0} = e^0_b K^e_b, \quad E_{b,n} \ge e^0_b K^e_b \text{ (or } = \text{, or free)}

    with the SoC fractions :math:`\underline e, \bar e, e^0` of
    :class:`~energy.optimisation.layout.StorageCapacity`; the lower SoC row
    exists only for :math:`\underline e > 0`.
    """
    cap = {u.id: u.capacity for u in sized if u.capacity is not None}
    ids = list(cap)
    states = pyo.RangeSet(1, inputs.n_steps)
    m.add_component(f"S{tag}_capacity", states)

    def limit_rows(name: str, rule: Any, index: Any) -> None:
        m.add_component(name, pyo.Constraint(index, rule=rule))

    def charge_limit(m: pyo.ConcreteModel, b: str, t: int) -> Any:
        return at_most(linear([1.0, -1.0], [lists[b].charge[t], lists[b].cap_kw]), 0.0)

    def discharge_limit(m: pyo.ConcreteModel, b: str, t: int) -> Any:
        return at_most(linear([1.0, -1.0], [lists[b].discharge[t], lists[b].cap_kw]), 0.0)

    def soc_max(m: pyo.ConcreteModel, b: str, s: int) -> Any:
        frac = cap[b].soc_max_frac
        return at_most(linear([1.0, -frac], [lists[b].soc[s], lists[b].cap_kwh]), 0.0)

    def soc_min(m: pyo.ConcreteModel, b: str, s: int) -> Any:
        frac = cap[b].soc_min_frac
        return at_least(linear([1.0, -frac], [lists[b].soc[s], lists[b].cap_kwh]), 0.0)

    def soc_initial(m: pyo.ConcreteModel, b: str) -> Any:
        e0 = cap[b].soc_initial_frac
        return equal(linear([1.0, -e0], [lists[b].soc[0], lists[b].cap_kwh]), 0.0)

    def soc_terminal(m: pyo.ConcreteModel, b: str) -> Any:
        e0 = cap[b].soc_initial_frac
        row = linear([1.0, -e0], [lists[b].soc[-1], lists[b].cap_kwh])
        return equal(row, 0.0) if inputs.terminal_soc == "equal_initial" else at_least(row, 0.0)

    limit_rows(f"charge{tag}_limit", charge_limit, [(b, t) for b in ids for t in m.T])
    limit_rows(f"discharge{tag}_limit", discharge_limit, [(b, t) for b in ids for t in m.T])
    limit_rows(f"soc{tag}_max", soc_max, [(b, s) for b in ids for s in states])
    with_min = [b for b in ids if cap[b].soc_min_frac > 0]
    if with_min:
        limit_rows(f"soc{tag}_min", soc_min, [(b, s) for b in with_min for s in states])
    limit_rows(f"soc{tag}_initial", soc_initial, ids)
    if inputs.terminal_soc != "free":
        limit_rows(f"soc{tag}_terminal", soc_terminal, ids)


def _define_directions(
    m: pyo.ConcreteModel, units: Sequence[StorageUnit], lists: dict[str, UnitVars], tag: str
) -> None:
    """Binaries that forbid charging and discharging at once in the nonconvex steps."""
    index = m.component(f"B{tag}")
    on = pyo.Var(index, m.NONCONVEX, domain=pyo.Binary)
    m.add_component(f"charge_on{tag}", on)
    power = {u.id: u.power_kw for u in units}

    def charge_direction(m: pyo.ConcreteModel, b: str, t: int) -> Any:
        return at_most(linear([1.0, -power[b]], [lists[b].charge[t], on[b, t]]), 0.0)

    def discharge_direction(m: pyo.ConcreteModel, b: str, t: int) -> Any:
        return at_most(linear([1.0, power[b]], [lists[b].discharge[t], on[b, t]]), power[b])

    m.add_component(
        f"charge{tag}_direction", pyo.Constraint(index, m.NONCONVEX, rule=charge_direction)
    )
    m.add_component(
        f"discharge{tag}_direction", pyo.Constraint(index, m.NONCONVEX, rule=discharge_direction)
    )


def storage_injection(
    units: Sequence[StorageUnit], unit_vars: Sequence[UnitVars]
) -> dict[tuple[str, int], list[tuple[float, Any]]]:
    """Charge minus discharge of each unit at its node per step, load convention [kW]."""
    out: dict[tuple[str, int], list[tuple[float, Any]]] = {}
    for unit, v in zip(units, unit_vars, strict=True):
        assert unit.node is not None
        for t, (ch, dis) in enumerate(zip(v.charge, v.discharge, strict=True)):
            out.setdefault((unit.node, t), []).extend([(1.0, ch), (-1.0, dis)])
    return out


def storage_cost(
    units: Sequence[StorageUnit],
    unit_vars: Sequence[UnitVars],
    inputs: DispatchInputs,
    w_cost: float,
) -> list[tuple[float, Any]]:
    r"""Objective terms of the units: capacity costs, then wear.

    A sized unit costs :math:`w_c (c^e K^e + c^p K^p) Y` with the annual costs
    per unit :math:`c^e, c^p` and the horizon in years :math:`Y`
    (:attr:`~energy.system.DispatchInputs.horizon_years`; the power term only
    if :math:`c^p > 0`); every unit :math:`w_c \theta \sum_t P^{dis}_t \Delta t`
    with the throughput cost :math:`\theta` [EUR/kWh] (if > 0).
    """
    years = inputs.horizon_years
    out: list[tuple[float, Any]] = []
    for u, v in zip(units, unit_vars, strict=True):
        if u.capacity is not None:
            out.append((w_cost * u.capacity.eur_per_kwh_year * years, v.cap_kwh))
            if u.capacity.eur_per_kw_year > 0:
                out.append((w_cost * u.capacity.eur_per_kw_year * years, v.cap_kw))
        c = w_cost * u.throughput_cost_eur_per_kwh * inputs.dt_h
        if c > 0:
            out += [(c, x) for x in v.discharge]
    return out


def with_initial_soc(
    batteries: Sequence[Battery], soc_kwh: Mapping[str, float]
) -> tuple[Battery, ...]:
    """Return ``batteries`` starting with the stored energy ``soc_kwh[id]`` [kWh].

    The state carried into the next window of a rolling horizon: each
    battery's ``soc_initial_frac`` becomes ``soc_kwh / capacity_kwh``, clipped
    into ``[soc_min_frac, soc_max_frac]`` (a solver returns the bounds up to
    its tolerance, about 1e-9 kWh). Batteries not in ``soc_kwh`` keep theirs.
    """
    out = []
    for bat in batteries:
        if bat.id not in soc_kwh:
            out.append(bat)
            continue
        frac = min(max(soc_kwh[bat.id] / bat.capacity_kwh, bat.soc_min_frac), bat.soc_max_frac)
        out.append(bat.model_copy(update={"soc_initial_frac": frac}))
    return tuple(out)


@dataclass(frozen=True)
class TerminalStorage:
    r"""Model block: the stored energy at the horizon's end, valued or fixed.

    For inputs with ``terminal_soc = "free"``. ``value_eur_per_kwh[b]`` adds
    :math:`-w_c v_b E_{b,n}` to the objective: a kWh left in battery ``b`` at
    the end is worth :math:`v_b` [EUR/kWh], so the optimiser empties it only
    where using the energy now is worth more. ``target_kwh[b]`` fixes
    :math:`E_{b,n}` [kWh] instead (the last window of a rolling horizon ends
    where the whole period must end). A merged storage unit (identical
    batteries, :mod:`energy.optimisation.layout`) gets the sum of its members'
    targets and its first member's value.
    """

    value_eur_per_kwh: Mapping[str, float] = field(default_factory=dict)
    target_kwh: Mapping[str, float] = field(default_factory=dict)

    @property
    def stage(self) -> Stage:
        """Joins with the assets (it adds no injection)."""
        return "assets"

    def define(
        self,
        m: pyo.ConcreteModel,
        inputs: DispatchInputs,
        layout: DispatchLayout,
        options: DispatchOptions,
    ) -> BlockTerms:
        """Fix or value each unit's last state; return the value terms."""
        if inputs.terminal_soc != "free":
            raise InputDataError(
                f"terminal_soc: {inputs.terminal_soc!r}; a TerminalStorage block needs the "
                "inputs' terminal_soc = 'free'"
            )
        w_cost = options.term_weights()["cost"]
        n = inputs.n_steps
        cost: list[tuple[float, Any]] = []
        for unit, v in zip(layout.storage, m.unit_vars, strict=True):
            last = v.soc[n]
            if all(b in self.target_kwh for b in unit.members):
                target = sum(self.target_kwh[b] for b in unit.members)
                target = min(max(target, unit.soc_min_kwh), unit.soc_max_kwh)
                last.setlb(target)
                last.setub(target)
            elif unit.members[0] in self.value_eur_per_kwh:
                cost.append((-w_cost * self.value_eur_per_kwh[unit.members[0]], last))
        return BlockTerms(cost=cost)
