#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian/Ubuntu machine: system packages, a virtual environment in
# .venv, torch's CPU build first (a bare `torch` requirement would pull GBs of CUDA wheels), then
# patchflow with its training and development extras.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(amsynth libgl1)  # amsynth: the real synth of our Linux machines; libgl1: DawDreamer needs libGL.so.1
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
  echo "setup: installing ${missing[*]} with apt-get"
  $SUDO apt-get update -q >/dev/null || echo "setup: apt-get update failed; trying the install anyway"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >/dev/null \
    || echo "setup: could not install ${missing[*]}; plugin tests will be skipped"
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip setuptools >/dev/null
python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[train,dev]"
echo "setup: $(python -c 'import patchflow, torch, onnxruntime; print("patchflow", patchflow.__version__, "torch", torch.__version__, "onnxruntime", onnxruntime.__version__)')"
