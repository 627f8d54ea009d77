"""Audio encoders: standardised features to ``num_tokens`` conditioning vectors ``(B, L, d_out)``.

- :class:`CNN1dEncoder`: residual 1-D CNN over the |rFFT| of a k-osc clip (reference
  ``ResidualEncoder``).
- :class:`ASTEncoder`: Audio Spectrogram Transformer over a log-mel spectrogram, with one learned
  query token per output (one per vector-field layer), for real synths.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from patchflow.nn.config import EncoderConfig
from patchflow.nn.layers import TransformerBlock


class ResBlock1d(nn.Module):
    """Conv1d k7, GELU, BatchNorm, Conv1d 1x1, GELU, BatchNorm, plus the input."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(channels, channels, 7, padding=3),
            nn.GELU(),
            nn.BatchNorm1d(channels),
            nn.Conv1d(channels, channels, 1),
            nn.GELU(),
            nn.BatchNorm1d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)  # (B, C, F)


class ResidualHead(nn.Module):
    """LayerNorm, Linear, GELU, Linear, plus a linear skip: ``(B, d_in) -> (B, d_out)``."""

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d_in)
        self.fc1 = nn.Linear(d_in, d_in)
        self.fc2 = nn.Linear(d_in, d_out)
        self.skip = nn.Linear(d_in, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.skip(x) + self.fc2(F.gelu(self.fc1(self.norm(x))))  # (B, d_out)


class CNN1dEncoder(nn.Module):
    """Residual 1-D CNN: a stem conv, then per stage residual blocks and a stride-3 downsampler.

    With the reference settings the widths are 24, 48, 96, 192, 384 and the lengths 513, 170,
    56, 18, 5; the flattened output goes through a Linear and a residual head to ``L`` tokens.
    """

    def __init__(
        self, config: EncoderConfig, feature_shape: tuple[int, ...], num_tokens: int
    ) -> None:
        super().__init__()
        if len(feature_shape) != 2:
            raise ValueError(
                f"the CNN encoder needs (channels, bins) features, got {feature_shape}"
            )
        ch = config.channels
        stride = config.stem_stride
        layers: list[nn.Module] = [nn.Conv1d(feature_shape[0], ch[0], 7, stride, padding=3)]
        for c_in, c_out in itertools.pairwise(ch):
            layers += [ResBlock1d(c_in) for _ in range(config.blocks)] + [nn.BatchNorm1d(c_in)]
            layers += [nn.Conv1d(c_in, c_out, 6, stride=3, padding=1), nn.GELU()]
        self.convs = nn.Sequential(*layers)
        length = (feature_shape[1] - 1) // stride + 1
        for _ in ch[1:]:
            length = (length + 2 - 6) // 3 + 1
        self.fc = nn.Linear(ch[-1] * length, config.hidden)
        self.head = ResidualHead(config.hidden, num_tokens * config.d_out)
        self.num_tokens, self.d_out = num_tokens, config.d_out

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        h = self.convs(features)  # (B, C_last, F_last)
        h = self.fc(h.flatten(1))  # (B, hidden)
        h = self.head(h)  # (B, L * d_out)
        return h.unflatten(1, (self.num_tokens, self.d_out))  # (B, L, d_out)


def _pad_to_patches(size: int, patch: int, stride: int) -> int:
    """Zero padding that makes ``size`` a whole number of patches (at least one)."""
    n = max(math.ceil((size - patch) / stride), 0) + 1
    return (n - 1) * stride + patch - size


class ASTEncoder(nn.Module):
    """Audio Spectrogram Transformer (Gong et al. 2021) with learned output query tokens.

    Overlapping ``patch x patch`` patches (stride ``stride``) of a ``(C, mels, frames)`` log-mel,
    ``num_tokens`` learned query tokens prepended, learned absolute positions, pre-norm blocks;
    the query tokens go through a final LayerNorm and Linear.
    """

    def __init__(
        self, config: EncoderConfig, feature_shape: tuple[int, ...], num_tokens: int
    ) -> None:
        super().__init__()
        if len(feature_shape) != 3:
            raise ValueError(
                f"the AST needs (channels, mels, frames) features, got {feature_shape}"
            )
        c, mels, frames = feature_shape
        p, s, d = config.patch, config.stride, config.d_model
        self.pad = (0, _pad_to_patches(frames, p, s), 0, _pad_to_patches(mels, p, s))
        num_patches = ((mels + self.pad[3] - p) // s + 1) * ((frames + self.pad[1] - p) // s + 1)
        self.patch_embed = nn.Conv2d(c, d, p, stride=s)
        self.queries = nn.Parameter(torch.randn(1, num_tokens, d) * 1e-6)
        self.pos_embed = nn.Parameter(torch.randn(1, num_tokens + num_patches, d) * 0.02)
        self.blocks = nn.ModuleList(
            TransformerBlock(d, config.heads, config.d_ff) for _ in range(config.depth)
        )
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, config.d_out)
        self.num_tokens, self.num_patches = num_tokens, num_patches

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = F.pad(features, self.pad)  # (B, C, M', T')
        x = self.patch_embed(x).flatten(2).transpose(1, 2)  # (B, P, D)
        q = self.queries.expand(x.shape[0], -1, -1)  # (B, L, D)
        x = torch.cat([q, x], dim=1) + self.pos_embed  # (B, L + P, D)
        for block in self.blocks:
            x = block(x)  # (B, L + P, D)
        return self.out(self.norm(x[:, : self.num_tokens]))  # (B, L, d_out)


def build_encoder(
    config: EncoderConfig, feature_shape: tuple[int, ...], num_tokens: int
) -> nn.Module:
    """The encoder named by ``config.kind`` for features of ``feature_shape``."""
    if config.kind == "cnn":
        return CNN1dEncoder(config, feature_shape, num_tokens)
    return ASTEncoder(config, feature_shape, num_tokens)
