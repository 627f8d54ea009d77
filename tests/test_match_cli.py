"""`patchflow match`: offline inference from audio files, its outputs and its errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import torch

from patchflow.export.bundle_writer import ExportOptions, export_model
from patchflow.features import FeatureConfig, FeatureStats
from patchflow.nn.models import build_model
from patchflow.synths.kosc import KOsc, kosc_spec
from patchflow.train.config import preset_config


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
    result = _match(str(path), "--model", str(bundle), "--json", "--budget-s", "0.3", "--top", "3")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["model"] == "kosc-tiny"
    assert out["scorer"] == "lsd" and np.isfinite(out["score"]) and out["renders"] > 1
    assert 0 < out["elapsed_s"] < 60
    assert 56.5 < out["note"] < 64.5  # 330 Hz is MIDI 64, 990 Hz its fifth: some pitch near
    scores = [c["score"] for c in out["candidates"]]
    assert len(scores) == 3 and scores == sorted(scores) and scores[0] == out["score"]
    assert out["candidates"][0]["params"] == out["params"]
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
    out = tmp_path / "out"
    result = _match(str(path), "--model", str(bundle), "--out", str(out), "--renders", "100")
    assert result.returncode == 0, result.stderr
    assert "osc1_freq_hz" in result.stdout and "Hz" in result.stdout
    assert "renders/s" in result.stderr and "best LSD" in result.stderr  # progress
    heard, _ = sf.read(out / "target.heard.wav")
    assert len(heard) == 1024  # what the model heard: cut to its input length
    match, rate = sf.read(out / "target.match.wav")
    assert rate == 44100 and len(match) == 1024 and np.isfinite(match).all()
    png = (out / "target.match.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    candidates = sorted(out.glob("target.candidate-*.wav"))
    assert [c.name for c in candidates] == [f"target.candidate-{r}.wav" for r in (1, 2, 3, 4)]
    np.testing.assert_array_equal(sf.read(candidates[0])[0], match)  # rank 1 is the match


def test_budget_zero_is_the_one_shot_answer_and_renders_fix_the_result(bundle, tmp_path):
    from patchflow.bundle import load_bundle
    from patchflow.inference import Predictor

    audio = KOsc(k=4).render([[300, 900, 1500, 2500, 1, 0.5, 0.5, 0.3, -1, 0, 1, -1]])[0]
    path = tmp_path / "t.wav"
    sf.write(path, audio[0], 44100)
    one = json.loads(_match(str(path), "--model", str(bundle), "--json", "--budget-s", "0",
                            "--seed", "3").stdout)  # fmt: skip
    expected = Predictor(load_bundle(bundle)).predict(audio, 44100, seed=3)
    got = [r["value"] for r in one["params"]]
    np.testing.assert_allclose(got, expected.native[0], rtol=1e-5, atol=1e-4)
    assert one["renders"] == 1 and len(one["candidates"]) == 1
    args = ("--model", str(bundle), "--json", "--budget-s", "100", "--renders", "120")
    a, b = (json.loads(_match(str(path), *args).stdout) for _ in range(2))
    assert a["params"] == b["params"] and a["score"] == b["score"] <= one["score"]
    assert a["renders"] <= 120


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "amsynth-regression", "--cfg", "2"), "--cfg: model 'amsynth-regression'"),
        (("--preset", "x.bank"), "no preset-bank support"),
        (("--budget-s", "-1"), "--budget-s must be >= 0"),
        (("--top", "0"), "--top must be"),
        (("--seed", "-5"), "--seed must be >= 0"),
    ],
    ids=["cfg-on-regression", "preset-on-kosc", "negative-budget", "top-zero", "negative-seed"],
)
def test_flags_the_model_cannot_use_are_refused(bundle, tmp_path, args, message):
    path = tmp_path / "a.wav"
    sf.write(path, np.sin(np.arange(4410) / 10).astype(np.float32), 44100)
    if "--model" not in args:
        args = ("--model", str(bundle), *args)
    result = _match(str(path), *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.amsynth
@pytest.mark.needs("amsynth")
def test_unwritable_preset_path_is_a_clear_error(tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, np.sin(np.arange(44100) / 10).astype(np.float32), 44100)
    args = ("--model", "amsynth-regression", "--budget-s", "0", "--preset", "/proc/no/x.bank")
    result = _match(str(path), *args)
    assert result.returncode == 2 and "--preset: cannot write /proc/no/x.bank" in result.stderr
    assert "Traceback" not in result.stderr


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


@pytest.mark.amsynth
@pytest.mark.needs("amsynth")
def test_amsynth_match_writes_a_preset_bank_of_the_candidates(tmp_path):
    from patchflow.synths.amsynth_bank import read_bank

    t = np.arange(44100) / 44100
    tone = 0.3 * np.sign(np.sin(2 * np.pi * 220 * t)) * np.exp(-2 * t)  # a square-ish A3
    path = tmp_path / "tone.wav"
    sf.write(path, tone.astype(np.float32), 44100)
    bank = tmp_path / "tone.bank"
    # 16 renders: the one-shot, 8 proposals, each new best rendered again for its stereo
    # distance, and the top 3 by the mix's distance scored by the stereo one at the end
    args = ("--model", "amsynth", "--json", "--renders", "16", "--budget-s", "60", "--top", "3")
    result = _match(str(path), *args, "--preset", str(bank))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["scorer"] == "mss" and out["renders"] <= 16
    assert abs(out["note"] - 57) < 0.5 and out["note_detail"]["rendered_at"] == 57
    presets = read_bank(bank)
    assert [p.name for p in presets] == ["tone match", "tone candidate 2", "tone candidate 3"]
    assert len(out["candidates"]) == 3


def test_match_and_serve_default_to_the_amsynth_model():
    import argparse

    from patchflow.commands import match, serve

    for module in (match, serve):
        parser = argparse.ArgumentParser()
        module.add_arguments(parser)
        args = parser.parse_args(["x.wav"] if module is match else [])
        assert args.model == "amsynth"
        assert (
            parser.parse_args([*(["x.wav"] if module is match else []), "--model", "kosc4"]).model
            == "kosc4"
        )


def test_without_the_plugin_the_default_model_prints_its_one_shot_answer(tmp_path):
    """No plug-in: the parameters and the preset bank still come out; the warning says what
    re-rendering and the search need (the Debian package, --plugin)."""
    from patchflow.bundle import load_bundle
    from patchflow.synths.amsynth_bank import read_bank

    t = np.arange(44100) / 44100
    tone = 0.3 * np.sign(np.sin(2 * np.pi * 220 * t)) * np.exp(-2 * t)
    path = tmp_path / "tone.wav"
    sf.write(path, tone.astype(np.float32), 44100)
    missing = tmp_path / "no" / "amsynth_vst.so"
    bank, out = tmp_path / "tone.bank", tmp_path / "out"
    flags = ("--plugin", str(missing), "--preset", str(bank), "--out", str(out), "--top", "3")
    result = _match(str(path), *flags, "--json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert (got["model"], got["synth"]) == ("amsynth", "amsynth")  # the default model
    assert got["score"] is None and got["renders"] == 0 and len(got["candidates"]) == 1
    assert str(missing) in got["unrendered"]
    spec = load_bundle("amsynth").card.spec
    assert [r["name"] for r in got["params"]] == spec.names
    assert got["note_detail"]["rendered_at"] == 57  # the detected A3 is still placed
    for p, row in zip(spec.params, got["params"], strict=True):
        if p.kind != "categorical":
            assert p.min - 1e-3 <= row["value"] <= p.max + 1e-3
    for needed in ("re-rendering", "the search need the plug-in", "apt install amsynth"):
        assert needed in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in read_bank(bank)] == ["tone match"]  # the preset needs no plug-in
    assert not out.exists()  # the match's audio and picture would need it

    text = _match(str(path), "--plugin", str(missing), "--budget-s", "0")
    assert text.returncode == 0, text.stderr
    assert (
        "amsynth (amsynth): the model's one-shot answer, not rendered (no plug-in)" in text.stdout
    )
    assert "osc1_waveform" in text.stdout or "amp_attack" in text.stdout
