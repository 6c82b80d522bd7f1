"""Districts: create (JSON, YAML, file), list, get, update as new versions, delete, grids."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse

from api import crud
from api.deps import (
    CurrentKey,
    ExecutorDep,
    Limit,
    Offset,
    PathId,
    ReaderKey,
    SessionDep,
    SettingsDep,
    VersionQuery,
)
from api.errors import UnsupportedMediaTypeError
from api.executors import submit_jobs
from api.public import job_responses
from api.schemas import (
    DistrictBase,
    DistrictCreate,
    DistrictDetail,
    DistrictPublic,
    DistrictUpdate,
    DistrictVersionPublic,
    Page,
    RunStatus,
    SimbenchImport,
    SimbenchImportPublic,
    Visibility,
    public_page,
)
from api.tables import District, DistrictVersion, Run
from api.uploads import (
    SIMBENCH_LICENCE,
    YAML_MEDIA_TYPES,
    network_from_upload,
    spec_from_upload,
)
from energy.district import GERA_DISTRICT_FILE, parse_district
from energy.errors import InputDataError

router = APIRouter(prefix="/districts", tags=["districts"])

_GERA_YAML_HEAD = "".join(GERA_DISTRICT_FILE.read_text(encoding="utf-8").splitlines(True)[:40])


def version_public(version: DistrictVersion) -> DistrictVersionPublic:
    """Map a version row to its public form."""
    return DistrictVersionPublic(
        version=version.version,
        spec_hash=version.spec_hash,
        source=version.source,
        has_network=version.network_json is not None,
        created_at=version.created_at,
    )


def district_detail(district: District, version: DistrictVersion) -> DistrictDetail:
    """Map a district and one of its versions to the detailed public form."""
    return DistrictDetail.model_validate(
        DistrictPublic.model_validate(district, from_attributes=True).model_dump()
        | {"version": version_public(version), "spec": version.spec, "licence": version.licence}
    )


async def yaml_body(request: Request) -> str:
    """Return a YAML request body as text (415 for other media types)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in YAML_MEDIA_TYPES:
        raise UnsupportedMediaTypeError(
            f"content-type: {media or 'missing'}; send the spec as application/yaml "
            "(JSON goes to POST /districts)"
        )
    try:
        return (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputDataError(f"body: not UTF-8 text (byte {exc.start})") from exc


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DistrictDetail,
    summary="Create a district from a JSON body (planner, admin)",
    responses={422: {"description": "The spec is invalid; the message names the field"}},
)
def create_district(
    session: SessionDep, principal: CurrentKey, body: DistrictCreate
) -> DistrictDetail:
    """Create a district; its spec becomes version 1. YAML: ``POST /districts/yaml``."""
    district = crud.districts.create_district(session, principal, body, body.spec, "json")
    return district_detail(district, crud.versions.get_version(session, district, None))


@router.post(
    "/yaml",
    status_code=status.HTTP_201_CREATED,
    response_model=DistrictDetail,
    summary="Create a district from a YAML body (planner, admin)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/yaml": {
                    "schema": {"type": "string"},
                    "example": _GERA_YAML_HEAD,
                }
            },
        }
    },
)
def create_district_yaml(
    session: SessionDep,
    principal: CurrentKey,
    text: Annotated[str, Depends(yaml_body)],
    name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    visibility: Visibility = Visibility.private,
    description: Annotated[str, Query(max_length=2000)] = "",
) -> DistrictDetail:
    """Create a district from a spec in YAML (as in data/gera/district.yaml)."""
    spec = parse_district(text, "yaml", source="body")
    meta = DistrictBase(name=name or spec.site.name, visibility=visibility, description=description)
    district = crud.districts.create_district(session, principal, meta, spec, "yaml")
    return district_detail(district, crud.versions.get_version(session, district, None))


