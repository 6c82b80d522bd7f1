"""Solve the dispatch model with HiGHS and explain failures in words.

The model goes to HiGHS through Pyomo's ``LinearStandardFormCompiler``
(``mixed_form=True``: each row keeps its sense) and ``highspy.Highs.passModel``,
which was 2-3x faster to hand over than the per-constraint persistent
interfaces in the measurements of PERFORMANCE.md. The solution is read back
as arrays, one per Pyomo variable component, in its index order.

A result is ``optimal`` only if HiGHS proves it; a time-limited MIP with an
incumbent is ``feasible`` with its gap, anything else raises
:class:`~energy.errors.SolverError`. Infeasibility is explained in words:
:func:`precheck` tests the inputs before a build, and the soft balance of the
model (penalised unmet demand and surplus) names the steps and amounts that
cannot be served (:func:`diagnose_slack`).
"""

from __future__ import annotations

import logging
import math
import operator
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from energy.errors import InfeasibleError, SolverError
from energy.optimisation.dispatch import (
    DispatchLayout,
    DispatchOptions,
    build_model,
)
from energy.progress import ProgressCallback, no_progress
from energy.system import DispatchInputs, schedule_frame, split_curtailment

if TYPE_CHECKING:
    from energy.optimisation.sizing import SizingSpec

logger = logging.getLogger(__name__)

#: Slack powers above this are unmet demand or unabsorbable surplus [kW].
SLACK_TOL_KW = 1e-6
#: At most this many steps are listed in a diagnosis; the rest are summarised.
MAX_LISTED_STEPS = 5

_HIGHS_METHODS: dict[str, dict[str, Any]] = {
    "simplex": {"solver": "simplex"},
    "ipm": {"solver": "ipm", "run_crossover": "on"},
    "ipm_no_crossover": {"solver": "ipm", "run_crossover": "off"},
    "choose": {"solver": "choose"},
}


_banner_shown = False


def new_highs() -> highspy.Highs:
    """Return a silent :class:`highspy.Highs`.

    The first instance of a process prints a copyright banner from C++ onto
    file descriptor 1, which would corrupt JSON written to stdout; it is sent
    to the null device.
    """
    global _banner_shown
    if _banner_shown:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
    h.setOptionValue("output_flag", False)
    return h


def highs_version() -> str:
    """Return ``"HiGHS <major>.<minor>.<patch>"`` of the installed highspy."""
    h = new_highs()
    return f"HiGHS {h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


@dataclass(frozen=True)
class SolveResult:
    """Outcome of one solve.

    Attributes
    ----------
    status
        ``"optimal"`` (proven) or ``"feasible"`` (a MIP stopped by its time
        limit with an incumbent: not proven optimal, see ``mip_gap``).
    termination
        HiGHS model status text.
    objective
        Objective value in the model's units (EUR for the cost objective).
    mip_gap
        Relative MIP gap for MILPs, None for LPs.
    solver, method
        ``"HiGHS 1.16.0"`` and the algorithm used.
    n_variables, n_constraints, n_integers
        Size of the model handed to HiGHS.
    timings_s
        ``build``, ``handover`` (compile + pass), ``solve``, ``readback`` [s].
    values
        Solved values per Pyomo variable component (by name), flattened in
        the component's index order.
    """

    status: Literal["optimal", "feasible"]
    termination: str
    objective: float
    mip_gap: float | None
    solver: str
    method: str
    n_variables: int
    n_constraints: int
    n_integers: int
    timings_s: dict[str, float]
    values: Mapping[str, np.ndarray] = field(repr=False)

    @property
    def proven_optimal(self) -> bool:
        """True only if HiGHS proved optimality."""
        return self.status == "optimal"


@dataclass(frozen=True)
class HighsHandover:
    """A model passed to HiGHS, with the map from columns back to Pyomo variables."""

    highs: highspy.Highs
    columns: list[Any]
    slices: dict[str, tuple[int, int] | np.ndarray]
    n_rows: int
    n_integers: int
    rows: list[Any]


