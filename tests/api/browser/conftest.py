"""A live API (uvicorn on a free port, SQLite file, inline jobs) and headless Chromium.

The server runs the real optimiser: the two-building test district of
``tests/api/conftest.py``, published, with two published scenarios (as is,
and with 30 kWp more PV) of two June days at 1 h steps, AC check on, and a
finished sweep of 2 x 2 points (PV 0/20 kWp x battery 0/40 kWh) over one
June day of a third scenario. A fourth scenario is over-built (+1000 kWp of
PV: even with the PV reactive power of VDE-AR-N 4105 the AC check finds a
voltage rise of about 5 %, above the 3 % of that rule, and an overloaded
service line), and a copy of the district
with a 0.5 kW import limit makes a run that fails (infeasible, with its
diagnosis). The first scenario has two cooperative members (3/4 and 1/4); a
last scenario is private to the utility (its run is hidden from the public).
A viewer key reads them, as the public city dashboard does.

Chromium is Debian's ``/usr/bin/chromium``, driven by Playwright for Python;
no browser is ever downloaded. Without it the tests skip, unless the
environment variable ``CI`` is set: then they fail, because CI must run them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlmodel import Session

from api.auth import create_api_key
from api.main import create_app
from api.schemas import Role
from api.settings import Settings
from api.tables import Organisation
from tests.api.conftest import small_spec

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Where the screenshot is kept (git-ignored).
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
RUN_OPTIONS = {"start": "2025-06-02", "days": 2, "resolution": "1h", "ac_check": True}
SWEEP_OPTIONS = {"start": "2025-06-02", "days": 1, "resolution": "1h", "ac_check": False}
SWEEP_GRID = {"pv_kwp_added": [0, 20], "battery_kwh_added": [0, 40]}
RUN_TIMEOUT_S = 300.0
VIEWPORT = {"width": 1280, "height": 900}
LOAD_TIMEOUT_MS = 120_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the dashboard browser tests")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright (skips or, under CI, fails without it)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveDashboard:
    """The running server and what was seeded into it."""

    base_url: str
    admin_key: str
    viewer_key: str
    district_id: int
    run_ids: list[int]
    sweep_id: int
    overbuilt_run_id: int
    failed_run_id: int
    private_run_id: int
    #: An ensemble (two weather years) of the second scenario over its run's days.
    ensemble_id: int
    #: Every line uvicorn's access log wrote (method, path with query, status).
    access_log: list[str] = field(default_factory=list)

    def get(self, path: str, **params: Any) -> Any:
        """GET a JSON endpoint with the viewer key."""
        r = httpx.get(
            self.base_url + path,
            params=params,
            headers={"X-API-Key": self.viewer_key},
            timeout=120,
        )
        assert r.status_code == 200, r.text
        return r.json()


def _wait(c: httpx.Client, path: str, deadline: float, end: str = "succeeded") -> None:
    """Poll ``path`` until its status is ``end`` (fail on any other end)."""
    while True:
        job = c.get(path).json()
        if job["status"] == end:
            return
        assert job["status"] in ("queued", "running"), job
        assert time.monotonic() < deadline, f"{path} still {job['status']}"
        time.sleep(0.5)


def _start_run(
    c: httpx.Client,
    district_id: int,
    name: str,
    changes: dict[str, Any],
    visibility: str = "published",
) -> int:
    """Create a scenario of two June days and queue its run; return the run id."""
    r = c.post(
        "/scenarios",
        json={
            "name": name,
            "district_id": district_id,
            "visibility": visibility,
            "options": RUN_OPTIONS,
            "changes": changes,
        },
    )
    assert r.status_code == 201, r.text
    r = c.post(f"/scenarios/{r.json()['id']}/runs")
    assert r.status_code == 202, r.text
    return int(r.json()["id"])


def _district(c: httpx.Client, name: str, spec: dict[str, Any]) -> int:
    r = c.post("/districts", json={"name": name, "visibility": "published", "spec": spec})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _named(spec: dict[str, Any]) -> dict[str, Any]:
    """The test district with the street and addresses a person would use (map names)."""
    spec["grid"]["feeders"][0]["description"] = "Teststraße: zwei Gebäude und Straßenlicht"
    spec["buildings"][0]["description"] = "Teststraße 1: Mehrfamilienhaus, 4 Geschosse"
    spec["buildings"][1]["description"] = "Grundschule Teststraße, 2 Geschosse"
    return spec


def _seed(base: str, admin: str) -> tuple[int, list[int], int, int, int, int, int]:
    h = {"X-API-Key": admin}
    with httpx.Client(base_url=base, headers=h, timeout=60) as c:
        district_id = _district(c, "Testquartier", _named(small_spec()))
        run_ids = [
            _start_run(c, district_id, "Bestand", {}),
            _start_run(c, district_id, "Mehr Solarstrom", {"pv_kwp_added": 30}),
        ]
        r = c.post(
            "/scenarios",
            json={
                "name": "Ausbauvarianten",
                "district_id": district_id,
                "visibility": "published",
                "options": SWEEP_OPTIONS,
                "changes": {},
            },
        )
        assert r.status_code == 201, r.text
        r = c.post(f"/scenarios/{r.json()['id']}/sweeps", json={"grid": SWEEP_GRID})
        assert r.status_code == 202, r.text
        sweep_id = int(r.json()["id"])
        # the first scenario belongs to a cooperative of two members (3/4 and 1/4)
        scenario_id = c.get(f"/runs/{run_ids[0]}").json()["scenario_id"]
        members = [{"member": "Anna", "share": 0.75}, {"member": "Bernd", "share": 0.25}]
        r = c.put(f"/scenarios/{scenario_id}/members", json={"members": members})
        assert r.status_code == 200, r.text
        overbuilt = _start_run(c, district_id, "Überbaut", {"pv_kwp_added": 1000})
        tight = small_spec()
        tight["grid"]["import_limit_kw"] = 0.5
        failing = _start_run(c, _district(c, "Engpass", tight), "Zu knapp", {})
        private = _start_run(c, district_id, "Intern", {}, visibility="private")
        # the second scenario's range over two weather years (bands on its tiles and chart)
        scenario_2 = c.get(f"/runs/{run_ids[1]}").json()["scenario_id"]
        weather = ["TRY2015_Chemnitz_region09_Jahr.dat", "TRY2015_Chemnitz_region09_Wint.dat"]
        body = {"weather": weather, "price_years": [2024], "ac_check": False}
        r = c.post(f"/scenarios/{scenario_2}/ensembles", json=body)
        assert r.status_code == 202, r.text
        ensemble = int(r.json()["id"])
        deadline = time.monotonic() + RUN_TIMEOUT_S
        for run_id in [*run_ids, overbuilt, private]:
            _wait(c, f"/runs/{run_id}", deadline)
        _wait(c, f"/sweeps/{sweep_id}", deadline)
        _wait(c, f"/runs/{failing}", deadline, "failed")
        _wait(c, f"/ensembles/{ensemble}", deadline)
    return district_id, run_ids, sweep_id, overbuilt, failing, private, ensemble


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDashboard]:
    """Serve the API with uvicorn in a thread; seed a published district, two runs, a sweep."""
    db = tmp_path_factory.mktemp("dashboard") / "dashboard.db"
    settings = Settings(
        database_url=f"sqlite:///{db}",
        queue="inline",
        inline_workers=2,
        # one browser loads many pages a minute from 127.0.0.1 (test_public.py tests the limits)
        rate_limit_anonymous="1000000/minute",
        rate_limit_per_key="1000000/minute",
    )
    app = create_app(settings)
    port = free_port()
    # uvicorn's access log, as a server would write it, kept to check that it holds no key
    access_log: list[str] = []
    handler = _ListHandler(access_log)
    access_logger = logging.getLogger("uvicorn.access")
    access_logger.addHandler(handler)
    access_logger.setLevel(logging.INFO)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="on", log_config=None, access_log=True
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn-dashboard", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        with Session(app.state.engine) as session:
            org = Organisation(name="Stadtwerk Gera")
            session.add(org)
            session.commit()
            session.refresh(org)
            assert org.id is not None
            _, admin = create_api_key(session, org.id, "admin", Role.admin)
            _, viewer = create_api_key(session, org.id, "city dashboard", Role.viewer)
        base = f"http://127.0.0.1:{port}"
        seeded = _seed(base, admin)
        yield LiveDashboard(base, admin, viewer, *seeded, access_log=access_log)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        access_logger.removeHandler(handler)


class _ListHandler(logging.Handler):
    """Appends each formatted record to a list."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder for test artefacts (screenshots), created on demand."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class Watched:
    """A page with its console errors, uncaught exceptions and failed requests recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")


@pytest.fixture
def page(browser: Any) -> Iterator[Watched]:
    """A watched page of a fresh browser context (1280 x 900, German)."""
    context = browser.new_context(viewport=VIEWPORT, locale="de-DE")
    try:
        yield Watched(context.new_page())
    finally:
        context.close()


def sign_in(page: Any, key: str) -> None:
    """Type ``key`` into the page's key form once the page asks for it, and send it."""
    page.wait_for_selector("#key-form[data-ready='true'] #key", state="visible")
    page.fill("#key", key)
    page.click("#key-form button[type='submit']")


def open_dashboard(watched: Watched, live: LiveDashboard, query: str = "") -> Any:
    """Open the dashboard, sign in with the viewer key and wait until every view is drawn."""
    page = watched.page
    page.goto(f"{live.base_url}/dashboard/?{query}")
    sign_in(page, live.viewer_key)
    for views in ("#views", "#sweeps-section"):
        page.wait_for_selector(f"{views}[aria-busy='false']", timeout=LOAD_TIMEOUT_MS)
    return page
