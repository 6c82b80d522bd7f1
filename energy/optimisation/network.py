"""Linearised low-voltage network limits for grid-aware dispatch.

The AC power flow is non-linear; the dispatch LP needs linear limits. For a
radial low-voltage grid two linearisations are accurate to first order
(Baran & Wu 1989, "Network reconfiguration in distribution systems for loss
reduction and load balancing", https://doi.org/10.1109/61.25627, the
"LinDistFlow" equations):

Branch flows
    The active power through a branch (cable segment, service cable,
    transformer) equals the sum of the node powers downstream of it, losses
    neglected: ``f_l = sum_n A[l, n] p_n`` with the exact 0/1 downstream
    incidence ``A`` of the tree rooted at the external grid.
Voltages
    ``v_b = v0_b + sum_n S[b, n] p_n`` with ``S[b, n] = -(R_bn + X_bn tan(phi))
    / (1000 U_b^2)`` [pu/kW], where ``R_bn`` and ``X_bn`` are the resistance and
    reactance [ohm] of the path the substation->b and substation->n share
    (transformer included, referred to the low-voltage side) and ``U_b`` the
    nominal voltage [kV]. Node reactive power follows the AC check's rule
    ``q = |p| tan(phi)`` >= 0, so for the upper voltage limit (feed-in) the
    reactive term enters with ``-tan(phi)``, for the lower limit (load) with
    ``+tan(phi)``; either way the linear model errs on the safe side.

Around an AC operating point ``(p_op, v_ac)`` the voltage of bus b in step t
is ``v_ac[b, t] + sum_n S[b, n] (p[n, t] - p_op[n, t])``, exact at the
operating point; a branch's AC loading is taken as proportional to its linear
flow with the ratio of the operating point (losses and voltage included).

Grid-aware dispatch (:func:`energy.optimisation.grid_aware.grid_aware_dispatch`)
generates these limits lazily
(constraint generation): dispatch on the copper plate, AC check, add linear
limits for every element and step that is violated or within a margin of its
limit, linearised at the AC result; re-dispatch; repeat until the AC check is
clean. Limits only ever tighten, so the loop cannot cycle. A limit that the
flexibility of the step cannot meet even at its bounds (all curtailable PV
curtailed, every battery at full power, lighting at its minimum) is relaxed to
what is achievable and reported with that reason.

Sign convention: node powers ``p_node_kw`` in the load convention, positive
when drawn from the grid [kW]. Voltages in pu of the bus nominal voltage.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandapower as pp
import pandas as pd
import pyomo.environ as pyo
from pyomo.contrib.fbbt.fbbt import compute_bounds_on_expr

from energy.errors import InputDataError
from energy.models.grid.build import element_names, node_buses
from energy.models.grid.check import Limits
from energy.models.grid.powerflow import GridTimeSeriesResult, TimeSeriesRunner
from energy.optimisation.blocks import BlockTerms, Stage
from energy.optimisation.layout import DispatchLayout
from energy.optimisation.options import DispatchOptions
from energy.optimisation.rows import at_least, at_most, linear
from energy.system import DispatchInputs

logger = logging.getLogger(__name__)

RowKind = Literal["branch", "v_upper", "v_lower"]


@dataclass(frozen=True)
class LinearNetwork:
    """Sensitivities of a radial network (see module docstring).

    Attributes
    ----------
    nodes : list of str
        Node ids, the columns of ``downstream`` and the sensitivities.
    branch_names : list of str
        Lines, then transformers.
    downstream : numpy.ndarray
        (Br, N) 1.0 where the node lies downstream of the branch.
    branch_rating_kw : numpy.ndarray
        (Br,) thermal rating as active power at nominal voltage and ``cos_phi``:
        ``sqrt(3) U_n I_max cos_phi`` for lines, ``S_n cos_phi`` for transformers [kW].
    bus_names : list of str
        Monitored (low-voltage) buses.
    sens_upper, sens_lower : numpy.ndarray
        (B, N) voltage sensitivities [pu/kW] for the upper and lower limit.
    v_noload_pu : numpy.ndarray
        (B,) voltage with all node powers zero [pu].
    cos_phi : float
        Power factor of the node powers.
    """

    nodes: list[str]
    branch_names: list[str]
    downstream: np.ndarray
    branch_rating_kw: np.ndarray
    bus_names: list[str]
    sens_upper: np.ndarray
    sens_lower: np.ndarray
    v_noload_pu: np.ndarray
    cos_phi: float


def _branch_impedances(net: pp.pandapowerNet) -> list[tuple[str, int, int, float, float]]:
    """(kind, from bus, to bus, R, X [ohm, referred to the to/low side]) per branch."""
    out: list[tuple[str, int, int, float, float]] = []
    for _, line in net.line.iterrows():
        par = float(line["parallel"])
        out.append(
            (
                "line",
                int(line["from_bus"]),
                int(line["to_bus"]),
                float(line["r_ohm_per_km"] * line["length_km"]) / par,
                float(line["x_ohm_per_km"] * line["length_km"]) / par,
            )
        )
    for _, tr in net.trafo.iterrows():
        # short-circuit impedance referred to the low-voltage side (pandapower trafo model)
        z_base = float(tr["vn_lv_kv"]) ** 2 / float(tr["sn_mva"])
        z = float(tr["vk_percent"]) / 100 * z_base
        r = float(tr["vkr_percent"]) / 100 * z_base
        par = float(tr["parallel"])
        out.append(
            (
                "trafo",
                int(tr["hv_bus"]),
                int(tr["lv_bus"]),
                r / par,
                math.sqrt(max(z * z - r * r, 0.0)) / par,
            )
        )
    return out


def _branch_paths(
    net: pp.pandapowerNet, branches: list[tuple[str, int, int, float, float]]
) -> dict[int, list[int]]:
    """Branches on the path from the external grid to every bus (BFS tree of the net).

    Closed bus-bus switches join buses, open line switches remove their line;
    a meshed net is reduced to a BFS spanning tree, with a warning.
    """
    in_service = np.concatenate(
        [net.line["in_service"].to_numpy(bool), net.trafo["in_service"].to_numpy(bool)]
    )
    graph = nx.Graph()
    graph.add_nodes_from(int(b) for b in net.bus.index)
    for k, (_, a, b, _, _) in enumerate(branches):
        if in_service[k] and not graph.has_edge(a, b):
            graph.add_edge(a, b, k=k)
    if net.get("switch") is not None and len(net.switch):
        closed_bb = net.switch[(net.switch["et"] == "b") & net.switch["closed"].astype(bool)]
        for _, sw in closed_bb.iterrows():
            graph.add_edge(int(sw["bus"]), int(sw["element"]), k=-1)
        open_lines = set(
            net.switch.loc[
                (net.switch["et"] == "l") & ~net.switch["closed"].astype(bool), "element"
            ]
        )
        for k, (kind, a, b, _, _) in enumerate(branches):
            if kind == "line" and k in open_lines and graph.has_edge(a, b):
                graph.remove_edge(a, b)
    root = int(net.ext_grid["bus"].iloc[0])
    if graph.number_of_edges() > graph.number_of_nodes() - nx.number_connected_components(graph):
        logger.warning("network is meshed; the linear model uses a BFS spanning tree")
    tree = nx.bfs_tree(graph, root)
    parent_branch: dict[int, int] = {}
    for a, b in tree.edges():
        parent_branch[b] = graph[a][b]["k"]
    # path of branches from the root to every bus
    path: dict[int, list[int]] = {root: []}
    for a, b in nx.bfs_edges(graph, root):
        k = parent_branch[b]
        path[b] = path[a] + ([k] if k >= 0 else [])
    return path


def linearise(
    net: pp.pandapowerNet,
    nodes: list[str],
    cos_phi: float = 1.0,
    vm_noload_pu: pd.Series | None = None,
) -> LinearNetwork:
    """Downstream incidence and voltage sensitivities of a radial net.

    Parameters
    ----------
    net
        The pandapower net with its node map.
    nodes
        Node ids (columns), each a node of ``net``.
    cos_phi
        Power factor of the node powers (``q = |p| tan(arccos(cos_phi))``).
    vm_noload_pu
        No-load bus voltages [pu] by bus name; default from an AC run.

    Raises
    ------
    InputDataError
        If a node is unknown. A meshed net is linearised on a spanning tree
        (BFS from the external grid) with a warning; the AC iteration then
        corrects the error.
    """
    if not 0.0 < cos_phi <= 1.0:
        raise InputDataError(f"cos_phi: {cos_phi} is not allowed; it must be in (0, 1]")
    bus_of = node_buses(net)
    unknown = [n for n in nodes if n not in bus_of.index]
    if unknown:
        raise InputDataError(f"network: nodes {unknown[:10]} are not in the network")
    branches = _branch_impedances(net)
    path = _branch_paths(net, branches)
    n_br = len(branches)
    col_bus = [int(bus_of[n]) for n in nodes]
    downstream = np.zeros((n_br, len(nodes)))
    for j, bus in enumerate(col_bus):
        downstream[path.get(bus, []), j] = 1.0
    r = np.array([br[3] for br in branches])
    x = np.array([br[4] for br in branches])
    vn = net.bus["vn_kv"]
    lv_buses = [
        int(b)
        for b in net.bus.index
        if vn.loc[b] < 1.0 and b in path and bool(net.bus.at[b, "in_service"])
    ]
    names = dict(zip(net.bus.index, element_names(net.bus, "bus"), strict=True))
    bus_paths = np.zeros((len(lv_buses), n_br))
    for i, bus in enumerate(lv_buses):
        bus_paths[i, path[bus]] = 1.0
    # common path: sum over branches upstream of both bus b and node n
    r_common = bus_paths @ (r[:, None] * downstream)
    x_common = bus_paths @ (x[:, None] * downstream)
    u2 = np.array([vn.loc[b] for b in lv_buses]) ** 2
    tan_phi = math.tan(math.acos(cos_phi))
    scale = -1.0 / (1000.0 * u2)[:, None]
    if vm_noload_pu is None:
        vm_noload_pu = TimeSeriesRunner(net, "pandapower").vm_noload_by_bus
    line_u_kv = vn.loc[net.line["from_bus"]].to_numpy(dtype=float)
    line_i_ka = (net.line["max_i_ka"] * net.line["df"] * net.line["parallel"]).to_numpy(float)
    trafo_s_mva = (net.trafo["sn_mva"] * net.trafo["df"] * net.trafo["parallel"]).to_numpy(float)
    rating = np.concatenate([math.sqrt(3) * line_u_kv * line_i_ka, trafo_s_mva]) * 1000 * cos_phi
    return LinearNetwork(
        nodes=list(nodes),
        branch_names=element_names(net.line, "line") + element_names(net.trafo, "trafo"),
        downstream=downstream,
        branch_rating_kw=rating,
        bus_names=[names[b] for b in lv_buses],
        sens_upper=scale * (r_common - tan_phi * x_common),
        sens_lower=scale * (r_common + tan_phi * x_common),
        v_noload_pu=np.array([float(vm_noload_pu[names[b]]) for b in lv_buses]),
        cos_phi=cos_phi,
    )


@dataclass
class NetworkRow:
    """One linear limit ``lo <= sum_j coefs[j] p[cols[j], t] <= hi`` [kW or pu]."""

    kind: RowKind
    element: str
    t: int
    cols: np.ndarray
    coefs: np.ndarray
    lo: float | None
    hi: float | None


def _terms(sens: np.ndarray, p_op: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Non-zero columns, their sensitivities and the sum at the operating point."""
    cols = np.flatnonzero(sens != 0.0)
    coefs = sens[cols]
    return cols, coefs, float(coefs @ p_op[cols])