def _component_columns(model: pyo.ConcreteModel, columns: list[Any]) -> dict[str, Any]:
    """Map each Var component (by name) to its column positions.

    Returns a ``(start, stop)`` slice where the component's entries are
    consecutive columns in index order, else an index array with -1 for
    entries the compiler dropped (fixed or unused variables).

    The compiler numbers the columns of a component together, in index
    order; when no column was dropped the blocks are found by the first entry
    of each component and confirmed entry by entry (identity, at C speed):
    20 ms instead of 90 ms for the Gera year. Anything else falls back to
    mapping every column.
    """
    comps = [
        (c.name, list(c.values())) for c in model.component_objects(pyo.Var, descend_into=True)
    ]
    blocks = _contiguous_blocks(comps, columns)
    if blocks is not None:
        return blocks
    where = {id(v): i for i, v in enumerate(columns)}
    out: dict[str, Any] = {}
    for name, data in comps:
        pos = np.fromiter((where.get(id(v), -1) for v in data), dtype=np.int64, count=len(data))
        if len(pos) and pos[0] >= 0 and np.array_equal(pos, np.arange(pos[0], pos[0] + len(pos))):
            out[name] = (int(pos[0]), int(pos[0]) + len(pos))
        else:
            out[name] = pos
    return out


def _contiguous_blocks(
    comps: list[tuple[str, list[Any]]], columns: list[Any]
) -> dict[str, Any] | None:
    """``(start, stop)`` of every component if the columns are their data back to back."""
    if sum(len(data) for _, data in comps) != len(columns):
        return None
    first = {id(data[0]): (name, data) for name, data in comps if data}
    out: dict[str, Any] = {name: np.zeros(0, dtype=np.int64) for name, data in comps if not data}
    k = 0
    while k < len(columns):
        found = first.pop(id(columns[k]), None)
        if found is None:
            return None
        name, data = found
        stop = k + len(data)
        if not all(map(operator.is_, columns[k:stop], data)):
            return None
        out[name] = (k, stop)
        k = stop
    return out


