"""Alembic environment: the SQLModel metadata of :mod:`api.tables`.

Called by :func:`api.db.migrate` with an open connection in
``config.attributes["connection"]``, or by the ``alembic`` command
(``alembic -c api/alembic.ini upgrade head``) with ``ENERGY_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import api.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from api.db import make_engine
from api.settings import get_settings

target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    """Emit SQL for ``ENERGY_DATABASE_URL`` without connecting."""
    context.configure(
        url=get_settings().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the given connection or a new one."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(get_settings().database_url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
