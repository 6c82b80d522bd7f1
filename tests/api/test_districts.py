"""Districts: create from JSON, YAML and files; versions; 422 naming fields; 413; delete."""

from __future__ import annotations

import json

import yaml

from energy.district import GERA_DISTRICT_FILE, district_from_dict
from tests.api.conftest import World, small_spec


def test_create_json_get_list(world: World) -> None:
    c = world.client
    district_id = world.create_district(name="Ost")
    got = c.get(f"/districts/{district_id}", headers=world.h("planner_a")).json()
    assert got["name"] == "Ost" and got["latest_version"] == 1
    assert got["version"]["version"] == 1 and got["version"]["source"] == "json"
    # the stored spec round-trips into the same validated district (same hash)
    expected = district_from_dict(small_spec())
    assert got["version"]["spec_hash"] == expected.spec_hash()
    assert district_from_dict(got["spec"]) == expected
    for i in range(4):
        world.create_district(name=f"D{i}")
    page = c.get("/districts?offset=1&limit=2", headers=world.h("planner_a")).json()
    assert page["total"] == 5 and page["offset"] == 1 and len(page["items"]) == 2
    assert [d["name"] for d in page["items"]] == ["D2", "D1"]  # newest first
    assert c.get("/districts?limit=0", headers=world.h("planner_a")).status_code == 422


