"""Savings for dashboards: per day, week, month and year, split by source.

A city dashboard asks "what did the smart lighting, the batteries and the PV
save this month, in euros, kWh and kg CO2, and how much more of our power is
our own?". This module answers from a :class:`~energy.scenario.ScenarioResult`:
its optimised schedule and the schedules of the baselines B0 and B1, which the
scenario computed on the same inputs (DESIGN.md "Baselines").

Definitions
-----------
Per step ``t`` of length ``dt`` [h], for the optimised schedule ``o`` and a
baseline schedule ``B`` (B0 or B1); ``p`` is the import price, ``f`` the
feed-in tariff [EUR/kWh], ``g`` the CO2 intensity [g/kWh]; ``imp``, ``exp``,
``light``, ``gen`` = PV after curtailment, all in kW.

Cost of a schedule per step [EUR]
    ``(p imp - f exp) dt`` plus its battery throughput cost spread over the
    steps in proportion to the discharged energy, plus its peak charge spread
    evenly over the steps of the horizon (the tariff charges the horizon's
    peak once; a dashboard period carries its share of time). The steps add up
    to the schedule's ``cost_eur`` of :func:`energy.kpi.compute_kpis`.

Operation savings (smart control of batteries and lighting, same assets)
    ``B - o`` for cost, import (``imp dt``) and CO2 (``imp g dt / 1000``): the
    DESIGN.md savings, equal over the horizon to ``ScenarioResult.savings``.
    They are split into two sources:

    * **lighting** = ``(light_B - light_o) dt`` [kWh], valued at the step's
      import price and CO2 intensity and counted as import saved (lighting
      burns at night, when the district imports);
    * **battery** = operation savings - lighting: battery dispatch, including
      the tariff-driven shifting of import and export, changed curtailment and
      the peak charge.

PV savings (against the same baseline without its PV)
    Both schedules have the same PV, so operation savings cannot show what the
    PV brings. The **pv** source compares ``B`` with ``B`` without PV: the same
    loads, lighting and battery flows, and the PV energy ``gen_B`` replaced by
    the grid, i.e. the net power ``n' = imp_B - exp_B + gen_B`` settled as
    ``imp' = max(n', 0)`` and ``exp' = max(-n', 0)``. pv = cost (import, CO2)
    of that schedule minus that of ``B``: the PV energy of the baseline
    schedule, each kWh valued at the import price where it displaced import
    (consumed directly or charged into a battery) and at the feed-in tariff
    where it was exported. Its peak-charge effect is included.

Total
    **total** = pv + battery + lighting = savings of the optimised schedule
    against ``B`` without PV (for B0, whose batteries are idle, that is the
    district with no PV, no battery use and lighting at full power).
    lighting + battery alone are the operation savings against ``B``.

Self-sufficiency points
    Self-sufficiency ``a = 1 - I / C`` of a period (import ``I`` over
    consumption ``C`` = buildings + lighting, DESIGN.md), gained against the
    reference ``B`` without PV, in percentage points:
    ``100 (I'/C_B - I_o/C_o)``. The reference consumes ``C_B``; the optimised
    schedule ``C_o = C_B - dL`` (lighting saved ``dL``). With each source's
    import saved ``dI_s`` (adding up to ``I' - I_o``), a source gets
    ``100 dI_s / C_B``, and lighting in addition ``-100 (I_o/C_o) dL / C_B``
    (less consumption also shrinks the base of the ratio). The parts add up
    exactly to the total. Points of a period are a ratio of that period's sums:
    they do not add up over periods, the other metrics do.

Periods are local (the district's time zone, Europe/Berlin for Gera): days
from local midnight, ISO weeks from Monday, calendar months and years. A
period cut by the horizon holds only the steps inside it (``hours`` and
``complete`` tell). Savings are positive when the optimised schedule costs,
imports or emits less, or is more self-sufficient.

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
from energy.report.exports import csv_with_header, export_info, header_lines, write_json
from energy.report.results import BASELINE_NAMES
from energy.scenario import ScenarioResult
from energy.serialise import json_safe
from energy.timeindex import require_utc_index, step_hours

logger = logging.getLogger(__name__)

#: Sources of savings, in the order they are reported; ``total`` is their sum.
SOURCES = ("pv", "battery", "lighting")
#: Baselines savings are computed against: those a run holds (DESIGN.md "Baselines").
BASELINES = BASELINE_NAMES
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


def _baseline(result: ScenarioResult, name: str) -> pd.DataFrame:
    if name not in BASELINES:
        raise InputDataError(f"baseline: {name!r} is not allowed; allowed: {', '.join(BASELINES)}")
    schedule = result.baselines.get(name)
    if schedule is None:
        raise InputDataError(
            f"baseline {name}: the result holds no {name} schedule; run the scenario with "
            "energy.scenario.run_scenario, or recompute the baselines with "
            "energy.report.results.baselines_for_run"
        )
    if not schedule.index.equals(result.schedule.index):
        raise InputDataError(
            f"baseline {name}: its time index differs from the optimised schedule's "
            f"({len(schedule)} vs {len(result.schedule)} steps)"
        )
    return schedule


def step_savings(result: ScenarioResult, baseline: str) -> pd.DataFrame:
    """Return the savings per step against ``baseline``, by source (module docstring).

    Returns
    -------
    pandas.DataFrame
        On the result's UTC index. Columns ``"<metric>:<source>"`` for the
        additive metrics (``cost_eur``, ``e_import_kwh``, ``co2_kg``) and the
        sources ``pv``, ``battery``, ``lighting``; and the sums a period's
        self-sufficiency needs: ``e_import_kwh:reference`` (the baseline
        without PV), ``e_import_kwh:optimised``, ``e_consumption_kwh:reference``
        (the baseline's), ``e_consumption_kwh:optimised`` and
        ``e_lighting_saved_kwh``.
    """
    o = result.schedule
    b = _baseline(result, baseline)
    dt = step_hours(require_utc_index(o.index, "schedule"))
    n = len(o)
    price = o["import_price_eur_per_kwh"].to_numpy()
    feed = o["feed_in_eur_per_kwh"].to_numpy()
    kg_per_kwh = o["co2_g_per_kwh"].to_numpy() / 1000.0
    kpis_o = result.kpis["optimised"]
    kpis_b = result.kpis[baseline]

    imp_o = o["p_import_kw"].to_numpy()
    imp_b = b["p_import_kw"].to_numpy()
    exp_b = b["p_export_kw"].to_numpy()
    cost_o = step_cost_eur(o, kpis_o)
    cost_b = step_cost_eur(b, kpis_b)

    # operation savings and their lighting part
    light_saved_kwh = (b["lighting_kw"].to_numpy() - o["lighting_kw"].to_numpy()) * dt
    op = {
        "cost_eur": cost_b - cost_o,
        "e_import_kwh": (imp_b - imp_o) * dt,
        "co2_kg": (imp_b - imp_o) * dt * kg_per_kwh,
    }
    lighting = {
        "cost_eur": light_saved_kwh * price,
        "e_import_kwh": light_saved_kwh,
        "co2_kg": light_saved_kwh * kg_per_kwh,
    }
    # the baseline without its PV: same loads, lighting and battery flows
    gen_b = b["pv_kw"].to_numpy() - b["pv_curtailed_kw"].to_numpy()
    net_nopv = imp_b - exp_b + gen_b
    imp_nopv = np.maximum(net_nopv, 0.0)
    exp_nopv = np.maximum(-net_nopv, 0.0)
    peak_rate = peak_rate_eur_per_kw(kpis_b)
    peak_delta = peak_rate * (float(imp_nopv.max()) - float(imp_b.max()))
    pv = {
        "cost_eur": (price * (imp_nopv - imp_b) - feed * (exp_nopv - exp_b)) * dt + peak_delta / n,
        "e_import_kwh": (imp_nopv - imp_b) * dt,
        "co2_kg": (imp_nopv - imp_b) * dt * kg_per_kwh,
    }
    cols: dict[str, np.ndarray] = {}
    for metric in ADDITIVE_METRICS:
        cols[f"{metric}:pv"] = pv[metric]
        cols[f"{metric}:battery"] = op[metric] - lighting[metric]
        cols[f"{metric}:lighting"] = lighting[metric]
    cols["e_import_kwh:reference"] = imp_nopv * dt
    cols["e_import_kwh:optimised"] = imp_o * dt
    cols["e_consumption_kwh:reference"] = (
        b["load_kw"].to_numpy() + b["lighting_kw"].to_numpy()
    ) * dt
    cols["e_consumption_kwh:optimised"] = (
        o["load_kw"].to_numpy() + o["lighting_kw"].to_numpy()
    ) * dt
    cols["e_lighting_saved_kwh"] = light_saved_kwh
    return pd.DataFrame(cols, index=o.index)


def _points(sums: Mapping[str, float]) -> dict[str, float]:
    """Self-sufficiency points gained by source from a period's sums (module docstring)."""
    c_ref = sums["e_consumption_kwh:reference"]
    c_o = sums["e_consumption_kwh:optimised"]
    if c_ref <= 0 or c_o <= 0:
        return {s: math.nan for s in (*SOURCES, "total")}
    i_ref = sums["e_import_kwh:reference"]
    i_o = sums["e_import_kwh:optimised"]
    out = {s: 100.0 * sums[f"e_import_kwh:{s}"] / c_ref for s in SOURCES}
    out["lighting"] -= 100.0 * (i_o / c_o) * sums["e_lighting_saved_kwh"] / c_ref
    out["total"] = 100.0 * (i_ref / c_ref - i_o / c_o)
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
    """

    frame: pd.DataFrame
    coverage: pd.DataFrame
    period: str
    timezone: str
    info: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Wide, JSON-ready form: ``baselines -> [period -> metric -> source -> value]``."""
        out: dict[str, Any] = {
            **self.info,
            "timezone": self.timezone,
            "period": self.period,
            "units": dict(METRICS),
            "sources": [*SOURCES, "total"],
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
            "definitions: module docstring of energy.analysis.savings",
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
    "lighting": "lighting energy saved against the baseline, valued at the step's import "
    "price and CO2 intensity",
    "battery": "rest of the operation savings (baseline minus optimised): battery and "
    "tariff-driven dispatch, curtailment, peak charge",
    "pv": "PV energy of the baseline schedule valued against the same schedule without PV: "
    "import price where it displaced import, feed-in tariff where exported",
    "total": "pv + battery + lighting = savings against the baseline without PV; "
    "battery + lighting = savings against the baseline (DESIGN.md)",
    "self_sufficiency_points": "gain in 100 x (1 - import / consumption) against the "
    "baseline without PV; a ratio per period, not additive over periods",
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
        Names of the baselines to report against (``B0``, ``B1``).
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
        sums = steps.groupby(periods["period"], sort=False).sum()
        for label, row in sums.iterrows():
            start = coverage.loc[coverage["period"] == label, "period_start"].iloc[0]
            values = row.to_dict()
            for metric in ADDITIVE_METRICS:
                parts = {s: float(values[f"{metric}:{s}"]) for s in SOURCES}
                parts["total"] = math.fsum(parts.values())
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
    )
