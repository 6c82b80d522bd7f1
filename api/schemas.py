"""Request and response models: one family per entity (Base, Create, Update, Public).

Tables (:mod:`api.tables`) extend the ``*Base`` models; routes accept
``*Create``/``*Update`` and answer ``*Public``, never a table, so a column
added to a table is never exposed by accident (full-stack-fastapi-template,
``backend/app/models.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlmodel import SQLModel

from energy.district import District
from energy.scenario import ScenarioOptions
from energy.variants import ScenarioChanges


class Role(StrEnum):
    """Role of an API key; see :mod:`api.auth` for what each may do."""

    admin = "admin"
    planner = "planner"
    cooperative = "cooperative"
    viewer = "viewer"


class Visibility(StrEnum):
    """Private objects are seen by their organisation only; published ones by everyone."""

    private = "private"
    published = "published"


class RunStatus(StrEnum):
    """Life cycle of a run: queued -> running -> succeeded | failed | cancelled."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def is_final(self) -> bool:
        """True for succeeded, failed and cancelled."""
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({RunStatus.succeeded, RunStatus.failed, RunStatus.cancelled})


class RunKind(StrEnum):
    """What a job row executes: a run, a study (sweep point, sizing, Pareto, ensemble member...).

    Kinds: scenario, sweep point, sizing, Pareto front, ensemble member,
    rolling-horizon operation, SimBench import (a job of a district, not of a
    scenario: ``Run.scenario_id`` is null).

    The work of each kind is its entry in :data:`api.jobkinds.JOB_KINDS`.
    """

    scenario = "scenario"
    sweep_point = "sweep_point"
    sizing = "sizing"
    pareto = "pareto"
    ensemble_member = "ensemble_member"
    operation = "operation"
    simbench_import = "simbench_import"


T = TypeVar("T")

#: The largest id a database row can have (PostgreSQL ``integer``; SQLite takes more).
MAX_DB_ID = 2**31 - 1
#: Dates the API takes (run starts, forecasts): weather, prices and holidays exist for these.
DATE_RANGE = (dt.date(1990, 1, 1), dt.date(2100, 12, 31))
#: Control characters refused in names (all of C0 and DEL) and descriptions (all but \t \n \r).
_NAME_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(pattern: re.Pattern[str]) -> AfterValidator:
    def check(value: str) -> str:
        found = pattern.search(value)
        if found is not None:
            raise ValueError(
                f"control character U+{ord(found.group()):04X} at position {found.start()} "
                "is not allowed"
            )
        return value

    return AfterValidator(check)


def check_date(value: dt.date) -> dt.date:
    """Return ``value`` if it lies in :data:`DATE_RANGE`, else raise ValueError naming it."""
    low, high = DATE_RANGE
    if not low <= value <= high:
        raise ValueError(f"{value.isoformat()} is outside {low.isoformat()}..{high.isoformat()}")
    return value


#: A database id in a body (1..2**31-1).
DbId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]
#: Longest lifetime a key can be given at creation [days] (ten years).
MAX_KEY_DAYS = 3650
#: A name: printable, without control characters (NUL breaks PostgreSQL).
Name = Annotated[str, Field(min_length=1, max_length=200), _no_control(_NAME_CONTROL)]
#: A description: lines and tabs allowed, no other control characters.
Text = Annotated[str, Field(max_length=2000), _no_control(_TEXT_CONTROL)]
#: A calendar date within :data:`DATE_RANGE`.
SaneDate = Annotated[dt.date, AfterValidator(check_date)]

