"""Settings from the environment; unsafe configurations refused outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import Settings, is_in_memory_sqlite


def test_defaults_are_the_embedded_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENERGY_DATABASE_URL", "ENERGY_QUEUE", "ENERGY_REDIS_URL", "ENERGY_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    s = Settings()
    assert s.database_url == "sqlite:///./stadtwerk.db"
    assert s.queue == "inline"
    assert s.redis_url == "redis://127.0.0.1:6379/0"
    assert s.is_sqlite


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGY_DATABASE_URL", "postgresql+psycopg://u:pw@db/energy")
    monkeypatch.setenv("ENERGY_QUEUE", "celery")
    monkeypatch.setenv("ENERGY_MAX_UPLOAD_BYTES", "2048")
    s = Settings()
    assert (s.queue, s.max_upload_bytes, s.is_sqlite) == ("celery", 2048, False)
    monkeypatch.setenv("ENERGY_QUEUE", "rabbit")
    with pytest.raises(ValidationError, match="queue"):
        Settings()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql+psycopg://postgres:changethis@db/energy", "placeholder"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
    ],
)
def test_production_refuses_unsafe_databases(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(environment="production", database_url=url)
    Settings(environment="development", database_url=url)  # fine for development


def test_production_accepts_a_real_setup() -> None:
    s = Settings(environment="production", database_url="postgresql+psycopg://api:Xk92j@db/e")
    assert s.environment == "production"
    with pytest.raises(ValidationError, match="cors_origins"):
        Settings(environment="production", database_url="sqlite:///x.db", cors_origins=["*"])


def test_heartbeat_timeout_must_exceed_two_intervals() -> None:
    with pytest.raises(ValidationError, match="heartbeat_timeout_s"):
        Settings(heartbeat_interval_s=10, heartbeat_timeout_s=15)


def test_in_memory_detection() -> None:
    assert is_in_memory_sqlite("sqlite://")
    assert is_in_memory_sqlite("sqlite:///file:x?mode=memory&cache=shared&uri=true")
    assert not is_in_memory_sqlite("sqlite:///./stadtwerk.db")
