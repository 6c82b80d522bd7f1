"""ETag / If-None-Match on answers made of stored runs: /compare, the council report, /members.

Each answer is determined by succeeded runs (which never change) and a few
other stored inputs (the scenarios' names in /compare, the members list in
/members). The tag must repeat while they stay, answer 304 without a body
when sent back, change with the query, and change when an input changes:
another attempt of a run (simulated here by writing the row as a retry
would: attempts + 1, a later finish time), a renamed scenario, a new members
list. The reference for "changed" is the body itself (the new name, the new
shares), not the tag.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.conftest import as_retried
from tests.api.test_savings_api import RealWorld, real_world

TWO = {"members": [{"member": "Anna", "share": 0.75}, {"member": "Bernd", "share": 0.25}]}
HALVES = {"members": [{"member": "Anna", "share": 0.5}, {"member": "Bernd", "share": 0.5}]}


@dataclass
class Setup:
    real: RealWorld
    a: int
    b: int
    published: int

    def get(
        self, path: str, who: str | None = "planner_a", tag: str | None = None, **params: Any
    ) -> Any:
        headers = {} if who is None else self.real.world.h(who)
        if tag is not None:
            headers["If-None-Match"] = tag
        return self.real.world.client.get(path, params=params, headers=headers)

    def retry(self, run_id: int) -> None:
        """Write run ``run_id`` as a second attempt that finished later (same results row)."""
        as_retried(self.real.engine, run_id)


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    with real_world() as real:
        district = real.world.create_district()
        published = real.world.create_district(visibility="published")
        yield Setup(
            real,
            real.run(district),
            real.run(district, changes={"pv_kwp_added": 20}),
            real.run(published, visibility="published"),
        )


def check_304(setup: Setup, path: str, **params: Any) -> str:
    """Read ``path`` twice, the second time with the first answer's tag; return the tag."""
    first = setup.get(path, **params)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["cache-control"] == "no-store"  # private data, as the run reads
    again = setup.get(path, tag=etag, **params)
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == etag
    other = setup.get(path, tag='"0123abcd"', **params)
    assert other.status_code == 200 and other.headers["etag"] == etag
    assert other.content == first.content
    return etag


def test_compare_names_its_runs_their_scenarios_and_the_query(setup: Setup) -> None:
    pair = f"{setup.a},{setup.b}"
    etag = check_304(setup, "/compare", runs=pair)
    tags = {
        etag,
        check_304(setup, "/compare", runs=f"{setup.b},{setup.a}"),
        check_304(setup, "/compare", runs=pair, reference=setup.a),
        check_304(setup, "/compare", runs=pair, format="csv"),
        check_304(setup, "/compare", runs=f"{setup.a},{setup.published}"),
    }
    assert len(tags) == 5
    # a renamed scenario is another answer: the old tag gets 200 with the new name
    sid = setup.get(f"/runs/{setup.a}").json()["scenario_id"]
    h = setup.real.world.h("planner_a")
    r = setup.real.world.client.patch(f"/scenarios/{sid}", json={"name": "Umbenannt"}, headers=h)
    assert r.status_code == 200, r.text
    renamed = setup.get("/compare", tag=etag, runs=pair)
    assert renamed.status_code == 200 and renamed.headers["etag"] != etag
    assert f"Umbenannt (run {setup.a})" in renamed.json()["scenarios"]
    # another attempt of a run is another answer too
    etag = renamed.headers["etag"]
    setup.retry(setup.b)
    retried = setup.get("/compare", tag=etag, runs=pair)
    assert retried.status_code == 200 and retried.headers["etag"] != etag


def test_no_304_for_outsiders_and_public_cacheing_without_a_key(setup: Setup) -> None:
    etag = setup.get("/compare", runs=str(setup.a)).headers["etag"]
    assert setup.get("/compare", who="planner_b", tag=etag, runs=str(setup.a)).status_code == 404
    assert setup.get("/compare", who=None, tag=etag, runs=str(setup.a)).status_code == 404
    keyless = setup.get("/compare", who=None, runs=str(setup.published))
    assert keyless.status_code == 200
    assert keyless.headers["cache-control"] == "public, no-cache"
    assert keyless.headers["vary"] == "X-API-Key"
    again = setup.get("/compare", who=None, tag=keyless.headers["etag"], runs=str(setup.published))
    assert again.status_code == 304


def test_council_report_html_and_pdf(setup: Setup) -> None:
    html = check_304(setup, f"/runs/{setup.a}/report.html")
    pdf = check_304(setup, f"/runs/{setup.a}/report.pdf")
    assert html != pdf and html != check_304(setup, f"/runs/{setup.b}/report.html")
    r = setup.get(f"/runs/{setup.a}/report.pdf")
    assert r.content.startswith(b"%PDF") and r.headers["content-type"] == "application/pdf"
    setup.retry(setup.a)
    fresh = setup.get(f"/runs/{setup.a}/report.html", tag=html)
    assert fresh.status_code == 200 and fresh.headers["etag"] != html
    assert fresh.text.lstrip().lower().startswith("<!doctype html")


def test_members_names_the_members_list(setup: Setup) -> None:
    c, h = setup.real.world.client, setup.real.world.h("planner_a")
    sid = setup.get(f"/runs/{setup.b}").json()["scenario_id"]
    missing = setup.get(f"/runs/{setup.b}/members")
    assert missing.status_code == 422 and "etag" not in missing.headers
    assert c.put(f"/scenarios/{sid}/members", json=TWO, headers=h).status_code == 200
    etag = check_304(setup, f"/runs/{setup.b}/members")
    shares = [m["share_frac"] for m in setup.get(f"/runs/{setup.b}/members").json()["members"]]
    assert shares == pytest.approx([0.75, 0.25])
    assert c.put(f"/scenarios/{sid}/members", json=HALVES, headers=h).status_code == 200
    changed = setup.get(f"/runs/{setup.b}/members", tag=etag)
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    shares = [m["share_frac"] for m in changed.json()["members"]]
    assert shares == pytest.approx([0.5, 0.5])


def test_304_is_documented(setup: Setup) -> None:
    paths = setup.real.world.client.get("/openapi.json").json()["paths"]
    for path in (
        "/compare",
        "/runs/{run_id}/report.pdf",
        "/runs/{run_id}/report.html",
        "/runs/{run_id}/members",
    ):
        assert "304" in paths[path]["get"]["responses"], path
