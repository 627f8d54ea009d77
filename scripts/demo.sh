#!/usr/bin/env bash
# Set up (if needed) and run the main job on the shipped default model (models/kosc4): match a
# k-osc target sound, print the parameters, write the re-rendered match and a spectrogram PNG.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
mkdir -p demo
python scripts/make_example.py demo/target.wav
patchflow match demo/target.wav --out demo
echo "demo: listen to demo/target.wav, demo/target.heard.wav (what the model heard) and demo/target.match.wav; look at demo/target.match.png"
