"""The synth interface: a batch call from parameter sets and notes to audio."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np

from patchflow.spec import SynthSpec


@dataclass(frozen=True)
class Note:
    """A MIDI note to render: pitch and velocity (0..127), note-on and note-off times."""

    pitch: int = 60
    velocity: int = 100
    on_s: float = 0.0
    off_s: float = 1.0

    def __post_init__(self) -> None:
        if not (0 <= self.pitch <= 127 and 0 <= self.velocity <= 127):
            raise ValueError(
                f"pitch and velocity must be 0..127, got {self.pitch}, {self.velocity}"
            )
        if not 0 <= self.on_s <= self.off_s:
            raise ValueError(f"need 0 <= on_s <= off_s, got {self.on_s}, {self.off_s}")


def notes_for(spec: SynthSpec, native: np.ndarray) -> list[Note]:
    """The note of each parameter set: the spec's note defaults, overridden by note parameters."""
    base = {"pitch": 60.0, "velocity": 100.0, "on_s": 0.0, "off_s": spec.duration_s * 0.75}
    base.update(spec.note)
    native = np.atleast_2d(native)
    fields = [(j, p.note_field) for j, p in enumerate(spec.params) if p.note_field]
    notes = []
    for row in native:
        values = dict(base)
        values.update({f: float(row[j]) for j, f in fields})
        on, off = sorted((values["on_s"], values["off_s"]))
        notes.append(Note(round(values["pitch"]), round(values["velocity"]), on, off))
    return notes


@runtime_checkable
class Synth(Protocol):
    """Anything that renders batches of parameter sets.

    ``render(params, notes)`` takes native parameter values ``(N, P)`` in spec order (categorical
    as choice index) and one note per item (``None``: the spec's notes), and returns float32 audio
    ``(N, channels, num_samples)`` at ``sample_rate``. ``close()`` releases what the synth holds
    (a plug-in instance, temporary files); ``with synth:`` closes it on the way out.
    """

    spec: SynthSpec
    sample_rate: int
    channels: int
    num_samples: int

    def render(self, params: np.ndarray, notes: Sequence[Note] | None = None) -> np.ndarray: ...

    def close(self) -> None: ...

    def __enter__(self) -> Synth: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


_S = TypeVar("_S", bound="Closing")


class Closing:
    """Mixin for synths: ``close()`` (a no-op here) and context-manager support.

    Example:
        >>> with create_synth("amsynth") as synth:  # the plug-in is released on the way out
        ...     audio = synth.render(native)
    """

    def close(self) -> None:
        """Release what the synth holds; calling it again does nothing."""

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
