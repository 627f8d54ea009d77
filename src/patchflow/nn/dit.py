"""DiT vector field (Peebles & Xie 2023) over parameter tokens, with AdaLN conditioning.

There is no positional encoding, so the transformer is exactly permutation-equivariant over
tokens; any order dependence comes from the tokenizer (Hayes et al. 2025, sec. 3). Block ``i`` is
modulated by its own conditioning vector: MLP(encoder token ``i`` ‖ time encoding).
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from patchflow.nn.config import FieldConfig
from patchflow.nn.embeddings import ConditionEmbedder, TimeEncoding
from patchflow.nn.layers import Attention, Mlp
from patchflow.nn.modulated import ModulatedField
from patchflow.nn.tokenizers import FixedTokenizer, Param2Tok


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale) + shift  # shift, scale: (B, 1, D)


class DiTBlock(nn.Module):
    """A DiT block with adaptive LayerNorm-Zero conditioning."""

    def __init__(self, d_model: int, heads: int, d_ff: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(d_model, heads)
        self.norm2 = nn.LayerNorm(d_model, elementwise_affine=False, eps=1e-6)
        self.mlp = Mlp(d_model, d_ff)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(d_model, 6 * d_model))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.modulated(x, self.adaLN_modulation(c))  # (B, K, D)

    def modulated(self, x: torch.Tensor, mod: torch.Tensor) -> torch.Tensor:
        """The block with its AdaLN output ``mod (B, 6D)`` given (see ModulatedField.modulation)."""
        mod = mod.unsqueeze(1)  # (B, 1, 6D): one unsqueeze, not six
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = mod.chunk(6, dim=2)
        x = x + gate_msa * self.attn(modulate(self.norm1(x), shift_msa, scale_msa))  # (B, K, D)
        x = x + gate_mlp * self.mlp(modulate(self.norm2(x), shift_mlp, scale_mlp))  # (B, K, D)
        return x  # (B, K, D)


class DiT(ModulatedField):
    """Transformer vector field ``v(x, t, cond)``; ``tokenizer`` maps parameters to tokens."""

    def __init__(
        self, config: FieldConfig, tokenizer: FixedTokenizer | Param2Tok, d_cond: int
    ) -> None:
        super().__init__()
        self.tokenizer = tokenizer
        self.depth = config.depth
        time = TimeEncoding(config.time_encoding, config.d_time)
        self.c_embedder = ConditionEmbedder(d_cond, time, config.d_model)
        self.blocks = nn.ModuleList(
            DiTBlock(config.d_model, config.heads, config.d_ff) for _ in range(config.depth)
        )
        self.initialize_weights()

    def initialize_weights(self) -> None:
        # Xavier-uniform linear layers in the backbone and the conditioning MLP (DiT):
        def _basic_init(module: nn.Module) -> None:
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)

        self.blocks.apply(_basic_init)
        self.c_embedder.apply(_basic_init)
        # Zero-out adaLN modulation layers in DiT blocks (each block starts as the identity):
        for block in self.blocks:
            last = cast(nn.Linear, cast(nn.Sequential, block.adaLN_modulation)[-1])
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def forward_modulated(self, x: torch.Tensor, mod: torch.Tensor) -> torch.Tensor:
        """The field at ``x (B, n)`` given :meth:`modulation`'s ``mod (B, depth, 6D)``."""
        h = self.tokenizer.tokenize(x)  # (B, K, D)
        for i, block in enumerate(self.blocks):
            h = cast(DiTBlock, block).modulated(h, mod[:, i])  # (B, K, D)
        return self.tokenizer.detokenize(h)  # (B, n)

    def penalty(self) -> torch.Tensor:
        return self.tokenizer.penalty()
