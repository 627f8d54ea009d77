"""Residual MLP vector field (the paper's non-equivariant "flow-MLP" baseline)."""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from patchflow.nn.config import FieldConfig
from patchflow.nn.embeddings import ConditionEmbedder, TimeEncoding
from patchflow.nn.layers import Mlp


class ResidualBlock(nn.Module):
    """LayerNorm, AdaLN shift/scale, MLP, gated residual."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.mlp = Mlp(width, width)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(width, 3 * width))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift, scale, gate = self.adaLN_modulation(c).chunk(3, dim=1)  # 3 x (B, W)
        return x + gate * self.mlp(self.norm(x) * (1 + scale) + shift)  # (B, W)


class MLPField(nn.Module):
    """``Linear(n -> W)``, ``depth`` conditioned residual blocks, ``Linear(W -> n)``."""

    def __init__(self, config: FieldConfig, num_params: int, d_cond: int) -> None:
        super().__init__()
        width = config.d_model
        self.depth = config.depth
        time = TimeEncoding(config.time_encoding, config.d_time)
        self.c_embedder = ConditionEmbedder(d_cond, time, width)
        self.proj_in = nn.Linear(num_params, width)
        self.blocks = nn.ModuleList(ResidualBlock(width) for _ in range(config.depth))
        self.proj_out = nn.Linear(width, num_params)
        self.initialize_weights()

    def initialize_weights(self) -> None:
        # Zero-out adaLN modulation layers (each block starts as the identity):
        for block in self.blocks:
            last = cast(nn.Linear, cast(nn.Sequential, block.adaLN_modulation)[-1])
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = self.proj_in(x)  # (B, W)
        c = self.c_embedder(t, cond)  # (B, L, W)
        for i, block in enumerate(self.blocks):
            h = block(h, c[:, i])  # (B, W)
        return self.proj_out(h)  # (B, n)

    def penalty(self) -> torch.Tensor:
        return self.proj_out.weight.new_zeros(())
