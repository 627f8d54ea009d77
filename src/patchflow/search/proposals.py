"""Where a search starts: the model's one-shot answer and many more proposals.

- CNF bundles: flow samples, each from its own noise; the audio is encoded once and all noise
  vectors are integrated in one batch (one vector-field graph call per solver step).
- Regression bundles: the point estimate, and the point estimate plus Gaussian jitter.
- No model: samples of the spec's prior (its dataset distributions).

A model search may also render prior samples with its first proposals (``prior_proposals``).
All proposals are encoded vectors ``(N, D)`` in [-1, 1]; the searcher decodes, snaps and places
the note. The one-shot answer is exactly what :meth:`Predictor.predict` gives for the seed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from patchflow.note_conditioning import NoteConditioning
from patchflow.search.config import SearchConfig
from patchflow.spec import SynthSpec

if TYPE_CHECKING:
    from patchflow.inference import Predictor

PROPOSAL_STREAM = 1  # the proposals' noise comes from rng([seed, 1]); the one-shot's from rng(seed)
PRIOR_MIX_STREAM = 4  # prior samples rendered with a model's first proposals: rng([seed, 4])


@dataclass(frozen=True)
class Proposer:
    """Proposals for one target (see the module docstring).

    Attributes:
        spec: The synth spec.
        kind: ``"cnf"``, ``"regression"`` or ``"prior"``.
        cond: The encoded target (CNF conditioning or the regression's point estimate).
        predictor: The model (``None`` for the prior).
        config: Solver settings and regression jitter.
    """

    spec: SynthSpec
    kind: str
    cond: Any
    predictor: Predictor | None
    config: SearchConfig
    note: float | None = None  # what a note-conditioned model is told (None: unknown)

    @classmethod
    def for_target(
        cls,
        spec: SynthSpec,
        predictor: Predictor | None,
        model_audio: np.ndarray | None,
        config: SearchConfig,
        note: float | None = None,
    ) -> Proposer:
        """Encode ``model_audio`` (``Predictor.prepare``'s output) once for all proposals;
        ``note``: the played MIDI note for a note-conditioned bundle (``None``: unknown)."""
        if predictor is None or model_audio is None:
            return cls(spec, "prior", None, None, config)
        kind = "cnf" if predictor.is_flow else "regression"
        if _note_conditioning(predictor) is None:  # the model predicts the note itself
            return cls(spec, kind, predictor.encode(model_audio), predictor, config)
        return cls(spec, kind, predictor.encode(model_audio, note), predictor, config, note)

    def first(self, seed: int) -> np.ndarray:
        """The one-shot answer ``(1, D)`` for ``seed``."""
        if self.kind == "prior":
            return self.spec.encode(self.spec.sample(np.random.default_rng(seed), 1))
        assert self.predictor is not None
        if self.kind == "regression":
            point = np.clip(self.cond, -1.0, 1.0).astype(np.float32)
            nc = _note_conditioning(self.predictor)  # its vectors leave the note out: put it back
            return point if nc is None else nc.insert(self.spec, point, self.note)
        return self._flow(self.predictor.answer_noise(seed))

    @property
    def costly(self) -> bool:
        """Whether each proposal costs a model call (flow samples; prior samples and jittered
        point estimates cost nothing beyond their render)."""
        return self.kind == "cnf"

    def prior_mix(self, n: int, seed: int) -> np.ndarray:
        """``n`` samples ``(n, D)`` of the spec's prior rendered with a model's first
        proposals (none for the prior itself: its proposals are prior samples already)."""
        if self.kind == "prior" or n == 0:
            return np.zeros((0, self.spec.dim), np.float32)
        rng = np.random.default_rng([seed, PRIOR_MIX_STREAM])
        return self.spec.encode(self.spec.sample(rng, n)).astype(np.float32)

    def propose(self, n: int, seed: int) -> np.ndarray:
        """``n`` proposals ``(n, D)`` for ``seed`` (none equal to the one-shot answer)."""
        chunks = list(self.chunks(n, seed, max(1, n)))
        return np.concatenate(chunks) if chunks else np.zeros((0, self.spec.dim), np.float32)

    def chunks(
        self, n: int, seed: int, size: int, first: int | None = None, grow: bool = False
    ) -> Iterator[np.ndarray]:
        """The same ``n`` proposals as :meth:`propose`, in chunks of ``size`` after a first one of
        ``first`` (default ``size // 4``, so the first ones are rendered early when the time
        budget is short); ``grow``: chunk sizes double from ``first`` up to ``size``. Flow
        samples are drawn when their chunk is asked for."""
        rng = np.random.default_rng([seed, PROPOSAL_STREAM])
        if n == 0:
            return
        bounds = chunk_bounds(n, size, max(1, size // 4 if first is None else first), grow)
        if self.kind == "prior":
            encoded = self.spec.encode(self.spec.sample(rng, n))
        elif self.kind == "regression":
            jitter = self.config.jitter * rng.standard_normal((n, self.spec.dim))
            encoded = np.clip(self.first(seed) + jitter, -1.0, 1.0).astype(np.float32)
        else:
            dim = getattr(self.predictor, "noise_dim", self.spec.dim)
            noise = rng.standard_normal((n, dim)).astype(np.float32)
            noise *= np.float32(self.config.proposal_temperature)
            for lo, hi in itertools.pairwise(bounds):
                yield self._flow(noise[lo:hi])
            return
        for lo, hi in itertools.pairwise(bounds):
            yield encoded[lo:hi]

    def _flow(self, noise: np.ndarray) -> np.ndarray:
        assert self.predictor is not None
        cond = np.repeat(self.cond, len(noise), axis=0)
        c = self.config
        noted = {} if _note_conditioning(self.predictor) is None else {"note": self.note}
        prediction = self.predictor.sample(
            cond, noise, steps=c.steps, method=c.method, cfg_scale=c.cfg_scale, **noted
        )
        return prediction.encoded


def chunk_bounds(n: int, size: int, first: int, grow: bool = False) -> list[int]:
    """Where chunks of ``n`` proposals start and end: ``first``, then ``size`` each (``grow``:
    doubling from ``first`` up to ``size``); ``[0, ..., n]``."""
    bounds, step = [0], max(1, first)
    while bounds[-1] + step < n:
        bounds.append(bounds[-1] + step)
        step = min(max(size, 1), 2 * step) if grow else max(size, 1)
    return [*bounds, n]


def _note_conditioning(predictor: Any) -> NoteConditioning | None:
    """The predictor's note conditioning (``None`` for other bundles and stand-ins without it)."""
    return getattr(predictor, "note_conditioning", None)
