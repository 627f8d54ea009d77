"""Dataset rendering: determinism, worker independence, resume after a kill, HDF5 layout."""

import json
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from patchflow.data.dataset import DatasetError, SynthDataset
from patchflow.data.render import RenderConfig, RenderError, render_dataset
from patchflow.data.stream import KOscStream


def _arrays(path):
    ds = SynthDataset.load(path)
    return ds.params, ds.features, ds.audio, ds.stats


def test_same_seed_same_contents_any_worker_count(tmp_path):
    config = RenderConfig(count=300, seed=7, chunk_size=64, store_audio=True)
    a = render_dataset(config, tmp_path / "a.h5", workers=1)
    b = render_dataset(config, tmp_path / "b.h5", workers=2)
    for x, y in zip(_arrays(a)[:3], _arrays(b)[:3], strict=True):
        np.testing.assert_array_equal(x, y)
    other = render_dataset(RenderConfig(count=300, seed=8, chunk_size=64), tmp_path / "c.h5")
    assert not np.array_equal(_arrays(a)[0], _arrays(other)[0])


def test_layout_and_contents(tmp_path):
    path = render_dataset(
        RenderConfig(count=50, k=3, chunk_size=16, store_audio=True), tmp_path / "d.h5"
    )
    ds = SynthDataset.load(path)
    assert len(ds) == 50 and ds.params.shape == (50, 9) and ds.features.shape == (50, 1, 513)
    assert ds.audio.shape == (50, 1, 1024)
    assert ds.spec.synth == "kosc3" and ds.render_config.count == 50
    assert np.abs(ds.params).max() <= 1.0
    # features are the |rFFT| of the stored audio, audio is the render of the stored params
    from patchflow.features import FeatureExtractor
    from patchflow.synths.kosc import KOsc

    np.testing.assert_allclose(
        FeatureExtractor(ds.feature_config)(ds.audio), ds.features, atol=1e-6
    )
    # params are stored as float32, so the re-rendered phase drifts by ~1e-4 over 1024 samples
    np.testing.assert_allclose(KOsc(k=3).render_encoded(ds.params), ds.audio, atol=1e-3)
    np.testing.assert_allclose(ds.stats.mean[0], ds.features.mean(axis=0)[0], atol=1e-5)

    with h5py.File(path) as f:
        # contiguous, so that training memory-maps large sets (train/data.py)
        assert f["features"].chunks is None and f["features"].id.get_offset() is not None
        assert json.loads(f.attrs["spec"])["synth"] == "kosc3"


def test_existing_file_with_other_settings_is_refused(tmp_path):
    path = render_dataset(RenderConfig(count=20, chunk_size=10), tmp_path / "e.h5")
    assert render_dataset(RenderConfig(count=20, chunk_size=10), path) == path  # no-op
    with pytest.raises(RenderError, match="different settings"):
        render_dataset(RenderConfig(count=20, chunk_size=10, seed=3), path)


def test_killed_render_resumes_to_identical_file(tmp_path):
    args = ["--synth", "kosc", "--count", "6000", "--chunk-size", "200", "--seed", "3"]
    full = tmp_path / "full.h5"
    cut = tmp_path / "cut.h5"
    cmd = [sys.executable, "-m", "patchflow", "dataset", "render", *args]
    proc = subprocess.Popen(
        [*cmd, "--out", str(cut)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    parts = tmp_path / "cut.h5.partial"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(parts.glob("chunk-*.npz"))) < 3:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_done = len(list(parts.glob("chunk-*.npz")))
    assert 3 <= n_done < 30 and not cut.exists(), "the kill must land part-way"
    subprocess.run([*cmd, "--out", str(cut)], check=True, capture_output=True)
    subprocess.run([*cmd, "--out", str(full), "--workers", "2"], check=True, capture_output=True)
    assert not parts.exists()
    for x, y in zip(_arrays(cut)[:2], _arrays(full)[:2], strict=True):
        np.testing.assert_array_equal(x, y)


def test_resume_with_different_settings_is_refused(tmp_path):
    out = tmp_path / "f.h5"
    parts = tmp_path / "f.h5.partial"
    parts.mkdir()
    (parts / "config.json").write_text(json.dumps(RenderConfig(count=10, seed=1).content_key()))
    with pytest.raises(RenderError, match="different settings"):
        render_dataset(RenderConfig(count=10, seed=2), out)


def test_missing_or_foreign_file(tmp_path):
    with pytest.raises(DatasetError, match="no such dataset"):
        SynthDataset.load(tmp_path / "nope.h5")

    with h5py.File(tmp_path / "x.h5", "w") as f:
        f["a"] = 1
    with pytest.raises(DatasetError, match="not a patchflow dataset"):
        SynthDataset.load(tmp_path / "x.h5")


def test_stream_is_deterministic_and_split_disjoint():
    a, b = KOscStream(k=4, batch_size=16, seed=5), KOscStream(k=4, batch_size=16, seed=5)
    np.testing.assert_array_equal(a.batch(3).params, b.batch(3).params)
    assert not np.array_equal(a.batch(3).params, a.batch(4).params)
    assert not np.array_equal(a.batch(3).params, a.batch(3, split=1).params)
    batch = a.batch(0)
    from patchflow.synths.kosc import KOsc

    np.testing.assert_allclose(KOsc(k=4).render_encoded(batch.params), batch.audio, atol=1e-3)
