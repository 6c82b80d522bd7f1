"""FastAPI dependencies as ``Annotated`` aliases (full-stack-fastapi-template ``api/deps.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import APIKeyHeader
from sqlmodel import Session

from api.auth import AuthCache, Principal, check_key
from api.errors import UnauthorisedError
from api.executors import JobExecutor
from api.exports import ExportCache
from api.ratelimit import RateLimits
from api.schemas import MAX_DB_ID, Role
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


#: Who reads without a key: published districts, scenarios and runs only (as a viewer).
ANONYMOUS = Principal(key_id=None, key_name="anonymous", role=Role.viewer, organisation_id=0)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _authenticated(request: Request, session: Session, key: str) -> Principal:
    limits: RateLimits = request.app.state.rate_limits
    check = check_key(session, key, get_auth_cache(request))
    if check.principal is None:
        limits.failed_key(_address(request))  # 429 once this address failed too often
        raise UnauthorisedError(check.refusal)
    assert check.principal.key_id is not None
    limits.key(check.principal.key_id)
    return check.principal


def get_current_key(
    request: Request, session: SessionDep, key: Annotated[str | None, Security(api_key_header)]
) -> Principal:
    """Authenticate the ``X-API-Key`` header (401: missing, unknown, revoked, expired; 429: limits).

    A wrong key counts against its client address; past
    ``ENERGY_RATE_LIMIT_FAILED_KEYS`` the answer is 429 instead of 401. A valid
    key is never refused for others' failures, only past its own budget.
    """
    if not key:
        raise UnauthorisedError("missing X-API-Key header")
    return _authenticated(request, session, key)


def get_reader(
    request: Request, session: SessionDep, key: Annotated[str | None, Security(api_key_header)]
) -> Principal:
    """Like :func:`get_current_key`, but without a key the caller reads as :data:`ANONYMOUS`.

    Reads without a key see what a viewer key sees (published objects) and
    count against ``ENERGY_RATE_LIMIT_ANONYMOUS`` per client address.
    """
    if not key:
        request.app.state.rate_limits.anonymous_read(_address(request))
        return ANONYMOUS
    return _authenticated(request, session, key)


def get_auth_cache(request: Request) -> AuthCache:
    """Return the app's cache of authenticated keys."""
    cache: AuthCache = request.app.state.auth_cache
    return cache


async def get_executor(request: Request) -> JobExecutor:
    """Return the job executor of the running app.

    This and the two below are ``async`` so that FastAPI calls them on the event loop
    instead of handing each to a worker thread (they only read ``app.state``).
    """
    executor: JobExecutor = request.app.state.executor
    return executor


async def get_app_settings(request: Request) -> Settings:
    """Return the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_export_cache(request: Request) -> ExportCache:
    """Return the app's cache of rendered exports."""
    cache: ExportCache = request.app.state.export_cache
    return cache


CurrentKey = Annotated[Principal, Depends(get_current_key)]
ReaderKey = Annotated[Principal, Depends(get_reader)]
ExecutorDep = Annotated[JobExecutor, Depends(get_executor)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ExportCacheDep = Annotated[ExportCache, Depends(get_export_cache)]
AuthCacheDep = Annotated[AuthCache, Depends(get_auth_cache)]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip")]
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page")]
PathId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description=f"Id of the object (1..{MAX_DB_ID})")]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=MAX_DB_ID, description="District version; default: the latest")
]
QueryId = Annotated[
    int | None, Query(ge=1, le=MAX_DB_ID, description=f"Only this object's (id 1..{MAX_DB_ID})")
]
