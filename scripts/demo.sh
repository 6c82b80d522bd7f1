#!/usr/bin/env bash
# The main job on the embedded default: install (if needed), load the Gera reference
# district into SQLite (./stadtwerk.db), create an admin key, start the API on
# http://127.0.0.1:8000 and queue a reference run over the whole year 2025 (about ten
# seconds), so its annual savings, NPV and payback need no extrapolation. Prints the key
# and the URLs (/docs, /runs/{id}, /compare?runs={id}). Stop with Ctrl+C; run again to
# continue where you left off; another --days or --start makes a new run and says so.
# Usage: scripts/demo.sh [--port 8000] [--days 365] [--start 2025-01-01]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import api.cli" 2>/dev/null; then
  scripts/install.sh
fi
exec .venv/bin/python -m api.cli demo "$@"
