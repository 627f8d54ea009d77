"""The vector fields' shared shape: blocks modulated (AdaLN) by MLP(encoder token ‖ time).

Block ``i`` of a field reads ``adaLN_modulation_i(c_i)``, ``c_i = MLP(cond_i ‖ time(t))``. That
part depends on ``t`` and the conditioning only, never on the state ``x``, so a sampler that
knows its times computes it for every step in one batch (:meth:`ModulatedField.grid_modulation`)
and each step then runs only the ``x`` path (:meth:`ModulatedField.forward_modulated`). A step
count's worth of small matrix-vector products becomes one matrix product.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from patchflow.nn.embeddings import ConditionEmbedder


class ModulatedField(nn.Module):
    """Base of :class:`~patchflow.nn.mlp_field.MLPField` and :class:`~patchflow.nn.dit.DiT`.

    Subclasses set ``c_embedder`` and ``blocks`` (each with an ``adaLN_modulation``) and
    implement :meth:`forward_modulated`.
    """

    c_embedder: ConditionEmbedder
    blocks: nn.ModuleList

    def forward(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self.forward_modulated(x, self.modulation(t, cond))  # (B, n)

    def forward_modulated(self, x: torch.Tensor, mod: torch.Tensor) -> torch.Tensor:
        """The field at ``x (B, n)`` given the blocks' modulation ``mod (B, depth, M)``."""
        raise NotImplementedError

    def modulation(self, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Every block's AdaLN output ``(B, depth, M)`` at times ``t (B,)``."""
        return self._blocks_of(self.c_embedder(t, cond))  # (B, depth, M)

    def grid_modulation(self, times: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """:meth:`modulation` at every time of ``times (E,)`` for every row of ``cond (R, L,
        C)``: ``(E, R, depth, M)``, the time-independent work done once."""
        c = self.c_embedder.on_grid(times, cond)  # (E, R, L, D)
        e, r = c.shape[:2]
        mod = self._blocks_of(c.reshape(e * r, *c.shape[2:]))  # (E * R, depth, M)
        return mod.reshape(e, r, *mod.shape[1:])  # (E, R, depth, M)

    def _blocks_of(self, c: torch.Tensor) -> torch.Tensor:
        layers = [cast(nn.Module, block.adaLN_modulation) for block in self.blocks]
        mods = [layer(c[:, i]) for i, layer in enumerate(layers)]
        return torch.stack(mods, dim=1)  # (B, depth, M)
