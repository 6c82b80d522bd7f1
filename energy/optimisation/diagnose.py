"""Infeasibility explained in words, from the inputs and from the solved soft balance.

:func:`precheck` tests the inputs before a build (limits that no schedule can
meet in a step); the soft balance of the model (penalised unmet demand and
surplus, :func:`energy.optimisation.model.define_grid_exchange`) names the
steps and amounts that cannot be served (:func:`diagnose_slack`).
"""

from __future__ import annotations

import numpy as np

from energy.errors import InfeasibleError
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
