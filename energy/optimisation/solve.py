"""Solve a dispatch model with HiGHS.

The model goes to HiGHS through Pyomo's ``LinearStandardFormCompiler``
(``mixed_form=True``: each row keeps its sense) and ``highspy.Highs.passModel``,
which was 2-3x faster to hand over than the per-constraint persistent
interfaces in the measurements of PERFORMANCE.md. The solution is read back
as arrays, one per Pyomo variable component, in its index order.

A result is ``optimal`` only if HiGHS proves it; a time-limited MIP with an
incumbent is ``feasible`` with its gap, anything else raises
:class:`~energy.errors.SolverError`; a proven infeasible model raises
:class:`~energy.errors.InfeasibleError` naming an infeasible subset of rows.
Explanations in words of the inputs and of the soft balance are in
:mod:`energy.optimisation.diagnose`; pre-check, build, solve and read-back of
one dispatch together in :func:`energy.optimisation.dispatch.optimise`.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import logging
import math
import operator
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import highspy
import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.common.gc_manager import PauseGC
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from energy.errors import InfeasibleError, SolverError
from energy.optimisation.options import DispatchOptions
from energy.optimisation.rows import MatrixPart, RowLabels, matrix_rows

logger = logging.getLogger(__name__)

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

    def record(self) -> dict[str, Any]:
        """Return the outcome as plain data for a run's metadata (no values, no timings)."""
        return {
            "status": self.status,
            "termination": self.termination,
            "objective": self.objective,
            "mip_gap": self.mip_gap,
            "method": self.method,
            "variables": self.n_variables,
            "constraints": self.n_constraints,
            "integers": self.n_integers,
        }


