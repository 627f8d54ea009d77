#!/usr/bin/env bash
# Type-check patchflow as it is installed: the package is assembled under build/typecheck/ the way
# pyproject.toml installs it (src/patchflow, with bridge/ as patchflow.bridge and export/ as
# patchflow.export; models/ is data only), so that mypy follows those imports instead of reading
# them as Any. Exits non-zero on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=build/typecheck
rm -rf "$stage"
mkdir -p "$stage/patchflow"
for entry in src/patchflow/*; do
  ln -s "$PWD/$entry" "$stage/patchflow/$(basename "$entry")"
done
ln -s "$PWD/bridge" "$stage/patchflow/bridge"
ln -s "$PWD/export" "$stage/patchflow/export"
# report paths as they are in the repository
MYPYPATH="$stage" python -m mypy --config-file pyproject.toml -p patchflow "$@" \
  | sed -e "s#^$stage/patchflow/bridge/#bridge/#" -e "s#^$stage/patchflow/export/#export/#" \
    -e "s#^$stage/patchflow/#src/patchflow/#"
