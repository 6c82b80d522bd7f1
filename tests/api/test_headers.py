"""Security headers (issue 13 item 7): nosniff everywhere, no-store on private data, CSP on docs.

Each answer is read as a browser or a proxy would see it, including error
answers produced far from the routes (an unknown path, a validation error, a
missing key, a rate limit) and the dashboard and docs pages.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from api.executors import InlineExecutor
from api.settings import Settings
from tests.api.conftest import (
    TestClient,
    World,
    build_app,
    build_world,
    make_settings,
    memory_engine,
)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    settings = Settings(**(make_settings().model_dump() | {"rate_limit_anonymous": "3/minute"}))
    engine = memory_engine()
    with TestClient(build_app(engine, settings, InlineExecutor(engine, settings))) as client:
        yield build_world(client, engine)
    engine.dispose()


def nosniff(r: httpx.Response) -> bool:
    return r.headers.get("x-content-type-options") == "nosniff"


def test_private_answers_and_errors_are_not_stored_and_not_sniffed(world: World) -> None:
    c, h = world.client, world.h("planner_a")
    district = world.create_district()
    answers = {
        "district": c.get(f"/districts/{district}", headers=h),
        "list": c.get("/districts", headers=h),
        "keys": c.get("/keys", headers=world.h("admin")),
        "openapi": c.get("/openapi.json"),
        "not found": c.get("/no/such/path", headers=h),
        "hidden": c.get(f"/districts/{district}", headers=world.h("planner_b")),
        "validation": c.get("/runs/0", headers=h),
        "no key": c.get("/me"),
        "wrong key": c.get("/me", headers={"X-API-Key": "sk_wrong"}),
        "csv": c.get(f"/districts/{district}/grid.geojson", headers=h),
    }
    expected = {"hidden": 404, "not found": 404, "validation": 422, "no key": 401}
    for name, r in answers.items():
        assert r.status_code == expected.get(name, r.status_code), (name, r.text[:200])
        assert nosniff(r), name
        assert r.headers.get("cache-control") == "no-store", (name, r.headers)


def test_a_rate_limited_answer_carries_them_too(world: World) -> None:
    answers = [world.client.get("/districts") for _ in range(5)]
    limited = [r for r in answers if r.status_code == 429]
    assert limited, [r.status_code for r in answers]
    assert all(nosniff(r) and r.headers["cache-control"] == "no-store" for r in limited)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_have_a_csp_and_cannot_be_framed(world: World, path: str) -> None:
    r = world.client.get(path)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    csp = {
        part.split()[0]: part.split()[1:]
        for part in r.headers["content-security-policy"].split("; ")
    }
    assert csp["frame-ancestors"] == ["'none'"] and csp["default-src"] == ["'none'"]
    # every script and style the page loads comes from the page itself or jsDelivr
    for src in ("cdn.jsdelivr.net",):
        assert f"https://{src}" in csp["script-src"] and src in r.text
    assert r.headers["x-frame-options"] == "DENY" and nosniff(r)


def test_the_dashboard_keeps_its_own_policy(world: World) -> None:
    r = world.client.get("/dashboard/")
    assert r.status_code == 200
    assert "script-src 'self';" in r.headers["content-security-policy"]
    assert nosniff(r)
