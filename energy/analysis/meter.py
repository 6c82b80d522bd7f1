"""Measured meter data: read, align to a scenario, compare plan and measurement.

File format (CSV)
-----------------
UTF-8 text, comma- or semicolon-separated, decimal point; lines starting with
``#`` and blank lines are skipped. The first other line is the header.

``time``
    ISO 8601 with a UTC offset or ``Z``, e.g. ``2025-06-30T00:00:00+02:00``;
    the START of the interval. Times without an offset are refused (a local
    time is ambiguous in the autumn DST hour). Steps must be regular.
``consumption_kw`` (required) and ``generation_kw`` (optional, default 0)
    Interval means [kW]: all consumption the district's meters measured
    (buildings and street lighting), and PV AC generation fed by the inverters.
``import_kw``, ``export_kw`` (optional, both or neither)
    Interval means at the grid connection [kW], if a grid meter exists.
``lighting_kw`` (optional)
    Measured street-lighting power [kW], part of ``consumption_kw``.

Instead of a power column ``x_kw``, its energy per interval ``e_x_kwh``
[kWh] may be given (``e_consumption_kwh``, ``e_generation_kwh``, ...); it is
divided by the interval length. Other columns are ignored.

Alignment
---------
Meter data finer than the scenario's step are averaged onto the step (every
sub-interval must be present); coarser data are held constant within their
interval (the interval mean power applies to each part). The meter must cover
the scenario's horizon; extra data outside it are dropped.

Measured variants of a plan (:func:`measured_result`)
-----------------------------------------------------
The measured building load is ``consumption - lighting``, with the measured
lighting if given, else the planned (optimised) lighting. For each schedule
of the run (optimised, B0, B1) its measured variant keeps the schedule's
battery flows and lighting and replaces building load and PV by the measured
ones: ``n = load_m + light + charge - discharge - generation_m``, settled as
import ``max(n, 0)`` and export ``max(-n, 0)``. The optimised variant uses the
measured import and export instead where a grid meter is given. The baselines
thus use the measured consumption, as DESIGN.md's "baselines on the same
inputs" asks; their battery flows stay those simulated for the plan (the rule
is not re-run on the measured data: the building loads behind each meter are
not measured separately).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from energy.analysis.compare import result_savings
from energy.district import District
from energy.errors import InputDataError
from energy.kpi import COMPARISONS, comparison_kpis
from energy.report.exports import export_info
from energy.scenario import ScenarioResult
from energy.serialise import json_safe
from energy.timeindex import require_utc_index, step_hours

logger = logging.getLogger(__name__)

#: Quantities of a meter file (power names; energy names are ``e_<q>_kwh``).
QUANTITIES = ("consumption", "generation", "import", "export", "lighting")
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
#: KPIs compared between plan and measurement.
COMPARED_KPIS = (
    "e_consumption_kwh",
    "e_generation_kwh",
    "e_import_kwh",
    "e_export_kwh",
    "self_sufficiency",
    "self_consumption",
    "cost_eur",
    "co2_kg",
)
#: Savings compared between plan and measurement (``self_sufficiency_points``
#: = 100 x optimised minus baseline self-sufficiency).
COMPARED_SAVINGS = ("cost_eur", "e_import_kwh", "co2_kg", "self_sufficiency_points")


def _data_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of the non-comment, non-blank lines."""
    return [
        (i, line)
        for i, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _meter_text(source: Path | str, name: str | None) -> tuple[str, str]:
    """Return the text of a meter file (or of the given text) and its name for messages."""
    if isinstance(source, str) and "\n" in source:
        return source, name or "meter data"
    path = Path(source)
    return path.read_text(encoding="utf-8-sig"), name or str(path)


def _meter_table(label: str, text: str) -> tuple[pd.DataFrame, list[int], int]:
    """Return the data rows as text, their line numbers and the header's line number."""
    lines = _data_lines(text)
    if len(lines) < 3:
        raise InputDataError(
            f"{label}: needs a header line and at least two data lines (to know the step)"
        )
    header_no, header = lines[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    rows = list(csv.reader(io.StringIO("\n".join(line for _, line in lines)), delimiter=delimiter))
    columns = [c.strip() for c in rows[0]]
    line_nos = [n for n, _ in lines[1:]]
    if "time" not in columns:
        raise InputDataError(f"{label}, line {header_no}: no 'time' column; found {columns}")
    for n, row in zip(line_nos, rows[1:], strict=True):
        if len(row) != len(columns):
            raise InputDataError(
                f"{label}, line {n}: {len(row)} fields; the header has {len(columns)}"
            )
    return pd.DataFrame(rows[1:], columns=columns), line_nos, header_no


def _meter_times(
    label: str, times: pd.Series, line_nos: list[int]
) -> tuple[pd.DatetimeIndex, float]:
    """Parse the ``time`` column: offsets required, increasing, regular; (index, step [h])."""
    times = times.str.strip()
    no_offset = ~times.str.contains(_OFFSET)
    if no_offset.any():
        i = int(np.argmax(no_offset.to_numpy()))
        raise InputDataError(
            f"{label}, line {line_nos[i]}, column time: {times.iloc[i]!r} has no UTC offset; "
            "write ISO 8601 with an offset or Z, e.g. 2025-06-30T00:00:00+02:00"
        )
    parsed = pd.to_datetime(times, utc=True, errors="coerce", format="ISO8601")
    if parsed.isna().any():
        i = int(np.argmax(parsed.isna().to_numpy()))
        raise InputDataError(
            f"{label}, line {line_nos[i]}, column time: {times.iloc[i]!r} is not an ISO 8601 time"
        )
    index = pd.DatetimeIndex(parsed)
    steps = np.diff(index.asi8)
    if (steps <= 0).any():
        i = int(np.argmax(steps <= 0)) + 1
        raise InputDataError(
            f"{label}, line {line_nos[i]}, column time: {times.iloc[i]} does not come after "
            "the previous time; times must increase"
        )
    if (steps != steps[0]).any():
        i = int(np.argmax(steps != steps[0])) + 1
        raise InputDataError(
            f"{label}, line {line_nos[i]}, column time: step "
            f"{pd.Timedelta(int(steps[i - 1]), 'ns')} differs from the first step "
            f"{pd.Timedelta(int(steps[0]), 'ns')}; steps must be regular"
        )
    return index, float(steps[0] / 3.6e12)


def _meter_values(
    label: str, raw: pd.DataFrame, line_nos: list[int], header_no: int, dt_h: float
) -> dict[str, np.ndarray]:
    """Read each quantity's power or energy column as powers [kW], checked >= 0."""
    columns = list(raw.columns)
    out: dict[str, np.ndarray] = {}
    for q in QUANTITIES:
        power, energy = f"{q}_kw", f"e_{q}_kwh"
        if power in columns and energy in columns:
            raise InputDataError(
                f"{label}, line {header_no}: both {power} and {energy} given; give one"
            )
        col = power if power in columns else energy if energy in columns else None
        if col is None:
            continue
        values = pd.to_numeric(raw[col].str.strip(), errors="coerce")
        bad = values.isna() | ~np.isfinite(values)
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            raise InputDataError(
                f"{label}, line {line_nos[i]}, column {col}: {raw[col].iloc[i]!r} is not a number"
            )
        if (values < 0).any():
            i = int(np.argmax((values < 0).to_numpy()))
            raise InputDataError(
                f"{label}, line {line_nos[i]}, column {col}: {raw[col].iloc[i].strip()} "
                f"{'kWh' if col == energy else 'kW'} is negative; "
                "meter values are >= 0 (direction in the column name)"
            )
        out[power] = values.to_numpy(dtype=float) / (dt_h if col == energy else 1.0)
    if "consumption_kw" not in out:
        raise InputDataError(
            f"{label}, line {header_no}: no consumption_kw or e_consumption_kwh column; "
            f"found {columns}"
        )
    if ("import_kw" in out) != ("export_kw" in out):
        raise InputDataError(
            f"{label}, line {header_no}: give both import and export columns or neither"
        )
    return out


def read_meter_csv(source: Path | str, name: str | None = None) -> pd.DataFrame:
    """Read a meter CSV (module docstring) into interval-mean powers [kW].

    Parameters
    ----------
    source
        Path of the file, or its text (a string containing a line break).
    name
        Name used in error messages; default the path.

    Returns
    -------
    pandas.DataFrame
        On a UTC index (interval starts): ``consumption_kw``,
        ``generation_kw`` and the optional ``import_kw``, ``export_kw``,
        ``lighting_kw`` found in the file.

    Raises
    ------
    InputDataError
        Naming the line and column of a bad time or number, a missing or
        doubled column, irregular or repeated times.
    """
    text, label = _meter_text(source, name)
    raw, line_nos, header_no = _meter_table(label, text)
    index, dt_h = _meter_times(label, raw["time"], line_nos)
    out = _meter_values(label, raw, line_nos, header_no, dt_h)
    out.setdefault("generation_kw", np.zeros(len(index)))
    ordered = [f"{q}_kw" for q in QUANTITIES if f"{q}_kw" in out]
    return pd.DataFrame({c: out[c] for c in ordered}, index=index)


def align_to_index(meter: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Put meter powers on a scenario's UTC index (module docstring, "Alignment").

    Raises
    ------
    InputDataError
        The meter data do not cover a step of the index (the first one is named),
        or the two steps do not divide one another.
    """
    index = require_utc_index(index, "index")
    meter_index = require_utc_index(meter.index, "meter")
    dt_s = pd.Timedelta(hours=step_hours(index))
    dt_m = pd.Timedelta(hours=step_hours(meter_index))
    if dt_m <= dt_s:
        if dt_s % dt_m:
            raise InputDataError(f"meter step {dt_m} does not divide the scenario step {dt_s}")
        k = dt_s // dt_m
        wanted = pd.DatetimeIndex([t + j * dt_m for t in index for j in range(k)])
        fine = meter.reindex(wanted)
        missing = fine.isna().any(axis=1).to_numpy()
        if missing.any():
            raise InputDataError(
                f"meter data: no value for {wanted[int(np.argmax(missing))]} (UTC); the file "
                f"must cover {index[0]} to {index[-1] + dt_s} at its step {dt_m}"
            )
        values = fine.to_numpy().reshape(len(index), k, meter.shape[1]).mean(axis=1)
        return pd.DataFrame(values, index=index, columns=meter.columns)
    if dt_m % dt_s:
        raise InputDataError(f"scenario step {dt_s} does not divide the meter step {dt_m}")
    held = meter.reindex(index, method="ffill", tolerance=dt_m - pd.Timedelta(1, "ns"))
    missing = held.isna().any(axis=1).to_numpy()
    if missing.any():
        raise InputDataError(
            f"meter data: no value for {index[int(np.argmax(missing))]} (UTC); the file must "
            f"cover {index[0]} to {index[-1] + dt_s}"
        )
    return held


def _measured_schedule(
    schedule: pd.DataFrame,
    load_kw: np.ndarray,
    generation_kw: np.ndarray,
    exchange_kw: tuple[np.ndarray, np.ndarray] | None,
) -> pd.DataFrame:
    """Return ``schedule`` with measured building load and PV (module docstring)."""
    out = schedule.copy()
    out["load_kw"] = load_kw
    out["pv_kw"] = generation_kw
    for col in out.columns:
        if col.partition(":")[0] == "pv_curtailed_kw":
            out[col] = 0.0
    if exchange_kw is None:
        net = (
            load_kw
            + out["lighting_kw"].to_numpy()
            + out["p_charge_kw"].to_numpy()
            - out["p_discharge_kw"].to_numpy()
            - generation_kw
        )
        exchange_kw = (np.maximum(net, 0.0), np.maximum(-net, 0.0))
    out["p_import_kw"], out["p_export_kw"] = exchange_kw
    return out


def measured_result(
    result: ScenarioResult, meter: pd.DataFrame, district: District
) -> ScenarioResult:
    """Return the run's schedules with measured consumption and generation.

    Parameters
    ----------
    result
        The planned run, with its baselines.
    meter
        Meter powers (:func:`read_meter_csv`), any regular step covering the horizon.
    district
        The district of the run (batteries and peak charge for the KPIs).

    Returns
    -------
    ScenarioResult
        Measured variants of the optimised schedule and of the baselines, their
        KPIs and savings; ``metadata["measured"]`` says where import and export
        came from. Usable with :func:`energy.analysis.savings.savings_report`.
    """
    ids = {c.split(":", 1)[1] for c in result.schedule.columns if c.startswith("soc_kwh:")}
    if ids != {b.id for b in district.batteries}:
        raise InputDataError(
            f"district: its batteries {sorted(b.id for b in district.batteries)} are not "
            f"those of the run {sorted(ids)}; give the district the run was made with"
        )
    aligned = align_to_index(meter, result.schedule.index)
    lighting = (
        aligned["lighting_kw"].to_numpy()
        if "lighting_kw" in aligned
        else result.schedule["lighting_kw"].to_numpy()
    )
    load = aligned["consumption_kw"].to_numpy() - lighting
    negative = int((load < -1e-9).sum())
    load = np.maximum(load, 0.0)
    gen = aligned["generation_kw"].to_numpy()
    grid = (
        (aligned["import_kw"].to_numpy(), aligned["export_kw"].to_numpy())
        if "import_kw" in aligned
        else None
    )
    schedule = _measured_schedule(result.schedule, load, gen, grid)
    baselines = {
        name: _measured_schedule(s, load, gen, None) for name, s in result.baselines.items()
    }
    kpis, saved = comparison_kpis(
        schedule, baselines, district.batteries, district.tariff.peak_charge_eur_per_kw
    )
    notes = {
        "import_export": "measured (grid meter)"
        if grid is not None
        else ("derived: measured consumption - generation + planned battery flows"),
        "lighting": "measured" if "lighting_kw" in aligned else "planned (optimised schedule)",
        "steps_consumption_below_lighting": negative,
    }
    if negative:
        logger.warning(
            "meter: %d steps with measured consumption below the lighting power; "
            "building load set to 0 there",
            negative,
        )
    return ScenarioResult(
        schedule=schedule,
        node_p_kw=pd.DataFrame(index=schedule.index),
        kpis=kpis,
        savings=saved,
        metadata={**result.metadata, "measured": notes},
        grid=None,
        baselines=baselines,
    )


@dataclass(frozen=True)
class MeterComparison:
    """Plan against measurement.

    Attributes
    ----------
    kpis
        Index :data:`COMPARED_KPIS`; columns ``planned``, ``measured``,
        ``difference`` (measured - planned).
    savings
        Index (``baseline``, ``metric``) over :data:`COMPARED_SAVINGS` and the
        comparisons B1, B0 and nothing_built; columns ``planned``,
        ``measured``, ``difference``. Savings as :mod:`energy.kpi` defines
        them (positive = the optimum is better; self-sufficiency in points).
    measured
        The measured result (:func:`measured_result`).
    info
        Licence and provenance (:func:`energy.report.exports.export_info`).
    """

    kpis: pd.DataFrame
    savings: pd.DataFrame
    measured: ScenarioResult
    info: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with licence, notes, KPIs and savings."""
        savings: dict[str, Any] = {}
        for (name, metric), row in self.savings.iterrows():
            savings.setdefault(name, {})[metric] = row.to_dict()
        return json_safe(
            {
                **self.info,
                "notes": self.measured.metadata["measured"],
                "kpis": {k: row.to_dict() for k, row in self.kpis.iterrows()},
                "savings": savings,
            }
        )


def compare_with_plan(
    result: ScenarioResult,
    meter: pd.DataFrame,
    district: District,
    source: str | None = None,
) -> MeterComparison:
    """Compare the plan of a run with measured meter data.

    Measured self-sufficiency, import, export, cost and CO2 against the
    planned ones, and planned against measured savings versus B1, B0 and
    nothing built, the comparisons using the measured consumption (module
    docstring).
    """
    measured = measured_result(result, meter, district)
    planned_k, measured_k = result.kpis["optimised"], measured.kpis["optimised"]
    kpi_rows = {
        k: (planned_k[k], measured_k[k], measured_k[k] - planned_k[k]) for k in COMPARED_KPIS
    }
    kpis = pd.DataFrame.from_dict(
        kpi_rows, orient="index", columns=["planned", "measured", "difference"]
    )
    rows = {}
    for name in COMPARISONS:
        plan_s, meas_s = result_savings(result, name), measured.savings[f"vs_{name}"]
        for metric in COMPARED_SAVINGS:
            rows[(name, metric)] = (plan_s[metric], meas_s[metric], meas_s[metric] - plan_s[metric])
    savings = pd.DataFrame.from_dict(
        rows, orient="index", columns=["planned", "measured", "difference"]
    )
    savings.index = pd.MultiIndex.from_tuples(savings.index, names=["baseline", "metric"])
    return MeterComparison(
        kpis=kpis,
        savings=savings,
        measured=measured,
        info=export_info(measured.metadata, source),
    )
