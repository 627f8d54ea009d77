"""Regression heads and losses for the baselines (MSE, frequency-sorted MSE, Chamfer)."""

from __future__ import annotations

import torch
from torch import nn

from patchflow.spec import SynthSpec


class ResidualMLP(nn.Module):
    """Linear in, residual (LayerNorm, Linear, GELU, Linear) blocks, Linear out."""

    def __init__(self, d_in: int, width: int, blocks: int, d_out: int) -> None:
        super().__init__()
        self.proj_in = nn.Linear(d_in, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.LayerNorm(width), nn.Linear(width, width), nn.GELU(), nn.Linear(width, width)
            )
            for _ in range(blocks)
        )
        self.proj_out = nn.Linear(width, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.proj_in(x)  # (B, W)
        for block in self.blocks:
            h = h + block(h)  # (B, W)
        return self.proj_out(h)  # (B, n)


def slot_index(spec: SynthSpec) -> list[torch.Tensor]:
    """Encoded columns per symmetry group as ``(slots, width)`` index tensors."""
    return [torch.tensor(slots, dtype=torch.long) for slots in spec.symmetry_groups().values()]


def chamfer_loss(
    pred: torch.Tensor, target: torch.Tensor, groups: list[torch.Tensor]
) -> torch.Tensor:
    """Permutation-invariant loss: symmetric Chamfer distance over each group's slot tokens.

    Squared Euclidean distance between slot tokens (k-osc: ``(freq, amp, wave)``); nearest
    neighbour in each direction, mean over tokens, sum of both directions, mean over the batch
    (the reference ``ffn_chamfer`` loss). Columns outside any symmetry group add their MSE.

    Args:
        pred: Predictions, shape ``(B, D)``.
        target: Targets, shape ``(B, D)``.
        groups: Per symmetry group, an index tensor of shape ``(S, W)``.

    Returns:
        The scalar loss.
    """
    loss = pred.new_zeros(())
    covered = torch.zeros(pred.shape[1], dtype=torch.bool, device=pred.device)
    for index in groups:
        index = index.to(pred.device)
        p, q = pred[:, index], target[:, index]  # (B, S, W)
        d = ((p[:, :, None] - q[:, None]) ** 2).sum(-1)  # (B, S, S)
        loss = loss + (d.min(2).values.mean(1) + d.min(1).values.mean(1)).mean()
        covered[index.flatten()] = True
    if not bool(covered.all()):
        loss = loss + ((pred - target)[:, ~covered] ** 2).mean()
    return loss
