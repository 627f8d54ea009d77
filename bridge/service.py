"""The interface between the protocol layers and the inference engine.

The bridge calls an :class:`Engine` from its worker threads (at most ``workers`` calls at a time,
never two at once for the same client). The engine raises
:class:`~patchflow.bridge.errors.RequestError` for a well-formed request it refuses (bad audio, no
match yet); any other exception is reported to the client as an ``internal`` error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class MatchResult:
    """One parameter set produced by the engine.

    Args:
        request_id: Id of the match this result belongs to (for macro and morph: the match they
            derive from).
        params01: (P,) float32, one value per spec parameter, normalised 0..1.
        native: (P,) float32, native units, categorical as choice index.
        latency_ms: Engine time for this call.
    """

    request_id: int
    params01: np.ndarray
    native: np.ndarray
    latency_ms: float


@runtime_checkable
class Engine(Protocol):
    """What the bridge needs from an inference engine.

    Attributes:
        model_name: Name of the loaded model bundle.
        synth_id: Id of the synth the model inverts.
        param_names: Spec parameter names, in spec order (length P).
        sample_rate: The model's own sample rate in Hz (input audio may use another rate).
        max_seconds: Longest accepted clip.
        min_seconds: Shortest accepted clip.
        n_macros: Number of macro controls.
    """

    model_name: str
    synth_id: str
    param_names: list[str]
    sample_rate: int
    max_seconds: float
    min_seconds: float
    n_macros: int

    def match(
        self, audio: np.ndarray, sample_rate: int, *, client: str, request_id: int
    ) -> MatchResult:
        """Infer parameters for ``audio`` (C, T) float32 at ``sample_rate`` Hz.

        Raises:
            RequestError: On bad audio (NaN/Inf, silence, too short or long, bad rate).
        """
        ...

    def macro(self, *, client: str, index: int, value: float) -> MatchResult:
        """Set macro ``index`` to ``value`` (0..1) for ``client`` and re-run only the solver.

        Raises:
            RequestError: If ``client`` has no match yet.
        """
        ...

    def morph(self, *, client: str, value: float) -> MatchResult:
        """Interpolate ``client``'s previous (0) and last (1) match.

        Raises:
            RequestError: If ``client`` has no match yet.
        """
        ...
