"""The dispatch model: batteries, grid exchange, PV curtailment and street lighting.

:func:`build_model` returns a Pyomo :class:`~pyomo.environ.ConcreteModel` and
never solves it (:mod:`energy.optimisation.solve` does). It reads like a table
of contents: one named function per piece of physics, each documenting its
equations and a symbol table (math symbol -> model attribute -> unit), after
PyPSA's ``define_*`` layout (Brown et al. 2018, https://doi.org/10.5334/jors.188).

Time: ``n`` intervals ``t = 0..n-1`` of length ``dt_h`` taken from the index
(interval-start labels, interval means); storage states live on the ``n + 1``
boundary points ``s = 0..n`` (as in oemof-solph's ``GenericStorage``,
https://doi.org/10.1016/j.esr.2018.07.001). All sets are positional.

Sign conventions: every optimiser power is >= 0 with its direction in the
name (``p_charge_kw``, ``p_discharge_kw``, ``p_import_kw``, ``p_export_kw``,
``p_curtail_kw``). Net nodal power ``p_node_kw`` follows the load convention:
positive = drawn from the grid (as pandapower loads).

Nodes: building ids, ``"substation"`` and ``"light:<group id>"``.

Exact aggregation on the copper plate: without network constraints only the
district balance couples the assets, so batteries with identical per-unit
parameters (efficiencies, self-discharge, SoC fractions, throughput cost and
C-rate ``power_kw / capacity_kwh``) are merged into one storage unit of the
summed capacity and power: any schedule of the merged unit splits into
feasible schedules of its members in proportion to their capacity, and the
members' summed schedule is feasible for the merged unit, so the optimum is
unchanged. Curtailment is likewise one district variable, and in LP mode the
lighting groups share one variable per dark step (see :func:`define_lighting`).
With a network every battery, node and group keeps its own variables. Slack
variables exist only in steps where a limit can bind (:func:`make_layout`).
For the Gera year this cuts the model from 553k to 108k variables and the
run time about 7x with the same optimum (benchmarks/bench_dispatch.py).

Negative prices: where the objective would reward simultaneous import and
export, or charging and discharging at once, binaries forbid it in those
steps only (:func:`define_grid_exchange`, :func:`define_battery`); the model
stays an LP when no such step exists.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.core.expr.relational_expr import EqualityExpression

from energy.district import Battery, lighting_node
from energy.errors import InputDataError
from energy.system import DispatchInputs, node_net_kw

if TYPE_CHECKING:
    from energy.optimisation.sizing import SizingSpec

logger = logging.getLogger(__name__)

Objective = Literal["cost", "co2", "import", "weighted"]
SolverMethod = Literal["simplex", "ipm", "ipm_no_crossover", "choose"]

#: Dim-level steps of the MILP mode when ``lighting_levels="steps"`` [0..1] (LIGHTING.md).
DEFAULT_LEVEL_STEPS: tuple[float, ...] = (1.0, 0.75, 0.5, 0.3)
#: Weight of the cost [EUR] added to the co2 and import objectives to break ties
#: (e.g. curtail or export at zero feed-in) towards the cheaper schedule.
TIE_BREAK_COST_WEIGHT = 1e-4


@dataclass(frozen=True)
class DispatchOptions:
    """How to optimise.

    Parameters
    ----------
    objective
        ``cost`` [EUR], ``co2`` [kg], ``import`` [kWh] or ``weighted``
        (``weights`` with keys ``cost``, ``co2``, ``import``). ``co2`` and
        ``import`` add the cost with weight :data:`TIE_BREAK_COST_WEIGHT` to
        break ties.
    lighting_mode
        ``lp``: continuous dim level in [minimum, 1]; ``milp``: one of the
        discrete levels per step, at most ``max_changes_per_night`` changes.
    lighting_levels
        MILP levels: ``class`` (the group's class levels from the lighting
        inputs) or ``steps`` (``level_steps``).
    curtailment
        Allow curtailing curtailable PV.
    exclusive_flows
        Add binaries, in the steps where the objective would reward it, that
        forbid simultaneous import and export and simultaneous charge and
        discharge (see :func:`define_grid_exchange`).
    aggregate
        Merge identical batteries, curtailment and (LP) lighting on the copper
        plate (exact; ignored when a network is given).
    time_limit_s, mip_gap
        Solver limits; a run stopped by them is never reported as optimal.
    method
        HiGHS algorithm: ``simplex`` (dual simplex), ``ipm`` (interior point
        with crossover), ``ipm_no_crossover`` or ``choose``.
    penalty_eur_per_kwh
        Penalty on unmet load and unabsorbable surplus (soft balance); None
        picks 1000 x the largest objective coefficient.
    threads
        Solver threads (None: HiGHS default).
    """

    objective: Objective = "cost"
    weights: Mapping[str, float] | None = None
    lighting_mode: Literal["lp", "milp"] = "lp"
    lighting_levels: Literal["class", "steps"] = "class"
    level_steps: tuple[float, ...] = DEFAULT_LEVEL_STEPS
    max_changes_per_night: int | None = None
    curtailment: bool = True
    exclusive_flows: bool = True
    aggregate: bool = True
    time_limit_s: float | None = None
    mip_gap: float | None = None
    method: SolverMethod = "simplex"
    penalty_eur_per_kwh: float | None = None
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.objective not in ("cost", "co2", "import", "weighted"):
            raise InputDataError(
                f"objective: {self.objective!r} is not allowed; use cost, co2, import or weighted"
            )
        if self.objective == "weighted" and not self.weights:
            raise InputDataError(
                "weights: the weighted objective needs weights, e.g. {'cost': 1.0, 'co2': 0.1}"
            )
        if self.weights:
            for key, w in self.weights.items():
                if key not in ("cost", "co2", "import"):
                    raise InputDataError(
                        f"weights: {key!r} is not an objective term; allowed: cost, co2, import"
                    )
                if not (math.isfinite(w) and w >= 0):
                    raise InputDataError(f"weights[{key!r}]: {w} is not allowed; it must be >= 0")
        if self.lighting_mode not in ("lp", "milp"):
            raise InputDataError(
                f"lighting_mode: {self.lighting_mode!r} is not allowed; use lp or milp"
            )
        if self.lighting_levels not in ("class", "steps"):
            raise InputDataError(
                f"lighting_levels: {self.lighting_levels!r} is not allowed; use class or steps"
            )
        if not self.level_steps or min(self.level_steps) <= 0 or max(self.level_steps) > 1:
            raise InputDataError(f"level_steps: {self.level_steps} must lie in (0, 1]")
        if self.max_changes_per_night is not None and self.max_changes_per_night < 0:
            raise InputDataError(
                f"max_changes_per_night: {self.max_changes_per_night} is not allowed; "
                "it must be >= 0"
            )
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise InputDataError(f"time_limit_s: {self.time_limit_s} s must be > 0")
        if self.mip_gap is not None and not 0 <= self.mip_gap < 1:
            raise InputDataError(f"mip_gap: {self.mip_gap} must lie in [0, 1)")
        if self.method not in ("simplex", "ipm", "ipm_no_crossover", "choose"):
            raise InputDataError(
                f"method: {self.method!r} is not allowed; use simplex, ipm, ipm_no_crossover "
                "or choose"
            )
        if self.penalty_eur_per_kwh is not None and not self.penalty_eur_per_kwh > 0:
            raise InputDataError(f"penalty_eur_per_kwh: {self.penalty_eur_per_kwh} must be > 0")

    def term_weights(self) -> dict[str, float]:
        """Weights of the cost [1/EUR], co2 [1/kg] and import [1/kWh] terms."""
        if self.objective == "cost":
            return {"cost": 1.0, "co2": 0.0, "import": 0.0}
        if self.objective == "co2":
            return {"cost": TIE_BREAK_COST_WEIGHT, "co2": 1.0, "import": 0.0}
        if self.objective == "import":
            return {"cost": TIE_BREAK_COST_WEIGHT, "co2": 0.0, "import": 1.0}
        weights = dict(self.weights or {})
        return {k: float(weights.get(k, 0.0)) for k in ("cost", "co2", "import")}


# ---------------------------------------------------------------------------------------
# Layout: what becomes a model unit (plain data, computed before the build)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StorageUnit:
    """One battery of the model, possibly the exact merger of identical batteries.

    ``members`` are the spec ids; ``shares`` their capacity fractions (sum 1),
    used to split the unit's schedule back onto the members.
    """

    id: str
    node: str | None
    members: tuple[str, ...]
    shares: tuple[float, ...]
    capacity_kwh: float
    power_kw: float
    eta_charge: float
    eta_discharge: float
    self_discharge_frac_per_h: float
    soc_min_kwh: float
    soc_max_kwh: float
    soc_initial_kwh: float
    throughput_cost_eur_per_kwh: float


@dataclass(frozen=True)
class CurtailUnit:
    """Curtailable PV lumped per node (``node`` None: the whole district)."""

    id: str
    node: str | None
    available_kw: np.ndarray


@dataclass(frozen=True)
class DispatchLayout:
    """Model units, sparse index sets and objective coefficients (plain data).

    ``lighting`` is ``"none"``, ``"flex"`` (LP on the copper plate: one
    variable per dark step for the district's lighting above its minimum,
    exact because the groups share one balance) or ``"level"`` (a level per
    group and dark step).
    """

    aggregated: bool
    storage: tuple[StorageUnit, ...]
    curtail: tuple[CurtailUnit, ...]
    curtail_on: tuple[tuple[str, int], ...]
    lighting: Literal["none", "flex", "level"]
    light_on: tuple[tuple[int, int], ...]
    flex_steps: tuple[int, ...]
    flex_max_kw: np.ndarray
    unserved_steps: tuple[int, ...]
    surplus_steps: tuple[int, ...]
    nonconvex_steps: tuple[int, ...]
    c_import: np.ndarray
    c_export: np.ndarray
    penalty: float


def _storage_units(batteries: Sequence[Battery], aggregate: bool) -> tuple[StorageUnit, ...]:
    groups: dict[tuple[Any, ...], list[Battery]] = {}
    for bat in batteries:
        key: tuple[Any, ...] = (
            (
                bat.eta_charge,
                bat.eta_discharge,
                bat.self_discharge_frac_per_h,
                bat.soc_min_frac,
                bat.soc_max_frac,
                bat.soc_initial_frac,
                bat.throughput_cost_eur_per_kwh,
                round(bat.power_kw / bat.capacity_kwh, 12),
            )
            if aggregate
            else (bat.id,)
        )
        groups.setdefault(key, []).append(bat)
    units = []
    for members in groups.values():
        first = members[0]
        cap = sum(b.capacity_kwh for b in members)
        units.append(
            StorageUnit(
                id=first.id if len(members) == 1 else f"{first.id}+{len(members) - 1}",
                node=first.at if len(members) == 1 else None,
                members=tuple(b.id for b in members),
                shares=tuple(b.capacity_kwh / cap for b in members),
                capacity_kwh=cap,
                power_kw=sum(b.power_kw for b in members),
                eta_charge=first.eta_charge,
                eta_discharge=first.eta_discharge,
                self_discharge_frac_per_h=first.self_discharge_frac_per_h,
                soc_min_kwh=first.soc_min_frac * cap,
                soc_max_kwh=first.soc_max_frac * cap,
                soc_initial_kwh=first.soc_initial_frac * cap,
                throughput_cost_eur_per_kwh=first.throughput_cost_eur_per_kwh,
            )
        )
    return tuple(units)


def _curtail_units(inputs: DispatchInputs, aggregate: bool) -> tuple[CurtailUnit, ...]:
    per_node: dict[str, np.ndarray] = {}
    for pid in inputs.pv_kw.columns:
        if not inputs.curtailable(pid):
            continue
        key = "district" if aggregate else inputs.pv_node[pid]
        values = inputs.pv_kw[pid].to_numpy()
        per_node[key] = per_node[key] + values if key in per_node else values.copy()
    return tuple(
        CurtailUnit(id=key, node=None if aggregate else key, available_kw=avail)
        for key, avail in per_node.items()
        if avail.max() > 0
    )


def make_layout(
    inputs: DispatchInputs, options: DispatchOptions, aggregate: bool
) -> DispatchLayout:
    """Decide the model's units, sparse sets and objective coefficients (no Pyomo).

    Slack variables exist only in steps where a limit can bind at all: unmet
    demand where buildings + full lighting + full charging could exceed the
    import limit, surplus where PV that cannot be curtailed + full discharge
    could exceed the export bound plus the minimum demand. Elsewhere any
    schedule balances through import, export and curtailment alone, so the
    optimum is the same without them.
    """
    w = options.term_weights()
    dt = inputs.dt_h
    c_import = (
        w["cost"] * inputs.import_price_eur_per_kwh
        + w["co2"] * inputs.co2_g_per_kwh / 1000.0
        + w["import"]
    ) * dt
    c_export = -w["cost"] * inputs.feed_in_eur_per_kwh * dt
    storage = _storage_units(inputs.batteries, aggregate)
    curtail = _curtail_units(inputs, aggregate) if options.curtailment else ()
    curtail_on = tuple((u.id, int(t)) for u in curtail for t in np.flatnonzero(u.available_kw > 0))
    thr = max((u.throughput_cost_eur_per_kwh for u in storage), default=0.0)
    scale = max(float(np.abs(c_import).max()), float(np.abs(c_export).max()), dt) / dt
    scale += w["cost"] * (thr + inputs.peak_charge_eur_per_kw / dt)
    penalty = (options.penalty_eur_per_kwh or 1000.0 * max(scale, 1e-3)) * dt
    nonconvex: tuple[int, ...] = ()
    if options.exclusive_flows:
        # ties (sum exactly 0) included: a free two-way flow is as unphysical as a paid one
        nonconvex = tuple(np.flatnonzero((c_import + c_export <= 0) | (c_import <= 0)).tolist())
    demand_min, demand_max = inputs.demand_bounds_kw()
    p_bat = sum(u.power_kw for u in storage)
    tol = 1e-9
    unserved = np.flatnonzero(demand_max + p_bat > inputs.import_limit_kw + tol)
    surplus = np.flatnonzero(
        inputs.fixed_pv_kw(options.curtailment) + p_bat > inputs.export_bound_kw + demand_min + tol
    )
    light = inputs.lighting
    mode: Literal["none", "flex", "level"] = "none"
    light_on: tuple[tuple[int, int], ...] = ()
    flex_steps: tuple[int, ...] = ()
    flex_max = np.zeros(inputs.n_steps)
    if light is not None and len(light.group_ids):
        dark = np.asarray(light.dark_frac, dtype=float)
        if aggregate and options.lighting_mode == "lp":
            mode = "flex"
            head = (
                dark
                * np.asarray(light.b_kw, dtype=float)[:, None]
                * (1.0 - np.asarray(light.min_level_frac, dtype=float))
            )
            flex_max = head.sum(axis=0)
            flex_steps = tuple(np.flatnonzero(flex_max > 1e-12).tolist())
        else:
            mode = "level"
            gg, tt = np.nonzero(dark > 0)
            light_on = tuple(zip(gg.tolist(), tt.tolist(), strict=True))
    return DispatchLayout(
        aggregated=aggregate,
        storage=storage,
        curtail=curtail,
        curtail_on=curtail_on,
        lighting=mode,
        light_on=light_on,
        flex_steps=flex_steps,
        flex_max_kw=flex_max,
        unserved_steps=tuple(unserved.tolist()),
        surplus_steps=tuple(surplus.tolist()),
        nonconvex_steps=nonconvex,
        c_import=c_import,
        c_export=c_export,
        penalty=penalty,
    )


@dataclass(frozen=True)
class ExtraTerms:
    """Terms an optional block adds to the model (:mod:`energy.optimisation.sizing`).

    ``injection[(node, t)]`` holds ``(coefficient, variable)`` pairs of the net
    power of ``node`` in step ``t`` [kW], load convention (+ = drawn from the
    grid); they enter the balance (:func:`define_balance`) and the node
    injections (:func:`define_node_injections`). ``cost`` holds
    ``(coefficient, variable)`` pairs added to the objective.
    """

    injection: Mapping[tuple[str, int], Sequence[tuple[float, Any]]]
    cost: Sequence[tuple[float, Any]]


# ---------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------


def linear(coefs: list[float], xs: list[Any], constant: float = 0.0) -> LinearExpression:
    """Return the linear expression ``constant + sum_i coefs[i] * xs[i]``."""
    return LinearExpression(constant=constant, linear_coefs=coefs, linear_vars=xs)


def equal(body: Any, rhs: float) -> EqualityExpression:
    """Return the row ``body == rhs`` (what the tuple ``(rhs, body, rhs)`` becomes, directly)."""
    return EqualityExpression((body, rhs))


def per_unit(var: pyo.Var, units: int) -> list[list[Any]]:
    """Split a dense Var over ``unit x step`` into one list of variables per unit.

    A dense Var over a product of ordered sets holds its data in index order
    (unit-major), so row ``i`` holds the steps of the ``i``-th unit; reading
    the lists costs a quarter of looking each variable up by its index.
    """
    data = list(var.values())
    length, rest = divmod(len(data), units)
    if rest or len(var) != len(var.index_set()):
        raise ValueError(f"{var.name}: not a dense unit x step variable")
    return [data[i * length : (i + 1) * length] for i in range(units)]


@dataclass(frozen=True)
class UnitVars:
    """The variables of one storage unit as lists over the states or steps (see per_unit)."""

    soc: list[Any]
    charge: list[Any]
    discharge: list[Any]


def build_model(
    inputs: DispatchInputs,
    options: DispatchOptions | None = None,
    network: Any | None = None,
    sizing: SizingSpec | None = None,
) -> pyo.ConcreteModel:
    """Build the dispatch model; it is not solved here.

    Parameters
    ----------
    inputs
        Validated inputs.
    options
        Objective, lighting mode, curtailment, aggregation.
    network
        Optional network description for
        :func:`energy.optimisation.network.define_network_constraints`; it
        disables aggregation so that every node keeps its own injection.
    sizing
        Optional candidate PV and battery whose capacities become variables
        (:func:`energy.optimisation.sizing.define_sizing`).

    Returns
    -------
    pyomo.environ.ConcreteModel
        With the layout at ``m.layout`` and the build time at ``m.build_time_s``.
    """
    options = options or DispatchOptions()
    start = time.perf_counter()
    with PauseGC():
        layout = make_layout(inputs, options, aggregate=options.aggregate and network is None)
        m = pyo.ConcreteModel(name="dispatch")
        m.layout = layout
        m.T = pyo.RangeSet(0, inputs.n_steps - 1)
        m.S = pyo.RangeSet(0, inputs.n_steps)
        define_grid_exchange(m, inputs, layout)
        define_battery(m, inputs, layout)
        define_pv(m, layout)
        define_lighting(m, inputs, layout, options)
        extra = None
        if sizing is not None:
            from energy.optimisation.sizing import define_sizing

            extra = define_sizing(m, inputs, layout, options, sizing)
        define_balance(m, inputs, layout, extra)
        if not layout.aggregated:
            define_node_injections(m, inputs, layout, extra)
        if network is not None:
            from energy.optimisation.network import define_network_constraints

            define_network_constraints(m, inputs, network)
        define_objective(m, inputs, layout, options, extra)
    m.build_time_s = time.perf_counter() - start
    logger.debug("dispatch model built in %.2f s", m.build_time_s)
    return m


def define_grid_exchange(
    m: pyo.ConcreteModel, inputs: DispatchInputs, layout: DispatchLayout
) -> None:
    r"""Import and export at the transformer, slack powers, peak import.

    .. math::

        0 \le P^{imp}_t \le \bar P^{imp}, \quad
        0 \le P^{exp}_t \le \min(\bar P^{exp}, \bar P^{cap}), \quad
        P^{peak} \ge P^{imp}_t

    Simultaneous import and export is physically one flow; it would pay (or
    cost nothing) only where the import coefficient plus the export
    coefficient of the objective is <= 0 (e.g. a negative import price while
    feed-in earns >= 0, or feed-in paid at the import price). In
    those steps (``layout.nonconvex_steps``) a binary :math:`u_t` selects the
    direction: :math:`P^{imp}_t \le \bar P^{imp} u_t`,
    :math:`P^{exp}_t \le \bar P^{exp} (1 - u_t)`.

    Slack powers :math:`P^{uns}_t, P^{sur}_t \ge 0` (unmet demand, surplus
    that can go nowhere) keep the model feasible at a large penalty, so that a
    solve can say which step fails by how much; they exist only in the steps
    where a limit can bind (:func:`make_layout`).

    ======================  ======================  =====
    symbol                  attribute               unit
    ======================  ======================  =====
    :math:`P^{imp}_t`       ``p_import_kw[t]``      kW
    :math:`P^{exp}_t`       ``p_export_kw[t]``      kW
    :math:`P^{peak}`        ``p_peak_kw``           kW
    :math:`u_t`             ``import_on[t]``        0/1
    :math:`P^{uns}_t`       ``p_unserved_kw[t]``    kW
    :math:`P^{sur}_t`       ``p_surplus_kw[t]``     kW
    ======================  ======================  =====
    """
    imp_max = inputs.import_limit_kw
    exp_max = inputs.export_bound_kw
    m.p_import_kw = pyo.Var(m.T, bounds=(0.0, imp_max))
    m.p_export_kw = pyo.Var(m.T, bounds=(0.0, exp_max))
    m.UNSERVED = pyo.Set(initialize=layout.unserved_steps, ordered=True)
    m.SURPLUS = pyo.Set(initialize=layout.surplus_steps, ordered=True)
    m.p_unserved_kw = pyo.Var(m.UNSERVED, bounds=(0.0, None))
    m.p_surplus_kw = pyo.Var(m.SURPLUS, bounds=(0.0, None))
    if inputs.peak_charge_eur_per_kw > 0:
        m.p_peak_kw = pyo.Var(bounds=(0.0, imp_max))

        @m.Constraint(m.T)
        def peak_import(m: pyo.ConcreteModel, t: int) -> Any:
            return (
                None,
                LinearExpression(
                    constant=0.0,
                    linear_coefs=[1.0, -1.0],
                    linear_vars=[m.p_import_kw[t], m.p_peak_kw],
                ),
                0.0,
            )

    m.NONCONVEX = pyo.Set(initialize=layout.nonconvex_steps, ordered=True)
    if layout.nonconvex_steps:
        m.import_on = pyo.Var(m.NONCONVEX, domain=pyo.Binary)

        @m.Constraint(m.NONCONVEX)
        def import_direction(m: pyo.ConcreteModel, t: int) -> Any:
            return m.p_import_kw[t] - imp_max * m.import_on[t] <= 0.0

        @m.Constraint(m.NONCONVEX)
        def export_direction(m: pyo.ConcreteModel, t: int) -> Any:
            return m.p_export_kw[t] + exp_max * m.import_on[t] <= exp_max


def define_battery(m: pyo.ConcreteModel, inputs: DispatchInputs, layout: DispatchLayout) -> None:
    r"""Batteries: charge, discharge and state of charge.

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
    :math:`E_{b,n}`, not as rows.

    Simultaneous charge and discharge burns energy in the losses; it pays only
    where energy has a negative value, i.e. where the import coefficient is
    <= 0. In those steps binaries :math:`v_{b,t}` forbid it
    (:math:`P^{ch} \le \bar P v`, :math:`P^{dis} \le \bar P (1-v)`);
    :func:`energy.optimisation.solve.simultaneous_flows` counts any that
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

    ``m.unit_vars`` keeps each unit's SoC, charge and discharge variables as
    lists (:class:`UnitVars`) for the balance and the objective.
    """
    units = layout.storage
    m.B = pyo.Set(initialize=[u.id for u in units], ordered=True)
    m.unit_vars = []
    if not units:
        return
    dt = inputs.dt_h
    n = inputs.n_steps
    unit = {u.id: u for u in units}
    m.p_charge_kw = pyo.Var(m.B, m.T, bounds=(0.0, None))
    m.p_discharge_kw = pyo.Var(m.B, m.T, bounds=(0.0, None))
    m.soc_kwh = pyo.Var(m.B, m.S)
    # the units' variables as lists over the steps, kept for the balance and the
    # objective (see per_unit); bounds are set on them unit by unit, a third cheaper
    # than a bounds rule called per index
    m.unit_vars = [
        UnitVars(*lists)
        for lists in zip(
            per_unit(m.soc_kwh, len(units)),
            per_unit(m.p_charge_kw, len(units)),
            per_unit(m.p_discharge_kw, len(units)),
            strict=True,
        )
    ]
    for u, v in zip(units, m.unit_vars, strict=True):
        for x in v.charge + v.discharge:
            x.setub(u.power_kw)
        for e in v.soc:
            e.setlb(u.soc_min_kwh)
            e.setub(u.soc_max_kwh)
        v.soc[0].setlb(u.soc_initial_kwh)
        v.soc[0].setub(u.soc_initial_kwh)
        if inputs.terminal_soc == "geq_initial":
            v.soc[n].setlb(max(u.soc_min_kwh, u.soc_initial_kwh))
        elif inputs.terminal_soc == "equal_initial":
            v.soc[n].setlb(u.soc_initial_kwh)
            v.soc[n].setub(u.soc_initial_kwh)
    lists = {u.id: (v.soc, v.charge, v.discharge) for u, v in zip(units, m.unit_vars, strict=True)}
    coef = {
        u.id: [
            -1.0,
            (1.0 - u.self_discharge_frac_per_h) ** dt,
            u.eta_charge * dt,
            -dt / u.eta_discharge,
        ]
        for u in units
    }

    @m.Constraint(m.B, m.T)
    def soc_balance(m: pyo.ConcreteModel, b: str, t: int) -> Any:
        soc, ch, dis = lists[b]
        return equal(linear(coef[b], [soc[t + 1], soc[t], ch[t], dis[t]]), 0.0)

    if layout.nonconvex_steps:
        m.charge_on = pyo.Var(m.B, m.NONCONVEX, domain=pyo.Binary)

        @m.Constraint(m.B, m.NONCONVEX)
        def charge_direction(m: pyo.ConcreteModel, b: str, t: int) -> Any:
            return m.p_charge_kw[b, t] - unit[b].power_kw * m.charge_on[b, t] <= 0.0

        @m.Constraint(m.B, m.NONCONVEX)
        def discharge_direction(m: pyo.ConcreteModel, b: str, t: int) -> Any:
            p = unit[b].power_kw
            return m.p_discharge_kw[b, t] + p * m.charge_on[b, t] <= p


def define_pv(m: pyo.ConcreteModel, layout: DispatchLayout) -> None:
    r"""PV curtailment of the curtailable systems (the available output is an input).

    .. math::

        0 \le P^{cur}_{u,t} \le P^{pv,avail}_{u,t}

    where :math:`u` is a node (or the whole district on the copper plate) and
    the available output sums its curtailable PV systems; variables exist only
    where that output is positive. PV that is not curtailable (or all PV when
    curtailment is off) is a fixed injection.

    ======================  =========================  =====
    symbol                  attribute                  unit
    ======================  =========================  =====
    :math:`P^{cur}_{u,t}`   ``p_curtail_kw[u, t]``     kW
    ======================  =========================  =====
    """
    m.CURTAIL = pyo.Set(initialize=[u.id for u in layout.curtail], ordered=True)
    m.CURTAIL_ON = pyo.Set(dimen=2, initialize=layout.curtail_on, ordered=True)
    avail = {u.id: u.available_kw.tolist() for u in layout.curtail}

    def bounds(m: pyo.ConcreteModel, u: str, t: int) -> tuple[float, float]:
        return (0.0, avail[u][t])

    m.p_curtail_kw = pyo.Var(m.CURTAIL_ON, bounds=bounds)


def _allowed_levels(inputs: DispatchInputs, options: DispatchOptions, g: int) -> list[float]:
    light = inputs.lighting
    assert light is not None
    if options.lighting_levels == "class":
        levels = {float(x) for x in light.discrete_levels[g]}
    else:
        levels = {float(x) for x in options.level_steps}
    levels.add(1.0)
    return sorted(levels)


def define_lighting(
    m: pyo.ConcreteModel, inputs: DispatchInputs, layout: DispatchLayout, options: DispatchOptions
) -> None:
    r"""Street lighting: dim level per group and dark step, and the group's power.

    .. math::

        P^{light}_{g,t} = d_{g,t} (a_g + b_g \lambda_{g,t}) + (1 - d_{g,t}) P^{sb}_g,
        \qquad \underline\lambda_{g,t} \le \lambda_{g,t} \le 1

    (LIGHTING.md: luminaire input power linear in light output with a driver
    offset). A level exists only where :math:`d_{g,t} > 0`; in full daylight a
    group draws standby power only.

    LP on the copper plate (``layout.lighting == "flex"``): the groups share
    one balance, so only the district's lighting power above its minimum
    matters, :math:`0 \le X_t \le \sum_g d_{g,t} b_g (1 - \underline\lambda_{g,t})`;
    any :math:`X_t` splits exactly onto the groups as
    :math:`\lambda_{g,t} = \underline\lambda_{g,t} + (1 - \underline\lambda_{g,t}) X_t / \bar X_t`.

    MILP mode: binaries :math:`y_{g,t,k}` choose one allowed discrete level
    :math:`L_k \ge \underline\lambda_{g,t}`; :math:`\lambda_{g,t} = \sum_k L_k y_{g,t,k}`.
    A night is a run of consecutive dark steps; a change at step :math:`t`
    (not the first of its night) is :math:`z_{g,t} \ge y_{g,t,k} - y_{g,t-1,k}`
    for every :math:`k`, and :math:`\sum_{t \in night} z_{g,t} \le N^{chg}`.

    Without a benefit for light the LP keeps every level at its lower bound,
    the minimum compliant level (LIGHTING.md); it goes higher only where
    energy has a negative price.

    ==========================  ===========================  =====
    symbol                      attribute                    unit
    ==========================  ===========================  =====
    :math:`\lambda_{g,t}`       ``level[g, t]``              --
    :math:`X_t`                 ``p_light_flex_kw[t]``       kW
    :math:`d_{g,t}`             ``lighting.dark_frac``       --
    :math:`\underline\lambda`   ``lighting.min_level_frac``  --
    :math:`a_g, b_g`            ``lighting.a_kw, b_kw``      kW
    :math:`P^{sb}_g`            ``lighting.standby_kw``      kW
    :math:`y_{g,t,k}`           ``level_on[g, t, k]``        0/1
    :math:`z_{g,t}`             ``level_change[g, t]``       --
    ==========================  ===========================  =====
    """
    m.FLEX = pyo.Set(initialize=layout.flex_steps, ordered=True)
    m.LIGHT_ON = pyo.Set(dimen=2, initialize=layout.light_on, ordered=True)
    light = inputs.lighting
    if layout.lighting == "flex":
        flex_max = layout.flex_max_kw.tolist()
        m.p_light_flex_kw = pyo.Var(m.FLEX, bounds=lambda m, t: (0.0, flex_max[t]))
        return
    if light is None or not layout.light_on:
        return
    lo = np.asarray(light.min_level_frac, dtype=float).tolist()
    m.level = pyo.Var(m.LIGHT_ON, bounds=lambda m, g, t: (lo[g][t], 1.0))
    if options.lighting_mode != "milp":
        return
    levels_of = {g: _allowed_levels(inputs, options, g) for g in range(len(light.group_ids))}
    by_step: dict[tuple[int, int], list[int]] = {}
    for g, t in layout.light_on:
        by_step[g, t] = [k for k, lev in enumerate(levels_of[g]) if lev >= lo[g][t] - 1e-9]
    m.LEVEL_CHOICE = pyo.Set(
        dimen=3, ordered=True, initialize=[(g, t, k) for (g, t), ks in by_step.items() for k in ks]
    )
    m.level_on = pyo.Var(m.LEVEL_CHOICE, domain=pyo.Binary)

    @m.Constraint(m.LIGHT_ON)
    def level_choice(m: pyo.ConcreteModel, g: int, t: int) -> Any:
        ks = by_step[g, t]
        return (
            1.0,
            LinearExpression(
                constant=0.0,
                linear_coefs=[1.0] * len(ks),
                linear_vars=[m.level_on[g, t, k] for k in ks],
            ),
            1.0,
        )

    @m.Constraint(m.LIGHT_ON)
    def level_value(m: pyo.ConcreteModel, g: int, t: int) -> Any:
        ks = by_step[g, t]
        return (
            0.0,
            LinearExpression(
                constant=0.0,
                linear_coefs=[1.0] + [-levels_of[g][k] for k in ks],
                linear_vars=[m.level[g, t]] + [m.level_on[g, t, k] for k in ks],
            ),
            0.0,
        )

    if options.max_changes_per_night is None:
        return
    nights: list[list[tuple[int, int]]] = []  # per night: the steps after its first
    for g, t in layout.light_on:
        if (g, t - 1) in by_step:
            nights[-1].append((g, t))
        else:
            nights.append([])
    nights = [night for night in nights if night]
    m.LEVEL_CONT = pyo.Set(dimen=2, ordered=True, initialize=[p for night in nights for p in night])
    m.level_change = pyo.Var(m.LEVEL_CONT, bounds=(0.0, 1.0))

    @m.Constraint([(g, t, k) for g, t in m.LEVEL_CONT for k in by_step[g, t]])
    def level_change_def(m: pyo.ConcreteModel, g: int, t: int, k: int) -> Any:
        if k in by_step[g, t - 1]:
            return m.level_on[g, t, k] - m.level_on[g, t - 1, k] - m.level_change[g, t] <= 0.0
        return m.level_on[g, t, k] - m.level_change[g, t] <= 0.0

    limit = float(options.max_changes_per_night)
    m.NIGHTS = pyo.Set(initialize=range(len(nights)), ordered=True)

    @m.Constraint(m.NIGHTS)
    def changes_per_night(m: pyo.ConcreteModel, i: int) -> Any:
        night = nights[i]
        return (
            None,
            LinearExpression(
                constant=0.0,
                linear_coefs=[1.0] * len(night),
                linear_vars=[m.level_change[p] for p in night],
            ),
            limit,
        )


def lighting_base_level(inputs: DispatchInputs, layout: DispatchLayout) -> np.ndarray:
    """(G, n) levels whose power is the fixed part of lighting in the balance.

    The minimum level for the ``flex`` layout (the variable adds power above
    it), zero for the ``level`` layout (the variable carries ``d b lambda``).
    """
    light = inputs.lighting
    assert light is not None
    if layout.lighting == "flex":
        return np.asarray(light.min_level_frac, dtype=float)
    return np.zeros(np.shape(light.dark_frac))


def define_balance(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    layout: DispatchLayout,
    extra_terms: ExtraTerms | None = None,
) -> None:
    r"""District energy balance at the transformer, one row per step.

    .. math::

        P^{imp}_t - P^{exp}_t + P^{uns}_t - P^{sur}_t
        = \sum_n L_{n,t} + \sum_g P^{light}_{g,t}
          + \sum_b (P^{ch}_{b,t} - P^{dis}_{b,t})
          - \sum_u (P^{pv}_{u,t} - P^{cur}_{u,t})

    ======================  ==========================  =====
    symbol                  attribute                   unit
    ======================  ==========================  =====
    :math:`L_{n,t}`         ``inputs.load_kw``          kW
    :math:`P^{pv}_{u,t}`    ``inputs.pv_kw``            kW
    ======================  ==========================  =====

    ``extra_terms.injection`` (load convention) joins the right-hand side.
    """
    base_light = (
        None
        if inputs.lighting is None
        else inputs.lighting_power_kw(lighting_base_level(inputs, layout))
    )
    const = inputs.district_net_kw(base_light)
    extra: dict[int, list[tuple[float, Any]]] = {}
    if layout.lighting == "flex":
        for t in layout.flex_steps:
            extra.setdefault(t, []).append((-1.0, m.p_light_flex_kw[t]))
    elif layout.lighting == "level":
        assert inputs.lighting is not None
        db = np.asarray(inputs.lighting.dark_frac) * np.asarray(inputs.lighting.b_kw)[:, None]
        for g, t in layout.light_on:
            extra.setdefault(t, []).append((-float(db[g, t]), m.level[g, t]))
    for u, t in layout.curtail_on:
        extra.setdefault(t, []).append((-1.0, m.p_curtail_kw[u, t]))
    for t in layout.unserved_steps:
        extra.setdefault(t, []).append((1.0, m.p_unserved_kw[t]))
    for t in layout.surplus_steps:
        extra.setdefault(t, []).append((-1.0, m.p_surplus_kw[t]))
    if extra_terms is not None:
        for (_, t), pairs in extra_terms.injection.items():
            extra.setdefault(t, []).extend((-c, x) for c, x in pairs)
    flows = [(v.charge, v.discharge) for v in m.unit_vars]
    imp = list(m.p_import_kw.values())
    exp = list(m.p_export_kw.values())
    rhs = const.tolist()

    def rule(m: pyo.ConcreteModel, t: int) -> Any:
        coefs = [1.0, -1.0]
        xs = [imp[t], exp[t]]
        for ch, dis in flows:
            coefs += [-1.0, 1.0]
            xs += [ch[t], dis[t]]
        for c, x in extra.get(t, ()):
            coefs.append(c)
            xs.append(x)
        return equal(linear(coefs, xs), rhs[t])

    m.balance = pyo.Constraint(m.T, rule=rule)


def define_node_injections(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    layout: DispatchLayout,
    extra_terms: ExtraTerms | None = None,
) -> None:
    r"""Net injection per node and step, load convention (+ = drawn from the grid).

    .. math::

        p_{n,t} = L_{n,t} + P^{light}_{n,t} + \sum_{b@n}(P^{ch}_{b,t} - P^{dis}_{b,t})
                  - \sum_{pv@n} P^{pv}_{t} + P^{cur}_{n,t}

    Exposes ``m.NODES`` and ``m.p_node_kw[n, t]`` [kW] for network constraints
    (:mod:`energy.optimisation.network`); built only without aggregation.
    Their sum over the nodes equals the right-hand side of the balance;
    ``extra_terms.injection`` joins its nodes.
    """
    nodes = inputs.nodes
    n = inputs.n_steps
    light = inputs.lighting
    p0 = None if light is None else inputs.lighting_power_kw(lighting_base_level(inputs, layout))
    const = node_net_kw(inputs, lighting_kw=p0)
    terms: dict[tuple[str, int], list[tuple[float, Any]]] = {}
    for unit, v in zip(layout.storage, m.unit_vars, strict=True):
        ch, dis = v.charge, v.discharge
        assert unit.node is not None
        for t in range(n):
            terms.setdefault((unit.node, t), []).extend([(1.0, ch[t]), (-1.0, dis[t])])
    for node, t in layout.curtail_on:
        terms.setdefault((node, t), []).append((1.0, m.p_curtail_kw[node, t]))
    if light is not None:
        db = np.asarray(light.dark_frac) * np.asarray(light.b_kw)[:, None]
        for g, t in layout.light_on:
            terms.setdefault((lighting_node(light.group_ids[g]), t), []).append(
                (float(db[g, t]), m.level[g, t])
            )
    if extra_terms is not None:
        for key, pairs in extra_terms.injection.items():
            terms.setdefault(key, []).extend(pairs)
    const_list = {node: arr.tolist() for node, arr in const.items()}
    m.NODES = pyo.Set(initialize=nodes, ordered=True)

    def rule(m: pyo.ConcreteModel, node: str, t: int) -> Any:
        pairs = terms.get((node, t), ())
        return LinearExpression(
            constant=const_list[node][t],
            linear_coefs=[c for c, _ in pairs],
            linear_vars=[x for _, x in pairs],
        )

    m.p_node_kw = pyo.Expression(m.NODES, m.T, rule=rule)


def define_objective(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    layout: DispatchLayout,
    options: DispatchOptions,
    extra_terms: ExtraTerms | None = None,
) -> None:
    r"""Objective: weighted cost, CO2 and import, plus slack penalties.

    .. math::

        \min \sum_t \big[ w_c (\pi_t P^{imp}_t - \phi_t P^{exp}_t)
             + w_{co2} \gamma_t P^{imp}_t / 1000 + w_i P^{imp}_t \big] \Delta t
             + w_c \big(\kappa P^{peak} + \sum_{b,t} \theta_b P^{dis}_{b,t} \Delta t\big)
             + M \sum_t (P^{uns}_t + P^{sur}_t) \Delta t

    With the cost objective (:math:`w_c = 1`, others 0) this is DESIGN.md's
    ``cost_eur`` exactly, plus the penalty term (zero in a feasible run) and
    ``extra_terms.cost`` (e.g. annualised capacity costs of sizing).

    ======================  =====================================  ========
    symbol                  attribute                              unit
    ======================  =====================================  ========
    :math:`\pi_t`           ``inputs.import_price_eur_per_kwh``    EUR/kWh
    :math:`\phi_t`          ``inputs.feed_in_eur_per_kwh``         EUR/kWh
    :math:`\gamma_t`        ``inputs.co2_g_per_kwh``               g/kWh
    :math:`\kappa`          ``inputs.peak_charge_eur_per_kw``      EUR/kW
    :math:`\theta_b`        ``throughput_cost_eur_per_kwh``        EUR/kWh
    :math:`w_c, w_{co2}, w_i`  ``options.term_weights()``          --
    :math:`M`               ``layout.penalty / dt``                EUR/kWh
    ======================  =====================================  ========
    """
    w_cost = options.term_weights()["cost"]
    n = inputs.n_steps
    coefs = layout.c_import.tolist() + layout.c_export.tolist()
    xs = list(m.p_import_kw.values()) + list(m.p_export_kw.values())
    coefs += [layout.penalty] * (len(layout.unserved_steps) + len(layout.surplus_steps))
    xs += [m.p_unserved_kw[t] for t in layout.unserved_steps]
    xs += [m.p_surplus_kw[t] for t in layout.surplus_steps]
    for u, v in zip(layout.storage, m.unit_vars, strict=True):
        c = w_cost * u.throughput_cost_eur_per_kwh * inputs.dt_h
        if c > 0:
            coefs += [c] * n
            xs += v.discharge
    if inputs.peak_charge_eur_per_kw > 0:
        coefs.append(w_cost * inputs.peak_charge_eur_per_kw)
        xs.append(m.p_peak_kw)
    if extra_terms is not None:
        coefs += [c for c, _ in extra_terms.cost]
        xs += [x for _, x in extra_terms.cost]
    m.objective = pyo.Objective(
        expr=LinearExpression(constant=0.0, linear_coefs=coefs, linear_vars=xs),
        sense=pyo.minimize,
    )
