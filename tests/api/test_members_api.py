"""Members of a cooperative per scenario and their share of a run (issue 14, item 6).

Must show: the members' returns add up to the scenario's total, checked by
hand on a two-member case: Anna holds 3/4, Bernd 1/4; each one's annual return
is their share of (annual savings - operating cost) of the run's whole-system
economics as ``/compare`` reports them, and the two add up to it.
"""

from __future__ import annotations

from typing import Any

import pytest

from energy.district import GERA_DISTRICT_FILE, load_district
from tests.api.test_savings_api import real_world

OPTIONS = {"start": "2025-06-02", "days": 1, "ac_check": False}
TWO = {"members": [{"member": "Anna", "share": 0.75}, {"member": "Bernd", "share": 0.25}]}


def test_members_of_a_run_add_up_and_bad_lists_are_refused() -> None:
    gera = load_district(GERA_DISTRICT_FILE)
    with real_world() as real:
        w, c = real.world, real.world.client
        h = w.h("cooperative_a")
        district = w.create_district(spec=gera.to_dict(), name="Gera")
        run_id = real.run(district, options=OPTIONS)
        sid = c.get(f"/runs/{run_id}", headers=h).json()["scenario_id"]
        missing = c.get(f"/runs/{run_id}/members", headers=h)
        assert missing.status_code == 422 and "has no members" in missing.text
        assert c.put(f"/scenarios/{sid}/members", json=TWO, headers=h).status_code == 200

        # refused whole, with the sum; the stored list stays as it was
        bad = {"members": [{"member": "Anna", "share": 0.75}, {"member": "Bernd", "share": 0.2}]}
        r = c.put(f"/scenarios/{sid}/members", json=bad, headers=h)
        assert r.status_code == 422 and "add up to 0.95" in r.text
        twice = {"members": [{"member": "Anna", "share": 0.5}, {"member": "Anna", "share": 0.5}]}
        r = c.put(f"/scenarios/{sid}/members", json=twice, headers=h)
        assert r.status_code == 422 and "members[1].member" in r.text
        csv = ("m.csv", b"member,share\nAnna,0.5\nBernd,zero\n", "text/csv")
        r = c.post(f"/scenarios/{sid}/members/upload", files={"file": csv}, headers=h)
        assert r.status_code == 422 and "line 3: share" in r.text
        assert c.get(f"/scenarios/{sid}/members", headers=h).json() == {"scenario_id": sid} | TWO
        # the scenario is private: hidden from a viewer and from another organisation
        assert (
            c.put(f"/scenarios/{sid}/members", json=TWO, headers=w.h("viewer_a")).status_code == 404
        )
        assert c.get(f"/scenarios/{sid}/members", headers=w.h("planner_b")).status_code == 404

        split = c.get(f"/runs/{run_id}/members", headers=h).json()
        economics = next(
            iter(
                c.get("/compare", params={"runs": str(run_id)}, headers=h)
                .json()["economics"]
                .values()
            )
        )
    net = economics["annual_savings_eur"] - economics["opex_eur_per_year"]
    anna, bernd = split["members"]
    assert (anna["member"], bernd["member"]) == ("Anna", "Bernd")
    assert anna["annual_return_eur"] == pytest.approx(0.75 * net, rel=1e-9)
    assert bernd["annual_return_eur"] == pytest.approx(0.25 * net, rel=1e-9)
    assert anna["annual_return_eur"] + bernd["annual_return_eur"] == pytest.approx(net, rel=1e-9)
    assert anna["npv_eur"] + bernd["npv_eur"] == pytest.approx(economics["npv_eur"], rel=1e-9)
    assert anna["investment_eur"] == pytest.approx(0.75 * economics["capex_eur"], rel=1e-9)
    assert split["extrapolated_from"] == "1 day (2025-06-02..2025-06-02)"
    assert split["licence"] == "CC-BY-4.0" and split["run_id"] == run_id


def test_a_cooperative_runs_a_published_scenario_into_its_own_organisation(
    client: Any, world: Any, executor: Any
) -> None:
    district = world.create_district(visibility="published")
    published = world.create_scenario(district, visibility="published")
    private = world.create_scenario(district)
    coop = world.h("cooperative_b")
    r = client.post(f"/scenarios/{published}/runs", headers=coop)
    assert r.status_code == 202, r.text
    run = r.json()
    assert run["organisation_id"] == world.org_ids["b"] and run["scenario_id"] == published
    assert client.post(f"/runs/{run['id']}/cancel", headers=coop).status_code == 200
    # not a private scenario, not another role, and the scenario itself stays read-only
    assert client.post(f"/scenarios/{private}/runs", headers=coop).status_code == 404
    assert (
        client.post(f"/scenarios/{published}/runs", headers=world.h("planner_b")).status_code == 403
    )
    assert (
        client.patch(f"/scenarios/{published}", json={"name": "x"}, headers=coop).status_code == 403
    )
    # the run stays the cooperative's after the scenario is unpublished
    r = client.patch(
        f"/scenarios/{published}", json={"visibility": "private"}, headers=world.h("planner_a")
    )
    assert r.status_code == 200, r.text
    assert client.get(f"/runs/{run['id']}", headers=coop).status_code == 200
    assert (
        client.get(f"/runs/{run['id']}", headers=world.h("planner_b")).status_code == 200
    )  # org b
    assert client.get(f"/runs/{run['id']}", headers=world.h("viewer_a")).status_code == 404
