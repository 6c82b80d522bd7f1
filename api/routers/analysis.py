"""Analyses of succeeded runs: savings by period and source, comparisons, meter data.

* ``GET /runs/{id}/savings``: :func:`energy.analysis.savings.savings_report` of a run,
  per local day, week, month, year or the horizon, against B1 (headline), B0
  and nothing built, split by source (PV, battery, lighting; lighting into
  class rule and optimisation), as JSON or CSV;
* ``GET /compare?runs=1,2,3``: :func:`energy.analysis.compare.compare` of runs side by
  side (KPIs, savings, economics), each on the exact district version it used;
* ``POST /districts/{id}/meter-data``: measured consumption and generation
  (:func:`energy.analysis.meter.read_meter_csv` format), stored in the database;
  ``GET /runs/{id}/meter-comparison?meter_data=``: plan against measurement
  (:func:`energy.analysis.meter.compare_with_plan`).

Every answer names its licence (CC-BY-4.0, plus ODbL where SimBench grid data
went in) in the body or CSV header and in ``X-Licence`` / ``Link``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse
from sqlmodel import Session

from api import crud
from api.conditional import NOT_MODIFIED_RESPONSE, cached_read
from api.deps import (
    CurrentKey,
    ExportCacheDep,
    Limit,
    Offset,
    PathId,
    ReaderKey,
    SessionDep,
    SettingsDep,
)
from api.exports import ExportInfo, csv_response
from api.runstore import frame_from_parquet, frame_to_parquet, run_version, stored_result
from api.schemas import MAX_DB_ID, ExportFormat, MeterDataPublic, Page, page_with
from api.settings import Settings
from api.tables import MeterData, Run, Scenario
from api.uploads import upload_text
from energy.district import District
from energy.errors import InputDataError
from energy.scenario import ScenarioResult
from energy.serialise import json_safe

if TYPE_CHECKING:
    from energy.analysis.savings import SavingsReport

router = APIRouter(tags=["analyses"])

#: Most runs one comparison takes.
MAX_COMPARED_RUNS = 10
SavingsPeriod = Literal["day", "week", "month", "year", "horizon"]
Baseline = Literal["B1", "B0", "nothing_built"]

SAVINGS_EXAMPLE: dict[str, Any] = {
    "licence": "CC-BY-4.0",
    "licence_url": "https://creativecommons.org/licenses/by/4.0/",
    "attribution": "Digitales Stadtwerk Gera planning backend",
    "source": "run 7 of scenario 3: district 1 version 1, spec sha256 9f2c...",
    "data_licences": [],
    "timezone": "Europe/Berlin",
    "period": "day",
    "units": {
        "cost_eur": "EUR",
        "e_import_kwh": "kWh",
        "co2_kg": "kg CO2",
        "self_sufficiency_points": "percentage points",
    },
    "sources": ["pv", "battery", "lighting", "total"],
    "lighting_parts": ["lighting_class_rule", "lighting_optimisation"],
    "headline_baseline": "B1",
    "baseline_labels": {"B1": "B1: self-consumption rule, lighting S1 (headline)"},
    "definitions": {"total": "baseline minus optimised over the period"},
    "run_id": 7,
    "baselines": ["B1"],
    "rows": [
        {
            "period_start": "2025-06-02T00:00:00+02:00",
            "period": "2025-06-02",
            "baseline": "B1",
            "source": "battery",
            "metric": "cost_eur",
            "value": 43.3,
        },
        {
            "period_start": "2025-06-02T00:00:00+02:00",
            "period": "2025-06-02",
            "baseline": "B1",
            "source": "total",
            "metric": "cost_eur",
            "value": 44.1,
        },
    ],
    "totals": {
        "B1": {
            "cost_eur": {
                "pv": 0.0,
                "battery": 303.1,
                "lighting": 5.4,
                "total": 308.5,
                "lighting_class_rule": 5.4,
                "lighting_optimisation": 0.0,
            },
            "self_sufficiency_points": {"pv": 0.0, "battery": 1.2, "lighting": 0.1, "total": 1.3},
        }
    },
    "by_baseline": {
        "B1": [
            {
                "period": "2025-06-02",
                "period_start": "2025-06-02T00:00:00+02:00",
                "hours": 24.0,
                "complete": True,
                "cost_eur": {"pv": 0.0, "battery": 43.3, "lighting": 0.8, "total": 44.1},
            }
        ]
    },
}


# -- savings ------------------------------------------------------------------------------


def _savings_body(
    report: SavingsReport, horizon: SavingsReport, run_id: int, names: Sequence[str]
) -> dict[str, Any]:
    """Return the JSON answer of ``GET /runs/{id}/savings`` (shape in its docstring).

    ``report`` holds the periods asked for, ``horizon`` the same over the
    whole horizon (for ``totals``), ``names`` the baselines reported.
    """
    wide = report.to_dict()
    totals = {
        name: {
            metric: values
            for metric, values in periods[0].items()
            if metric not in ("period", "period_start", "hours", "complete")
        }
        for name, periods in horizon.to_dict()["baselines"].items()
    }
    return {k: v for k, v in wide.items() if k != "baselines"} | {
        "run_id": run_id,
        "baselines": list(names),
        "rows": json_safe(report.to_csv_frame().to_dict(orient="records")),
        "totals": totals,
        "by_baseline": wide["baselines"],
    }


@router.get(
    "/runs/{run_id}/savings",
    summary="Savings per day, week, month or year, by source, against B1, B0 and nothing built",
    responses={
        200: {
            "description": "The savings (JSON) or the tidy table (CSV with licence header lines)",
            "content": {"application/json": {"example": SAVINGS_EXAMPLE}, "text/csv": {}},
        },
        **NOT_MODIFIED_RESPONSE,
        409: {"description": "The run has not succeeded (yet)"},
    },
)
def get_savings(
    request: Request,
    session: SessionDep,
    principal: ReaderKey,
    settings: SettingsDep,
    cache: ExportCacheDep,
    run_id: PathId,
    period: Annotated[
        SavingsPeriod, Query(description="Local day, ISO week, month, year or the horizon")
    ] = "month",
    baseline: Annotated[
        Baseline | None, Query(description="Default: all three, B1 (headline) first")
    ] = None,
    format: ExportFormat = "json",
) -> Response:
    """Return what the optimised operation and the PV saved, per local period and source.

    Computed by ``energy.analysis.savings.savings_report`` from the run's optimised and
    baseline schedules, with the one savings vocabulary (docs/definitions.md).
    JSON shape:

    * the licence fields (``licence``, ``licence_url``, ``attribution``,
      ``source``, ``data_licences``), ``timezone``, ``period``, ``units``,
      ``sources``, ``lighting_parts``, ``headline_baseline`` (``B1``),
      ``baseline_labels`` (each comparison in words), ``definitions`` and
      ``run_id``;
    * ``baselines``: the comparisons reported, e.g. ``["B1", "B0", "nothing_built"]``;
    * ``rows``: the tidy table, one row per period, baseline, source and metric:
      ``period_start`` (ISO 8601, local time with offset), ``period`` (label
      such as ``2025-06-02``, ``2025-W23``, ``2025-06``, ``2025``,
      ``horizon``), ``baseline``, ``source`` (``pv``, ``battery``,
      ``lighting``, ``total``, and the two parts of lighting
      ``lighting_class_rule`` and ``lighting_optimisation``), ``metric``
      (``cost_eur``, ``e_import_kwh``, ``co2_kg``, ``self_sufficiency_points``),
      ``value``; in each period pv + battery + lighting = ``total``, and
      lighting = its two parts;
    * ``totals``: baseline -> metric -> source -> value over the whole horizon;
      ``totals.<b>.<metric>.total`` equals ``savings.vs_<b>.<metric>`` of
      ``/runs/{id}/results``;
    * ``by_baseline``: the same per period in the wide form of
      ``SavingsReport.to_dict()`` (baseline -> list of periods with ``hours``
      inside the horizon, ``complete`` and metric -> source -> value).

    ``total`` is always the named baseline minus the optimised schedule: a
    saving is positive when the optimum costs, imports or emits less or is more
    self-sufficient. ``pv`` is 0 against B1 and B0 (same PV) and the PV's part
    against ``nothing_built``. Self-sufficiency points of a period are a ratio
    of its sums: they do not add up over periods; the other metrics do. CSV:
    the tidy table, with licence, sign and baselines in ``#`` header lines.
    Strong ``ETag``; ``If-None-Match`` with it gets 304.
    """
    from energy.analysis.savings import BASELINES, savings_report

    run = crud.results.get_succeeded_run(session, principal, run_id)

    def render() -> Response:
        row = crud.results.result_of(session, run)
        result, _, info = stored_result(session, settings, run, row)
        names = (baseline,) if baseline else BASELINES
        report = savings_report(result, period, names, timezone=info.timezone, source=info.source)
        if format == "csv":
            return csv_response(report.to_csv(), info, f"run-{run.id}-savings-{period}")
        horizon = report if period == "horizon" else savings_report(result, "horizon", names)
        body = _savings_body(report, horizon, run_id, names)
        return JSONResponse(body, headers=info.http_headers())

    return cached_read(request, settings, cache, run, principal.key_id is None, render)


# -- comparison ---------------------------------------------------------------------------


def _run_ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputDataError(
            f"runs: {text!r} is not a comma-separated list of run ids, e.g. 1,2,3",
            field="runs",
            value=text,
        ) from None
    if not 1 <= len(ids) <= MAX_COMPARED_RUNS:
        raise InputDataError(
            f"runs: {len(ids)} ids; give 1 to {MAX_COMPARED_RUNS}", field="runs", value=text
        )
    outside = [i for i in ids if not 1 <= i <= MAX_DB_ID]
    if outside:
        raise InputDataError(
            f"runs: {outside} are not run ids (1..{MAX_DB_ID})", field="runs", value=text
        )
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InputDataError(
            f"runs: {repeated} repeated; name each run once", field="runs", value=text
        )
    return ids


@router.get(
    "/compare",
    summary="Runs side by side: KPIs, savings against B1, B0 and nothing built, economics",
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}}},
        **NOT_MODIFIED_RESPONSE,
        409: {"description": "A run has not succeeded (yet)"},
    },
)
def compare_runs(
    request: Request,
    session: SessionDep,
    principal: ReaderKey,
    settings: SettingsDep,
    cache: ExportCacheDep,
    runs: Annotated[
        str,
        Query(description=f"Comma-separated run ids (1..{MAX_COMPARED_RUNS})", examples=["1,2"]),
    ],
    reference: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_DB_ID,
            description="Run id of the economic reference (incremental view); one of runs",
        ),
    ] = None,
    format: ExportFormat = "json",
) -> Response:
    """Compare succeeded runs (``energy.analysis.compare.compare``), each on its district version.

    Without ``reference`` the economics are the whole-system view (everything
    a run's district has, against nothing built); with it, what a run adds
    beyond the reference run (same horizon needed). Annual figures (annual
    savings, NPV, IRR, payback, LCOE) come from a whole-year run; a shorter
    run's are scaled to a year and carry ``extrapolated_from`` (row and
    ``economics.<name>.extrapolated_from``, e.g. ``"7 days
    (2025-06-02..2025-06-08)"``). Savings rows ``<metric>_vs_<baseline>`` use
    the vocabulary of ``/runs/{id}/results`` (B1 headline, B0, nothing_built;
    positive = better; ``self_sufficiency_points`` in percentage points).

    JSON: ``Comparison.to_dict()`` (licence fields, ``scenarios`` = column
    names, ``rows`` = ``{key, label, unit, values: {name: value}}``,
    ``economics`` per name, ``assumptions``, ``notes``) plus ``runs``: for each
    run its ``id``, ``scenario_id``, ``scenario_name`` and the column ``name``
    it has in ``scenarios`` and ``values`` (``"<scenario name> (run <id>)"``).
    CSV: one row per indicator, one column per run, licence header lines.
    Strong ``ETag`` (the runs, their scenarios' names and the query);
    ``If-None-Match`` with it gets 304.
    """
    ids = _run_ids(runs)
    if reference is not None and reference not in ids:
        raise InputDataError(
            f"reference: run {reference} is not among runs {ids}",
            field="reference",
            value=reference,
        )
    found = [crud.results.get_succeeded_run(session, principal, run_id) for run_id in ids]
    scenarios = [session.get(Scenario, run.scenario_id) for run in found]
    named = [f"{s.id}:{s.name}" for s in scenarios if s is not None]
    assert len(named) == len(found)

    def render() -> Response:
        return _comparison(session, settings, found, scenarios, reference, format)

    return cached_read(
        request, settings, cache, found, principal.key_id is None, render, inputs=named
    )


def _comparison(
    session: Session,
    settings: Settings,
    runs: list[Run],
    scenarios: list[Scenario | None],
    reference: int | None,
    format: str,
) -> Response:
    """Render ``/compare`` of succeeded, readable ``runs`` (JSON or CSV)."""
    from energy.analysis.compare import compare

    results: dict[str, ScenarioResult] = {}
    districts: dict[str, District] = {}
    listed: list[dict[str, Any]] = []
    names: dict[int, str] = {}
    info: ExportInfo | None = None
    for run, scenario in zip(runs, scenarios, strict=True):
        assert run.id is not None and scenario is not None
        name = f"{scenario.name} (run {run.id})"
        row = crud.results.result_of(session, run)
        result, district, run_info = stored_result(session, settings, run, row)
        info = info or run_info
        results[name], districts[name], names[run.id] = result, district, name
        listed.append(
            {
                "id": run.id,
                "scenario_id": run.scenario_id,
                "scenario_name": scenario.name,
                "name": name,
            }
        )
    assert info is not None
    comparison = compare(
        results, districts, reference=None if reference is None else names[reference]
    )
    if format == "csv":
        with tempfile.TemporaryDirectory() as tmp:
            csv_path = comparison.write(Path(tmp))[0]
            text = csv_path.read_text(encoding="utf-8")
        ids = "-".join(str(run.id) for run in runs)
        return csv_response(text, info, f"comparison-runs-{ids}")
    return JSONResponse(comparison.to_dict() | {"runs": listed}, headers=info.http_headers())


# -- meter data ---------------------------------------------------------------------------


def meter_public(row: MeterData) -> MeterDataPublic:
    """Map a meter data row to its public form."""
    return MeterDataPublic(
        id=row.id or 0,
        district_id=row.district_id,
        organisation_id=row.organisation_id,
        name=row.name,
        start=row.start,
        end=row.end,
        step_minutes=row.step_s / 60.0,
        rows=row.rows,
        columns=row.columns,
        created_at=row.created_at,
    )


@router.post(
    "/districts/{district_id}/meter-data",
    status_code=status.HTTP_201_CREATED,
    response_model=MeterDataPublic,
    tags=["analyses"],
    summary="Upload measured consumption and generation (CSV) of a district",
    responses={
        413: {"description": "The file is larger than ENERGY_MAX_UPLOAD_BYTES"},
        422: {"description": "The file is invalid; the message names the line and column"},
    },
)
def upload_meter_data(
    session: SessionDep,
    principal: CurrentKey,
    district_id: PathId,
    response: Response,
    file: Annotated[UploadFile, File(description="Meter CSV (energy.analysis.meter format)")],
) -> MeterDataPublic:
    """Store meter data for comparison with runs of the district.

    CSV, comma or semicolon separated, ``#`` comments allowed: ``time`` (ISO
    8601 with UTC offset, interval start, regular steps), ``consumption_kw``
    (required), ``generation_kw``, ``import_kw`` and ``export_kw`` (both or
    neither), ``lighting_kw`` (interval means [kW]), or their energies
    ``e_<name>_kwh`` per interval. Visible to the uploading organisation only.
    """
    from energy.analysis.meter import read_meter_csv

    district = crud.meter_data.check_meter_upload(session, principal, district_id)
    text = upload_text(file)
    if "\n" not in text:  # one line; also keeps read_meter_csv from taking it for a path
        text += "\n"
    frame = read_meter_csv(text, name=f"file {file.filename!r}")
    name = file.filename or "meter.csv"
    row = crud.meter_data.create_meter_data(
        session, principal, district, name, frame, frame_to_parquet(frame)
    )
    response.headers["Location"] = f"/meter-data/{row.id}"
    return meter_public(row)


@router.get(
    "/districts/{district_id}/meter-data",
    response_model=Page[MeterDataPublic],
    summary="Meter data of a district",
)
def list_meter_data(
    session: SessionDep,
    principal: CurrentKey,
    district_id: PathId,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[MeterDataPublic]:
    """List the meter data of the district that the caller's organisation uploaded."""
    rows = crud.meter_data.list_meter_data(session, principal, district_id, offset, limit)
    return page_with(rows, [meter_public(r) for r in rows.items])


@router.get("/meter-data/{meter_data_id}", response_model=MeterDataPublic, summary="Meter data")
def get_meter_data(
    session: SessionDep, principal: CurrentKey, meter_data_id: PathId
) -> MeterDataPublic:
    """Return the period, step and quantities of stored meter data."""
    return meter_public(crud.meter_data.get_meter_data(session, principal, meter_data_id))


@router.get(
    "/runs/{run_id}/meter-comparison",
    summary="Planned against measured: KPIs and savings",
    responses={409: {"description": "The run has not succeeded (yet)"}},
)
def meter_comparison(
    session: SessionDep,
    principal: CurrentKey,
    settings: SettingsDep,
    run_id: PathId,
    meter_data: Annotated[
        int, Query(ge=1, le=MAX_DB_ID, description="Id of meter data of the run's district")
    ],
) -> JSONResponse:
    """Compare a run's plan with measured meter data (``energy.analysis.meter.compare_with_plan``).

    The measured building load and PV replace the planned ones in the
    optimised schedule and in both baselines (battery flows and lighting stay
    planned; a grid meter's import and export are used for the optimised
    schedule). JSON: licence fields, ``notes`` (what was measured, what
    derived), ``kpis`` (KPI -> planned, measured, difference) and ``savings``
    (baseline -> metric -> planned, measured, difference), ``run_id``,
    ``meter_data_id``. The meter data must cover the run's horizon.
    """
    from energy.analysis.meter import compare_with_plan

    run, row = crud.results.get_result(session, principal, run_id)
    meter = crud.meter_data.get_meter_data(session, principal, meter_data)
    version = run_version(session, run)
    if meter.district_id != version.district_id:
        raise InputDataError(
            f"meter_data: meter data {meter_data} belong to district {meter.district_id}; "
            f"run {run_id} is of district {version.district_id}"
        )
    result, district, info = stored_result(session, settings, run, row)
    try:
        comparison = compare_with_plan(
            result,
            frame_from_parquet(meter.series_parquet),
            district,
            source=f"{info.source}; measured: meter data {meter_data} ({meter.name})",
        )
    except InputDataError as exc:
        raise InputDataError(f"meter_data: {exc}") from exc
    body = comparison.to_dict() | {"run_id": run_id, "meter_data_id": meter_data}
    return JSONResponse(body, headers=info.http_headers())
