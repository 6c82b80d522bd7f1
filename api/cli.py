"""The ``energy-api`` command: migrate, keys, seed, serve, worker, and the demo.

``energy-api demo`` is the one command a newcomer runs: it migrates the SQLite
database, loads the Gera reference district, creates an admin key, queues a
reference run over the whole year 2025 (annual figures then need no
extrapolation; the year takes seconds) and serves the API, printing where to
look. ``seed`` and ``demo`` with another horizon (``--days``, ``--start``)
make a reference scenario of that horizon and a new run of it, and say so;
they never report an older run of another horizon as queued.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api import crud
from api.auth import Principal, create_api_key
from api.db import make_engine, migrate
from api.schemas import MAX_KEY_DAYS, DistrictBase, Role, ScenarioCreate, Visibility
from api.settings import Settings, get_settings
from api.tables import District, Organisation, Run, RunKind, Scenario
from energy.district import GERA_DISTRICT_FILE, load_district
from energy.scenario import ScenarioOptions
from energy.variants import BatteryAddition, ScenarioChanges

logger = logging.getLogger(__name__)

app = typer.Typer(
    name="energy-api",
    help="Planning API of the Digitales Stadtwerk Gera: database, keys, server, workers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

DEFAULT_ORGANISATION = "Stadtwerk Gera"
REFERENCE_DISTRICT = "Gera smart quarter (reference)"
REFERENCE_SCENARIO = "Reference"
COOPERATIVE_SCENARIO = "Cooperative: +300 kWp PV, +400 kWh battery"
#: The reference horizon: the whole year 2025.
REFERENCE_START = dt.date(2025, 1, 1)
REFERENCE_DAYS = 365
#: First day of a shorter reference horizon (a June week shows PV, batteries and lighting).
SHORT_REFERENCE_START = dt.date(2025, 6, 2)


def reference_horizon(days: int, start: dt.date | None = None) -> tuple[dt.date, str]:
    """First day and words of a reference horizon of ``days`` local days.

    Without ``start``: 1 January 2025 for a year (365 days or more), else 2
    June 2025. The words name the scenarios: ``year 2025`` or ``7 days from
    2025-06-02``.
    """
    if start is None:
        start = REFERENCE_START if days >= REFERENCE_DAYS else SHORT_REFERENCE_START
    if start == dt.date(start.year, 1, 1) and days == (dt.date(start.year + 1, 1, 1) - start).days:
        return start, f"year {start.year}"
    return start, f"{days} day{'' if days == 1 else 's'} from {start.isoformat()}"


def _setup(settings: Settings) -> Engine:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


def _organisation(session: Session, name: str) -> Organisation:
    org = session.exec(select(Organisation).where(col(Organisation.name) == name)).first()
    if org is None:
        org = Organisation(name=name)
        session.add(org)
        session.commit()
        session.refresh(org)
    return org


@dataclass
class SeedResult:
    """What :func:`seed_reference` created or found.

    ``run_created`` tells whether ``run_id`` is a run queued now or an earlier
    run of the same horizon that is queued, running or succeeded
    (``run_status``); ``horizon`` names the horizon in words.
    """

    organisation_id: int
    district_id: int
    scenario_id: int
    run_id: int | None
    run_created: bool = False
    run_status: str | None = None
    horizon: str = ""

    def describe(self) -> str:
        """Say what was seeded, and whether the run is new or an earlier one."""
        text = (
            f"district {self.district_id}, reference scenario {self.scenario_id} ({self.horizon})"
        )
        if self.run_id is None:
            return text
        if self.run_created:
            return f"{text}: created run {self.run_id}, queued"
        return f"{text}: run {self.run_id} of this horizon exists already ({self.run_status})"


def _reference_district(session: Session, planner: Principal) -> District:
    """Return the published Gera reference district, loading it on first use."""
    district = session.exec(
        select(District).where(col(District.name) == REFERENCE_DISTRICT)
    ).first()
    if district is None:
        meta = DistrictBase(
            name=REFERENCE_DISTRICT,
            description="The planned smart quarter in Gera (data/gera/district.yaml)",
            visibility=Visibility.published,
        )
        spec = load_district(GERA_DISTRICT_FILE)
        district = crud.districts.create_district(session, planner, meta, spec, "yaml")
    return district


def _scenario(
    session: Session,
    planner: Principal,
    district_id: int,
    name: str,
    changes: ScenarioChanges,
    options: ScenarioOptions,
) -> Scenario:
    """Return the published scenario of that name in the district, creating it if new."""
    scenario = session.exec(
        select(Scenario).where(col(Scenario.name) == name, col(Scenario.district_id) == district_id)
    ).first()
    if scenario is None:
        scenario = crud.scenarios.create_scenario(
            session,
            planner,
            ScenarioCreate(
                name=name,
                district_id=district_id,
                visibility=Visibility.published,
                changes=changes,
                options=options,
            ),
        )
    return scenario


def _reference_run(
    session: Session, engine: Engine, settings: Settings, planner: Principal, scenario_id: int
) -> tuple[Run, bool]:
    """Return an earlier live or succeeded run of the scenario, else a new queued one."""
    existing = session.exec(
        select(Run)
        .where(
            col(Run.scenario_id) == scenario_id,
            col(Run.kind) == RunKind.scenario,
            col(Run.status).in_(["queued", "running", "succeeded"]),
        )
        .order_by(col(Run.id).desc())
    ).first()
    if existing is not None:
        return existing, False
    run = crud.runs.create_run(session, planner, scenario_id, settings)
    if settings.queue == "celery":
        from api.executors import CeleryExecutor

        assert run.id is not None
        CeleryExecutor(engine, settings).submit(run.id)
    return run, True


def seed_reference(
    engine: Engine,
    settings: Settings,
    days: int = REFERENCE_DAYS,
    start_run: bool = True,
    start: dt.date | None = None,
) -> SeedResult:
    """Load the Gera district (published) with a reference and a cooperative scenario.

    The scenarios are named after their horizon (:func:`reference_horizon`),
    so another horizon gets scenarios and a run of its own. Idempotent: objects
    (by name) are reused. With ``start_run`` a run of the reference scenario
    is queued unless one of it has already succeeded or is queued or running
    (:attr:`SeedResult.run_created` tells which).
    """
    first, words = reference_horizon(days, start)
    options = ScenarioOptions(start=first, days=days)
    cooperative = ScenarioChanges(
        pv_kwp_added=300.0,
        batteries=[BatteryAddition(capacity_kwh=400.0, power_kw=200.0)],
    )
    with Session(engine) as session:
        org = _organisation(session, DEFAULT_ORGANISATION)
        assert org.id is not None
        planner = Principal(key_id=None, key_name="seed", role=Role.planner, organisation_id=org.id)
        district = _reference_district(session, planner)
        assert district.id is not None
        reference = _scenario(
            session,
            planner,
            district.id,
            f"{REFERENCE_SCENARIO}, {words}",
            ScenarioChanges(),
            options,
        )
        _scenario(
            session, planner, district.id, f"{COOPERATIVE_SCENARIO}, {words}", cooperative, options
        )
        assert reference.id is not None
        result = SeedResult(org.id, district.id, reference.id, None, horizon=words)
        if start_run:
            run, created = _reference_run(session, engine, settings, planner, reference.id)
            result.run_id, result.run_created, result.run_status = run.id, created, run.status
        return result


@app.command("migrate")
def migrate_db() -> None:
    """Create or upgrade the database (ENERGY_DATABASE_URL) to the newest schema."""
    engine = _setup(get_settings())
    typer.echo(f"database {engine.url} is up to date")


ExpiresOpt = Annotated[
    int | None,
    typer.Option(
        "--expires-in-days",
        min=1,
        max=MAX_KEY_DAYS,
        help="The key answers 401 after this many days (default: never)",
    ),
]


@app.command("create-admin-key")
def create_admin_key(
    organisation: Annotated[str, typer.Option(help="Organisation (created if new)")] = (
        DEFAULT_ORGANISATION
    ),
    name: Annotated[str, typer.Option(help="What the key is for")] = "admin",
    expires_in_days: ExpiresOpt = None,
) -> None:
    """Create an admin key and print it once (the database keeps only its hash)."""
    engine = _setup(get_settings())
    with Session(engine) as session:
        org = _organisation(session, organisation)
        assert org.id is not None
        row, key = create_api_key(session, org.id, name, Role.admin, expires_in_days)
    typer.echo(key)
    _echo_expiry(row.expires_at)


@app.command("create-key")
def create_key(
    organisation: Annotated[str, typer.Option(help="Organisation (created if new)")],
    role: Annotated[Role, typer.Option(help="planner, cooperative, viewer or admin")],
    name: Annotated[str, typer.Option(help="What the key is for")] = "key",
    expires_in_days: ExpiresOpt = None,
) -> None:
    """Create a key with a role for an organisation and print it once."""
    engine = _setup(get_settings())
    with Session(engine) as session:
        org = _organisation(session, organisation)
        assert org.id is not None
        row, key = create_api_key(session, org.id, name, role, expires_in_days)
    typer.echo(key)
    _echo_expiry(row.expires_at)


def _echo_expiry(expires_at: dt.datetime | None) -> None:
    """Say on stderr when a new key expires (stdout carries only the key, for scripts)."""
    if expires_at is not None:
        typer.echo(f"expires at {expires_at.isoformat(timespec='seconds')}", err=True)


DaysOpt = Annotated[
    int, typer.Option(min=1, max=366, help="Horizon of the reference scenarios [local days]")
]
StartOpt = Annotated[
    dt.datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="First local day (default: 2025-01-01 for a year, else 2025-06-02)",
    ),
]


@app.command()
def seed(
    days: DaysOpt = REFERENCE_DAYS,
    start: StartOpt = None,
    run: Annotated[bool, typer.Option(help="Queue a run of the reference scenario")] = True,
) -> None:
    """Load the Gera reference district with a reference and a cooperative scenario."""
    settings = get_settings()
    result = seed_reference(
        _setup(settings),
        settings,
        days=days,
        start_run=run,
        start=start.date() if start else None,
    )
    typer.echo(result.describe())


def default_workers(settings: Settings) -> int:
    """Uvicorn processes when ``--workers`` is not given: the CPU count with Celery, else 1.

    With ``ENERGY_QUEUE=celery`` the server processes only answer requests, so
    one per core (``os.cpu_count()``) uses the machine. With the inline queue
    runs execute inside the server process, each process resuming queued runs
    on start and holding its own runs' memory, so the default stays one.
    """
    return max(os.cpu_count() or 1, 1) if settings.queue == "celery" else 1


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Uvicorn worker processes; default: the CPU count with ENERGY_QUEUE=celery, "
            "1 with the inline queue",
        ),
    ] = None,
) -> None:
    """Serve the API with uvicorn (migrates the database on start)."""
    import uvicorn

    logging.basicConfig(level=logging.INFO)
    n = workers if workers is not None else default_workers(get_settings())
    logger.info("serving on %s:%s with %d worker process(es)", host, port, n)
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=n)


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Runs executed at once")] = 1,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
    hostname: Annotated[str | None, typer.Option(help="Worker name (default: celery@host)")] = None,
) -> None:
    """Start a Celery worker that executes runs (needs ENERGY_QUEUE=celery on the API)."""
    from api.worker import celery_app

    argv = ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "--pool=prefork"]
    argv += [f"--queues={get_settings().celery_queue_name}"]
    if hostname:
        argv.append(f"--hostname={hostname}")
    celery_app.worker_main(argv)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    days: DaysOpt = REFERENCE_DAYS,
    start: StartOpt = None,
) -> None:
    """Set up the Gera reference district, queue a whole-year run and serve the API.

    Uses ENERGY_DATABASE_URL (default: ./stadtwerk.db) and the in-process queue.
    """
    import uvicorn

    settings = get_settings()
    engine = _setup(settings)
    result = seed_reference(engine, settings, days=days, start=start.date() if start else None)
    with Session(engine) as session:
        _, key = create_api_key(session, result.organisation_id, "demo", Role.admin)
    base = f"http://{host}:{port}"
    typer.echo(
        "\n".join(
            [
                "",
                "Digitales Stadtwerk Gera: planning API",
                f"  {result.describe()}",
                f"  API key (admin, shown once): {key}",
                f"  interactive docs:   {base}/docs  (Authorize with the key above)",
                f"  dashboard (public): {base}/dashboard/?run={result.run_id}"
                "  (no key in the link; sign in there with the key above)",
                f"  reference run:      {base}/runs/{result.run_id}",
                f"  its results:        {base}/runs/{result.run_id}/results",
                f"  annual economics:   {base}/compare?runs={result.run_id}",
                f"  daily energy, CSV:  {base}/runs/{result.run_id}/schedule?aggregate=day"
                "&format=csv",
                f"  try: curl -H 'X-API-Key: {key}' {base}/runs/{result.run_id}",
                "  (the year's run takes about ten seconds; stop the server with Ctrl+C)",
                "",
            ]
        )
    )
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port)


if __name__ == "__main__":
    app()
