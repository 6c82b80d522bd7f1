"""How to optimise: objective, lighting mode, aggregation and solver settings.

The options are declared once, as pydantic models: :class:`DispatchChoices`
holds what the user of a run chooses (objective, lighting mode, solver
limits and method); :class:`DispatchOptions` adds what only the library
sets (aggregation, curtailment, penalties, threads);
:class:`energy.scenario.ScenarioOptions` adds the horizon, weather and grid
options of a run to the choices, and the API takes it as the body of a
scenario. Built in Python the models raise :class:`~energy.errors.InputDataError`
naming the field, the value and what is allowed; validated from data (an
API body, a stored row) they raise pydantic's ``ValidationError``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic._internal._model_construction import ModelMetaclass

from energy.errors import InputDataError

Objective = Literal["cost", "co2", "import", "weighted"]
SolverMethod = Literal["simplex", "ipm", "ipm_no_crossover", "choose"]
#: Self-sufficiency of electricity, or of electricity and heat (energy.optimisation.autarky).
AutarkyMetric = Literal["self_sufficiency", "self_sufficiency_heat"]

#: Dim-level steps of the MILP mode when ``lighting_levels="steps"`` [0..1] (LIGHTING.md).
DEFAULT_LEVEL_STEPS: tuple[float, ...] = (1.0, 0.75, 0.5, 0.3)
#: Weight of the cost [EUR] added to the co2 and import objectives to break ties
#: (e.g. curtail or export at zero feed-in) towards the cheaper schedule.
TIE_BREAK_COST_WEIGHT = 1e-4
#: Options of a dispatch that minimises import with cost as a tie-break (``import``'s weights
#: as a weighted objective, which sizing's capacity blocks accept): the highest self-sufficiency.
LEAST_IMPORT: dict[str, Any] = {
    "objective": "weighted",
    "weights": {"cost": TIE_BREAK_COST_WEIGHT, "import": 1.0},
}


def options_error(exc: ValidationError) -> str:
    """One line per problem of a ValidationError: ``field: value is not allowed; what is``."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "options"
        msg = err["msg"]
        if err["type"] == "value_error":
            lines.append(msg.removeprefix("Value error, "))
        else:
            lines.append(f"{loc}: {err.get('input')!r} is not allowed; {msg}")
    return "\n".join(lines)


