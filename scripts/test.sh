#!/usr/bin/env bash
# Set up (if needed) and run every check: lint, format, the Python suite, the Max device's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
# Parts the suite must find (tests/conftest.py): a test needing one of them fails instead of
# skipping. Only genuinely optional parts (a GPU, Surge XT) may skip; -ra lists every skip and why.
export PATCHFLOW_REQUIRE=amsynth,node,real_sounds
# The Max device's end-to-end test must reach a real `patchflow serve` here (no silent skip).
export PATCHFLOW_E2E_REQUIRED=1
ruff check .
ruff format --check .
bash scripts/typecheck.sh  # mypy on the package as installed (bridge/ and export/ included)
python -m pytest -q -ra "$@"
