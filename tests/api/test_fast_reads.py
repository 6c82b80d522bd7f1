"""Fast reads of finished runs (issue 13 item 8): stored maps, ETag / If-None-Match, workers.

* ``/runs/{id}/grid.geojson`` is drawn from what the run stored: its values equal
  an independent AC power flow (pandapower ``runpp``, step by step) of the run's
  stored node powers, and no power flow or network build happens in the request;
* a succeeded run's reads carry a strong ETag: the same tag in ``If-None-Match``
  gets 304 without a body, another tag or another query the full answer; a 304
  never reaches a caller who may not read the run;
* ``energy-api serve --workers N``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandapower as pp
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from api import cli
from api.jobkinds import default_runner
from api.jobs import Outcome
from api.settings import get_settings
from api.tables import RunResult
from energy.district import district_from_dict
from energy.models.grid.build import build_network, node_buses
from tests.api.conftest import RecordingExecutor, World, as_retried, small_spec

#: Reactive power off (cos phi 1 for loads, lighting and PV), so the reference flow
#: needs only the stored active powers.
UNITY = {"all_loads_cos_phi": 1.0, "lighting_cos_phi": 1.0, "pv": "unity"}
AC_OPTIONS = {"start": "2025-06-02", "days": 1, "resolution": "1h", "ac_check": True}


def _real_run(world: World, executor: RecordingExecutor, visibility: str = "private") -> int:
    """A succeeded one-day run of the test district with the library's runner and AC check."""
    executor.runner = default_runner
    district = world.create_district(visibility=visibility)
    options = AC_OPTIONS | {"reactive": UNITY}
    sid = world.create_scenario(district, visibility=visibility, options=options)
    run_id = world.start_run(sid)
    assert executor.drain() == [Outcome.succeeded]
    return run_id


def _fake_run(world: World, executor: RecordingExecutor, visibility: str = "private") -> int:
    district = world.create_district(visibility=visibility)
    sid = world.create_scenario(district, visibility=visibility)
    run_id = world.start_run(sid)
    assert executor.drain() == [Outcome.succeeded]
    return run_id


def _reference_flow(node_p_kw: pd.DataFrame) -> dict[str, dict[int, tuple[float, float]]]:
    """Extremes of an AC flow per step of ``node_p_kw`` [kW, load convention], pandapower only.

    The net is the district's (energy.models.grid.build_network); each step zeroes
    its elements and puts one load per node (p = node power, q = 0) on the node's
    bus, then ``pp.runpp``. Returns per bus index (vm min, vm max) [pu], per line
    and transformer index (max loading, max loading) [%].
    """
    net = build_network(district_from_dict(small_spec()))
    for table in (net.load, net.sgen, net.storage):
        table["in_service"] = False
    bus_of = node_buses(net)
    loads = {
        node: pp.create_load(net, bus=int(bus_of[node]), p_mw=0.0, q_mvar=0.0)
        for node in node_p_kw.columns
    }
    vm, line, trafo = [], [], []
    for _, row in node_p_kw.iterrows():
        for node, idx in loads.items():
            net.load.at[idx, "p_mw"] = float(row[node]) / 1000.0
        pp.runpp(net)
        vm.append(net.res_bus.vm_pu.copy())
        line.append(net.res_line.loading_percent.copy())
        trafo.append(net.res_trafo.loading_percent.copy())
    frames = {k: pd.concat(v, axis=1) for k, v in (("bus", vm), ("line", line), ("trafo", trafo))}
    return {
        kind: {int(i): (float(f.loc[i].min()), float(f.loc[i].max())) for i in f.index}
        for kind, f in frames.items()
    }


def test_grid_geojson_equals_an_independent_ac_flow_of_the_stored_powers(
    world: World, executor: RecordingExecutor
) -> None:
    c, h = world.client, world.h("planner_a")
    run_id = _real_run(world, executor)
    power = c.get(f"/runs/{run_id}/node-power", headers=h).json()
    node_p_kw = pd.DataFrame(power["rows"]).set_index("time_utc")
    node_p_kw = node_p_kw[[k for k in power["columns"]]].rename(columns=lambda k: k[len("p_kw:") :])
    reference = _reference_flow(node_p_kw.astype(float))
    collection = c.get(f"/runs/{run_id}/grid.geojson", headers=h).json()
    seen = {"bus": 0, "line": 0, "trafo": 0}
    for feature in collection["features"]:
        props = feature["properties"]
        kind = props["element_type"]
        if kind not in seen:
            continue
        low, high = reference[kind][props["index"]]
        if kind == "bus":
            assert props["vm_min_pu"] == pytest.approx(low, abs=1e-5)
            assert props["vm_max_pu"] == pytest.approx(high, abs=1e-5)
        else:
            assert props["max_loading_pct"] == pytest.approx(high, rel=1e-4, abs=1e-4)
        seen[kind] += 1
    assert seen["bus"] == len(reference["bus"]) and seen["line"] == len(reference["line"])
    assert seen["trafo"] == 1
    # the largest loading of any line moved under the load: not a map of zeros
    assert max(v[1] for v in reference["line"].values()) > 1.0


