"""Savings for dashboards: per day, week, month and year, split by source.

A city dashboard asks "what did the smart lighting, the batteries and the PV
save this month, in euros, kWh and kg CO2, and how much more of our power is
our own?". This module answers from a :class:`~energy.scenario.ScenarioResult`
with the one savings vocabulary of :mod:`energy.kpi` (and
``docs/definitions.md``): every figure names its comparison, ``B1`` (the
headline: self-consumption rule, lighting S1), ``B0`` (the reference: no
control, lighting S0) or ``nothing_built`` (no PV, no battery, lighting S0),
and a saving is positive when the optimised schedule is better.

Definitions
-----------
Per step ``t`` of length ``dt`` [h], for the optimised schedule ``o`` and a
comparison schedule ``X``; ``p`` is the import price, ``f`` the feed-in tariff
[EUR/kWh], ``g`` the CO2 intensity [g/kWh]; ``imp``, ``exp``, ``light``,
``gen`` = PV after curtailment, all in kW.

Cost of a schedule per step [EUR]
    ``(p imp - f exp) dt`` plus its battery throughput cost spread over the
    steps in proportion to the discharged energy, plus its peak charge spread
    evenly over the steps of the horizon (the tariff charges the horizon's
    peak once; a dashboard period carries its share of time). The steps add up
    to the schedule's ``cost_eur`` of :func:`energy.kpi.compute_kpis`.

Total
    **total** = ``X - o`` for cost, import (``imp dt``) and CO2 (``imp g dt /
    1000``). Over the horizon it equals ``ScenarioResult.savings["vs_X"]``, the
    figure ``/runs/{id}/results``, ``/compare``, the CLI and the exports show.
    The sources below add up to it exactly in every period.

Sources
    * **lighting** = ``(light_X - light_o) dt`` [kWh], valued at the step's
      import price and CO2 intensity and counted as import saved (lighting
      burns at night, when the district imports). It splits into
      **lighting_class_rule** = ``(light_X - light_c) dt`` and
      **lighting_optimisation** = ``(light_c - light_o) dt``, with ``light_c``
      the lighting at the traffic-adaptive class minimum
      (:func:`energy.baselines.class_rule_lighting_kw`, the schedule's
      ``lighting_class_rule_kw``); these two are parts of lighting, not added
      again into the total. The LP sits at the class minimum, so its
      optimisation part is 0.
    * **pv** = 0 against B0 and B1 (they have the same PV as the optimum).
      Against ``nothing_built`` it is what the PV brings with the batteries
      idle: the B0 schedule against the same schedule without PV (the same
      loads, lighting and battery flows, the PV energy ``gen`` replaced by
      the grid: net ``n' = imp_B0 - exp_B0 + gen_B0`` settled as ``imp' =
      max(n', 0)``, ``exp' = max(-n', 0)``), i.e. each PV kWh valued at the
      import price where it displaced import and at the feed-in tariff where
      it was exported, peak-charge effect included.
    * **battery** = total - pv - lighting: battery dispatch, including the
      tariff-driven shifting of import and export, changed curtailment, the
      peak charge and (against ``nothing_built``) the idle batteries' standby.

Self-sufficiency points
    Self-sufficiency ``a = 1 - I / C`` of a period (import ``I`` over
    consumption ``C`` = buildings + lighting, DESIGN.md), gained against
    ``X``, in percentage points: ``100 (I_X/C_X - I_o/C_o)``. The optimised
    schedule consumes ``C_o = C_X - dL`` (lighting saved ``dL``). With each
    source's import saved ``dI_s`` (adding up to ``I_X - I_o``), a source gets
    ``100 dI_s / C_X``, and lighting in addition ``-100 (I_o/C_o) dL / C_X``
    (less consumption also shrinks the base of the ratio); the lighting parts
    share lighting's points in proportion to their kWh. The sources add up
    exactly to the total. Points of a period are a ratio of that period's sums:
    they do not add up over periods, the other metrics do.

Periods are local (the district's time zone, Europe/Berlin for Gera): days
from local midnight, ISO weeks from Monday, calendar months and years. A
period cut by the horizon holds only the steps inside it (``hours`` and
``complete`` tell); a ``year`` of a 7-day run is those 7 days, not a year.

Exports carry their licence: CC-BY-4.0 for our results, plus ODbL-1.0 where a
SimBench grid went in (:func:`energy.report.exports.export_info`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from energy.errors import InputDataError
from energy.kpi import (
    CLASS_RULE_COLUMN,
    COMPARISON_LABELS,
    COMPARISONS,
    NOTHING_BUILT,
    nothing_built_schedule,
)
from energy.report.exports import csv_with_header, export_info, header_lines, write_json
from energy.scenario import ScenarioResult
from energy.serialise import json_safe
from energy.timeindex import require_utc_index, step_hours

logger = logging.getLogger(__name__)

#: Sources of savings, in the order they are reported; ``total`` is their sum.
SOURCES = ("pv", "battery", "lighting")
#: The two parts of ``lighting`` (not added again into ``total``; module docstring).
LIGHTING_PARTS = ("lighting_class_rule", "lighting_optimisation")
#: Comparisons savings are computed against, headline first (energy.kpi).
BASELINES = COMPARISONS
#: Metrics and their units.
METRICS = {
    "cost_eur": "EUR",
    "e_import_kwh": "kWh",
    "co2_kg": "kg CO2",
    "self_sufficiency_points": "percentage points",
}
#: Additive metrics (sums over steps and periods).
ADDITIVE_METRICS = ("cost_eur", "e_import_kwh", "co2_kg")
#: Period name -> pandas period frequency (None: the whole horizon).
PERIODS: dict[str, str | None] = {
    "day": "D",
    "week": "W-SUN",
    "month": "M",
    "year": "Y",
    "horizon": None,
}


# -- per-step savings ----------------------------------------------------------------------
def peak_rate_eur_per_kw(kpis: Mapping[str, float]) -> float:
    """Peak charge [EUR/kW] recovered from a schedule's KPIs (0 without import)."""
    peak = float(kpis["peak_import_kw"])
    return float(kpis["peak_cost_eur"]) / peak if peak > 0 else 0.0


