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
from api.runstore import imported_network, spec_of
from api.tables import District, DistrictVersion, utcnow
from energy.district import District as DistrictSpec


def version_row(
    district_id: int,
    version: int,
    spec: DistrictSpec,
    source: str,
    network_json: str | None,
    licence: str | None,
) -> DistrictVersion:
    """Return the (unsaved) row of version ``version`` of a district."""
    return DistrictVersion(
        district_id=district_id,
        version=version,
        spec=spec.to_dict(),
        spec_hash=spec.spec_hash(),
        source=source,
        network_json=network_json,
        licence=licence,
    )


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
    assert district.id is not None
    district.latest_version += 1
    district.updated_at = utcnow()
    row = version_row(district.id, district.latest_version, spec, source, network_json, licence)
    session.add(row)
    session.add(district)
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
    import pandapower as pp

    from energy.models.grid import map_to_district

    spec = spec_of(get_version(session, district, None))
    map_to_district(net, spec)
    return store_version(session, district, spec, source, pp.to_json(net), licence)


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
