"""Infeasibility explained in words, from the inputs and from the solved soft balance.

:func:`precheck` tests the inputs before a build (limits that no schedule can
meet in a step); the soft balance of the model (penalised unmet demand and
surplus, :func:`energy.optimisation.model.define_grid_exchange`) names the
steps and amounts that cannot be served (:func:`diagnose_slack`). Where demand
cannot be served under the import limit, :func:`smallest_import_limit_kw`
solves once more for the smallest import limit that serves it, and
:func:`infeasible_error` says so in its first sentence (the ``error`` of a
failed run), the steps following as its diagnosis. An autarky target that
cannot be met (:class:`~energy.optimisation.autarky.AutarkyBlock`) is named
with the highest self-sufficiency the district reaches
(:func:`unreachable_target`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from energy.errors import InfeasibleError, SolverError
from energy.optimisation.autarky import CONSUMPTION, AutarkyBlock
from energy.optimisation.blocks import ModelBlock
from energy.optimisation.model import build_model
from energy.optimisation.options import LEAST_IMPORT, DispatchOptions
from energy.optimisation.peak import PeakBlock
from energy.optimisation.solve import solve
from energy.system import DispatchInputs

#: Slack powers above this are unmet demand or unabsorbable surplus [kW].
SLACK_TOL_KW = 1e-6
#: At most this many steps are listed in a diagnosis; the rest are summarised.
MAX_LISTED_STEPS = 5


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


def precheck(
    inputs: DispatchInputs,
    options: DispatchOptions | None = None,
    blocks: Sequence[ModelBlock] = (),
) -> None:
    """Raise :func:`infeasible_error` if :func:`precheck_messages` finds a problem."""
    options = options or DispatchOptions()
    messages = precheck_messages(inputs, options.curtailment)
    if messages:
        # without batteries and at the lighting minimum, this much import serves every step
        demand_min, _ = inputs.demand_bounds_kw()
        pv = inputs.pv_kw.to_numpy().sum(axis=1)
        enough_kw = float(np.max(demand_min - pv, initial=0.0))
        short = enough_kw > inputs.import_limit_kw + SLACK_TOL_KW
        raise infeasible_error(inputs, options, blocks, messages, enough_kw if short else None)


#: Peak charge of the probe that finds the smallest import limit [EUR/kW]: far above
#: any throughput cost a lower peak could need, far below the slack penalty.
_PROBE_PEAK_CHARGE = 1000.0
#: The limit reported is the probe's peak rounded up to this [kW].
_REPORTED_STEP_KW = 0.1


def smallest_import_limit_kw(
    inputs: DispatchInputs,
    options: DispatchOptions,
    blocks: Sequence[ModelBlock],
    enough_kw: float,
) -> float | None:
    """Return the smallest import limit [kW] under which every step's demand is served.

    Solves the dispatch once more with the import limit raised to
    ``enough_kw`` (a limit known to serve every step, e.g. the current limit
    plus the largest unserved power), prices and CO2 set to zero and a peak
    charge of :data:`_PROBE_PEAK_CHARGE` (:class:`~energy.optimisation.peak.PeakBlock`;
    no import cap; ``blocks`` are the run's asset blocks): the optimum then has the lowest
    import peak any schedule can have (batteries, lighting, the blocks'
    assets and limits as in the run), which is the answer, rounded up to
    :data:`_REPORTED_STEP_KW`. None if the probe still leaves demand unserved
    (another limit than the import limit is in the way).
    """
    n = inputs.n_steps
    probe = dataclasses.replace(
        inputs,
        import_limit_kw=max(enough_kw, inputs.import_limit_kw),
        import_price_eur_per_kwh=np.zeros(n),
        feed_in_eur_per_kwh=np.zeros(n),
        co2_g_per_kwh=np.zeros(n),
        peak_charge_eur_per_kw=0.0,
    )
    probe_options = options.model_copy(
        update={
            "objective": "cost",
            "weights": None,
            "exclusive_flows": False,
            "import_cap_kw": None,
        }
    )
    peak = PeakBlock(peak_charge_eur_per_kw=_PROBE_PEAK_CHARGE)
    result = solve(build_model(probe, probe_options, [*blocks, peak]), probe_options)
    unserved = result.values.get("p_unserved_kw", np.zeros(0))
    if unserved.size and float(np.nanmax(unserved)) > SLACK_TOL_KW:
        return None
    steps = float(result.values["p_peak_kw"][0]) / _REPORTED_STEP_KW
    return float(np.ceil(steps - 1e-6) * _REPORTED_STEP_KW)


def infeasible_error(
    inputs: DispatchInputs,
    options: DispatchOptions,
    blocks: Sequence[ModelBlock],
    diagnosis: list[str],
    enough_kw: float | None,
) -> InfeasibleError:
    """Return the error of a dispatch that cannot meet its limits, in whole sentences.

    ``enough_kw``: an import limit that would serve all demand (None if the
    import limit is not the problem). The first sentence names the import
    limit and, from :func:`smallest_import_limit_kw`, the smallest that
    would work; ``diagnosis`` (one sentence per step and limit) follows.
    """
    limit = inputs.import_limit_kw
    if enough_kw is None:
        return InfeasibleError(
            "The dispatch cannot meet the grid limits; the steps and amounts follow.", diagnosis
        )
    smallest = smallest_import_limit_kw(inputs, options, blocks, enough_kw)
    if smallest is None:
        return InfeasibleError(
            f"The dispatch cannot serve the demand under the import limit of {limit:,.1f} kW, "
            f"nor under {enough_kw:,.1f} kW: another limit is in the way; the steps follow.",
            diagnosis,
        )
    return InfeasibleError(
        f"The dispatch cannot serve the demand under the import limit of {limit:,.1f} kW; "
        f"the smallest import limit that would work is {smallest:,.1f} kW.",
        diagnosis,
    )


def highest_self_sufficiency(
    inputs: DispatchInputs, options: DispatchOptions, blocks: Sequence[ModelBlock], metric: str
) -> float | None:
    """Return the highest self-sufficiency of kind ``metric`` over the horizon [0..1].

    Solves the dispatch once more minimising import (cost as a tie-break, so
    that sizing's capacity blocks accept it), with the asset ``blocks`` but no
    autarky target; None if that dispatch, too, is
    infeasible or leaves demand unserved.
    """
    others = [b for b in blocks if not isinstance(b, AutarkyBlock)]
    probe_options = options.model_copy(update={**LEAST_IMPORT, "min_self_sufficiency": None})
    block = AutarkyBlock(None, metric)  # type: ignore[arg-type]
    try:
        result = solve(build_model(inputs, probe_options, [*others, block]), probe_options)
    except SolverError:  # InfeasibleError included
        return None
    unserved = result.values.get("p_unserved_kw", np.zeros(0))
    if unserved.size and float(np.nanmax(unserved)) > SLACK_TOL_KW:
        return None
    consumption = float(result.values[CONSUMPTION][0])
    imported = float(result.values["p_import_kw"].sum()) * inputs.dt_h
    return 1.0 - imported / consumption if consumption > 0 else None


def unreachable_target(
    inputs: DispatchInputs, options: DispatchOptions, blocks: Sequence[ModelBlock]
) -> InfeasibleError | None:
    """Return the error naming an autarky target that cannot be met, if that is the cause.

    None when ``blocks`` have no target, or when the dispatch without it is
    infeasible too (then another limit is in the way). The steps of the soft
    balance are not listed: the slack a target drives into them is not demand
    that the grid could not serve.
    """
    targets = [b for b in blocks if isinstance(b, AutarkyBlock) and b.min_share is not None]
    if not targets:
        return None
    target = targets[0]
    assert target.min_share is not None
    best = highest_self_sufficiency(inputs, options, blocks, target.metric)
    if best is None:
        return None
    days = inputs.n_steps * inputs.dt_h / 24.0
    return InfeasibleError(
        f"min_self_sufficiency: {100 * target.min_share:.1f} % ({target.metric}) cannot be "
        f"reached over {days:g} day{'' if days == 1 else 's'}; the highest this district "
        f"reaches is {100 * best:.1f} % (import minimised). Lower the target, or add PV or "
        "storage (energy size, energy pareto)."
    )


def check_slack(
    inputs: DispatchInputs,
    options: DispatchOptions,
    blocks: Sequence[ModelBlock],
    unserved_kw: np.ndarray,
    surplus_kw: np.ndarray,
) -> None:
    """Raise :func:`infeasible_error` if the solved soft balance used its slack."""
    diagnosis = diagnose_slack(inputs, unserved_kw, surplus_kw)
    if diagnosis:
        unreachable = unreachable_target(inputs, options, blocks)
        if unreachable is not None:
            raise unreachable
        short = unserved_kw.size and float(unserved_kw.max()) > SLACK_TOL_KW
        enough = inputs.import_limit_kw + float(unserved_kw.max()) if short else None
        raise infeasible_error(inputs, options, blocks, diagnosis, enough)


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
