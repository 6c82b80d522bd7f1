"""Parameter sweeps: a grid of PV and battery additions, each point a scenario run.

A cooperative asks "how much PV and how big a battery?". A :class:`SweepSpec`
names a base district, a grid such as ``{"pv_kwp_added": [0, 100, 200, 300],
"battery_kwh_added": [0, 200, 400]}`` and the run options. Every grid point
becomes a :class:`~energy.variants.ScenarioChanges` (:func:`points`) and a run
(:func:`run_point`, a top-level function of plain arguments, so that a process
pool or a Celery task can run it). :func:`summarise_sweep` turns the point
records into a table, the best points and heat-map grids; :func:`run_sweep`
does all of it on a local process pool.

Parameters of the grid
----------------------
``pv_kwp_added``
    PV added over the district [kWp], split over the buildings by annual
    demand (:func:`energy.variants.split_total_kwp`), south-facing 30 deg.
``battery_kwh_added``
    A battery added at ``SweepSpec.battery_at`` (default the substation) of
    this capacity [kWh]: a :class:`~energy.studies.candidates.BatteryCandidate`
    with ``battery_c_rate`` as its power per kWh (default
    :data:`~energy.studies.candidates.DEFAULT_C_RATE_KW_PER_KWH`) at that size,
    the same rule as sizing's fixed-size points.

Economics
---------
Incremental against the base district run with the same options (the point
with nothing added; run as an extra job if the grid has no such point): the
investment is what a point adds (:func:`energy.analysis.compare.added_items`), the
savings are the base's optimised cost minus the point's, annualised and appraised as every run is
(:func:`energy.analysis.annual.appraise`). The base point has zero investment
and NPV 0, so a point with a positive NPV is worth building under the
assumptions.

Annual figures follow the one rule of :mod:`energy.analysis.annual`: the
default options run every point over a whole year (:func:`_default_options`);
a shorter horizon gives annual savings, NPV, IRR, payback and LCOE that carry
``extrapolated_from`` (e.g. ``"7 days (2025-06-02..2025-06-08)"``) in the
table, the JSON, the CSV headers and the heat maps' notes.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from energy.analysis.annual import appraise
from energy.analysis.compare import added_items, result_horizon_label
from energy.analysis.economics import EconomicAssumptions, InvestmentItems
from energy.district import District, district_from_dict
from energy.errors import InputDataError
from energy.kpi import BASELINES
from energy.progress import ProgressCallback
from energy.report.exports import (
    header_lines,
    study_export_info,
    write_csv_with_header,
    write_json,
)
from energy.report.sweep_heatmap import sweep_heatmap_svg
from energy.scenario import ScenarioOptions, run_scenario
from energy.serialise import json_safe
from energy.studies.candidates import DEFAULT_C_RATE_KW_PER_KWH, BatteryCandidate
from energy.studies.pool import run_all
from energy.variants import BatteryAddition, PVAddition, ScenarioChanges, apply_changes

logger = logging.getLogger(__name__)

#: Grid parameters a sweep understands (module docstring).
PARAMETERS = ("pv_kwp_added", "battery_kwh_added")
#: Most points a sweep may have.
MAX_POINTS = 400
#: Worker processes of the default local pool.
DEFAULT_WORKERS = 2
#: Optimised KPIs kept per point.
POINT_KPIS = (
    "cost_eur",
    "co2_kg",
    "e_import_kwh",
    "e_export_kwh",
    "e_consumption_kwh",
    "e_generation_kwh",
    "self_sufficiency",
    "self_consumption",
    "peak_import_kw",
    "e_curtailed_kwh",
    "battery_cycles",
)
#: Heat-map metrics of :meth:`SweepResult.to_dict`.
HEATMAP_METRICS = ("self_sufficiency", "npv_eur")


def _default_options() -> ScenarioOptions:
    """Whole calendar year 2025 from 1 January, no AC check (annual figures need a year)."""
    return ScenarioOptions(days=365, ac_check=False)


@dataclass(frozen=True)
class SweepSpec:
    """A sweep: base district, parameter grid, run options and economics.

    Attributes
    ----------
    district
        The base district.
    grid
        Parameter name (:data:`PARAMETERS`) -> values (>= 0); the points are
        the Cartesian product, the first parameter varying slowest.
    options
        Run options of every point (default a whole year, no AC check).
    assumptions
        Economic assumptions; German defaults if None.
    battery_c_rate
        Power of an added battery per kWh of capacity [kW/kWh].
    battery_at
        Where an added battery sits: ``substation`` or a building id.
    pv_building, pv_like
        Where added PV (``pv_kwp_added``) goes. Both None: spread over the
        roofs that allow PV by annual demand (:mod:`energy.variants`).
        Otherwise one new system on ``pv_building`` (default: the building
        of ``pv_like``) with the tilt, azimuth and mounting of the existing
        system ``pv_like`` (default 30 deg, south, roof), as the PV candidate
        of sizing (:class:`~energy.studies.candidates.PVCandidate`) places it;
        its other PVWatts parameters are :class:`~energy.district.PVSystem`'s
        defaults.
    """

    district: District
    grid: Mapping[str, Sequence[float]]
    options: ScenarioOptions = field(default_factory=_default_options)
    assumptions: EconomicAssumptions | None = None
    battery_c_rate: float = DEFAULT_C_RATE_KW_PER_KWH
    battery_at: str = "substation"
    pv_building: str | None = None
    pv_like: str | None = None

    def __post_init__(self) -> None:
        if not self.grid:
            raise InputDataError(
                f"grid: empty; give values for at least one of {', '.join(PARAMETERS)}"
            )
        clean: dict[str, tuple[float, ...]] = {}
        for name, values in self.grid.items():
            if name not in PARAMETERS:
                raise InputDataError(
                    f"grid: {name!r} is not a sweep parameter; allowed: {', '.join(PARAMETERS)}"
                )
            if len(values) == 0:
                raise InputDataError(f"grid.{name}: no values; give at least one")
            checked = []
            for i, v in enumerate(values):
                if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1e5:
                    raise InputDataError(
                        f"grid.{name}[{i}]: {v!r} is not allowed; it must be 0..1e5"
                    )
                checked.append(float(v))
            if len(set(checked)) != len(checked):
                raise InputDataError(f"grid.{name}: {checked} repeats a value")
            clean[name] = tuple(checked)
        n = math.prod(len(v) for v in clean.values())
        if n > MAX_POINTS:
            raise InputDataError(f"grid: {n} points; at most {MAX_POINTS} are allowed")
        if not 0 < self.battery_c_rate <= 10:
            raise InputDataError(
                f"battery_c_rate: {self.battery_c_rate} kW/kWh is not allowed; "
                "it must be in (0, 10]"
            )
        object.__setattr__(self, "grid", clean)
        buildings = {b.id for b in self.district.buildings}
        if self.pv_building is not None and self.pv_building not in buildings:
            raise InputDataError(
                f"pv_building: {self.pv_building!r} is not a building of the district"
            )
        if self.pv_like is not None and self.pv_like not in {p.id for p in self.district.pv}:
            raise InputDataError(f"pv_like: {self.pv_like!r} is not a PV system of the district")

    @property
    def parameters(self) -> list[str]:
        """Names of the grid's parameters, in grid order."""
        return list(self.grid)


