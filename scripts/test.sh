#!/usr/bin/env bash
# Set up (if needed) and run every check: lint, format, the Python suite, the Max device's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
# The Max device's end-to-end test must reach a real `patchflow serve` here (no silent skip).
export PATCHFLOW_E2E_REQUIRED=1
ruff check .
ruff format --check .
python -m pytest -q "$@"
