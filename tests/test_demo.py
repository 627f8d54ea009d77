"""The README's main job (scripts/demo.sh): its real-sound input and the command it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "build_real_sounds.py"


@pytest.mark.needs("real_sounds")
def test_one_gm_note_is_a_1s_clip_at_its_pitch(tmp_path):
    from patchflow.pitch import estimate_pitch

    out = tmp_path / "sub" / "flute.wav"
    cmd = [sys.executable, str(SCRIPT), str(out), "--gm-note", "73", "69"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "GM 73 flute, MIDI 69" in done.stderr
    audio, rate = sf.read(out, dtype="float32")
    assert rate == 44100 and audio.shape == (44100,)
    assert abs(estimate_pitch(audio, rate).midi - 69) < 0.5
    again = tmp_path / "again.wav"
    subprocess.run([*cmd[:2], str(again), *cmd[3:]], check=True, capture_output=True, timeout=120)
    assert again.read_bytes() == out.read_bytes()  # the same packages give the same clip


def test_a_bad_gm_note_is_a_clear_error(tmp_path):
    cmd = [sys.executable, str(SCRIPT), str(tmp_path / "x.wav"), "--gm-note", "73", "200"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "must be 0..127" in done.stderr
    assert "Traceback" not in done.stderr


def test_demo_matches_a_real_note_with_the_default_model_and_writes_a_preset():
    text = (ROOT / "scripts" / "demo.sh").read_text()
    assert "--gm-note" in text  # the input is a real instrument note, not a synth render
    match = next(line for line in text.splitlines() if line.startswith("patchflow match"))
    assert "--model" not in match  # the default model (amsynth)
    assert "--out demo" in match and "--preset demo/" in match and ".bank" in match
