"""Model proposals drawn lazily: a first small batch, the rest interleaved with refinement.

A stand-in flow model makes proposal ``k`` equal to ``tanh`` of its noise row, so a test can plant
the exact patch at a known position of the proposal stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np
import pytest

from patchflow.search import SearchBudget, SearchConfig, Searcher, open_renderer
from patchflow.search.notes import finalize
from patchflow.search.proposals import PRIOR_MIX_STREAM, PROPOSAL_STREAM, chunk_bounds
from patchflow.search.refine import Restarts, step_shape
from patchflow.synths.kosc import KOsc, kosc_spec

SPEC = kosc_spec(4)
LAZY = SearchConfig(proposals=64, batch=32, first_proposals=8, proposal_every=2, population=8,
                    sigma=0.02, racers=3, race_generations=3)  # fmt: skip


@dataclass
class FlowModel:
    """A CNF stand-in: each sample is ``tanh`` of its noise; records the batch of every call."""

    is_flow: bool = True
    calls: list[int] = field(default_factory=list)
    card: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(name="fake-cnf"))

    def prepare(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        return np.asarray(audio, np.float32)[None]

    def encode(self, audio: np.ndarray) -> np.ndarray:
        return np.zeros((1, 1), np.float32)

    def noise(self, batch: int, seed: int = 0) -> np.ndarray:
        return np.random.default_rng(seed).standard_normal((batch, SPEC.dim)).astype(np.float32)

    def answer_noise(self, seed: int = 0) -> np.ndarray:
        return self.noise(1, seed)

    def sample(self, cond: np.ndarray, noise: np.ndarray, **settings: object) -> SimpleNamespace:
        self.calls.append(len(noise))
        return SimpleNamespace(encoded=np.tanh(noise).astype(np.float32))


def _proposal(k: int, seed: int, config: SearchConfig = LAZY) -> np.ndarray:
    """The native patch of flow proposal ``k`` (0-based, after the one-shot) for ``seed``."""
    noise = np.random.default_rng([seed, PROPOSAL_STREAM]).standard_normal(
        (config.proposals, SPEC.dim)
    ).astype(np.float32) * np.float32(config.proposal_temperature)
    return finalize(SPEC, np.tanh(noise[k : k + 1]), None)[0]


def _search(audio, renders, *, model=None, config=LAZY, seed=0):
    with open_renderer(SPEC) as renderer:
        searcher = Searcher(SPEC, renderer, predictor=model, config=config)
        budget = SearchBudget(seconds=math.inf, renders=renders)
        return list(searcher.run(audio, 44100, budget=budget, seed=seed))


def _target(native: np.ndarray) -> np.ndarray:
    return KOsc(k=4).render(np.atleast_2d(native))[0]


def test_chunk_bounds_known_answers():
    assert chunk_bounds(128, 64, 16) == [0, 16, 80, 128]
    assert chunk_bounds(128, 64, 16, grow=True) == [0, 16, 48, 112, 128]
    assert chunk_bounds(5, 64, 16, grow=True) == [0, 5]
    assert chunk_bounds(24, 8, 2) == [0, 2, 10, 18, 24]


def test_a_budget_of_the_first_batch_draws_only_the_first_flow_samples():
    model = FlowModel()
    steps = _search(_target(_proposal(3, seed=0)), renders=1 + 8, model=model)
    assert model.calls == [1, 8]  # the one-shot, then the first batch; nothing drawn in vain
    final = steps[-1]
    assert final.final and final.renders == 9 and final.stage == "proposals"
    assert final.best.score < 0.05  # proposal 3 is in the first batch
    np.testing.assert_allclose(final.best.native, _proposal(3, seed=0), rtol=1e-4, atol=1e-3)


def test_later_flow_samples_come_in_doubling_batches_and_the_exact_one_is_found():
    exact = _proposal(50, seed=2)  # in the last batch: proposals 8..15, 16..31, 32..63
    early = _search(_target(exact), renders=1 + 8, model=FlowModel(), seed=2)
    assert early[-1].best.score > 1.0
    model = FlowModel()
    steps = _search(_target(exact), renders=600, model=model, seed=2)
    assert model.calls == [1, 8, 16, 32, 8]  # all 64 proposals, drawn while refining
    final = steps[-1]
    assert final.best.score < 0.05
    np.testing.assert_allclose(final.best.native, exact, rtol=1e-4, atol=1e-3)
    stages = [s.stage for s in steps]
    found = next(i for i, s in enumerate(steps) if s.best.score < 0.05)
    assert stages[found] == "proposals" and "refine" in stages[:found]  # found while refining


@pytest.mark.parametrize("racers", [1, 3])
def test_lazy_proposals_are_deterministic_for_a_seed_and_render_budget(racers):
    audio = _target(SPEC.sample(np.random.default_rng(21), 1))
    config = SearchConfig(**{**LAZY.__dict__, "racers": racers})
    a = _search(audio, renders=400, model=FlowModel(), config=config, seed=4)
    b = _search(audio, renders=400, model=FlowModel(), config=config, seed=4)
    assert [(s.stage, s.renders, s.best.score) for s in a] == [
        (s.stage, s.renders, s.best.score) for s in b
    ]
    np.testing.assert_array_equal(a[-1].best.native, b[-1].best.native)
    assert a[-1].renders <= 400


def test_prior_samples_are_rendered_with_the_first_model_batch():
    config = SearchConfig(**{**LAZY.__dict__, "prior_proposals": 16})
    rng = np.random.default_rng([1, PRIOR_MIX_STREAM])
    exact = finalize(SPEC, SPEC.encode(SPEC.sample(rng, 16))[11:12], None)[0]
    model = FlowModel()
    steps = _search(_target(exact), renders=1 + 8 + 16, model=model, config=config, seed=1)
    assert model.calls == [1, 8]
    assert steps[-1].renders == 25 and steps[-1].best.score < 0.05


def test_free_proposals_are_all_rendered_first():
    """The prior's samples cost no model call: ``first_proposals`` leaves them up front."""
    config = SearchConfig(proposals=24, batch=8, first_proposals=4)
    rng = np.random.default_rng([3, PROPOSAL_STREAM])
    exact = finalize(SPEC, SPEC.encode(SPEC.sample(rng, 24))[17:18], None)[0]
    steps = _search(_target(exact), renders=1 + 24, config=config, seed=3)
    assert steps[-1].stage == "proposals" and steps[-1].best.score < 0.05


