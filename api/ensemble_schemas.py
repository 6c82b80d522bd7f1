"""Request and response models of ensembles: a scenario over weather x price years.

An ensemble is one job per member (``energy.studies.ensemble``); its answer is
every headline figure as a distribution (api/README.md "Ensembles").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas import RunStatus

#: The shipped TRY files of region 9 (data/weather), the default weather of an ensemble.
DEFAULT_ENSEMBLE_WEATHER: tuple[str, ...] = tuple(
    f"TRY{year}_Chemnitz_region09_{kind}.dat"
    for year in (2015, 2045)
    for kind in ("Jahr", "Somm", "Wint")
)


def shipped_weather_path(name: str) -> str:
    """Return the path of a shipped weather file (data/weather) or ``clearsky``.

    Raises InputDataError naming the field and the value for anything else: an
    API ensemble reads only shipped data, never a path of the server.
    """
    from energy.district import DATA_DIR
    from energy.errors import InputDataError

    if name == "clearsky":
        return name
    folder = DATA_DIR / "weather"
    allowed = sorted(p.name for p in folder.iterdir() if p.is_file())
    if name not in allowed:
        raise InputDataError(
            f"weather: {name!r} is not a shipped weather file; allowed: clearsky, "
            f"{', '.join(allowed)}"
        )
    return str(folder / name)


class MembersFields(BaseModel):
    """Weather sources x price years: the members of an ensemble or of a robust answer."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    weather: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ENSEMBLE_WEATHER),
        min_length=1,
        max_length=20,
        description="Shipped weather files of data/weather (or 'clearsky'); default the six "
        "region-9 TRY files 2015/2045 x mean, extreme summer, extreme winter",
    )
    price_years: list[int | None] = Field(
        default_factory=lambda: list[int | None]([2023, 2024]),
        min_length=1,
        max_length=5,
        description="Day-ahead price years of the SMARD file (null: the tariff's own mapping)",
    )

    @field_validator("weather")
    @classmethod
    def _shipped(cls, value: list[str]) -> list[str]:
        for name in value:
            shipped_weather_path(name)  # raises naming the field and value
        return value


class EnsembleCreate(MembersFields):
    """Body of ``POST /scenarios/{id}/ensembles``: weather sources x price years."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [{"weather": list(DEFAULT_ENSEMBLE_WEATHER), "price_years": [2023, 2024]}]
        },
    )

    ac_check: bool = Field(True, description="AC check of every member (grid violations)")
    assumptions: dict[str, float] | None = Field(
        None, description="Economic assumptions replacing the German defaults (energy.analysis)"
    )


class EnsembleMemberPublic(BaseModel):
    """One member of an ensemble: its job and, once done, its record."""

    index: int
    member: str = Field(description="e.g. 'TRY 2045 extreme summer, prices 2024'")
    weather: str
    price_year: int | None
    job_id: int
    status: RunStatus
    worker: str | None = Field(None, description="The worker that ran it")
    error: str | None = Field(description="Why the job or the member failed, in words")
    record: dict[str, Any] | None = Field(
        None, description="energy.studies.ensemble.run_member's record (figures per member)"
    )


class EnsemblePublic(BaseModel):
    """An ensemble: status, progress, members and, once every member has ended, the summary."""

    id: int
    scenario_id: int
    organisation_id: int
    status: RunStatus = Field(
        description="queued, running, succeeded (every member ended; failed members are named "
        "in the summary), cancelled"
    )
    cancel_requested: bool
    weather: list[str]
    price_years: list[int | None]
    options: dict[str, Any]
    spec_hash: str = Field(
        description="SHA-256 of the district spec with the scenario's changes (as a run's)"
    )
    members_total: int
    members_done: int
    progress_frac: float
    counts: dict[str, int] = Field(description="Member jobs by status")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    members: list[EnsembleMemberPublic] | None = Field(None, description="Omitted in lists")
    summary: dict[str, Any] | None = Field(
        None,
        description="When every member has ended: energy.studies.ensemble.EnsembleResult."
        "to_dict() (figures with min/p10/p50/p90/max and extreme members, failed, bad_year)",
    )
