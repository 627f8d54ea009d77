"""Matching with the synth in the loop: model proposals, re-rendering, CMA-ES refinement.

Serving-safe (numpy, onnxruntime, ``cmaes``; never torch). Typical use::

    with open_renderer(bundle.card, workers=2) as renderer:
        searcher = Searcher(bundle.card.spec, renderer, predictor=Predictor(bundle))
        for step in searcher.run(audio, rate, budget=SearchBudget(seconds=1.0)):
            print(step.best.score, step.renders, step.final)
"""

from patchflow.search.config import SearchConfig
from patchflow.search.renderers import (
    PoolRenderer,
    RenderBatch,
    Renderer,
    ScoreBatch,
    SynthRenderer,
    open_renderer,
)
from patchflow.search.results import Candidate, Improvement, SearchBudget
from patchflow.search.scoring import LsdScorer, MssScorer, Scorer, SmoothLsdScorer, scorer_for
from patchflow.search.searcher import Searcher

__all__ = [
    "Candidate",
    "Improvement",
    "LsdScorer",
    "MssScorer",
    "PoolRenderer",
    "RenderBatch",
    "Renderer",
    "ScoreBatch",
    "Scorer",
    "SearchBudget",
    "SearchConfig",
    "Searcher",
    "SmoothLsdScorer",
    "SynthRenderer",
    "open_renderer",
    "scorer_for",
]
