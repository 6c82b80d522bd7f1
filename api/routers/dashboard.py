"""The dashboard page at ``/dashboard`` and the two read-only views only it needs.

The page is hand-written HTML, CSS and JavaScript (ES modules, no build step,
no third-party code) in ``api/static/dashboard/``; it reads the JSON endpoints
of the API with the caller's key and draws its charts and the grid map as
inline SVG. Files are served from an allow-list (every file of that folder,
read at start-up), never from a path the client names.

Keys never travel in a URL: the page takes the key in a form and keeps it in
its memory only (a JavaScript variable, sent as the ``X-API-Key`` header;
not in storage, not in a cookie, so there is nothing to forge across sites);
a ``key`` in the page's address is dropped, here from the redirect's
``Location`` and on the page from its address, and never used.
``GET /dashboard/config.json`` tells the page where published data are read
without a key (the API itself: published objects only, as a viewer sees them,
rate-limited per address; api/deps.py ``get_reader``) and which map tiles to
load (``ENERGY_DASHBOARD_TILE_URL``; none by default).

Besides the page, this router adds two read-only views of a succeeded run:

* ``GET /runs/{id}/lighting``: street-lighting energy per group and local hour
  of the day, optimised and baseline (B0 or B1, the stored baseline schedule,
  :func:`api.runstore.stored_result`), and the energy saved per group;
* ``GET /runs/{id}/grid.geojson``: the district grid with the AC results of
  the run (largest loading per line and transformer, voltage band per bus,
  violation steps), the map the job drew and stored with the run from its AC
  check's per-element extremes (:func:`api.runstore.stored_grid_map`): no power
  flow and no network inside the request. A run stored before maps were kept
  gets its map computed once (from its stored node powers, as its check made
  them) and written back.

Both carry a strong ETag (304 on ``If-None-Match``) and are cached per run in
the app's :class:`~api.exports.ExportCache` (:func:`api.conditional.cached_read`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import numpy as np
import pandas as pd
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse

from api import crud
from api.conditional import NOT_MODIFIED_RESPONSE, cached_read
from api.deps import ExportCacheDep, PathId, ReaderKey, SessionDep, SettingsDep
from api.errors import NotFoundError
from api.runstore import export_info, run_version, stored_grid_map, stored_result
from api.settings import Settings
from energy.errors import InputDataError
from energy.report.exports import LICENCE_URLS
from energy.timeindex import require_utc_index, step_hours

logger = logging.getLogger(__name__)

router = APIRouter()

#: Folder of the page's files.
STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "dashboard"
#: Media types of the page's files, by suffix (JavaScript modules need a JS type).
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
#: Every file the page may load: name -> path (read once, so no client path reaches the disk);
#: third-party files (Leaflet, api/static/dashboard/vendor/README.md) as ``vendor/<name>``.
ASSETS = {
    p.relative_to(STATIC_DIR).as_posix(): p
    for p in sorted([*STATIC_DIR.iterdir(), *(STATIC_DIR / "vendor").iterdir()])
    if p.is_file() and p.suffix in MEDIA_TYPES
}
#: Same-origin only (map tiles of a configured provider excepted, :func:`security_headers`);
#: never framed (no click-jacking of the key form); no referrer.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP.format(tiles=""),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
#: Lighting schedule columns: ``lighting_kw:<group>``.
LIGHTING_PREFIX = "lighting_kw:"


def security_headers(settings: Settings) -> dict[str, str]:
    """Return the page's security headers; a configured tile server's origin joins ``img-src``."""
    if not settings.dashboard_tile_url:
        return SECURITY_HEADERS
    parts = urlsplit(settings.dashboard_tile_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return SECURITY_HEADERS | {"Content-Security-Policy": CSP.format(tiles=f" {origin}")}


def _file(name: str, settings: Settings) -> FileResponse:
    path = ASSETS.get(name)
    if path is None:
        raise NotFoundError(f"dashboard file {name!r} not found")
    return FileResponse(
        path, media_type=MEDIA_TYPES[path.suffix], headers=security_headers(settings)
    )


@router.get("/dashboard", include_in_schema=False)
def dashboard_redirect(request: Request) -> RedirectResponse:
    """Redirect to ``/dashboard/`` keeping the query without any ``key`` (never echoed)."""
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "key"])
    return RedirectResponse(f"{request.url.path}/" + (f"?{query}" if query else ""))


@router.get("/dashboard/", include_in_schema=False)
def dashboard_page(settings: SettingsDep) -> FileResponse:
    """Serve the dashboard page (no key needed: the page asks for one)."""
    return _file("index.html", settings)


@router.get("/dashboard/config.json", include_in_schema=False)
def dashboard_config(settings: SettingsDep) -> JSONResponse:
    """Return the page's settings: where published data are read without a key; map tiles.

    ``public_base`` is the API root (relative to the page): without a key it
    answers reads of published data only and refuses every write (401).
    """
    body = {
        "public": True,
        "public_base": "../",
        "tile_url": settings.dashboard_tile_url,
        "tile_attribution": settings.dashboard_tile_attribution,
    }
    return JSONResponse(body, headers=security_headers(settings) | {"Cache-Control": "no-store"})


@router.get("/dashboard/{name}", include_in_schema=False)
def dashboard_asset(name: str, settings: SettingsDep) -> FileResponse:
    """Serve a file of the page: scripts, style sheet, icon."""
    return _file(name, settings)


@router.get("/dashboard/vendor/{name}", include_in_schema=False)
def dashboard_vendor(name: str, settings: SettingsDep) -> FileResponse:
    """Serve a third-party file of the page (Leaflet and its licence)."""
    return _file(f"vendor/{name}", settings)


def lighting_by_hour(
    optimised: pd.DataFrame, baseline: pd.DataFrame, timezone: str
) -> list[dict[str, Any]]:
    """Street-lighting energy per group and local hour of the day [kWh].

    Parameters
    ----------
    optimised, baseline
        Schedules (:mod:`energy.kpi`) on the same UTC index, with
        ``lighting_kw:<group>`` columns (interval-mean power [kW]).
    timezone
        Time zone of the hours of the day (e.g. ``Europe/Berlin``).

    Returns
    -------
    list of dict
        Per group: ``group``, ``e_kwh_by_hour`` and ``e_baseline_kwh_by_hour``
        (24 sums over the horizon of p x dt_h for local hours 0..23; on the
        autumn DST day hour 2 occurs twice and both count), ``e_kwh``,
        ``e_baseline_kwh`` and ``e_saved_kwh`` = baseline - optimised.
    """
    index = require_utc_index(optimised.index, "schedule")
    if not index.equals(baseline.index):
        raise InputDataError(
            f"baseline: {len(baseline)} steps on another time index than the schedule's "
            f"{len(optimised)}; both must share one index"
        )
    dt_h = step_hours(index)
    hours = index.tz_convert(timezone).hour
    out = []
    for column in [c for c in optimised.columns if str(c).startswith(LIGHTING_PREFIX)]:
        sums = {}
        for name, frame in (("opt", optimised), ("base", baseline)):
            e_kwh = pd.Series(frame[column].to_numpy() * dt_h, index=hours)
            by_hour = e_kwh.groupby(level=0).sum().reindex(range(24), fill_value=0.0)
            sums[name] = by_hour.to_numpy(dtype=float)
        out.append(
            {
                "group": str(column)[len(LIGHTING_PREFIX) :],
                "e_kwh_by_hour": [round(float(v), 6) for v in sums["opt"]],
                "e_baseline_kwh_by_hour": [round(float(v), 6) for v in sums["base"]],
                "e_kwh": float(np.sum(sums["opt"])),
                "e_baseline_kwh": float(np.sum(sums["base"])),
                "e_saved_kwh": float(np.sum(sums["base"]) - np.sum(sums["opt"])),
            }
        )
    return out


@router.get(
    "/runs/{run_id}/lighting",
    tags=["runs"],
    summary="Street-lighting energy per group and hour of the day, with the baseline",
    responses={**NOT_MODIFIED_RESPONSE, 409: {"description": "The run has not succeeded (yet)"}},
)
def run_lighting(
    request: Request,
    session: SessionDep,
    principal: ReaderKey,
    settings: SettingsDep,
    cache: ExportCacheDep,
    run_id: PathId,
    baseline: Literal["B0", "B1"] = "B0",
) -> Response:
    """Return per lighting group the energy by local hour of the day [kWh] and the savings.

    Both schedules are the run's stored ones (baseline B0: full power while
    dark; B1: 50 % from 22:00 to 06:00). Each group names its ``road``.
    Licence CC-BY-4.0 (results). Strong ``ETag``; ``If-None-Match`` with it gets 304.
    """
    run = crud.results.get_succeeded_run(session, principal, run_id)

    def render() -> Response:
        result = crud.results.result_of(session, run)
        stored, district, info = stored_result(session, settings, run, result)
        roads = {g.id: g.road for g in district.lighting}
        groups = lighting_by_hour(stored.schedule, stored.baselines[baseline], info.timezone)
        body = {
            "licence": info.licence,
            "licence_url": LICENCE_URLS.get(info.licence),
            "attribution": info.attribution,
            "source": info.source,
            "data_licences": list(info.data_licences),
            "timezone": info.timezone,
            "run_id": run.id,
            "baseline": baseline,
            "days": int(run.options.get("days", 0)),
            "groups": [g | {"road": roads.get(g["group"], g["group"])} for g in groups],
        }
        return JSONResponse(body, headers=info.http_headers())

    return cached_read(request, settings, cache, run, principal.key_id is None, render)


@router.get(
    "/runs/{run_id}/grid.geojson",
    tags=["runs"],
    summary="The grid with the run's AC results (loadings, voltages) as GeoJSON",
    responses={
        200: {"content": {"application/geo+json": {}}},
        **NOT_MODIFIED_RESPONSE,
        404: {"description": "The run made no AC check"},
        409: {"description": "The run has not succeeded (yet)"},
    },
)
def run_grid_geojson(
    request: Request,
    session: SessionDep,
    principal: ReaderKey,
    settings: SettingsDep,
    cache: ExportCacheDep,
    run_id: PathId,
) -> Response:
    """Return buses, lines and the transformer with the run's largest loadings and voltages.

    The map was drawn when the run was stored, from the extremes of its AC
    check per element (``vm_min_pu``, ``vm_max_pu``, ``max_voltage_rise_pct``
    per bus; ``max_loading_pct`` and its time per line and transformer;
    ``violation_steps`` per kind where a limit was broken), on the same
    network (built from the district, or the version's imported grid) and with
    the same reactive power as the check, so they equal the run's ``grid``
    summary. Strong ``ETag``; ``If-None-Match`` with it gets 304.
    """
    run = crud.results.get_succeeded_run(session, principal, run_id)

    def render() -> Response:
        result = crud.results.result_of(session, run)
        stored = stored_grid_map(session, run, result)
        if stored is None:
            raise NotFoundError(f"run {run_id} made no AC check, so it has no grid results")
        info = export_info(session, run, settings, result)
        collection = stored | {
            "metadata": stored["metadata"]
            | {
                "run_id": run.id,
                "district_id": run_version(session, run).district_id,
                "results_licence": info.licence,
                "data_licences": list(info.data_licences),
            }
        }
        return JSONResponse(
            collection, media_type="application/geo+json", headers=info.http_headers()
        )

    return cached_read(request, settings, cache, run, principal.key_id is None, render)
