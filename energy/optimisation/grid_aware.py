"""Grid-aware dispatch: linear network limits generated from AC checks until clean.

:func:`grid_aware_dispatch` dispatches on the copper plate, checks the
schedule with the AC power flow, adds linear limits
(:class:`~energy.optimisation.network.NetworkLimits`, a model block) for
every element and step that is violated or close to its limit, and
re-dispatches, until the AC check is clean or what remains is explained
(the method is described in :mod:`energy.optimisation.network`).

Sign convention: node powers in the load convention, positive when drawn
from the grid [kW].
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandapower as pp
import pandas as pd

from energy.models.grid.check import GridCheckResult, Limits, check_result
from energy.models.grid.powerflow import TimeSeriesRunner
from energy.optimisation.dispatch import DispatchSolution, optimise, solution_schedule
from energy.optimisation.network import NetworkLimits, RowKind, linearise
from energy.optimisation.options import DispatchOptions
from energy.progress import ProgressCallback, no_progress, scaled
from energy.system import DispatchInputs, node_injections_kw

logger = logging.getLogger(__name__)


@dataclass
class GridAwareResult:
    """Outcome of :func:`grid_aware_dispatch`.

    Attributes
    ----------
    solution : DispatchSolution
        The last dispatch (:class:`~energy.optimisation.dispatch.DispatchSolution`).
    schedule : pandas.DataFrame
        Its schedule (:mod:`energy.system` format).
    node_p_kw : pandas.DataFrame
        Its node powers [kW], load convention.
    check : GridCheckResult
        The AC check of the last schedule.
    iterations : list of dict
        Per iteration: rows, violations, violating steps, objective, times.
    clean : bool
        True if the last AC check found no violation.
    unresolved : list of str
        What remains and why (empty when clean).
    network : NetworkLimits
        The linear limits of the last iteration.
    """

    solution: DispatchSolution
    schedule: pd.DataFrame
    node_p_kw: pd.DataFrame
    check: GridCheckResult
    iterations: list[dict[str, Any]]
    clean: bool
    unresolved: list[str]
    network: NetworkLimits

    def record(self) -> dict[str, Any]:
        """Return what a run records of it: dispatches, remaining violations and why."""
        summary = self.check.summary
        return {
            "clean": self.clean,
            "dispatches": len(self.iterations),
            "copper_plate_violations": self.iterations[0]["violations"],
            "remaining_violations": int(summary["violations"]),
            "remaining_violating_steps": int(summary["violating_steps"]),
            "unresolved": list(self.unresolved),
            "network_rows": len(self.network.rows),
            "iterations": [dict(it) for it in self.iterations],
        }


def _dispatch(
    inputs: DispatchInputs,
    options: DispatchOptions | None,
    network: NetworkLimits | None,
    progress: ProgressCallback,
) -> tuple[DispatchSolution, np.ndarray]:
    """Solve the dispatch, with the network rows as a block (their slack penalised).

    Returns the solution and the slack of each row (zeros without rows).
    """
    if network is None or not network.rows:
        return optimise(inputs, options, progress=progress), np.zeros(0)
    progress(0.0, f"dispatch with {len(network.rows)} network rows")
    solution = optimise(inputs, options, [network], progress=progress)
    values = solution.result.values.get("network_slack")
    return solution, (
        np.zeros(len(network.rows))
        if values is None
        else np.nan_to_num(np.asarray(values, dtype=float))
    )


def grid_aware_dispatch(
    inputs: DispatchInputs,
    net: pp.pandapowerNet,
    options: DispatchOptions | None = None,
    limits: Limits | None = None,
    cos_phi: float = 1.0,
    max_iterations: int = 6,
    q_kvar_of: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    progress: ProgressCallback | None = None,
) -> GridAwareResult:
    """Dispatch that respects the AC grid limits, by linear limits and AC checks.

    Iteration 0 dispatches on the copper plate; each further iteration adds or
    tightens the linear limits of every element and step that the previous AC
    check found violated or close to its limit (see module docstring), and
    re-dispatches, until the AC check is clean, nothing is left to tighten,
    every remaining violation is known to be beyond the flexibility of its
    step, or ``max_iterations`` is reached. The rows are soft with a large
    penalty, so that the dispatch always returns the schedule that violates
    least, and the remainder can be explained.

    Parameters
    ----------
    inputs
        :class:`~energy.system.DispatchInputs`.
    net
        The pandapower net of the district (e.g. :func:`energy.models.grid.build_network`).
    options
        :class:`~energy.optimisation.options.DispatchOptions`.
    limits
        Grid limits of the AC check (default :class:`Limits()`).
    cos_phi
        Power factor of node powers in the linear model, and in the AC check
        without ``q_kvar_of``.
    max_iterations
        Largest number of re-dispatches after the first.
    q_kvar_of
        Reactive power per node [kvar] of a schedule for the AC checks (e.g.
        :func:`energy.ac_check.schedule_q_kvar`); the AC operating points the
        limits are re-linearised at then carry it.
    progress
        Optional progress callback.

    Returns
    -------
    GridAwareResult
        ``clean`` tells whether the AC check passed; ``unresolved`` says what
        remains and why.
    """
    report = progress or no_progress
    lim = limits or Limits()
    runner = TimeSeriesRunner(net)
    nodes = list(inputs.nodes)
    linear = linearise(net, nodes, cos_phi, runner.vm_noload_by_bus)
    network = NetworkLimits(linear, lim, soft=True)
    iterations: list[dict[str, Any]] = []
    slack = np.zeros(0)
    for k in range(max_iterations + 1):
        t0 = time.perf_counter()
        sub = scaled(report, k / (max_iterations + 1), (k + 0.8) / (max_iterations + 1))
        solution, slack = _dispatch(inputs, options, network if k else None, sub)
        schedule = solution_schedule(inputs, solution)
        node_p = node_injections_kw(inputs, schedule)
        t1 = time.perf_counter()
        q = None if q_kvar_of is None else q_kvar_of(schedule)
        ac = runner.run(node_p, q_kvar=q, cos_phi=cos_phi)
        checked = check_result(ac, lim, inputs.timezone)
        iterations.append(
            _iteration_record(
                k, network, slack, checked, solution, t1 - t0, time.perf_counter() - t1
            )
        )
        if checked.summary["clean"] or k == max_iterations:
            break
        if k and _all_explained(checked, network):
            logger.info("grid-aware dispatch: the remaining violations exceed the flexibility")
            break
        p_op = node_p.reindex(columns=nodes).to_numpy(dtype=float)
        if network.add_from_ac(p_op, ac) == 0:
            logger.info("grid-aware dispatch: no limit left to tighten")
            break
    clean = bool(checked.summary["clean"])
    unresolved = [] if clean else _explain(checked, network, slack, len(iterations))
    report(1.0, "grid-aware dispatch " + ("clean" if clean else "with remaining violations"))
    return GridAwareResult(
        solution, schedule, node_p, checked, iterations, clean, unresolved, network
    )


def _iteration_record(
    k: int,
    network: NetworkLimits,
    slack: np.ndarray,
    checked: GridCheckResult,
    solution: DispatchSolution,
    dispatch_s: float,
    ac_s: float,
) -> dict[str, Any]:
    """Return what one iteration of :func:`grid_aware_dispatch` did (rows, violations, times)."""
    logger.info(
        "grid-aware dispatch iteration %d: %d violations in %d steps, %d rows",
        k,
        len(checked.violations),
        checked.summary["violating_steps"],
        len(network.rows),
    )
    return {
        "iteration": k,
        "rows": len(network.rows) if k else 0,
        "unresolvable_rows": len(network.unresolvable) if k else 0,
        "rows_with_slack": int((slack > 1e-6).sum()),
        "violations": len(checked.violations),
        "violating_steps": checked.summary["violating_steps"],
        "objective": solution.result.objective,
        "dispatch_s": dispatch_s,
        "ac_s": ac_s,
    }


def _row_kind(kind: str) -> RowKind:
    if kind.endswith("overload"):
        return "branch"
    return "v_lower" if kind == "undervoltage" else "v_upper"


def _all_explained(checked: GridCheckResult, network: NetworkLimits) -> bool:
    """Return True if every violated (element, kind) has a row known to be unresolvable."""
    explained = {(key[0], key[1]) for key in network.unresolvable}
    pairs = checked.violations[["element", "kind"]].drop_duplicates()
    return all(
        (_row_kind(kind), element) in explained for element, kind in pairs.itertuples(index=False)
    )


def _explain(
    checked: GridCheckResult, network: NetworkLimits, slack: np.ndarray, n_dispatches: int
) -> list[str]:
    """One sentence per violated element and kind: what remains and why."""
    rows = list(network.rows.values())
    index = checked.timeseries.index
    with_slack = {
        (rows[r].kind, rows[r].element) for r in np.flatnonzero(slack > 1e-6) if r < len(rows)
    }
    out: list[str] = []
    for (element, kind), grp in checked.violations.groupby(["element", "kind"], sort=False):
        row_kind = _row_kind(kind)
        known = {
            key[2]: text
            for key, text in network.unresolvable.items()
            if key[0] == row_kind and key[1] == element
        }
        at = grp["value"].idxmin() if kind == "undervoltage" else grp["value"].idxmax()
        worst = float(grp.at[at, "value"])
        worst_t = int(index.get_loc(grp.at[at, "time_utc"]))
        head = (
            f"{kind} of {element} in {grp['time_utc'].nunique()} steps "
            f"(worst {worst:.3f} {grp['unit'].iloc[0]})"
        )
        if known:
            reason = known.get(worst_t, next(iter(known.values())))
            out.append(f"{head}: cannot be resolved: {reason}")
        elif (row_kind, element) in with_slack:
            out.append(
                f"{head}: the dispatch could not meet it together with the other "
                "limits (battery energy, exchange limits, other network rows)"
            )
        else:
            out.append(
                f"{head}: not resolved after {n_dispatches} dispatches; the "
                "linearised limits were still too loose (raise max_iterations)"
            )
    return out
