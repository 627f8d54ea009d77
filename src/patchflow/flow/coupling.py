"""Pairing noise with data inside a minibatch: independent, or exact optimal transport.

The OT coupling (Tong et al. 2024; Pooladian et al. 2023) solves the assignment between the
``B`` noise vectors and the ``B`` data vectors on their Euclidean (not squared) distance with the
Hungarian algorithm, as the reference code does. It is not symmetry-aware: whole vectors are
matched. Data and everything attached to it (features, audio) are reordered to match the noise.
Works with numpy arrays and torch tensors; the assignment itself runs in numpy on the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class CoupledBatch:
    """Paired noise and data.

    Attributes:
        x_0: Noise, shape ``(B, D)`` (unchanged order).
        x_1: Data reordered to pair with ``x_0``, shape ``(B, D)``.
        others: Arrays attached to the data (features, ...), reordered the same way.
        index: The permutation applied to the data, shape ``(B,)``.
    """

    x_0: Any
    x_1: Any
    others: tuple[Any, ...]
    index: np.ndarray


def _as_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor, possibly on an accelerator
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64).reshape(len(x), -1)


class IndependentCoupling:
    """The identity pairing: every noise vector keeps the data vector it was drawn with."""

    def __repr__(self) -> str:
        return "IndependentCoupling()"

    def plan(self, x_0: Any, x_1: Any) -> np.ndarray:
        """Data index paired with each noise row: ``arange(B)``."""
        return np.arange(len(x_0))

    def pair(self, x_0: Any, x_1: Any, *others: Any) -> CoupledBatch:
        """Pair ``x_0`` with ``x_1`` and reorder ``x_1`` and ``others`` accordingly.

        Args:
            x_0: Noise, shape ``(B, D)``.
            x_1: Data, shape ``(B, D)``.
            *others: Arrays indexed like ``x_1`` along their first axis.

        Returns:
            The paired batch.
        """
        if len(x_0) != len(x_1):
            raise ValueError(f"coupling needs equal batch sizes, got {len(x_0)} and {len(x_1)}")
        index = self.plan(x_0, x_1)
        if np.array_equal(index, np.arange(len(index))):
            return CoupledBatch(x_0=x_0, x_1=x_1, others=tuple(others), index=index)
        return CoupledBatch(
            x_0=x_0, x_1=x_1[index], others=tuple(o[index] for o in others), index=index
        )


class OTCoupling(IndependentCoupling):
    """Exact minibatch OT: minimises the summed Euclidean distance of the pairs."""

    def __repr__(self) -> str:
        return "OTCoupling(euclidean, exact)"

    def plan(self, x_0: Any, x_1: Any) -> np.ndarray:
        """Data index paired with each noise row, from ``linear_sum_assignment``."""
        # scipy is a training dependency; serving imports this package without it.
        from scipy.optimize import linear_sum_assignment
        from scipy.spatial.distance import cdist

        cost = cdist(_as_numpy(x_0), _as_numpy(x_1))  # (B, B)
        rows, cols = linear_sum_assignment(cost)
        return cols[np.argsort(rows)]


COUPLINGS: dict[str, type[IndependentCoupling]] = {"none": IndependentCoupling, "ot": OTCoupling}