@dataclass
class NetworkLimits:
    """Linear network limits: a model block of stage ``"limits"`` (see :mod:`.blocks`).

    ``rows`` maps ``(kind, element, t)`` to a :class:`NetworkRow`; ``unresolvable``
    collects, per row, why the flexibility of its step cannot meet it (filled by
    :func:`define_network_constraints`). With ``soft`` each row gets a slack
    variable ``m.network_slack[r]`` >= 0 [kW or pu] whose penalty the block adds
    to the objective (:meth:`define`); hard rows that cannot be met are relaxed
    to their best achievable value instead.
    """

    linear: LinearNetwork
    limits: Limits = field(default_factory=Limits)
    rows: dict[tuple[str, str, int], NetworkRow] = field(default_factory=dict)
    unresolvable: dict[tuple[str, str, int], str] = field(default_factory=dict)
    soft: bool = False

    @property
    def stage(self) -> Stage:
        """Rows on the node injections: ``"limits"``."""
        return "limits"

    def define(
        self,
        m: pyo.ConcreteModel,
        inputs: DispatchInputs,
        layout: DispatchLayout,
        options: DispatchOptions,
    ) -> BlockTerms:
        """Add the rows (:func:`define_network_constraints`); penalise soft rows' slack.

        The slack of a branch row [kW] costs the dispatch's own slack penalty
        (``layout.penalty``, 1000 x the largest objective coefficient per kWh); a
        voltage row's slack [pu] costs that penalty divided by the row's largest
        sensitivity [pu/kW], i.e. the same per kW of the most effective node.
        """
        define_network_constraints(m, inputs, self)
        if not self.soft:
            return BlockTerms()
        weights = [
            layout.penalty / (1.0 if row.kind == "branch" else float(np.abs(row.coefs).max()))
            for row in self.rows.values()
        ]
        slack = [m.network_slack[r] for r in m.NETWORK_ROWS]
        return BlockTerms(cost=list(zip(weights, slack, strict=True)))

    def add_from_ac(
        self,
        p_op_kw: np.ndarray,
        ac: GridTimeSeriesResult,
        margin_pu: float = 0.002,
        margin_pct: float = 2.0,
        near_pu: float = 0.005,
        near_pct: float = 5.0,
    ) -> int:
        """Add or tighten rows at the AC operating point ``(p_op_kw, ac)``.

        Rows are made for every (element, step) that is violated or within
        ``near_pu``/``near_pct`` of its limit; each aims ``margin_pu``/
        ``margin_pct`` inside the limit. Existing rows only tighten.

        Parameters
        ----------
        p_op_kw
            (T, N) node powers of the operating point [kW], columns ``linear.nodes``.
        ac
            Its AC time series.

        Returns
        -------
        int
            Number of rows added or tightened.
        """
        lin, lim = self.linear, self.limits
        changed = 0
        vm = ac.vm_pu[lin.bus_names].to_numpy(dtype=float)
        v_up = np.full(len(lin.bus_names), lim.v_max_pu)
        if lim.voltage_rise_pct is not None:
            v_up = np.minimum(v_up, lin.v_noload_pu + lim.voltage_rise_pct / 100.0)
        for t, b in zip(*np.nonzero(vm > v_up[None, :] - near_pu), strict=True):
            cols, coefs, at_op = _terms(lin.sens_upper[b], p_op_kw[t])
            rhs = v_up[b] - margin_pu - vm[t, b] + at_op
            changed += self._tighten("v_upper", lin.bus_names[b], int(t), cols, coefs, None, rhs)
        for t, b in zip(*np.nonzero(vm < lim.v_min_pu + near_pu), strict=True):
            cols, coefs, at_op = _terms(lin.sens_lower[b], p_op_kw[t])
            rhs = lim.v_min_pu + margin_pu - vm[t, b] + at_op
            changed += self._tighten("v_lower", lin.bus_names[b], int(t), cols, coefs, rhs, None)
        loading = pd.concat([ac.line_loading_pct, ac.trafo_loading_pct], axis=1)[
            lin.branch_names
        ].to_numpy(dtype=float)
        flows = p_op_kw @ lin.downstream.T  # (T, Br)
        near = loading > lim.max_loading_pct - near_pct
        for t, k in zip(*np.nonzero(near), strict=True):
            cols = np.flatnonzero(lin.downstream[k])
            if not len(cols):
                continue
            target = lim.max_loading_pct - margin_pct
            f = abs(float(flows[t, k]))
            # AC loading per linear kW at the operating point; the rating if no flow
            cap = (
                f * target / loading[t, k]
                if f > 1e-6 and loading[t, k] > 1e-9
                else lin.branch_rating_kw[k] * target / 100.0
            )
            changed += self._tighten(
                "branch", lin.branch_names[k], int(t), cols, np.ones(len(cols)), -cap, cap
            )
        return changed

    def _tighten(
        self,
        kind: RowKind,
        element: str,
        t: int,
        cols: np.ndarray,
        coefs: np.ndarray,
        lo: float | None,
        hi: float | None,
    ) -> int:
        key = (kind, element, t)
        old = self.rows.get(key)
        if old is None:
            self.rows[key] = NetworkRow(kind, element, t, cols, coefs, lo, hi)
            return 1
        new_lo = lo if old.lo is None or (lo is not None and lo > old.lo) else old.lo
        new_hi = hi if old.hi is None or (hi is not None and hi < old.hi) else old.hi
        if (new_lo, new_hi) == (old.lo, old.hi):
            return 0
        old.lo, old.hi, old.coefs = new_lo, new_hi, coefs
        return 1


