"""Row helpers of the dispatch model: linear expressions and rows built directly.

Every row of the model is ``equal``/``at_most``/``at_least`` of a
:func:`linear` expression, returned by a constraint rule: Pyomo then stores
the relational expression as given, without parsing a tuple or walking an
operator tree (the fastest of the idioms measured in benchmarks/bench_dispatch.py).
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo
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
