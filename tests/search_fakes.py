"""A stand-in for a regression Predictor, for the search tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class FixedModel:
    """A regression-like stand-in for a Predictor that always answers ``encoded``."""

    encoded: np.ndarray
    is_flow: bool = False

    def prepare(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        return np.asarray(audio, np.float32)[None]

    def encode(self, audio: np.ndarray) -> np.ndarray:
        return self.encoded[None].astype(np.float32)
