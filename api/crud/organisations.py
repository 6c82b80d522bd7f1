"""Organisations: the owners of private districts, scenarios and runs."""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.auth import Principal, organisation_visible
from api.crud.common import get_visible, page, require_role, save
from api.errors import ConflictError
from api.schemas import OrganisationCreate, Page, Role
from api.tables import Organisation


def create_organisation(session: Session, p: Principal, data: OrganisationCreate) -> Organisation:
    """Create an organisation (admin only); names are unique."""
    require_role(p, Role.admin, action="creating an organisation")
    if session.exec(select(Organisation).where(col(Organisation.name) == data.name)).first():
        raise ConflictError(f"name: an organisation named {data.name!r} exists already")
    org = Organisation.model_validate(data)
    return save(session, org)


def list_organisations(
    session: Session, p: Principal, offset: int, limit: int
) -> Page[Organisation]:
    """List all organisations for admins, the own one for everyone else."""
    visible = organisation_visible(p)
    return page(session, Organisation, visible, offset, limit, col(Organisation.id))


def get_organisation(session: Session, p: Principal, organisation_id: int) -> Organisation:
    """Return an organisation the caller belongs to (admins: any)."""
    visible = organisation_visible(p)
    return get_visible(session, Organisation, organisation_id, visible, "organisation")