def define_network_constraints(
    m: pyo.ConcreteModel, inputs: DispatchInputs, network: NetworkLimits
) -> None:
    r"""Add the linear network limits to a dispatch model.

    .. math::

        lo_r \le \sum_{n} a_{r,n}\, p_{n,t_r} \le hi_r \qquad \forall r \in
        \text{network.rows}

    with :math:`p_{n,t}` = ``m.p_node_kw[n, t]`` [kW] (load convention) and
    :math:`a_{r,n}` the downstream incidence (branch rows, [kW]) or the voltage
    sensitivity (voltage rows, [pu/kW]). Before a row is added, its best
    achievable value in its step is computed from the bounds of the node
    powers (interval arithmetic on each ``p_node_kw`` expression, Pyomo's
    ``compute_bounds_on_expr``); a row that cannot be met is recorded in
    ``network.unresolvable`` with the reason and, if the rows are hard,
    relaxed to that best value. Soft rows (``network.soft``) get a slack
    :math:`s_r \ge 0` on both sides: :math:`lo_r - s_r \le \dots \le hi_r + s_r`.

    =======================  ============================  ======
    symbol                   attribute                     unit
    =======================  ============================  ======
    :math:`p_{n,t}`          ``m.p_node_kw[n, t]``         kW
    upper rows               ``m.network_upper[r]``        kW, pu
    lower rows               ``m.network_lower[r]``        kW, pu
    :math:`s_r`              ``m.network_slack[r]``        kW, pu
    =======================  ============================  ======
    """
    if not hasattr(m, "p_node_kw"):
        raise InputDataError("network: the dispatch model exposes no node powers (p_node_kw)")
    nodes = network.linear.nodes
    model_nodes = set(m.NODES)
    missing = [n for n in nodes if n not in model_nodes]
    if missing:
        raise InputDataError(f"network: nodes {missing[:10]} are not nodes of the dispatch")
    rows = list(network.rows.values())
    finals = _achievable_bounds(m, inputs, network, rows)
    m.NETWORK_ROWS = pyo.RangeSet(0, len(rows) - 1) if rows else pyo.Set(initialize=[])
    if network.soft:
        m.network_slack = pyo.Var(m.NETWORK_ROWS, bounds=(0.0, None))

    def row_expr(r: int, slack_sign: float) -> Any:
        """Return the row as a linear expression in the variables (plus its slack)."""
        row = rows[r]
        constant = 0.0
        coefs: list[float] = []
        xs: list[Any] = []
        for j, c in zip(row.cols, row.coefs, strict=True):
            node = m.p_node_kw[nodes[int(j)], row.t].expr
            constant += float(c) * node.constant
            coefs += [float(c) * a for a in node.linear_coefs]
            xs += node.linear_vars
        if network.soft:
            coefs.append(slack_sign)
            xs.append(m.network_slack[r])
        return linear(coefs, xs, constant)

    def upper(m: pyo.ConcreteModel, r: int) -> Any:
        hi = finals[r][1]
        return pyo.Constraint.Skip if hi is None else at_most(row_expr(r, -1.0), hi)

    def lower(m: pyo.ConcreteModel, r: int) -> Any:
        lo = finals[r][0]
        return pyo.Constraint.Skip if lo is None else at_least(row_expr(r, 1.0), lo)

    m.network_upper = pyo.Constraint(m.NETWORK_ROWS, rule=upper)
    m.network_lower = pyo.Constraint(m.NETWORK_ROWS, rule=lower)
    logger.info("network limits: %d rows, %d unresolvable", len(rows), len(network.unresolvable))


