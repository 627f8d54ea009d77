"""Latent macro directions (the Flow Synthesizer's macro-controls, on our CNF).

A macro knob moves the flow's source noise ``z`` along a fixed unit direction and re-runs only
the solver. The directions are the ones that change the predicted patch most: over posterior
samples of many conditioning inputs, we fit the local linear map ``z -> x`` (least squares on
centred samples) per input, accumulate ``A A^T`` and keep its top eigenvectors.
"""

from __future__ import annotations

import numpy as np
import torch

from patchflow.flow.solver import ODESolver
from patchflow.nn.models import FlowModel


@torch.no_grad()
def macro_directions(
    model: FlowModel,
    features: torch.Tensor,
    *,
    count: int = 8,
    samples_per_input: int = 32,
    steps: int = 8,
    method: str = "midpoint",
    cfg_scale: float = 2.0,
    seed: int = 0,
    notes: torch.Tensor | None = None,
) -> np.ndarray:
    """Unit directions ``(K, D)`` in noise space, ordered by how much they move the patch.

    Args:
        model: A flow model (``encode``, ``guided_velocity``).
        features: Standardised features of representative inputs, ``(N, *shape)``.
        count: Number of macros ``K`` (at most ``D``).
        samples_per_input: Noise draws per input for the local linear fit.
        steps: Solver steps used for the posterior samples.
        method: Solver method.
        cfg_scale: Guidance scale.
        seed: Noise seed.
        notes: The inputs' notes ``(N,)`` for a note-conditioned model (``None``: unknown).
    """
    gen = torch.Generator().manual_seed(seed)
    cond = model.encode(features, notes)  # (N, L, d)
    n, dim = cond.shape[0], model.param_spec.dim
    count = min(count, dim)
    w = torch.tensor(cfg_scale)
    solver = ODESolver(velocity=lambda x, t, c: model.guided_velocity(x, t, c, w))
    gram = np.zeros((dim, dim))
    for i in range(n):
        z = torch.randn(samples_per_input, dim, generator=gen)  # (S, D)
        c = cond[i : i + 1].expand(samples_per_input, *cond.shape[1:])  # (S, L, d)
        x = solver.sample(x_init=z, steps=steps, method=method, cond=c).x  # (S, D)
        zc = (z - z.mean(0)).double().numpy()
        xc = (x - x.mean(0)).double().numpy()
        a, *_ = np.linalg.lstsq(zc, xc, rcond=None)  # (D_z, D_x): x ~ z @ a
        gram += a @ a.T
    eigvals, eigvecs = np.linalg.eigh(gram)
    order = np.argsort(eigvals)[::-1][:count]
    directions = eigvecs[:, order].T  # (K, D)
    # A deterministic sign: the largest component of each direction is positive.
    signs = np.sign(directions[np.arange(count), np.argmax(np.abs(directions), axis=1)])
    return (directions * signs[:, None]).astype(np.float32)