def step_cost_eur(schedule: pd.DataFrame, kpis: Mapping[str, float]) -> np.ndarray:
    """Cost of a schedule per step [EUR]; the steps add up to ``kpis["cost_eur"]``.

    ``(price x import - feed-in x export) x dt``, plus the throughput cost
    ``kpis["throughput_cost_eur"]`` spread in proportion to the discharged
    energy and the peak charge ``kpis["peak_cost_eur"]`` spread evenly over
    the steps (module docstring).
    """
    dt = step_hours(require_utc_index(schedule.index, "schedule"))
    n = len(schedule)
    energy = (
        schedule["import_price_eur_per_kwh"].to_numpy() * schedule["p_import_kw"].to_numpy()
        - schedule["feed_in_eur_per_kwh"].to_numpy() * schedule["p_export_kw"].to_numpy()
    ) * dt
    dis = schedule["p_discharge_kw"].to_numpy()
    total_dis = float(dis.sum())
    throughput = float(kpis["throughput_cost_eur"])
    spread = dis / total_dis * throughput if total_dis > 0 else np.full(n, throughput / n)
    return energy + spread + float(kpis["peak_cost_eur"]) / n


def comparison_schedule(result: ScenarioResult, name: str) -> pd.DataFrame:
    """Return the schedule of comparison ``name`` (``B1``, ``B0`` or ``nothing_built``)."""
    if name not in BASELINES:
        raise InputDataError(f"baseline: {name!r} is not allowed; allowed: {', '.join(BASELINES)}")
    source = "B0" if name == NOTHING_BUILT else name
    schedule = result.baselines.get(source)
    if schedule is None:
        raise InputDataError(
            f"baseline {name}: the result holds no {source} schedule; run the scenario with "
            "energy.scenario.run_scenario, or recompute the baselines with "
            "energy.report.results.baselines_for_run"
        )
    if not schedule.index.equals(result.schedule.index):
        raise InputDataError(
            f"baseline {name}: its time index differs from the optimised schedule's "
            f"({len(schedule)} vs {len(result.schedule)} steps)"
        )
    return nothing_built_schedule(schedule) if name == NOTHING_BUILT else schedule


