"""Result folders: a run written to disk and read back, its baselines recomputed.

A run folder (:func:`write_outputs`) holds the optimised schedule as CSV and
Parquet, the net power per grid node, the baseline schedules
(:data:`BASELINE_FILE`), ``kpis.json`` and ``metadata.json``; every file
carries the licence of our results (CC-BY-4.0). :func:`load_run` rebuilds the
:class:`~energy.scenario.ScenarioResult`; :func:`baselines_for_run` recomputes
the baselines of a run whose folder (or database row) lacks them, from its
district and recorded options.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from energy.baselines import baseline_b0, baseline_b1
from energy.district import GERA_DISTRICT_FILE, District, load_district
from energy.errors import InputDataError
from energy.kpi import BASELINES, COMPARISON_LABELS, HEADLINE_BASELINE
from energy.report.exports import export_info, header_lines, write_csv_with_header, write_json
from energy.scenario import ScenarioOptions, ScenarioResult, scenario_inputs
from energy.serialise import RESULTS_LICENCE, write_parquet
from energy.timeindex import require_utc_index

#: File name of a baseline schedule in a run folder.
BASELINE_FILE = "baseline_{name}.parquet"


def write_outputs(result: ScenarioResult, out_dir: Path) -> list[Path]:
    """Write a run folder: schedules, node powers, KPIs and metadata.

    Files: ``schedule.csv`` and ``schedule.parquet`` (optimised schedule),
    ``node_p_kw.parquet`` (net power per grid node, load convention, for
    ``energy grid check --schedule``), ``baseline_B0.parquet`` and
    ``baseline_B1.parquet``, ``kpis.json`` and ``metadata.json``. Times are UTC
    ISO 8601 interval starts. The licence is recorded in both JSON files and
    in the Parquet schema metadata; ``schedule.csv`` starts with ``#`` lines
    naming it and each data source that went in, which ``kpis.json`` lists as
    ``data_licences`` and ``data_sources``
    (:func:`energy.report.exports.export_info`).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    info = export_info(result.metadata)
    frame = result.schedule.reset_index(names="time_utc")
    frame["time_utc"] = frame["time_utc"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    csv_path = write_csv_with_header(frame, out / "schedule.csv", header_lines(info))
    written = [csv_path, write_parquet(result.schedule, out / "schedule.parquet")]
    if len(result.node_p_kw.columns):
        written.append(write_parquet(result.node_p_kw, out / "node_p_kw.parquet"))
    for name, schedule in result.baselines.items():
        written.append(write_parquet(schedule, out / BASELINE_FILE.format(name=name)))
    kpis_path = write_json(
        {
            "licence": RESULTS_LICENCE,
            "data_licences": info["data_licences"],
            "data_sources": info["data_sources"],
            "headline_baseline": HEADLINE_BASELINE,
            "baseline_labels": COMPARISON_LABELS,
            "kpis": result.kpis,
            "savings": result.savings,
            "grid": result.grid,
        },
        out / "kpis.json",
    )
    meta_path = write_json(result.metadata, out / "metadata.json")
    return [*written, kpis_path, meta_path]


def _read_schedule(path: Path) -> pd.DataFrame:
    """Read a schedule written by :func:`write_outputs` onto its UTC index."""
    frame = pd.read_parquet(path)
    frame.index = require_utc_index(frame.index, str(path))
    frame.index.name = None
    return frame


def load_run(directory: Path) -> ScenarioResult:
    """Rebuild a :class:`ScenarioResult` from a run folder.

    Reads ``schedule.parquet``, ``kpis.json`` and ``metadata.json`` and the
    baseline schedules ``baseline_B0.parquet`` / ``baseline_B1.parquet`` where
    present (all written by :func:`write_outputs`). ``node_p_kw`` is not stored
    and comes back empty.

    Raises
    ------
    InputDataError
        A required file is missing or unreadable (the message names it).
    """
    folder = Path(directory)
    needed = ("schedule.parquet", "kpis.json", "metadata.json")
    for name in needed:
        if not (folder / name).is_file():
            raise InputDataError(
                f"{folder}: has no {name}; a run folder holds {', '.join(needed)} "
                "(energy.report.results.write_outputs)"
            )
    try:
        kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
        metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputDataError(f"{folder}: kpis.json or metadata.json is not JSON: {exc}") from exc
    schedule = _read_schedule(folder / "schedule.parquet")
    baselines = {
        name: _read_schedule(folder / BASELINE_FILE.format(name=name))
        for name in BASELINES
        if (folder / BASELINE_FILE.format(name=name)).is_file()
    }
    return ScenarioResult(
        schedule=schedule,
        node_p_kw=pd.DataFrame(index=schedule.index),
        kpis={
            name: {k: math.nan if v is None else float(v) for k, v in values.items()}
            for name, values in kpis["kpis"].items()
        },
        savings=kpis["savings"],
        metadata=metadata,
        grid=kpis.get("grid"),
        baselines=baselines,
    )


def require_run_district(district: District, metadata: Mapping[str, Any]) -> None:
    """Check that ``district`` is the one the run of ``metadata`` used (same spec hash).

    Raises
    ------
    InputDataError
        The spec hashes differ (the message gives both).
    """
    recorded = metadata.get("district", {}).get("spec_hash")
    if recorded is not None and recorded != district.spec_hash():
        raise InputDataError(
            f"district: its spec hash {district.spec_hash()[:12]}... differs from the run's "
            f"{str(recorded)[:12]}...; give the district file the run was made with"
        )


def load_run_with_district(
    directory: Path, district_file: Path | None = None
) -> tuple[ScenarioResult, District]:
    """Read a run folder and the district it used (default the shipped Gera district).

    Raises
    ------
    InputDataError
        The folder is not a run folder, or the district is not the run's
        (:func:`require_run_district`).
    """
    result = load_run(directory)
    district = load_district(district_file or GERA_DISTRICT_FILE)
    require_run_district(district, result.metadata)
    return result, district


def baselines_for_run(district: District, metadata: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Recompute the baseline schedules of a run from its district and recorded options.

    The inputs are rebuilt as :func:`energy.scenario.run_scenario` builds them
    (same horizon, weather and export cap, recorded in ``metadata["options"]``)
    and the baselines simulated by :mod:`energy.baselines`.

    Raises
    ------
    InputDataError
        The district is not the one the run used (spec hash differs).
    """
    require_run_district(district, metadata)
    known = {*ScenarioOptions.model_fields, "solver_method"}  # older runs' name of method
    options = ScenarioOptions(
        **{k: v for k, v in metadata.get("options", {}).items() if k in known}
    )
    inputs = scenario_inputs(district, options)
    return {"B0": baseline_b0(inputs).schedule, "B1": baseline_b1(inputs).schedule}
