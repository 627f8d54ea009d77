"""Time encodings and the per-layer conditioning embedder shared by the vector fields."""

from __future__ import annotations

import math
from typing import cast

import torch
from torch import nn

from patchflow.nn.layers import Mlp


class TimeEncoding(nn.Module):
    """Encode ``t`` in [0, 1] (raw, not scaled by 1000, as in the reference code).

    ``scalar`` gives ``t`` itself as one feature; ``sinusoidal`` gives ``dim / 2`` cosines and
    ``dim / 2`` sines at frequencies ``1 / 10000^(j / (dim / 2))``.
    """

    freqs: torch.Tensor  # buffer

    def __init__(self, kind: str = "scalar", dim: int = 256) -> None:
        super().__init__()
        if kind not in ("scalar", "sinusoidal"):
            raise ValueError(f"time encoding must be 'scalar' or 'sinusoidal', got {kind!r}")
        self.kind = kind
        self.dim = 1 if kind == "scalar" else dim
        half = max(self.dim // 2, 1)
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        self.register_buffer("freqs", freqs, persistent=False)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        if self.kind == "scalar":
            return t[:, None]  # (B, 1)
        args = t[:, None] * self.freqs[None]  # (B, dim/2)
        return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)  # (B, dim)


class ConditionEmbedder(nn.Module):
    """Per-layer conditioning vectors: MLP(encoder token ``i`` ‖ time encoding) for layer ``i``."""

    def __init__(self, d_cond: int, time: TimeEncoding, d_model: int) -> None:
        super().__init__()
        self.time = time
        self.mlp = Mlp(d_cond + time.dim, d_model, d_model)

    def forward(self, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        temb = self.time(t)  # (B, T)
        temb = temb[:, None, :].expand(-1, cond.shape[1], -1)  # (B, L, T)
        return self.mlp(torch.cat([cond, temb], dim=-1))  # (B, L, D)

    def on_grid(self, times: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` at every time of ``times (E,)`` for every row of ``cond (R, L, C)``:
        ``(E, R, L, D)``. The first layer's conditioning and time parts are computed once
        each (its weight split by input columns) and added, not repeated per pair."""
        first, act, second = cast(tuple[nn.Linear, nn.Module, nn.Linear], tuple(self.mlp))
        d_cond = cond.shape[-1]
        h_cond = cond @ first.weight[:, :d_cond].T  # (R, L, H)
        h_time = self.time(times) @ first.weight[:, d_cond:].T + first.bias  # (E, H)
        return second(act(h_cond[None] + h_time[:, None, None, :]))  # (E, R, L, D)
