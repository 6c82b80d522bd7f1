"""The dispatch model: grid exchange, batteries, PV curtailment, street lighting, balance.

:func:`build_model` returns a Pyomo :class:`~pyomo.environ.ConcreteModel` and
never solves it (:mod:`energy.optimisation.solve` does). It reads like a table
of contents: one named function per piece of physics, each documenting its
equations and a symbol table (math symbol -> model attribute -> unit), after
PyPSA's ``define_*`` layout (Brown et al. 2018, https://doi.org/10.5334/jors.188).
Batteries are in :mod:`energy.optimisation.storage`, street lighting in
:mod:`energy.optimisation.lighting`, the units and sparse sets in
:mod:`energy.optimisation.layout`; optional parts (sizing, network limits,
further assets) are model blocks (:mod:`energy.optimisation.blocks`).

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
lighting groups share one variable per dark step
(see :func:`energy.optimisation.lighting.define_lighting`).
With a network every battery, node and group keeps its own variables. Slack
variables exist only in steps where a limit can bind
(:func:`energy.optimisation.layout.make_layout`).
For the Gera year this cuts the model from 553k to 108k variables and the
run time about 7x with the same optimum (benchmarks/bench_dispatch.py).

Negative prices: where the objective would reward simultaneous import and
export, or charging and discharging at once, binaries forbid it in those
steps only (:func:`define_grid_exchange`,
:func:`energy.optimisation.storage.define_battery`); the model
stays an LP when no such step exists.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from energy.district import lighting_node
from energy.optimisation.blocks import BlockTerms, ModelBlock
from energy.optimisation.layout import DispatchLayout, make_layout
from energy.optimisation.lighting import define_lighting, lighting_base_level
from energy.optimisation.options import DispatchOptions
from energy.optimisation.rows import add_matrix_rows, at_most, linear, rows_of_terms
from energy.optimisation.storage import define_battery, storage_cost, storage_injection
from energy.system import DispatchInputs, node_net_kw

logger = logging.getLogger(__name__)


def build_model(
    inputs: DispatchInputs,
    options: DispatchOptions | None = None,
    blocks: Sequence[ModelBlock] = (),
) -> pyo.ConcreteModel:
    """Build the dispatch model; it is not solved here.

    Parameters
    ----------
    inputs
        Validated inputs.
    options
        Objective, lighting mode, curtailment, aggregation.
    blocks
        Optional model blocks (:mod:`energy.optimisation.blocks`), e.g. the
        capacity variables of sizing (:class:`~energy.optimisation.capacity.CapacityBlock`)
        or linear network limits (:class:`~energy.optimisation.network.NetworkLimits`);
        a block of stage ``"limits"`` disables aggregation so that every node
        keeps its own injection.

    Returns
    -------
    pyomo.environ.ConcreteModel
        With the layout at ``m.layout`` and the build time at ``m.build_time_s``.
    """
    options = options or DispatchOptions()
    for block in blocks:
        if block.stage not in ("assets", "limits"):
            raise ValueError(f"{type(block).__name__}: unknown model block stage {block.stage!r}")
    per_node = any(block.stage == "limits" for block in blocks)
    start = time.perf_counter()
    with PauseGC():
        layout = make_layout(inputs, options, aggregate=options.aggregate and not per_node)
        m = pyo.ConcreteModel(name="dispatch")
        m.layout = layout
        m.matrix_rows = []  # blocks' rows as sparse matrices (energy.optimisation.rows.MatrixRows)
        m.T = pyo.RangeSet(0, inputs.n_steps - 1)
        m.S = pyo.RangeSet(0, inputs.n_steps)
        define_grid_exchange(m, inputs, layout)
        m.unit_vars = define_battery(m, inputs, layout.storage, layout.nonconvex_steps)
        define_pv(m, layout)
        define_lighting(m, inputs, layout, options)
        terms = [b.define(m, inputs, layout, options) for b in blocks if b.stage == "assets"]
        define_balance(m, inputs, layout, terms)
        if not layout.aggregated:
            define_node_injections(m, inputs, layout, terms)
        for block in blocks:
            if block.stage == "limits":
                limit = block.define(m, inputs, layout, options)
                if limit.injection:
                    raise ValueError(f"{type(block).__name__}: a limits block adds no injections")
                terms.append(limit)
        define_objective(m, inputs, layout, options, terms)
    m.build_time_s = time.perf_counter() - start
    logger.debug("dispatch model built in %.2f s", m.build_time_s)
    return m


def define_grid_exchange(
    m: pyo.ConcreteModel, inputs: DispatchInputs, layout: DispatchLayout
) -> None:
    r"""Import and export at the transformer, slack powers.

    .. math::

        0 \le P^{imp}_t \le \bar P^{imp}, \quad
        0 \le P^{exp}_t \le \min(\bar P^{exp}, \bar P^{cap})

    The peak charge and an import cap are a model block
    (:class:`energy.optimisation.peak.PeakBlock`).

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
    where a limit can bind (:func:`~energy.optimisation.layout.make_layout`).

    ======================  ======================  =====
    symbol                  attribute               unit
    ======================  ======================  =====
    :math:`P^{imp}_t`       ``p_import_kw[t]``      kW
    :math:`P^{exp}_t`       ``p_export_kw[t]``      kW
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
    m.NONCONVEX = pyo.Set(initialize=layout.nonconvex_steps, ordered=True)
    if layout.nonconvex_steps:
        m.import_on = pyo.Var(m.NONCONVEX, domain=pyo.Binary)

        @m.Constraint(m.NONCONVEX)
        def import_direction(m: pyo.ConcreteModel, t: int) -> Any:
            return at_most(linear([1.0, -imp_max], [m.p_import_kw[t], m.import_on[t]]), 0.0)

        @m.Constraint(m.NONCONVEX)
        def export_direction(m: pyo.ConcreteModel, t: int) -> Any:
            return at_most(linear([1.0, exp_max], [m.p_export_kw[t], m.import_on[t]]), exp_max)


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


