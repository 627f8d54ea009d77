"""The patchflow OSC protocol: typed requests from :class:`OscMessage`, and reply messages.

Addresses and argument layouts are the contract in docs/protocol.md (the Max for Live device is
built against it). Parsing checks argument count, types and simple ranges and raises
:class:`RequestError` naming the address and the argument; checks that need the engine (macro
index against ``n_macros``, audio limits) are the dispatcher's.

An ``i`` argument is accepted where ``f`` is expected (Max sends ``1`` as an int); the reverse is
refused. Replies carry only ``i``, ``f`` (float32) and ``s``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from patchflow.bridge.errors import RequestError
from patchflow.bridge.messages import (
    BindingsReply,
    BindingsRequest,
    ErrorReply,
    HelloReply,
    HelloRequest,
    ImprovementReply,
    InfoReply,
    InfoRequest,
    LearnedReply,
    LearnRequest,
    MacroRequest,
    MatchBeginRequest,
    MatchChunkRequest,
    MatchEndRequest,
    MatchFileRequest,
    MorphRequest,
    NamesReply,
    NamesRequest,
    NoteReply,
    ParamsReply,
    PingRequest,
    PongReply,
    Reply,
    Request,
)
from patchflow.bridge.osc_codec import INT32_MAX, TAG_NAMES, OscMessage

# Requests (client -> server)
ADDR_PING = "/patchflow/ping"
ADDR_INFO = "/patchflow/info"
ADDR_NAMES = "/patchflow/names"
ADDR_MATCH_FILE = "/patchflow/match/file"
ADDR_MATCH_BEGIN = "/patchflow/match/begin"
ADDR_MATCH_CHUNK = "/patchflow/match/chunk"
ADDR_MATCH_END = "/patchflow/match/end"
ADDR_MACRO = "/patchflow/macro"
ADDR_MORPH = "/patchflow/morph"
ADDR_MIDI_LEARN = "/patchflow/midi/learn"
ADDR_MIDI_BINDINGS = "/patchflow/midi/bindings"
ADDR_HELLO = "/patchflow/hello"

# Replies (server -> client); /patchflow/info, /patchflow/names and /patchflow/midi/bindings
# reuse the request addresses.
ADDR_PONG = "/patchflow/pong"
ADDR_PARAMS = "/patchflow/params"
ADDR_NATIVE = "/patchflow/native"
ADDR_LATENCY = "/patchflow/latency"
ADDR_ERROR = "/patchflow/error"
ADDR_MIDI_LEARNED = "/patchflow/midi/learned"
ADDR_NOTE = "/patchflow/note"
ADDR_SCORE = "/patchflow/score"
ADDR_CANDIDATE = "/patchflow/candidate"

MAX_CHUNK_FLOATS = 1600
"""Most floats in one ``/patchflow/match/chunk`` (keeps the datagram under 8192 bytes)."""

MAX_ERROR_CHARS = 2000
"""Error messages are cut to this length so the error datagram stays small."""

SIGNATURES = {
    ADDR_PING: "[id:i]",
    ADDR_INFO: "no arguments",
    ADDR_NAMES: "no arguments",
    ADDR_MATCH_FILE: "id:i path:s",
    ADDR_MATCH_BEGIN: "id:i sample_rate:i channels:i frames:i",
    ADDR_MATCH_CHUNK: f"id:i offset:i f... (1..{MAX_CHUNK_FLOATS} floats)",
    ADDR_MATCH_END: "id:i",
    ADDR_MACRO: "index:i value:f",
    ADDR_MORPH: "value:f",
    ADDR_MIDI_LEARN: "macro_index:i (-1 cancels)",
    ADDR_MIDI_BINDINGS: "no arguments",
    ADDR_HELLO: "reply_port:i (1..65535)",
}
"""Argument layout per request address, quoted in error messages."""

_CMDS = {
    ADDR_PING: "ping",
    ADDR_INFO: "info",
    ADDR_NAMES: "names",
    ADDR_MATCH_FILE: "match",
    ADDR_MATCH_BEGIN: "match",
    ADDR_MATCH_CHUNK: "match",
    ADDR_MATCH_END: "match",
    ADDR_MACRO: "macro",
    ADDR_MORPH: "morph",
    ADDR_MIDI_LEARN: "learn",
    ADDR_MIDI_BINDINGS: "bindings",
    ADDR_HELLO: "hello",
}


# ---------------------------------------------------------------------------------------------
# Argument checks


def _type_name(tag: str) -> str:
    return f"{TAG_NAMES.get(tag, 'unknown')} ({tag})"


_ADDRESSES_WITH_ID = frozenset(
    {ADDR_PING, ADDR_MATCH_FILE, ADDR_MATCH_BEGIN, ADDR_MATCH_CHUNK, ADDR_MATCH_END}
)


def peek_request_id(msg: OscMessage) -> int | None:
    """The request id of a message whose address carries one as its first argument, if readable."""
    if msg.address in _ADDRESSES_WITH_ID and (msg.type_tags or "")[:1] == "i":
        value = msg.args[0]
        if isinstance(value, int) and 0 <= value <= INT32_MAX:
            return value
    return None


def _fail(msg: OscMessage, detail: str) -> RequestError:
    return RequestError(
        f"{msg.address}: {detail} (layout: {SIGNATURES[msg.address]})",
        request_id=peek_request_id(msg),
        cmd=_CMDS[msg.address],
    )


def _check_count(msg: OscMessage, n_min: int, n_max: int | None = None) -> None:
    n = len(msg.args)
    n_max = n_min if n_max is None else n_max
    if n < n_min or n > n_max:
        wanted = str(n_min) if n_min == n_max else f"{n_min} to {n_max}"
        raise _fail(msg, f"got {n} argument(s), expected {wanted}")


def _int_arg(msg: OscMessage, index: int, name: str, *, lo: int = 0, hi: int = INT32_MAX) -> int:
    tag = (msg.type_tags or "")[index]
    value = msg.args[index]
    if tag != "i":
        raise _fail(
            msg, f"argument {index + 1} ({name}) must be an int32 (i), got {_type_name(tag)}"
        )
    assert isinstance(value, int)
    if not lo <= value <= hi:
        raise _fail(msg, f"argument {index + 1} ({name}) = {value} is outside {lo}..{hi}")
    return value


def _float_arg(
    msg: OscMessage, index: int, name: str, *, lo: float = 0.0, hi: float = 1.0
) -> float:
    tag = (msg.type_tags or "")[index]
    value = msg.args[index]
    if tag not in ("f", "i"):
        raise _fail(
            msg, f"argument {index + 1} ({name}) must be a float32 (f), got {_type_name(tag)}"
        )
    assert isinstance(value, int | float)
    value = float(value)
    if not (math.isfinite(value) and lo <= value <= hi):
        raise _fail(msg, f"argument {index + 1} ({name}) = {value} is outside {lo}..{hi}")
    return value


def _str_arg(msg: OscMessage, index: int, name: str) -> str:
    tag = (msg.type_tags or "")[index]
    value = msg.args[index]
    if tag != "s":
        raise _fail(
            msg, f"argument {index + 1} ({name}) must be a string (s), got {_type_name(tag)}"
        )
    assert isinstance(value, str)
    if not value:
        raise _fail(msg, f"argument {index + 1} ({name}) is empty")
    return value


# ---------------------------------------------------------------------------------------------
# Request parsers


def _parse_ping(msg: OscMessage) -> PingRequest:
    _check_count(msg, 0, 1)
    if msg.args:
        return PingRequest(request_id=_int_arg(msg, 0, "id"))
    return PingRequest()


def _parse_info(msg: OscMessage) -> InfoRequest:
    _check_count(msg, 0)
    return InfoRequest()


def _parse_names(msg: OscMessage) -> NamesRequest:
    _check_count(msg, 0)
    return NamesRequest()


def _parse_match_file(msg: OscMessage) -> MatchFileRequest:
    _check_count(msg, 2)
    return MatchFileRequest(request_id=_int_arg(msg, 0, "id"), path=_str_arg(msg, 1, "path"))


def _parse_match_begin(msg: OscMessage) -> MatchBeginRequest:
    _check_count(msg, 4)
    return MatchBeginRequest(
        request_id=_int_arg(msg, 0, "id"),
        sample_rate=_int_arg(msg, 1, "sample_rate", lo=1),
        channels=_int_arg(msg, 2, "channels", lo=1),
        frames=_int_arg(msg, 3, "frames", lo=1),
    )


def _parse_match_chunk(msg: OscMessage) -> MatchChunkRequest:
    _check_count(msg, 3, 2 + MAX_CHUNK_FLOATS)
    request_id = _int_arg(msg, 0, "id")
    offset = _int_arg(msg, 1, "offset")
    tags = (msg.type_tags or "")[2:]
    if tags.strip("fi"):
        bad = next(k for k, tag in enumerate(tags) if tag not in "fi")
        raise _fail(
            msg,
            f"argument {bad + 3} (sample {bad}) must be a float32 (f), got {_type_name(tags[bad])}",
        )
    samples = np.asarray(msg.args[2:], dtype=np.float32)
    return MatchChunkRequest(request_id=request_id, offset=offset, samples=samples)


def _parse_match_end(msg: OscMessage) -> MatchEndRequest:
    _check_count(msg, 1)
    return MatchEndRequest(request_id=_int_arg(msg, 0, "id"))


def _parse_macro(msg: OscMessage) -> MacroRequest:
    _check_count(msg, 2)
    return MacroRequest(index=_int_arg(msg, 0, "index"), value=_float_arg(msg, 1, "value"))


def _parse_morph(msg: OscMessage) -> MorphRequest:
    _check_count(msg, 1)
    return MorphRequest(value=_float_arg(msg, 0, "value"))


def _parse_midi_learn(msg: OscMessage) -> LearnRequest:
    _check_count(msg, 1)
    return LearnRequest(index=_int_arg(msg, 0, "macro_index", lo=-1))


def _parse_midi_bindings(msg: OscMessage) -> BindingsRequest:
    _check_count(msg, 0)
    return BindingsRequest()


def _parse_hello(msg: OscMessage) -> HelloRequest:
    _check_count(msg, 1)
    return HelloRequest(reply_port=_int_arg(msg, 0, "reply_port", lo=1, hi=65535))


_PARSERS: dict[str, Callable[[OscMessage], Request]] = {
    ADDR_PING: _parse_ping,
    ADDR_INFO: _parse_info,
    ADDR_NAMES: _parse_names,
    ADDR_MATCH_FILE: _parse_match_file,
    ADDR_MATCH_BEGIN: _parse_match_begin,
    ADDR_MATCH_CHUNK: _parse_match_chunk,
    ADDR_MATCH_END: _parse_match_end,
    ADDR_MACRO: _parse_macro,
    ADDR_MORPH: _parse_morph,
    ADDR_MIDI_LEARN: _parse_midi_learn,
    ADDR_MIDI_BINDINGS: _parse_midi_bindings,
    ADDR_HELLO: _parse_hello,
}

REQUEST_ADDRESSES = tuple(_PARSERS)


def parse_request(msg: OscMessage) -> Request:
    """Turn an OSC message into a typed request.

    Args:
        msg: A decoded message.

    Returns:
        The request dataclass for its address.

    Raises:
        RequestError: Unknown address, wrong argument count, wrong type (including types the
            decoder reads but the protocol does not use: ``d h T F N b``) or a value out of
            range. The message names the address and the argument; ``request_id`` is set when
            the request's id was readable.
    """
    parser = _PARSERS.get(msg.address)
    if parser is None:
        raise RequestError(
            f"unknown address {msg.address!r} (known: {', '.join(REQUEST_ADDRESSES)})"
        )
    return parser(msg)


# ---------------------------------------------------------------------------------------------
# Replies


def _floats(values: np.ndarray) -> list[float]:
    return np.asarray(values, dtype=np.float32).reshape(-1).tolist()


def pong_reply(reply: PongReply) -> OscMessage:
    """``/patchflow/pong <id:i> <model:s> <protocol_version:i>``."""
    return OscMessage(ADDR_PONG, (reply.request_id, reply.model, reply.protocol_version))


def info_reply(reply: InfoReply) -> OscMessage:
    """``/patchflow/info <model:s> <synth:s> <n_params:i> <sample_rate:i> <max_seconds:f>
    <n_macros:i> <search_budget_s:f>`` (the budget last: older clients read the fields before
    it in place)."""
    return OscMessage(
        ADDR_INFO,
        (
            reply.model,
            reply.synth,
            int(reply.n_params),
            int(reply.sample_rate),
            float(reply.max_seconds),
            int(reply.n_macros),
            float(np.float32(reply.search_budget_s)),
        ),
    )


def names_reply(reply: NamesReply) -> OscMessage:
    """``/patchflow/names <s>...``."""
    return OscMessage(ADDR_NAMES, tuple(reply.names))


def params_reply(reply: ParamsReply) -> list[OscMessage]:
    """``/patchflow/params``, ``/patchflow/native`` and ``/patchflow/latency``, in that order.

    All three carry the match id (for macro and morph: the match they derive from).
    """
    match_id = reply.match_id
    return [
        OscMessage(ADDR_PARAMS, (match_id, *_floats(reply.params01))),
        OscMessage(ADDR_NATIVE, (match_id, *_floats(reply.native))),
        OscMessage(ADDR_LATENCY, (match_id, float(np.float32(reply.latency_ms)))),
    ]


def learned_reply(reply: LearnedReply) -> OscMessage:
    """``/patchflow/midi/learned <macro_index:i> <channel:i> <controller:i>`` (``-1 0 0``: learn
    cancelled)."""
    b = reply.binding
    return OscMessage(ADDR_MIDI_LEARNED, (int(b.index), int(b.channel), int(b.controller)))


def bindings_reply(reply: BindingsReply) -> OscMessage:
    """``/patchflow/midi/bindings <macro:i> <channel:i> <cc:i> ...``: flat triples by macro."""
    args = tuple(int(v) for b in reply.bindings for v in (b.index, b.channel, b.controller))
    return OscMessage(ADDR_MIDI_BINDINGS, args)


def hello_reply(reply: HelloReply) -> OscMessage:
    """``/patchflow/hello <reply_port:i> <protocol_version:i> <search_budget_s:f>`` (budget 0:
    a match gets its first answer and no stream)."""
    return OscMessage(
        ADDR_HELLO,
        (
            int(reply.reply_port),
            int(reply.protocol_version),
            float(np.float32(reply.search_budget_s)),
        ),
    )


def note_reply(reply: NoteReply) -> OscMessage:
    """``/patchflow/note <id:i> <midi:f> <confidence:f> <octaves_shifted:i>`` (midi -1.0:
    unpitched)."""
    midi = -1.0 if reply.midi is None else float(np.float32(reply.midi))
    confidence = float(np.float32(reply.confidence))
    return OscMessage(ADDR_NOTE, (reply.request_id, midi, confidence, int(reply.octaves_shifted)))


def improvement_reply(reply: ImprovementReply) -> list[OscMessage]:
    """One search-stream step: ``/patchflow/params`` and ``/patchflow/native`` (when it carries a
    patch), then on the final step ``/patchflow/candidate <id:i> <rank:i> <score:f> <f>...`` per
    candidate (best first), then ``/patchflow/score <id:i> <score:f> <final:i>``."""
    match_id = reply.request_id
    messages = []
    if reply.params01 is not None and reply.native is not None:
        messages.append(OscMessage(ADDR_PARAMS, (match_id, *_floats(reply.params01))))
        messages.append(OscMessage(ADDR_NATIVE, (match_id, *_floats(reply.native))))
    for rank, candidate in enumerate(reply.candidates):
        score = float(np.float32(candidate.score))
        messages.append(
            OscMessage(ADDR_CANDIDATE, (match_id, rank, score, *_floats(candidate.params01)))
        )
    score = float(np.float32(reply.score))
    messages.append(OscMessage(ADDR_SCORE, (match_id, score, int(reply.final))))
    return messages


def error_reply(request_id: int, message: str) -> OscMessage:
    """``/patchflow/error <id:i> <message:s>``; the message is cut to :data:`MAX_ERROR_CHARS`."""
    if len(message) > MAX_ERROR_CHARS:
        message = message[: MAX_ERROR_CHARS - 3] + "..."
    return OscMessage(ADDR_ERROR, (int(request_id), message))


def encode_reply(reply: Reply) -> list[OscMessage]:
    """The OSC messages for one reply object, in sending order."""
    if isinstance(reply, ParamsReply):
        return params_reply(reply)
    if isinstance(reply, ErrorReply):
        return [error_reply(reply.request_id, reply.text)]
    if isinstance(reply, PongReply):
        return [pong_reply(reply)]
    if isinstance(reply, InfoReply):
        return [info_reply(reply)]
    if isinstance(reply, NamesReply):
        return [names_reply(reply)]
    if isinstance(reply, LearnedReply):
        return [learned_reply(reply)]
    if isinstance(reply, BindingsReply):
        return [bindings_reply(reply)]
    if isinstance(reply, ImprovementReply):
        return improvement_reply(reply)
    if isinstance(reply, NoteReply):
        return [note_reply(reply)]
    if isinstance(reply, HelloReply):
        return [hello_reply(reply)]
    raise TypeError(f"not a reply: {reply!r}")
