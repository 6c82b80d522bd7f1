"""Districts: create, list, read, update (a new spec is a new version), delete, import grids."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from api.auth import Principal, can_write_district, district_visible
from api.crud.common import ACTIVE_STATUSES, get_visible, page, require_role
from api.crud.versions import store_network_version, store_version
from api.datafiles import check_tariff_files
from api.errors import ConflictError, ForbiddenError
from api.runstore import version_row
from api.schemas import DistrictBase, DistrictUpdate, Page, Role, RunKind
from api.tables import District, DistrictVersion, Run, Scenario, utcnow
from energy.district import District as DistrictSpec
from energy.errors import InputDataError


def get_district(session: Session, p: Principal, district_id: int) -> District:
    """Return a district the caller may read, else NotFoundError."""
    return get_visible(session, District, district_id, district_visible(p), "district")


def get_district_for_write(session: Session, p: Principal, district_id: int) -> District:
    """Return a district the caller may change (404 if hidden, 403 if read-only)."""
    district = get_district(session, p, district_id)
    if not can_write_district(p, district):
        raise ForbiddenError(
            f"district {district_id}: only planners of its organisation may change it"
        )
    return district


def list_districts(session: Session, p: Principal, offset: int, limit: int) -> Page[District]:
    """List the districts the caller may read, newest first."""
    return page(session, District, district_visible(p), offset, limit, col(District.id).desc())


def create_district(
    session: Session, p: Principal, meta: DistrictBase, spec: DistrictSpec, source: str
) -> District:
    """Create a district with version 1 of its spec (planners and admins)."""
    require_role(p, Role.admin, Role.planner, action="creating a district")
    check_tariff_files(spec.tariff, "spec.tariff")
    district = District(
        organisation_id=p.organisation_id,
        name=meta.name,
        description=meta.description,
        visibility=meta.visibility,
        latest_version=1,
    )
    session.add(district)
    session.flush()
    assert district.id is not None
    session.add(version_row(district.id, 1, spec, source, None, None))
    session.commit()
    session.refresh(district)
    return district


def add_version(
    session: Session, p: Principal, district_id: int, spec: DistrictSpec, source: str
) -> District:
    """Store ``spec`` as the next version of the district (grids: :func:`add_network_version`)."""
    district = get_district_for_write(session, p, district_id)
    return store_version(session, district, spec, source)


def update_district(
    session: Session, p: Principal, district_id: int, data: DistrictUpdate
) -> District:
    """Change name, description, visibility; a new spec becomes a new version."""
    district = get_district_for_write(session, p, district_id)
    changes = data.model_dump(exclude_unset=True, exclude={"spec"})
    for key, value in changes.items():
        if value is None:
            raise InputDataError(f"{key}: null is not allowed; leave the field out instead")
        setattr(district, key, value)
    district.updated_at = utcnow()
    session.add(district)
    session.commit()
    if data.spec is not None:
        return add_version(session, p, district_id, data.spec, "json")
    session.refresh(district)
    return district


def delete_district(session: Session, p: Principal, district_id: int) -> None:
    """Delete a district, its versions and its ended grid imports.

    Refused (409) while scenarios refer to it or a grid import of it is
    queued or running.
    """
    get_district_for_write(session, p, district_id)
    used = session.exec(
        select(func.count()).select_from(Scenario).where(col(Scenario.district_id) == district_id)
    ).one()
    if used:
        raise ConflictError(
            f"district {district_id} is used by {used} scenario(s); delete them first"
        )
    imports = sa.and_(
        col(Run.kind) == RunKind.simbench_import,
        col(Run.district_version_id).in_(
            select(DistrictVersion.id).where(col(DistrictVersion.district_id) == district_id)
        ),
    )
    active = session.exec(
        select(func.count()).select_from(Run).where(imports, col(Run.status).in_(ACTIVE_STATUSES))
    ).one()
    if active:
        raise ConflictError(
            f"district {district_id} has {active} SimBench import(s) queued or running; "
            "delete it once they have ended"
        )
    session.exec(sa.delete(Run).where(imports))
    session.exec(sa.delete(DistrictVersion).where(col(DistrictVersion.district_id) == district_id))
    session.exec(sa.delete(District).where(col(District.id) == district_id))
    session.commit()


def add_network_version(
    session: Session,
    p: Principal,
    district_id: int,
    net: Any,
    source: str,
    licence: str | None,
) -> District:
    """Store an imported pandapower network as the grid of a new version of the district.

    The district's nodes must map onto the net
    (:func:`energy.models.grid.map_to_district`), else InputDataError.
    """
    district = get_district_for_write(session, p, district_id)
    return store_network_version(session, district, net, source, licence)
