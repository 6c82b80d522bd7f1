"""Districts from building geometry: POST /districts/import-geojson, GET .../buildings.geojson.

* ``POST /districts/import-geojson`` (multipart: the GeoJSON file, ``name``,
  ``visibility``, ``pv``, ``source``, ``licence``): imports footprints, types,
  levels and addresses with roofs, demand and feeders
  (:func:`energy.geometry.import_geojson`) and stores the spec as version 1 of
  a new district. Anything wrong is refused whole (422), every problem named
  with the feature's index, id and field. A geometry licence other than ours
  (default ODbL-1.0, OpenStreetMap's) is the version's data licence, which
  every export of its runs names.
* ``GET /districts/{id}/buildings.geojson?version=``: the district's buildings,
  feeder routes and substation as GeoJSON (:func:`energy.geometry.district_geojson`;
  empty for a district without geometry), for maps.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from fastapi.responses import JSONResponse

from api import crud
from api.deps import CurrentKey, PathId, ReaderKey, SessionDep, VersionQuery
from api.runstore import spec_of
from api.schemas import DistrictBase, Visibility
from api.uploads import upload_text
from energy.errors import InputDataError
from energy.serialise import RESULTS_LICENCE

router = APIRouter(tags=["districts"])


@router.post(
    "/districts/import-geojson",
    status_code=status.HTTP_201_CREATED,
    summary="Create a district from building footprints and streets or cables (GeoJSON)",
    responses={
        201: {"description": "The district: id, name, version 1, counts and the spec"},
        413: {"description": "The file is larger than ENERGY_MAX_UPLOAD_BYTES"},
        422: {"description": "Refused whole: each problem names the feature and the field"},
    },
)
def import_geojson(
    session: SessionDep,
    principal: CurrentKey,
    response: Response,
    file: Annotated[UploadFile, File(description="GeoJSON FeatureCollection")],
    name: Annotated[str, Form(min_length=1, max_length=200)] = "Imported district",
    visibility: Annotated[Visibility, Form()] = Visibility.private,
    pv: Annotated[bool, Form(description="PV on every roof (usable area)")] = False,
    source: Annotated[str, Form(max_length=500)] = "GeoJSON import",
    licence: Annotated[str, Form(max_length=40)] = "ODbL-1.0",
) -> dict[str, Any]:
    """Import a district from GeoJSON (``energy.geometry``); planners and admins."""
    from energy.geometry import import_geojson as build

    try:
        data = json.loads(upload_text(file))
    except json.JSONDecodeError as exc:
        raise InputDataError(
            f"file: not JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}", field="file"
        ) from None
    spec = build(data, name=name, pv=pv, source=source, licence=licence)
    meta = DistrictBase(name=name, visibility=visibility, description=spec.description)
    district = crud.districts.create_district(session, principal, meta, spec, "geojson")
    assert spec.geometry is not None
    if licence != RESULTS_LICENCE:  # e.g. ODbL-1.0 of OSM data: every export names it
        row = crud.versions.get_version(session, district, 1)
        row.licence = licence
        session.add(row)
        session.commit()
    response.headers["Location"] = f"/districts/{district.id}"
    return {
        "id": district.id,
        "name": district.name,
        "version": 1,
        "buildings": len(spec.buildings),
        "feeders": len(spec.grid.feeders),
        "pv_kwp": spec.total_kwp,
        "roof_area_m2": sum(g.roof.area_m2 for g in spec.geometry.buildings.values()),
        "licence": licence,
        "spec": spec.to_dict(),
    }


@router.get(
    "/districts/{district_id}/buildings.geojson",
    summary="Buildings, feeder routes and substation of a district (GeoJSON)",
    responses={200: {"content": {"application/geo+json": {}}}},
)
def buildings_geojson(
    session: SessionDep,
    principal: ReaderKey,
    district_id: PathId,
    version: VersionQuery = None,
) -> JSONResponse:
    """Return the footprints (with roofs and demand), feeders and substation of a version."""
    from energy.geometry import district_geojson

    district = crud.districts.get_district(session, principal, district_id)
    row = crud.versions.get_version(session, district, version)
    return JSONResponse(district_geojson(spec_of(row)), media_type="application/geo+json")
