#!/usr/bin/env bash
# Set up (if needed) and run the main job with the shipped default model (models/amsynth): make a
# real instrument note that no synth rendered (General MIDI flute, A4, 1 s, played by fluidsynth
# from the Debian package fluid-soundfont-gm), match it with amsynth in the loop, print the
# parameters, and write the re-rendered match, its picture and an amsynth preset bank.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
mkdir -p demo
python scripts/build_real_sounds.py demo/flute.wav --gm-note 73 69
patchflow match demo/flute.wav --out demo --preset demo/flute.amSynth.bank
echo "demo: listen to demo/flute.wav, demo/flute.heard.wav (what the search heard) and" \
  "demo/flute.match.wav; look at demo/flute.match.png; load demo/flute.amSynth.bank in amsynth" \
  "(copy it into ~/.local/share/amsynth/banks/)"
