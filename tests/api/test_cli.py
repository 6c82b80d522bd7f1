"""The energy-api command: migrate, keys, seed, and the demo (the README's first command)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from api.auth import authenticate
from api.cli import app
from api.db import make_engine
from api.settings import get_settings
from api.tables import District, Run, Scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ENERGY_DATABASE_URL", url)
    monkeypatch.setenv("ENERGY_QUEUE", "inline")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_migrate_key_and_seed(db_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    result = runner.invoke(app, ["create-admin-key"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    engine = make_engine(db_url)
    with Session(engine) as session:
        principal = authenticate(session, key)
        assert principal is not None and principal.role == "admin"
    first = runner.invoke(app, ["seed", "--days", "1"])
    assert first.exit_code == 0, first.output
    assert "(1 day from 2025-06-02): created run 1, queued" in first.output
    again = runner.invoke(app, ["seed", "--days", "1"])  # idempotent, and says so
    assert again.exit_code == 0, again.output
    assert "run 1 of this horizon exists already (queued)" in again.output
    with Session(engine) as session:
        assert len(session.exec(select(District)).all()) == 1
        scenarios = session.exec(select(Scenario)).all()
        assert len(scenarios) == 2
        assert all(s.visibility == "published" for s in scenarios)
        assert len(session.exec(select(Run)).all()) == 1  # the queued run is not duplicated
    # another horizon on the same database: new scenarios and a new run, never the old one
    year = runner.invoke(app, ["seed", "--days", "365"])
    assert year.exit_code == 0, year.output
    assert "(year 2025): created run 2, queued" in year.output
    with Session(engine) as session:
        runs = session.exec(select(Run).order_by(col(Run.id))).all()
        assert [(r.options["start"], r.options["days"]) for r in runs] == [
            ("2025-06-02", 1),
            ("2025-01-01", 365),
        ]
        assert len(session.exec(select(Scenario)).all()) == 4
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_demo_serves_a_reference_run(tmp_path: Path) -> None:
    """`energy-api demo` on a fresh database: a key, the docs, and a succeeded whole-year run.

    The reference run covers 2025 (the default horizon), so /compare gives its
    annual savings, NPV and payback from a whole year, not extrapolated.
    """
    port = free_port()
    env = os.environ | {
        "ENERGY_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "ENERGY_QUEUE": "inline",
    }
    log = (tmp_path / "demo.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        key = run_url = None
        printed = []
        deadline = time.monotonic() + 120
        while (key is None or run_url is None) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            printed.append(line)
            if m := re.search(r"API key \(admin, shown once\): (\S+)", line):
                key = m.group(1)
            if m := re.search(r"reference run:\s+(\S+)", line):
                run_url = m.group(1)
        assert key and run_url, (tmp_path / "demo.log").read_text()
        # the dashboard link is public: no key in it (issue 14.3)
        (dashboard,) = [line for line in printed if "/dashboard/" in line]
        assert key not in dashboard and "key=" not in dashboard, dashboard
        headers = {"X-API-Key": key}
        status = ""
        while time.monotonic() < deadline:
            try:
                r = httpx.get(run_url, headers=headers, timeout=5)
            except httpx.TransportError:
                time.sleep(0.5)
                continue
            assert r.status_code == 200, (
                f"GET {run_url}: HTTP {r.status_code} {r.text[:500]}\n"
                + (tmp_path / "demo.log").read_text()[-3000:]
            )
            status = r.json()["status"]
            if status in ("succeeded", "failed"):
                break
            time.sleep(0.5)
        assert status == "succeeded", r.text
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/docs", timeout=5).status_code == 200
        results = httpx.get(f"{run_url}/results", headers=headers, timeout=5).json()
        assert results["licence"] == "CC-BY-4.0"
        assert results["kpis"]["optimised"]["cost_eur"] <= results["kpis"]["B1"]["cost_eur"]
        assert results["horizon"]["full_year"] is True
        assert results["horizon"]["label"] == "365 days (2025-01-01..2025-12-31)"
        run_id = run_url.rstrip("/").rsplit("/", 1)[-1]
        econ = httpx.get(f"{base}/compare", params={"runs": run_id}, headers=headers, timeout=30)
        assert econ.status_code == 200, econ.text
        (economics,) = econ.json()["economics"].values()
        assert economics["annual_basis"] == "full year"
        assert economics["extrapolated_from"] is None
        # a year of a district with ~0.94 MWp and 0.8 MWh of storage saves real money
        assert economics["annual_savings_eur"] > 100_000
        assert economics["npv_eur"] > 0 and economics["payback_simple_years"] > 1
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()
