"""Benchmark of a sweep on Celery workers (prints figures, never asserts).

A 12-point sweep (PV 0/100/200/300 kWp x battery 0/200/400 kWh, 0.5 kW/kWh)
of the one-week Gera reference scenario through the API (uvicorn, one
process) on Celery workers (concurrency 1 each) with PostgreSQL and Redis of
this machine, with 1 and with 2 workers: wall time from the POST to the last
point as seen by polling ``GET /sweeps/{id}`` every 0.25 s, points per minute,
mean time per point in the worker, how many workers took points, and the
speed-up. Each worker set is warmed up first (imports, JIT) with a sweep of
two points per worker.

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--days 7] [--repeats 1]``.
Traffic goes to 127.0.0.1 only; every loop is bounded.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from bench_api import Workers, celery_deployment, server_stopped, start_server

REDIS_DB = 11
GRID: dict[str, list[float]] = {
    "pv_kwp_added": [0.0, 100.0, 200.0, 300.0],
    "battery_kwh_added": [0.0, 200.0, 400.0],
}


def run_sweep(
    client: httpx.Client, headers: dict[str, str], scenario_id: int, grid: dict[str, list[float]]
) -> dict[str, Any]:
    """Post a sweep, poll it to its end; wall time, point durations, workers used."""
    t0 = time.perf_counter()
    r = client.post(f"/scenarios/{scenario_id}/sweeps", json={"grid": grid}, headers=headers)
    assert r.status_code == 202, r.text
    location = r.headers["Location"]
    sweep = r.json()
    deadline = time.monotonic() + 1800
    while sweep["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.25)
        sweep = client.get(location, headers=headers).json()
    wall = time.perf_counter() - t0
    points = sweep["points"]
    failed = [p for p in points if p["status"] != "succeeded"]
    for p in failed:
        print(f"  point {p['point']}: {p['status']} {p['error']}")
    durations = [
        (
            _seconds(p["finished_at"]) - _seconds(p["started_at"])
            if p["started_at"] and p["finished_at"]
            else 0.0
        )
        for p in points
    ]
    return {
        "wall_s": wall,
        "status": sweep["status"],
        "durations": durations,
        "workers": {(p["worker"] or "").split("@")[0] for p in points if p["worker"]},
        "points": len(points),
    }


def _seconds(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7, help="horizon of the scenario [days]")
    parser.add_argument("--repeats", type=int, default=1, help="timed sweeps per worker count")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores")
    results: dict[int, list[dict[str, Any]]] = {}
    with celery_deployment("energy_bench_sweep", REDIS_DB, days=args.days) as dep:
        if dep is None:
            return
        n_points = len(GRID["pv_kwp_added"]) * len(GRID["battery_kwh_added"])
        print(
            f"sweep: {n_points} points of the {args.days}-day Gera scenario (no AC check), "
            "Celery on Redis, PostgreSQL, uvicorn (1 process)"
        )
        with tempfile.TemporaryDirectory() as tmp:
            server, base = start_server(dep.env, Path(tmp) / "uvicorn-sweep.log")
            with httpx.Client(base_url=base, timeout=60) as client, server_stopped(server):
                for n in (1, 2):
                    workers = Workers(n, dep.env, Path(tmp))
                    try:
                        warm_grid = {"pv_kwp_added": [float(10 * i) for i in range(2 * n)]}
                        warm = run_sweep(client, dep.headers, dep.scenario_id, warm_grid)
                        print(
                            f"  {n} worker(s): warm-up sweep of {warm['points']} points "
                            f"{warm['wall_s']:.1f} s, workers used {len(warm['workers'])}"
                        )
                        results[n] = [
                            run_sweep(client, dep.headers, dep.scenario_id, GRID)
                            for _ in range(args.repeats)
                        ]
                    finally:
                        workers.stop()
    print(
        f"{'workers':>8} {'wall s':>8} {'points/min':>11} {'mean point s':>13} "
        f"{'workers used':>13} {'status':>10}"
    )
    for n, runs in results.items():
        for res in runs:
            print(
                f"{n:8d} {res['wall_s']:8.2f} {60 * res['points'] / res['wall_s']:11.1f} "
                f"{statistics.mean(res['durations']):13.2f} {len(res['workers']):13d} "
                f"{res['status']:>10}"
            )
    if 1 in results and 2 in results:
        one = statistics.median(r["wall_s"] for r in results[1])
        two = statistics.median(r["wall_s"] for r in results[2])
        print(
            f"speed-up 2 workers vs 1: {one / two:.2f}x (median wall {one:.2f} s -> {two:.2f} s; "
            f"machine: {os.cpu_count()} cores, shared)"
        )


if __name__ == "__main__":
    main()
