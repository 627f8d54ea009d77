"""Patches a search may render: fixed parameters snapped, the note placed at the target's pitch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from patchflow.spec import SynthSpec

if TYPE_CHECKING:
    from patchflow.pitch import NotePlacement


def place_target_note(spec: SynthSpec, audio: np.ndarray, sample_rate: int) -> NotePlacement | None:
    """The note every candidate is rendered at: the target's pitch, moved into the spec's range.

    ``None`` for specs without a pitch note parameter (k-osc): nothing is estimated then.
    """
    if spec.note_index is None:
        return None
    from patchflow.pitch import estimate_pitch, place_note

    return place_note(estimate_pitch(audio, sample_rate), spec)


def finalize(spec: SynthSpec, encoded: np.ndarray, placement: NotePlacement | None) -> np.ndarray:
    """Encoded vectors ``(N, D)`` to the native patches ``(N, P)`` that get rendered (decoding
    already puts the fixed parameters at their values)."""
    native = spec.decode(np.clip(encoded, -1.0, 1.0))
    if placement is not None:
        native = spec.with_note(native, placement.note)
    return native
