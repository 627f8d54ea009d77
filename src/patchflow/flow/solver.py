"""Fixed-step ODE solvers from t = 0 (noise) to t = 1 (data).

The solver only does arithmetic and calls ``velocity(x, t, cond)`` with ``t`` a ``(B,)`` array of
the current time, so the same loop drives a torch model, an exported ONNX graph or an analytic
field. Numpy input never imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

METHODS = ("euler", "midpoint", "rk4")
_EVALS_PER_STEP = {"euler": 1, "midpoint": 2, "rk4": 4}

Velocity = Callable[[Any, Any, Any], Any]


@dataclass
class SolverOutput:
    """The end of an integration.

    Attributes:
        x: Final state, same shape and type as ``x_init``.
        nfe: Number of velocity evaluations.
    """

    x: Any
    nfe: int


def _time_like(x: Any, value: float) -> Any:
    """A ``(B,)`` array (numpy) or tensor (torch, same device and dtype) filled with ``value``."""
    if isinstance(x, np.ndarray):
        return np.full(x.shape[0], value, dtype=x.dtype)
    return x.new_full((x.shape[0],), value)


class ODESolver:
    """Integrate ``dx/dt = velocity(x, t, cond)`` with a fixed step.

    Example:
        >>> solver = ODESolver(velocity=lambda x, t, cond: np.ones_like(x))
        >>> solver.sample(x_init=np.zeros((2, 3)), steps=4, method="rk4").x[0, 0]
        1.0
    """

    def __init__(self, velocity: Velocity) -> None:
        self.velocity = velocity

    def __repr__(self) -> str:
        return f"ODESolver(velocity={self.velocity!r})"

    def sample(
        self,
        *,
        x_init: Any,
        steps: int,
        method: str = "rk4",
        cond: Any = None,
        t_start: float = 0.0,
        t_end: float = 1.0,
    ) -> SolverOutput:
        """Integrate from ``t_start`` to ``t_end`` in ``steps`` equal steps.

        Args:
            x_init: Initial state, shape ``(B, D)`` (numpy array or torch tensor).
            steps: Number of steps (>= 1).
            method: ``euler`` (order 1), ``midpoint`` (order 2) or ``rk4`` (order 4).
            cond: Conditioning passed through to ``velocity`` unchanged.
            t_start: Start time.
            t_end: End time.

        Returns:
            The final state and the number of velocity evaluations.
        """
        if method not in METHODS:
            raise ValueError(f"unknown ODE method {method!r}; choose from {METHODS}")
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        step = {"euler": self._euler, "midpoint": self._midpoint, "rk4": self._rk4}[method]
        h = (t_end - t_start) / steps
        x = x_init
        for i in range(steps):
            x = step(x, t_start + i * h, h, cond)
        return SolverOutput(x=x, nfe=steps * _EVALS_PER_STEP[method])

    @staticmethod
    def evaluation_times(
        steps: int, method: str = "rk4", t_start: float = 0.0, t_end: float = 1.0
    ) -> list[float]:
        """The times :meth:`sample` calls ``velocity`` at, in call order (a fused sampler
        computes everything that depends on time alone for all of them at once)."""
        if method not in METHODS:
            raise ValueError(f"unknown ODE method {method!r}; choose from {METHODS}")
        h = (t_end - t_start) / steps
        offsets = {"euler": (0.0,), "midpoint": (0.0, h / 2), "rk4": (0.0, h / 2, h / 2, h)}
        return [t_start + i * h + o for i in range(steps) for o in offsets[method]]

    def _v(self, x: Any, t: float, cond: Any) -> Any:
        return self.velocity(x, _time_like(x, t), cond)

    def _euler(self, x: Any, t: float, h: float, cond: Any) -> Any:
        return x + h * self._v(x, t, cond)

    def _midpoint(self, x: Any, t: float, h: float, cond: Any) -> Any:
        k1 = self._v(x, t, cond)
        return x + h * self._v(x + (h / 2) * k1, t + h / 2, cond)

    def _rk4(self, x: Any, t: float, h: float, cond: Any) -> Any:
        k1 = self._v(x, t, cond)
        k2 = self._v(x + (h / 2) * k1, t + h / 2, cond)
        k3 = self._v(x + (h / 2) * k2, t + h / 2, cond)
        k4 = self._v(x + h * k3, t + h, cond)
        return x + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
