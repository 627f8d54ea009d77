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


@dataclass(frozen=True)
class HelloRequest:
    """OSC only: send this sender's replies to ``reply_port`` on its host (a device instance's
    own receive port). Handled by the OSC transport, never by the dispatcher."""

    cmd: ClassVar[str] = "hello"
    reply_port: int


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
    | HelloRequest
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
    """Model and synth description, and the server's search budget (seconds each match keeps
    improving after its first answer; 0: one answer per match, no stream)."""

    request_id: int | None
    model: str
    synth: str
    n_params: int
    sample_rate: int
    max_seconds: float
    min_seconds: float
    n_macros: int
    search_budget_s: float = 0.0


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


@dataclass(frozen=True)
class HelloReply:
    """Answer to a hello, sent to the newly registered reply address; carries the server's
    search budget in seconds (0: no search stream follows a match's first answer)."""

    reply_port: int
    protocol_version: int = PROTOCOL_VERSION
    search_budget_s: float = 0.0


@dataclass(frozen=True)
class NoteReply:
    """The pitch a match's search renders its candidates at (once per match, before the first
    improvement; only for synths with a note parameter).

    Args:
        request_id: The match id.
        midi: The input's detected fractional MIDI note; None when unpitched.
        confidence: 0..1.
        octaves_shifted: Octaves the note was moved to fit the synth's range (+ up, - down).
    """

    request_id: int
    midi: float | None
    confidence: float
    octaves_shifted: int


@dataclass(frozen=True)
class ScoredPatch:
    """One of a search's best distinct patches.

    Args:
        score: Spectral distance to the input (lower is better).
        params01: (P,) float32, normalised 0..1, spec order.
    """

    score: float
    params01: np.ndarray = field(repr=False)


NO_SCORE = -1.0
"""Score of a final message when the search scored nothing (cancelled before it started)."""


@dataclass(frozen=True)
class ImprovementReply:
    """One message of a match's search stream (after the match's first answer).

    Args:
        request_id: The match id.
        params01: (P,) float32 better patch, normalised; None on a final message that carries no
            patch (the search was cancelled, or found nothing better).
        native: (P,) float32 the same patch in native units; None with ``params01``.
        score: Spectral distance of the best patch so far (:data:`NO_SCORE` if none).
        final: The last message of this match's stream.
        candidates: The best distinct patches, best first (final message only; may be empty).
        stage: ``"model"``, ``"proposals"`` or ``"refine"`` (search phase that found it).
        renders: Synth renders so far.
        elapsed_s: Search time so far.
    """

    request_id: int
    params01: np.ndarray | None = field(repr=False)
    native: np.ndarray | None = field(repr=False)
    score: float
    final: bool
    candidates: tuple[ScoredPatch, ...] = ()
    stage: str = ""
    renders: int = 0
    elapsed_s: float = 0.0


Reply: TypeAlias = (
    PongReply
    | InfoReply
    | NamesReply
    | ParamsReply
    | ErrorReply
    | LearnedReply
    | BindingsReply
    | HelloReply
    | NoteReply
    | ImprovementReply
)
