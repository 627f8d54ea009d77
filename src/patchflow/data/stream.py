"""An on-the-fly k-osc stream: every batch rendered from its own seed, never stored.

Batch ``i`` depends only on ``(seed, i)``, so a resumed training run that restarts at step ``s``
sees exactly the batches it would have seen without the interruption.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from patchflow.data.render import feature_config_for
from patchflow.features import FeatureExtractor, FeatureStats, RunningStats
from patchflow.synths.kosc import KOsc


@dataclass
class Batch:
    """Encoded parameters ``(B, D)``, raw features ``(B, *shape)`` and audio ``(B, C, T)``."""

    params: np.ndarray
    features: np.ndarray
    audio: np.ndarray


class KOscStream:
    """Deterministic batches of k-osc items: ``stream.batch(i)``."""

    def __init__(
        self, k: int = 4, asymmetric: bool = False, batch_size: int = 256, seed: int = 0
    ) -> None:
        self.synth = KOsc(k=k, asymmetric=asymmetric)
        self.spec = self.synth.spec
        self.batch_size, self.seed = batch_size, seed
        self.feature_config = feature_config_for(self.spec, "kosc")
        self.extractor = FeatureExtractor(self.feature_config)

    def __repr__(self) -> str:
        return f"KOscStream({self.synth!r}, batch_size={self.batch_size}, seed={self.seed})"

    def batch(self, index: int, split: int = 0) -> Batch:
        """Batch ``index`` of a split (0: training; other splits are disjoint streams)."""
        rng = np.random.default_rng([self.seed, 1_000_003, split, index])
        native = self.spec.sample(rng, self.batch_size)
        audio = self.synth.render(native)
        return Batch(self.spec.encode(native), self.extractor(audio), audio)

    def estimate_stats(self, n_batches: int = 8) -> FeatureStats:
        """Feature statistics from a separate split (disjoint from training batches)."""
        stats = RunningStats(self.feature_config)
        for i in range(n_batches):
            stats.update(self.batch(i, split=99).features)
        return stats.result()
