"""Note conditioning: the played MIDI note as an offset added to every conditioning token.

DiT-style: the note, normalised to [-1, 1] over the model's note range, goes through sinusoidal
features and an MLP whose last layer starts at zero (a fresh model behaves as if it had no note
input); where the note is unknown (negative or NaN, see :mod:`patchflow.note_conditioning`) a
learned "unknown" vector is used instead. The sum ``cond + note`` is the conditioning the vector
field (or the regression head) reads; the classifier-free-guidance null conditioning replaces the
whole sum (see :class:`patchflow.nn.models.FlowModel`).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class NoteEmbedding(nn.Module):
    """MIDI notes ``(B,)`` to conditioning offsets ``(B, d_out)``.

    Args:
        d_out: Width of the conditioning tokens.
        min_midi: Lowest note of the range (maps to -1).
        max_midi: Highest note (maps to +1).
        num_freqs: Sinusoidal frequencies (``pi * 2^(k / 2)`` for ``k < num_freqs``, enough
            to tell neighbouring semitones apart over a range of several octaves).
    """

    freqs: torch.Tensor  # buffer

    def __init__(self, d_out: int, min_midi: float, max_midi: float, num_freqs: int = 16) -> None:
        super().__init__()
        if not max_midi > min_midi:
            raise ValueError(f"note range {min_midi}..{max_midi} is empty")
        self.min_midi, self.max_midi = float(min_midi), float(max_midi)
        freqs = math.pi * 2.0 ** (torch.arange(num_freqs, dtype=torch.float32) / 2)
        self.register_buffer("freqs", freqs, persistent=False)
        d_in = 1 + 2 * num_freqs
        out = nn.Linear(d_out, d_out)
        nn.init.zeros_(out.weight)  # a fresh model is not moved by the note
        nn.init.zeros_(out.bias)
        self.mlp = nn.Sequential(nn.Linear(d_in, d_out), nn.SiLU(), out)
        self.unknown = nn.Parameter(torch.zeros(d_out))

    def forward(self, note: torch.Tensor) -> torch.Tensor:
        known = note >= 0  # (B,) False for negative and NaN notes
        midi = torch.where(known, note, torch.zeros_like(note))  # no NaN reaches the MLP
        span = self.max_midi - self.min_midi
        x = (2.0 * (midi - self.min_midi) / span - 1.0)[:, None]  # (B, 1)
        args = x * self.freqs[None]  # (B, F)
        feats = torch.cat([x, torch.sin(args), torch.cos(args)], dim=-1)  # (B, 1 + 2F)
        emb = self.mlp(feats)  # (B, d_out)
        return torch.where(known[:, None], emb, self.unknown[None].expand_as(emb))  # (B, d_out)

    def condition(self, cond: torch.Tensor, note: torch.Tensor | None) -> torch.Tensor:
        """Add the note to every token: ``cond (B, L, C)``, ``note (B,)`` (``None``: unknown)."""
        if note is None:
            note = torch.full(cond.shape[:1], -1.0, device=cond.device, dtype=cond.dtype)
        return cond + self.forward(note.to(cond.dtype))[:, None, :]  # (B, L, C)
