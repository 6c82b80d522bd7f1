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

from fastapi import APIRouter, Response

from api import crud
from api.deps import CurrentKey, PathId, ReaderKey, SessionDep, SettingsDep
from api.runstore import stored_result

router = APIRouter(tags=["reports"])

REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"description": "The run has not succeeded (yet)"},
}


def _inputs(session: SessionDep, principal: CurrentKey, settings: SettingsDep, run_id: int) -> Any:
    from energy.analysis.council import council_inputs

    run, row = crud.results.get_result(session, principal, run_id)
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
    session: SessionDep, principal: ReaderKey, settings: SettingsDep, run_id: PathId
) -> Response:
    """Return the council report (``energy.report.council``) as an A4 PDF."""
    from energy.report.council import render_pdf

    inputs, info = _inputs(session, principal, settings, run_id)
    headers = info.http_headers() | {
        "Content-Disposition": f'inline; filename="run-{run_id}-report.pdf"'
    }
    return Response(render_pdf(inputs), media_type="application/pdf", headers=headers)


@router.get(
    "/runs/{run_id}/report.html",
    summary="Council report of a run as one HTML page",
    responses={200: {"content": {"text/html": {}}}, **REPORT_RESPONSES},
    response_class=Response,
)
def report_html(
    session: SessionDep, principal: ReaderKey, settings: SettingsDep, run_id: PathId
) -> Response:
    """Return the council report (``energy.report.council``) as a self-contained HTML page."""
    from energy.report.council import render_html

    inputs, info = _inputs(session, principal, settings, run_id)
    return Response(
        render_html(inputs), media_type="text/html; charset=utf-8", headers=info.http_headers()
    )
