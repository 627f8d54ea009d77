"""The search engine on k-osc: known answers, refinement, determinism, cancellation, scorers."""

from __future__ import annotations

import itertools
import math
import pickle
import threading

import numpy as np
import pytest
from search_fakes import FixedModel

from patchflow.metrics.audio import multiscale_spectral_distance
from patchflow.metrics.kosc import log_spectral_distance
from patchflow.search import (
    LsdScorer,
    MssScorer,
    SearchBudget,
    SearchConfig,
    Searcher,
    SmoothLsdScorer,
    open_renderer,
)
from patchflow.search.notes import finalize
from patchflow.search.proposals import PROPOSAL_STREAM
from patchflow.search.renderers import SynthRenderer
from patchflow.search.scoring import ranker_for
from patchflow.search.searcher import prepare_target
from patchflow.spec import spec_from_dict
from patchflow.synths.kosc import KOsc, kosc_spec

SPEC = kosc_spec(4)
UNLIMITED = math.inf


def _target(native: np.ndarray) -> np.ndarray:
    return KOsc(k=4).render(np.atleast_2d(native))[0]  # (1, 1024)


def _search(audio, *, renders, seed=0, predictor=None, config=None, cancel=None, top_k=4):
    with open_renderer(SPEC) as renderer:
        searcher = Searcher(SPEC, renderer, predictor=predictor, config=config)
        budget = SearchBudget(seconds=UNLIMITED, renders=renders)
        return list(searcher.run(audio, 44100, budget=budget, seed=seed, cancel=cancel,
                                 top_k=top_k))  # fmt: skip


def test_exact_patch_among_prior_proposals_is_found():
    config = SearchConfig(proposals=24, batch=8)
    prior = SPEC.encode(SPEC.sample(np.random.default_rng([3, PROPOSAL_STREAM]), 24))
    exact = finalize(SPEC, prior[17:18], None)[0]
    steps = _search(_target(exact), renders=1 + 24, seed=3, config=config)
    final = steps[-1]
    assert final.final and final.stage == "proposals" and final.renders == 25
    assert final.best.score < 0.05  # dB; the same patch up to float32 rounding
    np.testing.assert_allclose(final.best.native, exact, rtol=1e-4, atol=1e-3)
    assert steps[0].stage == "model" and not steps[0].final
    scores = [c.score for c in final.candidates]
    assert len(scores) == 4 and scores == sorted(scores) and scores[0] == final.best.score


def test_improvements_only_improve_and_end_with_one_final():
    steps = _search(_target(SPEC.sample(np.random.default_rng(1), 1)), renders=300)
    scores = [s.best.score for s in steps[:-1]]
    assert all(b < a for a, b in itertools.pairwise(scores))
    assert [s.final for s in steps].count(True) == 1 and steps[-1].final
    renders = [s.renders for s in steps]
    assert renders == sorted(renders) and renders[-1] <= 300


def test_refinement_improves_a_perturbed_exact_patch():
    rng = np.random.default_rng(7)
    exact = SPEC.sample(rng, 1)
    start = SPEC.encode(exact)[0] + rng.normal(0, 0.02, SPEC.dim)
    model = FixedModel(np.clip(start, -1, 1))
    steps = _search(_target(exact), renders=600, predictor=model,
                    config=SearchConfig(proposals=0, sigma=0.02))  # fmt: skip
    one_shot, final = steps[0], steps[-1]
    assert one_shot.stage == "model"
    assert final.stage == "refine"
    assert final.best.score < 0.5 * one_shot.best.score


def test_regression_proposals_are_jittered_point_estimates():
    exact = SPEC.sample(np.random.default_rng(2), 1)
    model = FixedModel(SPEC.encode(exact)[0])
    steps = _search(_target(exact), renders=1, predictor=model)
    assert steps[-1].best.score < 0.05  # the one-shot answer is the point estimate itself
    steps = _search(_target(exact), renders=17, predictor=model)
    assert steps[-1].renders == 17 and len(steps[-1].candidates) == 4


def test_same_seed_and_render_budget_give_the_same_patch():
    audio = _target(SPEC.sample(np.random.default_rng(11), 1))
    a = _search(audio, renders=250, seed=5)
    b = _search(audio, renders=250, seed=5)
    c = _search(audio, renders=250, seed=6)
    assert [s.best.score for s in a] == [s.best.score for s in b]
    np.testing.assert_array_equal(a[-1].best.native, b[-1].best.native)
    assert a[-1].renders == b[-1].renders == 1 + 128 + 7 * 16  # one-shot, proposals, CMA-ES
    assert not np.array_equal(a[-1].best.native, c[-1].best.native)


def test_slot_crossovers_run_and_stay_deterministic():
    audio = _target(SPEC.sample(np.random.default_rng(12), 1))
    config = SearchConfig(proposals=16, crossover_every=2, crossover_pool=3)
    a = _search(audio, renders=400, seed=1, config=config)
    b = _search(audio, renders=400, seed=1, config=config)
    assert a[-1].final and a[-1].renders <= 400 and a[-1].best.score < a[0].best.score
    np.testing.assert_array_equal(a[-1].best.native, b[-1].best.native)


