"""The graphs a bundle holds, as thin modules over a trained model's contract methods."""

from __future__ import annotations

import torch
from torch import nn


class EncoderGraph(nn.Module):
    """Standardised features ``(B, *shape)`` to conditioning tokens ``(B, L, d)``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.model.encode(features)  # (B, L, d)


class VectorFieldGraph(nn.Module):
    """Guided velocity: conditional and null conditioning in one batch of 2B, scale ``w`` input."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor, w: torch.Tensor
    ) -> torch.Tensor:
        return self.model.guided_velocity(x, t, cond, w)  # (B, D)


class PredictorGraph(nn.Module):
    """Regression models: standardised features to parameters ``(B, D)`` in [-1, 1]."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.model.predict(features)  # (B, D)