def test_grid_geojson_runs_no_power_flow_and_builds_no_network(
    world: World, executor: RecordingExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _real_run(world, executor)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a power flow or network build inside a request")

    import energy.ac_check
    import energy.models.grid.build
    import energy.scenario

    monkeypatch.setattr(pp, "runpp", refuse)
    monkeypatch.setattr(energy.ac_check, "check_run", refuse)
    monkeypatch.setattr(energy.scenario, "scenario_network", refuse)
    monkeypatch.setattr(energy.models.grid.build, "build_network", refuse)
    r = world.client.get(f"/runs/{run_id}/grid.geojson", headers=world.h("planner_a"))
    assert r.status_code == 200, r.text
    lines = [f for f in r.json()["features"] if f["properties"]["element_type"] == "line"]
    assert lines and all(f["properties"]["max_loading_pct"] is not None for f in lines)
    # the map, the lighting and the savings CSV of the real run revalidate as well
    h = world.h("planner_a")
    for read in ("grid.geojson", "lighting", "savings?period=day&format=csv"):
        first = world.client.get(f"/runs/{run_id}/{read}", headers=h)
        assert first.status_code == 200, first.text
        etag = first.headers["etag"]
        again = world.client.get(f"/runs/{run_id}/{read}", headers=h | {"If-None-Match": etag})
        assert (again.status_code, again.content) == (304, b""), read


def test_an_old_run_without_a_stored_map_answers_and_stores_it(
    world: World, executor: RecordingExecutor, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, h = world.client, world.h("planner_a")
    run_id = _real_run(world, executor)
    with Session(engine) as session:  # as a run stored before maps were kept
        row = session.get(RunResult, run_id)
        assert row is not None and row.grid is not None
        stored = row.grid["map"]
        row.grid = {k: v for k, v in row.grid.items() if k not in ("map", "elements")}
        session.add(row)
        session.commit()
    r = c.get(f"/runs/{run_id}/grid.geojson", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["features"] == stored["features"]  # recomputed once, the same map
    with Session(engine) as session:
        row = session.get(RunResult, run_id)
        assert row is not None and row.grid is not None and "map" in row.grid
    # written back: a fresh process (empty answer cache) needs no power flow
    c.app.state.export_cache.__init__()  # type: ignore[attr-defined]
    monkeypatch.setattr(pp, "runpp", lambda *a, **k: pytest.fail("power flow"))
    assert c.get(f"/runs/{run_id}/grid.geojson", headers=h).status_code == 200


READS = [
    "results",
    "schedule",
    "schedule?aggregate=day",
    "schedule?format=csv",
    "node-power?aggregate=hour",
]


@pytest.mark.parametrize("read", READS)
def test_matching_etag_gets_304_and_another_gets_200(
    world: World, executor: RecordingExecutor, read: str
) -> None:
    c, h = world.client, world.h("planner_a")
    run_id = _fake_run(world, executor)
    first = c.get(f"/runs/{run_id}/{read}", headers=h)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert first.headers["cache-control"] == "no-store"  # private data (issue 13 item 7)
    again = c.get(f"/runs/{run_id}/{read}", headers=h | {"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    # a list holding it, and the weak form of it (If-None-Match compares weakly)
    listed = c.get(f"/runs/{run_id}/{read}", headers=h | {"If-None-Match": f'"x", W/{etag}'})
    assert listed.status_code == 304
    other = c.get(f"/runs/{run_id}/{read}", headers=h | {"If-None-Match": '"0123abcd"'})
    assert other.status_code == 200 and other.content == first.content
    assert other.headers["etag"] == etag


def test_etag_names_the_query_and_the_attempt(
    world: World, executor: RecordingExecutor, engine: Any
) -> None:
    c, h = world.client, world.h("planner_a")
    run_id = _fake_run(world, executor)
    day = c.get(f"/runs/{run_id}/schedule?aggregate=day", headers=h).headers["etag"]
    hour = c.get(f"/runs/{run_id}/schedule?aggregate=hour", headers=h)
    assert hour.headers["etag"] != day
    asked = c.get(f"/runs/{run_id}/schedule?aggregate=hour", headers=h | {"If-None-Match": day})
    assert asked.status_code == 200
    results = c.get(f"/runs/{run_id}/results", headers=h).headers["etag"]
    as_retried(engine, run_id)  # the run done again: another attempt and finish time
    fresh = c.get(f"/runs/{run_id}/results", headers=h | {"If-None-Match": results})
    assert fresh.status_code == 200 and fresh.headers["etag"] != results


def test_no_304_for_callers_who_may_not_read_the_run(
    world: World, executor: RecordingExecutor
) -> None:
    c = world.client
    run_id = _fake_run(world, executor)
    etag = c.get(f"/runs/{run_id}/results", headers=world.h("planner_a")).headers["etag"]
    for headers in (world.h("viewer_b") | {"If-None-Match": etag}, {"If-None-Match": etag}):
        assert c.get(f"/runs/{run_id}/results", headers=headers).status_code == 404


def test_unfinished_runs_have_no_etag(world: World, executor: RecordingExecutor) -> None:
    c, h = world.client, world.h("planner_a")
    district = world.create_district()
    run_id = world.start_run(world.create_scenario(district))  # queued, not drained
    r = c.get(f"/runs/{run_id}/results", headers=h | {"If-None-Match": "*"})
    assert r.status_code == 409 and "etag" not in r.headers


def test_published_runs_read_without_a_key_are_publicly_cacheable(
    world: World, executor: RecordingExecutor
) -> None:
    c = world.client
    run_id = _fake_run(world, executor, visibility="published")
    keyless = c.get(f"/runs/{run_id}/results")
    assert keyless.status_code == 200
    assert keyless.headers["cache-control"] == "public, no-cache"
    assert keyless.headers["vary"] == "X-API-Key"
    keyed = c.get(f"/runs/{run_id}/results", headers=world.h("viewer_b"))
    assert keyed.headers["cache-control"] == "no-store"
    assert keyed.headers["etag"] == keyless.headers["etag"]  # the same body for both
    assert keyed.content == keyless.content


def test_304_is_documented_on_every_read_with_an_etag(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/runs/{run_id}/results",
        "/runs/{run_id}/schedule",
        "/runs/{run_id}/node-power",
        "/runs/{run_id}/lighting",
        "/runs/{run_id}/grid.geojson",
        "/runs/{run_id}/savings",
    ):
        assert "304" in paths[path]["get"]["responses"], path


def test_results_carry_the_summary_and_the_map_the_element_extremes(
    world: World, executor: RecordingExecutor
) -> None:
    c, h = world.client, world.h("planner_a")
    run_id = _real_run(world, executor)
    grid = c.get(f"/runs/{run_id}/results", headers=h).json()["grid"]
    assert "map" not in grid and "elements" not in grid  # /results stays small
    features = c.get(f"/runs/{run_id}/grid.geojson", headers=h).json()["features"]
    lines = [f["properties"] for f in features if f["properties"]["element_type"] == "line"]
    assert max(p["max_loading_pct"] for p in lines) == pytest.approx(
        grid["max_line_loading_pct"], abs=1e-6
    )


# -- energy-api serve --workers ------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Record what ``serve`` hands uvicorn instead of serving."""
    import uvicorn

    calls: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.update(kwargs, app=app))
    return calls


def test_serve_help_names_workers() -> None:
    out = CliRunner().invoke(cli.app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert out.exit_code == 0
    assert "--workers" in out.output and "CPU count" in out.output


def test_serve_workers_option(served: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    assert runner.invoke(cli.app, ["serve", "--workers", "3"]).exit_code == 0
    assert served["workers"] == 3 and served["app"] == "api.main:create_app"
    assert runner.invoke(cli.app, ["serve", "--workers", "0"]).exit_code != 0
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 6)
    for queue, expected in (("celery", 6), ("inline", 1)):
        monkeypatch.setenv("ENERGY_QUEUE", queue)
        get_settings.cache_clear()
        try:
            assert runner.invoke(cli.app, ["serve"]).exit_code == 0
        finally:
            get_settings.cache_clear()
        assert served["workers"] == expected, queue


def test_reference_flow_of_zero_power_has_no_flow() -> None:
    # a check of the reference itself: with every node at 0 kW only the cables' charging
    # current flows (capacitance, far below 0.01 % of their rating), and the transformer
    # carries its magnetising current only (well under 1 % of its rating)
    index = pd.date_range("2025-06-02", periods=2, freq="h", tz="UTC")
    zero = pd.DataFrame({"B1": np.zeros(2), "B2": np.zeros(2)}, index=index)
    ref = _reference_flow(zero)
    assert max(v[1] for v in ref["line"].values()) < 0.01
    assert max(v[1] for v in ref["trafo"].values()) < 1.0
