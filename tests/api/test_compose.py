"""docker-compose.yml: services, health checks, and variables the settings understand.

No Docker engine here: the file is checked as data.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_services_and_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"api", "worker", "postgres", "redis"}
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
    assert services["api"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    # workers start once the API (which migrates the database) is healthy
    assert services["worker"]["depends_on"]["api"] == {"condition": "service_healthy"}
    assert services["worker"]["deploy"]["replicas"] >= 2  # and --scale worker=N
    assert "ports" not in services["worker"]  # scalable: no fixed host port
    assert "/ready" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["worker"]["command"][-3:] == ["worker", "--concurrency", "1"]


def test_redis_keeps_the_queue_across_restarts(compose: dict[str, Any]) -> None:
    """Append-only file on, in a named volume: queued runs survive a Redis restart."""
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[0] == "redis-server"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "--appendfsync" not in command or command[command.index("--appendfsync") + 1] in (
        "everysec",
        "always",
    )
    volume, _, target = redis["volumes"][0].partition(":")
    assert target == "/data" and volume in compose["volumes"]  # redis:7 writes its files there


def test_environment_is_valid_settings(compose: dict[str, Any]) -> None:
    services = compose["services"]
    env = services["api"]["environment"]
    assert env == services["worker"]["environment"]  # one configuration for both
    fields = {f"ENERGY_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= fields, set(env) - fields
    # the password must be given; with one, the production settings accept the setup
    assert "${POSTGRES_PASSWORD:?" in env["ENERGY_DATABASE_URL"]
    resolved = {
        key.removeprefix("ENERGY_").lower(): re.sub(r"\$\{POSTGRES_PASSWORD:\?[^}]*\}", "Xk92j", v)
        for key, v in env.items()
    }
    settings = Settings(**resolved)
    assert settings.environment == "production" and settings.queue == "celery"
    # the URLs point at the compose services
    assert "@postgres:5432/" in settings.database_url
    assert settings.redis_url.startswith("redis://redis:6379/")
    postgres = services["postgres"]["environment"]
    assert f"//{postgres['POSTGRES_USER']}:" in settings.database_url
    assert settings.database_url.endswith(f"/{postgres['POSTGRES_DB']}")


def test_dockerfile_serves_the_api() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install -e ." in text and "HEALTHCHECK" in text
    assert '"api.cli", "serve"' in text
