"""Alembic migrations produce exactly the schema of the SQLModel tables."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import api.tables  # noqa: F401  (registers the tables)
from api.db import alembic_config, make_engine, migrate


def test_upgrade_head_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
        tables = set(inspect(connection).get_table_names())
    assert tables == set(SQLModel.metadata.tables) | {"alembic_version"}
    migrate(engine)  # a second upgrade is a no-op
    engine.dispose()


def test_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    migrate(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == {"alembic_version"}
    migrate(engine)
    with engine.connect() as connection:
        assert "runs" in inspect(connection).get_table_names()
    engine.dispose()
