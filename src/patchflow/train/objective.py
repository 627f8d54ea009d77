"""Training objectives: the rectified-flow loss (with coupling and CFG dropout) and regression.

Every random draw (noise, times, CFG dropout, note dropout) comes from the generator the loop
passes in, seeded by ``(seed, step)``, so a resumed run reproduces the same losses. Note-conditioned
models get the batch's notes, each replaced by "unknown" (-1) with probability ``note_dropout``
(drawn after the other draws, so models without note conditioning see exactly the old draws).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from patchflow.flow.coupling import COUPLINGS, IndependentCoupling
from patchflow.flow.path import RectifiedPath
from patchflow.nn.models import FlowModel, RegressionModel
from patchflow.train.config import TrainConfig, ValConfig


@dataclass
class StepLoss:
    """The loss to minimise and its named parts (detached scalars) for logging."""

    total: torch.Tensor
    parts: dict[str, torch.Tensor]


def drop_notes(
    note: torch.Tensor | None, p: float, generator: torch.Generator
) -> torch.Tensor | None:
    """Notes ``(B,)`` with each replaced by the unknown marker (-1) with probability ``p``."""
    if note is None:
        return None
    drop = (torch.rand(len(note), generator=generator) < p).to(note.device)  # (B,)
    return torch.where(drop, torch.full_like(note, -1.0), note)  # (B,)


class FlowObjective:
    """Rectified-flow MSE on ``x1 - x0`` at ``t ~ U(0, 1)``, plus the model's regulariser."""

    def __init__(
        self, coupling: IndependentCoupling, cfg_dropout: float, note_dropout: float = 0.0
    ) -> None:
        self.coupling, self.cfg_dropout, self.note_dropout = coupling, cfg_dropout, note_dropout
        self.path = RectifiedPath()

    def __call__(
        self,
        model: FlowModel,
        params: torch.Tensor,
        features: torch.Tensor,
        generator: torch.Generator,
        note: torch.Tensor | None = None,
    ) -> StepLoss:
        b, device = params.shape[0], params.device
        x_0 = torch.randn(params.shape, generator=generator).to(device)  # (B, D)
        t = torch.rand(b, generator=generator).to(device)  # (B,)
        drop = (torch.rand(b, generator=generator) < self.cfg_dropout).to(device)  # (B,)
        if model.note_conditioning is None or note is None:  # (no note given: unknown)
            pair = self.coupling.pair(x_0, params, features)
            cond = model.encode(pair.others[0])  # (B, L, C)
        else:  # the note travels with its item through the coupling
            note = drop_notes(note, self.note_dropout, generator)
            pair = self.coupling.pair(x_0, params, features, note)
            cond = model.encode(pair.others[0], pair.others[1])  # (B, L, C)
        cond = model.drop_cond(cond, drop)  # (B, L, C)
        path_sample = self.path.sample(x_0=pair.x_0, x_1=pair.x_1, t=t)
        v = model.velocity(path_sample.x_t, t, cond)  # (B, D)
        mse = F.mse_loss(v, path_sample.dx_t)
        reg = model.regularizer()
        total = mse + reg
        return StepLoss(
            total, {"loss": total.detach(), "flow_mse": mse.detach(), "penalty": reg.detach()}
        )

    def predict(
        self,
        model: FlowModel,
        features: torch.Tensor,
        generator: torch.Generator,
        val: ValConfig,
        note: torch.Tensor | None = None,
    ) -> torch.Tensor:
        noise = torch.randn(len(features), model.param_spec.dim, generator=generator)
        pred = model.sample(
            features,
            steps=val.ode_steps,
            method=val.method,
            cfg_scale=val.cfg_scale,
            noise=noise,
            note=note,
        )
        return pred.clamp(-1.0, 1.0)


class RegressionObjective:
    """The regression model's own loss (MSE, or Chamfer over symmetry slots)."""

    def __init__(self, note_dropout: float = 0.0) -> None:
        self.note_dropout = note_dropout

    def __call__(
        self,
        model: RegressionModel,
        params: torch.Tensor,
        features: torch.Tensor,
        generator: torch.Generator,
        note: torch.Tensor | None = None,
    ) -> StepLoss:
        if model.note_conditioning is not None:
            note = drop_notes(note, self.note_dropout, generator)
        loss = model.loss(model(features, note), params)
        return StepLoss(loss, {"loss": loss.detach()})

    def predict(
        self,
        model: RegressionModel,
        features: torch.Tensor,
        generator: torch.Generator,
        val: ValConfig,
        note: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return model.predict(features, note)


def make_objective(config: TrainConfig) -> FlowObjective | RegressionObjective:
    """The objective for ``config.model.kind``."""
    m = config.model
    note_dropout = m.note_dropout if m.note_conditioning else 0.0
    if m.kind == "regression":
        return RegressionObjective(note_dropout)
    return FlowObjective(COUPLINGS[config.coupling](), m.cfg_dropout, note_dropout)
