"""The SimBench import as a job of a district (issue 13 item 8).

``POST /districts/{id}/network/simbench`` checks the code and answers 202 at
once; a job (here the recording executor, drained in the test's thread)
builds the grid and stores the next version. References: the ``simbench``
package itself (its code list, and the net it builds for the code: bus and
line counts), the spec the test sent, and ODbL-1.0, the licence of SimBench
data (https://simbench.de).
"""

from __future__ import annotations

import time
from typing import Any

import pandapower as pp
import pytest
import simbench
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

import api.jobs
from api.jobs import Outcome
from api.settings import Settings
from api.tables import DistrictVersion, Run
from api.uploads import SIMBENCH_LICENCE
from tests.api.conftest import RecordingExecutor, World, make_settings, small_spec

CODE = "1-LV-rural1--0-sw"


@pytest.fixture
def settings() -> Settings:
    return make_settings().model_copy(update={"max_active_jobs_per_organisation": 2})


def versions(engine: Any, district_id: int) -> list[DistrictVersion]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(DistrictVersion)
                .where(col(DistrictVersion.district_id) == district_id)
                .order_by(col(DistrictVersion.version))
            ).all()
        )


def jobs(engine: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Run)).one())


def send(world: World, district_id: int, code: str = CODE, who: str = "planner_a") -> Any:
    return world.client.post(
        f"/districts/{district_id}/network/simbench", json={"code": code}, headers=world.h(who)
    )


def test_the_import_is_a_job_that_stores_the_next_version(
    world: World, engine: Any, executor: RecordingExecutor
) -> None:
    c, h = world.client, world.h("planner_a")
    district_id = world.create_district()
    send(world, district_id)  # the first check imports simbench (once per process)
    executor.drain()
    start = time.perf_counter()
    r = send(world, district_id)
    elapsed_s = time.perf_counter() - start
    assert r.status_code == 202, r.text
    assert elapsed_s < 1.0  # no grid is built in the request (it took 3.6-3.9 s there)
    job = r.json()
    assert r.headers["Location"] == f"/districts/{district_id}/imports/{job['id']}"
    assert (job["status"], job["code"], job["base_version"]) == ("queued", CODE, 2)
    assert job["version"] is None and job["district_url"] is None
    assert job["organisation_id"] == world.org_ids["a"]
    assert executor.submitted == [job["id"]]
    assert len(versions(engine, district_id)) == 2  # nothing stored before the job ran
    assert executor.drain() == [Outcome.succeeded]
    done = c.get(r.headers["Location"], headers=h).json()
    assert (done["status"], done["version"], done["progress_frac"]) == ("succeeded", 3, 1.0)
    assert done["district_url"] == f"/districts/{district_id}?version=3"
    assert done["error"] is None and done["licence"].startswith("ODbL-1.0")
    # the new version: the spec sent, the grid that simbench builds for the code, ODbL
    detail = c.get(done["district_url"], headers=h).json()
    assert detail["version"]["source"] == "simbench" and detail["version"]["has_network"]
    assert detail["licence"].startswith("ODbL-1.0")
    first = c.get(f"/districts/{district_id}?version=1", headers=h).json()
    assert detail["spec"] == first["spec"]  # the spec sent, unchanged
    assert detail["version"]["spec_hash"] == first["version"]["spec_hash"]
    stored = pp.from_json_string(versions(engine, district_id)[-1].network_json)
    reference = simbench.get_simbench_net(CODE)
    assert (len(stored.bus), len(stored.line)) == (len(reference.bus), len(reference.line))
    assert set(stored.bus["name"]) == set(reference.bus["name"])
    assert str(stored.name) == f"SimBench {CODE}"
    geo = c.get(f"/districts/{district_id}/grid.geojson", headers=h).json()
    assert geo["metadata"]["licence"] == "ODbL-1.0" and geo["metadata"]["version"] == 3
    buses = [f for f in geo["features"] if f["properties"]["element_type"] == "bus"]
    assert len(buses) == len(reference.bus)


def test_unknown_codes_are_refused_at_submission_naming_the_field(
    world: World, engine: Any, executor: RecordingExecutor
) -> None:
    district_id = world.create_district()
    assert "1-LV-rural9--0-sw" not in simbench.collect_all_simbench_codes()
    for code in ("1-LV-rural9--0-sw", "../../x.json", "1-LV-rural1--0"):
        r = send(world, district_id, code)
        assert r.status_code == 422, r.text
        assert "body.code" in r.json()["detail"], r.json()
    r = send(world, district_id, "1-LV-rural9--0-sw")
    assert "1-LV-rural1--0-sw" in r.json()["detail"]  # the message names good codes
    assert executor.submitted == [] and jobs(engine) == 0