#: A two-building district for the OpenAPI examples.
EXAMPLE_SPEC: dict[str, Any] = {
    "site": {"name": "Testquartier", "latitude": 50.88, "longitude": 12.08, "altitude_m": 200},
    "grid": {"feeders": [{"id": "F1"}]},
    "buildings": [
        {
            "id": "B1",
            "kind": "multi_family",
            "annual_kwh": 30000,
            "profile": "H0",
            "feeder": "F1",
            "distance_m": 50,
        },
        {
            "id": "B2",
            "kind": "school",
            "annual_kwh": 10000,
            "profile": "G1",
            "feeder": "F1",
            "distance_m": 120,
        },
    ],
    "pv": [{"id": "PV1", "building": "B1", "kwp": 20}],
    "batteries": [{"id": "BAT1", "at": "substation", "capacity_kwh": 50, "power_kw": 25}],
    "lighting": [
        {
            "id": "L1",
            "road": "Teststrasse",
            "design_class": "P3",
            "lowest_class": "P5",
            "luminaires": 10,
            "nominal_w": 40,
            "feeder": "F1",
            "distance_m": 80,
        },
    ],
}


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` from ``offset``, ``total`` items in all."""

    items: list[T]
    total: int = Field(description="Number of items visible to the caller in all")
    offset: int
    limit: int


S = TypeVar("S", bound=BaseModel)


def page_with(rows: Page[Any], items: list[S]) -> Page[S]:
    """Return the page ``rows`` (its total, offset and limit) holding ``items`` instead."""
    return Page[S](items=items, total=rows.total, offset=rows.offset, limit=rows.limit)


def public_page(rows: Page[Any], schema: type[S]) -> Page[S]:
    """Map a page of table rows to a page of ``schema`` (validated from attributes)."""
    return page_with(rows, [schema.model_validate(row, from_attributes=True) for row in rows.items])


# -- organisations and keys ---------------------------------------------------


class OrganisationBase(SQLModel):
    """A utility, a city office, a cooperative: the owner of private objects."""

    name: Name = Field(description="Unique name")
    description: Text = ""


class OrganisationCreate(OrganisationBase):
    """Body of ``POST /organisations``."""

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [{"name": "BürgerEnergie Gera eG", "description": "Cooperative"}]
        },
    )


class OrganisationPublic(OrganisationBase):
    """An organisation as the API shows it."""

    id: int
    created_at: dt.datetime


class ApiKeyBase(SQLModel):
    """An API key: a name for people and a role."""

    name: Name = Field(description="What the key is for")
    role: Role = Field(description="admin, planner, cooperative or viewer")


class ApiKeyCreate(ApiKeyBase):
    """Body of ``POST /keys``; ``organisation_id`` defaults to the caller's."""

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {"name": "city dashboard", "role": "viewer"},
                {"name": "consultant, spring study", "role": "planner", "expires_in_days": 90},
            ]
        },
    )

    organisation_id: DbId | None = None
    expires_in_days: int | None = Field(
        None,
        ge=1,
        le=MAX_KEY_DAYS,
        description=f"The key answers 401 after this many days (1..{MAX_KEY_DAYS}); "
        "null: it never expires",
    )


class ApiKeyPublic(ApiKeyBase):
    """A key without its secret."""

    id: int
    organisation_id: int
    prefix: str = Field(description="Public part of the key, shown in logs")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    expires_at: dt.datetime | None = Field(
        None, description="After this moment (UTC) the key answers 401; null: never"
    )


class ApiKeyCreated(ApiKeyPublic):
    """A new key; ``key`` is shown this once and stored only as a hash."""

    key: str = Field(description="Send it as the X-API-Key header; it is not shown again")


class Me(BaseModel):
    """The caller: key, role and organisation."""

    key_id: int
    key_name: str
    role: Role
    organisation_id: int
    organisation_name: str


# -- districts ------------------------------------------------------------------


class DistrictBase(SQLModel):
    """Name and visibility of a district; its spec lives in versions."""

    name: Name
    description: Text = ""
    visibility: Visibility = Field(
        Visibility.private, description="private: own organisation only; published: everyone"
    )


class DistrictCreate(DistrictBase):
    """Body of ``POST /districts`` (JSON); a YAML body is the spec alone."""

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "name": "Testquartier",
                    "visibility": "private",
                    "spec": EXAMPLE_SPEC,
                }
            ]
        },
    )

    spec: District = Field(description="The district spec, as in data/gera/district.yaml")


class DistrictUpdate(SQLModel):
    """Body of ``PATCH /districts/{id}``; a new ``spec`` makes a new version."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # type: ignore[assignment]

    name: Name | None = None
    description: Text | None = None
    visibility: Visibility | None = None
    spec: District | None = None


class SimbenchImport(BaseModel):
    """Body of ``POST /districts/{id}/network/simbench``: a SimBench grid code."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    code: str = Field(
        min_length=5,
        max_length=80,
        pattern=r"^[0-9]-[A-Za-z0-9]+(-[A-Za-z0-9]*)*-(sw|no_sw)$",
        description="SimBench code, e.g. 1-LV-semiurb4--0-sw (data licence ODbL)",
        examples=["1-LV-semiurb4--0-sw"],
    )


class SimbenchImportPublic(BaseModel):
    """A SimBench import job of a district: status, progress, and the version it stored."""

    id: int
    district_id: int
    organisation_id: int
    code: str = Field(description="The SimBench code imported")
    base_version: int = Field(description="The district version whose spec gets the grid")
    status: RunStatus
    progress_frac: float = Field(description="0..1")
    progress_message: str
    attempts: int
    max_attempts: int
    error: str | None = Field(description="Why the import failed, in words")
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    version: int | None = Field(description="The new version with the grid, once succeeded")
    district_url: str | None = Field(
        description="Where the new version is (GET /districts/{id}?version=N), once succeeded"
    )
    licence: str | None = Field(description="Licence of the imported grid data (ODbL-1.0)")


class DistrictPublic(DistrictBase):
    """A district without its spec."""

    id: int
    organisation_id: int
    latest_version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class DistrictVersionPublic(BaseModel):
    """One stored version of a district's spec."""

    version: int
    spec_hash: str = Field(description="SHA-256 of the canonical JSON spec")
    source: str = Field(description="json, yaml, upload, pandapower or simbench")
    has_network: bool = Field(description="An imported pandapower network is stored")
    created_at: dt.datetime


class DistrictDetail(DistrictPublic):
    """A district with the spec of one version (the latest unless asked)."""

    version: DistrictVersionPublic
    spec: dict[str, Any]
    licence: str | None = Field(None, description="Licence of imported grid data, if any")


# -- scenarios ------------------------------------------------------------------


class ScenarioBase(SQLModel):
    """Name, visibility and district of a scenario."""

    name: Name
    description: Text = ""
    visibility: Visibility = Visibility.private
    district_id: DbId
    district_version: int | None = Field(
        None,
        ge=1,
        le=MAX_DB_ID,
        description="Pinned version; null: the latest version when a run starts",
    )


class ScenarioCreate(ScenarioBase):
    """Body of ``POST /scenarios``."""

    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "name": "+300 kWp PV, +400 kWh battery",
                    "district_id": 1,
                    "changes": {
                        "pv_kwp_added": 300,
                        "batteries": [{"at": "substation", "capacity_kwh": 400, "power_kw": 200}],
                        "lighting": [{"group": "L-LINDEN", "lowest_class": "P5"}],
                    },
                    "options": {"start": "2025-06-02", "days": 7, "objective": "cost"},
                }
            ]
        },
    )

    changes: ScenarioChanges = Field(default_factory=ScenarioChanges)
    options: ScenarioOptions = Field(default_factory=ScenarioOptions)


class ScenarioUpdate(SQLModel):
    """Body of ``PATCH /scenarios/{id}``: the fields to change."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # type: ignore[assignment]

    name: Name | None = None
    description: Text | None = None
    visibility: Visibility | None = None
    district_version: int | None = Field(None, ge=1, le=MAX_DB_ID)
    changes: ScenarioChanges | None = None
    options: ScenarioOptions | None = None


class ScenarioPublic(ScenarioBase):
    """A scenario as the API shows it."""

    id: int
    organisation_id: int
    changes: ScenarioChanges
    options: ScenarioOptions
    created_at: dt.datetime
    updated_at: dt.datetime


# -- runs -----------------------------------------------------------------------


class RunPublic(BaseModel):
    """Status, progress and timings of a run; a failed run carries its diagnosis."""

    id: int
    scenario_id: int
    organisation_id: int
    district_id: int
    district_version: int
    status: RunStatus
    progress_frac: float = Field(description="0..1")
    progress_message: str
    attempts: int
    max_attempts: int
    cancel_requested: bool
    worker: str | None = Field(description="Worker of the last attempt (host:pid)")
    error: str | None = Field(description="Why the run failed, in words")
    diagnosis: list[str] = Field(description="For an infeasible run: one sentence per cause")
    options: dict[str, Any]
    changes: dict[str, Any]
    spec_hash: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    heartbeat_at: dt.datetime | None
    queue_wait_s: float | None = Field(description="From creation to the last start [s]")
    duration_s: float | None = Field(description="From the last start to the end [s]")
    results_url: str | None = Field(description="Where the results are, once succeeded")


class RunResults(BaseModel):
    """KPIs of the optimum and its comparisons, savings against them, metadata.

    The savings vocabulary is ``energy.kpi``'s (docs/definitions.md): B1 is the
    headline, B0 the reference, ``nothing_built`` the whole-system reference;
    a saving is positive when the optimum is better, shares are in percentage
    points (``self_sufficiency_points``).
    """

    run_id: int
    scenario_id: int
    kpis: dict[str, dict[str, float | None]] = Field(
        description="optimised, B1, B0, nothing_built (runs stored before it: optimised, B0, B1)"
    )
    savings: dict[str, dict[str, float | None]] = Field(
        description="vs_B1 (headline), vs_B0, vs_nothing_built: comparison minus optimised, "
        "positive = better; *_points = 100 x (optimised - comparison) share"
    )
    headline_baseline: str = Field("B1", description="The comparison a headline figure uses")
    baseline_labels: dict[str, str] = Field(
        default_factory=dict, description="Each comparison in words"
    )
    horizon: dict[str, Any] = Field(
        default_factory=dict,
        description="start, end, steps, dt_h, timezone, hours, full_year, label "
        "(e.g. '7 days (2025-06-02..2025-06-08)'); savings are over this horizon, not a year",
    )
    metadata: dict[str, Any]
    grid: dict[str, Any] | None
    licence: str
    attribution: str
    data_licences: list[str] = Field(
        default_factory=list,
        description="One line per data source that went in: its licences, attribution and "
        "file (e.g. 'CC-BY-4.0, ...: Datenbasis: Deutscher Wetterdienst (weather: ...)'); "
        "show these where the results are shown (e.g. the dashboard footer)",
    )
    data_sources: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The same sources as records: role (weather, day_ahead, co2, grid, "
        "load_profiles), file, sha256, resource, title, attribution, licences, licence_urls, "
        "source_url (energy.report.exports.data_sources)",
    )


Aggregate = Literal["none", "hour", "day", "month"]
ExportFormat = Literal["json", "csv"]


class ErrorBody(BaseModel):
    """Every error answer: a message and, for 500, a request id for the logs."""

    detail: Any
    request_id: str | None = None


class JobQuotaBody(ErrorBody):
    """A 429 of a route that queues jobs: a rate limit (``detail`` only) or the job quota."""

    quota: int | None = Field(
        None, description="Jobs the organisation may have queued or running at once"
    )
    active: int | None = Field(None, description="Jobs of the organisation queued or running now")
    requested: int | None = Field(None, description="Jobs this request would have added")
    organisation_id: int | None = Field(None, description="The organisation the jobs belong to")


class WorkLimitBody(ErrorBody):
    """A 422 of a route that queues jobs: invalid input, or a job too large for the API process."""

    errors: list[dict[str, Any]] | None = Field(
        None, description="{field, value, message, type}; type work_limit for the work cap"
    )
    work: dict[str, int] | None = Field(
        None,
        description="The refused job's work: dispatches, steps, elements, "
        "step_overhead_elements, units, limit (api/workload.py)",
    )


# -- meter data -----------------------------------------------------------------


class MeterDataPublic(BaseModel):
    """Stored measured meter data of a district (``energy.analysis.meter`` format)."""

    id: int
    district_id: int
    organisation_id: int
    name: str = Field(description="Name of the uploaded file")
    start: dt.datetime = Field(description="First interval start (UTC)")
    end: dt.datetime = Field(description="End of the last interval (UTC)")
    step_minutes: float
    rows: int
    columns: list[str] = Field(description="Quantities found, as interval-mean powers [kW]")
    created_at: dt.datetime
