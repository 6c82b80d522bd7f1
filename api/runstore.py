"""The run store: what jobs read from the database and what they write back, in one place.

Reading a job's inputs: the exact district version a run refers to
(:func:`run_version`), its spec with the run's or scenario's changes
(:func:`district_of`), the options with the weather file resolved
(:func:`load_run_inputs`) and the version's imported grid
(:func:`load_run_network`). Writing a new district version (the next
number, :func:`append_version`; an imported grid checked and serialised by
:func:`mapped_network_json`), as a grid import job does. Writing and reading
results: a scenario run's ``run_results`` row (KPIs as JSON, time series as Parquet,
:func:`result_row`, :func:`load_result_row`) and its inverse
(:func:`scenario_result`, :func:`stored_result`).

Used by the jobs (:mod:`api.jobs`, :mod:`api.jobkinds`), by :mod:`api.crud`
and by the routers that read finished runs. Nothing here checks who may read
what: callers pass rows that :mod:`api.crud` has already let them see.
"""

from __future__ import annotations

import io
import json
import logging
import math
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from api.datafiles import weather_file
from api.exports import ExportInfo
from api.settings import Settings
from api.tables import District as DistrictRow
from api.tables import DistrictVersion, Run, RunResult, utcnow
from energy.district import District, district_from_dict
from energy.errors import InputDataError
from energy.report.exports import export_info as data_export_info
from energy.serialise import json_safe as plain_json
from energy.variants import ScenarioChanges, apply_changes

if TYPE_CHECKING:
    from energy.scenario import ScenarioResult

logger = logging.getLogger(__name__)

#: Columns of :class:`RunResult` holding the baseline schedules, by baseline name.
BASELINE_COLUMNS = {"B0": "baseline_b0_parquet", "B1": "baseline_b1_parquet"}
#: Columns of :class:`RunResult` holding time series; loaded on first access only.
SERIES_COLUMNS = ("schedule_parquet", "node_p_kw_parquet", *BASELINE_COLUMNS.values())
#: Key of ``RunResult.grid`` holding the run's map (GeoJSON with the AC extremes per element),
#: drawn when the run is stored (:func:`api.gridmap.run_map`); not part of the run's summary.
GRID_MAP_KEY = "map"
#: Key of ``RunResult.grid`` holding the AC extremes per element
#: (:func:`energy.models.grid.geojson.element_maxima`); the map carries them too.
GRID_ELEMENTS_KEY = "elements"


