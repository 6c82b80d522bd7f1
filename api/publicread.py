"""Published data without a key: a read-only copy of the API's read routes under ``/public``.

Issue 14.3 asks that published districts, scenarios and runs be readable
without a key. Until the API itself answers keyless requests (issue 13,
access rules), the dashboard reads them here: the same routers, mounted as a
sub-application at ``/public``, where every request acts as an anonymous
viewer (:data:`PUBLIC`: role viewer, no organisation, no key), so it sees
exactly what a viewer key sees — published objects only; anything else is
404, as for a viewer. Only GET and HEAD are answered (405 otherwise), and the
sub-application has no docs of its own. It shares the app's settings,
database engine, executor and export cache.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from api.auth import Principal
from api.deps import get_current_key
from api.errors import install_error_handlers
from api.routers import analysis, dashboard, districts, members, runs, scenarios, sweeps
from api.routers.dashboard import PUBLIC_PREFIX
from api.schemas import Role

__all__ = ["PUBLIC", "PUBLIC_PREFIX", "public_app"]
#: Who a keyless request is: a viewer of no organisation (published objects only).
PUBLIC = Principal(key_id=None, key_name="public (no key)", role=Role.viewer, organisation_id=0)
#: The routers whose read routes the copy serves.
READ_ROUTERS = (districts, scenarios, runs, analysis, sweeps, members, dashboard)


def public_principal() -> Principal:
    """Return the anonymous viewer every request of the copy acts as."""
    return PUBLIC


def public_app(app: FastAPI) -> FastAPI:
    """Build the read-only, keyless copy of ``app``'s read routes (mount it at ``/public``)."""
    sub = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    sub.state = app.state
    install_error_handlers(sub)
    for module in READ_ROUTERS:
        sub.include_router(module.router)
    sub.dependency_overrides[get_current_key] = public_principal

    @sub.middleware("http")
    async def _read_only(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.method not in ("GET", "HEAD"):
            return JSONResponse(
                {
                    "detail": f"{request.method}: published data are read-only here; use the API "
                    "with a key to change anything"
                },
                status_code=405,
                headers={"Allow": "GET, HEAD"},
            )
        return await call_next(request)

    return sub