def changes_for(spec: SweepSpec, point: Mapping[str, float]) -> ScenarioChanges:
    """Return the scenario changes one grid point stands for (module docstring)."""
    pv = _pv_changes(spec, float(point.get("pv_kwp_added", 0.0)))
    kwh = float(point.get("battery_kwh_added", 0.0))
    if kwh <= 0:
        return ScenarioChanges(**pv)
    candidate = BatteryCandidate(
        kwh_max=kwh,
        at=spec.battery_at,
        power_kw_per_kwh=spec.battery_c_rate,
        id=f"BAT-SWEEP-{spec.battery_at}",
    )
    bat = candidate.battery(kwh, candidate.power_kw(kwh))
    addition = BatteryAddition(
        at=bat.at,
        capacity_kwh=bat.capacity_kwh,
        power_kw=bat.power_kw,
        eta_charge=bat.eta_charge,
        eta_discharge=bat.eta_discharge,
        id=bat.id,
    )
    return ScenarioChanges(**pv, batteries=[addition])


def _pv_changes(spec: SweepSpec, kwp: float) -> dict[str, Any]:
    """Return the ScenarioChanges fields of ``kwp`` [kWp] of added PV (SweepSpec)."""
    if spec.pv_building is None and spec.pv_like is None:
        return {"pv_kwp_added": kwp}
    if kwp <= 0:
        return {}
    like = next((p for p in spec.district.pv if p.id == spec.pv_like), None)
    orientation = (
        {}
        if like is None
        else {"tilt_deg": like.tilt_deg, "azimuth_deg": like.azimuth_deg, "mount": like.mount}
    )
    building = spec.pv_building or (like.building if like is not None else "")
    return {"pv": [PVAddition(building=building, kwp=kwp, **orientation)]}