def test_access_and_roles(world: World, executor: RecordingExecutor) -> None:
    c = world.client
    district_id = world.create_district()
    job = send(world, district_id).json()
    location = f"/districts/{district_id}/imports/{job['id']}"
    # another organisation sees neither the district nor the job (nor viewers a private one)
    for who in ("planner_b", "cooperative_b", "viewer_b", "viewer_a"):
        assert send(world, district_id, who=who).status_code == 404
        assert c.get(location, headers=world.h(who)).status_code == 404
    # the own organisation's cooperative reads it but may not import
    assert send(world, district_id, who="cooperative_a").status_code == 403
    assert c.get(location, headers=world.h("cooperative_a")).status_code == 200
    assert c.get(location, headers=world.h("admin")).status_code == 200
    # the job belongs to its district: under another district's path it is not found
    other = world.create_district()
    r = c.get(f"/districts/{other}/imports/{job['id']}", headers=world.h("admin"))
    assert r.status_code == 404
    # a run id is no import
    sid = world.create_scenario(district_id)
    run_id = world.start_run(sid)
    r = c.get(f"/districts/{district_id}/imports/{run_id}", headers=world.h("admin"))
    assert r.status_code == 404 and "SimBench import" in r.json()["detail"]
    assert executor.submitted == [job["id"], run_id]


def test_imports_count_in_the_job_quota(
    world: World, engine: Any, executor: RecordingExecutor
) -> None:
    district_id = world.create_district()
    sid = world.create_scenario(district_id)
    world.start_run(sid)
    assert send(world, district_id).status_code == 202
    r = send(world, district_id)  # quota 2: a run and an import are active
    assert r.status_code == 429, r.text
    body = r.json()
    assert (body["quota"], body["active"], body["requested"]) == (2, 2, 1)
    assert jobs(engine) == 2
    # other organisations have their own quota
    assert send(world, world.create_district("planner_b"), who="planner_b").status_code == 202


def test_a_version_stored_meanwhile_fails_the_import_and_nothing_is_lost(
    world: World, engine: Any, executor: RecordingExecutor
) -> None:
    c, h = world.client, world.h("planner_a")
    district_id = world.create_district()
    job = send(world, district_id).json()
    spec = small_spec() | {"site": small_spec()["site"] | {"name": "Neu"}}
    r = c.patch(f"/districts/{district_id}", json={"spec": spec}, headers=h)
    assert r.status_code == 200 and r.json()["version"]["version"] == 2
    # the district cannot be deleted while its import is queued
    assert c.delete(f"/districts/{district_id}", headers=h).status_code == 409
    assert executor.drain() == [Outcome.failed]
    failed = c.get(f"/districts/{district_id}/imports/{job['id']}", headers=h).json()
    assert failed["status"] == "failed" and failed["version"] is None
    assert "version 2 was stored while this job ran on version 1" in failed["error"]
    assert [v.version for v in versions(engine, district_id)] == [1, 2]
    assert c.get(f"/districts/{district_id}", headers=h).json()["spec"]["site"]["name"] == "Neu"
    # ended imports go with their district
    assert c.delete(f"/districts/{district_id}", headers=h).status_code == 204
    assert jobs(engine) == 0


def test_the_licence_fits_its_column() -> None:
    # PostgreSQL refuses longer strings (SQLite does not check): before migration 0006 the
    # 51 characters of the SimBench licence failed every SimBench import there
    column = DistrictVersion.__table__.c.licence  # type: ignore[attr-defined]
    assert len(SIMBENCH_LICENCE) <= column.type.length


def test_a_result_the_database_refuses_fails_the_job_at_once(
    world: World, engine: Any, executor: RecordingExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise IntegrityError("INSERT INTO district_versions", {}, Exception("UNIQUE failed"))

    district_id = world.create_district()
    job = send(world, district_id).json()
    monkeypatch.setattr(api.jobs, "append_version", refuse)
    assert executor.drain() == [Outcome.failed]
    failed = world.client.get(
        f"/districts/{district_id}/imports/{job['id']}", headers=world.h("planner_a")
    ).json()
    assert failed["status"] == "failed" and failed["attempts"] == 1  # not left to the reaper
    assert "the database refused the result" in failed["error"]
    assert len(versions(engine, district_id)) == 1
