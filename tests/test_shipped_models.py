"""The model bundles shipped in models/: complete cards, the size cap, and real matches.

Every bundle loads through the integrity checks, describes how it was made, and answers a match.
The amsynth model is checked against the real plug-in: its matches of amsynth sounds, re-rendered
by amsynth, are closer to the targets than random patches are (fixed seeds, so deterministic).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from patchflow.bundle import load_bundle
from patchflow.inference import Predictor

MODELS = Path(__file__).resolve().parents[1] / "models"
BUNDLES = sorted(p.parent.name for p in MODELS.glob("*/card.json"))
MAX_BUNDLE_BYTES = 25 * 1024 * 1024
MIN_RMS_DB = -50.0  # the loudness floor of `patchflow dataset render` (the training data's)


def needs_amsynth(test):
    """Real amsynth renders: the plug-in and DawDreamer (required in CI, tests/conftest.py)."""
    return pytest.mark.amsynth(pytest.mark.needs("amsynth")(test))


def test_the_default_and_the_amsynth_models_are_shipped() -> None:
    assert {"kosc4", "amsynth", "amsynth-regression"} <= set(BUNDLES)


@pytest.mark.parametrize("name", BUNDLES)
def test_bundle_card_is_complete_and_small(name: str) -> None:
    folder = MODELS / name
    size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    assert size < MAX_BUNDLE_BYTES, f"{name}: {size / 1e6:.1f} MB"
    card = json.loads((folder / "card.json").read_text())
    assert card["name"] == name
    assert card["training"]["command"].startswith("patchflow train ")
    assert card["data_recipe"], "the data recipe that made the training set"
    evaluation = card["metrics"]["evaluation"]
    assert evaluation["metrics"], "the evaluation the bundle was shipped with"
    assert (folder / "README.md").exists()


@pytest.mark.parametrize("name", BUNDLES)
def test_bundle_loads_and_matches_a_tone(name: str) -> None:
    bundle = load_bundle(MODELS / name, threads=1)
    predictor = Predictor(bundle)
    card = bundle.card
    sr = card.sample_rate
    t = np.arange(sr) / sr
    tone = (0.4 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)[None]
    pred = predictor.predict(tone, sr)  # the bundle's own defaults (fused sampler when it has one)
    assert pred.native.shape == (1, card.spec.num_params)
    assert ((pred.unit >= 0) & (pred.unit <= 1)).all()
    for p, value in zip(card.spec.params, pred.native[0], strict=True):
        if p.kind == "categorical":
            assert value in range(p.width), p.name
        else:
            assert p.min - 1e-6 <= value <= p.max + 1e-6, p.name


def _audible(synth, seed: int, n: int) -> np.ndarray:
    """``n`` renders of patches drawn from the spec, keeping those the datasets would keep."""
    from patchflow.data.render import rms_db

    audio = synth.render(synth.spec.sample(np.random.default_rng(seed), 3 * n))
    kept = audio[rms_db(audio) >= MIN_RMS_DB]
    assert len(kept) >= n, f"only {len(kept)} of {3 * n} renders are audible"
    return kept[:n]


@needs_amsynth
def test_amsynth_match_cli_renders_the_patch_with_amsynth(tmp_path: Path) -> None:
    from patchflow.synths.registry import create_synth

    synth = create_synth("amsynth")
    try:
        target = _audible(synth, 5, 1)[0]  # (C, T)
    finally:
        synth.close()
    path = tmp_path / "amsynth-target.wav"
    sf.write(path, target.T, synth.spec.sample_rate)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "patchflow", "match", str(path), "--model", "amsynth"]
    done = subprocess.run(
        [*cmd, "--out", str(out)], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "filter_cutoff" in done.stdout
    match, rate = sf.read(out / "amsynth-target.match.wav", always_2d=True)
    assert rate == synth.spec.sample_rate
    assert match.shape[0] == target.shape[1] and np.abs(match).max() > 1e-3


# synth id -> the machine part its renders need (tests/conftest.py); k-osc needs none
SYNTH_PARTS = {"amsynth": "amsynth", "surge_simple": "surge"}


def _with_part(name: str) -> object:
    card = json.loads((MODELS / name / "card.json").read_text())
    part = SYNTH_PARTS.get(card["synth"]["id"])
    return name if part is None else pytest.param(name, marks=pytest.mark.needs(part))


@pytest.mark.parametrize("name", [_with_part(n) for n in BUNDLES])
def test_every_shipped_bundle_beats_random_patches(name: str) -> None:
    """Each bundle's matches of its synth's sounds, re-rendered, are closer to them than random
    patches are: a broken export (or a model that learned nothing) cannot ship. k-osc bundles
    are scored with the log-spectral distance (its clips are 23 ms), plug-in synths with the
    multi-scale spectral distance; fixed seeds, so the outcome is deterministic."""
    from patchflow.metrics.audio import multiscale_spectral_distance
    from patchflow.metrics.kosc import log_spectral_distance
    from patchflow.synths.registry import create_synth

    bundle = load_bundle(MODELS / name, threads=1)
    predictor = Predictor(bundle)
    card = bundle.card
    items = 32 if card.synth_id == "kosc" else 12
    distance = log_spectral_distance if card.synth_id == "kosc" else multiscale_spectral_distance
    with create_synth(card.synth_id, **card.synth_options) as synth:
        spec = synth.spec
        assert spec.names == card.spec.names, "the bundle's spec is its synth's"
        targets = _audible(synth, 11, items)  # (N, C, T)
        matched = [
            predictor.predict(audio, spec.sample_rate, seed=i).native[0]
            for i, audio in enumerate(targets)
        ]
        recon = synth.render(np.stack(matched))
        random_audio = synth.render(spec.sample(np.random.default_rng(12), items))
    match_d = distance(recon, targets)
    random_d = distance(random_audio, targets)
    assert match_d.shape == (items,) and np.isfinite(match_d).all()
    assert match_d.mean() < random_d.mean(), (name, match_d.mean(), random_d.mean())