def points(spec: SweepSpec) -> list[tuple[dict[str, float], ScenarioChanges]]:
    """All grid points with their scenario changes, first parameter varying slowest."""
    names = spec.parameters
    out = []
    for values in itertools.product(*(spec.grid[n] for n in names)):
        point = dict(zip(names, values, strict=True))
        out.append((point, changes_for(spec, point)))
    return out


def run_point(
    district: District | Mapping[str, Any],
    changes: ScenarioChanges | Mapping[str, Any],
    options: ScenarioOptions | Mapping[str, Any],
) -> dict[str, Any]:
    """Run one sweep point: apply the changes, run the scenario, keep its figures.

    A top-level function of plain arguments: a process pool pickles the
    objects; a Celery task can pass their JSON forms instead
    (``district.to_dict()``, ``changes.model_dump(mode="json")``,
    ``options.model_dump(mode="json")``).

    Returns
    -------
    dict
        JSON-ready: ``status`` (solver), ``horizon_h``, ``horizon_label``
        (:func:`energy.scenario.horizon_label`), the optimised KPIs of
        :data:`POINT_KPIS`, ``cost_eur_vs_B1`` and ``cost_eur_vs_B0`` (cost
        saved against the baselines), ``added`` (investment items the changes
        add, as lists), ``spec_hash`` of the changed district and
        ``run_s`` (wall time of the run).
    """
    base = district if isinstance(district, District) else district_from_dict(dict(district))
    change = (
        changes if isinstance(changes, ScenarioChanges) else ScenarioChanges.model_validate(changes)
    )
    opts = options if isinstance(options, ScenarioOptions) else ScenarioOptions(**options)
    changed = apply_changes(base, change)
    result = run_scenario(changed, opts)
    kpis = result.kpis["optimised"]
    record: dict[str, Any] = {
        "status": result.metadata["solver"]["status"],
        "horizon_h": float(len(result.schedule) * result.metadata["horizon"]["dt_h"]),
        "horizon_label": result_horizon_label(result),
    }
    record.update({k: float(kpis[k]) for k in POINT_KPIS})
    for name in BASELINES:
        record[f"cost_eur_vs_{name}"] = float(result.savings[f"vs_{name}"]["cost_eur"])
    record["added"] = dataclasses.asdict(added_items(changed, base))
    record["spec_hash"] = changed.spec_hash()
    record["run_s"] = float(result.metadata["timings_s"]["total_s"])
    return json_safe(record)