def _valued(kwh: np.ndarray, price: np.ndarray, kg_per_kwh: np.ndarray) -> dict[str, np.ndarray]:
    """Energy saved per step valued at the import price and CO2 intensity."""
    return {"cost_eur": kwh * price, "e_import_kwh": kwh, "co2_kg": kwh * kg_per_kwh}


def _pv_of_b0(result: ScenarioResult, dt: float) -> dict[str, np.ndarray]:
    """Return what the PV brings in B0 per step: B0 against B0 without PV (module docstring)."""
    b = result.baselines["B0"]
    price = b["import_price_eur_per_kwh"].to_numpy()
    feed = b["feed_in_eur_per_kwh"].to_numpy()
    imp_b = b["p_import_kw"].to_numpy()
    exp_b = b["p_export_kw"].to_numpy()
    net_nopv = imp_b - exp_b + b["pv_kw"].to_numpy() - b["pv_curtailed_kw"].to_numpy()
    imp_nopv = np.maximum(net_nopv, 0.0)
    exp_nopv = np.maximum(-net_nopv, 0.0)
    peak_delta = peak_rate_eur_per_kw(result.kpis["B0"]) * (
        float(imp_nopv.max()) - float(imp_b.max())
    )
    return {
        "cost_eur": (price * (imp_nopv - imp_b) - feed * (exp_nopv - exp_b)) * dt
        + peak_delta / len(b),
        "e_import_kwh": (imp_nopv - imp_b) * dt,
        "co2_kg": (imp_nopv - imp_b) * dt * b["co2_g_per_kwh"].to_numpy() / 1000.0,
    }


def _comparison_kpis(result: ScenarioResult, name: str, x: pd.DataFrame) -> Mapping[str, float]:
    """Return the comparison's KPIs as the run computed them (recomputed for older runs)."""
    if name in result.kpis:
        return result.kpis[name]
    from energy.kpi import compute_kpis

    return compute_kpis(x, (), peak_rate_eur_per_kw(result.kpis["B0"]))


def step_savings(result: ScenarioResult, baseline: str) -> pd.DataFrame:
    """Return the savings per step against ``baseline``, by source (module docstring).

    Returns
    -------
    pandas.DataFrame
        On the result's UTC index. Columns ``"<metric>:<source>"`` for the
        additive metrics (``cost_eur``, ``e_import_kwh``, ``co2_kg``), the
        sources ``pv``, ``battery``, ``lighting`` and the lighting parts
        (:data:`LIGHTING_PARTS`; NaN for runs stored without
        ``lighting_class_rule_kw``); and the sums a period's self-sufficiency
        needs: ``e_import_kwh:reference`` (the comparison's),
        ``e_import_kwh:optimised``, ``e_consumption_kwh:reference``,
        ``e_consumption_kwh:optimised`` and ``e_lighting_saved_kwh``.
    """
    o = result.schedule
    x = comparison_schedule(result, baseline)
    dt = step_hours(require_utc_index(o.index, "schedule"))
    price = o["import_price_eur_per_kwh"].to_numpy()
    kg_per_kwh = o["co2_g_per_kwh"].to_numpy() / 1000.0
    imp_o = o["p_import_kw"].to_numpy()
    imp_x = x["p_import_kw"].to_numpy()
    cost = step_cost_eur(x, _comparison_kpis(result, baseline, x)) - step_cost_eur(
        o, result.kpis["optimised"]
    )
    total = {
        "cost_eur": cost,
        "e_import_kwh": (imp_x - imp_o) * dt,
        "co2_kg": (imp_x - imp_o) * dt * kg_per_kwh,
    }
    light_x, light_o = x["lighting_kw"].to_numpy(), o["lighting_kw"].to_numpy()
    light_c = o[CLASS_RULE_COLUMN].to_numpy() if CLASS_RULE_COLUMN in o else np.full(len(o), np.nan)
    lighting = _valued((light_x - light_o) * dt, price, kg_per_kwh)
    parts = {
        "lighting_class_rule": _valued((light_x - light_c) * dt, price, kg_per_kwh),
        "lighting_optimisation": _valued((light_c - light_o) * dt, price, kg_per_kwh),
    }
    zero = np.zeros(len(o))
    pv = _pv_of_b0(result, dt) if baseline == NOTHING_BUILT else dict.fromkeys(total, zero)
    cols: dict[str, np.ndarray] = {}
    for metric in ADDITIVE_METRICS:
        cols[f"{metric}:pv"] = pv[metric]
        cols[f"{metric}:battery"] = total[metric] - pv[metric] - lighting[metric]
        cols[f"{metric}:lighting"] = lighting[metric]
        for part in LIGHTING_PARTS:
            cols[f"{metric}:{part}"] = parts[part][metric]
    cols["e_import_kwh:reference"] = imp_x * dt
    cols["e_import_kwh:optimised"] = imp_o * dt
    cols["e_consumption_kwh:reference"] = (x["load_kw"].to_numpy() + light_x) * dt
    cols["e_consumption_kwh:optimised"] = (o["load_kw"].to_numpy() + light_o) * dt
    cols["e_lighting_saved_kwh"] = (light_x - light_o) * dt
    return pd.DataFrame(cols, index=o.index)


