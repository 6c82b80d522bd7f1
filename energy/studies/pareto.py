r"""What autarky costs: cost-optimal design and dispatch for a sequence of autarky targets.

:func:`pareto` sizes the candidates of a :class:`~energy.studies.candidates.SizingSpec`
(PV, battery) together with the dispatch (:func:`energy.studies.sizing.solve_sized`)
for self-sufficiency targets from the plain cost optimum's value up to the
highest the candidates allow:

1. the highest feasible self-sufficiency :math:`s_{max}`: the model
   minimising import (the ``import`` objective, cost only as a tie-break);
2. the cost optimum without a target: the first point, its self-sufficiency
   :math:`s_0`;
3. ``points - 2`` targets evenly between, and :math:`s_{max}` itself, each
   the cost optimum under a minimum self-sufficiency
   (:class:`~energy.optimisation.autarky.AutarkyBlock`).

The cost model is built and handed to HiGHS once, with the target row free
for the first point; each target then changes one coefficient and one bound
in HiGHS (:func:`~energy.optimisation.autarky.set_target`) and dual simplex
starts from the previous optimal basis
(:class:`~energy.optimisation.dispatch.HandedOverDispatch`): on two summer
weeks of the Gera heat and mobility district a target took 1.4-2.8 s
instead of 8.0-9.5 s from scratch, with the same objective to 1e-12.
``metadata["timings_s"]["solves_s"]`` has the HiGHS time of each point.

When the cost optimum already reaches :math:`s_{max}` there is one point
(``metadata["note"]`` says so).

Each point's **annual cost** is the annualised capital and operating cost of
the capacities built (:func:`energy.analysis.economics.annual_cost_eur_per_unit`
through :meth:`SizingSpec.annual_cost_per_unit`) plus the energy cost of the
operation, scaled to a year when the horizon is shorter
(``extrapolated_from`` says so). A tighter target only removes feasible
designs, so the cost never falls as the target rises (up to solver
tolerance), and the first point is the plain cost optimum.

Heat storage is reported as installed (the district's tanks and thermal mass,
usable kWh); it is not sized here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from energy.analysis.annual import annualisation
from energy.district import District
from energy.errors import InputDataError
from energy.optimisation.autarky import AutarkyBlock, AutarkyMetric, set_target
from energy.optimisation.dispatch import HandedOverDispatch
from energy.optimisation.options import LEAST_IMPORT
from energy.progress import ProgressCallback, no_progress
from energy.scenario import ScenarioOptions
from energy.serialise import RESULTS_LICENCE
from energy.studies.candidates import SizingSpec
from energy.studies.sizing import SizedSolution, sized_solution, sizing_inputs, solve_sized
from energy.system import DispatchInputs
from energy.timeindex import horizon_label

#: Below the highest self-sufficiency found, so that the last target stays feasible [-].
TARGET_MARGIN = 1e-6


@dataclass
class ParetoResult:
    """The points of :func:`pareto` and what they rest on.

    ``points``: one dict per point (:func:`point_record`), by rising target.
    """

    metric: str
    points: list[dict[str, Any]]
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (the CLI's ``--json``, the API's job result)."""
        return {"metric": self.metric, "points": self.points, "metadata": self.metadata}


def heat_storage_kwh(inputs: DispatchInputs) -> float:
    """Usable heat storage installed [kWh]: the band of every tank and thermal mass."""
    if inputs.flex is None:
        return 0.0
    return float(
        sum(u.store.e_max_kwh - u.store.e_min_kwh for u in inputs.flex.heat_pumps if u.store)
    )


def point_record(
    sized: SizedSolution, target: float | None, metric: str, heat_kwh: float
) -> dict[str, Any]:
    """One point: target, shares reached, annual cost and its parts, capacities.

    Costs in EUR per year: ``annual_cost_eur_per_year`` = ``capacity_eur_per_year``
    (annuity + O&M of the capacities built) + ``operation_eur_per_year`` (energy
    cost of the horizon / its length in years).
    """
    years = sized.costs["horizon_years"]
    capacity = sized.costs["annual_cost_eur_per_year"]
    operation = sized.kpis["cost_eur"] / years
    caps = sized.caps
    return {
        "target": target,
        "self_sufficiency": sized.kpis["self_sufficiency"],
        "self_sufficiency_heat": sized.kpis.get("self_sufficiency_heat"),
        "reached": sized.kpis.get(metric),
        "annual_cost_eur_per_year": capacity + operation,
        "capacity_eur_per_year": capacity,
        "operation_eur_per_year": operation,
        "capex_eur": sized.costs["capex_eur"],
        "pv_kwp": caps.pv_kwp or 0.0,
        "battery_kwh": caps.battery_kwh or 0.0,
        "battery_kw": caps.battery_kw or 0.0,
        "heat_storage_kwh": heat_kwh,
        "e_import_kwh": sized.kpis["e_import_kwh"],
    }


