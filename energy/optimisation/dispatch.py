"""One dispatch: pre-check, build, solve, read back; the solution as a schedule.

:func:`optimise` is the entry point of the optimiser: it checks the inputs
(:mod:`energy.optimisation.diagnose`), builds the model with any model blocks
(:mod:`energy.optimisation.model`, :mod:`energy.optimisation.blocks`), solves
it with HiGHS (:mod:`energy.optimisation.solve`) and reads the solution back
as arrays (:class:`DispatchSolution`); :func:`solution_schedule` turns them
into a schedule (:mod:`energy.system` format).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from energy.errors import InfeasibleError, InputDataError
from energy.optimisation.autarky import AutarkyBlock, autarky_blocks
from energy.optimisation.blocks import ModelBlock
from energy.optimisation.diagnose import (
    check_slack,
    precheck,
    simultaneous_flows,
    unreachable_target,
)
from energy.optimisation.flex import flex_blocks, flex_schedule_columns
from energy.optimisation.layout import DispatchLayout
from energy.optimisation.model import build_model
from energy.optimisation.options import DispatchOptions
from energy.optimisation.peak import peak_blocks
from energy.optimisation.solve import (
    HighsHandover,
    SolveResult,
    hand_over,
    highs_version,
    release_memory,
    solve_handed_over,
)
from energy.progress import ProgressCallback, no_progress
from energy.system import DispatchInputs, schedule_frame, split_curtailment

logger = logging.getLogger(__name__)

#: Models with at least this many columns hand their freed memory back before the solve
#: (:func:`energy.optimisation.solve.release_memory`; the Gera heat and mobility year has 1.16 M).
RELEASE_MIN_COLUMNS = 200_000


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
    """Reshape the solved values of a dispatch model into arrays (:func:`solution_arrays`)."""
    return solution_arrays(model.layout, inputs, result)


def solution_arrays(
    layout: DispatchLayout, inputs: DispatchInputs, result: SolveResult
) -> DispatchSolution:
    """Reshape the solved values of a dispatch model of ``layout`` into arrays.

    Lighting levels of the ``flex`` layout are split back onto the groups
    exactly as :func:`energy.optimisation.lighting.define_lighting` states.
    """
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


class HandedOverDispatch:
    """A dispatch built and handed to HiGHS once, to be solved again after changes in HiGHS.

    :func:`optimise` solves it once. A sequence of models that differ in a
    few coefficients or bounds (the autarky targets of
    :func:`energy.studies.pareto.pareto`, :func:`energy.optimisation.autarky.set_target`)
    changes them in :meth:`handed_over` and calls :meth:`solve` again: HiGHS starts
    from the previous optimal basis instead of from scratch.

    Pre-check, build and hand-over happen here; the Pyomo model is dropped
    after the hand-over (the solve reads the hand-over only), so its memory
    is freed before HiGHS takes its own (the peak of a long horizon,
    benchmarks/bench_flex.py).
    """

    def __init__(
        self,
        inputs: DispatchInputs,
        options: DispatchOptions | None = None,
        blocks: Sequence[ModelBlock] = (),
        progress: ProgressCallback | None = None,
    ) -> None:
        self.inputs = inputs
        self.options = options or DispatchOptions()
        target = autarky_blocks(self.options)
        if target and any(isinstance(b, AutarkyBlock) for b in blocks):
            raise InputDataError(
                "min_self_sufficiency: the model has an autarky row of its own already "
                "(a Pareto front sets its targets itself)"
            )
        self.assets = [*flex_blocks(inputs), *blocks, *target]
        precheck(inputs, self.options, self.assets)
        (progress or no_progress)(0.0, f"building the dispatch model ({inputs.n_steps} steps)")
        model = build_model(
            inputs, self.options, [*self.assets, *peak_blocks(inputs, self.options)]
        )
        self.layout, self.build_s = model.layout, model.build_time_s
        t0 = time.perf_counter()
        self.hand: HighsHandover | None = hand_over(model).detached()
        self.handover_s = time.perf_counter() - t0
        del model
        if self.hand.n_columns >= RELEASE_MIN_COLUMNS:
            release_memory()  # ~0.1 s per full collection, even for a small model

    def handed_over(self) -> HighsHandover:
        """Return the model in HiGHS, to change before the next :meth:`run`."""
        if self.hand is None:
            raise RuntimeError("the dispatch was closed")
        return self.hand

    def run(self) -> SolveResult:
        """Solve the model as it stands in HiGHS (from the last basis, if any).

        An infeasible model with an autarky target the district cannot reach
        raises the error that says so (:func:`~energy.optimisation.diagnose.unreachable_target`).
        """
        try:
            return solve_handed_over(
                self.handed_over(), self.options, self.build_s, self.handover_s
            )
        except InfeasibleError as exc:
            unreachable = unreachable_target(self.inputs, self.options, self.assets)
            if unreachable is not None:
                raise unreachable from exc
            raise

    def close(self) -> None:
        """Drop the HiGHS model (its memory)."""
        self.hand = None

    def solution(self, result: SolveResult) -> DispatchSolution:
        """Arrays of ``result``; raise :class:`InfeasibleError` in words if slack was used."""
        solution = solution_arrays(self.layout, self.inputs, result)
        check_slack(
            self.inputs, self.options, self.assets, solution.p_unserved_kw, solution.p_surplus_kw
        )
        n_sim = simultaneous_flows(solution.p_charge_kw, solution.p_discharge_kw)
        if n_sim:
            logger.warning(
                "%d battery-steps charge and discharge at once (dissipating energy)", n_sim
            )
        return solution

    def solve(self) -> DispatchSolution:
        """:meth:`run` and :meth:`solution`."""
        return self.solution(self.run())


def optimise(
    inputs: DispatchInputs,
    options: DispatchOptions | None = None,
    blocks: Sequence[ModelBlock] = (),
    progress: ProgressCallback | None = None,
) -> DispatchSolution:
    """Pre-check, build, solve and read back a dispatch; explain failures in words.

    ``blocks`` join the model (:func:`energy.optimisation.model.build_model`),
    after the blocks of the inputs' heat pumps and EV charging
    (:func:`energy.optimisation.flex.flex_blocks`, added here) and the peak
    block (:func:`energy.optimisation.peak.peak_blocks`: the inputs' peak
    charge, ``options.import_cap_kw``) when there is one; their variables'
    solved values are in ``solution.result.values`` by
    component name (e.g. :func:`energy.optimisation.capacity.read_capacities`).

    Raises
    ------
    InfeasibleError
        With one sentence per step and limit that cannot be met.
    SolverError
        If HiGHS fails or stops without a usable solution.
    """
    report = progress or no_progress
    dispatch = HandedOverDispatch(inputs, options, blocks, report)
    report(0.3, f"solving with {highs_version()} ({dispatch.options.method})")
    result = dispatch.run()
    dispatch.close()
    solution = dispatch.solution(result)
    report(1.0, f"solved: {result.status}, objective {result.objective:,.2f}")
    return solution


def solution_schedule(inputs: DispatchInputs, solution: DispatchSolution) -> pd.DataFrame:
    """Return the solved dispatch as a schedule (:mod:`energy.system` format).

    Merged storage units are split onto their member batteries in proportion
    to capacity, district curtailment onto nodes in proportion to their
    curtailable PV: both splits are feasible and exact (see
    :mod:`energy.optimisation.model`).
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
    schedule = schedule_frame(
        inputs,
        p_import_kw=solution.p_import_kw,
        p_export_kw=solution.p_export_kw,
        p_charge_kw=ch,
        p_discharge_kw=dis,
        soc_end_kwh=soc,
        curtailed_kw_by_node=curtailed,
        level=solution.level,
    )
    flex = flex_schedule_columns(inputs, solution.result.values)
    if not flex:
        return schedule
    return pd.concat([schedule, pd.DataFrame(flex, index=schedule.index)], axis=1)
