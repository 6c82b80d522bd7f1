"""FastAPI dependencies as ``Annotated`` aliases (full-stack-fastapi-template ``api/deps.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyHeader
from sqlmodel import Session

from api.auth import Principal, authenticate
from api.errors import UnauthorisedError
from api.executors import JobExecutor
from api.exports import ExportCache
from api.settings import Settings

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="An API key; `energy-api create-admin-key` makes the first one",
)


def get_session(request: Request) -> Iterator[Session]:
    """Open one session per request on the app's engine."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_current_key(
    session: SessionDep, key: Annotated[str | None, Security(api_key_header)]
) -> Principal:
    """Authenticate the ``X-API-Key`` header (401 if missing, unknown or revoked)."""
    if not key:
        raise UnauthorisedError("missing X-API-Key header")
    principal = authenticate(session, key)
    if principal is None:
        raise UnauthorisedError("X-API-Key: unknown or revoked key")
    return principal


def get_executor(request: Request) -> JobExecutor:
    """Return the job executor of the running app."""
    executor: JobExecutor = request.app.state.executor
    return executor


def get_app_settings(request: Request) -> Settings:
    """Return the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_export_cache(request: Request) -> ExportCache:
    """Return the app's cache of rendered exports."""
    cache: ExportCache = request.app.state.export_cache
    return cache


CurrentKey = Annotated[Principal, Depends(get_current_key)]
ExecutorDep = Annotated[JobExecutor, Depends(get_executor)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ExportCacheDep = Annotated[ExportCache, Depends(get_export_cache)]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip")]
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page")]
