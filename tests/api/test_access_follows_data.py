"""Access follows the data (issue 13 item 3): no indirect leaks through scenarios and runs.

* a published scenario (and its run) on a private district shows others nothing:
  not the scenario, not the run, not its grid, node powers, schedule or lighting;
* a district made private again: others' scenarios on it start no new run, and
  their existing runs stay readable to their own organisation only;
* only admins revoke other keys; a planner revokes only the key it calls with.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import World

RUN_READS = [
    "/runs/{}",
    "/runs/{}/results",
    "/runs/{}/schedule",
    "/runs/{}/node-power",
    "/runs/{}/lighting",
    "/runs/{}/grid.geojson",
    "/runs/{}/savings",
]


def _private_district_published_scenario(world: World, executor: Any) -> tuple[int, int, int]:
    d = world.create_district(visibility="private")
    s = world.create_scenario(d, visibility="published")
    run = world.start_run(s)
    executor.drain()
    return d, s, run


@pytest.mark.parametrize("who", ["planner_b", "cooperative_b", "viewer_b", "viewer_a"])
def test_published_scenario_on_private_district_leaks_nothing(
    world: World, executor: Any, who: str
) -> None:
    d, s, run = _private_district_published_scenario(world, executor)
    h = world.h(who)
    assert world.client.get(f"/districts/{d}", headers=h).status_code == 404
    assert world.client.get(f"/scenarios/{s}", headers=h).status_code == 404
    for path in RUN_READS:
        r = world.client.get(path.format(run), headers=h)
        assert r.status_code == 404, (path, r.status_code, r.text[:200])
    listed = world.client.get("/runs", headers=h).json()["items"]
    assert run not in [item["id"] for item in listed]
    scenarios = world.client.get("/scenarios", headers=h).json()["items"]
    assert s not in [item["id"] for item in scenarios]


def test_the_owner_still_reads_all_of_it(world: World, executor: Any) -> None:
    _, s, run = _private_district_published_scenario(world, executor)
    # the grid map and savings need a real result (test_network_runs.py, test_savings_api.py)
    for path in RUN_READS[:-2]:
        r = world.client.get(path.format(run), headers=world.h("planner_a"))
        assert r.status_code == 200, (path, r.text[:200])
    assert world.client.get(f"/scenarios/{s}", headers=world.h("viewer_a")).status_code == 404


def test_unpublishing_a_district_cuts_off_others_runs(world: World, executor: Any) -> None:
    d = world.create_district(visibility="published")
    s_b = world.create_scenario(d, who="planner_b")
    old = world.start_run(s_b, who="planner_b")
    executor.drain()
    r = world.client.patch(
        f"/districts/{d}", json={"visibility": "private"}, headers=world.h("planner_a")
    )
    assert r.status_code == 200
    # no new run on a district that is no longer published
    r = world.client.post(f"/scenarios/{s_b}/runs", headers=world.h("planner_b"))
    assert r.status_code == 403
    assert "no longer published" in r.json()["detail"]
    r = world.client.post(
        f"/scenarios/{s_b}/sweeps",
        json={"grid": {"pv_kwp_added": [10]}},
        headers=world.h("planner_b"),
    )
    assert r.status_code == 403
    # the existing run stays readable to its organisation, not to its viewers nor to others
    assert world.client.get(f"/runs/{old}/results", headers=world.h("planner_b")).status_code == 200
    for who in ("viewer_b", "planner_a", "viewer_a"):
        r = world.client.get(f"/runs/{old}/results", headers=world.h(who))
        assert r.status_code == 404, who
    # the district's owner may still run its own scenarios on it
    s_a = world.create_scenario(d)
    assert (
        world.client.post(f"/scenarios/{s_a}/runs", headers=world.h("planner_a")).status_code == 202
    )


def _key_id(world: World, who: str) -> int:
    return int(world.client.get("/me", headers=world.h(who)).json()["key_id"])


def test_a_planner_cannot_revoke_the_admin_key(world: World) -> None:
    admin = _key_id(world, "admin")  # the admin key lives in organisation A
    r = world.client.delete(f"/keys/{admin}", headers=world.h("planner_a"))
    assert r.status_code == 403
    assert "only an admin" in r.json()["detail"]
    assert world.client.get("/me", headers=world.h("admin")).status_code == 200


def test_a_planner_cannot_revoke_colleagues_keys_but_its_own(world: World) -> None:
    viewer = _key_id(world, "viewer_a")
    assert world.client.delete(f"/keys/{viewer}", headers=world.h("planner_a")).status_code == 403
    assert world.client.get("/me", headers=world.h("viewer_a")).status_code == 200
    own = _key_id(world, "planner_a")
    assert world.client.delete(f"/keys/{own}", headers=world.h("planner_a")).status_code == 200
    assert world.client.get("/me", headers=world.h("planner_a")).status_code == 401


def test_an_admin_revokes_any_key(world: World) -> None:
    planner_b = _key_id(world, "planner_b")
    assert world.client.delete(f"/keys/{planner_b}", headers=world.h("admin")).status_code == 200
    assert world.client.get("/me", headers=world.h("planner_b")).status_code == 401


def test_a_planner_cannot_create_an_admin_key(world: World) -> None:
    r = world.client.post(
        "/keys", json={"name": "x", "role": "admin"}, headers=world.h("planner_a")
    )
    assert r.status_code == 403
