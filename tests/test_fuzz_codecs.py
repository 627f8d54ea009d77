"""Property-based fuzz of the bridge's wire codecs (OSC and ZeroMQ), with hypothesis.

Two properties per codec: decoding any bytes raises nothing but the codec's own error types
(:class:`~patchflow.bridge.errors.BridgeError` subclasses, which the server turns into error
replies), and what the encoder writes decodes back to the same thing. Inputs are random bytes,
valid datagrams with bytes flipped or cut off, and JSON headers of every shape. Example counts are
bounded so the whole file runs in seconds; ``derandomize`` keeps CI runs reproducible.
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from patchflow.bridge import osc_chunks, osc_protocol, zmq_codec
from patchflow.bridge.errors import BridgeError
from patchflow.bridge.messages import ErrorReply, ParamsReply
from patchflow.bridge.osc_codec import (
    MAX_DATAGRAM_BYTES,
    OscMessage,
    decode_message,
    decode_packet,
    encode_bundle,
    encode_message,
)

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# ------------------------------------------------------------------------------------ strategies

osc_text = st.text(st.characters(blacklist_characters="\x00", codec="utf-8"), max_size=24)
osc_address = osc_text.map(lambda s: "/" + s)
int32 = st.integers(-(2**31), 2**31 - 1)
float32 = st.floats(width=32, allow_nan=False)
osc_arg = st.one_of(int32, float32, osc_text)
osc_message = st.builds(
    lambda address, args: OscMessage(address, tuple(args)),
    osc_address,
    st.lists(osc_arg, max_size=12),
)
request_addresses = st.sampled_from(osc_protocol.REQUEST_ADDRESSES)
any_osc_arg = st.one_of(
    int32, float32, osc_text, st.integers(-(2**40), 2**40), st.floats(), st.booleans()
)


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[bytes]) -> bytes:
    """A valid encoding with bytes overwritten, inserted, removed or cut off."""
    data = bytearray(draw(valid))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[pos : pos + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[pos:]
    return bytes(data)


@st.composite
def request_datagram(draw: st.DrawFn) -> bytes:
    """A datagram to a real request address with arguments of any type and value."""
    args = draw(st.lists(any_osc_arg, max_size=6))
    tags = "".join(
        "s"
        if isinstance(a, str)
        else "i"
        if isinstance(a, int) and not isinstance(a, bool) and -(2**31) <= a < 2**31
        else "h"
        if isinstance(a, int) and not isinstance(a, bool)
        else "T"
        if a is True
        else "F"
        if a is False
        else "d"
        for a in args
    )
    body = b""
    for tag, a in zip(tags, args, strict=True):
        if tag == "s":
            raw = a.encode() + b"\x00"
            body += raw + b"\x00" * (-len(raw) % 4)
        elif tag == "i":
            body += struct.pack(">i", a)
        elif tag == "h":
            body += struct.pack(">q", max(min(a, 2**63 - 1), -(2**63)))
        elif tag == "d":
            body += struct.pack(">d", a)
    address = draw(request_addresses).encode() + b"\x00"
    tag_field = ("," + tags).encode() + b"\x00"
    return (
        address + b"\x00" * (-len(address) % 4) + tag_field + b"\x00" * (-len(tag_field) % 4) + body
    )


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def zmq_header(draw: st.DrawFn) -> dict:
    """Headers close to valid ones: real commands and field names, values of any JSON type."""
    header: dict = {}
    for name, values in (
        ("v", st.one_of(st.just(1), json_value)),
        ("id", st.one_of(st.integers(-5, 2**60), json_value)),
        ("cmd", st.one_of(st.sampled_from(zmq_codec.COMMANDS), json_value)),
        ("sample_rate", st.one_of(st.integers(-5, 2**40), json_value)),
        ("channels", st.one_of(st.integers(-2, 9), json_value)),
        ("index", st.one_of(st.integers(-3, 2**33), json_value)),
        ("value", st.one_of(st.floats(), json_value)),
    ):
        if draw(st.booleans()):
            header[name] = draw(values)
    return header


def _assert_only_codec_errors(call, *args: object) -> None:
    try:
        call(*args)
    except BridgeError:
        pass  # the codec's own errors become error replies; anything else is a bug


# ------------------------------------------------------------------------------------ OSC


@FUZZ
@given(st.binary(max_size=256))
@example(b"#bundle\x00" + b"\x00" * 8 + b"\x7f\xff\xff\xff")
@example(b"/a\x00\x00,b\x00\x00\xff\xff\xff\xff")
def test_osc_decode_of_random_bytes_raises_only_decode_errors(data: bytes) -> None:
    _assert_only_codec_errors(decode_packet, data)
    _assert_only_codec_errors(decode_message, data)
    chunk = osc_chunks.decode_chunk(data)  # never raises: None sends it down the general path
    assert chunk is None or chunk.samples.dtype == np.float32


@FUZZ
@given(st.one_of(mutated(osc_message.map(encode_message)), request_datagram()))
def test_osc_decode_and_parse_of_damaged_requests_raise_only_bridge_errors(data: bytes) -> None:
    try:
        messages = decode_packet(data)
    except BridgeError:
        return
    for msg in messages:
        _assert_only_codec_errors(osc_protocol.parse_request, msg)


@FUZZ
@given(mutated(st.lists(osc_message, max_size=4).map(encode_bundle)))
def test_osc_damaged_bundles_raise_only_decode_errors(data: bytes) -> None:
    _assert_only_codec_errors(decode_packet, data)


@FUZZ
@given(osc_message)
def test_osc_message_round_trips(msg: OscMessage) -> None:
    try:
        data = encode_message(msg)
    except ValueError:  # OscEncodeError: only for messages over the datagram limit
        assert len(msg.address) + sum(len(str(a)) for a in msg.args) * 4 > MAX_DATAGRAM_BYTES // 8
        return
    assert len(data) % 4 == 0 and len(data) <= MAX_DATAGRAM_BYTES
    (back,) = decode_packet(data)
    assert back.address == msg.address
    assert back.type_tags == msg.type_tags
    assert back.args == msg.args


@FUZZ
@given(st.lists(osc_message, max_size=5))
def test_osc_bundle_round_trips(messages: list[OscMessage]) -> None:
    back = decode_packet(encode_bundle(messages, max_bytes=None))
    assert [(m.address, m.args) for m in back] == [(m.address, m.args) for m in messages]


@FUZZ
@given(
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**31 - 1),
    st.lists(float32, min_size=1, max_size=osc_protocol.MAX_CHUNK_FLOATS),
)
def test_osc_chunk_fast_path_round_trips_and_agrees_with_the_general_path(
    request_id: int, offset: int, samples: list[float]
) -> None:
    values = np.asarray(samples, np.float32)
    data = osc_chunks.encode_chunk(request_id, offset, values)
    fast = osc_chunks.decode_chunk(data)
    assert fast is not None
    (msg,) = decode_packet(data)
    general = osc_protocol.parse_request(msg)
    for req in (fast, general):
        assert (req.request_id, req.offset) == (request_id, offset)
        np.testing.assert_array_equal(req.samples, values)


# ------------------------------------------------------------------------------------ ZeroMQ


@FUZZ
@given(st.lists(st.binary(max_size=64), max_size=4))
def test_zmq_decode_of_random_frames_raises_only_bridge_errors(frames: list[bytes]) -> None:
    _assert_only_codec_errors(zmq_codec.decode_request, frames)


@FUZZ
@given(zmq_header(), st.one_of(st.just(None), st.binary(max_size=64)))
@example({"v": 1, "id": 1, "cmd": "match", "sample_rate": 48000, "channels": 3}, b"\x00" * 8)
@example({"v": True, "id": 1, "cmd": "ping"}, None)
def test_zmq_decode_of_odd_headers_raises_only_bridge_errors(
    header: dict, audio: bytes | None
) -> None:
    frames = [json.dumps(header).encode()] + ([] if audio is None else [audio])
    _assert_only_codec_errors(zmq_codec.decode_request, frames)


@FUZZ
@given(mutated(zmq_header().map(lambda h: json.dumps(h).encode())))
def test_zmq_decode_of_damaged_json_raises_only_bridge_errors(frame: bytes) -> None:
    _assert_only_codec_errors(zmq_codec.decode_request, [frame])


def test_zmq_headers_from_issue_17_get_codec_errors() -> None:
    """The two headers the outside attack found unanswered: deep nesting and a huge integer."""
    for frame in (b"[" * 2000, b'{"v":1,"id":' + b"9" * 4301 + b',"cmd":"ping"}'):
        _assert_only_codec_errors(zmq_codec.decode_request, [frame])


@FUZZ
@given(
    st.sampled_from(zmq_codec.COMMANDS),
    st.integers(0, zmq_codec.MAX_ID),
    st.integers(0, 2**31 - 1),
    st.floats(0.0, 1.0),
    st.integers(1, 4),
    st.integers(0, 64),
    st.integers(1, 2**31 - 1),
)
def test_zmq_requests_round_trip(
    cmd: str, request_id: int, index: int, value: float, channels: int, frames: int, rate: int
) -> None:
    audio = None
    fields: dict = {}
    if cmd == "match":
        audio = np.random.default_rng(request_id % 1000).standard_normal((channels, frames))
        audio = audio.astype(np.float32)
        fields["sample_rate"] = rate
    elif cmd == "macro":
        fields.update(index=index, value=value)
    elif cmd == "morph":
        fields["value"] = value
    elif cmd == "learn":
        fields["index"] = index
    req = zmq_codec.decode_request(zmq_codec.encode_request(cmd, request_id, audio=audio, **fields))
    assert req.cmd == ("match" if cmd == "match" else cmd)
    assert req.request_id == request_id
    if audio is not None:
        np.testing.assert_array_equal(req.audio, audio)
        assert req.sample_rate == rate
    if "index" in fields:
        assert req.index == index
    if "value" in fields:
        assert req.value == value


@FUZZ
@given(
    st.integers(0, zmq_codec.MAX_ID),
    st.lists(st.floats(0.0, 1.0, width=32), max_size=64),
    st.floats(0.0, 1e4, allow_nan=False),
    st.text(max_size=200),
)
def test_zmq_replies_round_trip(
    request_id: int, params: list[float], latency_ms: float, text: str
) -> None:
    params01 = np.asarray(params, np.float32)
    native = params01 * 100.0
    reply = ParamsReply(
        cmd="match",
        request_id=request_id,
        match_id=request_id,
        params01=params01,
        native=native,
        latency_ms=latency_ms,
    )
    back = zmq_codec.decode_reply(zmq_codec.encode_reply(reply))
    assert back.header["id"] == request_id and back.header["ok"] is True
    np.testing.assert_array_equal(back.params01, params01)
    np.testing.assert_array_equal(back.native, native)
    assert math.isclose(back.header["latency_ms"], round(latency_ms, 3))
    error = zmq_codec.decode_reply(
        zmq_codec.encode_reply(ErrorReply(request_id, "invalid", f"invalid: {text}", "match"))
    )
    assert error.header["ok"] is False and error.header["error"] == f"invalid: {text}"


@FUZZ
@given(st.lists(st.binary(max_size=32), max_size=4))
@example([b'{"n_params":1}', b"\x00" * 3, b"\x00" * 4])  # a frame of 3 bytes: not float32s
def test_zmq_reply_decode_of_random_frames_raises_only_bridge_errors(frames: list[bytes]) -> None:
    _assert_only_codec_errors(zmq_codec.decode_reply, frames)
