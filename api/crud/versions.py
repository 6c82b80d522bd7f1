"""The stored versions of a district: one row per spec, with an imported grid if any.

No access checks of their own: callers pass a district row that
:mod:`api.crud.districts` has let them read (or change). A version never
changes once stored; runs refer to exactly one.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from api.datafiles import check_tariff_files
from api.errors import NotFoundError
from api.runstore import append_version, imported_network, mapped_network_json, spec_of
from api.tables import District, DistrictVersion
from energy.district import District as DistrictSpec


def store_version(
    session: Session,
    district: District,
    spec: DistrictSpec,
    source: str,
    network_json: str | None = None,
    licence: str | None = None,
) -> District:
    """Store ``spec`` (and an imported network) as the next version of ``district``."""
    check_tariff_files(spec.tariff, "spec.tariff")
    append_version(session, district, spec, source, network_json, licence)
    session.commit()
    session.refresh(district)
    return district


def store_network_version(
    session: Session, district: District, net: Any, source: str, licence: str | None
) -> District:
    """Store an imported pandapower network with the latest spec as the next version.

    The district's nodes must map onto the net
    (:func:`energy.models.grid.map_to_district`), else InputDataError.
    """
    spec = spec_of(get_version(session, district, None))
    return store_version(session, district, spec, source, mapped_network_json(net, spec), licence)


def get_version(session: Session, district: District, version: int | None) -> DistrictVersion:
    """Return version ``version`` (None: the latest) of ``district``."""
    number = district.latest_version if version is None else version
    row = session.exec(
        select(DistrictVersion).where(
            col(DistrictVersion.district_id) == district.id,
            col(DistrictVersion.version) == number,
        )
    ).first()
    if row is None:
        raise NotFoundError(
            f"district {district.id} has no version {number} (latest: {district.latest_version})"
        )
    return row


def list_versions(session: Session, district: District) -> list[DistrictVersion]:
    """List all versions of a district, oldest first."""
    return list(
        session.exec(
            select(DistrictVersion)
            .where(col(DistrictVersion.district_id) == district.id)
            .order_by(col(DistrictVersion.version))
        ).all()
    )


def network_of(version: DistrictVersion) -> Any:
    """Return the pandapower net of a version: the imported one (mapped) or one built from it."""
    from energy.models.grid import build_network, map_to_district

    spec = spec_of(version)
    imported = imported_network(version)
    return build_network(spec) if imported is None else map_to_district(imported, spec)