@dataclass(frozen=True)
class HighsHandover:
    """A model passed to HiGHS, with the map from columns back to Pyomo variables.

    ``columns`` are the Pyomo variables of the columns (empty once
    :meth:`detached`); ``rows`` the (constraint name, index) of the compiled
    rows, then come the model's matrix rows from their first row (``matrix``).
    Neither holds a Pyomo constraint, so the model's rows are freed with it.
    """

    highs: highspy.Highs
    columns: list[Any]
    slices: dict[str, tuple[int, int] | np.ndarray]
    n_rows: int
    n_integers: int
    rows: list[tuple[str, Any]]
    matrix: tuple[tuple[int, RowLabels], ...] = ()

    @property
    def n_columns(self) -> int:
        """Number of columns handed to HiGHS."""
        return int(self.highs.getNumCol())

    def detached(self) -> HighsHandover:
        """Return the hand-over without its Pyomo variables (so the model can be freed)."""
        return dataclasses.replace(self, columns=[])

    def row_name(self, i: int) -> str:
        """Name of row ``i`` as Pyomo names it (``balance[5]``, ``heat_balance[MF01,5]``)."""
        if i < len(self.rows):
            name, index = self.rows[i]
            if index is None:
                return name
            key = ",".join(map(str, index)) if isinstance(index, tuple) else str(index)
            return f"{name}[{key}]"
        for start, labels in reversed(self.matrix):
            if i - len(self.rows) >= start:
                return labels.label(i - len(self.rows) - start)
        return f"row {i}"

    def row_index(self, name: str) -> int:
        """Position of the scalar Pyomo row ``name`` among the rows handed over."""
        for i, (row, index) in enumerate(self.rows):
            if row == name and index is None:
                return i
        raise KeyError(f"no scalar row {name!r} was handed over")

    def column_index(self, name: str) -> int:
        """Column of the scalar Pyomo variable ``name`` (KeyError if it was not handed over)."""
        sl = self.slices[name]
        column = sl[0] if isinstance(sl, tuple) else int(sl[0])
        if column < 0:
            raise KeyError(f"variable {name!r} was fixed or unused: it has no column")
        return column


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
    rhs = np.asarray(info.rhs, dtype=float)
    sense = np.fromiter((r.bound_type for r in info.rows), dtype=np.int8, count=len(info.rows))
    inf = highspy.kHighsInf
    row_lower = np.where(sense == 1, -inf, rhs)
    row_upper = np.where(sense == -1, inf, rhs)
    cost = np.asarray(info.c.toarray(), dtype=float).reshape(-1, len(columns))
    if cost.shape[0] != 1:
        raise SolverError(f"the model has {cost.shape[0]} objectives; exactly one is needed")
    offset = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    slices = _component_columns(model, columns)
    a = info.A
    parts = matrix_rows(model)
    starts: list[tuple[int, RowLabels]] = []
    if parts:
        n_before = len(columns)
        extra = MatrixPart(slices, len(columns), len(rhs))
        for part in parts:
            starts.append((extra.n_rows, part.labels))
            extra.add(part)
        columns = columns + extra.new_columns
        cost = np.pad(cost, ((0, 0), (0, len(columns) - n_before)))
        row_lower = np.concatenate([row_lower, *extra.lower])
        row_upper = np.concatenate([row_upper, *extra.upper])
        coo = a.tocoo()
        a = sp.csc_array(
            (
                np.concatenate([coo.data, *extra.vals]),
                (np.concatenate([coo.row, *extra.rows]), np.concatenate([coo.col, *extra.cols])),
            ),
            shape=(len(row_lower), len(columns)),
        )
    else:
        a = a.tocsc()
    n_cols = len(columns)
    domains = list(map(operator.attrgetter("domain"), columns))
    lb, ub = _column_bounds(columns, domains)
    integrality = _integrality(columns, domains)
    n_int = int(np.count_nonzero(integrality))
    h = new_highs()
    status = h.passModel(
        n_cols,
        len(row_lower),
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
    names = [(r.constraint.parent_component().name, r.constraint.index()) for r in info.rows]
    return HighsHandover(h, columns, slices, len(row_lower), n_int, names, tuple(starts))


def release_memory() -> None:
    """Collect garbage and hand freed heap memory back to the operating system.

    After a large Pyomo model is dropped, its objects are freed, but the C
    library's heap keeps most of the pages (a year of the Gera heat and
    mobility district: 280 MB); ``malloc_trim(0)`` of glibc returns them, so
    that HiGHS's working memory does not come on top. Elsewhere (no glibc)
    only the collection runs.
    """
    gc.collect()
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.malloc_trim(0)


def _set_options(h: highspy.Highs, options: DispatchOptions, matrix_rows: bool = False) -> None:
    """Set the HiGHS options of ``options``; ``matrix_rows``: an LP with matrix rows (presolve)."""
    for key, val in _HIGHS_METHODS[options.method].items():
        h.setOptionValue(key, val)
    presolve = options.presolve
    if presolve == "choose":
        presolve = "off" if matrix_rows else "on"
    h.setOptionValue("presolve", presolve)
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
    return [hand.row_name(i) for i in rows[:10]]


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
    t0 = time.perf_counter()
    hand = hand_over(model)
    build_s = float(getattr(model, "build_time_s", math.nan))
    return solve_handed_over(hand, options, build_s, time.perf_counter() - t0, load_solution)


def solve_handed_over(
    hand: HighsHandover,
    options: DispatchOptions | None = None,
    build_s: float = math.nan,
    handover_s: float = math.nan,
    load_solution: bool = False,
) -> SolveResult:
    """Solve a model already handed over (:func:`hand_over`); as :func:`solve` otherwise.

    The Pyomo model is not needed here: a caller that drops it after the
    hand-over (:func:`energy.optimisation.dispatch.optimise` does) frees its
    memory before HiGHS needs its own. ``build_s`` and ``handover_s`` [s] are
    reported in the timings.
    """
    options = options or DispatchOptions()
    h = hand.highs
    _set_options(h, options, bool(hand.matrix) and hand.n_integers == 0)
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    status, text = _status(hand, options)
    info = h.getInfo()
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
        n_variables=hand.n_columns,
        n_constraints=hand.n_rows,
        n_integers=hand.n_integers,
        timings_s={
            "build": build_s,
            "handover": handover_s,
            "solve": t2 - t1,
            "readback": t3 - t2,
        },
        values=values,
    )


#: HiGHS model states of a MIP stopped by a limit; with an incumbent it is usable.
_STOPPED = (
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
    highspy.HighsModelStatus.kInterrupt,
)


def _status(
    hand: HighsHandover, options: DispatchOptions
) -> tuple[Literal["optimal", "feasible"], str]:
    """Status and HiGHS text of a run model, or raise why it has no usable solution."""
    h = hand.highs
    model_status = h.getModelStatus()
    text = h.modelStatusToString(model_status)
    if model_status == highspy.HighsModelStatus.kOptimal:
        return "optimal", text
    if model_status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError(
            "The optimisation problem is infeasible: no schedule meets all hard limits.",
            [f"conflicting constraint: {name}" for name in _iis_names(hand)],
        )
    if model_status in (
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        raise SolverError(f"HiGHS reports the model as {text.lower()}; a variable lacks a bound")
    info = h.getInfo()
    if hand.n_integers > 0 and info.primal_solution_status == 2 and model_status in _STOPPED:
        logger.warning(
            "HiGHS stopped (%s) with a feasible schedule, not proven optimal; MIP gap %.2g",
            text,
            info.mip_gap,
        )
        return "feasible", text
    raise SolverError(
        f"HiGHS stopped without a usable solution: {text}"
        + (f" (time limit {options.time_limit_s} s)" if options.time_limit_s else "")
    )