class _RaisesInputDataError(ModelMetaclass):
    """Calling the class in Python raises InputDataError instead of ValidationError.

    Only the call is wrapped: validation from data (a request body, a stored
    row, ``model_validate``) builds instances without it and keeps pydantic's
    errors, located field by field.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            raise InputDataError(options_error(exc)) from exc


class OptionsModel(BaseModel, metaclass=_RaisesInputDataError):
    """Base of the option models: frozen, unknown fields are errors, InputDataError in Python."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class DispatchChoices(OptionsModel):
    """The dispatch options the user of a run chooses.

    Parameters
    ----------
    objective
        ``cost`` [EUR], ``co2`` [kg], ``import`` [kWh] or ``weighted``
        (``weights`` with keys ``cost``, ``co2``, ``import``). ``co2`` and
        ``import`` add the cost with weight :data:`TIE_BREAK_COST_WEIGHT` to
        break ties.
    weights
        Weights of the ``weighted`` objective's terms [1/EUR, 1/kg, 1/kWh].
    lighting_mode
        ``lp``: continuous dim level in [minimum, 1]; ``milp``: one of the
        discrete levels per step, at most ``max_changes_per_night`` changes.
    max_changes_per_night
        MILP: level changes per night and group (None: any).
    time_limit_s, mip_gap
        Solver limits [s, fraction]; a run stopped by them is never reported
        as optimal.
    method
        HiGHS algorithm: ``simplex`` (dual simplex), ``ipm`` (interior point
        with crossover), ``ipm_no_crossover`` or ``choose``. Stored options
        may call it ``solver_method``.
    import_cap_kw
        Import the optimiser keeps the district under [kW] where the batteries
        and lighting can (:class:`energy.optimisation.peak.PeakBlock`); None:
        only the grid connection's limit. Excess that cannot be avoided is
        reported, never dropped load.
    min_self_sufficiency, autarky_metric
        A minimum self-sufficiency over the horizon [0..1] (the minimal degree
        of autonomy of MVS; :class:`energy.optimisation.autarky.AutarkyBlock`)
        of electricity (``self_sufficiency``) or of electricity and heat
        (``self_sufficiency_heat``); None: no target. The cost optimum under
        it; a target the district cannot reach is an error that names the
        highest it reaches.
    """

    objective: Objective = Field("cost", description="cost, co2, import or weighted")
    weights: dict[str, float] | None = Field(None, description="Weights of a mixed objective")
    lighting_mode: Literal["lp", "milp"] = "lp"
    max_changes_per_night: int | None = Field(None, ge=0, le=100)
    time_limit_s: float | None = Field(None, gt=0, le=86400, description="Solver limit [s]")
    mip_gap: float | None = Field(None, ge=0, lt=1, description="Relative MIP gap [0..1)")
    method: SolverMethod = Field(
        "simplex",
        validation_alias=AliasChoices("method", "solver_method"),
        description="HiGHS method",
    )
    import_cap_kw: float | None = Field(
        None,
        gt=0,
        le=1e6,
        description="Keep import under this [kW] where batteries and lighting can (peak cap)",
    )
    min_self_sufficiency: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Minimum self-sufficiency over the horizon [0..1] (autarky target)",
    )
    autarky_metric: AutarkyMetric = Field(
        "self_sufficiency",
        description="Target of min_self_sufficiency: electricity, or electricity and heat",
    )

    @model_validator(mode="after")
    def _check_weights(self) -> DispatchChoices:
        if self.objective == "weighted" and not self.weights:
            raise ValueError(
                "weights: the weighted objective needs weights, e.g. {'cost': 1.0, 'co2': 0.1}"
            )
        for key, w in (self.weights or {}).items():
            if key not in ("cost", "co2", "import"):
                raise ValueError(
                    f"weights: {key!r} is not an objective term; allowed: cost, co2, import"
                )
            if not (math.isfinite(w) and w >= 0):
                raise ValueError(f"weights[{key!r}]: {w} is not allowed; it must be >= 0")
        return self

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

    def dispatch_options(self) -> DispatchOptions:
        """Return these choices as dispatch options, the library's own settings at their defaults.

        The values are validated already; they are copied, not validated again.
        """
        return DispatchOptions.model_construct(
            **{name: getattr(self, name) for name in DispatchChoices.model_fields}
        )


class DispatchOptions(DispatchChoices):
    """How to optimise: the choices of :class:`DispatchChoices` and the library's settings.

    Parameters
    ----------
    lighting_levels
        MILP levels: ``class`` (the group's class levels from the lighting
        inputs) or ``steps`` (``level_steps``).
    level_steps
        The levels of ``steps`` (0, 1].
    curtailment
        Allow curtailing curtailable PV.
    exclusive_flows
        Add binaries, in the steps where the objective would reward it, that
        forbid simultaneous import and export and simultaneous charge and
        discharge (see :func:`energy.optimisation.model.define_grid_exchange`).
    aggregate
        Merge identical batteries, curtailment and (LP) lighting on the copper
        plate (exact; ignored with a model block of stage ``"limits"``).
    penalty_eur_per_kwh
        Penalty on unmet load and unabsorbable surplus (soft balance); None
        picks 1000 x the largest objective coefficient.
    threads
        Solver threads (None: HiGHS default).
    presolve
        HiGHS presolve: ``on``, ``off``, or ``choose``: off for an LP (no
        integers) with matrix rows (heat pumps, EV charging:
        :class:`~energy.optimisation.rows.MatrixRows`), on otherwise. On the
        Gera heat and mobility district presolve made the dual simplex slower
        and took a third more memory (90 days: 41.6 s and 367 MB with it,
        22.8 s and 272 MB without, the same optimum; benchmarks/bench_flex.py).
    """

    lighting_levels: Literal["class", "steps"] = "class"
    level_steps: tuple[float, ...] = DEFAULT_LEVEL_STEPS
    curtailment: bool = True
    exclusive_flows: bool = True
    aggregate: bool = True
    penalty_eur_per_kwh: float | None = Field(None, gt=0)
    threads: int | None = None
    presolve: Literal["choose", "on", "off"] = "choose"

    @model_validator(mode="after")
    def _check_levels(self) -> DispatchOptions:
        if not self.level_steps or min(self.level_steps) <= 0 or max(self.level_steps) > 1:
            raise ValueError(f"level_steps: {self.level_steps} must lie in (0, 1]")
        return self
