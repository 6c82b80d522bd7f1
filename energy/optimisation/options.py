"""How to optimise: objective, lighting mode, aggregation and solver settings.

:class:`DispatchOptions` is validated on construction; every error names the
field, the value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from energy.errors import InputDataError

Objective = Literal["cost", "co2", "import", "weighted"]
SolverMethod = Literal["simplex", "ipm", "ipm_no_crossover", "choose"]

#: Dim-level steps of the MILP mode when ``lighting_levels="steps"`` [0..1] (LIGHTING.md).
DEFAULT_LEVEL_STEPS: tuple[float, ...] = (1.0, 0.75, 0.5, 0.3)
#: Weight of the cost [EUR] added to the co2 and import objectives to break ties
#: (e.g. curtail or export at zero feed-in) towards the cheaper schedule.
TIE_BREAK_COST_WEIGHT = 1e-4


@dataclass(frozen=True)
class DispatchOptions:
    """How to optimise.

    Parameters
    ----------
    objective
        ``cost`` [EUR], ``co2`` [kg], ``import`` [kWh] or ``weighted``
        (``weights`` with keys ``cost``, ``co2``, ``import``). ``co2`` and
        ``import`` add the cost with weight :data:`TIE_BREAK_COST_WEIGHT` to
        break ties.
    lighting_mode
        ``lp``: continuous dim level in [minimum, 1]; ``milp``: one of the
        discrete levels per step, at most ``max_changes_per_night`` changes.
    lighting_levels
        MILP levels: ``class`` (the group's class levels from the lighting
        inputs) or ``steps`` (``level_steps``).
    curtailment
        Allow curtailing curtailable PV.
    exclusive_flows
        Add binaries, in the steps where the objective would reward it, that
        forbid simultaneous import and export and simultaneous charge and
        discharge (see :func:`define_grid_exchange`).
    aggregate
        Merge identical batteries, curtailment and (LP) lighting on the copper
        plate (exact; ignored when a network is given).
    time_limit_s, mip_gap
        Solver limits; a run stopped by them is never reported as optimal.
    method
        HiGHS algorithm: ``simplex`` (dual simplex), ``ipm`` (interior point
        with crossover), ``ipm_no_crossover`` or ``choose``.
    penalty_eur_per_kwh
        Penalty on unmet load and unabsorbable surplus (soft balance); None
        picks 1000 x the largest objective coefficient.
    threads
        Solver threads (None: HiGHS default).
    """

    objective: Objective = "cost"
    weights: Mapping[str, float] | None = None
    lighting_mode: Literal["lp", "milp"] = "lp"
    lighting_levels: Literal["class", "steps"] = "class"
    level_steps: tuple[float, ...] = DEFAULT_LEVEL_STEPS
    max_changes_per_night: int | None = None
    curtailment: bool = True
    exclusive_flows: bool = True
    aggregate: bool = True
    time_limit_s: float | None = None
    mip_gap: float | None = None
    method: SolverMethod = "simplex"
    penalty_eur_per_kwh: float | None = None
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.objective not in ("cost", "co2", "import", "weighted"):
            raise InputDataError(
                f"objective: {self.objective!r} is not allowed; use cost, co2, import or weighted"
            )
        if self.objective == "weighted" and not self.weights:
            raise InputDataError(
                "weights: the weighted objective needs weights, e.g. {'cost': 1.0, 'co2': 0.1}"
            )
        if self.weights:
            for key, w in self.weights.items():
                if key not in ("cost", "co2", "import"):
                    raise InputDataError(
                        f"weights: {key!r} is not an objective term; allowed: cost, co2, import"
                    )
                if not (math.isfinite(w) and w >= 0):
                    raise InputDataError(f"weights[{key!r}]: {w} is not allowed; it must be >= 0")
        if self.lighting_mode not in ("lp", "milp"):
            raise InputDataError(
                f"lighting_mode: {self.lighting_mode!r} is not allowed; use lp or milp"
            )
        if self.lighting_levels not in ("class", "steps"):
            raise InputDataError(
                f"lighting_levels: {self.lighting_levels!r} is not allowed; use class or steps"
            )
        if not self.level_steps or min(self.level_steps) <= 0 or max(self.level_steps) > 1:
            raise InputDataError(f"level_steps: {self.level_steps} must lie in (0, 1]")
        if self.max_changes_per_night is not None and self.max_changes_per_night < 0:
            raise InputDataError(
                f"max_changes_per_night: {self.max_changes_per_night} is not allowed; "
                "it must be >= 0"
            )
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise InputDataError(f"time_limit_s: {self.time_limit_s} s must be > 0")
        if self.mip_gap is not None and not 0 <= self.mip_gap < 1:
            raise InputDataError(f"mip_gap: {self.mip_gap} must lie in [0, 1)")
        if self.method not in ("simplex", "ipm", "ipm_no_crossover", "choose"):
            raise InputDataError(
                f"method: {self.method!r} is not allowed; use simplex, ipm, ipm_no_crossover "
                "or choose"
            )
        if self.penalty_eur_per_kwh is not None and not self.penalty_eur_per_kwh > 0:
            raise InputDataError(f"penalty_eur_per_kwh: {self.penalty_eur_per_kwh} must be > 0")

    def term_weights(self) -> dict[str, float]:
        """Weights of the cost [1/EUR], co2 [1/kg] and import [1/kWh] terms."""
        if self.objective == "cost":
            return {"cost": 1.0, "co2": 0.0, "import": 0.0}
        if self.objective == "co2":
            return {"cost": TIE_BREAK_COST_WEIGHT, "co2": 1.0, "import": 0.0}
        if self.objective == "import":
            return {"cost": TIE_BREAK_COST_WEIGHT, "co2": 0.0, "import": 1.0}
        weights = dict(self.weights or {})
        return {k: float(weights.get(k, 0.0)) for k in ("cost", "co2", "import")}