def grid_summary_of(grid: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a stored ``grid`` without its map and per-element extremes (the run's summary)."""
    if grid is None:
        return None
    return {k: v for k, v in grid.items() if k not in (GRID_MAP_KEY, GRID_ELEMENTS_KEY)}


# -- serialising ---------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """Return ``value`` as plain JSON data: NaN -> null, numpy -> Python, others -> str."""
    return json.loads(json.dumps(plain_json(value), default=str))


def frame_to_parquet(frame: pd.DataFrame) -> bytes:
    """Serialise a result frame (UTC index kept) to Parquet bytes."""
    out = frame.copy()
    out.columns = [str(c) for c in out.columns]
    buffer = io.BytesIO()
    out.to_parquet(buffer, engine="pyarrow")
    return buffer.getvalue()


def frame_from_parquet(data: bytes) -> pd.DataFrame:
    """Read a frame written by :func:`frame_to_parquet`."""
    return pd.read_parquet(io.BytesIO(data), engine="pyarrow")


# -- inputs ----------------------------------------------------------------------------


def spec_of(version: DistrictVersion) -> District:
    """Return the validated spec of a stored version."""
    return district_from_dict(version.spec, source=f"district version {version.version}")


def district_of(version: DistrictVersion, changes: dict[str, Any]) -> District:
    """Return the spec of ``version`` with stored scenario ``changes`` applied."""
    return apply_changes(spec_of(version), ScenarioChanges.model_validate(changes))


def run_version(session: Session, run: Run) -> DistrictVersion:
    """Return the district version a run refers to (an imported grid loaded on first access)."""
    version = session.get(
        DistrictVersion,
        run.district_version_id,
        options=[defer(DistrictVersion.network_json)],  # type: ignore[arg-type]
    )
    if version is None:
        raise InputDataError(f"district version id {run.district_version_id}: not found")
    return version


def load_run_inputs(session: Session, run: Run) -> tuple[District, dict[str, Any]]:
    """Return the district (exact version with the scenario's changes) and the options."""
    district = district_of(run_version(session, run), run.changes)
    options = dict(run.options)
    path = weather_file(options.get("weather"), "options.weather")
    if path is not None:
        options["weather"] = str(path)
    return district, options


def imported_network(version: DistrictVersion) -> Any | None:
    """Return the pandapower net imported into ``version`` as stored, or None."""
    if version.network_json is None:
        return None
    import pandapower as pp

    return pp.from_json_string(version.network_json)


def load_run_network(session: Session, run: Run, options: dict[str, Any]) -> Any | None:
    """Return the imported grid of the run's district version, or None.

    None when the version has no imported network (the library then builds
    the grid from the spec) or when the run uses no grid (neither ``ac_check``
    nor ``grid_aware``). The net is returned as stored; the library maps the
    district's nodes onto it (:func:`energy.scenario.scenario_network`).
    """
    if not (options.get("ac_check", True) or options.get("grid_aware", False)):
        return None
    return imported_network(run_version(session, run))


# -- district versions -----------------------------------------------------------------


def version_row(
    district_id: int,
    version: int,
    spec: District,
    source: str,
    network_json: str | None,
    licence: str | None,
) -> DistrictVersion:
    """Return the (unsaved) row of version ``version`` of a district."""
    return DistrictVersion(
        district_id=district_id,
        version=version,
        spec=spec.to_dict(),
        spec_hash=spec.spec_hash(),
        source=source,
        network_json=network_json,
        licence=licence,
    )


def append_version(
    session: Session,
    district: DistrictRow,
    spec: District,
    source: str,
    network_json: str | None = None,
    licence: str | None = None,
) -> DistrictVersion:
    """Add ``spec`` (and an imported network) as the next version of ``district``; no commit.

    The pair (district, version) is unique in the table, so two writers that
    took the same number cannot both commit.
    """
    assert district.id is not None
    district.latest_version += 1
    district.updated_at = utcnow()
    row = version_row(district.id, district.latest_version, spec, source, network_json, licence)
    session.add(row)
    session.add(district)
    return row


def mapped_network_json(net: Any, spec: District) -> str:
    """Return an imported pandapower net as JSON, once the district's nodes map onto it.

    Raises
    ------
    InputDataError
        A node of the district has no bus of the net
        (:func:`energy.models.grid.map_to_district`).
    """
    import pandapower as pp

    from energy.models.grid import map_to_district

    map_to_district(net, spec)
    return str(pp.to_json(net))


# -- results ---------------------------------------------------------------------------


def result_row(run_id: int, result: ScenarioResult) -> RunResult:
    """Return the ``run_results`` row that stores ``result`` (unsaved)."""
    node = getattr(result, "node_p_kw", None)
    baselines = getattr(result, "baselines", {})
    row = RunResult(
        run_id=run_id,
        kpis=json_safe(result.kpis),
        savings=json_safe(result.savings),
        run_metadata=json_safe(result.metadata),
        grid=json_safe(result.grid) if result.grid is not None else None,
        schedule_parquet=frame_to_parquet(result.schedule),
        node_p_kw_parquet=frame_to_parquet(node) if node is not None and len(node) else None,
    )
    for name, column in BASELINE_COLUMNS.items():
        if name in baselines:
            setattr(row, column, frame_to_parquet(baselines[name]))
    return row


def load_result_row(session: Session, run_id: int) -> RunResult | None:
    """Return the results row of a run, its time series loaded on first access only."""
    return session.exec(
        select(RunResult)
        .where(col(RunResult.run_id) == run_id)
        .options(*(defer(getattr(RunResult, column)) for column in SERIES_COLUMNS))
    ).first()


def scenario_result(row: RunResult, district: District | None = None) -> ScenarioResult:
    """Rebuild the :class:`~energy.scenario.ScenarioResult` of a stored run (inverse of storing).

    Null KPIs come back as NaN. Runs stored before the baselines were kept get
    them recomputed from ``district`` (the run's, with its changes) by
    :func:`energy.report.results.baselines_for_run`; without a district they stay empty.
    """
    from energy.scenario import ScenarioResult

    schedule = frame_from_parquet(row.schedule_parquet)
    baselines = {
        name: frame_from_parquet(data)
        for name, column in BASELINE_COLUMNS.items()
        if (data := getattr(row, column)) is not None
    }
    if not baselines and district is not None:
        from energy.report.results import baselines_for_run

        logger.info("run %s: no stored baselines; recomputing them", row.run_id)
        baselines = baselines_for_run(district, row.run_metadata)
    return ScenarioResult(
        schedule=schedule,
        node_p_kw=(
            frame_from_parquet(row.node_p_kw_parquet)
            if row.node_p_kw_parquet is not None
            else pd.DataFrame(index=schedule.index)
        ),
        kpis={
            name: {k: math.nan if v is None else float(v) for k, v in values.items()}
            for name, values in row.kpis.items()
        },
        savings=row.savings,
        metadata=dict(row.run_metadata),
        grid=grid_summary_of(row.grid),
        baselines=baselines,
    )


def export_info(
    session: Session, run: Run, settings: Settings, row: RunResult | None = None
) -> ExportInfo:
    """Licence, attribution and provenance of a run's exports.

    ``data_licences`` names the district version's licence, if any, and the
    licence and attribution of each data file the run read (weather, prices,
    load profiles, an imported grid), ``data_sources`` the same as records:
    :func:`energy.report.exports.export_info` of the stored run's metadata
    (``row``, the run's results row, or read here when not given).
    """
    version = run_version(session, run)
    timezone = str(version.spec.get("site", {}).get("timezone", "Europe/Berlin"))
    source = (
        f"run {run.id} of scenario {run.scenario_id}: district {version.district_id} "
        f"version {version.version}, spec sha256 {run.spec_hash}"
    )
    if row is None and run.id is not None:
        row = load_result_row(session, run.id)
    used = data_export_info(row.run_metadata if row is not None else {})
    return ExportInfo(
        licence=settings.result_licence,
        attribution=settings.result_attribution,
        source=source,
        timezone=timezone,
        data_licences=tuple(
            dict.fromkeys([*([version.licence] if version.licence else []), *used["data_licences"]])
        ),
        data_sources=tuple(used["data_sources"]),
    )


def stored_result(
    session: Session, settings: Settings, run: Run, row: RunResult
) -> tuple[ScenarioResult, District, ExportInfo]:
    """Return a succeeded run's result (with baselines), its district and export info.

    The district is the exact version the run used with the run's changes; the
    export info's data licences (e.g. ODbL of an imported SimBench grid) are put
    into the result's metadata, where :func:`energy.report.exports.export_info` finds them.
    """
    district, _ = load_run_inputs(session, run)
    result = scenario_result(row, district)
    info = export_info(session, run, settings, row)
    result.metadata["data_licences"] = list(info.data_licences)
    return result, district, info


def stored_grid_map(session: Session, run: Run, row: RunResult) -> dict[str, Any] | None:
    """Return the run's map (GeoJSON with its AC extremes), drawing and storing it if missing.

    Runs stored since the map is drawn at run time (:func:`api.jobkinds.run_scenario_job`)
    carry it in ``row.grid``; this is then a dictionary lookup. For an older run
    (no ``elements``, no map) the AC time series is recomputed once, from the
    stored node powers and schedule with the run's network and reactive power
    (:func:`energy.ac_check.check_run`, as the run's check made it), and the
    map is written back, so later reads (in any process) need no power flow.
    None when the run made no AC check.
    """
    if row.grid is None or row.node_p_kw_parquet is None:
        return None
    stored = row.grid.get(GRID_MAP_KEY)
    if stored is not None:
        return dict(stored)
    from api.gridmap import run_map
    from energy.ac_check import check_run
    from energy.models.grid.geojson import element_maxima
    from energy.scenario import ScenarioOptions, scenario_inputs, scenario_network

    logger.info("run %s: no stored map; computing its AC extremes once", run.id)
    district, options = load_run_inputs(session, run)
    node_p_kw = frame_from_parquet(row.node_p_kw_parquet)
    nodes = [str(c) for c in node_p_kw.columns]
    imported = load_run_network(session, run, options)
    net, _ = scenario_network(district, nodes, imported)
    run_options = ScenarioOptions.model_validate(options)
    schedule = frame_from_parquet(row.schedule_parquet)
    inputs = scenario_inputs(district, run_options)
    checked = check_run(district, inputs, schedule, node_p_kw, run_options.reactive, net=net)
    elements = element_maxima(checked.timeseries, checked.violations)
    collection = run_map(district, nodes, net, elements)
    row.grid = row.grid | {
        GRID_ELEMENTS_KEY: json_safe(elements),
        GRID_MAP_KEY: json_safe(collection),
    }
    session.add(row)
    session.commit()
    return collection
