"""SQLModel tables. Timestamps are tz-aware UTC, also on SQLite.

Everything a worker needs to execute a run is in the database: the run row
(options, changes, the exact district version) and the version's spec; the
results go to ``run_results``, never only to the broker.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from api.schemas import (
    ApiKeyBase,
    DistrictBase,
    OrganisationBase,
    Role,
    RunKind,
    RunStatus,
    ScenarioBase,
    Visibility,
)


def utcnow() -> dt.datetime:
    """Return the current time, tz-aware UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back tz-aware.

    SQLite has no time zones: values are stored as naive UTC and get their
    tzinfo back on reading. A naive value on the way in is an error.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        """Convert to UTC (naive UTC for SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must be tz-aware")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Return a tz-aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime)


def _enum_column(enum: type[StrEnum], **kwargs: Any) -> Any:
    """Return a VARCHAR(16) field that reads back as ``enum`` members (no native enum)."""
    sa_type = sa.Enum(
        enum,
        native_enum=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
    return Field(sa_type=sa_type, **kwargs)


class Organisation(OrganisationBase, table=True):
    """An owner of private districts, scenarios and runs."""

    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    created_at: dt.datetime = _created()


class ApiKey(ApiKeyBase, table=True):
    """An API key, stored as the SHA-256 of the secret; ``prefix`` finds the row."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    role: Role = _enum_column(Role)
    prefix: str = Field(max_length=32, unique=True)
    key_hash: str = Field(max_length=64)
    created_at: dt.datetime = _created()
    last_used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class District(DistrictBase, table=True):
    """A district; its specs are in :class:`DistrictVersion` rows."""

    __tablename__ = "districts"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    visibility: Visibility = _enum_column(Visibility, index=True)
    latest_version: int = 1
    created_at: dt.datetime = _created()
    updated_at: dt.datetime = _created()


