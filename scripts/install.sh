#!/usr/bin/env bash
# Create .venv (if missing) and install the project with its development tools.
# Usage: scripts/install.sh        (idempotent; safe to run again)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
