"""Pure ZeroMQ multipart codec: frames <-> requests and replies. No sockets.

Request: ``[header, audio?]``. The header is a UTF-8 JSON object
``{"v": 1, "id": int, "cmd": "match"|"ping"|"info"|"names"|"macro"|"morph"|"learn"|"bindings",
...}`` with ``sample_rate`` and ``channels`` for ``match`` (followed by one audio frame:
interleaved float32 little-endian, frames x channels), ``index`` and ``value`` for ``macro``,
``value`` for ``morph``, ``index`` for ``learn`` (-1 cancels). Unknown header fields are ignored.

Reply: ``[header]`` or, for ``match``/``macro``/``morph`` results, ``[header, params01, native]``
with two float32 little-endian frames of ``n_params`` values. The full layout with golden examples
is in docs/protocol.md. The ROUTER routing-id (and a REQ client's empty delimiter) is the
transport's business, not the codec's.
"""

from __future__ import annotations

import json
import math
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from patchflow.bridge.errors import BridgeError, ProtocolError, RequestError
from patchflow.bridge.messages import (
    NO_ID,
    PROTOCOL_VERSION,
    BindingsReply,
    BindingsRequest,
    ErrorReply,
    ImprovementReply,
    InfoReply,
    InfoRequest,
    LearnedReply,
    LearnRequest,
    MacroBinding,
    MacroRequest,
    MatchAudioRequest,
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

COMMANDS = ("match", "ping", "info", "names", "macro", "morph", "learn", "bindings")
MAX_HEADER_BYTES = 65536
MAX_ID = 2**53
"""Request ids are integers 0..2**53 (exactly representable in every JSON implementation)."""
FLOAT32_LE = np.dtype("<f4")


def dumps(header: dict[str, Any]) -> bytes:
    """Canonical header bytes: compact JSON, keys in insertion order, ASCII only."""
    return json.dumps(header, separators=(",", ":"), allow_nan=False).encode("ascii")


def float32_frame(values: np.ndarray) -> bytes:
    """Raw little-endian float32 bytes of ``values`` (C order)."""
    return np.ascontiguousarray(values, dtype=FLOAT32_LE).tobytes()


# ---------------------------------------------------------------------------------------------
# Requests


_SHOW = reprlib.Repr()
_SHOW.maxlevel = 2
_SHOW.maxstring = _SHOW.maxother = _SHOW.maxlong = 80
_SHOW.maxlist = _SHOW.maxdict = 4


def _show(value: Any) -> str:
    """A short repr of a header value for an error message (deep or huge values cut)."""
    try:
        return _SHOW.repr(value)
    except (ValueError, RecursionError):  # e.g. an int beyond the digit limit
        return f"<{type(value).__name__}>"


def _fail(
    kind: type[ProtocolError] | type[RequestError], message: str, rid: int | None, cmd: Any
) -> BridgeError:
    return kind(message, request_id=rid, cmd=cmd if cmd in COMMANDS else None)


def _int_field(
    header: dict[str, Any], name: str, rid: int | None, cmd: str, lo: int, hi: int
) -> int:
    if name not in header:
        raise _fail(RequestError, f"cmd {cmd!r} needs the header field {name!r}", rid, cmd)
    value = header[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(
            RequestError, f"field {name!r} must be an integer, got {_show(value)}", rid, cmd
        )
    if not lo <= value <= hi:
        raise _fail(
            RequestError, f"field {name!r} = {_show(value)} is outside {lo}..{hi}", rid, cmd
        )
    return value


def _unit_field(header: dict[str, Any], name: str, rid: int | None, cmd: str) -> float:
    if name not in header:
        raise _fail(RequestError, f"cmd {cmd!r} needs the header field {name!r}", rid, cmd)
    value = header[name]
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _fail(RequestError, f"field {name!r} must be a number, got {_show(value)}", rid, cmd)
    value = float(value)
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise _fail(RequestError, f"field {name!r} = {value} is outside 0..1", rid, cmd)
    return value


def _parse_header(frame: bytes) -> dict[str, Any]:
    if len(frame) > MAX_HEADER_BYTES:
        raise ProtocolError(f"header frame is {len(frame)} bytes (limit {MAX_HEADER_BYTES})")
    try:
        header = json.loads(bytes(frame).decode("utf-8"))
    except RecursionError:
        raise ProtocolError("header frame nests JSON arrays or objects too deeply") from None
    except ValueError as exc:  # bad UTF-8 or JSON, an integer beyond Python's digit limit
        if "integer string conversion" in str(exc):
            raise ProtocolError(
                "header frame holds an integer with too many digits (ids are 0..2**53)"
            ) from None
        raise ProtocolError(f"header frame is not valid UTF-8 JSON: {_show(str(exc))}") from None
    if not isinstance(header, dict):
        raise ProtocolError(f"header must be a JSON object, got {type(header).__name__}")
    return header


def _decode_audio(frame: bytes, channels: int, rid: int, cmd: str) -> np.ndarray:
    bytes_per_frame = FLOAT32_LE.itemsize * channels
    if len(frame) % bytes_per_frame:
        raise _fail(
            ProtocolError,
            f"audio frame of {len(frame)} bytes is not a multiple of 4 bytes x {channels} "
            f"channel(s) = {bytes_per_frame}",
            rid,
            cmd,
        )
    interleaved = np.frombuffer(frame, dtype=FLOAT32_LE).reshape(-1, channels)
    return np.ascontiguousarray(interleaved.T, dtype=np.float32)


def decode_request(frames: Sequence[bytes]) -> Request:
    """Decode a request's frames (routing id and delimiter already removed).

    Args:
        frames: ``[header]`` or ``[header, audio]``.

    Returns:
        The typed request; ``match`` gives a :class:`MatchAudioRequest` with (C, T) float32 audio.

    Raises:
        ProtocolError: Wrong frame count, bad JSON, version mismatch, audio length not a multiple
            of ``4 * channels``.
        RequestError: Unknown ``cmd``, missing or mistyped fields, values out of range.
        Both carry ``request_id`` and ``cmd`` when they could be read. Nothing else escapes:
        every malformed message gets an error reply.
    """
    try:
        return _decode_request(frames)
    except BridgeError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
        raise ProtocolError(f"malformed request: {_show(str(exc))}") from None


def _decode_request(frames: Sequence[bytes]) -> Request:
    if not frames:
        raise ProtocolError("empty message: expected [header] or [header, audio]")
    header = _parse_header(frames[0])
    raw_id = header.get("id")
    rid = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
    rid = rid if rid is not None and 0 <= rid <= MAX_ID else None
    cmd = header.get("cmd")
    if "v" not in header:
        raise _fail(ProtocolError, 'header has no protocol version field "v"', rid, cmd)
    if header["v"] != PROTOCOL_VERSION or isinstance(header["v"], bool):
        raise _fail(
            ProtocolError,
            f"protocol version {_show(header['v'])} is not supported (this server speaks "
            f"v{PROTOCOL_VERSION})",
            rid,
            cmd,
        )
    if cmd not in COMMANDS:
        raise _fail(
            RequestError, f"unknown cmd {_show(cmd)} (known: {', '.join(COMMANDS)})", rid, cmd
        )
    request_id = _int_field(header, "id", rid, cmd, 0, MAX_ID)
    n_frames = 2 if cmd == "match" else 1
    if len(frames) != n_frames:
        layout = "[header, audio]" if n_frames == 2 else "[header]"
        raise _fail(
            ProtocolError,
            f"cmd {cmd!r} takes {n_frames} frame(s) {layout}, got {len(frames)}",
            rid,
            cmd,
        )
    if cmd == "ping":
        return PingRequest(request_id=request_id)
    if cmd == "info":
        return InfoRequest(request_id=request_id)
    if cmd == "names":
        return NamesRequest(request_id=request_id)
    if cmd == "macro":
        index = _int_field(header, "index", rid, cmd, 0, 2**31 - 1)
        value = _unit_field(header, "value", rid, cmd)
        return MacroRequest(index=index, value=value, request_id=request_id)
    if cmd == "morph":
        return MorphRequest(value=_unit_field(header, "value", rid, cmd), request_id=request_id)
    if cmd == "learn":
        index = _int_field(header, "index", rid, cmd, -1, 2**31 - 1)
        return LearnRequest(index=index, request_id=request_id)
    if cmd == "bindings":
        return BindingsRequest(request_id=request_id)
    sample_rate = _int_field(header, "sample_rate", rid, cmd, 1, 2**31 - 1)
    channels = _int_field(header, "channels", rid, cmd, 1, 2**16)
    audio = _decode_audio(frames[1], channels, request_id, cmd)
    return MatchAudioRequest(request_id=request_id, audio=audio, sample_rate=sample_rate)


def encode_request(
    cmd: str, request_id: int, *, audio: np.ndarray | None = None, **fields: Any
) -> list[bytes]:
    """Build a request's frames (client side).

    Args:
        cmd: One of :data:`COMMANDS`.
        request_id: Request id.
        audio: For ``match``: (C, T) float32 audio, sent interleaved; ``channels`` is set from it.
        **fields: Further header fields (``sample_rate``, ``index``, ``value``).

    Returns:
        ``[header]`` or ``[header, audio]``.
    """
    header: dict[str, Any] = {"v": PROTOCOL_VERSION, "id": int(request_id), "cmd": cmd}
    if audio is None:
        header.update(fields)
        return [dumps(header)]
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 2:
        raise ValueError(f"audio must be (channels, frames), got shape {audio.shape}")
    header.update(fields)
    header["channels"] = int(audio.shape[0])
    return [dumps(header), float32_frame(audio.T)]


# ---------------------------------------------------------------------------------------------
# Replies


def _reply_header(request_id: int | None, ok: bool, cmd: str | None) -> dict[str, Any]:
    return {
        "v": PROTOCOL_VERSION,
        "id": NO_ID if request_id is None else request_id,
        "ok": ok,
        "cmd": cmd,
    }


def _binding_fields(binding: MacroBinding) -> dict[str, int]:
    return {
        "index": int(binding.index),
        "channel": int(binding.channel),
        "controller": int(binding.controller),
    }


def encode_reply(reply: Reply) -> list[bytes]:
    """The frames of one reply (without routing id)."""
    if isinstance(reply, ParamsReply):
        header = _reply_header(reply.request_id, True, reply.cmd)
        header["latency_ms"] = round(float(reply.latency_ms), 3)
        header["n_params"] = int(np.size(reply.params01))
        header["match_id"] = reply.match_id
        return [dumps(header), float32_frame(reply.params01), float32_frame(reply.native)]
    if isinstance(reply, ErrorReply):
        header = _reply_header(reply.request_id, False, reply.cmd)
        header["code"] = reply.code
        header["error"] = reply.message
        return [dumps(header)]
    if isinstance(reply, PongReply):
        header = _reply_header(reply.request_id, True, "ping")
        header["model"] = reply.model
        header["protocol_version"] = reply.protocol_version
        return [dumps(header)]
    if isinstance(reply, InfoReply):
        header = _reply_header(reply.request_id, True, "info")
        header.update(
            model=reply.model,
            synth=reply.synth,
            n_params=reply.n_params,
            sample_rate=reply.sample_rate,
            max_seconds=reply.max_seconds,
            min_seconds=reply.min_seconds,
            n_macros=reply.n_macros,
            search_budget_s=float(reply.search_budget_s),
        )
        return [dumps(header)]
    if isinstance(reply, NamesReply):
        header = _reply_header(reply.request_id, True, "names")
        header["names"] = list(reply.names)
        return [dumps(header)]
    if isinstance(reply, LearnedReply):
        header = _reply_header(reply.request_id, True, "learn")
        header.update(_binding_fields(reply.binding))
        return [dumps(header)]
    if isinstance(reply, BindingsReply):
        header = _reply_header(reply.request_id, True, "bindings")
        header["bindings"] = [_binding_fields(b) for b in reply.bindings]
        return [dumps(header)]
    if isinstance(reply, ImprovementReply):
        return _improvement_frames(reply)
    if isinstance(reply, NoteReply):
        header = _reply_header(reply.request_id, True, "match")
        header["match_id"] = reply.request_id
        header["note"] = {
            "midi": None if reply.midi is None else _float32_json(reply.midi),
            "confidence": _float32_json(reply.confidence),
            "octaves_shifted": int(reply.octaves_shifted),
        }
        return [dumps(header)]
    raise TypeError(f"not a reply: {reply!r}")


def _float32_json(value: float) -> float:
    """A float32 value as the shortest decimal that reads back to it (what OSC carries)."""
    return float(np.format_float_positional(np.float32(value), unique=True, trim="0"))


def _improvement_frames(reply: ImprovementReply) -> list[bytes]:
    """A search-stream reply: ``[header, params01, native]``, or ``[header]`` when it carries no
    patch; ``candidates`` only on the final one."""
    header = _reply_header(reply.request_id, True, "match")
    has_patch = reply.params01 is not None and reply.native is not None
    if has_patch:
        assert reply.params01 is not None  # has_patch
        header["n_params"] = int(np.size(reply.params01))
    header["match_id"] = reply.request_id
    header["score"] = _float32_json(reply.score)
    header["final"] = bool(reply.final)
    header["stage"] = reply.stage
    header["renders"] = int(reply.renders)
    header["elapsed_s"] = round(float(reply.elapsed_s), 3)
    if reply.final:
        header["candidates"] = [
            {
                "score": _float32_json(c.score),
                "params": [_float32_json(v) for v in np.asarray(c.params01).reshape(-1)],
            }
            for c in reply.candidates
        ]
    if not has_patch:
        return [dumps(header)]
    assert reply.params01 is not None and reply.native is not None
    return [dumps(header), float32_frame(reply.params01), float32_frame(reply.native)]


@dataclass(frozen=True)
class ZmqReply:
    """A decoded reply (client side).

    Args:
        header: The JSON header.
        params01: (P,) float32 for results, else None.
        native: (P,) float32 for results, else None.
    """

    header: dict[str, Any]
    params01: np.ndarray | None = None
    native: np.ndarray | None = None


def decode_reply(frames: Sequence[bytes]) -> ZmqReply:
    """Decode a reply's frames (client side).

    Raises:
        ProtocolError: On a malformed reply.
    """
    if not frames:
        raise ProtocolError("empty reply")
    header = _parse_header(frames[0])
    if len(frames) == 1:
        return ZmqReply(header)
    if len(frames) != 3:
        raise ProtocolError(f"reply has {len(frames)} frames, expected 1 or 3")
    for i, frame in enumerate(frames[1:], start=1):
        if len(frame) % 4:
            raise ProtocolError(f"reply frame {i} has {len(frame)} bytes, not whole float32s")
    params01, native = (np.frombuffer(f, dtype=FLOAT32_LE).astype(np.float32) for f in frames[1:])
    n_params = header.get("n_params")
    if params01.size != n_params or native.size != n_params:
        raise ProtocolError(
            f"reply frames hold {params01.size}/{native.size} floats, n_params={n_params}"
        )
    return ZmqReply(header, params01, native)
