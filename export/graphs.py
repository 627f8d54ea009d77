"""The graphs a bundle holds, as thin modules over a trained model's contract methods."""

from __future__ import annotations

import torch
from torch import nn

from patchflow.flow.solver import ODESolver
from patchflow.nn.models import FlowModel, RegressionModel


class EncoderGraph(nn.Module):
    """Standardised features ``(B, *shape)`` to conditioning tokens ``(B, L, d)``."""

    def __init__(self, model: FlowModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.model.encode(features)  # (B, L, d)


class VectorFieldGraph(nn.Module):
    """Guided velocity: conditional and null conditioning in one batch of 2B, scale ``w`` input."""

    def __init__(self, model: FlowModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor, w: torch.Tensor
    ) -> torch.Tensor:
        return self.model.guided_velocity(x, t, cond, w)  # (B, D)


class PredictorGraph(nn.Module):
    """Regression models: standardised features to parameters ``(B, D)`` in [-1, 1]."""

    def __init__(self, model: RegressionModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.model.predict(features)  # (B, D)


class SamplerGraph(nn.Module):
    """A whole sample fused for one method and step count: features, noise and guidance scale
    to parameters ``(B, D)`` and the conditioning ``(B, L, d)`` (kept for macros and morph)."""

    def __init__(self, model: FlowModel, steps: int, method: str) -> None:
        super().__init__()
        self.model, self.steps, self.method = model, steps, method

    def forward(
        self, features: torch.Tensor, noise: torch.Tensor, w: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        cond = self.model.encode(features)  # (B, L, d)
        return self.solve(cond, noise, w), cond  # (B, D), (B, L, d)

    def solve(self, cond: torch.Tensor, noise: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """The guided solve from ``noise (B, D)``. The field's time- and conditioning-only part
        (its AdaLN modulation) is computed for every step at once, before the loop, and its
        null-conditioning half is a constant of the graph: each step then runs only the
        ``x`` path (``docs/first-answer.md``)."""
        times = ODESolver.evaluation_times(self.steps, self.method)
        grid = torch.tensor(times, dtype=noise.dtype, device=noise.device)  # (E,)
        mods = self.model.guided_modulation(grid, cond)  # (E, 2B, depth, M)
        calls = iter(range(len(times)))  # the solver calls the velocity at `times`, in order

        def velocity(x: torch.Tensor, t: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
            return self.model.guided_velocity_modulated(x, mods[next(calls)], w)  # (B, D)

        solver = ODESolver(velocity=velocity)
        return solver.sample(x_init=noise, steps=self.steps, method=self.method, cond=cond).x


# Note-conditioned models (``model.note_conditioning``): the same graphs with the played note
# ``(B,)`` in MIDI as an extra input after the features (negative or NaN: unknown).


class NoteEncoderGraph(EncoderGraph):
    """Standardised features ``(B, *shape)`` and notes ``(B,)`` to conditioning ``(B, L, d)``."""

    def forward(self, features: torch.Tensor, note: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return self.model.encode(features, note)  # (B, L, d)


class NotePredictorGraph(PredictorGraph):
    """Regression: standardised features and notes ``(B,)`` to parameters ``(B, D - 1)``."""

    def forward(self, features: torch.Tensor, note: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return self.model.predict(features, note)  # (B, D - 1)


class NoteSamplerGraph(SamplerGraph):
    """The fused sample with the note: features, notes ``(B,)``, noise and guidance scale."""

    def forward(  # type: ignore[override]
        self, features: torch.Tensor, note: torch.Tensor, noise: torch.Tensor, w: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        cond = self.model.encode(features, note)  # (B, L, d)
        return self.solve(cond, noise, w), cond  # (B, D - 1), (B, L, d)
