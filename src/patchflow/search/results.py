"""What a search takes and gives back: its budget, scored candidates and anytime improvements."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from patchflow.pitch import NotePlacement

STAGES = ("model", "proposals", "refine")


@dataclass(frozen=True)
class SearchBudget:
    """How long a search may run: wall-clock seconds and, optionally, a number of renders.

    Attributes:
        seconds: Wall-clock limit from the start of :meth:`Searcher.run` (``0``: the model's
            one-shot answer only; ``math.inf``: no time limit).
        renders: Render limit (``None``: no limit). With a render limit and enough seconds a
            search is deterministic for its seed.
    """

    seconds: float = 1.0
    renders: int | None = None

    def __post_init__(self) -> None:
        if not self.seconds >= 0:  # also refuses NaN
            raise ValueError(f"budget seconds must be >= 0, got {self.seconds}")
        if self.renders is not None and self.renders < 0:
            raise ValueError(f"budget renders must be >= 0, got {self.renders}")

    @property
    def one_shot(self) -> bool:
        """Only the model's answer (no proposals, no refinement)."""
        return self.seconds == 0 or self.renders in (0, 1)

    def exhausted(self, elapsed_s: float, renders: int) -> bool:
        over_time = elapsed_s >= self.seconds and not math.isinf(self.seconds)
        return over_time or (self.renders is not None and renders >= self.renders)

    def renders_left(self, renders: int) -> int | None:
        return None if self.renders is None else max(0, self.renders - renders)


@dataclass(frozen=True)
class Candidate:
    """One rendered and scored patch.

    Attributes:
        native: Native values in spec order, categorical as choice index, ``(P,)``.
        unit: One 0..1 value per parameter (the bridge's ``params``), ``(P,)``.
        encoded: Model-space vector in [-1, 1], ``(D,)``.
        score: Spectral distance to the target (lower is better; ``inf`` when not rendered).
    """

    native: np.ndarray
    unit: np.ndarray
    encoded: np.ndarray
    score: float


@dataclass(frozen=True)
class Improvement:
    """A step of the anytime search: the best patch so far.

    Attributes:
        best: The best candidate so far.
        renders: Renders made so far (including failed ones).
        elapsed_s: Seconds since the search started.
        stage: ``"model"`` (the one-shot answer), ``"proposals"`` or ``"refine"``.
        final: The last item of the search (budget spent, search converged or cancelled).
        note: Where the search placed the note (``None``: the spec has no note parameter).
        candidates: The top distinct candidates, best first; filled when ``final``.
        scorer: Name of the distance (``"lsd"`` or ``"mss"``).
    """

    best: Candidate
    renders: int
    elapsed_s: float
    stage: str
    final: bool
    note: NotePlacement | None
    candidates: tuple[Candidate, ...] = field(default=())
    scorer: str = ""