def _points(sums: Mapping[str, float]) -> dict[str, float]:
    """Self-sufficiency points gained by source and lighting part (module docstring)."""
    c_ref = sums["e_consumption_kwh:reference"]
    c_o = sums["e_consumption_kwh:optimised"]
    if c_ref <= 0 or c_o <= 0:
        return {s: math.nan for s in (*SOURCES, "total", *LIGHTING_PARTS)}
    i_ref = sums["e_import_kwh:reference"]
    i_o = sums["e_import_kwh:optimised"]
    out = {s: 100.0 * sums[f"e_import_kwh:{s}"] / c_ref for s in SOURCES}
    out["lighting"] -= 100.0 * (i_o / c_o) * sums["e_lighting_saved_kwh"] / c_ref
    out["total"] = 100.0 * (i_ref / c_ref - i_o / c_o)
    for part in LIGHTING_PARTS:
        out[part] = 100.0 * sums[f"e_import_kwh:{part}"] * (1.0 - i_o / c_o) / c_ref
    return out


# -- periods -------------------------------------------------------------------------------
def _localize(naive: pd.Timestamp, tz: str) -> pd.Timestamp:
    return naive.tz_localize(tz, ambiguous=False, nonexistent="shift_forward")


def _period_label(period: str, start: pd.Timestamp) -> str:
    if period == "day":
        return start.strftime("%Y-%m-%d")
    if period == "week":
        iso = start.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    if period == "month":
        return start.strftime("%Y-%m")
    if period == "year":
        return start.strftime("%Y")
    return "horizon"


def period_table(index: pd.DatetimeIndex, period: str, tz: str) -> pd.DataFrame:
    """Local period of every step of a UTC index.

    Returns
    -------
    pandas.DataFrame
        On ``index``: ``period_start`` (local, tz-aware), ``period_end`` (the
        next period's start; the horizon's end for ``horizon``) and ``period``
        (label: ``2025-06-30``, ``2025-W27``, ``2025-06``, ``2025`` or
        ``horizon``).
    """
    if period not in PERIODS:
        raise InputDataError(f"period: {period!r} is not allowed; allowed: {', '.join(PERIODS)}")
    index = require_utc_index(index, "schedule")
    local = index.tz_convert(tz)
    freq = PERIODS[period]
    if freq is None:
        dt = index[1] - index[0] if len(index) > 1 else pd.Timedelta(hours=1)
        keys = np.zeros(len(index), dtype=int)
        bounds = {0: (local[0], (index[-1] + dt).tz_convert(tz))}
    else:
        periods = local.tz_localize(None).to_period(freq)
        unique = periods.unique()
        keys = unique.get_indexer(periods)
        bounds = {
            i: (_localize(p.start_time, tz), _localize((p + 1).start_time, tz))
            for i, p in enumerate(unique)
        }
    starts = pd.Series([bounds[k][0] for k in range(len(bounds))])
    ends = pd.Series([bounds[k][1] for k in range(len(bounds))])
    labels = pd.Series([_period_label(period, t) for t in starts])
    return pd.DataFrame(
        {
            "period_start": starts.to_numpy()[keys],
            "period_end": ends.to_numpy()[keys],
            "period": labels.to_numpy()[keys],
        },
        index=index,
    )


