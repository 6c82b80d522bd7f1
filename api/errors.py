"""Errors of the API and their JSON answers: never a 500 with a traceback.

Library errors map as the house style says: :class:`~energy.errors.InputDataError`
-> 422 naming the field, :class:`~energy.errors.InfeasibleError` -> 409 with the
diagnosis (in runs: a failed run), :class:`~energy.errors.SolverError` -> 503.
A database that cannot be reached (SQLAlchemy ``OperationalError``: refused,
dropped or locked connection) -> 503 with ``Retry-After``; the request's
transaction was not committed.
Anything unexpected is logged with its traceback and answered with a 500 that
carries only a request id to find the log line.
"""

from __future__ import annotations

import ast
import logging
import math
import re
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.headers import sending_missing_headers
from energy.errors import InfeasibleError, InputDataError, SolverError

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"


class ApiError(Exception):
    """An error with an HTTP status, raised by crud functions and dependencies."""

    status_code = 400

    def __init__(self, detail: str, **body: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.body = body  # further fields of the JSON answer, beside ``detail``


class NotFoundError(ApiError):
    """The object does not exist or the caller may not see it (404)."""

    status_code = 404


class ForbiddenError(ApiError):
    """The caller may see the object but not do this (403)."""

    status_code = 403


class UnauthorisedError(ApiError):
    """No valid API key (401)."""

    status_code = 401


class ConflictError(ApiError):
    """The object is in a state that does not allow this (409)."""

    status_code = 409


class UnsupportedMediaTypeError(ApiError):
    """The body is not of a media type the endpoint reads (415)."""

    status_code = 415


class QueueUnavailableError(ApiError):
    """The job queue did not take the run (503)."""

    status_code = 503


class RateLimitedError(ApiError):
    """Too many requests (429); ``retry_after`` [s] goes into the Retry-After header."""

    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class JobQuotaError(ApiError):
    """The organisation has as many jobs queued or running as it may (429).

    The answer carries ``quota``, ``active`` and ``requested`` beside ``detail``.
    """

    status_code = 429


class WorkTooLargeError(ApiError):
    """A job is larger than the API process runs with the inline queue (422).

    The answer carries ``errors[]`` (field ``options``) and ``work`` (its factors,
    units and the limit) beside ``detail``.
    """

    status_code = 422


class PayloadTooLargeError(ApiError):
    """The request body is larger than ``ENERGY_MAX_UPLOAD_BYTES`` (413)."""

    status_code = 413


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic errors as ``{field, value, message, loc, type}`` with a dotted field path.

    ``value`` is the rejected input (null for a missing field).
    """
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        field = ""
        for part in loc:
            field += f"[{part}]" if part.isdigit() else (f".{part}" if field else part)
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        value = None if err.get("type") == "missing" else _finite(err.get("input"))
        out.append(
            {
                "field": field,
                "value": value,
                "message": message,
                "loc": loc,
                "type": err.get("type"),
            }
        )
    return out


def _finite(value: Any) -> Any:
    """Return ``value`` with NaN and infinities as the strings ``NaN``, ``Infinity``, ``-Infinity``.

    JSON has no such numbers; the rejected input is echoed as it was written.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


#: ``field: value is not ...``: the library's message convention (energy.errors).
_MESSAGE_FIELD = re.compile(r"^(?P<field>[A-Za-z_][\w.\[\]\-]*): (?P<rest>.*)", re.DOTALL)
_MESSAGE_VALUE = re.compile(r"^(?P<value>'[^']*'|\"[^\"]*\"|-?\d[\d.eE+-]*|\[[^\]]*\])[ ;,]")


def input_errors(exc: InputDataError) -> list[dict[str, Any]]:
    """Return the ``errors[]`` of a library input error: ``{field, value, message, type}``.

    The field and value the error carries (``InputDataError(field=, value=)``),
    else read from the message's ``field: value ...`` convention; ``value`` is
    null when the message names none.
    """
    message = str(exc)
    field, value = exc.field, exc.value
    match = _MESSAGE_FIELD.match(message)
    if field is None and match is not None:
        field = match.group("field")
        if value is None and (found := _MESSAGE_VALUE.match(match.group("rest") + " ")):
            try:
                value = ast.literal_eval(found.group("value"))
            except (ValueError, SyntaxError):
                value = found.group("value")
    return [{"field": field or "", "value": value, "message": message, "type": "input_data"}]


#: Seconds a client should wait after a 503 for an unreachable database.
DATABASE_RETRY_AFTER_S = 5


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", None) or uuid.uuid4().hex


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error answers on ``app``."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "X-API-Key"} if exc.status_code == 401 else None
        if isinstance(exc, RateLimitedError):
            headers = {"Retry-After": str(exc.retry_after)}
        body = {"detail": exc.detail} | exc.body
        return JSONResponse(jsonable_encoder(body), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(list(exc.errors()))
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(
            jsonable_encoder({"detail": summary, "errors": errors}), status_code=422
        )

    @app.exception_handler(InputDataError)
    async def _input(request: Request, exc: InputDataError) -> JSONResponse:
        body = {"detail": str(exc), "errors": input_errors(exc)}
        return JSONResponse(jsonable_encoder(body), status_code=422)

    @app.exception_handler(InfeasibleError)
    async def _infeasible(request: Request, exc: InfeasibleError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "diagnosis": exc.diagnosis}, status_code=409)

    @app.exception_handler(SolverError)
    async def _solver(request: Request, exc: SolverError) -> JSONResponse:
        return JSONResponse({"detail": f"solver unavailable: {exc}"}, status_code=503)

    @app.exception_handler(OperationalError)
    async def _database_away(request: Request, exc: OperationalError) -> JSONResponse:
        request_id = _request_id(request)
        logger.warning(
            "database unavailable in %s %s (request %s): %s",
            request.method,
            request.url.path,
            request_id,
            exc.orig,
        )
        return JSONResponse(
            {
                "detail": "database unavailable; the request was not carried out, retry in "
                f"{DATABASE_RETRY_AFTER_S} s",
                "request_id": request_id,
            },
            status_code=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_S), REQUEST_ID_HEADER: request_id},
        )

    @app.exception_handler(RecursionError)
    async def _too_deep(request: Request, exc: RecursionError) -> JSONResponse:
        detail = f"request body: nested too deeply (at most {MAX_NESTING} levels)"
        errors = [{"field": "body", "value": None, "message": detail, "type": "nesting"}]
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return internal_error(request.method, request.url.path, _request_id(request), exc)


