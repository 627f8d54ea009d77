"""Parameter vectors to tokens and back: fixed (symmetry slots) or learned (PARAM2TOK).

Both expose ``tokenize(x (B, n)) -> (B, K, d)``, ``detokenize(h (B, K, d)) -> (B, n)``,
``num_tokens`` and ``penalty()`` (a regulariser added to the training loss).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from patchflow.nn.layers import Mlp
from patchflow.spec import SynthSpec


class FixedTokenizer(nn.Module):
    """One token per symmetry slot (one per oscillator for k-osc), one per unslotted column.

    The slots of a group share one input and one output projection, so with a permutation-
    equivariant backbone the field is exactly equivariant to permutations of the slots.
    """

    rest_index: torch.Tensor  # buffers
    inverse: torch.Tensor

    def __init__(self, spec: SynthSpec, d_model: int) -> None:
        super().__init__()
        groups = list(spec.symmetry_groups().values())
        for slots in groups:
            if len({len(s) for s in slots}) != 1:
                raise ValueError(f"spec '{spec.synth}': slots of a symmetry group differ in width")
        slotted = {c for slots in groups for s in slots for c in s}
        rest = [c for c in range(spec.dim) if c not in slotted]
        self.num_slots = [len(slots) for slots in groups]
        for i, slots in enumerate(groups):
            self.register_buffer(f"index_{i}", torch.tensor(slots, dtype=torch.long))
        self.register_buffer("rest_index", torch.tensor(rest, dtype=torch.long))
        order = [c for slots in groups for s in slots for c in s] + rest
        self.register_buffer("inverse", torch.argsort(torch.tensor(order, dtype=torch.long)))
        self.embed_in = nn.ModuleList(nn.Linear(len(slots[0]), d_model) for slots in groups)
        self.embed_out = nn.ModuleList(nn.Linear(d_model, len(slots[0])) for slots in groups)
        self.rest_in = nn.Parameter(torch.randn(len(rest), 2, d_model) / math.sqrt(d_model))
        self.rest_out = nn.Parameter(torch.randn(len(rest), d_model) / math.sqrt(d_model))
        self.num_tokens = sum(self.num_slots) + len(rest)

    def tokenize(self, x: torch.Tensor) -> torch.Tensor:
        tokens = []
        for i, embed in enumerate(self.embed_in):
            tokens.append(embed(x[:, getattr(self, f"index_{i}")]))  # (B, S, D)
        if self.rest_in.shape[0]:
            xr = x[:, self.rest_index, None]  # (B, R, 1)
            tokens.append(xr * self.rest_in[:, 0] + self.rest_in[:, 1])  # (B, R, D)
        return torch.cat(tokens, dim=1)  # (B, K, D)

    def detokenize(self, h: torch.Tensor) -> torch.Tensor:
        out, start = [], 0
        for n, embed in zip(self.num_slots, self.embed_out, strict=True):
            out.append(embed(h[:, start : start + n]).flatten(1))  # (B, S * W)
            start += n
        if self.rest_out.shape[0]:
            out.append((h[:, start:] * self.rest_out).sum(-1))  # (B, R)
        return torch.cat(out, dim=1)[:, self.inverse]  # (B, n)

    def penalty(self) -> torch.Tensor:
        return self.inverse.new_zeros((), dtype=torch.float32)


class Param2Tok(nn.Module):
    """PARAM2TOK (Hayes et al. 2025, sec. 3.2): learned embeddings ``Z``, assignment ``A``.

    In: ``h_k = sum_i A[k, i] MLP(x_i Z_i)``. Out (weight-tied ``A``): ``u_i = sum_k A[k, i] h_k``,
    ``v_i = <u_i, Z'_i>``. At initialisation every row of ``Z`` (and column of ``Z'``) is the same
    random vector (up to ``init_noise``), so no parameter has an identity of its own except
    through ``A``. ``assign_init``:

    - ``"constant"`` (default): ``A`` constant up to ``init_noise``, so the whole field is
      invariant to every permutation of the parameters at init (the paper's "maximum possible
      symmetry"). The symmetric start breaks only as fast as the noise grows: it is a fixed
      point of the expected gradient, and on amsynth (~70 parameters, 32 tokens, lr 3e-4) the
      loss had not left its plateau after 2000 steps, so the real-synth presets start from
      ``init_noise=0.1`` instead (``docs/param2tok-amsynth.md``).
    - ``"uniform"`` (as the reference implementation's ``LearntProjectionII``): ``A ~ U(0, 1)``
      with each row normalised to sum 1, so every token starts as a different weighted mean of
      all parameters. (On amsynth it did not move the early training-loss plateau either: the
      rows of ``Z`` are still identical; see ``docs/param2tok-amsynth.md``.)

    ``penalty()`` is ``mean(|A|)`` (the reference's L1 term).
    """

    def __init__(
        self,
        num_params: int,
        num_tokens: int,
        d_model: int,
        init_noise: float = 1e-4,
        assign_init: str = "constant",
    ) -> None:
        super().__init__()
        if assign_init not in ("uniform", "constant"):
            raise ValueError(f"assign_init must be 'uniform' or 'constant', got {assign_init!r}")
        self.num_params, self.num_tokens, self.init_noise = num_params, num_tokens, init_noise
        self.assign_init = assign_init
        self.z_in = nn.Parameter(torch.empty(num_params, d_model))
        self.assign = nn.Parameter(torch.empty(num_tokens, num_params))
        self.z_out = nn.Parameter(torch.empty(d_model, num_params))
        self.ffn = Mlp(d_model, d_model)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        n, k = self.num_params, self.num_tokens
        d = self.z_in.shape[1]
        with torch.no_grad():
            z = torch.randn(1, d) / math.sqrt(d)
            self.z_in.copy_(z.expand(n, d) + self.init_noise * torch.randn(n, d))
            self.z_out.copy_(self.z_in.t())
            if self.assign_init == "uniform":
                a = torch.rand(k, n)
                self.assign.copy_(a / a.sum(dim=1, keepdim=True))
            else:
                self.assign.copy_(1 / math.sqrt(k * n) + self.init_noise * torch.randn(k, n))

    def tokenize(self, x: torch.Tensor) -> torch.Tensor:
        e = self.ffn(x[:, :, None] * self.z_in)  # (B, n, D)
        return torch.matmul(self.assign, e)  # (B, K, D)

    def detokenize(self, h: torch.Tensor) -> torch.Tensor:
        u = torch.matmul(self.assign.t(), h)  # (B, n, D)
        return (u * self.z_out.t()).sum(-1)  # (B, n)

    def penalty(self) -> torch.Tensor:
        return self.assign.abs().mean()