def test_frequency_scans_move_a_misplaced_oscillator_and_stay_deterministic():
    exact = SPEC.sample(np.random.default_rng(13), 1)
    exact[0, 4:8] = [0.9, 0.8, 0.7, 0.6]  # every oscillator clearly audible
    wrong = exact.copy()
    wrong[0, 1] = exact[0, 1] + (900.0 if exact[0, 1] < 2000 else -900.0)  # hundreds of Hz off
    model = FixedModel(SPEC.encode(wrong)[0])
    config = SearchConfig(proposals=0, sigma=0.005, scan_every=1, scan_points=256,
                          scan_local=64, scan_redraw=0.0)  # fmt: skip
    a = _search(_target(exact), renders=1500, predictor=model, config=config)
    b = _search(_target(exact), renders=1500, predictor=model, config=config)
    np.testing.assert_array_equal(a[-1].best.native, b[-1].best.native)
    found = a[-1].best.native
    assert a[-1].best.score < 0.5 * a[0].best.score
    # some oscillator now sits where the misplaced one belongs (slots are interchangeable)
    assert np.min(np.abs(found[:4] - exact[0, 1])) < 5.0, (found, exact)


def test_scan_settings_are_checked():
    with pytest.raises(ValueError, match="scan_points"):
        SearchConfig(scan_every=1, scan_points=0)
    with pytest.raises(ValueError, match="scan_redraw"):
        SearchConfig(scan_redraw=1.5)


def test_one_shot_budget_gives_the_model_answer():
    audio = _target(SPEC.sample(np.random.default_rng(4), 1))
    with open_renderer(SPEC) as renderer:
        steps = list(Searcher(SPEC, renderer).run(audio, 44100, budget=SearchBudget(0.0)))
    assert [s.stage for s in steps] == ["model", "model"] and steps[-1].final
    assert steps[-1].renders == 1 and math.isfinite(steps[-1].best.score)
    np.testing.assert_array_equal(steps[0].best.native, steps[-1].best.native)


def test_cancel_stops_within_one_batch_of_renders():
    audio = _target(SPEC.sample(np.random.default_rng(9), 1))
    cancel = threading.Event()
    config = SearchConfig(population=16)
    with open_renderer(SPEC) as renderer:
        run = Searcher(SPEC, renderer, config=config).run(
            audio, 44100, budget=SearchBudget(seconds=UNLIMITED, renders=100_000), cancel=cancel
        )
        at_cancel = None
        steps = []
        for step in run:
            steps.append(step)
            if step.stage == "refine" and at_cancel is None:
                cancel.set()
                at_cancel = step.renders
    assert at_cancel is not None and steps[-1].final
    assert steps[-1].renders <= at_cancel + 16  # at most the generation already asked for


def test_cancel_before_start_gives_the_one_shot_answer():
    cancel = threading.Event()
    cancel.set()
    steps = _search(_target(SPEC.sample(np.random.default_rng(9), 1)), renders=500, cancel=cancel)
    assert len(steps) == 2 and steps[-1].final and steps[-1].renders == 1


def test_bad_budget_is_refused():
    with pytest.raises(ValueError, match="seconds"):
        SearchBudget(seconds=-1.0)
    with pytest.raises(ValueError, match="renders"):
        SearchBudget(renders=-1)


def test_lsd_scorer_is_the_kosc_metric():
    rng = np.random.default_rng(0)
    target = _target(SPEC.sample(rng, 1))
    audio = KOsc(k=4).render(SPEC.sample(rng, 5))
    expected = log_spectral_distance(audio, np.repeat(target[None], 5, axis=0))
    np.testing.assert_allclose(LsdScorer(target)(audio), expected, rtol=1e-9)


def test_smooth_lsd_guide_has_a_basin_where_lsd_has_a_spike():
    exact = np.array([[227.3, 403.6, 1857.1, 3140.0, 0.3, 1.0, 0.9, 0.6, -0.8, 0.4, 0.6, 0.7]])
    target = _target(exact)
    offsets_hz = np.arange(-15.0, 16.0)
    natives = np.repeat(exact, len(offsets_hz), axis=0)
    natives[:, 2] += offsets_hz
    audio = KOsc(k=4).render(natives)
    guide, real = SmoothLsdScorer(target)(audio), LsdScorer(target)(audio)
    middle = len(offsets_hz) // 2
    assert guide[middle] < 1e-3 and real[middle] < 1e-3
    # the guide falls all the way in from 15 Hz on either side; the real LSD does not
    assert np.all(np.diff(guide[: middle + 1]) < 0) and np.all(np.diff(guide[middle:]) > 0)
    assert not np.all(np.diff(real[: middle + 1]) < 0)


