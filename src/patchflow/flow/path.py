"""The rectified-flow (linear) probability path: noise ``x_0`` at t = 0, data ``x_1`` at t = 1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class PathSample:
    """A point on the path and its target velocity (numpy arrays or torch tensors).

    Attributes:
        x_0: Source (noise) points, shape ``(B, D)``.
        x_1: Target (data) points, shape ``(B, D)``.
        t: Times in [0, 1], shape ``(B,)``.
        x_t: ``(1 - t) x_0 + t x_1``, shape ``(B, D)``.
        dx_t: Target velocity ``x_1 - x_0``, shape ``(B, D)``.
    """

    x_0: Any
    x_1: Any
    t: Any
    x_t: Any
    dx_t: Any


class RectifiedPath:
    """Linear interpolation with no added noise (``sigma_min = 0``), Liu et al. 2023."""

    def sample(self, *, x_0: Any, x_1: Any, t: Any) -> PathSample:
        """Points at times ``t`` on the straight lines from ``x_0`` to ``x_1``.

        Args:
            x_0: Noise, shape ``(B, ...)``.
            x_1: Data, same shape as ``x_0``.
            t: Times, shape ``(B,)``.

        Returns:
            The path sample with ``x_t`` and the constant velocity ``dx_t = x_1 - x_0``.
        """
        t_x = t.reshape((-1,) + (1,) * (x_0.ndim - 1))  # (B, 1, ...)
        x_t = (1 - t_x) * x_0 + t_x * x_1
        return PathSample(x_0=x_0, x_1=x_1, t=t, x_t=x_t, dx_t=x_1 - x_0)
