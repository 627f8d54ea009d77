#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian/Ubuntu machine: system packages, a virtual environment in
# .venv, torch's CPU build first (a bare `torch` requirement would pull GBs of CUDA wheels), then
# patchflow with its training and development extras. Every part the tests require is installed
# here, and a failed install is an error: CI must never pass by skipping what it could not install.
set -euo pipefail
cd "$(dirname "$0")/.."

# amsynth: the real synth of our Linux machines; libgl1: DawDreamer needs libGL.so.1;
# nodejs/npm: the Max for Live device's node test suite (max_for_live/, `npm test`);
# fluidsynth, fluid-soundfont-gm, espeak-ng, sox: scripts/build_real_sounds.py (real-sound tests).
APT_PACKAGES=(amsynth libgl1 fluidsynth fluid-soundfont-gm espeak-ng sox)
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(npm)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
  echo "setup: installing ${missing[*]} with apt-get"
  $SUDO apt-get update -q >/dev/null || echo "setup: apt-get update failed; trying the install anyway" >&2
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >/dev/null; then
    echo "setup: error: could not install ${missing[*]} (the tests require them)" >&2
    exit 1
  fi
fi
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "setup: error: $tool is not on PATH" >&2; exit 1; }
done
[ -f /usr/lib/vst/amsynth_vst.so ] || { echo "setup: error: amsynth installed no /usr/lib/vst/amsynth_vst.so" >&2; exit 1; }

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip setuptools >/dev/null
python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[train,dev]"
echo "setup: $(python -c 'import patchflow, torch, onnxruntime, dawdreamer; print("patchflow", patchflow.__version__, "torch", torch.__version__, "onnxruntime", onnxruntime.__version__)'), node $(node --version)"
