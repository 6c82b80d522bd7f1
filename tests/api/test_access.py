"""Cross-organisation access: no endpoint shows or changes another organisation's private data.

Organisation A (the utility) owns a private district, scenario and run, and a
published set. Every key of organisation B, and A's own viewer, gets 404 for
every read and write of A's private objects (hidden as if absent); writes to
A's published objects are 403; lists never contain A's private objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.conftest import (
    RecordingExecutor,
    TestClient,
    World,
    build_app,
    build_world,
    make_settings,
    memory_engine,
    small_spec,
)

OPEN_METEO = {"latitude": 50.88, "longitude": 12.08, "timezone": "GMT", "hourly": {}}


@dataclass
class Objects:
    district: int
    scenario: int
    run: int


@dataclass
class Setup:
    world: World
    private: Objects
    published: Objects


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    """One app and database for the module: every request here is refused or read-only."""
    engine = memory_engine()
    settings = make_settings()
    executor = RecordingExecutor(engine, settings)
    with TestClient(build_app(engine, settings, executor)) as client:
        world = build_world(client, engine)
        made = {}
        for visibility in ("private", "published"):
            d = world.create_district(visibility=visibility, name=f"D-{visibility}")
            s = world.create_scenario(d, visibility=visibility)
            r = world.start_run(s)
            made[visibility] = Objects(d, s, r)
        executor.drain()
        yield Setup(world, made["private"], made["published"])
    engine.dispose()


def spec_file() -> dict[str, Any]:
    return {"file": ("d.json", json.dumps(small_spec()), "application/json")}


# (method, path template, request keyword arguments)
READS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/districts/{district}", {}),
    ("GET", "/districts/{district}/versions", {}),
    ("GET", "/districts/{district}/grid.geojson", {}),
    ("GET", "/districts/{district}/forecast", {"params": {"start": "2025-06-01", "days": 1}}),
    (
        "POST",
        "/districts/{district}/forecast",
        {
            "params": {"start": "2025-06-01", "days": 1},
            "files": {"file": ("f.json", json.dumps(OPEN_METEO), "application/json")},
        },
    ),
    ("GET", "/scenarios/{scenario}", {}),
    ("GET", "/scenarios/{scenario}/runs", {}),
    ("GET", "/runs/{run}", {}),
    ("GET", "/runs/{run}/results", {}),
    ("GET", "/runs/{run}/schedule", {"params": {"format": "csv"}}),
    ("GET", "/runs/{run}/node-power", {}),
]
WRITES: list[tuple[str, str, dict[str, Any]]] = [
    ("PATCH", "/districts/{district}", {"json": {"name": "gekapert"}}),
    ("POST", "/districts/{district}/versions", {"files": spec_file()}),
    (
        "POST",
        "/districts/{district}/network",
        {"files": {"file": ("n.json", "{}", "application/json")}},
    ),
    ("POST", "/districts/{district}/network/simbench", {"json": {"code": "1-LV-rural1--0-sw"}}),
    ("DELETE", "/districts/{district}", {}),
    ("PATCH", "/scenarios/{scenario}", {"json": {"name": "gekapert"}}),
    ("POST", "/scenarios/{scenario}/runs", {}),
    ("POST", "/runs/{run}/cancel", {}),
    ("DELETE", "/scenarios/{scenario}", {}),
]
OUTSIDERS = ["planner_b", "cooperative_b", "viewer_b", "viewer_a"]


def call(
    setup: Setup, who: str, method: str, path: str, kwargs: dict[str, Any], objects: Objects
) -> Any:
    url = path.format(district=objects.district, scenario=objects.scenario, run=objects.run)
    return setup.world.client.request(method, url, headers=setup.world.h(who), **kwargs)


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize(
    ("method", "path", "kwargs"), READS + WRITES, ids=[f"{m} {p}" for m, p, _ in READS + WRITES]
)
def test_private_objects_are_hidden(
    setup: Setup, who: str, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    r = call(setup, who, method, path, kwargs, setup.private)
    assert r.status_code == 404, r.text
    assert "not found" in r.json()["detail"]


#: Writes others may not make on published objects: every write, except that a cooperative
#: may run a published scenario into its own organisation (test_members_api.py tests that).
OTHERS_WRITES = [
    (who, m, p, kw)
    for who in ("planner_b", "cooperative_b", "viewer_b")
    for m, p, kw in WRITES
    if not (who == "cooperative_b" and p == "/scenarios/{scenario}/runs")
]


@pytest.mark.parametrize(
    ("who", "method", "path", "kwargs"),
    OTHERS_WRITES,
    ids=[f"{who} {m} {p}" for who, m, p, _ in OTHERS_WRITES],
)
def test_published_objects_are_read_only_for_others(
    setup: Setup, who: str, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    r = call(setup, who, method, path, kwargs, setup.published)
    assert r.status_code == 403, r.text


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [r for r in READS if "grid.geojson" not in r[1] and r[0] == "GET" and "forecast" not in r[1]],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_published_objects_are_readable(
    setup: Setup, who: str, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    r = call(setup, who, method, path, kwargs, setup.published)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("who", OUTSIDERS)
def test_lists_hold_no_private_objects_of_others(setup: Setup, who: str) -> None:
    c, h = setup.world.client, setup.world.h(who)
    for path, own_private in (
        ("/districts", setup.private.district),
        ("/scenarios", setup.private.scenario),
        ("/runs", setup.private.run),
    ):
        ids = [item["id"] for item in c.get(path, headers=h).json()["items"]]
        assert own_private not in ids
        assert len(ids) == 1  # the published one
    r = c.get(f"/scenarios?district_id={setup.private.district}", headers=h)
    assert r.json()["total"] == 0
    r = c.post("/scenarios", json={"name": "s", "district_id": setup.private.district}, headers=h)
    assert r.status_code in (403, 422)  # viewers may not create; others do not see it
    if r.status_code == 422:
        assert "district_id" in r.json()["detail"]


def test_owners_and_admin_see_everything(setup: Setup) -> None:
    c, w = setup.world.client, setup.world
    for who in ("planner_a", "cooperative_a", "admin"):
        for path in ("/districts", "/scenarios", "/runs"):
            assert c.get(path, headers=w.h(who)).json()["total"] == 2
    r = c.patch(
        f"/scenarios/{setup.private.scenario}",
        json={"description": "x"},
        headers=w.h("cooperative_a"),
    )
    assert r.status_code == 200  # cooperatives change their organisation's scenarios
    r = c.patch(
        f"/districts/{setup.private.district}",
        json={"description": "x"},
        headers=w.h("cooperative_a"),
    )
    assert r.status_code == 403  # but not its districts
    r = c.patch(
        f"/districts/{setup.private.district}", json={"description": "x"}, headers=w.h("admin")
    )
    assert r.status_code == 200
