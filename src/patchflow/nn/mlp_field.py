"""Residual MLP vector field (the paper's non-equivariant "flow-MLP" baseline)."""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from patchflow.nn.config import FieldConfig
from patchflow.nn.embeddings import ConditionEmbedder, TimeEncoding
from patchflow.nn.layers import Mlp
from patchflow.nn.modulated import ModulatedField


class ResidualBlock(nn.Module):
    """LayerNorm, AdaLN shift/scale, MLP, gated residual."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.mlp = Mlp(width, width)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(width, 3 * width))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.modulated(x, self.adaLN_modulation(c))  # (B, W)

    def modulated(self, x: torch.Tensor, mod: torch.Tensor) -> torch.Tensor:
        """The block with its AdaLN output ``mod (B, 3W)`` given (see ModulatedField.modulation)."""
        shift, scale, gate = mod.chunk(3, dim=1)  # 3 x (B, W)
        return x + gate * self.mlp(self.norm(x) * (1 + scale) + shift)  # (B, W)


class MLPField(ModulatedField):
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

    def forward_modulated(self, x: torch.Tensor, mod: torch.Tensor) -> torch.Tensor:
        """The field at ``x (B, n)`` given :meth:`modulation`'s ``mod (B, depth, 3W)``."""
        h = self.proj_in(x)  # (B, W)
        for i, block in enumerate(self.blocks):
            h = cast(ResidualBlock, block).modulated(h, mod[:, i])  # (B, W)
        return self.proj_out(h)  # (B, n)

    def penalty(self) -> torch.Tensor:
        return self.proj_out.weight.new_zeros(())