def internal_error(method: str, path: str, request_id: str, exc: BaseException) -> JSONResponse:
    """Log ``exc`` with its traceback and return the JSON 500 that names only the request id."""
    logger.error("unhandled error in %s %s (request %s)", method, path, request_id, exc_info=exc)
    return JSONResponse(
        {
            "detail": "internal error; the request id names it in the server log",
            "request_id": request_id,
        },
        status_code=500,
        headers={REQUEST_ID_HEADER: request_id},
    )


class UnhandledErrorMiddleware:
    """Answer an unexpected exception with the JSON 500 and *return*, not re-raise.

    Starlette's outermost error middleware sends the 500 and then re-raises,
    and uvicorn closes the connection of a request whose app raised, so the
    client's next request on that keep-alive connection would fail too. This
    middleware sits inside it and ends the request normally. A response that
    had already started cannot be replaced; then the error goes on up.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; turn an exception before the response started into a JSON 500."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            request_id = scope.get("state", {}).get("request_id") or uuid.uuid4().hex
            response = internal_error(scope["method"], scope["path"], request_id, exc)
            await response(scope, receive, send)


#: Deepest nesting of brackets (JSON arrays/objects, YAML flow collections) in a body.
MAX_NESTING = 64
_QUOTED = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def nesting_depth(body: bytes) -> int:
    """Return the deepest nesting of ``[]``/``{}`` in ``body``, outside double-quoted strings."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_QUOTED.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class BodyNestingLimitMiddleware:
    """Answer 422 for a request body nested deeper than :data:`MAX_NESTING` levels.

    Parsers recurse per level (a JSON or YAML document nested 5,000 deep is a
    RecursionError), so the body is measured before anything parses it. The
    body is buffered; :class:`BodySizeLimitMiddleware` (outside) bounds it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer the body, measure its nesting, then hand it on unchanged."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except PayloadTooLargeError as exc:  # raised by BodySizeLimitMiddleware's receive
            await JSONResponse({"detail": exc.detail}, status_code=413)(scope, receive, send)
            return
        brackets = body.count(b"[") + body.count(b"{")
        depth = nesting_depth(body) if brackets > MAX_NESTING else brackets
        if depth > MAX_NESTING:
            detail = f"request body: nested {depth} levels deep; at most {MAX_NESTING} are allowed"
            errors = [{"field": "body", "value": None, "message": detail, "type": "nesting"}]
            response = JSONResponse({"detail": detail, "errors": errors}, status_code=422)
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class RequestIdMiddleware:
    """Give every request an id (``X-Request-ID``, taken from the client if sent)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Set ``request.state.request_id`` and echo it in the response headers."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"").decode()
        request_id = sent[:64] if sent.isprintable() and sent else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        wanted = {b"x-request-id": request_id.encode()}
        await self.app(scope, receive, sending_missing_headers(send, wanted))


class BodySizeLimitMiddleware:
    """Answer 413 for request bodies over ``max_bytes``, declared or streamed.

    A ``Content-Length`` over the limit is refused before the body is read; a
    chunked body is counted while it arrives and the request fails with
    :class:`PayloadTooLargeError` once it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the streamed bytes."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLargeError(self._detail())
            return message

        await self.app(scope, counting_receive, send)

    def _detail(self) -> str:
        return (
            f"request body: larger than the limit of {self.max_bytes} bytes "
            "(ENERGY_MAX_UPLOAD_BYTES)"
        )

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse({"detail": self._detail()}, status_code=413)
        await response({"type": "http"}, _no_receive, send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
