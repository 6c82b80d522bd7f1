"""Benchmark of the API (prints figures, never asserts).

1. Result reads: a uvicorn server on 127.0.0.1 (``--workers`` processes,
   default 1; SQLite file) with one succeeded one-week Gera run; 10 and 50
   concurrent clients (``--clients``) read ``/runs/{id}/results``,
   ``/runs/{id}/schedule?aggregate=day``, ``/runs/{id}/grid.geojson`` and the
   schedule CSV; p50/p95/p99 latency and throughput per endpoint. The load
   generator runs on the same cores as the server: wrk where installed (C, 2
   threads, ``--seconds`` per endpoint), else ``--generator httpx``
   (httpx.AsyncClient in this process). The first request of each endpoint is
   timed on its own (``first ms``: what a cold cache costs); ``--revalidate``
   also sends each request with the ``If-None-Match`` of the first answer (304
   expected where the endpoint has an ETag).
2. Jobs: 20 runs of the one-week Gera scenario through the API on Celery
   workers (PostgreSQL + Redis of this machine), with 1 and with 2 workers
   (concurrency 1 each, warmed up first); wall time, runs per minute, and the
   speed-up.

Run: ``.venv/bin/python benchmarks/bench_api.py [--requests 2000] [--runs 20]
[--clients 10,50] [--workers 1] [--revalidate] [--generator wrk|httpx] [--seconds 10]
[--skip-celery]``. Traffic goes to
127.0.0.1 only; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
import redis
from sqlmodel import Session

from api.auth import create_api_key
from api.cli import seed_reference
from api.db import make_engine, migrate
from api.jobs import execute_run
from api.schemas import Role
from api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class CeleryDeployment:
    """What a Celery benchmark needs: process environment, scenario id, key header."""

    env: dict[str, str]
    scenario_id: int
    headers: dict[str, str]


REDIS_DB = 14


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    env: dict[str, str], log_path: Path, workers: int = 1
) -> tuple[subprocess.Popen[bytes], str]:
    """Start uvicorn (``workers`` processes) on a free port of 127.0.0.1; return it and its URL."""
    port = free_port()
    log = log_path.open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--timeout-keep-alive",
            "30",
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/health")
    return server, base


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM a process started in its own session and wait for it."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:  # a stalled server does not stop on SIGTERM
        print(f"process {proc.pid} did not stop in 60 s: SIGKILL")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)


@contextmanager
def server_stopped(server: subprocess.Popen[bytes]) -> Iterator[None]:
    """Stop ``server`` when the block ends, also on errors."""
    try:
        yield
    finally:
        stop(server)


def wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout_s} s")


async def hammer(
    url: str, headers: dict[str, str], clients: int, total: int
) -> tuple[list[float], float, int]:
    """Send ``total`` GETs from ``clients`` concurrent clients: latencies [s], wall, errors."""
    latencies: list[float] = []
    errors = 0
    remaining = total

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            t = time.perf_counter()
            try:
                r = await client.get(url, headers=headers)
                ok = r.status_code in (200, 304)
            except httpx.TransportError:  # counted, not retried
                ok = False
            latencies.append(time.perf_counter() - t)
            errors += not ok

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        wall = time.perf_counter() - t0
    return latencies, wall, errors


#: wrk's Lua hooks: the request headers, and the figures printed when it is done.
WRK_SCRIPT = """
wrk.headers = {HEADERS}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %f %f %f %d %d %d\\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.duration, e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _lua(text: str) -> str:
    """Return ``text`` as a Lua string literal (an ETag holds double quotes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_run(
    url: str, headers: dict[str, str], clients: int, seconds: float, tmp: Path
) -> tuple[float, float, float, float, int]:
    """Load ``url`` with wrk for ``seconds``: p50, p95, p99 [ms], req/s and errors.

    wrk (C, event loop, 2 threads) keeps ``clients`` connections busy, each
    sending its next request when the answer arrived (closed loop); statuses
    of 400 and above count as errors.
    """
    table = "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in headers.items()) + "}"
    script = tmp / "wrk.lua"
    script.write_text(WRK_SCRIPT.replace("{HEADERS}", table))
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:g}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    p50, p95, p99, n, duration_us, errors = line.split()[1:]
    if int(n) == 0:
        print(f"  no answer at all in {seconds:g} s from {url} ({clients} clients): stalled")
    return float(p50), float(p95), float(p99), int(n) / (int(duration_us) / 1e6), int(errors)


def measure(
    generator: str, url: str, headers: dict[str, str], clients: int, total: int, tmp: Path
) -> tuple[float, float, float, float, int]:
    """p50, p95, p99 [ms], req/s and errors of ``url`` under ``clients`` (after a warm-up)."""
    if generator == "wrk":
        wrk_run(url, headers, clients, 2, tmp)  # warm-up
        return wrk_run(url, headers, clients, total, tmp)
    asyncio.run(hammer(url, headers, clients, min(total, 200)))  # warm-up
    lat, wall, errors = asyncio.run(hammer(url, headers, clients, total))
    p50, p95, p99 = np.percentile(np.array(lat) * 1000, [50, 95, 99])
    return float(p50), float(p95), float(p99), len(lat) / wall, errors


def bench_reads(
    tmp: Path,
    client_counts: list[int],
    total: int,
    workers: int,
    revalidate: bool,
    generator: str,
) -> None:
    """Read benchmark; ``total`` is requests per endpoint (httpx) or seconds (wrk)."""
    db_url = f"sqlite:///{tmp / 'reads.db'}"
    settings = Settings(database_url=db_url)
    engine = make_engine(db_url)
    migrate(engine)
    seeded = seed_reference(engine, settings, days=7)
    assert seeded.run_id is not None
    t = time.perf_counter()
    outcome = execute_run(seeded.run_id, engine, settings)
    print(f"reference run (one week, Gera): {outcome.value} in {time.perf_counter() - t:.1f} s")
    with Session(engine) as session:
        _, key = create_api_key(session, seeded.organisation_id, "bench", Role.viewer)
    engine.dispose()
    env = dict(os.environ) | {
        "ENERGY_DATABASE_URL": db_url,
        "ENERGY_QUEUE": "inline",
        # the per-key budget (600/minute) would answer most of the load with 429
        "ENERGY_RATE_LIMIT_PER_KEY": "10000000/minute",
    }
    server, base = start_server(env, tmp / "uvicorn-reads.log", workers)
    paths = [
        f"/runs/{seeded.run_id}/results",
        f"/runs/{seeded.run_id}/schedule?aggregate=day",
        f"/runs/{seeded.run_id}/grid.geojson",
        f"/runs/{seeded.run_id}/schedule?format=csv",
        "/health",  # the floor: the framework, middleware and a trivial answer
    ]
    with server_stopped(server):
        headers = {"X-API-Key": key}
        load = (
            f"wrk 2 threads, {total} s per endpoint"
            if generator == "wrk"
            else f"httpx.AsyncClient (1 process), {total} requests per endpoint"
        )
        print(
            f"\nresult reads: uvicorn ({workers} worker process(es)), SQLite, "
            f"load generator {load}, on the same machine"
        )
        print(f"{'endpoint':<44} {'first ms':>9}")
        etags: dict[str, str] = {}
        for path in paths:
            t = time.perf_counter()
            r = httpx.get(base + path, headers=headers, timeout=120)
            print(f"{path:<44} {1000 * (time.perf_counter() - t):9.1f}  ({r.status_code})")
            if "etag" in r.headers:
                etags[path] = r.headers["etag"]
        print(
            f"\n{'endpoint':<44} {'clients':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
            f"{'req/s':>8} {'errors':>7}"
        )
        for clients in client_counts:
            for path in paths:
                variants = [("", headers)]
                if revalidate and path in etags:
                    variants.append((" (304)", headers | {"If-None-Match": etags[path]}))
                for label, sent in variants:
                    p50, p95, p99, rate, errors = measure(
                        generator, base + path, sent, clients, total, tmp
                    )
                    print(
                        f"{path + label:<44} {clients:7d} {p50:8.1f} {p95:8.1f} {p99:8.1f} "
                        f"{rate:8.0f} {errors:7d}"
                    )


class Workers:
    """N Celery worker processes (concurrency 1 each)."""

    def __init__(self, n: int, env: dict[str, str], tmp: Path) -> None:
        self.procs = []
        self.logs = []
        for i in range(n):
            path = tmp / f"worker-{n}-{i}.log"
            log = path.open("w")
            self.logs.append((path, log))
            self.procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "api.cli",
                        "worker",
                        "--concurrency",
                        "1",
                        "--hostname",
                        f"bench{n}-{i}@%h",
                        "--loglevel",
                        "INFO",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 120
        for path, _ in self.logs:
            while " ready." not in path.read_text():
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"worker not ready: {path.read_text()}")
                time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.procs:
            stop(proc)
        for _, log in self.logs:
            log.close()


def run_batch(client: Any, headers: dict[str, str], scenario_id: int, n: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    ids = []
    for _ in range(n):
        r = client.post(f"/scenarios/{scenario_id}/runs", headers=headers)
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    pending = set(ids)
    durations: list[float] = []
    workers: set[str] = set()
    deadline = time.monotonic() + 60 * n
    while pending and time.monotonic() < deadline:
        time.sleep(0.5)  # one list request per poll, so polling costs the server little
        page = client.get("/runs", params={"limit": 200}, headers=headers).json()
        for run in page["items"]:
            if run["id"] in pending and run["status"] in ("succeeded", "failed", "cancelled"):
                pending.discard(run["id"])
                if run["status"] != "succeeded":
                    print(f"  run {run['id']}: {run['status']} {run['error']}")
                durations.append(run["duration_s"] or 0.0)
                workers.add((run["worker"] or "").split("@")[0])
    return {
        "wall_s": time.perf_counter() - t0,
        "durations": durations,
        "workers": workers,
        "unfinished": len(pending),
    }


@contextmanager
def celery_deployment(prefix: str, redis_db: int, days: int) -> Iterator[CeleryDeployment | None]:
    """A fresh PostgreSQL database and Redis db seeded with the Gera reference scenario.

    Yields the environment for the API server and Celery workers, the seeded
    scenario and a planner key; None when PostgreSQL or Redis is unreachable.
    Drops the database and flushes the Redis db afterwards.
    """
    redis_url = f"redis://127.0.0.1:6379/{redis_db}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
        redis.Redis.from_url(redis_url).ping()
    except Exception as exc:
        print(f"skipped: PostgreSQL or Redis unreachable ({exc})")
        yield None
        return
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(redis_url).flushdb()
    settings = Settings(
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
        queue="celery",
        redis_url=redis_url,
        celery_queue_name=f"{prefix}-{uuid.uuid4().hex[:6]}",
    )
    env = dict(os.environ) | {
        "ENERGY_DATABASE_URL": settings.database_url,
        "ENERGY_QUEUE": "celery",
        "ENERGY_REDIS_URL": redis_url,
        "ENERGY_CELERY_QUEUE_NAME": settings.celery_queue_name,
    }
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        seeded = seed_reference(engine, settings, days=days, start_run=False)
        with Session(engine) as session:
            _, key = create_api_key(session, seeded.organisation_id, "bench", Role.planner)
        yield CeleryDeployment(env, seeded.scenario_id, {"X-API-Key": key})
    finally:
        engine.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        redis.Redis.from_url(redis_url).flushdb()


def bench_celery(tmp: Path, runs: int, counts: list[int]) -> None:
    print("\nCelery scale-out:")
    with celery_deployment("energy_bench", REDIS_DB, days=7) as dep:
        if dep is None:
            return
        env, headers = dep.env, dep.headers
        results: dict[int, dict[str, Any]] = {}
        print(f"\njobs: {runs} runs of the one-week Gera scenario, Celery on Redis, PostgreSQL")
        server, base = start_server(env, tmp / "uvicorn-celery.log")
        with httpx.Client(base_url=base, timeout=60) as client, server_stopped(server):
            for n in counts:
                workers = Workers(n, env, tmp)
                try:
                    warm = run_batch(client, headers, dep.scenario_id, n)  # imports, JIT
                    print(f"  {n} worker(s): warm-up of {n} run(s) {warm['wall_s']:.1f} s")
                    results[n] = run_batch(client, headers, dep.scenario_id, runs)
                finally:
                    workers.stop()
        print(
            f"{'workers':>8} {'wall s':>8} {'runs/min':>9} {'mean run s':>11} "
            f"{'workers used':>13} {'unfinished':>11}"
        )
        for n, res in results.items():
            print(
                f"{n:8d} {res['wall_s']:8.1f} {60 * runs / res['wall_s']:9.1f} "
                f"{statistics.mean(res['durations']):11.2f} {len(res['workers']):13d} "
                f"{res['unfinished']:11d}"
            )
        if 1 in results and 2 in results:
            print(
                f"speed-up 2 workers vs 1: {results[1]['wall_s'] / results[2]['wall_s']:.2f}x "
                f"(machine: {os.cpu_count()} cores, shared)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="10,50", help="comma-separated client counts")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--revalidate", action="store_true", help="also If-None-Match reads")
    parser.add_argument(
        "--requests", type=int, default=None, help="per endpoint (httpx; default 2000)"
    )
    parser.add_argument("--seconds", type=int, default=10, help="per endpoint (wrk)")
    parser.add_argument(
        "--generator",
        choices=["wrk", "httpx"],
        default="wrk" if shutil.which("wrk") else "httpx",
        help="load generator (default wrk where installed: apt-get install wrk)",
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-reads", action="store_true")
    parser.add_argument("--skip-celery", action="store_true")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_reads:
            counts = [int(c) for c in args.clients.split(",")]
            total = args.seconds if args.generator == "wrk" else (args.requests or 2000)
            bench_reads(Path(tmp), counts, total, args.workers, args.revalidate, args.generator)
        if not args.skip_celery:
            bench_celery(Path(tmp), args.runs, [1, 2])


if __name__ == "__main__":
    main()
