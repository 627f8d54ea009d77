"""Smoke test of benchmarks/amsynth_models.py at the tiny size on real amsynth renders.

The whole chain the shipped amsynth model went through, in miniature: render a training and a
test set, train the three presets, evaluate them with the real-synth metrics (re-rendered by
amsynth), export the best CNF with a fused sampler, evaluate the bundle, write the table, the
plot and the figure; then a rerun of the same command does no work again (resumable).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AMSYNTH = Path("/usr/lib/vst/amsynth_vst.so")

pytestmark = [
    pytest.mark.amsynth,
    pytest.mark.skipif(not AMSYNTH.exists(), reason="amsynth VST2 not installed"),
    pytest.mark.skipif(
        importlib.util.find_spec("dawdreamer") is None, reason="dawdreamer not installed"
    ),
    pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed"),
]


def test_amsynth_models_script_end_to_end(tmp_path: Path) -> None:
    argv = [
        sys.executable,
        str(ROOT / "benchmarks" / "amsynth_models.py"),
        "--data", str(tmp_path / "train.h5"),
        "--test", str(tmp_path / "test.h5"),
        "--runs-dir", str(tmp_path / "runs"),
        "--steps", "10",
        "--size", "tiny",
        "--train-count", "24",
        "--test-count", "4",
        "--workers", "1",
        "--out", str(tmp_path / "bundle"),
        "--results", str(tmp_path / "results"),
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = tmp_path / "results"
    report = json.loads((results / "amsynth_models.json").read_text())
    assert report["shipped"]["preset"] in ("ast-cnf-param2tok", "ast-cnf-mlp")
    assert set(report["evaluations"]) == {
        "ast-cnf-param2tok/paper",
        "ast-cnf-param2tok/serving",
        "ast-cnf-mlp/paper",
        "ast-cnf-mlp/serving",
        "ast-regression/direct",
    }
    for summary in [*report["evaluations"].values(), report["random"], report["bundle"]]:
        assert set(summary["metrics"]) >= {"mss", "wmfcc", "sot", "rms_cos", "param_mse"}
        assert summary["metrics"]["mss"]["n"] == 4
    # the bundle (onnxruntime) scores what its run scored in PyTorch at the same sampler
    chosen = report["evaluations"][f"{report['shipped']['preset']}/serving"]["metrics"]
    assert report["bundle"]["metrics"]["mss"]["mean"] == pytest.approx(
        chosen["mss"]["mean"], rel=1e-3
    )
    card = json.loads((tmp_path / "bundle" / "card.json").read_text())
    assert card["graphs"].get("sampler"), "exported with a fused sampler"
    md = (results / "amsynth_models.md").read_text()
    # training table: header + 3 models; results: header + 5 evaluations, 2 bundles, random
    assert md.count("\n| ") == 4 + 9
    reg_card = json.loads((tmp_path / "bundle-regression" / "card.json").read_text())
    assert reg_card["preset"] == "ast-regression"
    assert report["bundle_regression"]["metrics"]["mss"]["mean"] == pytest.approx(
        report["evaluations"]["ast-regression/direct"]["metrics"]["mss"]["mean"], rel=1e-3
    )
    for name in ("amsynth_models.png", "amsynth_reconstructions.png"):
        assert (results / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    again = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "+ patchflow" not in again.stdout, "a rerun repeats no finished step"
