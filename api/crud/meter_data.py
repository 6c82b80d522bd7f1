"""Meter data: measured series of a district, visible to the uploading organisation only."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, col

from api.auth import Principal, meter_data_visible
from api.crud.common import get_visible, page, require_role, save
from api.crud.districts import get_district
from api.schemas import Page, Role
from api.tables import District, MeterData


def check_meter_upload(session: Session, p: Principal, district_id: int) -> District:
    """Return the district if the caller may upload meter data for it (404 hidden, 403 role)."""
    district = get_district(session, p, district_id)
    require_role(p, Role.admin, Role.planner, Role.cooperative, action="uploading meter data")
    return district


def create_meter_data(
    session: Session,
    p: Principal,
    district: District,
    name: str,
    frame: Any,
    series_parquet: bytes,
) -> MeterData:
    """Store meter data (a ``energy.analysis.meter.read_meter_csv`` frame) of a district.

    ``district`` comes from :func:`check_meter_upload`.
    """
    assert district.id is not None
    step = frame.index[1] - frame.index[0]
    row = MeterData(
        district_id=district.id,
        organisation_id=p.organisation_id,
        name=name[:200],
        start=frame.index[0].to_pydatetime(),
        end=(frame.index[-1] + step).to_pydatetime(),
        step_s=step.total_seconds(),
        rows=len(frame),
        columns=[str(c) for c in frame.columns],
        series_parquet=series_parquet,
        created_by_key_id=p.key_id,
    )
    return save(session, row)


def get_meter_data(session: Session, p: Principal, meter_data_id: int) -> MeterData:
    """Return meter data the caller may read (series loaded on access), else NotFoundError."""
    series = defer(MeterData.series_parquet)  # type: ignore[arg-type]
    visible = meter_data_visible(p)
    return get_visible(session, MeterData, meter_data_id, visible, "meter data", [series])


def list_meter_data(
    session: Session, p: Principal, district_id: int, offset: int, limit: int
) -> Page[MeterData]:
    """List the meter data of a district the caller may read, newest first."""
    get_district(session, p, district_id)
    condition = sa.and_(meter_data_visible(p), col(MeterData.district_id) == district_id)
    return page(session, MeterData, condition, offset, limit, col(MeterData.id).desc())
