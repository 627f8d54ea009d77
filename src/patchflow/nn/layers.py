"""Shared transformer layers: multi-head attention, feed-forward, pre-norm block.

Written with plain matmul-style ops (``scaled_dot_product_attention``, reshapes with static token
counts) so that ``torch.onnx.export(dynamo=True)`` keeps the batch dimension dynamic.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Attention(nn.Module):
    """Multi-head self-attention without masks or dropout."""

    def __init__(self, d_model: int, heads: int) -> None:
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model {d_model} is not divisible by {heads} heads")
        self.heads = heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads)  # (B, N, 3, H, d/H)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # 3 x (B, H, N, d/H)
        x = F.scaled_dot_product_attention(q, k, v)  # (B, H, N, d/H)
        x = x.transpose(1, 2).reshape(b, n, d)  # (B, N, D)
        return self.proj(x)  # (B, N, D)


class Mlp(nn.Sequential):
    """Linear, GELU, Linear."""

    def __init__(self, d_in: int, d_hidden: int, d_out: int | None = None) -> None:
        super().__init__(nn.Linear(d_in, d_hidden), nn.GELU(), nn.Linear(d_hidden, d_out or d_in))


class TransformerBlock(nn.Module):
    """Pre-norm transformer block (LayerNorm, attention, LayerNorm, MLP, residuals)."""

    def __init__(self, d_model: int, heads: int, d_ff: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = Attention(d_model, heads)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = Mlp(d_model, d_ff)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))  # (B, N, D)
        return x + self.mlp(self.norm2(x))  # (B, N, D)
