"""The council report of a succeeded run: ``GET /runs/{id}/report.pdf`` and ``.html``.

Both render :mod:`energy.report.council` from
:func:`energy.analysis.council.council_inputs` of the stored run on the exact
district version it used: page 1 a plain-language summary in German
(einfache Sprache), then assumptions, KPIs against B1 (headline), B0 and
nothing built, savings by month and source, the grid map and status,
uncertainty (where an ensemble exists) and the sources and licences of every
data file. The licence of our results is in ``X-Licence`` / ``Link``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from api import crud
from api.conditional import NOT_MODIFIED_RESPONSE, cached_read
from api.deps import ExportCacheDep, PathId, ReaderKey, SessionDep, SettingsDep
from api.runstore import stored_result
from api.settings import Settings
from api.tables import Run

router = APIRouter(tags=["reports"])

REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_MODIFIED_RESPONSE,
    409: {"description": "The run has not succeeded (yet)"},
}


def _inputs(session: SessionDep, settings: Settings, run: Run) -> Any:
    from energy.analysis.council import council_inputs

    row = crud.results.result_of(session, run)
    result, district, info = stored_result(session, settings, run, row)
    label = f"Lauf {run.id} von Szenario {run.scenario_id}"
    return council_inputs(result, district, run_label=label), info


@router.get(
    "/runs/{run_id}/report.pdf",
    summary="Council report of a run as PDF (German, plain-language summary first)",
    responses={200: {"content": {"application/pdf": {}}}, **REPORT_RESPONSES},
    response_class=Response,
)
def report_pdf(
    request: Request,
    session: SessionDep,
    principal: ReaderKey,
    settings: SettingsDep,
    cache: ExportCacheDep,
    run_id: PathId,
) -> Response:
    """Return the council report (``energy.report.council``) as an A4 PDF.

    Strong ``ETag``; ``If-None-Match`` with it gets 304 (the report is made of
    the stored run only).
    """
    from energy.report.council import render_pdf

    run = crud.results.get_succeeded_run(session, principal, run_id)

    def render() -> Response:
        inputs, info = _inputs(session, settings, run)
        headers = info.http_headers() | {
            "Content-Disposition": f'inline; filename="run-{run_id}-report.pdf"'
        }
        return Response(render_pdf(inputs), media_type="application/pdf", headers=headers)

    return cached_read(request, settings, cache, run, principal.key_id is None, render)


@router.get(
    "/runs/{run_id}/report.html",
    summary="Council report of a run as one HTML page",
    responses={200: {"content": {"text/html": {}}}, **REPORT_RESPONSES},
    response_class=Response,
)
def report_html(
    request: Request,
    session: SessionDep,
    principal: ReaderKey,
    settings: SettingsDep,
    cache: ExportCacheDep,
    run_id: PathId,
) -> Response:
    """Return the council report (``energy.report.council``) as a self-contained HTML page.

    Strong ``ETag``; ``If-None-Match`` with it gets 304.
    """
    from energy.report.council import render_html

    run = crud.results.get_succeeded_run(session, principal, run_id)

    def render() -> Response:
        inputs, info = _inputs(session, settings, run)
        return Response(
            render_html(inputs), media_type="text/html; charset=utf-8", headers=info.http_headers()
        )

    return cached_read(request, settings, cache, run, principal.key_id is None, render)