@router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    response_model=DistrictDetail,
    summary="Create a district from an uploaded YAML or JSON file (planner, admin)",
    responses={413: {"description": "The file is larger than ENERGY_MAX_UPLOAD_BYTES"}},
)
def upload_district(
    session: SessionDep,
    principal: CurrentKey,
    file: Annotated[UploadFile, File(description="district.yaml, .yml or .json")],
    name: Annotated[str | None, Form(min_length=1, max_length=200)] = None,
    visibility: Annotated[Visibility, Form()] = Visibility.private,
    description: Annotated[str, Form(max_length=2000)] = "",
) -> DistrictDetail:
    """Create a district from a spec file; the name defaults to the site's name."""
    spec = spec_from_upload(file)
    meta = DistrictBase(name=name or spec.site.name, visibility=visibility, description=description)
    district = crud.districts.create_district(session, principal, meta, spec, "upload")
    return district_detail(district, crud.versions.get_version(session, district, None))


@router.get("", response_model=Page[DistrictPublic], summary="List districts")
def list_districts(
    session: SessionDep, principal: ReaderKey, offset: Offset = 0, limit: Limit = 50
) -> Page[DistrictPublic]:
    """List the districts the caller may read (own organisation's and published), newest first."""
    return public_page(
        crud.districts.list_districts(session, principal, offset, limit), DistrictPublic
    )


@router.get("/{district_id}", response_model=DistrictDetail, summary="Get a district and its spec")
def get_district(
    session: SessionDep,
    principal: ReaderKey,
    district_id: PathId,
    version: VersionQuery = None,
) -> DistrictDetail:
    """Return a district with the spec of one version."""
    district = crud.districts.get_district(session, principal, district_id)
    return district_detail(district, crud.versions.get_version(session, district, version))


@router.get(
    "/{district_id}/versions",
    response_model=list[DistrictVersionPublic],
    summary="List the versions of a district",
)
def list_versions(
    session: SessionDep, principal: ReaderKey, district_id: PathId
) -> list[DistrictVersionPublic]:
    """List every stored version (runs refer to exactly one of them)."""
    district = crud.districts.get_district(session, principal, district_id)
    return [version_public(v) for v in crud.versions.list_versions(session, district)]


@router.patch(
    "/{district_id}",
    response_model=DistrictDetail,
    summary="Update a district; a new spec makes a new version (planner, admin)",
)
def update_district(
    session: SessionDep, principal: CurrentKey, district_id: PathId, body: DistrictUpdate
) -> DistrictDetail:
    """Change name, description or visibility; a ``spec`` is stored as the next version."""
    district = crud.districts.update_district(session, principal, district_id, body)
    return district_detail(district, crud.versions.get_version(session, district, None))


@router.post(
    "/{district_id}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=DistrictDetail,
    summary="Upload a spec file as the next version (planner, admin)",
)
def upload_version(
    session: SessionDep,
    principal: CurrentKey,
    district_id: PathId,
    file: Annotated[UploadFile, File(description="district.yaml, .yml or .json")],
) -> DistrictDetail:
    """Store an uploaded YAML or JSON spec as the district's next version."""
    spec = spec_from_upload(file)
    district = crud.districts.add_version(session, principal, district_id, spec, "upload")
    return district_detail(district, crud.versions.get_version(session, district, None))


@router.delete(
    "/{district_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a district (planner, admin)",
    responses={
        409: {
            "description": "Scenarios still refer to the district, or a SimBench import of it "
            "is queued or running"
        }
    },
)
def delete_district(session: SessionDep, principal: CurrentKey, district_id: PathId) -> Response:
    """Delete a district, all its versions and its ended imports; refused while scenarios use it."""
    crud.districts.delete_district(session, principal, district_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{district_id}/network",
    status_code=status.HTTP_201_CREATED,
    response_model=DistrictDetail,
    summary="Import a pandapower JSON network as the district's grid (planner, admin)",
)
def import_pandapower(
    session: SessionDep,
    principal: CurrentKey,
    district_id: PathId,
    file: Annotated[UploadFile, File(description="A network saved with pandapower.to_json")],
) -> DistrictDetail:
    """Store the uploaded network with the latest spec as the next version."""
    crud.districts.get_district_for_write(session, principal, district_id)
    net = network_from_upload(file)
    district = crud.districts.add_network_version(
        session, principal, district_id, net, "pandapower", None
    )
    return district_detail(district, crud.versions.get_version(session, district, None))


