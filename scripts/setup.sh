#!/usr/bin/env bash
# Set up peacewatch on a fresh machine: a virtual environment in .venv with the pinned packages.
# Safe to run again: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-packages.sh
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PY="$candidate"; break; fi
  done
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
# The web app's browser libraries (Leaflet), from the committed package-lock.json; served by
# the app itself, never from a CDN.
npm ci --no-audit --no-fund --loglevel=error
echo "peacewatch $(.venv/bin/peacewatch version) ready in .venv"
