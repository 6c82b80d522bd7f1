"""Error answers: JSON everywhere, a request id for unexpected errors, no traceback."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from tests.api.conftest import TestClient


def test_unexpected_error_is_a_json_500_with_request_id(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with (
        caplog.at_level(logging.ERROR, logger="api.errors"),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        r = client.get("/boom", headers={"X-Request-ID": "req-42"})
    assert r.status_code == 500
    body = r.json()
    assert body["request_id"] == "req-42"
    assert "secret internals" not in r.text and "Traceback" not in r.text
    # the traceback is in the server log, findable by the request id
    record = next(rec for rec in caplog.records if "req-42" in rec.getMessage())
    assert record.exc_info is not None


def test_an_unreachable_database_is_a_503_with_retry_after(app: Any) -> None:
    @app.get("/db-away")
    def db_away() -> None:
        refused = ConnectionRefusedError("connection to 127.0.0.1:5432 refused")
        raise OperationalError("SELECT 1", {}, refused)

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/db-away", headers={"X-Request-ID": "req-db"})
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert r.json()["detail"].startswith("database unavailable")
    assert r.json()["request_id"] == "req-db"
    assert "127.0.0.1" not in r.text  # the connection details stay in the server log


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    assert client.get("/health", headers={"X-Request-ID": "abc"}).headers["X-Request-ID"] == "abc"
    made = client.get("/health").headers["X-Request-ID"]
    assert len(made) == 32


def test_unknown_route_and_method(client: TestClient) -> None:
    assert client.get("/nope").status_code == 404
    assert client.put("/health").status_code == 405


def test_openapi_documents_the_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/districts",
        "/districts/yaml",
        "/districts/upload",
        "/scenarios",
        "/scenarios/{scenario_id}/runs",
        "/runs/{run_id}",
        "/runs/{run_id}/cancel",
        "/runs/{run_id}/results",
        "/runs/{run_id}/schedule",
        "/districts/{district_id}/forecast",
        "/health",
        "/ready",
    ):
        assert path in paths, path
    for path, methods in paths.items():
        for method, op in methods.items():
            assert op.get("summary"), f"{method} {path} has no summary"
    assert "APIKeyHeader" in spec["components"]["securitySchemes"]
    assert client.get("/docs").status_code == 200