# -- the report ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SavingsReport:
    """Savings by period, baseline, source and metric, with their licence.

    Attributes
    ----------
    frame
        Tidy table: ``period_start`` (local, tz-aware), ``period`` (label),
        ``baseline``, ``source`` (``pv``, ``battery``, ``lighting``,
        ``total``), ``metric`` (:data:`METRICS`), ``value``.
    coverage
        Per period: ``period_start``, ``period``, ``hours`` inside the
        horizon, ``complete`` (the horizon covers the whole period).
    period
        ``day``, ``week``, ``month``, ``year`` or ``horizon``.
    timezone
        Time zone of the periods.
    info
        Licence and provenance (:func:`energy.report.exports.export_info`).
    baselines
        The comparisons reported, headline first.
    """

    frame: pd.DataFrame
    coverage: pd.DataFrame
    period: str
    timezone: str
    info: dict[str, Any]
    baselines: tuple[str, ...] = BASELINES

    def to_dict(self) -> dict[str, Any]:
        """Wide, JSON-ready form: ``baselines -> [period -> metric -> source -> value]``."""
        out: dict[str, Any] = {
            **self.info,
            "timezone": self.timezone,
            "period": self.period,
            "units": dict(METRICS),
            "sources": [*SOURCES, "total"],
            "lighting_parts": list(LIGHTING_PARTS),
            "headline_baseline": BASELINES[0],
            "baseline_labels": {name: COMPARISON_LABELS[name] for name in self.baselines},
            "definitions": DEFINITIONS,
            "baselines": {},
        }
        cov = self.coverage.set_index("period")
        for name, part in self.frame.groupby("baseline", sort=False):
            rows = []
            for label, chunk in part.groupby("period", sort=False):
                entry: dict[str, Any] = {
                    "period": label,
                    "period_start": chunk["period_start"].iloc[0].isoformat(),
                    "hours": float(cov.loc[label, "hours"]),
                    "complete": bool(cov.loc[label, "complete"]),
                }
                for metric, rows_m in chunk.groupby("metric", sort=False):
                    entry[str(metric)] = dict(
                        zip(rows_m["source"], rows_m["value"].astype(float), strict=True)
                    )
                rows.append(entry)
            out["baselines"][str(name)] = rows
        return json_safe(out)

    def to_csv_frame(self) -> pd.DataFrame:
        """Return the tidy table with ``period_start`` as ISO 8601 text with offset."""
        frame = self.frame.copy()
        frame["period_start"] = [t.isoformat() for t in frame["period_start"]]
        return frame

    def to_csv(self) -> str:
        """Return the tidy table as CSV text with licence and source in ``#`` header lines."""
        lines = [
            *header_lines(self.info),
            f"period: {self.period}, local time {self.timezone}; period_start is the "
            "first instant of the period",
            "units: " + ", ".join(f"{k} [{v}]" for k, v in METRICS.items()),
            "sign: a saving is positive when the optimised schedule is better; "
            "total = baseline minus optimised = pv + battery + lighting; "
            "lighting = lighting_class_rule + lighting_optimisation (parts, not added again)",
            *(f"baseline {name}: {COMPARISON_LABELS[name]}" for name in self.baselines),
            "definitions: docs/definitions.md and the module docstring of energy.analysis.savings",
        ]
        return csv_with_header(self.to_csv_frame(), lines)

    def write_csv(self, path: Path) -> Path:
        """Write :meth:`to_csv` to ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_csv(), encoding="utf-8")
        return path

    def write_json(self, path: Path) -> Path:
        """Write :meth:`to_dict` as JSON."""
        return write_json(self.to_dict(), path)


#: Short definitions carried in every JSON export.
DEFINITIONS = {
    "total": "baseline minus optimised over the period: the saving against the named "
    "baseline (positive = the optimised schedule is better); equals savings.vs_<baseline> "
    "of /runs/{id}/results over the horizon",
    "lighting": "lighting energy saved against the baseline, valued at the step's import "
    "price and CO2 intensity",
    "lighting_class_rule": "part of lighting: baseline lighting minus lighting at the "
    "traffic-adaptive class minimum",
    "lighting_optimisation": "part of lighting: class-minimum lighting minus optimised "
    "lighting (0 where the optimum sits at the class minimum)",
    "battery": "total minus pv minus lighting: battery and tariff-driven dispatch, "
    "curtailment, peak charge",
    "pv": "0 against B0 and B1 (same PV); against nothing_built the PV energy of B0 valued "
    "at the import price where it displaced import, the feed-in tariff where exported",
    "self_sufficiency_points": "100 x (optimised self-sufficiency - baseline's) in "
    "percentage points; a ratio per period, not additive over periods",
}


def savings_report(
    result: ScenarioResult,
    period: str = "month",
    baselines: Sequence[str] = BASELINES,
    timezone: str | None = None,
    source: str | None = None,
) -> SavingsReport:
    """Compute the savings per local period against each baseline, split by source.

    Parameters
    ----------
    result
        A scenario result with its baseline schedules (``result.baselines``).
    period
        ``day``, ``week`` (ISO, from Monday), ``month``, ``year`` or ``horizon``.
    baselines
        Names of the comparisons to report against (``B1``, ``B0``,
        ``nothing_built``; :data:`BASELINES`).
    timezone
        Time zone of the periods; default the run's (``metadata.horizon.timezone``),
        else Europe/Berlin.
    source
        Provenance text of the exports (:func:`energy.report.exports.export_info`).

    Returns
    -------
    SavingsReport
        Tidy table, coverage of the periods, JSON and CSV writers.
    """
    tz = timezone or result.metadata.get("horizon", {}).get("timezone") or "Europe/Berlin"
    index = require_utc_index(result.schedule.index, "schedule")
    periods = period_table(index, period, tz)
    dt = step_hours(index)
    coverage = (
        periods.assign(hours=dt)
        .groupby("period", sort=False)
        .agg(
            period_start=("period_start", "first"),
            period_end=("period_end", "first"),
            hours=("hours", "sum"),
        )
        .reset_index()
    )
    length_h = (coverage["period_end"] - coverage["period_start"]).dt.total_seconds() / 3600.0
    coverage["complete"] = np.isclose(coverage["hours"], length_h, atol=1e-9)
    coverage = coverage[["period_start", "period", "hours", "complete"]]
    records: list[tuple[Any, ...]] = []
    for name in baselines:
        steps = step_savings(result, name)
        sums = steps.groupby(periods["period"], sort=False).sum(min_count=1)
        for label, row in sums.iterrows():
            start = coverage.loc[coverage["period"] == label, "period_start"].iloc[0]
            values = row.to_dict()
            for metric in ADDITIVE_METRICS:
                parts = {s: float(values[f"{metric}:{s}"]) for s in SOURCES}
                parts["total"] = math.fsum(parts.values())
                parts.update({s: float(values[f"{metric}:{s}"]) for s in LIGHTING_PARTS})
                records += [(start, label, name, s, metric, v) for s, v in parts.items()]
            points = _points(values)
            records += [
                (start, label, name, s, "self_sufficiency_points", v) for s, v in points.items()
            ]
    frame = pd.DataFrame(
        records, columns=["period_start", "period", "baseline", "source", "metric", "value"]
    )
    logger.debug("savings by %s: %d periods x %d baselines", period, len(coverage), len(baselines))
    return SavingsReport(
        frame=frame,
        coverage=coverage,
        period=period,
        timezone=tz,
        info=export_info(result.metadata, source),
        baselines=tuple(baselines),
    )
