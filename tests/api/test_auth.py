"""API keys: hashed at rest, 401 for missing/unknown/revoked keys, who may create keys."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, select

from api.auth import authenticate, generate_key
from api.tables import ApiKey
from tests.api.conftest import World


def test_keys_are_stored_as_sha256(world: World, engine: Any) -> None:
    key = world.keys["planner_a"]
    prefix = key.split("_")[1]
    with Session(engine) as session:
        row = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).one()
        # independent hash of the key, hex digest of SHA-256 (FIPS 180-4)
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert key not in row.model_dump_json()
        assert authenticate(session, key) is not None
        assert authenticate(session, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
        assert authenticate(session, "not-a-key") is None


def test_generated_keys_are_unique_and_long() -> None:
    keys = {generate_key()[0] for _ in range(50)}
    assert len(keys) == 50
    assert all(len(k) >= 50 and k.startswith("esk_") for k in keys)


def test_401_without_or_with_a_bad_key(world: World) -> None:
    c = world.client
    r = c.get("/me")  # reads of published objects need no key (tests/api/test_public.py)
    assert r.status_code == 401 and "X-API-Key" in r.json()["detail"]
    r = c.get("/districts", headers={"X-API-Key": "esk_00000000_nope"})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "X-API-Key"


def test_me_and_revocation(world: World) -> None:
    c = world.client
    me = c.get("/me", headers=world.h("cooperative_b")).json()
    assert me["role"] == "cooperative" and me["organisation_name"] == "Genossenschaft"
    r = c.delete(f"/keys/{me['key_id']}", headers=world.h("cooperative_b"))
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert c.get("/me", headers=world.h("cooperative_b")).status_code == 401


def test_who_may_create_keys(world: World) -> None:
    c = world.client
    # a planner creates keys for their own organisation, never admin keys
    r = c.post("/keys", json={"name": "dash", "role": "viewer"}, headers=world.h("planner_a"))
    assert r.status_code == 201
    new = r.json()
    assert new["organisation_id"] == world.org_ids["a"] and new["key"].startswith("esk_")
    assert c.get("/me", headers={"X-API-Key": new["key"]}).json()["role"] == "viewer"
    r = c.post("/keys", json={"name": "x", "role": "admin"}, headers=world.h("planner_a"))
    assert r.status_code == 403 and "admin" in r.json()["detail"]
    # another organisation is hidden from a planner
    r = c.post(
        "/keys",
        json={"name": "x", "role": "viewer", "organisation_id": world.org_ids["b"]},
        headers=world.h("planner_a"),
    )
    assert r.status_code == 404
    # cooperatives and viewers create no keys
    for who in ("cooperative_a", "viewer_a"):
        r = c.post("/keys", json={"name": "x", "role": "viewer"}, headers=world.h(who))
        assert r.status_code == 403
    # admins create any key anywhere
    r = c.post(
        "/keys",
        json={"name": "b-admin", "role": "admin", "organisation_id": world.org_ids["b"]},
        headers=world.h("admin"),
    )
    assert r.status_code == 201


def test_key_listing_and_organisations(world: World) -> None:
    c = world.client
    listed = c.get("/keys", headers=world.h("planner_a")).json()
    assert {k["organisation_id"] for k in listed["items"]} == {world.org_ids["a"]}
    assert all("key" not in k and "key_hash" not in k for k in listed["items"])
    own = c.get("/keys", headers=world.h("viewer_b")).json()
    assert own["total"] == 1 and own["items"][0]["name"] == "viewer-b"
    assert c.get("/keys", headers=world.h("admin")).json()["total"] == 7
    r = c.post("/organisations", json={"name": "Stadt Gera"}, headers=world.h("admin"))
    assert r.status_code == 201
    r = c.post("/organisations", json={"name": "Stadt Gera"}, headers=world.h("admin"))
    assert r.status_code == 409
    r = c.post("/organisations", json={"name": "X"}, headers=world.h("planner_a"))
    assert r.status_code == 403
    assert c.get("/organisations", headers=world.h("planner_b")).json()["total"] == 1
    assert c.get("/organisations", headers=world.h("admin")).json()["total"] == 3
    b = world.org_ids["b"]
    assert c.get(f"/organisations/{b}", headers=world.h("planner_a")).status_code == 404
    assert c.get(f"/organisations/{b}", headers=world.h("viewer_b")).status_code == 200
