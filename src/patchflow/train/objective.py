"""Training objectives: the rectified-flow loss (with coupling and CFG dropout) and regression.

Every random draw (noise, times, CFG dropout) comes from the generator the loop passes in, seeded
by ``(seed, step)``, so a resumed run reproduces the same losses.
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


class FlowObjective:
    """Rectified-flow MSE on ``x1 - x0`` at ``t ~ U(0, 1)``, plus the model's regulariser."""

    def __init__(self, coupling: IndependentCoupling, cfg_dropout: float) -> None:
        self.coupling, self.cfg_dropout = coupling, cfg_dropout
        self.path = RectifiedPath()

    def __call__(
        self,
        model: FlowModel,
        params: torch.Tensor,
        features: torch.Tensor,
        generator: torch.Generator,
    ) -> StepLoss:
        b, device = params.shape[0], params.device
        x_0 = torch.randn(params.shape, generator=generator).to(device)  # (B, D)
        t = torch.rand(b, generator=generator).to(device)  # (B,)
        drop = (torch.rand(b, generator=generator) < self.cfg_dropout).to(device)  # (B,)
        pair = self.coupling.pair(x_0, params, features)
        cond = model.drop_cond(model.encode(pair.others[0]), drop)  # (B, L, C)
        path_sample = self.path.sample(x_0=pair.x_0, x_1=pair.x_1, t=t)
        v = model.velocity(path_sample.x_t, t, cond)  # (B, D)
        mse = F.mse_loss(v, path_sample.dx_t)
        reg = model.regularizer()
        total = mse + reg
        return StepLoss(
            total, {"loss": total.detach(), "flow_mse": mse.detach(), "penalty": reg.detach()}
        )

    def predict(
        self, model: FlowModel, features: torch.Tensor, generator: torch.Generator, val: ValConfig
    ) -> torch.Tensor:
        noise = torch.randn(len(features), model.spec.dim, generator=generator)
        pred = model.sample(
            features, steps=val.ode_steps, method=val.method, cfg_scale=val.cfg_scale, noise=noise
        )
        return pred.clamp(-1.0, 1.0)


class RegressionObjective:
    """The regression model's own loss (MSE, or Chamfer over symmetry slots)."""

    def __call__(
        self,
        model: RegressionModel,
        params: torch.Tensor,
        features: torch.Tensor,
        generator: torch.Generator,
    ) -> StepLoss:
        loss = model.loss(model(features), params)
        return StepLoss(loss, {"loss": loss.detach()})

    def predict(
        self,
        model: RegressionModel,
        features: torch.Tensor,
        generator: torch.Generator,
        val: ValConfig,
    ) -> torch.Tensor:
        return model.predict(features)


def make_objective(config: TrainConfig) -> FlowObjective | RegressionObjective:
    """The objective for ``config.model.kind``."""
    if config.model.kind == "regression":
        return RegressionObjective()
    return FlowObjective(COUPLINGS[config.coupling](), config.model.cfg_dropout)
