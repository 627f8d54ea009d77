#!/usr/bin/env bash
# Set up (if needed) and run every check: lint, format, the Python suite, the Max device's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
ruff check .
ruff format --check .
python -m pytest -q "$@"
