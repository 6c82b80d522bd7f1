"""POST /districts/import-geojson and GET /districts/{id}/buildings.geojson (issue 14, item 1)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from energy.district import DATA_DIR
from tests.api.conftest import World

EXAMPLE = DATA_DIR / "geometry" / "gera_block.geojson"


def test_import_the_shipped_block_and_read_its_buildings(client: TestClient, world: World) -> None:
    h = world.h("planner_a")
    files = {"file": ("gera_block.geojson", EXAMPLE.read_bytes(), "application/geo+json")}
    r = client.post(
        "/districts/import-geojson", files=files, data={"name": "Block", "pv": "true"}, headers=h
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/districts/{body['id']}"
    assert (body["buildings"], body["feeders"]) == (8, 3) and body["pv_kwp"] > 300
    assert body["roof_area_m2"] > 4000
    detail = client.get(f"/districts/{body['id']}", headers=h).json()
    assert detail["licence"] == "ODbL-1.0"  # the default: OpenStreetMap data
    geo = client.get(f"/districts/{body['id']}/buildings.geojson", headers=h)
    assert geo.status_code == 200 and geo.headers["content-type"] == "application/geo+json"
    kinds = [f["properties"]["element_type"] for f in geo.json()["features"]]
    assert kinds.count("building") == 8 and kinds.count("feeder") == 3
    assert (
        client.get(
            f"/districts/{body['id']}/buildings.geojson", headers=world.h("planner_b")
        ).status_code
        == 404
    )


def test_a_bad_collection_is_refused_whole(client: TestClient, world: World) -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    del data["features"][2]["properties"]["building"]
    files = {"file": ("bad.geojson", json.dumps(data).encode(), "application/geo+json")}
    r = client.post("/districts/import-geojson", files=files, headers=world.h("planner_a"))
    assert r.status_code == 422
    assert "features[2] (id 'gera-block/3'): properties.building: missing" in r.text
    assert client.get("/districts", headers=world.h("planner_a")).json()["total"] == 0
    r = client.post(
        "/districts/import-geojson",
        files={"file": ("x.geojson", b"{not json", "application/json")},
        headers=world.h("planner_a"),
    )
    assert r.status_code == 422 and "not JSON" in r.text
