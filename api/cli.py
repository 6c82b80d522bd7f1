"""The ``energy-api`` command: migrate, keys, seed, serve, worker, and the demo.

``energy-api demo`` is the one command a newcomer runs: it migrates the SQLite
database, loads the Gera reference district, creates an admin key, queues a
reference one-week run and serves the API, printing where to look.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api import crud
from api.auth import Principal, create_api_key
from api.db import make_engine, migrate
from api.schemas import DistrictBase, Role, ScenarioCreate, Visibility
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
REFERENCE_SCENARIO = "Reference week, June 2025"
COOPERATIVE_SCENARIO = "Cooperative: +300 kWp PV, +400 kWh battery"
REFERENCE_START = dt.date(2025, 6, 2)


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
    """What :func:`seed_reference` created or found."""

    organisation_id: int
    district_id: int
    scenario_id: int
    run_id: int | None


def seed_reference(
    engine: Engine, settings: Settings, days: int = 7, start_run: bool = True
) -> SeedResult:
    """Load the Gera district (published) with a reference and a cooperative scenario.

    Idempotent: existing objects (by name) are reused. With ``start_run`` a
    run of the reference scenario is queued unless one has already succeeded
    or is queued or running.
    """
    spec = load_district(GERA_DISTRICT_FILE)
    with Session(engine) as session:
        org = _organisation(session, DEFAULT_ORGANISATION)
        assert org.id is not None
        planner = Principal(key_id=None, key_name="seed", role=Role.planner, organisation_id=org.id)
        district = session.exec(
            select(District).where(col(District.name) == REFERENCE_DISTRICT)
        ).first()
        if district is None:
            meta = DistrictBase(
                name=REFERENCE_DISTRICT,
                description="The planned smart quarter in Gera (data/gera/district.yaml)",
                visibility=Visibility.published,
            )
            district = crud.districts.create_district(session, planner, meta, spec, "yaml")
        assert district.id is not None
        scenarios = {}
        for name, changes in (
            (REFERENCE_SCENARIO, ScenarioChanges()),
            (
                COOPERATIVE_SCENARIO,
                ScenarioChanges(
                    pv_added_total_kwp=300.0,
                    batteries=[BatteryAddition(capacity_kwh=400.0, power_kw=200.0)],
                ),
            ),
        ):
            scenario = session.exec(
                select(Scenario).where(
                    col(Scenario.name) == name, col(Scenario.district_id) == district.id
                )
            ).first()
            if scenario is None:
                scenario = crud.scenarios.create_scenario(
                    session,
                    planner,
                    ScenarioCreate(
                        name=name,
                        district_id=district.id,
                        visibility=Visibility.published,
                        changes=changes,
                        options=ScenarioOptions(start=REFERENCE_START, days=days),
                    ),
                )
            scenarios[name] = scenario
        reference = scenarios[REFERENCE_SCENARIO]
        assert reference.id is not None
        run_id = None
        if start_run:
            existing = session.exec(
                select(Run).where(
                    col(Run.scenario_id) == reference.id,
                    col(Run.kind) == RunKind.scenario,
                    col(Run.status).in_(["queued", "running", "succeeded"]),
                )
            ).first()
            run = existing or crud.runs.create_run(session, planner, reference.id, settings)
            run_id = run.id
            if existing is None and settings.queue == "celery":
                from api.executors import CeleryExecutor

                assert run_id is not None
                CeleryExecutor(engine, settings).submit(run_id)
        return SeedResult(org.id, district.id, reference.id, run_id)


@app.command("migrate")
def migrate_db() -> None:
    """Create or upgrade the database (ENERGY_DATABASE_URL) to the newest schema."""
    engine = _setup(get_settings())
    typer.echo(f"database {engine.url} is up to date")


@app.command("create-admin-key")
def create_admin_key(
    organisation: Annotated[str, typer.Option(help="Organisation (created if new)")] = (
        DEFAULT_ORGANISATION
    ),
    name: Annotated[str, typer.Option(help="What the key is for")] = "admin",
) -> None:
    """Create an admin key and print it once (the database keeps only its hash)."""
    engine = _setup(get_settings())
    with Session(engine) as session:
        org = _organisation(session, organisation)
        assert org.id is not None
        _, key = create_api_key(session, org.id, name, Role.admin)
    typer.echo(key)


@app.command("create-key")
def create_key(
    organisation: Annotated[str, typer.Option(help="Organisation (created if new)")],
    role: Annotated[Role, typer.Option(help="planner, cooperative, viewer or admin")],
    name: Annotated[str, typer.Option(help="What the key is for")] = "key",
) -> None:
    """Create a key with a role for an organisation and print it once."""
    engine = _setup(get_settings())
    with Session(engine) as session:
        org = _organisation(session, organisation)
        assert org.id is not None
        _, key = create_api_key(session, org.id, name, role)
    typer.echo(key)


@app.command()
def seed(
    days: Annotated[int, typer.Option(min=1, max=366, help="Horizon of the scenarios")] = 7,
    run: Annotated[bool, typer.Option(help="Queue a run of the reference scenario")] = True,
) -> None:
    """Load the Gera reference district with a reference and a cooperative scenario."""
    settings = get_settings()
    result = seed_reference(_setup(settings), settings, days=days, start_run=run)
    typer.echo(
        f"district {result.district_id}, reference scenario {result.scenario_id}"
        + (f", run {result.run_id} queued" if result.run_id else "")
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (celery queue)")] = 1,
) -> None:
    """Serve the API with uvicorn (migrates the database on start)."""
    import uvicorn

    logging.basicConfig(level=logging.INFO)
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers)


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
    days: Annotated[int, typer.Option(min=1, max=366, help="Horizon of the reference run")] = 7,
) -> None:
    """Set up the Gera reference district, queue a one-week run and serve the API.

    Uses ENERGY_DATABASE_URL (default: ./stadtwerk.db) and the in-process queue.
    """
    import uvicorn

    settings = get_settings()
    engine = _setup(settings)
    result = seed_reference(engine, settings, days=days)
    with Session(engine) as session:
        _, key = create_api_key(session, result.organisation_id, "demo", Role.admin)
    base = f"http://{host}:{port}"
    typer.echo(
        "\n".join(
            [
                "",
                "Digitales Stadtwerk Gera: planning API",
                f"  API key (admin, shown once): {key}",
                f"  interactive docs:   {base}/docs  (Authorize with the key above)",
                f"  dashboard:          {base}/dashboard/?key={key}&run={result.run_id}",
                f"  reference run:      {base}/runs/{result.run_id}",
                f"  its results:        {base}/runs/{result.run_id}/results",
                f"  daily energy, CSV:  {base}/runs/{result.run_id}/schedule?aggregate=day"
                "&format=csv",
                f"  try: curl -H 'X-API-Key: {key}' {base}/runs/{result.run_id}",
                "  (the run takes a few seconds; stop the server with Ctrl+C)",
                "",
            ]
        )
    )
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port)


if __name__ == "__main__":
    app()
