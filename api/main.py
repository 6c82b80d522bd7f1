"""The FastAPI application: ``create_app()`` wires settings, database, jobs and routers.

Serve it with ``energy-api serve`` or ``uvicorn --factory api.main:create_app``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine

from api.auth import AuthCache
from api.db import make_engine, migrate
from api.errors import (
    BodyNestingLimitMiddleware,
    BodySizeLimitMiddleware,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
    install_error_handlers,
)
from api.executors import JobExecutor, make_executor
from api.exports import ExportCache
from api.headers import SecurityHeadersMiddleware
from api.ratelimit import RateLimits
from api.routers import (
    analysis,
    dashboard,
    districts,
    ensembles,
    forecasts,
    geometry,
    health,
    members,
    organisations,
    reports,
    runs,
    scenarios,
    sweeps,
)
from api.schemas import ErrorBody
from api.settings import Settings, get_settings

logger = logging.getLogger(__name__)

DESCRIPTION = """
Planning backend of the **Digitales Stadtwerk Gera**: districts (buildings, PV,
batteries, dimmable street lighting, the low-voltage grid), scenarios ("what if
we add 300 kWp and a 400 kWh battery?") and runs (optimal dispatch with Pyomo
and HiGHS, checked with an AC power flow, compared with two baselines).

* Authenticate with the `X-API-Key` header (the *Authorize* button above).
* Start a run with `POST /scenarios/{id}/runs`: the answer (202) carries the run
  id and a `Location`; poll `GET /runs/{id}` for status and progress, then read
  `GET /runs/{id}/results` and `GET /runs/{id}/schedule?aggregate=day&format=csv`.
* Private objects are visible to their organisation only; published ones to all.
* Results are licensed CC-BY-4.0; every export names its licence and source.
"""

TAGS = [
    {"name": "districts", "description": "District specs, versions and grids"},
    {"name": "scenarios", "description": "A district plus changes, horizon and objective"},
    {"name": "runs", "description": "Background optimisation jobs and their results"},
    {"name": "forecasts", "description": "PV forecasts from clear sky or an uploaded forecast"},
    {
        "name": "analyses",
        "description": "Savings by period and source, scenario comparison, meter vs plan",
    },
    {
        "name": "sweeps and sizing",
        "description": "Sweeps on the job queue; optimal PV and battery sizes",
    },
    {"name": "organisations and keys", "description": "Who may see and change what"},
    {"name": "health", "description": "Liveness and readiness"},
]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A body that cannot be parsed (not JSON, multipart)"},
    401: {
        "model": ErrorBody,
        "description": "Missing, unknown, revoked or expired X-API-Key (the message says which)",
    },
    403: {"model": ErrorBody, "description": "Visible, but not yours to change"},
    404: {"model": ErrorBody, "description": "Not found, or not visible to you"},
    409: {"model": ErrorBody, "description": "The object's state does not allow this"},
    413: {"model": ErrorBody, "description": "Request body over ENERGY_MAX_UPLOAD_BYTES"},
    415: {"model": ErrorBody, "description": "A body of a media type this endpoint does not read"},
    422: {"model": ErrorBody, "description": "Invalid input; the message names the field"},
    429: {"model": ErrorBody, "description": "Too many requests; Retry-After says when to retry"},
    500: {"model": ErrorBody, "description": "Internal error; request_id names it in the log"},
    503: {"model": ErrorBody, "description": "Database, queue or solver unavailable; retry"},
}


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    executor: JobExecutor | None = None,
    migrate_on_start: bool = True,
) -> FastAPI:
    """Build the application.

    Parameters
    ----------
    settings
        Default: from the environment (:func:`api.settings.get_settings`).
    engine
        Default: an engine on ``settings.database_url``.
    executor
        Default: the executor ``settings.queue`` names.
    migrate_on_start
        Upgrade the database to the newest migration when the app starts.
    """
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    executor = executor or make_executor(engine, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate_on_start:
            migrate(engine)
        executor.start()
        logger.info("API ready: database %s, queue %s", engine.url, executor.name)
        try:
            yield
        finally:
            executor.shutdown()

    app = FastAPI(
        title="Digitales Stadtwerk Gera: planning API",
        description=DESCRIPTION,
        version="0.1.0",
        openapi_tags=TAGS,
        lifespan=lifespan,
        license_info={"name": "MIT (code); results CC-BY-4.0", "identifier": "MIT"},
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.executor = executor
    app.state.export_cache = ExportCache()
    app.state.rate_limits = RateLimits(settings)
    app.state.auth_cache = AuthCache(settings.auth_cache_ttl_s)
    install_error_handlers(app)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(BodyNestingLimitMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_upload_bytes)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: errors get them too
    app.include_router(health.router, responses=ERROR_RESPONSES)
    app.include_router(dashboard.router, responses=ERROR_RESPONSES)
    for module in (
        organisations,
        districts,
        forecasts,
        scenarios,
        runs,
        analysis,
        sweeps,
        reports,
        members,
        geometry,
        ensembles,
    ):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    return app