def test_create_from_yaml_body_and_file(world: World) -> None:
    c = world.client
    text = GERA_DISTRICT_FILE.read_text(encoding="utf-8")
    r = c.post(
        "/districts/yaml?visibility=published",
        content=text.encode(),
        headers=world.h("planner_a") | {"Content-Type": "application/yaml"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "Gera Smart Quarter (reference)"
    assert r.json()["visibility"] == "published"
    assert len(r.json()["spec"]["buildings"]) >= 40
    r = c.post(
        "/districts/yaml",
        content=b"site: {}",
        headers=world.h("planner_a") | {"Content-Type": "application/json"},
    )
    assert r.status_code == 415
    files = {"file": ("quartier.json", json.dumps(small_spec()), "application/json")}
    r = c.post(
        "/districts/upload", files=files, data={"name": "Hochgeladen"}, headers=world.h("planner_a")
    )
    assert r.status_code == 201 and r.json()["version"]["source"] == "upload"
    assert r.json()["name"] == "Hochgeladen"
    files = {"file": ("q.yaml", yaml.safe_dump(small_spec()), "application/yaml")}
    r = c.post("/districts/upload", files=files, headers=world.h("planner_a"))
    assert r.status_code == 201 and r.json()["name"] == "Testquartier"


def test_422_names_the_field(world: World) -> None:
    c = world.client
    spec = small_spec()
    spec["pv"][0]["kwp"] = -5
    r = c.post("/districts", json={"name": "x", "spec": spec}, headers=world.h("planner_a"))
    assert r.status_code == 422
    fields = [e["field"] for e in r.json()["errors"]]
    assert "body.spec.pv[0].kwp" in fields
    assert "body.spec.pv[0].kwp" in r.json()["detail"]
    spec = small_spec()
    spec["site"]["latitude"] = 123
    r = c.post("/districts", json={"name": "x", "spec": spec}, headers=world.h("planner_a"))
    assert r.status_code == 422 and "body.spec.site.latitude" in r.json()["detail"]
    bad = "site: {name: X, latitude: 123, longitude: 12}\ngrid: {feeders: [{id: F1}]}\n"
    r = c.post(
        "/districts/yaml",
        content=bad.encode(),
        headers=world.h("planner_a") | {"Content-Type": "application/yaml"},
    )
    assert r.status_code == 422 and "site.latitude" in r.json()["detail"]
    files = {"file": ("q.yaml", "site: [unclosed", "application/yaml")}
    r = c.post("/districts/upload", files=files, headers=world.h("planner_a"))
    assert r.status_code == 422 and "not valid YAML" in r.json()["detail"]
    spec = small_spec()
    spec["tariff"] = {"import_kind": "day_ahead", "day_ahead_file": "/etc/passwd"}
    r = c.post("/districts", json={"name": "x", "spec": spec}, headers=world.h("planner_a"))
    assert r.status_code == 422 and "spec.tariff.day_ahead_file" in r.json()["detail"]


def test_413_for_large_uploads(world: World) -> None:
    c = world.client
    big = "# padding\n" * 30_000  # 300 kB > the 200 kB limit of the test settings
    files = {"file": ("big.yaml", big, "application/yaml")}
    r = c.post("/districts/upload", files=files, headers=world.h("planner_a"))
    assert r.status_code == 413 and "ENERGY_MAX_UPLOAD_BYTES" in r.json()["detail"]

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(30):
            yield b"#" * 10_000

    r = c.post(
        "/districts/yaml",
        content=chunks(),
        headers=world.h("planner_a") | {"Content-Type": "application/yaml"},
    )
    assert r.status_code == 413


def test_update_makes_versions_and_runs_keep_theirs(world: World, executor) -> None:
    c = world.client
    district_id = world.create_district()
    scenario_id = world.create_scenario(district_id)
    first_run = world.start_run(scenario_id)
    spec = small_spec()
    spec["pv"][0]["kwp"] = 35
    r = c.patch(
        f"/districts/{district_id}",
        json={"spec": spec, "description": "mehr PV"},
        headers=world.h("planner_a"),
    )
    assert r.status_code == 200 and r.json()["latest_version"] == 2
    assert r.json()["description"] == "mehr PV"
    second_run = world.start_run(scenario_id)
    files = {"file": ("v3.yaml", yaml.safe_dump(small_spec()), "application/yaml")}
    r = c.post(f"/districts/{district_id}/versions", files=files, headers=world.h("planner_a"))
    assert r.status_code == 201 and r.json()["latest_version"] == 3
    versions = c.get(f"/districts/{district_id}/versions", headers=world.h("planner_a")).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[0]["spec_hash"] == versions[2]["spec_hash"] != versions[1]["spec_hash"]
    v1 = c.get(f"/districts/{district_id}?version=1", headers=world.h("planner_a")).json()
    assert v1["spec"]["pv"][0]["kwp"] == 20
    executor.drain()
    # each run used the version that was latest when it started: 20 kWp, then 35 kWp
    for run_id, version, kwp in ((first_run, 1, 20.0), (second_run, 2, 35.0)):
        run = c.get(f"/runs/{run_id}", headers=world.h("planner_a")).json()
        assert run["district_version"] == version
        meta = c.get(f"/runs/{run_id}/results", headers=world.h("planner_a")).json()["metadata"]
        assert meta["total_kwp"] == kwp
    r = c.get(f"/districts/{district_id}?version=9", headers=world.h("planner_a"))
    assert r.status_code == 404


def test_patch_refuses_null_and_delete(world: World, executor) -> None:
    c = world.client
    district_id = world.create_district()
    r = c.patch(f"/districts/{district_id}", json={"name": None}, headers=world.h("planner_a"))
    assert r.status_code == 422 and "name" in r.json()["detail"]
    scenario_id = world.create_scenario(district_id)
    r = c.delete(f"/districts/{district_id}", headers=world.h("planner_a"))
    assert r.status_code == 409 and "scenario" in r.json()["detail"]
    world.start_run(scenario_id)
    r = c.delete(f"/scenarios/{scenario_id}", headers=world.h("planner_a"))
    assert r.status_code == 409  # a queued run
    executor.drain()
    assert c.delete(f"/scenarios/{scenario_id}", headers=world.h("planner_a")).status_code == 204
    assert c.delete(f"/districts/{district_id}", headers=world.h("planner_a")).status_code == 204
    assert c.get(f"/districts/{district_id}", headers=world.h("planner_a")).status_code == 404


def test_only_planners_and_admins_create_districts(world: World) -> None:
    c = world.client
    for who in ("cooperative_a", "viewer_a"):
        r = c.post("/districts", json={"name": "x", "spec": small_spec()}, headers=world.h(who))
        assert r.status_code == 403
    assert world.create_district(who="admin") > 0


def test_grid_geojson_and_network_imports(world: World) -> None:
    import pandapower as pp

    from energy.models.grid import build_network

    c = world.client
    h = world.h("planner_a")
    district_id = world.create_district()
    r = c.get(f"/districts/{district_id}/grid.geojson", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    geo = r.json()
    assert geo["type"] == "FeatureCollection"
    kinds = {f["properties"]["element_type"] for f in geo["features"]}
    assert {"bus", "line", "trafo"} <= kinds
    assert geo["metadata"]["licence"] == "CC-BY-4.0" and geo["metadata"]["version"] == 1
    # a pandapower JSON network (here: the district's own, with one line longer)
    net = build_network(district_from_dict(small_spec()))
    net.line.loc[net.line.index[0], "length_km"] = 0.5
    files = {"file": ("net.json", pp.to_json(net), "application/json")}
    r = c.post(f"/districts/{district_id}/network", files=files, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["version"]["has_network"] and r.json()["version"]["source"] == "pandapower"
    geo = c.get(f"/districts/{district_id}/grid.geojson", headers=h).json()
    lengths = [
        f["properties"]["length_m"]
        for f in geo["features"]
        if f["properties"]["element_type"] == "line"
    ]
    assert 500.0 in lengths
    files = {"file": ("net.json", '{"not": "a net"}', "application/json")}
    r = c.post(f"/districts/{district_id}/network", files=files, headers=h)
    assert r.status_code == 422 and "not a pandapower JSON network" in r.json()["detail"]
    r = c.post(
        f"/districts/{district_id}/network/simbench", json={"code": "../../x.json"}, headers=h
    )
    assert r.status_code == 422 and "body.code" in r.json()["detail"]
