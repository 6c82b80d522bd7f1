"""Integration: a 12-point sweep of the Gera week on two real Celery workers, PostgreSQL, Redis.

Every grid point is a task of its own on the queue, so both worker processes
(concurrency 1 each) take points; the summary is computed from the records the
workers wrote to PostgreSQL. Uses the fixtures of ``test_postgres_celery``
(fresh database, real worker processes) with a Redis database of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.integration.test_postgres_celery import (  # noqa: F401  (fixtures)
    REDIS_DB,
    Worker,
    api,
    flushed_redis,
    gera_scenario,
    pg_url,
    settings,
    start_worker,
)

pytestmark = pytest.mark.integration

REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB - 1}"  # its own database
GRID = {"pv_kwp_added": [0, 100, 200, 300], "battery_kwh_added": [0, 200, 400]}


@pytest.fixture(scope="module")
def redis_db() -> Iterator[str]:
    yield from flushed_redis(REDIS_URL)


def test_two_workers_share_a_sweep(
    api: Any,  # noqa: F811
    start_worker: Callable[[str], Worker],  # noqa: F811
) -> None:
    client, world = api
    h = world.h("planner_a")
    scenario = gera_scenario(client, world, days=7)
    start_worker("left")
    start_worker("right")
    r = client.post(f"/scenarios/{scenario}/sweeps", json={"grid": GRID}, headers=h)
    assert r.status_code == 202, r.text
    assert r.json()["points_total"] == 12
    deadline = time.monotonic() + 600
    sweep = r.json()
    while sweep["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, sweep
        time.sleep(0.5)
        sweep = client.get(r.headers["Location"], headers=h).json()
    assert sweep["status"] == "succeeded", sweep
    assert sweep["points_done"] == 12 and sweep["counts"]["succeeded"] == 12
    takers = [p["worker"].split("@")[0] for p in sweep["points"]]
    assert set(takers) == {"left", "right"}, takers
    summary = sweep["summary"]
    npv = [p["npv_eur"] for p in summary["points"]]
    assert summary["best_by_npv"]["npv_eur"] == max(npv)
    assert len(summary["heatmaps"]["npv_eur"]["values"]) == 4  # rows: the PV values
    assert all(len(row) == 3 for row in summary["heatmaps"]["npv_eur"]["values"])
