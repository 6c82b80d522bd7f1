r"""Representative days: annual figures without a whole-year dispatch, with their error measured.

A sweep or a sizing study needs annual savings, NPV and payback for many
variants; a whole-year dispatch of each is the reference, one week scaled up
is not allowed (:mod:`energy.analysis.annual`). Representative days sit in
between: the year is summarised by ``k`` typical days with weights, each
typical day is dispatched on its own, and the annual figures are the weighted
sums. The error this makes is measured on every run against the whole year
(below) and reported with the figures.

Method (typical days by k-medoids, as tsam does)
------------------------------------------------
1. **Daily profiles.** For every local day of the calendar year of
   ``options.start`` (the whole-year inputs of :func:`energy.scenario.scenario_inputs`):
   the 24 hourly values of the district demand (buildings plus street lighting
   at S0), the available PV and the import price. A 23-hour spring DST day
   repeats its 01:00 value for the missing hour, a 25-hour autumn day averages
   its two 02:00 hours. Each of the three profiles is scaled to 0..1 by its
   minimum and maximum over the year, so that each weighs the same (the
   default normalisation of tsam, Kotzur et al. 2018).
2. **k-medoids.** The days are clustered by Euclidean distance of their
   72-value vectors with PAM (Partitioning Around Medoids: a greedy BUILD
   phase, then SWAP of medoid and non-medoid while the total distance falls;
   Kaufman and Rousseeuw, *Finding Groups in Data*, Wiley 1990, ch. 2,
   https://doi.org/10.1002/9780470316801.ch2). A medoid is a real day of the
   year, so its weather, load and prices are consistent with each other.
   Kotzur, Markewitz, Robinius, Stolten, "Impact of different time series
   aggregation methods on optimal energy system design", Renewable Energy 117
   (2018) 474-487, https://doi.org/10.1016/j.renene.2017.10.017, found
   medoids to reproduce the annual objective of energy-system optimisations
   best among the aggregation methods they compared; tsam
   (https://github.com/FZJ-IEK3-VSA/tsam) implements them. The weight of a
   medoid is the number of days of its cluster (the weights add up to the
   days of the year).
3. **Dispatch.** Each medoid day is a one-day scenario run
   (:func:`energy.scenario.run_scenario`, no AC check) with the options' other
   settings: optimum, B1, B0 and nothing built, each battery ending the day
   with the energy it started with (the equalisation of :mod:`energy.kpi`).
   Energy cannot move between typical days, so storage across days (a sunny
   weekend charging for a grey Monday) is lost; the measured error includes it.
4. **Annual figures.** Every additive KPI (EUR, kWh, kg) is the weighted sum
   of the days' values; peak import is the largest day peak, shares are
   recomputed from the annual sums; savings follow :func:`energy.kpi.savings`.

The error, measured (:attr:`AnnualFigures.error`)
-------------------------------------------------
The baselines are rules, cheap to simulate on the whole year. So every run
also simulates B1, B0 and nothing built over the whole year and compares
their annual figures with the representative ones: demand and PV energy,
the cost of each baseline and the savings between them (nothing built - B0:
what the PV brings; nothing built - B1: PV with rule-operated batteries and
lighting; B0 - B1: the rule's operation). Two error estimates follow:

* ``error_bound_frac``, the larger relative error of the two savings against
  nothing built: the estimate for the optimised savings against nothing
  built, i.e. for the annual savings the whole-system economics appraise.
  :meth:`AnnualFigures.economics` turns it into ranges of annual savings, NPV
  and payback (the appraisal at savings x (1 -/+ the estimate));
* ``operation_error_frac``, the relative error of B0 - B1: the estimate for
  the operation savings against B1 and B0, which are small differences of
  large costs. On Gera it is about 25 %: a typical day starts and ends with
  the batteries as they started, which hurts the rule (refilled from the grid
  every evening) more than the optimum. Use a whole year for those.

``energy annual --check-full-year`` runs the whole year as well and prints
both, so that anyone can see how well the estimate holds for the optimum.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from energy.analysis.annual import appraise_annual
from energy.analysis.economics import EconomicAssumptions, investment_items_from_district
from energy.baselines import baseline_b0, baseline_b1
from energy.district import District
from energy.errors import InputDataError
from energy.kpi import (
    BASELINES,
    COMPARISONS,
    NOTHING_BUILT,
    comparison_key,
    compute_kpis,
    nothing_built_schedule,
    savings,
)
from energy.progress import ProgressCallback, no_progress, scaled
from energy.scenario import ScenarioOptions, run_scenario, scenario_inputs
from energy.system import DispatchInputs

logger = logging.getLogger(__name__)

#: Typical days used when none are asked for.
DEFAULT_TYPICAL_DAYS = 12
#: KPIs that add up over days (the rest are recomputed from these sums).
ADDITIVE_KPIS = (
    "cost_eur",
    "energy_cost_eur",
    "throughput_cost_eur",
    "co2_kg",
    "e_import_kwh",
    "e_export_kwh",
    "e_consumption_kwh",
    "e_generation_kwh",
    "e_lighting_kwh",
    "e_lighting_class_rule_kwh",
    "e_curtailed_kwh",
    "e_charge_kwh",
    "e_discharge_kwh",
    "battery_losses_kwh",
    "battery_cycles",
    "delta_soc_kwh",
)
#: Profiles clustered per day (module docstring, step 1).
FEATURES = ("demand_kw", "pv_kw", "import_price_eur_per_kwh")


# -- typical days ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TypicalDays:
    """Medoid days of a year and what they stand for.

    Attributes
    ----------
    dates
        The medoid local dates, in calendar order.
    weights
        Days each medoid represents (same order; they add up to the year's days).
    assignment
        Every local day of the year -> its medoid.
    distance
        Total distance of the days to their medoids (the PAM objective, of the
        0..1-scaled profiles).
    """

    dates: tuple[dt.date, ...]
    weights: tuple[int, ...]
    assignment: dict[dt.date, dt.date]
    distance: float

    def describe(self) -> str:
        """Say how many typical days stand for how many days, e.g. for ``annual_basis``."""
        return (
            f"representative days: {len(self.dates)} k-medoids typical days for "
            f"{sum(self.weights)} days (energy.studies.representative)"
        )


def daily_profiles(inputs: DispatchInputs) -> pd.DataFrame:
    """Return the 24 hourly values per local day of demand, PV and price (step 1 above).

    Returns
    -------
    pandas.DataFrame
        Index: local dates; columns ``(feature, hour)`` for :data:`FEATURES`
        and hours 0..23, unscaled [kW, kW, EUR/kWh].
    """
    if inputs.dt_h != 1.0:
        raise InputDataError(
            f"resolution: {inputs.dt_h * 60:g} min steps; representative days are chosen on "
            "hourly inputs, use resolution 1h"
        )
    _, demand_s0 = inputs.demand_bounds_kw()  # buildings + lighting at full level (S0)
    series = pd.DataFrame(
        {
            "demand_kw": demand_s0,
            "pv_kw": inputs.pv_kw.to_numpy().sum(axis=1),
            "import_price_eur_per_kwh": inputs.import_price_eur_per_kwh,
        },
        index=inputs.index.tz_convert(inputs.timezone),
    )
    keys = [series.index.date, series.index.hour]
    by_hour = series.groupby(keys).mean()  # the 25-h day's two 02:00 hours averaged
    wide = by_hour.unstack(level=1)
    return wide.T.ffill().T  # the 23-h day's missing 02:00 takes 01:00


def k_medoids(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Partition points around ``k`` medoids by PAM (BUILD, then SWAP; module docstring).

    Parameters
    ----------
    points
        (n, d) points.
    k
        Number of medoids, 1 <= k <= n.

    Returns
    -------
    (medoids, labels)
        Indices of the medoids (sorted) and, per point, the index of its medoid
        in ``medoids``. Deterministic: ties go to the lower index.
    """
    n = len(points)
    if not 1 <= k <= n:
        raise InputDataError(f"typical_days: {k} is not allowed; it must be 1..{n}")
    dist = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2))
    medoids = [int(np.argmin(dist.sum(axis=1)))]
    nearest = dist[medoids[0]].copy()
    while len(medoids) < k:  # BUILD: the point that lowers the total distance most
        gain = np.maximum(nearest[None, :] - dist, 0.0).sum(axis=1)
        gain[medoids] = -1.0
        medoids.append(int(np.argmax(gain)))
        nearest = np.minimum(nearest, dist[medoids[-1]])
    cost = float(dist[medoids].min(axis=0).sum())
    improved = True
    while improved:  # SWAP: best single exchange while it lowers the total distance
        improved = False
        best = (cost, -1, -1)
        for i in range(k):
            others = [m for j, m in enumerate(medoids) if j != i]
            rest = dist[others].min(axis=0) if others else np.full(n, np.inf)
            totals = np.minimum(rest[None, :], dist).sum(axis=1)
            totals[medoids] = np.inf
            h = int(np.argmin(totals))
            if totals[h] < best[0] - 1e-12:
                best = (float(totals[h]), i, h)
        if best[1] >= 0:
            medoids[best[1]] = best[2]
            cost = best[0]
            improved = True
    order = np.array(sorted(medoids))
    labels = np.argmin(dist[order], axis=0)
    return order, labels


