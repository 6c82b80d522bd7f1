#!/usr/bin/env bash
# The main job on the embedded default: install, migrate a SQLite database, load the
# shipped Gera reference district, queue a one-week reference run (in-process job)
# and serve the API at http://127.0.0.1:8000/docs until Ctrl+C.
# Environment: ENERGY_DATABASE_URL (default sqlite:///./stadtwerk.db), ENERGY_QUEUE (default inline).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
exec .venv/bin/energy-api demo "$@"