def simbench_import_public(job: Run, base: DistrictVersion) -> SimbenchImportPublic:
    """Map a SimBench import job and its base version to the public form."""
    done = job.status == RunStatus.succeeded
    version = (job.output or {}).get("version") if done else None
    return SimbenchImportPublic(
        id=job.id or 0,
        district_id=base.district_id,
        organisation_id=job.organisation_id,
        code=str((job.params or {}).get("code", "")),
        base_version=base.version,
        status=RunStatus(job.status),
        progress_frac=job.progress_frac,
        progress_message=job.progress_message,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        version=version,
        district_url=f"/districts/{base.district_id}?version={version}" if version else None,
        licence=SIMBENCH_LICENCE,
    )


@router.post(
    "/{district_id}/network/simbench",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SimbenchImportPublic,
    summary="Import a SimBench grid as the district's grid (background job; planner, admin)",
    responses=job_responses("The code is not a SimBench code; the message names body.code"),
)
def import_simbench(
    session: SessionDep,
    principal: CurrentKey,
    executor: ExecutorDep,
    settings: SettingsDep,
    district_id: PathId,
    body: SimbenchImport,
    response: Response,
) -> SimbenchImportPublic:
    """Queue the import of a SimBench low-voltage grid (ODbL) with the latest spec.

    The code is checked against the codes ``simbench`` knows at once (422
    naming ``body.code``); the grid is built by a job (inline threads or
    Celery workers, about 4 s and 100 MB there). Poll the ``Location``
    (``GET /districts/{id}/imports/{job_id}``): once ``succeeded`` it names
    the new ``version`` (the latest spec with the grid, licence ODbL-1.0).
    A district whose nodes do not map onto the grid, or that got a newer
    version while the job ran, ends ``failed`` with the reason; nothing stored.
    """
    job = crud.imports.create_simbench_import(session, principal, district_id, body.code, settings)
    submit_jobs(session, executor, [job])
    job, base = crud.imports.get_simbench_import(session, principal, district_id, job.id or 0)
    response.headers["Location"] = f"/districts/{district_id}/imports/{job.id}"
    return simbench_import_public(job, base)


@router.get(
    "/{district_id}/imports/{job_id}",
    response_model=SimbenchImportPublic,
    summary="Status of a SimBench import, and the version it stored",
)
def get_simbench_import(
    session: SessionDep, principal: ReaderKey, district_id: PathId, job_id: PathId
) -> SimbenchImportPublic:
    """Return status, progress and error of a SimBench import; once succeeded its version."""
    job, base = crud.imports.get_simbench_import(session, principal, district_id, job_id)
    return simbench_import_public(job, base)


@router.get(
    "/{district_id}/grid.geojson",
    summary="The district's grid as GeoJSON",
    response_class=JSONResponse,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def grid_geojson(
    session: SessionDep,
    principal: ReaderKey,
    district_id: PathId,
    version: VersionQuery = None,
) -> JSONResponse:
    """Return buses, lines and the transformer as a GeoJSON FeatureCollection (WGS84)."""
    district = crud.districts.get_district(session, principal, district_id)
    row = crud.versions.get_version(session, district, version)
    from energy.models.grid.geojson import to_geojson

    collection: dict[str, Any] = to_geojson(crud.versions.network_of(row))
    collection["metadata"] = collection.get("metadata", {}) | {
        "district_id": district.id,
        "version": row.version,
    }
    return JSONResponse(collection, media_type="application/geo+json")
