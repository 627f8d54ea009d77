"""Codec-independent request and reply objects.

The OSC and ZeroMQ codecs both decode into these requests and encode these replies, so the
dispatcher never sees bytes. ``cmd`` names the request family (the ZeroMQ ``cmd`` field); all
match variants share ``"match"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, TypeAlias

import numpy as np

PROTOCOL_VERSION = 1
"""Protocol version, sent in ``/patchflow/pong`` and in every ZeroMQ header (``"v"``)."""

NO_ID = -1
"""Request id used in error replies when the request had no readable id."""


# ---------------------------------------------------------------------------------------------
# Requests


@dataclass(frozen=True)
class PingRequest:
    """Liveness check; ``request_id`` is 0 when an OSC ping carried none."""

    cmd: ClassVar[str] = "ping"
    request_id: int = 0


@dataclass(frozen=True)
class InfoRequest:
    """Model and synth description. OSC sends no id (``None``); ZeroMQ always does."""

    cmd: ClassVar[str] = "info"
    request_id: int | None = None


@dataclass(frozen=True)
class NamesRequest:
    """Parameter names in spec order."""

    cmd: ClassVar[str] = "names"
    request_id: int | None = None


@dataclass(frozen=True)
class MatchFileRequest:
    """Match an audio file that the server reads from its own file system."""

    cmd: ClassVar[str] = "match"
    request_id: int
    path: str


@dataclass(frozen=True)
class MatchBeginRequest:
    """Start a chunked upload of ``frames * channels`` interleaved float32 samples."""

    cmd: ClassVar[str] = "match"
    request_id: int
    sample_rate: int
    channels: int
    frames: int


@dataclass(frozen=True)
class MatchChunkRequest:
    """Samples ``offset .. offset + len(samples)`` of an upload's interleaved buffer."""

    cmd: ClassVar[str] = "match"
    request_id: int
    offset: int
    samples: np.ndarray = field(repr=False)  # (n,) float32


@dataclass(frozen=True)
class MatchEndRequest:
    """Finish a chunked upload and match it."""

    cmd: ClassVar[str] = "match"
    request_id: int


@dataclass(frozen=True)
class MatchAudioRequest:
    """Match audio sent whole (ZeroMQ), or a finished OSC upload."""

    cmd: ClassVar[str] = "match"
    request_id: int
    audio: np.ndarray = field(repr=False)  # (C, T) float32
    sample_rate: int


@dataclass(frozen=True)
class MacroRequest:
    """Set macro ``index`` to ``value`` (0..1, 0.5 = the matched patch) and re-solve."""

    cmd: ClassVar[str] = "macro"
    index: int
    value: float
    request_id: int | None = None


@dataclass(frozen=True)
class MorphRequest:
    """Interpolate between the previous (0) and the last (1) match."""

    cmd: ClassVar[str] = "morph"
    value: float
    request_id: int | None = None


@dataclass(frozen=True)
class LearnRequest:
    """Arm MIDI learn: the next CC the server's MIDI input receives becomes macro ``index``.

    ``index`` -1 cancels learn mode. The range against ``n_macros`` is the dispatcher's check.
    """

    cmd: ClassVar[str] = "learn"
    index: int
    request_id: int | None = None


@dataclass(frozen=True)
class BindingsRequest:
    """The MIDI input's macro bindings."""

    cmd: ClassVar[str] = "bindings"
    request_id: int | None = None


Request: TypeAlias = (
    PingRequest
    | InfoRequest
    | NamesRequest
    | MatchFileRequest
    | MatchBeginRequest
    | MatchChunkRequest
    | MatchEndRequest
    | MatchAudioRequest
    | MacroRequest
    | MorphRequest
    | LearnRequest
    | BindingsRequest
)


# ---------------------------------------------------------------------------------------------
# Replies


@dataclass(frozen=True)
class PongReply:
    """Answer to a ping."""

    request_id: int
    model: str
    protocol_version: int = PROTOCOL_VERSION


@dataclass(frozen=True)
class InfoReply:
    """Model and synth description."""

    request_id: int | None
    model: str
    synth: str
    n_params: int
    sample_rate: int
    max_seconds: float
    min_seconds: float
    n_macros: int


@dataclass(frozen=True)
class NamesReply:
    """Parameter names in spec order."""

    request_id: int | None
    names: tuple[str, ...]


@dataclass(frozen=True)
class ParamsReply:
    """A parameter set from a match, macro or morph.

    Args:
        cmd: ``"match"``, ``"macro"`` or ``"morph"``.
        request_id: The id the request carried (for a match, the match id). OSC macro and morph
            requests carry none, so it is the match id there too.
        match_id: The id of the match the parameters derive from (OSC replies carry this one).
        params01: (P,) float32, normalised 0..1, spec order.
        native: (P,) float32, native units, categorical as choice index.
        latency_ms: Server-side time from receiving the request to the reply.
    """

    cmd: str
    request_id: int
    match_id: int
    params01: np.ndarray = field(repr=False)
    native: np.ndarray = field(repr=False)
    latency_ms: float


@dataclass(frozen=True)
class ErrorReply:
    """A refused or failed request.

    Args:
        request_id: The request's id, or :data:`NO_ID` when it had no readable one.
        code: One of :data:`patchflow.bridge.errors.ERROR_CODES`.
        message: The reason, naming the bad field or argument.
        cmd: The request family when known (for the ZeroMQ header).
    """

    request_id: int
    code: str
    message: str
    cmd: str | None = None

    @property
    def text(self) -> str:
        """``"<code>: <message>"``, the OSC error string."""
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class MacroBinding:
    """Macro ``index`` moves with controller ``controller`` on MIDI channel ``channel`` (1..16)."""

    index: int
    channel: int
    controller: int


LEARN_CANCELLED = MacroBinding(index=-1, channel=0, controller=0)
"""The binding a cancel (``learn -1``) is answered with: learn mode is off, nothing bound."""


@dataclass(frozen=True)
class LearnedReply:
    """A learn request completed: ``binding`` is the new binding (:data:`LEARN_CANCELLED` for a
    cancel)."""

    request_id: int | None
    binding: MacroBinding


@dataclass(frozen=True)
class BindingsReply:
    """The MIDI input's macro bindings, ordered by macro index."""

    request_id: int | None
    bindings: tuple[MacroBinding, ...]


Reply: TypeAlias = (
    PongReply | InfoReply | NamesReply | ParamsReply | ErrorReply | LearnedReply | BindingsReply
)