class DistrictVersion(SQLModel, table=True):
    """One immutable version of a district spec; runs refer to it."""

    __tablename__ = "district_versions"
    __table_args__ = (sa.UniqueConstraint("district_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="districts.id", index=True, ondelete="CASCADE")
    version: int
    spec: dict[str, Any] = Field(sa_type=sa.JSON)
    spec_hash: str = Field(max_length=64)
    source: str = Field(max_length=16)
    network_json: str | None = Field(default=None, sa_type=sa.Text)
    licence: str | None = Field(default=None, max_length=200)
    created_at: dt.datetime = _created()


class Scenario(ScenarioBase, table=True):
    """A district (version) plus changes and run options."""

    __tablename__ = "scenarios"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    district_id: int = Field(foreign_key="districts.id", index=True)
    visibility: Visibility = _enum_column(Visibility, index=True)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    options: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_by_key_id: int | None = Field(default=None, foreign_key="api_keys.id")
    created_at: dt.datetime = _created()
    updated_at: dt.datetime = _created()


class Run(SQLModel, table=True):
    """A job: one execution of a scenario on an exact district version.

    ``kind`` says what it executes: a scenario run (results in
    :class:`RunResult`), one point of a :class:`Sweep` (``params`` holds the
    point's changes, ``output`` its record) or a sizing (``params`` holds the
    bounds, ``output`` the result). A SimBench import is a job of a district,
    not of a scenario: ``scenario_id`` is null, ``district_version_id`` the
    version whose spec gets the grid, ``params`` the code, ``output`` the new
    version. All kinds share the claiming, heartbeat, reaper and cancelling of
    :mod:`api.jobs`.
    """

    __tablename__ = "runs"

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int | None = Field(
        default=None, foreign_key="scenarios.id", index=True, ondelete="CASCADE"
    )
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    district_version_id: int = Field(foreign_key="district_versions.id", index=True)
    status: RunStatus = _enum_column(RunStatus, default=RunStatus.queued, index=True)
    progress_frac: float = 0.0
    progress_message: str = Field(default="queued", max_length=500)
    options: dict[str, Any] = Field(sa_type=sa.JSON)
    changes: dict[str, Any] = Field(sa_type=sa.JSON)
    spec_hash: str = Field(max_length=64)
    cancel_requested: bool = False
    attempts: int = 0
    max_attempts: int = 3
    worker: str | None = Field(default=None, max_length=200)
    error: str | None = Field(default=None, sa_type=sa.Text)
    diagnosis: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    created_by_key_id: int | None = Field(default=None, foreign_key="api_keys.id")
    created_at: dt.datetime = _created()
    queued_at: dt.datetime = _created()
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    kind: RunKind = _enum_column(RunKind, default=RunKind.scenario, index=True)
    sweep_id: int | None = Field(
        default=None, foreign_key="sweeps.id", index=True, ondelete="CASCADE"
    )
    point_index: int | None = None
    params: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    ensemble_id: int | None = Field(
        default=None, foreign_key="ensembles.id", index=True, ondelete="CASCADE"
    )
    output: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class RunResult(SQLModel, table=True):
    """Results of a succeeded run: KPIs and savings as JSON, time series as Parquet."""

    __tablename__ = "run_results"

    run_id: int = Field(foreign_key="runs.id", primary_key=True, ondelete="CASCADE")
    kpis: dict[str, Any] = Field(sa_type=sa.JSON)
    savings: dict[str, Any] = Field(sa_type=sa.JSON)
    run_metadata: dict[str, Any] = Field(sa_type=sa.JSON)
    grid: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    schedule_parquet: bytes = Field(sa_type=sa.LargeBinary)
    node_p_kw_parquet: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    baseline_b0_parquet: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    baseline_b1_parquet: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    created_at: dt.datetime = _created()


class Sweep(SQLModel, table=True):
    """A parameter sweep of a scenario; its points are :class:`Run` rows of kind sweep_point."""

    __tablename__ = "sweeps"

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenarios.id", index=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    district_version_id: int = Field(foreign_key="district_versions.id")
    grid: dict[str, Any] = Field(sa_type=sa.JSON)
    battery_c_rate: float
    battery_at: str = Field(max_length=100)
    options: dict[str, Any] = Field(sa_type=sa.JSON)
    changes: dict[str, Any] = Field(sa_type=sa.JSON)
    assumptions: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    spec_hash: str = Field(max_length=64)
    cancel_requested: bool = False
    created_by_key_id: int | None = Field(default=None, foreign_key="api_keys.id")
    created_at: dt.datetime = _created()


class Ensemble(SQLModel, table=True):
    """An ensemble of a scenario over weather x price years (``energy.studies.ensemble``).

    Its members are :class:`Run` rows of kind ``ensemble_member``:
    ``point_index`` is the member's place, ``params`` its weather and price year,
    ``output`` its record.
    """

    __tablename__ = "ensembles"

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenarios.id", index=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    district_version_id: int = Field(foreign_key="district_versions.id")
    weather: list[str] = Field(sa_type=sa.JSON)
    price_years: list[int | None] = Field(sa_type=sa.JSON)
    options: dict[str, Any] = Field(sa_type=sa.JSON)
    changes: dict[str, Any] = Field(sa_type=sa.JSON)
    assumptions: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    spec_hash: str = Field(max_length=64)
    cancel_requested: bool = False
    created_by_key_id: int | None = Field(default=None, foreign_key="api_keys.id")
    created_at: dt.datetime = _created()


class MeterData(SQLModel, table=True):
    """Measured meter data of a district, as interval-mean powers [kW] in Parquet.

    Visible to the organisation that uploaded them (and admins) only.
    """

    __tablename__ = "meter_data"

    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="districts.id", index=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    name: str = Field(max_length=200)
    start: dt.datetime = Field(sa_type=UTCDateTime)
    end: dt.datetime = Field(sa_type=UTCDateTime)
    step_s: float
    rows: int
    columns: list[str] = Field(sa_type=sa.JSON)
    series_parquet: bytes = Field(sa_type=sa.LargeBinary)
    created_by_key_id: int | None = Field(default=None, foreign_key="api_keys.id")
    created_at: dt.datetime = _created()


class ScenarioMembers(SQLModel, table=True):
    """The members of a cooperative and their shares in a scenario (one list per scenario).

    ``members`` is ``[{"member": name, "share": number}, ...]`` in the order
    given: fractions adding up to 1 or EUR adding up to the scenario's
    investment (checked when stored, :func:`energy.analysis.cooperative.check_member_shares`).
    """

    __tablename__ = "scenario_members"

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(
        foreign_key="scenarios.id", index=True, unique=True, ondelete="CASCADE"
    )
    members: list[dict[str, Any]] = Field(sa_type=sa.JSON)
    created_by_key_id: int | None = Field(default=None, foreign_key="api_keys.id")
    created_at: dt.datetime = _created()