def define_balance(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    layout: DispatchLayout,
    terms: Sequence[BlockTerms] = (),
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

    The blocks' injections (``terms``, load convention) join the right-hand side. The rows
    go to HiGHS as matrix rows (:func:`~energy.optimisation.rows.rows_of_terms`).
    """
    base_light = (
        None
        if inputs.lighting is None
        else inputs.lighting_power_kw(lighting_base_level(inputs, layout))
    )
    const = inputs.district_net_kw(base_light)
    rows: list[int] = []
    coefs: list[float] = []
    xs: list[Any] = []

    def add(t: int, c: float, x: Any) -> None:
        rows.append(t)
        coefs.append(c)
        xs.append(x)

    n = inputs.n_steps
    steps = list(range(n))
    for c, var in ((1.0, m.p_import_kw), (-1.0, m.p_export_kw)):
        rows += steps
        coefs += [c] * n
        xs += list(var.values())
    for v in m.unit_vars:
        for c, flow in ((-1.0, v.charge), (1.0, v.discharge)):
            rows += steps
            coefs += [c] * n
            xs += flow
    if layout.lighting == "flex":
        for t in layout.flex_steps:
            add(t, -1.0, m.p_light_flex_kw[t])
    elif layout.lighting == "level":
        assert inputs.lighting is not None
        db = np.asarray(inputs.lighting.dark_frac) * np.asarray(inputs.lighting.b_kw)[:, None]
        for g, t in layout.light_on:
            add(t, -float(db[g, t]), m.level[g, t])
    for u, t in layout.curtail_on:
        add(t, -1.0, m.p_curtail_kw[u, t])
    for t in layout.unserved_steps:
        add(t, 1.0, m.p_unserved_kw[t])
    for t in layout.surplus_steps:
        add(t, -1.0, m.p_surplus_kw[t])
    for block in terms:
        for (_, t), pairs in block.injection.items():
            for c, x in pairs:
                add(t, -c, x)
    rhs = np.asarray(const, dtype=float)
    add_matrix_rows(m, rows_of_terms("balance", n, (rows, coefs, xs), rhs, rhs))


def define_node_injections(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    layout: DispatchLayout,
    terms: Sequence[BlockTerms] = (),
) -> None:
    r"""Net injection per node and step, load convention (+ = drawn from the grid).

    .. math::

        p_{n,t} = L_{n,t} + P^{light}_{n,t} + \sum_{b@n}(P^{ch}_{b,t} - P^{dis}_{b,t})
                  - \sum_{pv@n} P^{pv}_{t} + P^{cur}_{n,t}

    Exposes ``m.NODES`` and ``m.p_node_kw[n, t]`` [kW] for network constraints
    (:mod:`energy.optimisation.network`); built only without aggregation.
    Their sum over the nodes equals the right-hand side of the balance; the
    blocks' injections (``terms``) join their nodes. The fixed part is
    :func:`energy.system.node_net_kw` with lighting at its base level.
    """
    nodes = inputs.nodes
    light = inputs.lighting
    p0 = None if light is None else inputs.lighting_power_kw(lighting_base_level(inputs, layout))
    const = node_net_kw(inputs, lighting_kw=p0)
    pairs_at = storage_injection(layout.storage, m.unit_vars)
    for node, t in layout.curtail_on:
        pairs_at.setdefault((node, t), []).append((1.0, m.p_curtail_kw[node, t]))
    if light is not None:
        db = np.asarray(light.dark_frac) * np.asarray(light.b_kw)[:, None]
        for g, t in layout.light_on:
            pairs_at.setdefault((lighting_node(light.group_ids[g]), t), []).append(
                (float(db[g, t]), m.level[g, t])
            )
    for block in terms:
        for key, pairs in block.injection.items():
            pairs_at.setdefault(key, []).extend(pairs)
    const_list = {node: arr.tolist() for node, arr in const.items()}
    m.NODES = pyo.Set(initialize=nodes, ordered=True)

    def rule(m: pyo.ConcreteModel, node: str, t: int) -> Any:
        pairs = pairs_at.get((node, t), ())
        return linear([c for c, _ in pairs], [x for _, x in pairs], const_list[node][t])

    m.p_node_kw = pyo.Expression(m.NODES, m.T, rule=rule)


def define_objective(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    layout: DispatchLayout,
    options: DispatchOptions,
    terms: Sequence[BlockTerms] = (),
) -> None:
    r"""Objective: weighted cost, CO2 and import, plus slack penalties.

    .. math::

        \min \sum_t \big[ w_c (\pi_t P^{imp}_t - \phi_t P^{exp}_t)
             + w_{co2} \gamma_t P^{imp}_t / 1000 + w_i P^{imp}_t \big] \Delta t
             + w_c \sum_{b,t} \theta_b P^{dis}_{b,t} \Delta t
             + M \sum_t (P^{uns}_t + P^{sur}_t) \Delta t

    With the cost objective (:math:`w_c = 1`, others 0) and the peak block's
    charge this is DESIGN.md's ``cost_eur`` exactly, plus the penalty term
    (zero in a feasible run) and the blocks' cost terms (``terms``, e.g. the
    peak charge of
    :class:`~energy.optimisation.peak.PeakBlock`, annualised capacity costs of
    sizing, penalties of soft network rows).

    ======================  =====================================  ========
    symbol                  attribute                              unit
    ======================  =====================================  ========
    :math:`\pi_t`           ``inputs.import_price_eur_per_kwh``    EUR/kWh
    :math:`\phi_t`          ``inputs.feed_in_eur_per_kwh``         EUR/kWh
    :math:`\gamma_t`        ``inputs.co2_g_per_kwh``               g/kWh
    :math:`\theta_b`        ``throughput_cost_eur_per_kwh``        EUR/kWh
    :math:`w_c, w_{co2}, w_i`  ``options.term_weights()``          --
    :math:`M`               ``layout.penalty / dt``                EUR/kWh
    ======================  =====================================  ========
    """
    w_cost = options.term_weights()["cost"]
    coefs = layout.c_import.tolist() + layout.c_export.tolist()
    xs = list(m.p_import_kw.values()) + list(m.p_export_kw.values())
    coefs += [layout.penalty] * (len(layout.unserved_steps) + len(layout.surplus_steps))
    xs += [m.p_unserved_kw[t] for t in layout.unserved_steps]
    xs += [m.p_surplus_kw[t] for t in layout.surplus_steps]
    pairs = storage_cost(layout.storage, m.unit_vars, inputs, w_cost)
    for block in terms:
        pairs += block.cost
    coefs += [c for c, _ in pairs]
    xs += [x for _, x in pairs]
    m.objective = pyo.Objective(expr=linear(coefs, xs), sense=pyo.minimize)