# -- summary -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepResult:
    """Table, best points and heat maps of a sweep.

    Attributes
    ----------
    table
        One row per grid point (grid order): the parameters, the KPIs of
        :func:`run_point`, ``added_pv_kwp``, ``added_battery_kwh`` and the
        economic rows of :func:`energy.analysis.economics.appraise` (incremental against
        the base).
    parameters
        The grid's parameter names.
    reference
        The base run's record (nothing added).
    info
        Licence and provenance.
    """

    table: pd.DataFrame
    parameters: list[str]
    reference: dict[str, Any]
    info: dict[str, Any]

    @property
    def extrapolated_from(self) -> str | None:
        """The short horizon the annual figures are scaled from, or None for a whole year."""
        if "extrapolated_from" not in self.table:
            return None
        flagged = self.table["extrapolated_from"].dropna()
        return None if flagged.empty else str(flagged.iloc[0])

    def annual_note(self) -> str:
        """Say where the annual figures (annual savings, NPV, payback, LCOE) come from."""
        if self.extrapolated_from is None:
            return "annual figures: from a whole year"
        return (
            f"annual figures (annual savings, NPV, IRR, payback, LCOE) extrapolated_from: "
            f"{self.extrapolated_from}, scaled to 8760 h; estimates, not a whole year"
        )

    def best(self, metric: str = "npv_eur") -> dict[str, Any]:
        """Return the row with the largest ``metric`` (first in grid order on ties)."""
        if metric not in self.table.columns:
            raise InputDataError(f"metric: {metric!r} is not a column of the sweep table")
        values = pd.to_numeric(self.table[metric], errors="coerce")
        if values.isna().all():
            raise InputDataError(f"metric: {metric!r} has no values")
        return dict(self.table.loc[values.idxmax()])

    def heatmap(self, metric: str) -> pd.DataFrame:
        """Return a 2-D grid of ``metric``: rows the first parameter, columns the second.

        A one-parameter sweep gives a single column named after the metric.
        """
        if metric not in self.table.columns:
            raise InputDataError(f"metric: {metric!r} is not a column of the sweep table")
        if len(self.parameters) == 1:
            p = self.parameters[0]
            return self.table.set_index(p)[[metric]]
        rows, cols = self.parameters[:2]
        return self.table.pivot(index=rows, columns=cols, values=metric)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: parameters, points, best points, heat maps, reference, licence."""
        heatmaps = {}
        for metric in HEATMAP_METRICS:
            grid = self.heatmap(metric)
            heatmaps[metric] = {
                "rows": {"parameter": grid.index.name, "values": list(grid.index)},
                "columns": {
                    "parameter": grid.columns.name or metric,
                    "values": list(grid.columns),
                },
                "values": grid.to_numpy().tolist(),
            }
        return json_safe(
            {
                **self.info,
                "parameters": self.parameters,
                "economic_reference": "the base district, nothing added, same options",
                "extrapolated_from": self.extrapolated_from,
                "annual_note": self.annual_note(),
                "points": self.table.to_dict(orient="records"),
                "best_by_npv": self.best("npv_eur"),
                "best_by_self_sufficiency": self.best("self_sufficiency"),
                "heatmaps": heatmaps,
                "reference": self.reference,
            }
        )

    def write(self, out_dir: Path) -> list[Path]:
        """Write the table, the summary and the heat maps (CSV and SVG) into ``out_dir``.

        ``sweep.csv``, ``sweep.json`` and ``heatmap_<metric>.csv`` carry licence
        headers; ``heatmap_<metric>.svg`` are the pictures of
        :func:`energy.report.sweep_heatmap.sweep_heatmap_svg` (English, licence in ``<metadata>``).
        """
        out = Path(out_dir)
        lines = [*header_lines(self.info), self.annual_note()]
        paths = [
            write_csv_with_header(self.table, out / "sweep.csv", lines),
            write_json(self.to_dict(), out / "sweep.json"),
        ]
        for metric in HEATMAP_METRICS:
            grid = self.heatmap(metric).reset_index()
            paths.append(
                write_csv_with_header(
                    grid,
                    out / f"heatmap_{metric}.csv",
                    [*lines, f"{metric}: rows {self.parameters[0]}, columns {self.parameters[-1]}"],
                )
            )
        for metric in HEATMAP_METRICS:
            svg = out / f"heatmap_{metric}.svg"
            noted = {**self.info, "source": f"{self.info['source']}; {self.annual_note()}"}
            picture = sweep_heatmap_svg(self.table, self.parameters, metric, noted)
            svg.write_text(picture, encoding="utf-8")
            paths.append(svg)
        return paths


def point_row(
    spec: SweepSpec,
    point: Mapping[str, float],
    record: Mapping[str, Any],
    reference: Mapping[str, Any],
) -> dict[str, Any]:
    """Return one row of the sweep table: the point, its record and its economics.

    The economics are incremental against ``reference`` (the base record run
    on the same inputs): investment of what the point adds, savings the
    base's optimised cost minus the point's, appraised by
    :func:`energy.analysis.annual.appraise` (``npv_eur`` [EUR],
    ``annual_savings_eur`` [EUR/a], ``payback_*_years``, ...).
    """
    added = record["added"]
    items = InvestmentItems(
        pv_kwp=tuple(added["pv_kwp"]),
        battery_kwh=tuple(added["battery_kwh"]),
        battery_kw=tuple(added["battery_kw"]),
        luminaires=int(added["luminaires"]),
    )
    econ = appraise(
        items,
        float(reference["cost_eur"]) - float(record["cost_eur"]),
        float(record["horizon_h"]),
        float(record["e_generation_kwh"]) - float(reference["e_generation_kwh"]),
        spec.assumptions,
        horizon_label=record.get("horizon_label"),
    )
    econ.pop("appraisal")
    row: dict[str, Any] = {**point}
    row.update(
        {k: v for k, v in record.items() if k not in ("added", "spec_hash", "horizon_label")}
    )
    row["added_pv_kwp"] = math.fsum(items.pv_kwp)
    row["added_battery_kwh"] = math.fsum(items.battery_kwh)
    row.update(econ)
    return row


def summarise_sweep(
    spec: SweepSpec,
    records: Sequence[Mapping[str, Any]],
    reference: Mapping[str, Any] | None = None,
) -> SweepResult:
    """Build the sweep table with incremental economics from the point records.

    Parameters
    ----------
    spec
        The sweep.
    records
        :func:`run_point` results in the order of :func:`points`.
    reference
        Record of the base district with nothing added; needed only when no
        grid point adds nothing.
    """
    grid_points = points(spec)
    if len(records) != len(grid_points):
        raise InputDataError(f"records: {len(records)} given for {len(grid_points)} grid points")
    if reference is None:
        empty = [i for i, (_, changes) in enumerate(grid_points) if changes.is_empty]
        if not empty:
            raise InputDataError(
                "reference: the grid has no point with nothing added; run the base district "
                "(run_point with empty ScenarioChanges) and pass its record"
            )
        reference = records[empty[0]]
    rows = [
        point_row(spec, point, rec, reference)
        for (point, _), rec in zip(grid_points, records, strict=True)
    ]
    table = pd.DataFrame(rows)
    info = study_export_info(
        spec.district,
        spec.options,
        source=(
            f"sweep over {', '.join(spec.parameters)} of district {spec.district.site.name!r} "
            f"(spec sha256 {spec.district.spec_hash()}), {spec.options.days} days from "
            f"{spec.options.start} at {spec.options.resolution}, objective "
            f"{spec.options.objective} (energy.studies.sweep)"
        ),
    )
    return SweepResult(
        table=table, parameters=spec.parameters, reference=dict(reference), info=info
    )


def run_sweep(
    spec: SweepSpec,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    workers: int = DEFAULT_WORKERS,
) -> SweepResult:
    """Run every grid point (and the base if the grid lacks it) and summarise.

    Parameters
    ----------
    spec
        The sweep.
    executor
        Where the points run (any :class:`concurrent.futures.Executor`);
        default a local process pool of ``workers`` processes.
    progress
        Called with the fraction done and a message after each point.
    workers
        Processes of the default pool.
    """
    jobs: list[ScenarioChanges] = [changes for _, changes in points(spec)]
    needs_base = not any(c.is_empty for c in jobs)
    if needs_base:
        jobs.append(ScenarioChanges())
    finished = run_all(
        run_point,
        [(spec.district, changes, spec.options) for changes in jobs],
        executor,
        workers,
        progress,
        "run",
    )
    reference = finished.pop() if needs_base else None
    return summarise_sweep(spec, finished, reference)
