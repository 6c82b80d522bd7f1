"""What every resource module shares: pages, the one get-visible-or-404, role checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.sql.base import ExecutableOption
from sqlmodel import Session, SQLModel, func, select

from api.auth import Principal
from api.errors import ForbiddenError, NotFoundError
from api.schemas import MAX_DB_ID, Page, Role, RunStatus

M = TypeVar("M", bound=SQLModel)

#: Statuses of a job that has not ended.
ACTIVE_STATUSES = (RunStatus.queued, RunStatus.running)


def page(
    session: Session,
    model: type[M],
    condition: ColumnElement[bool],
    offset: int,
    limit: int,
    order: Any,
) -> Page[M]:
    """Return one page of ``model`` rows fulfilling ``condition``, with the total count."""
    total = session.exec(select(func.count()).select_from(model).where(condition)).one()
    rows = session.exec(
        select(model).where(condition).order_by(order).offset(offset).limit(limit)
    ).all()
    return Page[M](items=list(rows), total=total, offset=offset, limit=limit)


def get_visible(
    session: Session,
    model: type[M],
    object_id: int,
    visible: ColumnElement[bool],
    noun: str,
    options: Sequence[ExecutableOption] = (),
) -> M:
    """Return the ``model`` row with id ``object_id`` if ``visible`` holds for it.

    Parameters
    ----------
    session
        Session of the request.
    model
        Table of the row.
    object_id
        Primary key of the row.
    visible
        SQL condition of the rows the caller may read (from :mod:`api.auth`),
        possibly with further conditions (e.g. a job's kind).
    noun
        How the object is named in the message, e.g. ``sweep``.
    options
        Loader options, e.g. ``defer`` of a large column.

    Raises
    ------
    NotFoundError
        ``<noun> <id> not found`` (404) for a missing and for a hidden row
        alike, so an id tells nothing about other organisations' objects.
    """
    if not 1 <= object_id <= MAX_DB_ID:  # ids the database cannot hold (routers answer 422)
        raise NotFoundError(f"{noun} {object_id} not found")
    (key,) = sa.inspect(model).primary_key
    row = session.exec(select(model).where(key == object_id, visible).options(*options)).first()
    if row is None:
        raise NotFoundError(f"{noun} {object_id} not found")
    return row


def save(session: Session, row: M) -> M:
    """Add ``row``, commit, and return it refreshed (ids and defaults from the database)."""
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def require_role(p: Principal, *roles: Role, action: str) -> None:
    """Raise ForbiddenError (403) naming ``action`` unless ``p`` has one of ``roles``."""
    if p.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise ForbiddenError(f"{action} needs the role {allowed}; this key is {p.role.value}")
