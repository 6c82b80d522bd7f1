"""Benchmark of the key check with and without the auth cache (prints figures, never asserts).

``api.auth.check_key`` in this process, on a SQLite file and, with
``--postgres``, on a fresh database of the PostgreSQL on 127.0.0.1:5432 (dropped
afterwards): the time of one check [us] with ``ENERGY_AUTH_CACHE_TTL_S`` 0 (every
check reads the key's row) and 5 s (one read per TTL), best of three loops of
``--checks`` checks after 200 to warm up.

Run: ``.venv/bin/python benchmarks/bench_auth.py [--checks 3000] [--postgres]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlmodel import Session

from api.auth import AuthCache, check_key, create_api_key
from api.db import make_engine, migrate
from api.schemas import Role
from api.tables import Organisation

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def check_us(engine: Engine, key: str, ttl_s: float, checks: int) -> float:
    """Return the best time of one check [us] over three loops of ``checks`` checks."""
    cache = AuthCache(ttl_s)
    best = float("inf")
    with Session(engine) as session:
        for _ in range(200):
            check_key(session, key, cache)
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(checks):
                assert check_key(session, key, cache).principal is not None
            best = min(best, (time.perf_counter() - start) / checks * 1e6)
    return best


def bench(engine: Engine, label: str, checks: int) -> None:
    """Migrate ``engine``, make one admin key and print the time of a check per TTL."""
    migrate(engine)
    with Session(engine) as session:
        org = Organisation(name="bench")
        session.add(org)
        session.commit()
        session.refresh(org)
        assert org.id is not None
        _, key = create_api_key(session, org.id, "bench", Role.admin)
    for ttl_s in (0.0, 5.0):
        print(
            f"{label:24s} TTL {ttl_s:3.0f} s: {check_us(engine, key, ttl_s, checks):8.1f} us/check"
        )


@contextmanager
def postgres_engine() -> Iterator[Engine]:
    """Yield an engine on a fresh PostgreSQL database (dropped afterwards)."""
    import psycopg

    name = f"energy_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
        try:
            yield engine
        finally:
            engine.dispose()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    """Parse the arguments and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=3000, help="Checks per loop")
    parser.add_argument("--postgres", action="store_true", help="Also on PostgreSQL (127.0.0.1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        bench(engine, "SQLite file", args.checks)
        engine.dispose()
    if args.postgres:
        with postgres_engine() as engine:
            bench(engine, "PostgreSQL 127.0.0.1", args.checks)


if __name__ == "__main__":
    main()
