"""scripts/build_real_sounds.py builds a deterministic subset of the real-sound test set."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build_real_sounds.py"
pytestmark = pytest.mark.needs("real_sounds")  # fluidsynth, its soundfont, espeak-ng, sox
CATEGORIES = {"piano", "organ", "strings", "brass", "flute", "lead", "pad", "bass", "plucked",
              "voice", "tone", "noise"}  # fmt: skip


def _build(out: Path) -> list[dict[str, str]]:
    cmd = [sys.executable, str(SCRIPT), str(out), "--per-category", "1"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    with (out / "manifest.csv").open() as f:
        return list(csv.DictReader(f))


def test_builds_a_deterministic_subset(tmp_path):
    first = _build(tmp_path / "a")
    assert {r["category"] for r in first} == CATEGORIES
    for row in first:
        audio, rate = sf.read(tmp_path / "a" / row["file"])
        assert rate == 44100 and audio.shape == (44100,), row["file"]
        assert audio.std() > 1e-3, row["file"]
        if row["category"] == "noise":
            assert row["midi"] == ""
        else:
            assert 24 <= int(row["midi"]) <= 96
    saved = {row["file"]: (tmp_path / "a" / row["file"]).read_bytes() for row in first}
    (tmp_path / "a" / "stale.wav").write_bytes(b"old")
    again = _build(tmp_path / "a")  # rebuilds the same folder from scratch
    assert again == first
    assert not (tmp_path / "a" / "stale.wav").exists()
    for row in first:
        assert (tmp_path / "a" / row["file"]).read_bytes() == saved[row["file"]], row["file"]


def test_refuses_to_delete_a_foreign_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path), "--per-category", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "not deleting" in done.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"
