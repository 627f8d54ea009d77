"""Exponential moving average of a model's weights (the weights that are validated and shipped).

``decay`` is the long-run decay; early on the effective decay is ``min(decay, (1 + n) / (10 + n))``
after ``n`` updates, so that the average is not dominated by the random initialisation when a
run is short. Buffers (e.g. normalisation statistics) are copied, not averaged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


class EmaWeights:
    """An EMA copy of a model's floating-point parameters.

    Args:
        model: The model whose parameters are averaged.
        decay: Long-run decay per update, in [0, 1).
    """

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def __repr__(self) -> str:
        return f"EmaWeights(decay={self.decay}, updates={self.updates})"

    def current_decay(self) -> float:
        """The decay the next update uses (warmed up over the first updates)."""
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        """Move the average towards the model's current weights."""
        decay = self.current_decay()
        averaged, copied = [], []
        for key, value in model.state_dict().items():
            shadow = self.shadow[key]
            if value.is_floating_point():
                averaged.append((shadow, value.detach()))
            else:
                copied.append((shadow, value))
        if averaged:
            shadows, values = zip(*averaged, strict=True)
            torch._foreach_lerp_(list(shadows), list(values), 1.0 - decay)
        for shadow, value in copied:
            shadow.copy_(value)
        self.updates += 1

    def state_dict(self) -> dict[str, object]:
        """Averaged weights and the update count (for checkpoints)."""
        return {"weights": self.shadow, "updates": self.updates, "decay": self.decay}

    def load_state_dict(self, state: dict[str, object]) -> None:
        """Restore from :meth:`state_dict` (the decay comes from the config, not the file)."""
        weights = state["weights"]
        assert isinstance(weights, dict)
        for key, value in weights.items():
            self.shadow[key].copy_(value)
        self.updates = int(state["updates"])  # type: ignore[call-overload]

    @contextmanager
    def applied(self, model: torch.nn.Module) -> Iterator[torch.nn.Module]:
        """Temporarily load the averaged weights into ``model`` (restored on exit)."""
        saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(self.shadow)
        try:
            yield model
        finally:
            model.load_state_dict(saved)
