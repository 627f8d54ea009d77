"""`patchflow match`: offline inference from audio files, its outputs and its errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

torch = pytest.importorskip("torch")

from patchflow.export.bundle_writer import ExportOptions, export_model  # noqa: E402
from patchflow.features import FeatureConfig, FeatureStats  # noqa: E402
from patchflow.nn.models import build_model  # noqa: E402
from patchflow.synths.kosc import KOsc, kosc_spec  # noqa: E402
from patchflow.train.config import preset_config  # noqa: E402


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model(
        preset_config("cnf-equivariant", "tiny").model, kosc_spec(4), FeatureConfig()
    )
    stats = FeatureStats.identity(model.feature_config)
    out = tmp_path_factory.mktemp("match") / "kosc-tiny"
    feats = torch.randn(4, 1, 513)
    return export_model(
        model.eval(), out, stats=stats, inputs=feats, options=ExportOptions(macros=2)
    )


def _match(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "patchflow", "match", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_json_output_any_rate_and_channels(bundle, tmp_path):
    t = np.arange(24000) / 48000
    stereo = np.stack([np.sin(2 * np.pi * 330 * t), 0.5 * np.sin(2 * np.pi * 990 * t)], axis=1)
    path = tmp_path / "stereo48k.flac"
    sf.write(path, stereo.astype(np.float32), 48000)
    result = _match(str(path), "--model", str(bundle), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["model"] == "kosc-tiny"
    names = [p["name"] for p in out["params"]]
    assert names == kosc_spec(4).names
    spec = kosc_spec(4)
    for p, row in zip(spec.params, out["params"], strict=True):
        assert p.min - 1e-3 <= row["value"] <= p.max + 1e-3
        assert -1.0 <= row["model_value"] <= 1.0
        # the native value and the model-space value describe the same point
        unit = (row["model_value"] + 1) / 2
        assert row["value"] == pytest.approx(p.min + unit * (p.max - p.min), rel=1e-4, abs=1e-4)


def test_out_writes_wav_and_png_and_text_output(bundle, tmp_path):
    audio = KOsc(k=4, num_samples=44100).render(
        [[220, 660, 1320, 2800, 1, 0.6, 0.5, 0.2, 1, 0, -1, 1]]
    )
    path = tmp_path / "target.wav"
    sf.write(path, audio[0, 0], 44100)
    result = _match(str(path), "--model", str(bundle), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "osc1_freq_hz" in result.stdout and "Hz" in result.stdout
    heard, _ = sf.read(tmp_path / "out" / "heard.wav")
    assert len(heard) == 1024  # what the model heard: cut to its input length
    match, rate = sf.read(tmp_path / "out" / "match.wav")
    assert rate == 44100 and len(match) == 1024 and np.isfinite(match).all()
    png = (tmp_path / "out" / "match.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"RIFF....not audio"), "cannot read audio"),
        (lambda p: sf.write(p, np.zeros((0, 1), np.float32), 44100), "empty"),
        (lambda p: sf.write(p, np.zeros((4410, 1), np.float32), 44100), "silent"),
        (
            lambda p: sf.write(p, np.full((4410, 1), np.nan, np.float32), 44100, subtype="FLOAT"),
            "NaN",
        ),
        (lambda p: None, "no such file"),
    ],
    ids=["unreadable", "empty", "silent", "nan", "missing"],
)
def test_bad_audio_is_a_clear_error(bundle, tmp_path, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    result = _match(str(path), "--model", str(bundle))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert str(path) in result.stderr


def test_unknown_model_is_a_clear_error(tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, np.ones((100, 1), np.float32) * 0.1, 44100)
    result = _match(str(path), "--model", "no-such-model")
    assert result.returncode == 2 and "not found" in result.stderr
