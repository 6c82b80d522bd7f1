"""PV forecasts for a district or one of its systems, from clear sky or an uploaded forecast."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile

from api import crud
from api.deps import CurrentKey, PathId, SessionDep, SettingsDep, VersionQuery
from api.exports import ExportInfo, aggregate_frame, frame_response
from api.runstore import spec_of
from api.schemas import Aggregate, ExportFormat, SaneDate
from api.settings import Settings
from api.tables import District, DistrictVersion
from api.uploads import json_from_upload
from energy.errors import InputDataError
from energy.models.pv import pv_forecast
from energy.timeindex import step_hours

router = APIRouter(prefix="/districts", tags=["forecasts"])

Start = Annotated[SaneDate, Query(description="First local day (1990..2100), e.g. 2025-06-01")]
Days = Annotated[int, Query(ge=1, le=16, description="Number of local days (1..16)")]
System = Annotated[str | None, Query(description="Only this PV system (id)")]


def _forecast(
    settings: Settings,
    district: District,
    row: DistrictVersion,
    source: str | dict[str, Any] | None,
    source_name: str,
    start: dt.date,
    days: int,
    resolution: str,
    system: str | None,
    fmt: str,
    aggregate: str,
) -> Response:
    spec = spec_of(row)
    ids = [p.id for p in spec.pv]
    if system is not None and system not in ids:
        raise InputDataError(
            f"system: {system!r} is not a PV system of the district; allowed: {ids}"
        )
    if not ids:
        raise InputDataError(f"district {district.id} version {row.version} has no PV systems")
    p_kw = pv_forecast(spec, start.isoformat(), days, resolution, source)
    if system is not None:
        p_kw = p_kw[[system]]
    frame = p_kw.rename(columns=lambda c: f"{c}_p_kw")
    frame["total_p_kw"] = p_kw.sum(axis=1)
    info = ExportInfo(
        licence=settings.result_licence,
        attribution=settings.result_attribution,
        source=(
            f"PV forecast of district {district.id} version {row.version} from {source_name} "
            "(pvlib PVWatts chain, energy.models.pv)"
        ),
        timezone=spec.site.timezone,
    )
    hours = step_hours(p_kw.index)
    summary = {
        "district_id": district.id,
        "version": row.version,
        "forecast_source": source_name,
        "start": start.isoformat(),
        "days": days,
        "resolution": resolution,
        "e_kwh": {str(c): float(p_kw[c].sum() * hours) for c in p_kw.columns},
    }
    return frame_response(
        aggregate_frame(frame, aggregate, info.timezone),
        fmt,
        info,
        extra=summary | {"aggregate": aggregate},
        filename=f"district-{district.id}-pv-forecast",
    )


@router.get(
    "/{district_id}/forecast",
    summary="Clear-sky or typical-year PV forecast of a district",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def forecast(
    session: SessionDep,
    principal: CurrentKey,
    settings: SettingsDep,
    district_id: PathId,
    start: Start,
    days: Days = 2,
    resolution: Annotated[str, Query(pattern="^(15min|30min|1h)$")] = "1h",
    source: Annotated[str, Query(pattern="^(clearsky|typical)$")] = "clearsky",
    system: System = None,
    version: VersionQuery = None,
    format: ExportFormat = "json",
    aggregate: Aggregate = "none",
) -> Response:
    """AC power of each PV system [kW] under clear sky (an upper bound) or the typical year.

    ``typical`` maps the shipped DWD test reference year onto the dates asked.
    """
    district = crud.districts.get_district(session, principal, district_id)
    row = crud.versions.get_version(session, district, version)
    weather = "clearsky" if source == "clearsky" else None
    return _forecast(
        settings,
        district,
        row,
        weather,
        source,
        start,
        days,
        resolution,
        system,
        format,
        aggregate,
    )


@router.post(
    "/{district_id}/forecast",
    summary="PV forecast of a district from an uploaded Open-Meteo forecast (JSON)",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def forecast_from_file(
    session: SessionDep,
    principal: CurrentKey,
    settings: SettingsDep,
    district_id: PathId,
    file: Annotated[UploadFile, File(description="Open-Meteo hourly forecast JSON")],
    start: Start,
    days: Days = 2,
    resolution: Annotated[str, Query(pattern="^(15min|30min|1h)$")] = "1h",
    system: System = None,
    version: VersionQuery = None,
    format: ExportFormat = "json",
    aggregate: Aggregate = "none",
) -> Response:
    """AC power of each PV system [kW] from an uploaded Open-Meteo forecast.

    The file needs the hourly variables shortwave_radiation,
    direct_normal_irradiance (or direct_radiation), diffuse_radiation,
    temperature_2m and wind_speed_10m covering the days asked.
    """
    district = crud.districts.get_district(session, principal, district_id)
    row = crud.versions.get_version(session, district, version)
    data = json_from_upload(file)
    if not isinstance(data, dict):
        raise InputDataError("file: expected a JSON object (an Open-Meteo response)")
    return _forecast(
        settings,
        district,
        row,
        data,
        f"uploaded file {file.filename}",
        start,
        days,
        resolution,
        system,
        format,
        aggregate,
    )
