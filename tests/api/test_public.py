"""Public by design (issue 14 item 3, backend) and limits on guessing (issue 13 item 6).

Published districts, scenarios and runs are readable without a key, as a
viewer key reads them; private ones answer 404 without a key; writes need a
key. Reads without a key, each key, and failed keys per client address have
budgets; past one the answer is 429 with Retry-After.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.settings import Settings
from tests.api.conftest import (
    RecordingExecutor,
    TestClient,
    World,
    build_app,
    build_world,
    make_settings,
    memory_engine,
)


@pytest.fixture
def limited() -> Iterator[tuple[World, RecordingExecutor]]:
    """An app with small budgets: 5 reads without a key, 8 requests per key, 20 failed keys."""
    settings = Settings(
        **(
            make_settings().model_dump()
            | {
                "rate_limit_anonymous": "5/minute",
                "rate_limit_per_key": "8/minute",
                "rate_limit_failed_keys": "20/minute",
            }
        )
    )
    engine = memory_engine()
    executor = RecordingExecutor(engine, settings)
    with TestClient(build_app(engine, settings, executor)) as client:
        yield build_world(client, engine), executor
    engine.dispose()


def _published_and_private(world: World, executor: Any) -> tuple[dict[str, int], int]:
    d = world.create_district(visibility="published")
    s = world.create_scenario(d, visibility="published")
    run = world.start_run(s)
    private_run = world.start_run(world.create_scenario(world.create_district()))
    executor.drain()
    return {"district": d, "scenario": s, "run": run}, private_run


def test_published_objects_are_readable_without_a_key(world: World, executor: Any) -> None:
    ids, private_run = _published_and_private(world, executor)
    c = world.client
    for path in (
        f"/districts/{ids['district']}",
        f"/districts/{ids['district']}/grid.geojson",
        f"/scenarios/{ids['scenario']}",
        f"/runs/{ids['run']}",
        f"/runs/{ids['run']}/results",
        f"/runs/{ids['run']}/schedule?aggregate=day",
    ):
        r = c.get(path)
        assert r.status_code == 200, (path, r.text[:200])
    assert [x["id"] for x in c.get("/runs").json()["items"]] == [ids["run"]]
    assert [x["id"] for x in c.get("/districts").json()["items"]] == [ids["district"]]
    # a private run is absent without a key, as for any other outsider
    for path in (f"/runs/{private_run}", f"/runs/{private_run}/results"):
        assert c.get(path).status_code == 404


def test_without_a_key_nothing_is_written_or_private(world: World, executor: Any) -> None:
    ids, _ = _published_and_private(world, executor)
    c = world.client
    assert c.post(f"/scenarios/{ids['scenario']}/runs").status_code == 401
    assert c.patch(f"/districts/{ids['district']}", json={"name": "x"}).status_code == 401
    assert c.get("/keys").status_code == 401
    assert c.get("/me").status_code == 401
    assert c.get(f"/districts/{ids['district']}/meter-data").status_code == 401


def test_reads_without_a_key_are_rate_limited(limited: tuple[World, RecordingExecutor]) -> None:
    world, _ = limited
    answers = [world.client.get("/districts").status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2
    r = world.client.get("/districts")
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert "without a key" in r.json()["detail"]
    # a key has a budget of its own
    assert world.client.get("/districts", headers=world.h("viewer_a")).status_code == 200


def test_each_key_has_a_budget(limited: tuple[World, RecordingExecutor]) -> None:
    world, _ = limited
    answers = [world.client.get("/me", headers=world.h("viewer_a")).status_code for _ in range(9)]
    assert answers == [200] * 8 + [429]
    assert world.client.get("/me", headers=world.h("viewer_b")).status_code == 200


def test_1000_wrong_keys_get_429_and_the_real_key_still_works(
    limited: tuple[World, RecordingExecutor],
) -> None:
    world, _ = limited
    answers = [
        world.client.get("/me", headers={"X-API-Key": f"esk_{i:08x}_wrong{i}"}).status_code
        for i in range(1000)
    ]
    assert answers[:20] == [401] * 20
    assert set(answers[20:]) == {429}
    r = world.client.get("/me", headers={"X-API-Key": "esk_00000000_wrong"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    me = world.client.get("/me", headers=world.h("planner_a"))
    assert me.status_code == 200
    assert me.json()["role"] == "planner"
