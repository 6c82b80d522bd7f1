"""Security headers on every answer (issue 13 item 7).

:class:`SecurityHeadersMiddleware` is the outermost layer of the app, so it
also covers error answers (404, 422, 429, 503 and the 500 of an unhandled
error):

* ``X-Content-Type-Options: nosniff`` on every response;
* ``Cache-Control: no-store`` where a route did not set its own: the API's
  answers are private data unless a route says otherwise (the keyless reads of
  published runs say ``public, no-cache`` with an ETag, :mod:`api.conditional`;
  the dashboard sets its own headers, :mod:`api.routers.dashboard`);
* on the interactive docs (``/docs``, ``/docs/oauth2-redirect``, ``/redoc``)
  a Content-Security-Policy that allows only the page itself, its inline
  start-up script and the Swagger UI / ReDoc files FastAPI loads from
  jsDelivr, and forbids framing (``frame-ancestors 'none'``,
  ``X-Frame-Options: DENY``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Where FastAPI's docs pages load Swagger UI and ReDoc from (fastapi.openapi.docs).
DOCS_CDN = "https://cdn.jsdelivr.net"
#: Content-Security-Policy of the docs pages.
DOCS_CSP = (
    f"default-src 'none'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; "
    f"style-src 'self' 'unsafe-inline' {DOCS_CDN}; img-src 'self' data: "
    "https://fastapi.tiangolo.com; font-src 'self' https://fonts.gstatic.com; "
    "connect-src 'self'; worker-src 'self' blob:; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
#: Paths of the docs pages.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
#: Headers every answer carries, and their values where a route set none.
ALWAYS = {b"x-content-type-options": b"nosniff", b"cache-control": b"no-store"}
#: Headers the docs pages carry in addition.
DOCS = {b"content-security-policy": DOCS_CSP.encode(), b"x-frame-options": b"DENY"}


class SecurityHeadersMiddleware:
    """Add the module's headers to every HTTP answer that does not carry them yet."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the missing headers to the answer's start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = ALWAYS | DOCS if scope.get("path") in DOCS_PATHS else ALWAYS
        await self.app(scope, receive, sending_missing_headers(send, wanted))


def sending_missing_headers(send: Send, wanted: dict[bytes, bytes]) -> Send:
    """Wrap ``send`` so the answer's start message gets each of ``wanted`` it lacks.

    Header names are lower-case bytes; a header the answer already has is kept.
    """

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {k.lower() for k, _ in headers}
            headers.extend((k, v) for k, v in wanted.items() if k not in present)
            message["headers"] = headers
        await send(message)

    return send_with_headers