def test_mss_scorer_is_the_evaluation_metric():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 22050, dtype=np.float32)
    target = (rng.standard_normal((2, 22050)) * t).astype(np.float32)
    audio = (rng.standard_normal((3, 2, 22050)) * t[::-1]).astype(np.float32)
    audio[0] = target
    audio[1] *= 1e-3  # the metric ignores gain
    expected = multiscale_spectral_distance(audio, np.repeat(target[None], 3, axis=0), 22050)
    np.testing.assert_allclose(MssScorer(target, 22050)(audio), expected, atol=1e-3)
    assert MssScorer(target, 22050)(target[None])[0] == 0.0
    # the mix's distance: the metric on the channels' means, blind to a swap of the channels
    mix = MssScorer(target, 22050, mix=True)
    mono = multiscale_spectral_distance(
        audio.mean(axis=1, keepdims=True), np.repeat(target.mean(axis=0)[None, None], 3, axis=0),
        22050,
    )  # fmt: skip
    np.testing.assert_allclose(mix(audio), mono, atol=1e-3)
    assert mix.name == "mss-mix" and mix(target[None, ::-1])[0] == 0.0
    assert MssScorer(target, 22050)(target[None, ::-1])[0] > 1.0


@pytest.mark.parametrize("mix", [False, True])
def test_mss_scorer_pickles_as_its_target_features(mix: bool) -> None:
    rng = np.random.default_rng(1)
    target = rng.standard_normal((2, 22050)).astype(np.float32)
    audio = rng.standard_normal((2, 2, 22050)).astype(np.float32)
    scorer = MssScorer(target, 22050, mix=mix)
    payload = pickle.dumps(scorer)
    assert len(payload) < (110_000 if mix else 200_000)  # the features, not the filterbanks
    copy = pickle.loads(payload)
    np.testing.assert_array_equal(copy(audio), scorer(audio))
    assert repr(copy) == f"MssScorer(sample_rate=22050, mix={mix})" and copy.name == scorer.name


def test_ranker_is_the_mix_distance_for_long_multichannel_targets_only() -> None:
    stereo = np.zeros((2, 22050), np.float32)
    ranker = ranker_for(stereo, 22050)
    assert isinstance(ranker, MssScorer) and ranker.mix
    assert ranker_for(stereo[:1], 22050) is None  # mono: the mix is the real distance
    assert ranker_for(np.zeros((2, 1024), np.float32), 16000) is None  # k-osc clips: LSD


def test_search_imports_without_torch_or_scipy():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for m in ('torch', 'scipy', 'matplotlib', 'h5py'): sys.modules[m] = None\n"
        "import patchflow.search, patchflow.search.searcher, patchflow.commands.match\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


class _StereoTones:
    """A toy stereo synth for long clips: a left tone and a right tone, each at its own pitch."""

    spec = spec_from_dict(
        {
            "format": "patchflow-spec",
            "format_version": 1,
            "synth": "stereo-tones",
            "version": 1,
            "render": {"sample_rate": 8000, "channels": 2, "duration_s": 0.75},
            "params": [
                {"name": "left_hz", "kind": "continuous", "min": 200, "max": 800, "unit": "Hz"},
                {"name": "right_hz", "kind": "continuous", "min": 200, "max": 800, "unit": "Hz"},
            ],
        }
    )
    sample_rate, channels, num_samples = 8000, 2, 6000

    def render(self, native: np.ndarray, notes: object = None) -> np.ndarray:
        t = np.arange(self.num_samples) / self.sample_rate
        phase = 2 * np.pi * np.asarray(native, np.float64)[:, :, None] * t  # (N, 2, T)
        return (0.3 * np.sin(phase) * np.exp(-2 * t)).astype(np.float32)


@pytest.mark.parametrize("rank_by_mix", [True, False])
def test_a_stereo_search_reports_the_two_channel_distance_of_its_answers(rank_by_mix: bool):
    synth = _StereoTones()
    target = synth.render(np.array([[330.0, 550.0]]))[0]
    config = SearchConfig.for_spec(synth.spec, proposals=16, rank_by_mix=rank_by_mix)
    seen: list[str] = []

    class Recording(SynthRenderer):
        def score(self, native, scorer, cancel=None):
            seen.append(scorer.name)
            return super().score(native, scorer, cancel)

    with Recording(synth) as renderer:
        real = MssScorer(prepare_target(target, synth.sample_rate, renderer), synth.sample_rate)
        searcher = Searcher(synth.spec, renderer, config=config)
        budget = SearchBudget(UNLIMITED, renders=120)
        steps = list(searcher.run(target, synth.sample_rate, budget=budget, seed=2))
    final = steps[-1]
    assert final.final and final.renders <= 120 and final.scorer == "mss"
    scores = [s.best.score for s in steps]
    assert all(b < a for a, b in itertools.pairwise(scores[:-1])) and scores[-1] <= scores[-2]
    for candidate in (final.best, *final.candidates):  # what is reported is the real distance
        audio = synth.render(candidate.native[None].astype(np.float64))
        np.testing.assert_allclose(candidate.score, real(audio)[0], atol=1e-4)
    assert final.candidates[0].score == final.best.score and len(final.candidates) == 4
    assert final.best.score < scores[0]
    # ranked by the mix (and each new best rendered again on both channels), or by the real one
    assert ("mss-mix" in seen) == rank_by_mix and "mss" in seen
