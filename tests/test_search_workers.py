"""Searching with renders in worker processes: crashed, hung and killed workers never end it."""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from search_fakes import FixedModel

from patchflow.search import (
    LsdScorer,
    MssScorer,
    PoolRenderer,
    SearchBudget,
    SearchConfig,
    Searcher,
    open_renderer,
)
from patchflow.synths.kosc import KOsc, kosc_spec

SPEC = kosc_spec(4)


class FlakyKOsc(KOsc):
    """k-osc that crashes its process (or hangs) on its ``fail_at``-th render, once per marker."""

    def __init__(self, fail_at: int, mode: str, marker: str) -> None:
        super().__init__(k=4)
        self.fail_at, self.mode, self.marker, self.calls = fail_at, mode, Path(marker), 0

    def render(self, params, notes=None):
        self.calls += 1
        if self.calls == self.fail_at and not self.marker.exists():
            self.marker.touch()
            if self.mode == "crash":
                os._exit(3)
            time.sleep(3600)
        return super().render(params, notes)


def flaky_kosc(fail_at: int, mode: str, marker: str) -> FlakyKOsc:
    return FlakyKOsc(fail_at, mode, marker)


@pytest.fixture(scope="module")
def pool():
    with PoolRenderer.for_synth(SPEC, "kosc", workers=2, k=4) as renderer:
        yield renderer


def _audio(seed: int) -> np.ndarray:
    return KOsc(k=4).render(SPEC.sample(np.random.default_rng(seed), 1))[0]


def _run(renderer, renders: int, on_step=None):
    searcher = Searcher(SPEC, renderer, config=SearchConfig(proposals=8, batch=4, population=8))
    budget = SearchBudget(seconds=math.inf, renders=renders)
    steps = []
    for step in searcher.run(_audio(0), 44100, budget=budget):
        steps.append(step)
        if on_step is not None:
            on_step(step)
    return steps


@pytest.mark.parametrize("mode", ["crash", "hang"])
def test_failing_workers_are_replaced_and_the_search_finishes(mode, tmp_path):
    kwargs = {"fail_at": 3, "mode": mode, "marker": str(tmp_path / "failed")}
    with PoolRenderer(SPEC, flaky_kosc, kwargs, workers=2, timeout_s=1.0) as renderer:
        steps = _run(renderer, renders=25)
    assert steps[-1].final and steps[-1].renders == 25
    assert renderer.failures == 1  # one worker failed on its 3rd render, was replaced, retried
    assert math.isfinite(steps[-1].best.score)


def test_pool_renders_what_the_synth_renders(pool):
    native = SPEC.sample(np.random.default_rng(3), 5)
    batch = pool.render(native)
    assert batch.ok.all()
    np.testing.assert_array_equal(batch.audio, KOsc(k=4).render(native))


def test_pool_workers_score_what_the_scorer_gives_their_renders(pool):
    native = SPEC.sample(np.random.default_rng(4), 6)
    scorer = LsdScorer(_audio(1))
    scored = pool.score(native, scorer)
    assert scored.ok.all()
    np.testing.assert_allclose(scored.scores, scorer(pool.render(native).audio), rtol=1e-12)
    cancelled = threading.Event()
    cancelled.set()
    nothing = pool.score(native, scorer, cancelled)
    assert not nothing.ok.any() and np.isinf(nothing.scores).all()


def test_a_worker_killed_mid_search_is_replaced(pool):
    killed = []

    def kill_one(step):
        if not killed and step.renders > 1:
            child = multiprocessing.active_children()[0]
            os.kill(child.pid, signal.SIGKILL)
            child.join(timeout=10.0)  # dead before the search renders again
            killed.append(child.pid)

    steps = _run(pool, renders=60, on_step=kill_one)
    assert killed and killed[0] not in [c.pid for c in multiprocessing.active_children()]
    assert pool.render(SPEC.sample(np.random.default_rng(0), 3)).ok.all()
    assert steps[-1].final and steps[-1].renders == 57  # 1 + 8 proposals + 6 generations of 8


AMSYNTH = Path("/usr/lib/vst/amsynth_vst.so")


@pytest.mark.amsynth
@pytest.mark.needs("amsynth")
def test_amsynth_search_finds_a_rendered_patch_at_its_note():
    from patchflow.spec import load_spec

    spec = load_spec("amsynth")
    with open_renderer(spec, workers=1) as renderer:
        exact = spec.with_note(spec.snap_fixed(spec.defaults()[None]), 57)  # a plain saw
        target = renderer.render(exact).audio[0]
        searcher = Searcher(spec, renderer, config=SearchConfig(proposals=3, population=4))
        budget = SearchBudget(seconds=math.inf, renders=8)
        steps = list(searcher.run(target, spec.sample_rate, budget=budget))
        again = renderer.render(exact).audio  # after other renders: the same audio
        answer = renderer.render(steps[-1].best.native[None].astype(np.float64)).audio
        scorer = MssScorer(target, spec.sample_rate)
        in_worker = renderer.score(exact, scorer).scores  # scored in the worker, pickled there
    final = steps[-1]
    # 1 + 3 proposals + 1 generation of 4 would be 8: each new best by the stereo mix's
    # distance (the ranker) is rendered again for its real distance, and those count
    assert final.final and final.renders <= 8 and final.scorer == "mss"
    # what is reported is the real (stereo) distance of the answer, not the ranker's (the
    # answer's float32 values render within a few thousandths of the searched patch)
    np.testing.assert_allclose(final.best.score, scorer(answer)[0], atol=0.02)
    assert final.note is not None and final.note.note == 57
    assert final.best.native[spec.note_index] == 57
    assert math.isfinite(final.best.score) and final.best.score < steps[0].best.score + 1e-9
    assert scorer(again)[0] < 0.5
    np.testing.assert_allclose(in_worker, scorer(again), atol=1e-3)  # the same patch, re-rendered


@pytest.mark.amsynth
@pytest.mark.needs("amsynth")
def test_choice_sweep_finds_the_waveform_a_continuous_search_cannot_reach():
    from patchflow.spec import load_spec

    spec = load_spec("amsynth")
    j = spec.names.index("osc1_waveform")
    exact = spec.with_note(spec.snap_fixed(spec.defaults()[None]), 57)
    exact[0, j] = spec.params[j].choices.index("square / pulse")
    wrong = exact.copy()
    wrong[0, j] = spec.params[j].choices.index("sine")
    with open_renderer(spec, workers=2) as renderer:
        target = renderer.render(exact).audio[0]
        model = FixedModel(spec.encode(wrong)[0])
        config = SearchConfig(proposals=0, population=4, choice_every=1)
        budget = SearchBudget(seconds=math.inf, renders=40)
        steps = list(Searcher(spec, renderer, predictor=model, config=config).run(
            target, spec.sample_rate, budget=budget))  # fmt: skip
    assert steps[0].best.native[j] == wrong[0, j] and steps[0].best.score > 1.0
    assert steps[-1].best.native[j] == exact[0, j]
    assert steps[-1].best.score < 0.5
