"""Classifier-free guidance (Ho & Salimans 2022) on velocities."""

from __future__ import annotations

from typing import Any


def cfg_combine(*, v_cond: Any, v_uncond: Any, w: Any) -> Any:
    """Guided velocity ``v_u + w (v_c - v_u)``: ``w = 1`` is the conditional field, 0 the null.

    Args:
        v_cond: Conditional velocity, shape ``(B, D)``.
        v_uncond: Unconditional (null-conditioned) velocity, shape ``(B, D)``.
        w: Guidance scale (a float, or a 0-d array/tensor so that exported graphs keep it an input).

    Returns:
        The guided velocity, shape ``(B, D)``.
    """
    return v_uncond + w * (v_cond - v_uncond)
