#!/usr/bin/env bash
# Install everything and run the whole test suite: lint, types, unit, API and
# integration tests (PostgreSQL, Redis, Celery). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/ensure-services.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/pytest "$@"