def _column_bounds(columns: list[Any], domains: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the columns [-inf/+inf where unbounded].

    When every column is over ``Reals`` with float (or no) bounds, the usual
    case, the stored bounds are read in bulk; otherwise each column whose
    domain or bound type differs asks Pyomo (``VarData.bounds``: domain
    bounds, Param-valued bounds).
    """
    inf = highspy.kHighsInf
    lo = list(map(operator.attrgetter("_lb"), columns))
    hi = list(map(operator.attrgetter("_ub"), columns))
    bulk = {id(d) for d in domains} <= {id(pyo.Reals)} and set(map(type, lo)) | set(
        map(type, hi)
    ) <= {float, type(None)}
    if bulk:
        lb = np.array(lo, dtype=float)
        ub = np.array(hi, dtype=float)
        return np.where(np.isnan(lb), -inf, lb), np.where(np.isnan(ub), inf, ub)
    bounds = [
        (a, b) if d is pyo.Reals and a.__class__ is float and b.__class__ is float else v.bounds
        for v, d, a, b in zip(columns, domains, lo, hi, strict=True)
    ]
    both = np.array(bounds, dtype=float).reshape(len(columns), 2)
    return (
        np.where(np.isnan(both[:, 0]), -inf, both[:, 0]),
        np.where(np.isnan(both[:, 1]), inf, both[:, 1]),
    )


def _integrality(columns: list[Any], domains: list[Any]) -> np.ndarray:
    """HiGHS integrality of the columns; one ``is_integer`` call per distinct domain."""
    sample = {id(d): v for d, v in zip(domains, columns, strict=True)}
    integer = {k for k, v in sample.items() if v.is_integer()}
    out = np.zeros(len(columns), dtype=np.int32)
    if integer:
        flags = np.fromiter((id(d) in integer for d in domains), dtype=bool, count=len(domains))
        out[flags] = int(highspy.HighsVarType.kInteger)
    return out


def hand_over(model: pyo.ConcreteModel) -> HighsHandover:
    """Compile ``model`` to matrix form and pass it to a new :class:`highspy.Highs`.

    Row senses of the mixed form: bound type 0 is ``row == rhs``, +1 is
    ``row <= rhs``, -1 is ``row >= rhs`` (the rows are not negated).

    The Python garbage collector is paused meanwhile: the loops below create
    many small objects next to the millions of the model, and full collections
    then cost more than the work itself (PERFORMANCE.md).
    """
    with PauseGC():
        return _hand_over(model)


def _hand_over(model: pyo.ConcreteModel) -> HighsHandover:
    info = LinearStandardFormCompiler().write(model, mixed_form=True)
    columns = info.columns
    n_cols = len(columns)
    a = info.A.tocsc()
    rhs = np.asarray(info.rhs, dtype=float)
    sense = np.fromiter((r.bound_type for r in info.rows), dtype=np.int8, count=len(info.rows))
    inf = highspy.kHighsInf
    row_lower = np.where(sense == 1, -inf, rhs)
    row_upper = np.where(sense == -1, inf, rhs)
    domains = list(map(operator.attrgetter("domain"), columns))
    lb, ub = _column_bounds(columns, domains)
    cost = np.asarray(info.c.toarray(), dtype=float).reshape(-1, n_cols)
    if cost.shape[0] != 1:
        raise SolverError(f"the model has {cost.shape[0]} objectives; exactly one is needed")
    offset = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    slices = _component_columns(model, columns)
    integrality = _integrality(columns, domains)
    n_int = int(np.count_nonzero(integrality))
    h = new_highs()
    status = h.passModel(
        n_cols,
        len(rhs),
        int(a.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        offset,
        cost[0],
        lb,
        ub,
        row_lower,
        row_upper,
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(float),
        integrality,
    )
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model (passModel failed)")
    return HighsHandover(h, columns, slices, len(rhs), n_int, list(info.rows))


def _set_options(h: highspy.Highs, options: DispatchOptions) -> None:
    for key, val in _HIGHS_METHODS[options.method].items():
        h.setOptionValue(key, val)
    if options.time_limit_s is not None:
        h.setOptionValue("time_limit", float(options.time_limit_s))
    if options.mip_gap is not None:
        h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))


#: HiGHS IIS strategy "elastic LP" (2) and its time limit [s]: the light default test
#: finds nothing once presolve has proved infeasibility.
IIS_STRATEGY = 2
IIS_TIME_LIMIT_S = 30.0


def _iis_names(hand: HighsHandover) -> list[str]:
    """Name the constraints of an irreducible infeasible subset (at most 10), if found."""
    h = hand.highs
    try:
        h.setOptionValue("iis_strategy", IIS_STRATEGY)
        h.setOptionValue("iis_time_limit", IIS_TIME_LIMIT_S)
        status, iis = h.getIis()
        rows = list(iis.row_index_)
    except (AttributeError, RuntimeError, TypeError):
        return []
    if status == highspy.HighsStatus.kError:
        return []
    return [hand.rows[i].constraint.name for i in rows[:10]]


def solve(
    model: pyo.ConcreteModel, options: DispatchOptions | None = None, load_solution: bool = False
) -> SolveResult:
    """Solve ``model`` with HiGHS.

    Parameters
    ----------
    model
        A linear (mixed-integer) Pyomo model with one objective.
    options
        Method, time limit, MIP gap, threads.
    load_solution
        Also write the values into the Pyomo variables (costs time on large
        models; the values are always in ``SolveResult.values``).

    Raises
    ------
    InfeasibleError
        HiGHS proved the model infeasible (names an infeasible subset).
    SolverError
        Unbounded, a solver failure, or a limit reached without a solution.
    """
    options = options or DispatchOptions()
    t0 = time.perf_counter()
    hand = hand_over(model)
    h = hand.highs
    _set_options(h, options)
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    model_status = h.getModelStatus()
    text = h.modelStatusToString(model_status)
    info = h.getInfo()
    status: Literal["optimal", "feasible"]
    if model_status == highspy.HighsModelStatus.kOptimal:
        status = "optimal"
    elif model_status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError(
            "The optimisation problem is infeasible: no schedule meets all hard limits.",
            [f"conflicting constraint: {name}" for name in _iis_names(hand)],
        )
    elif model_status in (
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        raise SolverError(f"HiGHS reports the model as {text.lower()}; a variable lacks a bound")
    elif (
        hand.n_integers > 0
        and info.primal_solution_status == 2
        and model_status
        in (
            highspy.HighsModelStatus.kTimeLimit,
            highspy.HighsModelStatus.kIterationLimit,
            highspy.HighsModelStatus.kSolutionLimit,
            highspy.HighsModelStatus.kInterrupt,
        )
    ):
        status = "feasible"
        logger.warning(
            "HiGHS stopped (%s) with a feasible schedule, not proven optimal; MIP gap %.2g",
            text,
            info.mip_gap,
        )
    else:
        raise SolverError(
            f"HiGHS stopped without a usable solution: {text}"
            + (f" (time limit {options.time_limit_s} s)" if options.time_limit_s else "")
        )
    x = np.asarray(h.getSolution().col_value, dtype=float)
    values: dict[str, np.ndarray] = {}
    for name, sl in hand.slices.items():
        if isinstance(sl, tuple):
            values[name] = x[sl[0] : sl[1]]
        else:
            values[name] = np.where(sl >= 0, x[np.maximum(sl, 0)], np.nan)
    if load_solution:
        for v, val in zip(hand.columns, x.tolist(), strict=True):
            v.set_value(val, skip_validation=True)
    t3 = time.perf_counter()
    method = options.method if hand.n_integers == 0 else f"{options.method} + branch-and-cut"
    return SolveResult(
        status=status,
        termination=text,
        objective=float(info.objective_function_value),
        mip_gap=float(info.mip_gap) if hand.n_integers else None,
        solver=highs_version(),
        method=method,
        n_variables=len(hand.columns),
        n_constraints=hand.n_rows,
        n_integers=hand.n_integers,
        timings_s={
            "build": float(getattr(model, "build_time_s", math.nan)),
            "handover": t1 - t0,
            "solve": t2 - t1,
            "readback": t3 - t2,
        },
        values=values,
    )


# ---------------------------------------------------------------------------------------
# Infeasibility explained
# ---------------------------------------------------------------------------------------


def _listed(lines: list[tuple[int, str]], amount_kwh: float, what: str) -> list[str]:
    """Keep the first :data:`MAX_LISTED_STEPS` lines and summarise the rest."""
    out = [text for _, text in lines[:MAX_LISTED_STEPS]]
    if len(lines) > MAX_LISTED_STEPS:
        out.append(
            f"... and {len(lines) - MAX_LISTED_STEPS} more steps; {what} "
            f"{amount_kwh:,.1f} kWh over {len(lines)} steps in total"
        )
    return out


def precheck_messages(inputs: DispatchInputs, curtailment: bool = True) -> list[str]:
    """Return diagnoses of limits that no schedule can meet, from the inputs alone.

    Per step: the demand (buildings + lighting at its minimum level) that
    remains after all PV and the batteries' full discharge power must fit
    under the import limit; PV that cannot be curtailed (all PV when
    ``curtailment`` is off), less the demand at full lighting and the full
    charge power, must fit under the export bound. These are necessary
    conditions; energy limits over time are found by the soft balance of the
    solve (:func:`diagnose_slack`).
    """
    load = inputs.load_kw.to_numpy().sum(axis=1)
    demand_min, demand_max = inputs.demand_bounds_kw()
    pv = inputs.pv_kw.to_numpy().sum(axis=1)
    p_bat = float(sum(b.power_kw for b in inputs.batteries))
    dt = inputs.dt_h
    messages: list[str] = []
    excess = demand_min - pv - p_bat - inputs.import_limit_kw
    steps = np.flatnonzero(excess > SLACK_TOL_KW)
    lines = [
        (
            t,
            (
                f"at {inputs.local_time(t)} the demand of {demand_min[t]:,.1f} kW "
                f"(buildings {load[t]:,.1f} kW + lighting at its minimum "
                f"{demand_min[t] - load[t]:,.1f} kW) exceeds the import limit of "
                f"{inputs.import_limit_kw:,.1f} kW plus PV {pv[t]:,.1f} kW plus battery discharge "
                f"of at most {p_bat:,.1f} kW by {excess[t]:,.1f} kW"
            ),
        )
        for t in steps.tolist()
    ]
    messages += _listed(lines, float(excess[steps].sum() * dt), "missing")
    fixed_pv = inputs.fixed_pv_kw(curtailment)
    surplus = fixed_pv - demand_max - p_bat - inputs.export_bound_kw
    steps = np.flatnonzero(surplus > SLACK_TOL_KW)
    lines = [
        (
            t,
            (
                f"at {inputs.local_time(t)} PV that cannot be curtailed, {fixed_pv[t]:,.1f} kW, "
                f"exceeds the demand of at most {demand_max[t]:,.1f} kW plus battery charging of "
                f"at most {p_bat:,.1f} kW plus the export limit of "
                f"{inputs.export_bound_kw:,.1f} kW by {surplus[t]:,.1f} kW; allow curtailment "
                "or raise the export limit"
            ),
        )
        for t in steps.tolist()
    ]
    messages += _listed(lines, float(surplus[steps].sum() * dt), "surplus")
    return messages


def precheck(inputs: DispatchInputs, curtailment: bool = True) -> None:
    """Raise :class:`InfeasibleError` if :func:`precheck_messages` finds a problem."""
    messages = precheck_messages(inputs, curtailment)
    if messages:
        raise InfeasibleError("The dispatch cannot meet the grid limits:", messages)


def diagnose_slack(
    inputs: DispatchInputs, unserved_kw: np.ndarray, surplus_kw: np.ndarray
) -> list[str]:
    """Describe in words the steps where the soft balance had to use its slack."""
    dt = inputs.dt_h
    load = inputs.load_kw.to_numpy().sum(axis=1)
    messages: list[str] = []
    steps = np.flatnonzero(unserved_kw > SLACK_TOL_KW)
    lines = [
        (
            t,
            (
                f"at {inputs.local_time(t)} {unserved_kw[t]:,.1f} kW of demand (buildings "
                f"{load[t]:,.1f} kW) cannot be served: the import limit of "
                f"{inputs.import_limit_kw:,.1f} kW, PV and the energy left in the batteries "
                "are not enough"
            ),
        )
        for t in steps.tolist()
    ]
    messages += _listed(lines, float(unserved_kw[steps].sum() * dt), "unserved")
    steps = np.flatnonzero(surplus_kw > SLACK_TOL_KW)
    lines = [
        (
            t,
            (
                f"at {inputs.local_time(t)} {surplus_kw[t]:,.1f} kW of PV surplus can go nowhere: "
                f"the export limit is {inputs.export_bound_kw:,.1f} kW and the batteries are full; "
                "allow curtailment or raise the export limit"
            ),
        )
        for t in steps.tolist()
    ]
    messages += _listed(lines, float(surplus_kw[steps].sum() * dt), "surplus")
    return messages


def simultaneous_flows(
    charge_kw: np.ndarray, discharge_kw: np.ndarray, tol_kw: float = 1e-6
) -> int:
    """Count battery-steps with both charge and discharge above ``tol_kw``."""
    return int(((charge_kw > tol_kw) & (discharge_kw > tol_kw)).sum())


@dataclass(frozen=True)
class DispatchSolution:
    """Solved arrays of a dispatch model, per storage unit and for the district.

    Shapes: ``(U, n)`` for storage units (``soc_kwh`` is ``(U, n + 1)`` on the
    boundary points), ``(C, n)`` for curtailment units, ``(G, n)`` for
    lighting levels (0 where it is light), ``(n,)`` for district flows.
    """

    layout: DispatchLayout
    p_import_kw: np.ndarray
    p_export_kw: np.ndarray
    p_charge_kw: np.ndarray
    p_discharge_kw: np.ndarray
    soc_kwh: np.ndarray
    p_curtail_kw: np.ndarray
    level: np.ndarray
    p_unserved_kw: np.ndarray
    p_surplus_kw: np.ndarray
    result: SolveResult


def _sparse_values(
    values: Mapping[str, np.ndarray], name: str, steps: tuple[int, ...], n: int
) -> np.ndarray:
    out = np.zeros(n)
    if steps:
        out[list(steps)] = values[name]
    return out


def read_solution(
    model: pyo.ConcreteModel, inputs: DispatchInputs, result: SolveResult
) -> DispatchSolution:
    """Reshape the solved values of a dispatch model into arrays.

    Lighting levels of the ``flex`` layout are split back onto the groups
    exactly as :func:`energy.optimisation.dispatch.define_lighting` states.
    """
    layout: DispatchLayout = model.layout
    n = inputs.n_steps
    v = result.values
    units = len(layout.storage)
    ch = v["p_charge_kw"].reshape(units, n) if units else np.zeros((0, n))
    dis = v["p_discharge_kw"].reshape(units, n) if units else np.zeros((0, n))
    soc = v["soc_kwh"].reshape(units, n + 1) if units else np.zeros((0, n + 1))
    curtail_ids = [u.id for u in layout.curtail]
    cur = np.zeros((len(curtail_ids), n))
    if layout.curtail_on:
        row = {u: i for i, u in enumerate(curtail_ids)}
        uu, tt = zip(*layout.curtail_on, strict=True)
        cur[[row[u] for u in uu], list(tt)] = v["p_curtail_kw"]
    light = inputs.lighting
    level = np.zeros((0 if light is None else len(light.group_ids), n))
    if light is not None and layout.lighting == "flex":
        lo = np.asarray(light.min_level_frac, dtype=float)
        x = _sparse_values(v, "p_light_flex_kw", layout.flex_steps, n)
        share = np.divide(x, layout.flex_max_kw, out=np.zeros(n), where=layout.flex_max_kw > 0)
        level = np.where(np.asarray(light.dark_frac) > 0, lo + (1.0 - lo) * share, 0.0)
    elif layout.light_on:
        gg, tt = np.array(layout.light_on).T
        level[gg, tt] = v["level"]
    return DispatchSolution(
        layout=layout,
        p_import_kw=v["p_import_kw"],
        p_export_kw=v["p_export_kw"],
        p_charge_kw=ch,
        p_discharge_kw=dis,
        soc_kwh=soc,
        p_curtail_kw=cur,
        level=level,
        p_unserved_kw=_sparse_values(v, "p_unserved_kw", layout.unserved_steps, n),
        p_surplus_kw=_sparse_values(v, "p_surplus_kw", layout.surplus_steps, n),
        result=result,
    )


def optimise(
    inputs: DispatchInputs,
    options: DispatchOptions | None = None,
    network: Any | None = None,
    progress: ProgressCallback | None = None,
    sizing: SizingSpec | None = None,
) -> DispatchSolution:
    """Pre-check, build, solve and read back a dispatch; explain failures in words.

    With ``sizing`` the capacities of its candidates are variables too; their
    solved values are in ``solution.result.values`` (read them with
    :func:`energy.optimisation.sizing.read_capacities`).

    Raises
    ------
    InfeasibleError
        With one sentence per step and limit that cannot be met.
    SolverError
        If HiGHS fails or stops without a usable solution.
    """
    options = options or DispatchOptions()
    report = progress or no_progress
    precheck(inputs, options.curtailment)
    report(0.0, f"building the dispatch model ({inputs.n_steps} steps)")
    model = build_model(inputs, options, network, sizing)
    report(0.3, f"solving with {highs_version()} ({options.method})")
    result = solve(model, options)
    solution = read_solution(model, inputs, result)
    diagnosis = diagnose_slack(inputs, solution.p_unserved_kw, solution.p_surplus_kw)
    if diagnosis:
        raise InfeasibleError("The dispatch cannot meet the grid limits:", diagnosis)
    n_sim = simultaneous_flows(solution.p_charge_kw, solution.p_discharge_kw)
    if n_sim:
        logger.warning("%d battery-steps charge and discharge at once (dissipating energy)", n_sim)
    report(1.0, f"solved: {result.status}, objective {result.objective:,.2f}")
    return solution


def solution_schedule(inputs: DispatchInputs, solution: DispatchSolution) -> pd.DataFrame:
    """Return the solved dispatch as a schedule (:mod:`energy.system` format).

    Merged storage units are split onto their member batteries in proportion
    to capacity, district curtailment onto nodes in proportion to their
    curtailable PV: both splits are feasible and exact (see
    :mod:`energy.optimisation.dispatch`).
    """
    n = inputs.n_steps
    position = {bat.id: i for i, bat in enumerate(inputs.batteries)}
    nb = len(inputs.batteries)
    ch, dis, soc = np.zeros((nb, n)), np.zeros((nb, n)), np.zeros((nb, n))
    for u, unit in enumerate(solution.layout.storage):
        for member, share in zip(unit.members, unit.shares, strict=True):
            i = position[member]
            ch[i] = share * solution.p_charge_kw[u]
            dis[i] = share * solution.p_discharge_kw[u]
            soc[i] = share * solution.soc_kwh[u, 1:]
    if solution.layout.aggregated:
        curtailed = split_curtailment(inputs, solution.p_curtail_kw.sum(axis=0))
    else:
        curtailed = {
            unit.id: solution.p_curtail_kw[i] for i, unit in enumerate(solution.layout.curtail)
        }
    return schedule_frame(
        inputs,
        p_import_kw=solution.p_import_kw,
        p_export_kw=solution.p_export_kw,
        p_charge_kw=ch,
        p_discharge_kw=dis,
        soc_end_kwh=soc,
        curtailed_kw_by_node=curtailed,
        level=solution.level,
    )