def pareto(
    district: District,
    options: ScenarioOptions,
    spec: SizingSpec,
    points: int = 8,
    metric: AutarkyMetric = "self_sufficiency",
    progress: ProgressCallback | None = None,
) -> ParetoResult:
    """Cost-optimal design and dispatch for ``points`` autarky targets (module docstring).

    Parameters
    ----------
    district
        The district; the candidates of ``spec`` come in addition.
    options
        Horizon, resolution, weather, solver settings (the objective is cost).
    spec
        Candidates and economics, as for :func:`energy.studies.sizing.size`.
    points
        Number of points, >= 2 (the cost optimum and the highest autarky included).
    metric
        ``self_sufficiency`` (electricity) or ``self_sufficiency_heat``
        (electricity and heat).

    Raises
    ------
    InputDataError
        Bad ``points`` or ``metric``, or an objective other than cost.
    """
    if not 2 <= points <= 50:
        raise InputDataError(f"points: {points} is not allowed; it must lie in 2..50")
    AutarkyBlock(None, metric)  # checks the metric
    if options.objective != "cost":
        raise InputDataError(
            f"objective: {options.objective!r} is not allowed; the Pareto front minimises cost"
        )
    report = progress or no_progress
    t0 = time.perf_counter()
    inputs, spec, _ = sizing_inputs(district, options, spec)
    # the front sets its own targets: a run's minimum self-sufficiency does not apply
    dispatch = options.dispatch_options().model_copy(update={"min_self_sufficiency": None})
    heat_kwh = heat_storage_kwh(inputs)
    step = 1.0 / (points + 1)
    report(0.0, "highest feasible self-sufficiency")
    most = solve_sized(inputs, spec, dispatch.model_copy(update=LEAST_IMPORT))
    s_max = float(most.kpis[metric]) - TARGET_MARGIN
    del most  # its model and schedule, before the cost model takes its memory
    report(step, "cost optimum without a target")
    block = spec.block(inputs)
    model = HandedOverDispatch(inputs, dispatch, [block, AutarkyBlock(None, metric)])
    solve_s = [0.0]

    def solved() -> SizedSolution:
        sized = sized_solution(inputs, spec, block, model.solve())
        solve_s.append(sized.solution.result.timings_s["solve"])
        return sized

    first = solved()
    s0 = float(first.kpis[metric])
    records = [point_record(first, None, metric, heat_kwh)]
    targets = np.linspace(s0, s_max, points)[1:] if s_max > s0 else np.array([])
    for i, target in enumerate(targets.tolist()):
        report((i + 2) * step, f"target {metric} {100 * target:.1f} %")
        set_target(model.handed_over(), target)
        records.append(point_record(solved(), target, metric, heat_kwh))
    model.close()
    meta = {
        "licence": RESULTS_LICENCE,
        "district": {"name": district.site.name, "spec_hash": district.spec_hash()},
        "options": options.model_dump(mode="json"),
        "highest_feasible": s_max + TARGET_MARGIN,
        "extrapolated_from": annualisation(
            inputs.n_steps * inputs.dt_h, horizon_label(inputs.index, district.site.timezone)
        )[1],
        "heat_storage": "installed tanks and thermal mass (usable kWh), not sized",
        "timings_s": {
            "total_s": time.perf_counter() - t0,
            "solves_s": solve_s[1:],
            "cost_model": {"build_s": model.build_s, "handover_s": model.handover_s},
        },
    }
    if len(records) < points:
        meta["note"] = (
            f"one point only: the cost optimum already reaches the highest feasible {metric} "
            f"({100 * s0:.2f} %)"
        )
    report(1.0, f"{len(records)} points from {100 * s0:.1f} % to {100 * (s_max):.1f} %")
    return ParetoResult(metric=metric, points=records, metadata=meta)
