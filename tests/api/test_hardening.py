"""Zero server errors at the edge (issue 13 item 1): bounded ids and dates, finite numbers,
no control characters in names, a nesting limit, neutralised CSV formulas, documented
statuses, and a 500 that keeps the keep-alive connection usable.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import pytest
import uvicorn
from pydantic import BaseModel

from api.errors import MAX_NESTING, nesting_depth
from api.exports import csv_response, neutralise_cell, neutralise_formulas
from api.schemas import MAX_DB_ID
from tests.api.conftest import TestClient, World, small_spec


def post_raw(world: World, path: str, text: str, media_type: str) -> Any:
    """POST ``text`` as it is (no JSON encoding by the client) with planner A's key."""
    headers = world.h("planner_a") | {"Content-Type": media_type}
    return world.client.post(path, content=text, headers=headers)


TOO_BIG = [str(MAX_DB_ID + 1), "99999999999999999999"]


@pytest.mark.parametrize("value", TOO_BIG)
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/runs/{}", "path.run_id"),
        ("/runs/{}/results", "path.run_id"),
        ("/districts/{}/grid.geojson", "path.district_id"),
        ("/scenarios/{}", "path.scenario_id"),
        ("/runs?scenario_id={}", "query.scenario_id"),
        ("/scenarios?district_id={}", "query.district_id"),
        ("/districts/1?version={}", "query.version"),
        ("/sweeps?scenario_id={}", "query.scenario_id"),
    ],
)
def test_ids_beyond_the_database_range_are_422_naming_the_parameter(
    world: World, path: str, field: str, value: str
) -> None:
    r = world.client.get(path.format(value), headers=world.h("admin"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field


def test_compare_refuses_run_ids_beyond_the_range(world: World) -> None:
    r = world.client.get(f"/compare?runs=1,{MAX_DB_ID + 1}", headers=world.h("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "runs"


def test_every_id_parameter_in_the_openapi_is_bounded(client: TestClient) -> None:
    """Also catches routers added later: each integer path parameter and each id query."""
    spec = client.get("/openapi.json").json()
    unbounded = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for param in op.get("parameters", []):
                schema = param["schema"]
                options = schema.get("anyOf", [schema])
                ints = [o for o in options if o.get("type") == "integer"]
                is_id = param["in"] == "path" or param["name"].endswith("_id")
                is_id = is_id or param["name"] in ("version", "reference", "meter_data")
                if ints and is_id and not all(o.get("maximum", 2**63) <= MAX_DB_ID for o in ints):
                    unbounded.append(f"{method.upper()} {path} {param['name']}")
    assert unbounded == []


def test_dates_outside_1990_2100_are_422(world: World) -> None:
    d = world.create_district()
    r = world.client.get(
        f"/districts/{d}/forecast", params={"start": "2262-04-11"}, headers=world.h("planner_a")
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "query.start"
    for start in ("0001-01-01", "9999-12-25"):
        body = {"name": "S", "district_id": d, "options": {"start": start, "days": 1}}
        r = world.client.post("/scenarios", json=body, headers=world.h("planner_a"))
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "options.start"
        assert start in r.json()["detail"]


@pytest.mark.parametrize("endpoint", ["schedule", "node-power"])
def test_an_empty_column_list_is_422(world: World, executor: Any, endpoint: str) -> None:
    run = world.start_run(world.create_scenario(world.create_district()))
    executor.drain()
    r = world.client.get(
        f"/runs/{run}/{endpoint}?aggregate=day&columns=%20", headers=world.h("planner_a")
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "columns"


def test_sweep_battery_at_is_limited_to_the_id_length(world: World) -> None:
    s = world.create_scenario(world.create_district())
    body = {"grid": {"pv_kwp_added": [10]}, "battery_at": "B" * 70}
    r = world.client.post(f"/scenarios/{s}/sweeps", json=body, headers=world.h("planner_a"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.battery_at"


def test_json_nested_5000_deep_is_422(world: World) -> None:
    body = "[" * 5000 + "]" * 5000
    r = post_raw(world, "/districts", body, "application/json")
    assert r.status_code == 422
    assert f"at most {MAX_NESTING}" in r.json()["detail"]


def test_yaml_nested_deeply_is_422(world: World) -> None:
    flow = "a: " + "[" * 3000 + "]" * 3000
    block = "".join(" " * i + "- \n" for i in range(600))  # block style: recursion, not brackets
    for text in (flow, block):
        r = post_raw(world, "/districts/yaml?name=deep", text, "application/yaml")
        assert r.status_code == 422, r.text[:300]
        assert "nested" in r.json()["detail"]


def test_nesting_depth_ignores_brackets_in_strings() -> None:
    assert nesting_depth(b'{"a": [1, {"b": "[[[[[["}]}') == 3
    assert nesting_depth(b'"\\"[[["') == 0


def test_infinity_and_nan_are_refused_naming_the_field(world: World) -> None:
    spec = small_spec()
    spec["batteries"][0]["capacity_kwh"] = "__INF__"
    text = json.dumps({"name": "inf", "spec": spec}).replace('"__INF__"', "Infinity")
    r = post_raw(world, "/districts", text, "application/json")
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "body.spec.batteries[0].capacity_kwh"
    assert "finite" in r.json()["detail"]
    d = world.create_district()
    body = f'{{"name": "nan", "district_id": {d}, "changes": {{"pv_kwp_added": NaN}}}}'
    r = post_raw(world, "/scenarios", body, "application/json")
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "body.changes.pv_kwp_added"


def test_yaml_inf_is_refused(world: World) -> None:
    import yaml

    spec = small_spec()
    spec["batteries"][0]["capacity_kwh"] = float("inf")
    r = post_raw(world, "/districts/yaml?name=inf", yaml.safe_dump(spec), "application/yaml")
    assert r.status_code == 422, r.text
    assert "capacity_kwh" in r.json()["detail"]


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_every_request_body_model_refuses_inf_and_nan(client: TestClient) -> None:
    """Every model a request body names, directly or nested, has ``allow_inf_nan=False``."""
    spec = client.get("/openapi.json").json()
    components = spec["components"]["schemas"]
    bodies = [op.get("requestBody") for ops in spec["paths"].values() for op in ops.values()]
    names = set().union(*(_refs(b) for b in bodies if b))
    todo = set(names)
    while todo:
        new = _refs(components[todo.pop()]) - names
        names |= new
        todo |= new
    models = [
        m
        for m in _subclasses(BaseModel)
        if m.__name__ in names
        and not m.model_config.get("table", False)  # type: ignore[misc]
        and not m.__module__.startswith("fastapi")  # multipart forms of file uploads
    ]
    assert len({m.__name__ for m in models}) > 10
    allowing = sorted(m.__name__ for m in models if m.model_config.get("allow_inf_nan", True))
    assert allowing == []


@pytest.mark.parametrize("name", ["a\x00b", "tab\there", "bell\x07", "del\x7f"])
def test_control_characters_in_names_are_422(world: World, name: str) -> None:
    r = world.client.post("/organisations", json={"name": name}, headers=world.h("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.name"
    assert "control character" in r.json()["detail"]


def test_descriptions_keep_lines_but_refuse_nul(world: World) -> None:
    h = world.h("planner_a")
    ok = world.client.post(
        "/districts", json={"name": "x", "description": "a\nb\tc", "spec": small_spec()}, headers=h
    )
    assert ok.status_code == 201
    bad = world.client.patch(
        f"/districts/{ok.json()['id']}", json={"description": "a\x00"}, headers=h
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.description"


def test_formula_cells_are_neutralised() -> None:
    assert neutralise_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for text in ("+1+1", "-cmd", "@SUM(A1)", "\tx"):
        assert neutralise_cell(text) == "'" + text
    for number in ("-12.5", "+3", "1e-3", "-inf", "", "plain"):
        assert neutralise_cell(number) == number
    text = "# source: run 1\nname,value\n=1+2,-4.5\nok,3\n"
    assert neutralise_formulas(text) == "# source: run 1\nname,value\n'=1+2,-4.5\nok,3\n"


def test_every_csv_answer_is_neutralised() -> None:
    from api.exports import ExportInfo

    info = ExportInfo(licence="CC-BY-4.0", attribution="x", source="y")
    r = csv_response('scenario,cost\n=HYPERLINK("evil") (run 1),3\n', info, "f")
    assert r.body.decode().splitlines()[1].startswith("\"'=HYPERLINK")


def test_every_answered_status_is_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            documented = set(op["responses"])
            missing = {"400", "422", "429", "500", "503"} - documented
            assert not missing, f"{method.upper()} {path} lacks {missing}"


def test_an_unhandled_error_keeps_the_connection_usable(app: Any) -> None:
    """A real uvicorn on a socket bound to port 0: 500 then 200 on one keep-alive connection."""

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("internals")

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            answers = []
            for path in ("/boom", "/health"):
                conn.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                answers.append(_read_response(conn))
        assert answers[0].startswith("HTTP/1.1 500")
        assert '"request_id"' in answers[0]
        assert answers[1].startswith("HTTP/1.1 200")
    finally:
        server.should_exit = True
        thread.join(10)


def _read_response(conn: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return data.decode()  # the server closed the connection
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1]
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += conn.recv(4096)
    return (head + b"\r\n\r\n" + body).decode()
