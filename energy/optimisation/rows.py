"""Row helpers of the dispatch model: linear expressions and rows built directly.

Every row of the model is ``equal``/``at_most``/``at_least`` of a
:func:`linear` expression, returned by a constraint rule: Pyomo then stores
the relational expression as given, without parsing a tuple or walking an
operator tree (the fastest of the idioms measured in benchmarks/bench_dispatch.py).
Row families with one row per unit and step (the battery, heat and EV
balances, the district balance) come as a sparse matrix instead
(:class:`MatrixRows`, built with numpy or by :func:`rows_of_terms`), at a
fraction of the memory and hand-over time; :class:`MatrixPart` places them in
the columns of the compiled model (:func:`energy.optimisation.solve.hand_over`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.core.expr.relational_expr import EqualityExpression, InequalityExpression


def linear(coefs: list[float], xs: list[Any], constant: float = 0.0) -> LinearExpression:
    """Return the linear expression ``constant + sum_i coefs[i] * xs[i]``."""
    return LinearExpression(constant=constant, linear_coefs=coefs, linear_vars=xs)


def equal(body: Any, rhs: float) -> EqualityExpression:
    """Return the row ``body == rhs`` (what the tuple ``(rhs, body, rhs)`` becomes, directly)."""
    return EqualityExpression((body, rhs))


def at_most(body: Any, ub: float) -> InequalityExpression:
    """Return the row ``body <= ub``."""
    return InequalityExpression((body, ub), False)


def at_least(body: Any, lb: float) -> InequalityExpression:
    """Return the row ``lb <= body``."""
    return InequalityExpression((lb, body), False)


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
class RowLabels:
    """Names of unit x step rows: row ``i`` is ``name[units[i // steps],i % steps]``."""

    name: str
    units: Sequence[str]
    steps: int

    def label(self, i: int) -> str:
        """Name of row ``i``, as Pyomo would name it (``heat_balance[MF01,5]``, ``balance[5]``)."""
        unit = self.units[i // self.steps]
        return f"{self.name}[{unit},{i % self.steps}]" if unit else f"{self.name}[{i % self.steps}]"


@dataclass(frozen=True, eq=False)
class MatrixRows:
    """Rows of a block given as a sparse matrix, handed to HiGHS without a Pyomo object per row.

    A block with many rows of one pattern (one per unit and step) builds them
    with numpy instead of a Pyomo constraint and expression per row, which
    costs about 1 kB of memory each (a year of the Gera heat and mobility
    district: 630,000 rows). :func:`add_matrix_rows` registers them on the
    model; :func:`energy.optimisation.solve.hand_over` appends them to the
    compiled rows, as ranged rows ``lower <= A x <= upper`` (equal bounds: an
    equality), so that the LP handed over is the one the Pyomo rows would give.

    Attributes
    ----------
    name
        Name of the rows (``name[unit,step]`` in diagnoses).
    units, steps
        Row ``i`` is unit ``units[i // steps]``, step ``i % steps``.
    variables
        Whole Var components; the matrix's columns are their entries one
        after the other, each in its index order (``list(var.values())``).
        Fixed entries become constants of the bounds; entries no Pyomo row
        uses become columns of their own.
    matrix
        ``(len(units) * steps, sum of the components' lengths)`` coefficients.
    lower, upper
        Row bounds in the rows' units (-inf / +inf where there is none).
    """

    name: str
    units: Sequence[str]
    steps: int
    variables: tuple[Any, ...]
    matrix: sp.coo_array
    lower: np.ndarray
    upper: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.units) * self.steps
        width = sum(len(v) for v in self.variables)
        if self.matrix.shape != (n, width) or self.lower.shape != (n,) or self.upper.shape != (n,):
            raise ValueError(
                f"{self.name}: matrix {self.matrix.shape} and bounds {self.lower.shape}, "
                f"{self.upper.shape} do not fit {n} rows over {width} variables"
            )

    @property
    def labels(self) -> RowLabels:
        """The rows' names (:class:`RowLabels`), without the variables."""
        return RowLabels(self.name, self.units, self.steps)


def rows_of_terms(
    name: str,
    steps: int,
    terms: tuple[Sequence[int], Sequence[float], Sequence[Any]],
    lower: np.ndarray,
    upper: np.ndarray,
) -> MatrixRows:
    """Return rows ``name[t]``, t < ``steps``, of terms ``(row, coefficient, variable)``.

    ``terms`` are three sequences of equal length: the row ``t`` of each
    term, its coefficient and its Pyomo variable (an entry of any indexed
    Var; entries may repeat, their coefficients add up). For rows whose terms
    come from many blocks (the district balance) where a matrix of
    :class:`MatrixRows` cannot be written by hand: each variable's column is
    looked up by identity in its component's entries.
    """
    rows, coefs, xs = terms
    components: dict[int, Any] = {}
    for x in xs:
        comp = x.parent_component()
        components.setdefault(id(comp), comp)
    column: dict[int, int] = {}
    width = 0
    for comp in components.values():
        entries = list(comp.values())
        column.update((id(v), width + k) for k, v in enumerate(entries))
        width += len(entries)
    cols = np.fromiter((column[id(x)] for x in xs), dtype=np.int64, count=len(xs))
    matrix = sp.coo_array(
        (np.asarray(coefs, dtype=float), (np.asarray(rows, dtype=np.int64), cols)),
        shape=(steps, width),
    )
    matrix.sum_duplicates()
    return MatrixRows(name, [""], steps, tuple(components.values()), matrix, lower, upper)


def add_matrix_rows(m: pyo.ConcreteModel, rows: MatrixRows) -> None:
    """Register ``rows`` on ``m`` (built by :func:`energy.optimisation.model.build_model`)."""
    m.matrix_rows.append(rows)


def matrix_rows(m: pyo.ConcreteModel) -> list[MatrixRows]:
    """Return the matrix rows registered on ``m`` (none for a model without the list)."""
    return list(getattr(m, "matrix_rows", ()))


class MatrixPart:
    """Matrix rows (:class:`MatrixRows`) in the compiled model's columns.

    Entries of a fixed variable move into the row bounds (``lower - a * value``,
    as the compiler moves fixed variables to the right-hand side); a variable
    no Pyomo row uses becomes a new column after the compiled ones, and
    ``slices`` (component name -> columns) is updated to include it.
    """

    def __init__(self, slices: dict[str, Any], n_cols: int, n_rows: int) -> None:
        self.slices = slices
        self.n_cols, self.first_row, self.n_rows = n_cols, n_rows, 0
        self.new_columns: list[Any] = []
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []

    def _columns(self, var: Any) -> tuple[np.ndarray, np.ndarray]:
        """Global columns of a component's entries (-1: fixed) and the fixed values."""
        sl = self.slices[var.name]
        pos = np.arange(sl[0], sl[1]) if isinstance(sl, tuple) else np.array(sl)
        value = np.zeros(len(pos))
        missing = np.flatnonzero(pos < 0)
        if len(missing):
            data = list(var.values())
            for k in missing.tolist():
                v = data[k]
                if v.fixed:
                    value[k] = float(v.value)
                else:
                    pos[k] = self.n_cols + len(self.new_columns)
                    self.new_columns.append(v)
            self.slices[var.name] = pos
        return pos, value

    def add(self, part: MatrixRows) -> None:
        """Append the rows of ``part``."""
        pos, value = zip(*(self._columns(v) for v in part.variables), strict=True)
        where, fixed_value = np.concatenate(pos), np.concatenate(value)
        m = part.matrix.tocoo()
        col = where[m.col]
        fixed = col < 0
        const = np.bincount(
            m.row[fixed], weights=m.data[fixed] * fixed_value[m.col[fixed]], minlength=m.shape[0]
        )
        keep = ~fixed
        self.rows.append(m.row[keep] + self.first_row + self.n_rows)
        self.cols.append(col[keep])
        self.vals.append(m.data[keep])
        self.lower.append(part.lower - const)
        self.upper.append(part.upper - const)
        self.n_rows += m.shape[0]