def typical_days(inputs: DispatchInputs, k: int = DEFAULT_TYPICAL_DAYS) -> TypicalDays:
    """Choose ``k`` typical days of the inputs' days by k-medoids (module docstring)."""
    profiles = daily_profiles(inputs)
    scaled_profiles = []
    for feature in FEATURES:
        block = profiles[feature].to_numpy(dtype=float)
        lo, hi = float(block.min()), float(block.max())
        scaled_profiles.append((block - lo) / (hi - lo) if hi > lo else np.zeros_like(block))
    points = np.hstack(scaled_profiles)
    medoids, labels = k_medoids(points, k)
    days = list(profiles.index)
    centre = points[medoids][labels]
    return TypicalDays(
        dates=tuple(days[i] for i in medoids),
        weights=tuple(int((labels == j).sum()) for j in range(len(medoids))),
        assignment={day: days[medoids[label]] for day, label in zip(days, labels, strict=True)},
        distance=float(np.sqrt(((points - centre) ** 2).sum(axis=1)).sum()),
    )


# -- annual figures --------------------------------------------------------------------------
def weighted_kpis(
    days: Sequence[Mapping[str, float]], weights: Sequence[float]
) -> dict[str, float]:
    """Annual KPIs from days' KPIs and weights (module docstring, step 4)."""
    out = {
        key: math.fsum(w * float(d[key]) for d, w in zip(days, weights, strict=True))
        for key in ADDITIVE_KPIS
        if all(key in d for d in days)
    }
    peaks = [float(d["peak_import_kw"]) for d in days]
    rates = [
        float(d["peak_cost_eur"]) / p if p > 0 else 0.0 for d, p in zip(days, peaks, strict=True)
    ]
    out["peak_import_kw"] = max(peaks)
    out["peak_cost_eur"] = max(rates) * max(peaks)
    out["cost_eur"] = out["energy_cost_eur"] + out["throughput_cost_eur"] + out["peak_cost_eur"]
    cons, gen = out["e_consumption_kwh"], out["e_generation_kwh"]
    out["self_sufficiency"] = 1.0 - out["e_import_kwh"] / cons if cons > 0 else math.nan
    out["self_consumption"] = 1.0 - out["e_export_kwh"] / gen if gen > 0 else math.nan
    return out


