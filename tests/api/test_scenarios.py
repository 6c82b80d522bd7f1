"""Scenarios: CRUD, changes checked against the district, options validated."""

from __future__ import annotations

from tests.api.conftest import World


def test_crud(world: World) -> None:
    c = world.client
    district_id = world.create_district()
    body = {
        "name": "Genossenschaft 300 kWp",
        "district_id": district_id,
        "changes": {
            "pv_kwp_added": 300,
            "batteries": [{"capacity_kwh": 400, "power_kw": 200}],
            "lighting": [{"group": "L1", "lowest_class": "P6"}],
        },
        "options": {"start": "2025-06-02", "days": 2, "resolution": "15min"},
    }
    r = c.post("/scenarios", json=body, headers=world.h("cooperative_a"))
    assert r.status_code == 201, r.text
    scenario = r.json()
    assert scenario["organisation_id"] == world.org_ids["a"]
    assert scenario["changes"]["pv_kwp_added"] == 300
    assert scenario["options"]["resolution"] == "15min"
    assert scenario["district_version"] is None
    sid = scenario["id"]
    r = c.patch(
        f"/scenarios/{sid}",
        json={"name": "neu", "district_version": 1, "visibility": "published"},
        headers=world.h("cooperative_a"),
    )
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["district_version"]) == ("neu", 1)
    assert r.json()["changes"]["pv_kwp_added"] == 300  # untouched fields stay
    listed = c.get(f"/scenarios?district_id={district_id}", headers=world.h("planner_a")).json()
    assert [s["id"] for s in listed["items"]] == [sid]
    assert (
        c.get(f"/scenarios?district_id={district_id + 1}", headers=world.h("planner_a")).json()[
            "total"
        ]
        == 0
    )
    # published, but on a private district: others see nothing of it (access follows the data)
    assert c.get(f"/scenarios/{sid}", headers=world.h("viewer_b")).status_code == 404
    c.patch(
        f"/districts/{district_id}", json={"visibility": "published"}, headers=world.h("planner_a")
    )
    assert c.get(f"/scenarios/{sid}", headers=world.h("viewer_b")).status_code == 200
    assert c.delete(f"/scenarios/{sid}", headers=world.h("cooperative_a")).status_code == 204
    assert c.get(f"/scenarios/{sid}", headers=world.h("cooperative_a")).status_code == 404


def test_422_names_the_field(world: World) -> None:
    c = world.client
    district_id = world.create_district()
    h = world.h("planner_a")

    def post(**fields):
        return c.post(
            "/scenarios", json={"name": "s", "district_id": district_id} | fields, headers=h
        )

    r = post(changes={"pv": [{"building": "NOPE", "kwp": 5}]})
    assert r.status_code == 422 and "changes.pv[0].building" in r.json()["detail"]
    r = post(changes={"batteries": [{"capacity_kwh": -1, "power_kw": 5}]})
    assert r.status_code == 422
    assert "body.changes.batteries[0].capacity_kwh" in r.json()["detail"]
    r = post(options={"days": 0})
    assert r.status_code == 422 and "body.options.days" in r.json()["detail"]
    r = post(options={"resolution": "5min"})
    assert r.status_code == 422 and "body.options.resolution" in r.json()["detail"]
    r = post(options={"weather": "../../etc/passwd"})
    assert r.status_code == 422 and "options.weather" in r.json()["detail"]
    r = post(options={"weather": "weather/TRY2015_Chemnitz_region09_Jahr.dat"})
    assert r.status_code == 201
    r = post(changes={"tariff": {"import_kind": "day_ahead", "day_ahead_file": "/etc/passwd"}})
    assert r.status_code == 422 and "changes.tariff.day_ahead_file" in r.json()["detail"]
    r = post(district_version=5)
    assert r.status_code == 422 and "district_version" in r.json()["detail"]
    r = post(visibilty="published")  # a typo is an error, not silently private
    assert r.status_code == 422 and "body.visibilty" in r.json()["detail"]
    r = post(options={"dayz": 3})
    assert r.status_code == 422 and "body.options.dayz" in r.json()["detail"]
    r = c.post("/scenarios", json={"name": "s", "district_id": 999}, headers=h)
    assert r.status_code == 422 and "district_id" in r.json()["detail"]
    sid = post().json()["id"]
    r = c.patch(f"/scenarios/{sid}", json={"changes": {"lighting": [{"group": "X"}]}}, headers=h)
    assert r.status_code == 422 and "changes.lighting[0].group" in r.json()["detail"]


def test_viewer_cannot_create(world: World) -> None:
    district_id = world.create_district(visibility="published")
    r = world.client.post(
        "/scenarios", json={"name": "s", "district_id": district_id}, headers=world.h("viewer_a")
    )
    assert r.status_code == 403


def test_cooperative_scenario_on_a_published_district_of_another_org(world: World) -> None:
    c = world.client
    district_id = world.create_district(visibility="published")
    sid = world.create_scenario(district_id, who="cooperative_b")
    # private to the cooperative: the district's owner does not see it
    assert c.get(f"/scenarios/{sid}", headers=world.h("planner_a")).status_code == 404
    assert c.get(f"/scenarios/{sid}", headers=world.h("planner_b")).status_code == 200
    assert world.start_run(sid, who="cooperative_b") > 0


def test_stored_run_options_stay_readable() -> None:
    # Scenarios and runs stored before the API body became ScenarioOptions hold
    # RunOptions().model_dump(mode="json"), field by field as written here (the HiGHS
    # method under its old name solver_method): they read back as the defaults.
    from energy.scenario import ScenarioOptions

    stored = {
        "start": "2025-01-01",
        "days": 7,
        "resolution": "1h",
        "objective": "cost",
        "weights": None,
        "weather": None,
        "lighting_mode": "lp",
        "max_changes_per_night": None,
        "time_limit_s": None,
        "mip_gap": None,
        "ac_check": True,
        "grid_aware": False,
        "export_cap_frac": None,
        "solver_method": "simplex",
    }
    assert ScenarioOptions.model_validate(stored) == ScenarioOptions()
    ipm = ScenarioOptions.model_validate(stored | {"solver_method": "ipm", "days": 2})
    assert (ipm.method, ipm.days) == ("ipm", 2)
    # what is stored now reads back as itself
    assert ScenarioOptions.model_validate(ipm.model_dump(mode="json")) == ipm


def test_library_checks_options_at_creation(world: World) -> None:
    district_id = world.create_district()
    r = world.client.post(
        "/scenarios",
        json={"name": "s", "district_id": district_id, "options": {"objective": "happiness"}},
        headers=world.h("planner_a"),
    )
    assert r.status_code == 422
    # the body is ScenarioOptions: the bad value is named by its path, with what is allowed
    detail = r.json()["detail"]
    assert detail.startswith("body.options.objective:") and "'cost'" in detail
