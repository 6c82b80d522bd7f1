"""Conditional reads of finished runs: strong ``ETag``, ``If-None-Match`` -> 304, Cache-Control.

A succeeded run's results never change: its results row is written once, in
the transaction that marks the run succeeded (:mod:`api.jobs`), and a run
that is tried again gets a new ``attempts`` count and ``finished_at``. So a
read of it is identified by the run id, its attempt and finish time, the path
and the query: :func:`answer_etag` hashes these (plus :data:`RENDER_VERSION` and
the licence settings written into every answer) into a strong ETag (RFC 9110
section 8.8.3). An answer made of several runs (``/compare``) or of a run and
other stored inputs that can change (a scenario's name, its members list) is
identified the same way, by every run's id, attempt and finish time plus
those inputs as text. A request whose ``If-None-Match`` names it gets 304 Not
Modified without a body (section 13.1.2), after the same access check as a
full read, so a 304 never tells anyone more than the 200 would.

Cache-Control (issue 13 item 7): a read with a key is private data and
stays ``no-store``, so no browser or proxy keeps it; clients that keep their
own copy (the dashboard in its memory, scripts) still save the body and the
work with ``If-None-Match``. A read without a key sees published runs only
(:data:`api.deps.ANONYMOUS`): that answer is ``public, no-cache`` (caches may
keep it but must ask again each time, since a district can be made private
later, and then the owner's access rule decides) with ``Vary: X-API-Key``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import Request, Response

from api.exports import ExportCache
from api.schemas import RunStatus
from api.settings import Settings
from api.tables import Run

#: Raise when what the run reads answer changes for the same stored run (new fields...),
#: so clients holding an older body get a 200 with the new one.
RENDER_VERSION = "1"
#: Cache-Control of reads with a key (private data) and without one (published runs only).
PRIVATE_CACHE_CONTROL = "no-store"
PUBLIC_CACHE_CONTROL = "public, no-cache"
#: The OpenAPI entry of the 304 answer, for ``responses=`` of the routes that send ETags.
NOT_MODIFIED_RESPONSE: dict[int | str, dict[str, Any]] = {
    304: {
        "description": (
            "Not Modified: the If-None-Match header names this answer's ETag "
            "(a finished run's results never change); no body"
        )
    }
}


def answer_etag(
    runs: Sequence[Run], request: Request, settings: Settings, inputs: Sequence[str] = ()
) -> str | None:
    """Return the strong ETag of an answer made of succeeded runs, or None if one is not.

    Parameters
    ----------
    runs
        The runs the answer reads, already checked as readable by the caller,
        in the order the answer shows them.
    request
        The read (its path and query name the answer).
    settings
        The licence and attribution written into every answer.
    inputs
        Whatever else the answer shows that can change while the runs do not
        (a scenario's name, a members list), as text.

    Returns
    -------
    str or None
        ``"<32 hex digits>"`` (quoted, RFC 9110 entity-tag), the first 128 bits
        of a SHA-256 of each run's id, attempts and finish time, path, sorted
        query, licence settings, :data:`RENDER_VERSION` and ``inputs``.
    """
    stamps: list[str] = []
    for run in runs:
        if run.status != RunStatus.succeeded or run.finished_at is None:
            return None
        stamps += [str(run.id), str(run.attempts), run.finished_at.isoformat()]
    if not stamps:
        return None
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query_params.multi_items()))
    parts = (
        RENDER_VERSION,
        *stamps,
        request.url.path,
        query,
        settings.result_licence,
        settings.result_attribution,
        *inputs,
    )
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def etag_matches(request: Request, etag: str) -> bool:
    """Return whether the request's ``If-None-Match`` names ``etag`` (or is ``*``).

    ``If-None-Match`` uses the weak comparison (RFC 9110 section 13.1.2): a
    ``W/`` prefix on the client's tag is ignored.
    """
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in (t.removeprefix("W/") for t in tags)


def cache_headers(etag: str, keyless: bool) -> dict[str, str]:
    """Return ``ETag``, ``Cache-Control`` and ``Vary`` of a read of a succeeded run."""
    control = PUBLIC_CACHE_CONTROL if keyless else PRIVATE_CACHE_CONTROL
    return {"ETag": etag, "Cache-Control": control, "Vary": "X-API-Key"}


def not_modified(etag: str, keyless: bool) -> Response:
    """Return the 304 answer (no body) with the headers the 200 would carry."""
    return Response(status_code=304, headers=cache_headers(etag, keyless))


def with_cache_headers(response: Response, etag: str | None, keyless: bool) -> Response:
    """Set the conditional-read headers on ``response`` (nothing for a run without ETag)."""
    if etag is not None:
        response.headers.update(cache_headers(etag, keyless))
    return response


def cached_read(
    request: Request,
    settings: Settings,
    cache: ExportCache,
    runs: Run | Sequence[Run],
    keyless: bool,
    render: Callable[[], Response],
    inputs: Sequence[str] = (),
) -> Response:
    """Answer a read of runs: 304, the cached body, or ``render()`` (then cached).

    Parameters
    ----------
    request, settings
        The read and the app's settings (:func:`answer_etag`).
    cache
        The app's cache of rendered answers, keyed by the ETag.
    runs
        The run (or the runs of an answer made of several), already checked as
        readable (and succeeded, for reads of results).
    keyless
        Whether the caller reads without a key (published data; :func:`cache_headers`).
    render
        Makes the full answer (reads the results row, renders the body); called
        only when neither a 304 nor a cached body answers.
    inputs
        Other stored inputs the answer shows, as text (:func:`answer_etag`).

    Returns
    -------
    Response
        With ``ETag``, ``Cache-Control`` and ``Vary`` when every run has
        succeeded; otherwise rendered every time, uncached.
    """
    etag = answer_etag([runs] if isinstance(runs, Run) else runs, request, settings, inputs)
    if etag is None:
        return render()
    if etag_matches(request, etag):
        return not_modified(etag, keyless)
    key = ("read", etag)
    response = cache.get(key)
    if response is None:
        response = render()
        cache.put(key, response)
    return with_cache_headers(response, etag, keyless)