def _relative(full: float, representative: float) -> dict[str, float]:
    error = (representative - full) / abs(full) if full else math.nan
    return {"full_year": full, "representative": representative, "relative_error": error}


def baseline_check(
    year: DispatchInputs, kpis: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    """Whole-year baselines against their representative figures (module docstring).

    Parameters
    ----------
    year
        The whole year's inputs.
    kpis
        Representative annual KPIs of ``B1``, ``B0`` and ``nothing_built``.
    """
    b0 = baseline_b0(year).schedule
    full = {
        "B0": compute_kpis(b0, year.batteries, year.peak_charge_eur_per_kw),
        "B1": compute_kpis(baseline_b1(year).schedule, year.batteries, year.peak_charge_eur_per_kw),
        NOTHING_BUILT: compute_kpis(nothing_built_schedule(b0), (), year.peak_charge_eur_per_kw),
    }
    check = {
        "demand_kwh": _relative(full["B0"]["e_consumption_kwh"], kpis["B0"]["e_consumption_kwh"]),
        "pv_kwh": _relative(full["B0"]["e_generation_kwh"], kpis["B0"]["e_generation_kwh"]),
    }
    for name in COMPARISONS:
        check[f"cost_eur:{name}"] = _relative(full[name]["cost_eur"], kpis[name]["cost_eur"])
    for high, low in ((NOTHING_BUILT, "B0"), (NOTHING_BUILT, "B1"), ("B0", "B1")):
        check[f"saving_eur:{low}_vs_{high}"] = _relative(
            full[high]["cost_eur"] - full[low]["cost_eur"],
            kpis[high]["cost_eur"] - kpis[low]["cost_eur"],
        )
    return check


@dataclass
class AnnualFigures:
    """Annual KPIs and savings from representative days, with their measured error.

    Attributes
    ----------
    kpis
        Annual KPIs of ``optimised``, ``B1``, ``B0`` and ``nothing_built``.
    savings
        ``vs_B1``, ``vs_B0``, ``vs_nothing_built`` (:func:`energy.kpi.savings`).
    typical
        The typical days and their weights.
    error
        Whole-year baselines against their representative figures
        (:func:`baseline_check`): ``full_year``, ``representative``,
        ``relative_error`` per check.
    error_bound_frac
        Error estimate of the savings against nothing built (the economics'):
        the larger relative error of the baselines' savings against nothing
        built (module docstring).
    operation_error_frac
        Error estimate of the savings against B1 and B0: the relative error
        of the baselines' B0 - B1 saving.
    days
        The one-day results' records: date, weight, KPIs per schedule.
    timings_s
        ``inputs_s``, ``typical_days_s``, ``dispatch_s``, ``check_s``, ``total_s``.
    """

    kpis: dict[str, dict[str, float]]
    savings: dict[str, dict[str, float]]
    typical: TypicalDays
    error: dict[str, dict[str, float]]
    error_bound_frac: float
    operation_error_frac: float
    days: list[dict[str, Any]]
    timings_s: dict[str, float]

    @property
    def annual_basis(self) -> str:
        """Where the annual figures come from (the ``annual_basis`` of economics)."""
        return self.typical.describe()

    def economics(
        self, district: District, assumptions: EconomicAssumptions | None = None
    ) -> dict[str, Any]:
        """Whole-system economics against nothing built, with ranges from the error estimate.

        The appraisal of :mod:`energy.analysis.compare`'s whole-system view,
        plus ``error_bound_frac`` and the appraisal at the annual savings x
        (1 -/+ ``error_bound_frac``): ``annual_savings_range_eur``,
        ``npv_range_eur`` and ``payback_simple_range_years`` (low, high).
        """
        items = investment_items_from_district(district)
        saved = self.savings[comparison_key(NOTHING_BUILT)]["cost_eur"]
        generation = self.kpis["optimised"]["e_generation_kwh"]
        out = appraise_annual(items, saved, generation, assumptions, annual_basis=self.annual_basis)
        b = self.error_bound_frac
        low, high = (
            appraise_annual(items, saved * f, generation, assumptions) for f in (1 - b, 1 + b)
        )
        out["error_bound_frac"] = b
        out["annual_savings_range_eur"] = [low["annual_savings_eur"], high["annual_savings_eur"]]
        out["npv_range_eur"] = [low["npv_eur"], high["npv_eur"]]
        out["payback_simple_range_years"] = [
            high["payback_simple_years"],
            low["payback_simple_years"],
        ]
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: KPIs, savings, typical days, error, timings."""
        typical = dataclasses.asdict(self.typical)
        typical["assignment"] = {str(k): str(v) for k, v in self.typical.assignment.items()}
        typical["dates"] = [str(d) for d in self.typical.dates]
        return {
            "annual_basis": self.annual_basis,
            "kpis": self.kpis,
            "savings": self.savings,
            "typical_days": typical,
            "error": self.error,
            "error_bound_frac": self.error_bound_frac,
            "operation_error_frac": self.operation_error_frac,
            "days": self.days,
            "timings_s": self.timings_s,
        }


def _year_options(options: ScenarioOptions) -> ScenarioOptions:
    """Return the options of the calendar year of ``options.start``, without a grid."""
    first = dt.date(options.start.year, 1, 1)
    days = (dt.date(first.year + 1, 1, 1) - first).days
    return options.model_copy(
        update={"start": first, "days": days, "ac_check": False, "grid_aware": False}
    )


def run_representative(
    district: District,
    options: ScenarioOptions,
    k: int = DEFAULT_TYPICAL_DAYS,
    progress: ProgressCallback | None = None,
) -> AnnualFigures:
    """Annual figures of a district from ``k`` typical days (module docstring).

    Parameters
    ----------
    district
        The district (with a scenario's changes applied).
    options
        Run options; the year is the calendar year of ``options.start``, the
        resolution must be 1h; ``days``, ``ac_check`` and ``grid_aware`` are
        not used (each typical day is a one-day run without a grid).
    k
        Number of typical days.
    progress
        Optional progress callback.
    """
    report = progress or no_progress
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    year_options = _year_options(options)
    year = scenario_inputs(district, year_options)
    timings["inputs_s"] = time.perf_counter() - t0
    t = time.perf_counter()
    typical = typical_days(year, k)
    timings["typical_days_s"] = time.perf_counter() - t
    t = time.perf_counter()
    records: list[dict[str, Any]] = []
    day_kpis: list[dict[str, dict[str, float]]] = []
    for i, (date, weight) in enumerate(zip(typical.dates, typical.weights, strict=True)):
        part = scaled(report, 0.1 + 0.8 * i / k, 0.1 + 0.8 * (i + 1) / k)
        day = run_scenario(
            district, year_options.model_copy(update={"start": date, "days": 1}), part
        )
        records.append({"date": str(date), "weight": weight, "kpis": day.kpis})
        day_kpis.append(day.kpis)
    timings["dispatch_s"] = time.perf_counter() - t
    names = ("optimised", *BASELINES, NOTHING_BUILT)
    kpis = {name: weighted_kpis([d[name] for d in day_kpis], typical.weights) for name in names}
    saved = {comparison_key(n): savings(kpis[n], kpis["optimised"]) for n in COMPARISONS}
    report(0.9, "whole-year baselines for the error of the typical days")
    t = time.perf_counter()
    check = baseline_check(year, kpis)
    timings["check_s"] = time.perf_counter() - t
    bound = max(
        abs(check[f"saving_eur:{name}_vs_{NOTHING_BUILT}"]["relative_error"]) for name in BASELINES
    )
    operation = abs(check["saving_eur:B1_vs_B0"]["relative_error"])
    timings["total_s"] = time.perf_counter() - t0
    logger.debug(
        "%d typical days; error estimates %.2f %%, %.2f %%", k, 100 * bound, 100 * operation
    )
    report(
        1.0, f"{k} typical days; error estimate of the savings vs nothing built {100 * bound:.1f} %"
    )
    return AnnualFigures(kpis, saved, typical, check, bound, operation, records, timings)
