"""scripts/gpu_pipeline.sh at --tiny size on the CPU: render, train, export into one folder."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_pipeline.sh"


@pytest.mark.slow
@pytest.mark.amsynth
@pytest.mark.needs("amsynth")
def test_tiny_pipeline_leaves_bundles(tmp_path):
    out = tmp_path / "gpu"
    presets = "ast-regression ast-cnf-mlp"
    cmd = ["bash", str(SCRIPT), "--tiny", "--out", str(out), "--presets", presets]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for preset in presets.split():
        card = json.loads((out / "bundles" / preset / "card.json").read_text())
        assert card["preset"] == preset
        assert card["synth"]["id"].startswith("amsynth")
        assert card["note_conditioning"]["param"] == "note_pitch"  # the model is given the note
    log = (out / "pipeline.log").read_text()
    assert "patchflow dataset render" in log and "patchflow export" in log
    assert "bundles in" in log.splitlines()[-1]


def test_rejects_unknown_options(tmp_path):
    done = subprocess.run(
        ["bash", str(SCRIPT), "--bogus"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert "unknown option --bogus" in done.stderr
