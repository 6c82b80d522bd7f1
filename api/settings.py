"""Settings from environment variables (12-factor), with safe embedded defaults.

Every variable has the prefix ``ENERGY_``: ``ENERGY_DATABASE_URL`` (default: a
SQLite file ``./stadtwerk.db``), ``ENERGY_QUEUE`` (``inline`` or ``celery``),
``ENERGY_REDIS_URL`` and the limits below. Outside ``development`` the class
refuses configurations that are unsafe for a shared server (see
:meth:`Settings._refuse_unsafe`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from energy.report.exports import ATTRIBUTION
from energy.serialise import RESULTS_LICENCE

#: Passwords that ship in examples and must never reach a real deployment.
PLACEHOLDER_PASSWORDS = frozenset({"changethis", "postgres", "password", "secret"})


def is_in_memory_sqlite(url: str) -> bool:
    """Return True for a SQLite URL whose database lives in memory only."""
    return url in {"sqlite://", "sqlite:///:memory:"} or (
        url.startswith("sqlite") and ("mode=memory" in url or ":memory:" in url)
    )


class Settings(BaseSettings):
    """Configuration of the API and its workers."""

    model_config = SettingsConfigDict(env_prefix="ENERGY_", extra="ignore")

    environment: Literal["development", "production"] = Field(
        "development", description="'production' enables the safety checks"
    )
    database_url: str = Field(
        "sqlite:///./stadtwerk.db", description="SQLAlchemy URL of the SQL database"
    )
    queue: Literal["inline", "celery"] = Field(
        "inline", description="Job queue: in-process threads or Celery workers on Redis"
    )
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Celery broker URL")
    inline_workers: int = Field(1, ge=1, le=64, description="Threads of the inline executor")
    max_upload_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Largest request body accepted [bytes]"
    )
    heartbeat_interval_s: float = Field(
        10.0, gt=0, description="A running job refreshes its heartbeat this often [s]"
    )
    heartbeat_timeout_s: float = Field(
        120.0, gt=0, description="A running job silent this long is taken as lost [s]"
    )
    reaper_interval_s: float = Field(
        30.0, gt=0, description="How often lost runs are looked for [s]"
    )
    max_attempts: int = Field(
        3, ge=1, le=20, description="Attempts of a run before it is failed for good"
    )
    requeue_queued_after_s: float = Field(
        90.0,
        gt=0,
        description="Re-send a run still queued after this long [s]; with reaper_interval_s "
        "a lost message is re-sent within their sum (120 s by default); a duplicate of a run "
        "still waiting in a busy queue is skipped by the claim",
    )
    visibility_timeout_s: int = Field(
        7200,
        ge=1,
        description="Redis re-delivers an unacknowledged task after this long [s]",
    )
    celery_queue_name: str = Field("energy-runs", description="Celery queue of the runs")
    result_licence: str = Field(RESULTS_LICENCE, description="Licence of exported results")
    result_attribution: str = Field(ATTRIBUTION, description="Attribution named in every export")
    cors_origins: list[str] = Field(default_factory=list)
    dashboard_tile_url: str | None = Field(
        None,
        pattern=r"^https://[A-Za-z0-9.-]+(:\d+)?/[^\s\"'<>]*\{z\}[^\s\"'<>]*$",
        description="Map tiles of the dashboard, e.g. "
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png (https only; its host joins the "
        "dashboard's img-src); default: no tiles, the map draws "
        "buildings and streets from the grid data alone",
    )
    dashboard_tile_attribution: str = Field(
        "", max_length=300, description="Attribution the tile provider asks for (shown on the map)"
    )
    rate_limit_storage: str = Field(
        "memory://", description="Where rate-limit counters live: memory:// or a redis:// URL"
    )
    rate_limit_per_key: str = Field("600/minute", description="Requests per API key")
    rate_limit_anonymous: str = Field(
        "600/minute",
        description="Requests without a key (public reads) per client address; one dashboard "
        "page load makes about 20",
    )
    rate_limit_failed_keys: str = Field(
        "20/minute", description="Failed keys per client address before 429 instead of 401"
    )
    max_active_jobs_per_organisation: int = Field(
        200,
        ge=1,
        le=100_000,
        description="Jobs (runs, sweep points, ensemble members, sizings, Pareto fronts) an "
        "organisation may have queued or running at once; a submission that would pass it "
        "is refused whole with 429. The default holds two of the largest studies (a sweep "
        "of 100 points + its base run, an ensemble of 20 x 5 members)",
    )
    inline_max_work: int = Field(
        2_500_000,
        ge=1,
        description="With ENERGY_QUEUE=inline: the largest job the API process runs, in work "
        "units = dispatches x time steps x (district elements + 100) (api/workload.py); "
        "larger jobs are refused with 422 (run them on Celery workers or with the CLI). "
        "The default takes the Gera district's year at 1 h (2.0 M units, about 18 s and "
        "0.74 GB on 2 cores) and refuses its year at 15 min (8.0 M)",
    )
    auth_cache_ttl_s: float = Field(
        5.0,
        ge=0,
        le=300,
        description="An authenticated key is remembered this long per API process [s] "
        "(0: every request reads the database); a key revoked in another process "
        "works there for up to this long",
    )

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        """Outside development: no placeholder passwords, no in-memory database.

        Follows full-stack-fastapi-template's ``core/config.py``, which refuses
        its ``changethis`` secrets outside the local environment.
        """
        if self.heartbeat_timeout_s <= 2 * self.heartbeat_interval_s:
            raise ValueError(
                f"heartbeat_timeout_s: {self.heartbeat_timeout_s} s must exceed twice "
                f"heartbeat_interval_s ({self.heartbeat_interval_s} s)"
            )
        if self.environment == "development":
            return self
        password = urlsplit(self.database_url).password
        if password is not None and password.lower() in PLACEHOLDER_PASSWORDS:
            raise ValueError(
                "database_url: the password is a placeholder; set a real one in "
                "ENERGY_DATABASE_URL when ENERGY_ENVIRONMENT=production"
            )
        if is_in_memory_sqlite(self.database_url):
            raise ValueError(
                "database_url: an in-memory database loses every run on restart; "
                "use a file or a server when ENERGY_ENVIRONMENT=production"
            )
        if "*" in self.cors_origins:
            raise ValueError("cors_origins: '*' is not allowed when ENERGY_ENVIRONMENT=production")
        return self

    @property
    def is_sqlite(self) -> bool:
        """True for a SQLite database URL."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
