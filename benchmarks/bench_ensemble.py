"""Benchmark of the Gera year ensemble on Celery workers (prints figures, never asserts).

The ensemble of issue 12: the Gera reference scenario over a whole year at
1 h, six DWD TRY weather years of region 9 (2015 and 2045: mean, extreme
summer, extreme winter) x two SMARD price years (2023, 2024) = 12 members,
each a job on the queue, through the API (uvicorn, one process) on Celery
workers (concurrency 1 each) with PostgreSQL and the Redis db
``ENERGY_TEST_REDIS_DB`` of this machine, with 1 and with 2 workers: wall time
from the POST to the last member (polling ``GET /ensembles/{id}`` every
0.5 s), mean time per member in the worker, how many workers took members,
the speed-up, and the ensemble's figures (min, P10, P50, P90, max and the
bad year). Each worker set is warmed up first (imports, JIT, the per-process
caches) with a one-member-per-worker ensemble.

Run: ``ENERGY_TEST_REDIS_DB=5 .venv/bin/python benchmarks/bench_ensemble.py
[--days 365] [--no-ac-check]``. Traffic goes to 127.0.0.1 only; every loop is
bounded.
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

REDIS_DB = int(os.environ.get("ENERGY_TEST_REDIS_DB", "12"))
SHOWN = (
    "cost_eur",
    "saving_vs_B1_eur",
    "saving_vs_B0_eur",
    "self_sufficiency_pct",
    "self_consumption_pct",
    "npv_eur",
    "payback_simple_years",
    "pv_yield_kwh",
    "peak_import_kw",
    "grid_violations",
)


def run_ensemble(
    client: httpx.Client, headers: dict[str, str], scenario_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    """Post an ensemble, poll it to its end; wall time, member durations, workers, summary."""
    t0 = time.perf_counter()
    r = client.post(f"/scenarios/{scenario_id}/ensembles", json=body, headers=headers)
    assert r.status_code == 202, r.text
    location = r.headers["Location"]
    ensemble = r.json()
    deadline = time.monotonic() + 3600
    while ensemble["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        ensemble = client.get(location, headers=headers).json()
    wall = time.perf_counter() - t0
    members = ensemble["members"]
    durations = [m["record"]["run_s"] for m in members if (m["record"] or {}).get("run_s")]
    return {
        "wall_s": wall,
        "status": ensemble["status"],
        "durations": durations,
        "members": len(members),
        "summary": ensemble["summary"],
        "workers": len({(m["worker"] or "").split("@")[0] for m in members if m["worker"]}),
    }


def _print_figures(summary: dict[str, Any]) -> None:
    print(f"ensemble figures ({summary['horizon_label']}, {summary['annual_basis']}):")
    print(f"  {'figure':30} {'min':>12} {'P10':>12} {'P50':>12} {'P90':>12} {'max':>12}  worst")
    for name in SHOWN:
        d = summary["figures"][name]
        cells = " ".join(
            f"{d[k]:12,.1f}" if d[k] is not None else f"{'-':>12}"
            for k in ("min", "p10", "p50", "p90", "max")
        )
        print(f"  {name + ' [' + d['unit'] + ']':30} {cells}  {d['worst_member']}")
    for text in summary["bad_year"].values():
        print(f"  {text}")
    for failed in summary["failed"]:
        print(f"  failed: {failed['member']}: {failed['error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="horizon of the scenario [days]")
    parser.add_argument("--no-ac-check", action="store_true", help="members without AC check")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores")
    body = {"price_years": [2023, 2024], "ac_check": not args.no_ac_check}
    results: dict[int, dict[str, Any]] = {}
    with celery_deployment("energy_bench_ensemble", REDIS_DB, days=args.days) as dep:
        if dep is None:
            return
        print(
            f"ensemble: 6 TRY years x 2 price years = 12 members of the {args.days}-day Gera "
            f"scenario (AC check {not args.no_ac_check}), Celery on Redis db {REDIS_DB}, "
            "PostgreSQL, uvicorn (1 process)"
        )
        with tempfile.TemporaryDirectory() as tmp:
            server, base = start_server(dep.env, Path(tmp) / "uvicorn-ensemble.log")
            with httpx.Client(base_url=base, timeout=60) as client, server_stopped(server):
                for n in (1, 2):
                    workers = Workers(n, dep.env, Path(tmp))
                    try:
                        warm_body = body | {
                            "weather": ["TRY2015_Chemnitz_region09_Jahr.dat"],
                            "price_years": [2023, 2024][:n],
                        }
                        warm = run_ensemble(client, dep.headers, dep.scenario_id, warm_body)
                        print(
                            f"  {n} worker(s): warm-up of {warm['members']} member(s) "
                            f"{warm['wall_s']:.1f} s"
                        )
                        results[n] = run_ensemble(client, dep.headers, dep.scenario_id, body)
                    finally:
                        workers.stop()
    print(f"{'workers':>8} {'wall s':>8} {'mean member s':>14} {'workers used':>13} {'status':>10}")
    for n, res in results.items():
        mean = statistics.mean(res["durations"]) if res["durations"] else float("nan")
        print(f"{n:8d} {res['wall_s']:8.2f} {mean:14.2f} {res['workers']:13d} {res['status']:>10}")
    if 1 in results and 2 in results:
        one, two = results[1]["wall_s"], results[2]["wall_s"]
        print(
            f"speed-up 2 workers vs 1: {one / two:.2f}x (wall {one:.1f} s -> {two:.1f} s; "
            f"target >= 1.7x; machine: {os.cpu_count()} cores, shared)"
        )
    if 1 in results and results[1]["summary"]:
        _print_figures(results[1]["summary"])


if __name__ == "__main__":
    main()