def _achievable_bounds(
    m: pyo.ConcreteModel,
    inputs: DispatchInputs,
    network: NetworkLimits,
    rows: list[NetworkRow],
) -> list[tuple[float | None, float | None]]:
    """Each row's bounds, with the unresolvable ones recorded (and relaxed if hard)."""
    nodes = network.linear.nodes
    bounds: dict[tuple[int, int], tuple[float, float]] = {}

    def node_bounds(j: int, t: int) -> tuple[float, float]:
        key = (j, t)
        if key not in bounds:
            lo, hi = compute_bounds_on_expr(m.p_node_kw[nodes[j], t].expr)
            bounds[key] = (-math.inf if lo is None else lo, math.inf if hi is None else hi)
        return bounds[key]

    network.unresolvable.clear()
    finals: list[tuple[float | None, float | None]] = []
    for row in rows:
        lo_b = np.array([node_bounds(int(j), row.t)[0] for j in row.cols])
        hi_b = np.array([node_bounds(int(j), row.t)[1] for j in row.cols])
        least = float(np.sum(np.where(row.coefs > 0, row.coefs * lo_b, row.coefs * hi_b)))
        most = float(np.sum(np.where(row.coefs > 0, row.coefs * hi_b, row.coefs * lo_b)))
        lo, hi = row.lo, row.hi
        key = (row.kind, row.element, row.t)
        if hi is not None and least > hi:
            network.unresolvable[key] = _reason(row, least, hi, inputs)
            hi = hi if network.soft else least
        if lo is not None and most < lo:
            network.unresolvable[key] = _reason(row, most, lo, inputs)
            lo = lo if network.soft else most
        finals.append((lo, hi))
    return finals


def _reason(row: NetworkRow, best: float, limit: float, inputs: DispatchInputs) -> str:
    when = inputs.local_time(row.t)
    if row.kind == "branch":
        return (
            f"{row.element} at {when}: even at the limits of the flexibility (all "
            f"curtailable PV curtailed, batteries at full power, lighting at its minimum) "
            f"the linearised flow is {abs(best):,.1f} kW, above the {abs(limit):,.1f} kW "
            "it may carry"
        )
    side = "above" if row.kind == "v_upper" else "below"
    return (
        f"bus {row.element} at {when}: even at the limits of the flexibility the "
        f"linearised voltage stays {side} its limit by {abs(best - limit):.4f} pu"
    )