def test_the_shipped_kosc_model_search_is_deterministic():
    from patchflow.bundle import load_bundle
    from patchflow.inference import Predictor

    predictor = Predictor(load_bundle("kosc4"))
    audio = _target(SPEC.sample(np.random.default_rng(31), 1))
    config = SearchConfig.for_spec(SPEC)
    assert config.first_proposals is not None  # k-osc draws flow samples lazily
    a = _search(audio, renders=500, model=predictor, config=config, seed=7)
    b = _search(audio, renders=500, model=predictor, config=config, seed=7)
    assert [s.best.score for s in a] == [s.best.score for s in b]
    np.testing.assert_array_equal(a[-1].best.native, b[-1].best.native)
    assert a[-1].best.score < a[0].best.score


def test_lazy_settings_are_checked():
    with pytest.raises(ValueError, match="first_proposals"):
        SearchConfig(first_proposals=-1)
    with pytest.raises(ValueError, match="proposal_every"):
        SearchConfig(proposal_every=0)
    with pytest.raises(ValueError, match="prior_proposals"):
        SearchConfig(prior_proposals=-2)


@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_flow_proposals_are_drawn_at_the_proposal_temperature(temperature: float) -> None:
    config = SearchConfig(proposals=16, batch=16, population=8, proposal_temperature=temperature)
    exact = _proposal(5, seed=3, config=config)  # found only if drawn at this temperature
    steps = _search(_target(exact), renders=17, model=FlowModel(), config=config, seed=3)
    assert steps[-1].best.score < 1e-3
    np.testing.assert_allclose(steps[-1].best.native, exact, atol=1e-4)
    with pytest.raises(ValueError, match="proposal_temperature"):
        SearchConfig(proposal_temperature=1.5)


def test_step_shape_follows_the_spread_of_the_proposals():
    rng = np.random.default_rng(0)
    encoded = np.zeros((400, 5))
    encoded[:, 0] = rng.normal(0.0, 0.4, 400)  # unsure
    encoded[:, 1] = rng.normal(0.0, 0.1, 400)
    encoded[:, 2] = rng.normal(0.0, 0.2, 400)
    encoded[:, 3] = 0.5  # sure: the smallest step the ratio allows
    columns = np.asarray([0, 1, 2])
    shape = step_shape(encoded, columns, ratio=4.0)
    assert shape.shape == (3,) and shape[0] > shape[2] > shape[1]
    assert math.isclose(np.exp(np.mean(np.log(shape))), 1.0, rel_tol=1e-9)  # same overall step
    np.testing.assert_allclose(shape[0] / shape[1], 4.0, rtol=0.1)
    clipped = step_shape(encoded, np.asarray([0, 3]), ratio=2.0)
    np.testing.assert_allclose(clipped, [2.0, 0.5])


def test_cma_runs_take_their_first_steps_in_the_proposals_shape():
    columns = np.arange(4)
    shape = np.asarray([4.0, 1.0, 1.0, 0.25])
    restarts = Restarts(columns, SearchConfig(sigma=0.02, population=2000), seed=0, shape=shape)
    run = restarts.run_from(np.zeros(SPEC.dim), math.inf)
    steps = np.std(run.ask()[:, columns], axis=0)
    np.testing.assert_allclose(steps, 0.02 * shape, rtol=0.1)


def test_searches_with_proposal_steps_are_deterministic_and_use_the_spread():
    audio = _target(SPEC.sample(np.random.default_rng(22), 1))
    shaped = SearchConfig(**{**LAZY.__dict__, "proposal_steps": True, "first_proposals": None})
    a = _search(audio, renders=300, model=FlowModel(), config=shaped, seed=2)
    b = _search(audio, renders=300, model=FlowModel(), config=shaped, seed=2)
    even = replace(shaped, proposal_steps=False)
    c = _search(audio, renders=300, model=FlowModel(), config=even, seed=2)
    np.testing.assert_array_equal(a[-1].best.native, b[-1].best.native)
    assert a[-1].renders == b[-1].renders <= 300 and a[-1].best.score < a[0].best.score
    assert not np.array_equal(a[-1].best.native, c[-1].best.native)  # other first steps


def test_proposal_step_settings_are_checked():
    with pytest.raises(ValueError, match="proposal_steps_ratio"):
        SearchConfig(proposal_steps_ratio=0.5)
    with pytest.raises(ValueError, match="proposal_steps_min"):
        SearchConfig(proposal_steps_min=1)
