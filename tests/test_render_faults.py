"""Dataset rendering survives synths that crash, hang or raise on particular patches.

The faulty synths wrap k-osc and misbehave on one item's first draw. Render workers are spawned
processes, so the synth is passed as a module-level factory (``render_dataset(synth_factory=)``)
that the workers import from this module.
"""

from __future__ import annotations

import logging
import os
import time

import h5py
import numpy as np
import pytest

from patchflow.data.render import RenderConfig, RenderError, item_rng, render_chunk, render_dataset
from patchflow.data.workers import WorkerInitError, WorkerPool
from patchflow.synths.kosc import KOsc

POISON_ITEM = 3


class FaultySynth:
    """k-osc that crashes, hangs or raises when asked to render ``POISON_ITEM``'s first draw."""

    def __init__(self, config: RenderConfig, mode: str) -> None:
        self.inner = KOsc(k=config.k)
        self.spec = self.inner.spec
        self.sample_rate, self.channels = self.inner.sample_rate, self.inner.channels
        self.num_samples = self.inner.num_samples
        self.poison = self.spec.sample(item_rng(config.seed, POISON_ITEM, 0), 1)[0]
        self.mode = mode

    def render(self, params: np.ndarray, notes: object = None) -> np.ndarray:
        for row in np.atleast_2d(params):
            if self.mode == "always" or np.array_equal(row, self.poison):
                if self.mode == "crash":
                    os._exit(3)
                if self.mode == "hang":
                    time.sleep(3600)
                raise RuntimeError("synth refused this patch")
        return self.inner.render(params)


def make_crashing(config: RenderConfig) -> FaultySynth:
    return FaultySynth(config, "crash")


def make_hanging(config: RenderConfig) -> FaultySynth:
    return FaultySynth(config, "hang")


def make_always_failing(config: RenderConfig) -> FaultySynth:
    return FaultySynth(config, "always")


def make_unloadable(config: RenderConfig) -> FaultySynth:
    raise RuntimeError("plugin file is corrupt")


def _clean(config: RenderConfig, redrawn: dict[int, int]) -> dict[str, np.ndarray]:
    """What the file must hold: a clean in-process render with the given redraws."""
    synth = KOsc(k=config.k)
    chunks = [
        render_chunk(config, start, min(start + config.chunk_size, config.count), synth, redrawn)
        for start in range(0, config.count, config.chunk_size)
    ]
    return {
        "native": np.concatenate([c.native for c in chunks]),
        "features": np.concatenate([c.features for c in chunks]),
        "attempts": np.concatenate([c.attempts for c in chunks]),
    }


def _read(path: object) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as f:
        return {k: f[k][:] for k in ("native", "features", "attempts")}


def test_crashing_item_is_skipped_redrawn_and_logged(tmp_path, caplog):
    config = RenderConfig(synth="kosc", k=2, count=4, chunk_size=2, seed=7)
    with caplog.at_level(logging.WARNING, logger="patchflow.data.render"):
        path = render_dataset(config, tmp_path / "d.h5", workers=2, synth_factory=make_crashing)
    got, want = _read(path), _clean(config, {POISON_ITEM: 1})
    np.testing.assert_array_equal(got["attempts"], [1, 1, 1, 2])
    for key in got:
        np.testing.assert_array_equal(got[key], want[key])
    redraw = KOsc(k=2).spec.sample(item_rng(7, POISON_ITEM, 1), 1)[0]
    np.testing.assert_allclose(got["native"][POISON_ITEM], redraw, rtol=1e-6)
    assert "splitting" in caplog.text and f"item {POISON_ITEM}: draw 0 failed" in caplog.text
    assert not (tmp_path / "d.h5.partial").exists()


def test_hanging_item_is_killed_and_redrawn(tmp_path, caplog):
    config = RenderConfig(synth="kosc", k=2, count=4, chunk_size=1, seed=3, timeout_s=1.0)
    with caplog.at_level(logging.WARNING, logger="patchflow.data.render"):
        path = render_dataset(config, tmp_path / "d.h5", workers=2, synth_factory=make_hanging)
    got, want = _read(path), _clean(config, {POISON_ITEM: 1})
    np.testing.assert_array_equal(got["attempts"], [1, 1, 1, 2])
    np.testing.assert_array_equal(got["native"], want["native"])
    assert "hang" in caplog.text


def test_synth_failing_on_every_draw_stops_with_a_clear_error(tmp_path):
    config = RenderConfig(synth="kosc", k=2, count=1, chunk_size=1, max_attempts=2)
    with pytest.raises(RenderError, match="item 0 failed on 2 different draws"):
        render_dataset(config, tmp_path / "d.h5", workers=2, synth_factory=make_always_failing)
    assert (tmp_path / "d.h5.partial" / "config.json").exists()  # the same command resumes


def test_worker_start_up_failure_is_reported(tmp_path):
    config = RenderConfig(synth="kosc", k=2, count=2, chunk_size=1)
    with pytest.raises(RenderError, match="plugin file is corrupt"):
        render_dataset(config, tmp_path / "d.h5", workers=2, synth_factory=make_unloadable)


def _square(x: int) -> int:
    return x * x


def _die(code: int) -> None:
    os._exit(code)


def test_worker_pool_isolates_a_dead_worker():
    with WorkerPool(2, timeout_s=30.0) as pool:
        for x in range(4):
            pool.submit(("square", x), _square, x)
        pool.submit("die", _die, 5)
        results = {r.key: r for r in pool.results()}
        assert results["die"].kind == "crash" and "exit code 5" in results["die"].error
        assert {results[("square", x)].value for x in range(4)} == {0, 1, 4, 9}
        pool.submit("after", _square, 6)  # the replaced worker keeps serving
        assert [r.value for r in pool.results()] == [36]


def test_worker_pool_reports_initializer_errors():
    with WorkerPool(1, _die_in_init, ()) as pool:
        pool.submit("x", _square, 2)
        with pytest.raises(WorkerInitError, match="ValueError: no plugin"):
            list(pool.results())


def _die_in_init() -> None:
    raise ValueError("no plugin")


def _environ(key: str) -> str | None:
    return os.environ.get(key)


def test_workers_run_single_threaded_blas_and_leave_the_parent_as_it_was(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "8")
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    with WorkerPool(1, timeout_s=30.0) as pool:
        pool.submit("blas", _environ, "OPENBLAS_NUM_THREADS")
        pool.submit("mkl", _environ, "MKL_NUM_THREADS")
        got = {r.key: r.value for r in pool.results()}
    assert got == {"blas": "1", "mkl": "1"}
    assert os.environ["OPENBLAS_NUM_THREADS"] == "8" and "MKL_NUM_THREADS" not in os.environ
    with WorkerPool(1, timeout_s=30.0, env={"OPENBLAS_NUM_THREADS": "3"}) as pool:
        pool.submit("blas", _environ, "OPENBLAS_NUM_THREADS")
        assert [r.value for r in pool.results()] == ["3"]
