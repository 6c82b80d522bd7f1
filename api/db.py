"""Database engine, sessions and migrations (Alembic).

SQLite (the embedded default) gets foreign keys, WAL journalling, a busy
timeout so the API threads and the inline job threads can share one file,
and a connection pool as large as the request threads;
PostgreSQL gets ``pool_pre_ping`` so a restarted server is survived, and as
many connections as request threads at most (:data:`REQUEST_THREADS`).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, text
from sqlalchemy.pool import StaticPool
from sqlmodel import create_engine

from api.settings import get_settings, is_in_memory_sqlite

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Threads that serve requests at once (FastAPI's default worker-thread limit, anyio).
#: Each engine's pool allows as many connections plus 8 (the inline job threads): with
#: SQLAlchemy's default of 5 + 10, 50 concurrent clients left every thread waiting for a
#: connection held by a request that waited for a thread, until the pool's 30 s timeout
#: (a stalled server; issue 13 item 8). A SQLite file keeps them all open (a
#: connection per request otherwise, with its pragmas and a cold page cache);
#: PostgreSQL keeps 10 and closes the others when they come back.
REQUEST_THREADS = 40
#: Key of the PostgreSQL advisory lock held while migrating (any constant works).
_MIGRATION_LOCK_ID = 0x5354_5744


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the settings its backend needs."""
    if not url.startswith("sqlite"):
        return create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=REQUEST_THREADS + 8 - 10
        )
    in_memory = is_in_memory_sqlite(url)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if in_memory:
        kwargs["poolclass"] = StaticPool
    else:
        # a pooled connection for every request thread, kept (see REQUEST_THREADS)
        kwargs |= {"pool_size": REQUEST_THREADS, "max_overflow": 8}
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


@lru_cache
def get_engine() -> Engine:
    """Return the process-wide engine of ``ENERGY_DATABASE_URL``."""
    return make_engine(get_settings().database_url)


def alembic_config() -> Config:
    """Alembic configuration pointing at :data:`MIGRATIONS_DIR`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database of ``engine`` to ``revision`` (default: the newest).

    On PostgreSQL an advisory lock serialises concurrent migrations, so API
    replicas starting together do not race.
    """
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_ID})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    logger.info("database migrated to %s", revision)
