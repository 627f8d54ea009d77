"""Shared transformer layers: multi-head attention, feed-forward, pre-norm block.

Written with plain matmul-style ops (``scaled_dot_product_attention``, reshapes with static token
counts) so that ``torch.onnx.export(dynamo=True)`` keeps the batch dimension dynamic.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Attention(nn.Module):
    """Multi-head self-attention without masks or dropout.

    In eager mode it calls ``scaled_dot_product_attention`` (fused kernels for training); in an
    ONNX export it is written out as two matmuls and a softmax, which exports to about a third
    of the nodes (at serving sizes onnxruntime's per-node overhead costs more than the maths).
    """

    def __init__(self, d_model: int, heads: int) -> None:
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model {d_model} is not divisible by {heads} heads")
        self.heads = heads
        self.scale = (d_model // heads) ** -0.5
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3 * self.heads, d // self.heads)  # (B, N, 3H, d/H)
        q, k, v = qkv.transpose(1, 2).chunk(3, dim=1)  # 3 x (B, H, N, d/H)
        x = self._attend(q, k, v)  # (B, H, N, d/H)
        x = x.transpose(1, 2).reshape(b, n, d)  # (B, N, D)
        return self.proj(x)  # (B, N, D)

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        if not torch.onnx.is_in_onnx_export():
            return F.scaled_dot_product_attention(q, k, v)  # (B, H, N, d/H)
        weights = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)  # (B, H, N, N)
        return weights @ v  # (B, H, N, d/H)


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
