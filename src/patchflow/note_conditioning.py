"""The note as conditioning: how a note-conditioned model is given the played note (numpy only).

A note-conditioned model does not predict the spec's pitch note parameter (``note_field``
"pitch"): it is told the note, the rendered one in training and the detected one at inference,
and predicts every other parameter (:meth:`SynthSpec.without_note`). Its bundle's encoder (and
fused sampler, or regression predictor) graph takes an extra input ``note`` ``(B,)`` float32 in
MIDI; a negative or NaN value means "unknown" (unpitched input), which the model was trained for
by replacing the note with a learned vector (note dropout). The card's ``note_conditioning``
entry (:meth:`NoteConditioning.to_dict`) says all this, so a server or device never guesses.

The model's vectors ``(B, D - 1)`` become full-spec vectors ``(B, D)`` by putting the note back
in its column (:meth:`NoteConditioning.insert`); an unknown note is filled with the parameter's
default, and callers that know the note to play (the bridge, the search) place it afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from patchflow.spec import SynthSpec

UNKNOWN_NOTE = -1.0  # the value fed for "no note" (any negative or NaN value means the same)
NOTE_INPUT = "note"  # the graph input's name


@dataclass(frozen=True)
class NoteConditioning:
    """Where the note lives in the synth's spec, and how the model is fed it.

    Attributes:
        param: Name of the spec's pitch note parameter.
        index: Its index in the native vector ``(P,)``.
        column: Its encoded column in the full vector ``(D,)``.
        min_midi: Lowest note the model was trained on (the parameter's minimum).
        max_midi: Highest note (the parameter's maximum).
        default_midi: The note written into predictions when it is unknown.
        unknown: The value the graph's ``note`` input takes for an unknown note.
        input: The graph input's name.
    """

    param: str
    index: int
    column: int
    min_midi: float
    max_midi: float
    default_midi: float
    unknown: float = UNKNOWN_NOTE
    input: str = NOTE_INPUT

    @classmethod
    def of(cls, spec: SynthSpec) -> NoteConditioning:
        """The conditioning for ``spec``'s pitch note parameter.

        Raises:
            ValueError: If the spec has no pitch note parameter, or it is not one column wide.
        """
        j = spec.note_index
        if j is None:
            raise ValueError(
                f"spec '{spec.synth}' has no pitch note parameter (note_field 'pitch'), so a "
                "model of it cannot be note-conditioned"
            )
        p = spec.params[j]
        if p.kind == "categorical" or p.min < 0:
            raise ValueError(f"note parameter {p.name!r} must be a non-negative MIDI number")
        return cls(p.name, j, spec.columns[j].start, p.min, p.max, p.default)

    def model_spec(self, spec: SynthSpec) -> SynthSpec:
        """The spec the model predicts: ``spec`` without the note parameter."""
        return spec.without_note()

    def keep_columns(self, dim: int) -> np.ndarray:
        """Encoded columns the model predicts, out of a full width ``dim``: ``(dim - 1,)``."""
        return np.delete(np.arange(dim), self.column)

    def drop(self, encoded: np.ndarray) -> np.ndarray:
        """Full-spec vectors ``(..., D)`` without the note column: ``(..., D - 1)``."""
        return np.delete(np.asarray(encoded), self.column, axis=-1)

    def notes_from_native(self, native: np.ndarray) -> np.ndarray:
        """The note each native patch ``(N, P)`` is rendered at (rounded, as rendering does)."""
        return np.round(np.asarray(native, np.float64)[:, self.index]).astype(np.float32)

    def notes_from_encoded(self, encoded: np.ndarray, spec: SynthSpec) -> np.ndarray:
        """The rendered note of full-spec vectors ``(N, D)``: ``(N,)`` float32."""
        unit = (np.asarray(encoded, np.float64)[:, self.column] + 1.0) / 2.0
        return np.round(spec.params[self.index].from_unit(unit)).astype(np.float32)

    def feed(self, note: float | np.ndarray | None, batch: int) -> np.ndarray:
        """The graph's ``note`` input ``(batch,)`` float32 for one note or one per item.

        ``None``, NaN and negative values are the unknown note.

        Raises:
            ValueError: On a known note outside the model's range, or the wrong count.
        """
        if note is None:
            return np.full(batch, self.unknown, np.float32)
        values = np.asarray(note, np.float64).reshape(-1)
        if values.size == 1:
            values = np.repeat(values, batch)
        if values.shape != (batch,):
            raise ValueError(f"expected one note or {batch} notes, got {values.size}")
        known = self.known(values)
        outside = known & ((values < self.min_midi) | (values > self.max_midi))
        if outside.any():
            raise ValueError(
                f"note {values[outside][0]:g} is outside the model's range "
                f"{self.min_midi:g}..{self.max_midi:g} ({self.param}); move it by octaves first "
                "(patchflow.pitch.place_note)"
            )
        return np.where(known, values, self.unknown).astype(np.float32)

    @staticmethod
    def known(values: np.ndarray) -> np.ndarray:
        """Which fed values are real notes (not negative, not NaN)."""
        v = np.asarray(values, np.float64)
        return np.isfinite(v) & (v >= 0)

    def insert(
        self, spec: SynthSpec, model_vectors: np.ndarray, note: float | np.ndarray | None
    ) -> np.ndarray:
        """The model's vectors ``(B, D - 1)`` as full-spec vectors ``(B, D)`` playing ``note``.

        Unknown notes (``None``, NaN, negative) play the parameter's default.
        """
        x = np.atleast_2d(np.asarray(model_vectors, np.float32))
        if x.shape[-1] != spec.dim - 1:
            raise ValueError(f"expected model vectors of width {spec.dim - 1}, got {x.shape}")
        fed = self.feed(note, len(x)).astype(np.float64)
        midi = np.where(self.known(fed), fed, self.default_midi)
        column = 2.0 * spec.params[self.index].to_unit(midi) - 1.0  # (B,)
        return np.insert(x, self.column, column.astype(np.float32), axis=1)

    def to_dict(self) -> dict[str, Any]:
        """The card's ``note_conditioning`` entry."""
        return {
            "param": self.param,
            "index": self.index,
            "column": self.column,
            "min_midi": self.min_midi,
            "max_midi": self.max_midi,
            "default_midi": self.default_midi,
            "unknown": self.unknown,
            "input": self.input,
            "unknown_rule": "a negative or NaN note is unknown (unpitched input)",
        }

    @classmethod
    def from_dict(cls, raw: Any, spec: SynthSpec) -> NoteConditioning:
        """Parse a card's entry and check it against ``spec``.

        Raises:
            ValueError: If the entry is malformed or names another parameter than the spec's.
        """
        if not isinstance(raw, dict):
            raise ValueError("note_conditioning must be an object")
        expected = cls.of(spec)
        try:
            got = cls(
                param=str(raw["param"]),
                index=int(raw["index"]),
                column=int(raw["column"]),
                min_midi=float(raw["min_midi"]),
                max_midi=float(raw["max_midi"]),
                default_midi=float(raw["default_midi"]),
                unknown=float(raw.get("unknown", UNKNOWN_NOTE)),
                input=str(raw.get("input", NOTE_INPUT)),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"note_conditioning is malformed: {err!r}") from None
        if (got.param, got.index, got.column) != (expected.param, expected.index, expected.column):
            raise ValueError(
                f"note_conditioning names {got.param!r} (index {got.index}), but the spec's note "
                f"parameter is {expected.param!r} (index {expected.index})"
            )
        if not (got.unknown < 0 or math.isnan(got.unknown)) or got.input != NOTE_INPUT:
            raise ValueError("note_conditioning: unknown must be negative and input 'note'")
        return got


def conditioning_note(placement: Any) -> float | None:
    """The note to feed a note-conditioned model for a :class:`patchflow.pitch.NotePlacement`.

    The placed note (inside the spec's range, where candidates are rendered) when a pitch was
    detected; ``None`` (unknown) for unpitched input or no placement.
    """
    if placement is None or getattr(placement, "detected", None) is None:
        return None
    return float(placement.note)
