"""Pure protocol layers of the bridge: OSC and ZeroMQ codecs, OSC protocol, uploads, MIDI,
dispatcher. Golden bytes, property round trips, and every documented refusal."""

from __future__ import annotations

import json
import logging
import struct
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile
from bridge_fakes import FakeClock, FakeEngine, tone
from pythonosc.osc_message_builder import OscMessageBuilder

from patchflow.bridge import midi, osc_chunks, osc_codec, osc_protocol, zmq_codec
from patchflow.bridge.audio import AudioLimits
from patchflow.bridge.dispatcher import Dispatcher, EngineCall
from patchflow.bridge.errors import ProtocolError, RequestError
from patchflow.bridge.messages import (
    ErrorReply,
    InfoReply,
    InfoRequest,
    MacroRequest,
    MatchAudioRequest,
    MatchBeginRequest,
    MatchChunkRequest,
    MatchEndRequest,
    MatchFileRequest,
    MorphRequest,
    NamesReply,
    NamesRequest,
    ParamsReply,
    PingRequest,
    PongReply,
)
from patchflow.bridge.osc_codec import (
    OscDecodeError,
    OscEncodeError,
    OscMessage,
    decode_message,
    decode_packet,
    encode_bundle,
    encode_message,
)
from patchflow.bridge.osc_server import encode_reply_datagrams, requests_from_datagram
from patchflow.bridge.uploads import UploadLimits, UploadStore

# =============================================================================================
# OSC codec: golden bytes


@pytest.mark.parametrize(
    ("msg", "golden"),
    [
        (OscMessage("/patchflow/ping"), b"/patchflow/ping\x00,\x00\x00\x00"),
        (OscMessage("/patchflow/ping", (7,)), b"/patchflow/ping\x00,i\x00\x00\x00\x00\x00\x07"),
        (
            OscMessage("/patchflow/macro", (2, 0.5)),
            b"/patchflow/macro\x00\x00\x00\x00,if\x00\x00\x00\x00\x02\x3f\x00\x00\x00",
        ),
        (
            OscMessage("/patchflow/match/file", (3, "/tmp/a.wav")),
            b"/patchflow/match/file\x00\x00\x00,is\x00\x00\x00\x00\x03/tmp/a.wav\x00\x00",
        ),
        (OscMessage("/x", (-1,)), b"/x\x00\x00,i\x00\x00\xff\xff\xff\xff"),
        (OscMessage("/x", ("abcd",)), b"/x\x00\x00,s\x00\x00abcd\x00\x00\x00\x00"),
    ],
)
def test_osc_golden_bytes(msg: OscMessage, golden: bytes) -> None:
    assert encode_message(msg) == golden
    assert decode_message(golden) == msg


def test_osc_matches_python_osc_builder() -> None:
    """Our encoder and python-osc's agree byte for byte on i/f/s messages."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        builder = OscMessageBuilder("/patchflow/test")
        args: list[object] = []
        for _ in range(int(rng.integers(0, 6))):
            kind = rng.integers(3)
            if kind == 0:
                value: object = int(rng.integers(-(2**31), 2**31))
                builder.add_arg(value, "i")
            elif kind == 1:
                value = float(np.float32(rng.normal() * 1e3))
                builder.add_arg(value, "f")
            else:
                value = "".join(chr(int(c)) for c in rng.integers(32, 127, rng.integers(0, 9)))
                builder.add_arg(value, "s")
            args.append(value)
        golden = builder.build().dgram
        assert encode_message(OscMessage("/patchflow/test", tuple(args))) == golden


def test_osc_decodes_all_readable_types_from_python_osc() -> None:
    builder = OscMessageBuilder("/t")
    for value, tag in [(1.5, "d"), (2**40, "h"), (True, "T"), (False, "F"), (None, "N")]:
        builder.add_arg(value, tag)
    builder.add_arg(b"\x01\x02\x03", "b")
    msg = decode_message(builder.build().dgram)
    assert msg.type_tags == "dhTFNb"
    assert msg.args == (1.5, 2**40, True, False, None, b"\x01\x02\x03")


def test_osc_numpy_scalars_are_converted() -> None:
    a = encode_message(OscMessage("/x", (np.int64(3), np.float32(0.25), np.float64(2.0))))
    assert a == encode_message(OscMessage("/x", (3, 0.25, 2.0)))


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((True,), "bool"),
        ((None,), "None"),
        ((2**31,), "int32"),
        ((-(2**31) - 1,), "int32"),
        ((b"blob",), "unsupported type"),
        ((1e39,), "float32"),
        (("a\x00b",), "NUL"),
    ],
)
def test_osc_encoder_refuses(args: tuple, reason: str) -> None:
    with pytest.raises(OscEncodeError, match=reason):
        encode_message(OscMessage("/x", args))


def test_osc_encoder_refuses_types_it_does_not_write() -> None:
    msg = OscMessage("/x", (1.5,), type_tags="d")
    with pytest.raises(OscEncodeError, match="writes only i, f, s"):
        encode_message(msg)


def test_osc_encoder_refuses_oversize_unless_asked() -> None:
    n = osc_codec.max_chunk_floats(len(osc_protocol.ADDR_MATCH_CHUNK))
    fits = OscMessage(osc_protocol.ADDR_MATCH_CHUNK, (1, 0, *([0.5] * n)))
    assert len(encode_message(fits)) <= osc_codec.MAX_DATAGRAM_BYTES
    too_big = OscMessage(osc_protocol.ADDR_MATCH_CHUNK, (1, 0, *([0.5] * (n + 1))))
    with pytest.raises(OscEncodeError, match="over the 8192-byte limit"):
        encode_message(too_big)
    assert len(encode_message(too_big, max_bytes=None)) > osc_codec.MAX_DATAGRAM_BYTES


def test_max_chunk_floats_is_exact_and_covers_the_protocol_limit() -> None:
    for address_len in range(1, 40):
        n = osc_codec.max_chunk_floats(address_len)
        address = "/" + "a" * (address_len - 1)
        assert len(encode_message(OscMessage(address, (1, 2, *([0.0] * n))))) <= 8192
        size = len(encode_message(OscMessage(address, (1, 2, *([0.0] * (n + 1)))), max_bytes=None))
        assert size > 8192
    assert osc_codec.max_chunk_floats(len(osc_protocol.ADDR_MATCH_CHUNK)) >= (
        osc_protocol.MAX_CHUNK_FLOATS
    )


# =============================================================================================
# OSC codec: decode errors and robustness


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty datagram"),
        (b"/ab", "multiple of 4"),
        (b"abc\x00,\x00\x00\x00", "must start with '/'"),
        (b"/abc", "not NUL-terminated"),
        (b"/patchflow/ping\x00", "missing type tag string"),
        (b"/patchflow/ping\x00i\x00\x00\x00", "missing comma"),
        (b"/a\x00x,\x00\x00\x00", "bad padding after address"),
        (b"/a\x00\x00,i\x00\x00", "truncated datagram"),
        (b"/a\x00\x00,ii\x00\x00\x00\x00\x01", "truncated datagram"),
        (b"/a\x00\x00,c\x00\x00\x00\x00\x00A", "unknown OSC type tag 'c'"),
        (b"/a\x00\x00,[\x00\x00", "unknown OSC type tag '\\['"),
        (b"/a\x00\x00,\x00\x00\x00\x00\x00\x00\x01", "trailing bytes"),
        (b"/a\x00\x00,s\x00\x00\xff\xfe\x00\x00", "not valid UTF-8"),
        (b"/a\x00\x00,s\x00\x00abcd", "not NUL-terminated"),
        (b"/a\x00\x00,b\x00\x00\xff\xff\xff\xff", "negative size"),
        (b"/a\x00\x00,b\x00\x00\x00\x00\x00\x08abcd", "run past the end"),
        (b"#bundle\x00\x00\x00\x00\x00", "truncated bundle"),
        (b"#bundle\x00" + bytes(8) + b"\x00\x00\x00\x03", "positive multiple of 4"),
        (b"#bundle\x00" + bytes(8) + b"\x00\x00\x00\x10/a\x00\x00", "declares 16 bytes"),
    ],
)
def test_osc_decode_errors_are_precise(data: bytes, reason: str) -> None:
    with pytest.raises(OscDecodeError, match=reason):
        decode_packet(data)


def test_osc_decode_error_is_a_protocol_error() -> None:
    assert issubclass(OscDecodeError, ProtocolError)


def test_osc_decode_message_refuses_bundles() -> None:
    with pytest.raises(OscDecodeError, match="bundle"):
        decode_message(encode_bundle([OscMessage("/a")]))


def test_osc_bundles_decode_into_messages_in_order() -> None:
    inner = encode_bundle([OscMessage("/b", (2,)), OscMessage("/c", ("x",))])
    outer = encode_bundle([OscMessage("/a", (1,))])
    outer += struct.pack(">i", len(inner)) + inner
    assert decode_packet(outer) == (
        OscMessage("/a", (1,)),
        OscMessage("/b", (2,)),
        OscMessage("/c", ("x",)),
    )


def test_osc_bundle_nesting_is_bounded() -> None:
    data = encode_bundle([OscMessage("/a")])
    for _ in range(osc_codec.MAX_BUNDLE_DEPTH + 1):
        data = osc_codec.BUNDLE_TAG + bytes(8) + struct.pack(">i", len(data)) + data
    with pytest.raises(OscDecodeError, match="nested deeper"):
        decode_packet(data)


def _random_message(rng: np.random.Generator) -> OscMessage:
    args: list[object] = []
    for _ in range(int(rng.integers(0, 12))):
        kind = rng.integers(3)
        if kind == 0:
            args.append(int(rng.integers(-(2**31), 2**31)))
        elif kind == 1:
            args.append(float(np.float32(rng.normal() * 10.0 ** rng.integers(-5, 5))))
        else:
            alphabet = "abcXYZ 019/-_éß漢🎛"
            args.append("".join(rng.choice(list(alphabet), rng.integers(0, 11))))
    address = "/" + "".join(rng.choice(list("abcz/_09"), rng.integers(0, 20)))
    return OscMessage(address, tuple(args))


def test_osc_round_trip_property() -> None:
    rng = np.random.default_rng(1)
    for _ in range(300):
        msg = _random_message(rng)
        data = encode_message(msg)
        assert len(data) % 4 == 0
        assert decode_message(data) == msg


def test_osc_every_prefix_and_mutation_fails_cleanly() -> None:
    """Truncated or corrupted datagrams raise OscDecodeError and nothing else."""
    rng = np.random.default_rng(2)
    for _ in range(60):
        data = encode_message(_random_message(rng))
        for cut in range(0, len(data), 4):
            with pytest.raises(OscDecodeError):
                decode_packet(data[:cut])
        for _ in range(20):
            mutated = bytearray(data)
            mutated[int(rng.integers(len(data)))] = int(rng.integers(256))
            try:
                decode_packet(bytes(mutated))
            except OscDecodeError:
                pass
    for _ in range(500):
        garbage = rng.integers(0, 256, int(rng.integers(0, 64))).astype(np.uint8).tobytes()
        try:
            decode_packet(garbage)
        except OscDecodeError:
            pass


# =============================================================================================
# OSC protocol


def _msg(address: str, *args: object) -> OscMessage:
    """A message as it arrives from the wire (decoded, with its type tags)."""
    return decode_message(encode_message(OscMessage(address, args), max_bytes=None))


def test_parse_every_request_address() -> None:
    parse = osc_protocol.parse_request
    assert parse(_msg("/patchflow/ping")) == PingRequest(0)
    assert parse(_msg("/patchflow/ping", 9)) == PingRequest(9)
    assert parse(_msg("/patchflow/info")) == InfoRequest()
    assert parse(_msg("/patchflow/names")) == NamesRequest()
    assert parse(_msg("/patchflow/match/file", 4, "/a.wav")) == MatchFileRequest(4, "/a.wav")
    assert parse(_msg("/patchflow/match/begin", 4, 44100, 2, 1000)) == MatchBeginRequest(
        4, 44100, 2, 1000
    )
    chunk = parse(_msg("/patchflow/match/chunk", 4, 1600, 0.5, -0.25, 1))
    assert isinstance(chunk, MatchChunkRequest)
    assert (chunk.request_id, chunk.offset) == (4, 1600)
    assert chunk.samples.dtype == np.float32
    np.testing.assert_array_equal(chunk.samples, [0.5, -0.25, 1.0])
    assert parse(_msg("/patchflow/match/end", 4)) == MatchEndRequest(4)
    assert parse(_msg("/patchflow/macro", 1, 0.75)) == MacroRequest(1, 0.75)
    assert parse(_msg("/patchflow/macro", 1, 1)) == MacroRequest(1, 1.0)  # int for a float
    assert parse(_msg("/patchflow/morph", 0.25)) == MorphRequest(0.25)


@pytest.mark.parametrize(
    ("msg", "reason", "request_id"),
    [
        (OscMessage("/patchflow/nope"), "unknown address '/patchflow/nope'", None),
        (OscMessage("/patchflow/ping", (1, 2)), "got 2 argument", 1),
        (OscMessage("/patchflow/info", (1,)), "got 1 argument", None),
        (OscMessage("/patchflow/match/end", ("7",)), r"argument 1 \(id\) must be an int32", None),
        (
            OscMessage("/patchflow/match/begin", (5, 44100.0, 1, 10)),
            r"argument 2 \(sample_rate\) must be an int32 \(i\), got float32 \(f\)",
            5,
        ),
        (
            OscMessage("/patchflow/match/begin", (5, 44100, 1)),
            "got 3 argument",
            5,
        ),
        (OscMessage("/patchflow/match/end", (-3,)), r"argument 1 \(id\) = -3 is outside", None),
        (OscMessage("/patchflow/macro", (0, 1.5)), r"argument 2 \(value\) = 1.5 is outside", None),
        (OscMessage("/patchflow/macro", (0, float("nan"))), "is outside 0.0..1.0", None),
        (OscMessage("/patchflow/macro", (0.0, 0.5)), r"\(index\) must be an int32", None),
        (OscMessage("/patchflow/morph", ("x",)), r"\(value\) must be a float32", None),
        (OscMessage("/patchflow/match/file", (2, "")), r"\(path\) is empty", 2),
        (
            OscMessage("/patchflow/match/chunk", (3, 0, 0.5, "x")),
            r"argument 4 \(sample 1\) must be a float32",
            3,
        ),
        (OscMessage("/patchflow/match/chunk", (3, 0)), "got 2 argument", 3),
        (
            OscMessage("/patchflow/match/chunk", (3, 0, *([0.0] * 1601))),
            "got 1603 argument",
            3,
        ),
        (OscMessage("/patchflow/match/end", (1.5,), type_tags="d"), r"float64 \(d\)", None),
        (OscMessage("/patchflow/match/end", (1,), type_tags="h"), r"int64 \(h\)", None),
        (OscMessage("/patchflow/macro", (0, True), type_tags="iT"), r"true \(T\)", None),
        (OscMessage("/patchflow/match/file", (2, b"x"), type_tags="ib"), r"blob \(b\)", 2),
    ],
)
def test_parse_errors_name_address_and_argument(
    msg: OscMessage, reason: str, request_id: int | None
) -> None:
    with pytest.raises(RequestError, match=reason) as info:
        osc_protocol.parse_request(msg)
    assert msg.address in info.value.message
    assert info.value.request_id == request_id


# =============================================================================================
# OSC chunk array codec (exact shortcut for /patchflow/match/chunk)


def _general_chunk(data: bytes) -> object:
    """What the general path makes of a datagram: a request, or the error it raises."""
    try:
        (msg,) = decode_packet(data)
        return osc_protocol.parse_request(msg)
    except (ProtocolError, RequestError, ValueError) as exc:
        return exc


def _assert_same_chunk(fast: MatchChunkRequest, general: object) -> None:
    assert isinstance(general, MatchChunkRequest)
    assert (fast.request_id, fast.offset) == (general.request_id, general.offset)
    assert fast.samples.dtype == general.samples.dtype == np.float32
    assert fast.samples.dtype.isnative
    np.testing.assert_array_equal(fast.samples, general.samples)


def test_chunk_golden_bytes() -> None:
    golden = (
        b"/patchflow/match/chunk\x00\x00,iiff\x00\x00\x00"
        b"\x00\x00\x00\x02\x00\x00\x00\x08\x3f\x00\x00\x00\xbf\x80\x00\x00"
    )
    assert osc_chunks.encode_chunk(2, 8, np.array([0.5, -1.0])) == golden
    assert encode_message(OscMessage("/patchflow/match/chunk", (2, 8, 0.5, -1.0))) == golden
    request = osc_chunks.decode_chunk(golden)
    assert request is not None
    _assert_same_chunk(request, _general_chunk(golden))


def test_chunk_codec_equals_the_general_codec() -> None:
    """Random chunks: the same bytes as encode_message, the same request as parse_request."""
    rng = np.random.default_rng(11)
    special = np.array([0.0, -0.0, np.inf, -np.inf, 1e-45, -3.4e38, 3.4028235e38], np.float32)
    for n in [1, 2, 3, 4, 5, 1599, 1600, *rng.integers(1, 1601, 40)]:
        samples = rng.standard_normal(n).astype(np.float32)
        samples[rng.integers(n, size=min(n, 3))] = rng.choice(special, size=min(n, 3))
        request_id = int(rng.integers(0, 2**31))
        offset = int(rng.integers(0, 2**31))
        data = osc_chunks.encode_chunk(request_id, offset, samples)
        msg = OscMessage("/patchflow/match/chunk", (request_id, offset, *samples.tolist()))
        assert data == encode_message(msg)
        fast = osc_chunks.decode_chunk(data)
        assert fast is not None
        _assert_same_chunk(fast, _general_chunk(data))
        assert requests_from_datagram(data)[0].offset == offset


@pytest.mark.parametrize(
    ("data", "general"),
    [
        (encode_message(OscMessage("/patchflow/match/chunk", (-3, 0, 0.5))), "error"),
        (encode_message(OscMessage("/patchflow/match/chunk", (3, -1, 0.5))), "error"),
        (encode_message(OscMessage("/patchflow/match/chunk", (3, 0))), "error"),
        (
            encode_message(OscMessage("/patchflow/match/chunk", (3, 0, *[0.0] * 1601))),
            "error",
        ),
        (encode_message(OscMessage("/patchflow/match/chunk", (3, 0, 0.5, "x"))), "error"),
        (encode_message(OscMessage("/patchflow/match/chunks", (3, 0, 0.5))), "error"),
        (encode_message(OscMessage("/patchflow/match/chunk", (3, 0, 0.5))) + b"\0" * 4, "error"),
        (encode_bundle([OscMessage("/patchflow/match/chunk", (3, 0, 0.5))]), "request"),
    ],
    ids=[
        "negative-id",
        "negative-offset",
        "no-samples",
        "1601-samples",
        "string-sample",
        "other-address",
        "trailing-bytes",
        "bundle",
    ],
)
def test_chunk_decoder_leaves_the_rest_to_the_general_path(data: bytes, general: str) -> None:
    assert osc_chunks.decode_chunk(data) is None
    expected = _general_chunk(data)
    assert isinstance(expected, MatchChunkRequest) == (general == "request")
    (item,) = requests_from_datagram(data)
    if general == "request":
        assert isinstance(item, MatchChunkRequest)
    else:
        assert isinstance(item, ErrorReply)
        assert str(expected.args[0]).split(" (")[0] in item.message


def test_chunk_decoder_takes_int_samples_as_the_protocol_does() -> None:
    """Max sends whole-number samples as int atoms: the same floats as the general path."""
    rng = np.random.default_rng(13)
    ints = [0, 1, -1, 16_777_217, 2**31 - 1, -(2**31)]
    for n in (1, 2, 5, 1600):
        values: list[float | int] = rng.standard_normal(n).astype(np.float32).tolist()
        for k in rng.choice(n, size=min(n, 4), replace=False):
            values[k] = int(rng.choice(ints))
        data = encode_message(OscMessage("/patchflow/match/chunk", (8, 16, *values)))
        fast = osc_chunks.decode_chunk(data)
        assert fast is not None
        _assert_same_chunk(fast, _general_chunk(data))
    only_ints = encode_message(OscMessage("/patchflow/match/chunk", (8, 0, 0, 0, 1)))
    fast = osc_chunks.decode_chunk(only_ints)
    assert fast is not None
    np.testing.assert_array_equal(fast.samples, [0.0, 0.0, 1.0])


def test_chunk_decoder_never_disagrees_with_the_general_path() -> None:
    """Every cut and random corruption of chunks: None, or exactly the general path's request."""
    rng = np.random.default_rng(12)
    for n in (1, 3, 4, 50):
        data = osc_chunks.encode_chunk(5, 40, rng.standard_normal(n))
        for cut in range(len(data)):
            truncated = data[:cut]
            assert osc_chunks.decode_chunk(truncated) is None
            assert not isinstance(_general_chunk(truncated), MatchChunkRequest)
        for _ in range(400):
            mutated = bytearray(data)
            for _ in range(int(rng.integers(1, 3))):
                mutated[int(rng.integers(len(data)))] = int(rng.choice([0, 0x66, 0x69, 0xFF]))
            fast = osc_chunks.decode_chunk(bytes(mutated))
            if fast is not None:
                _assert_same_chunk(fast, _general_chunk(bytes(mutated)))


def test_chunk_datagram_size_limit_still_applies() -> None:
    data = osc_chunks.encode_chunk(9, 0, np.zeros(1600, np.float32))
    (item,) = requests_from_datagram(data, max_bytes=4096)
    assert isinstance(item, ErrorReply)
    assert item.request_id == 9
    assert "exceeds the 4096-byte limit" in item.message


@pytest.mark.parametrize(
    ("request_id", "offset", "n", "reason"),
    [
        (1, 0, 0, "1 to 1600 samples, got 0"),
        (1, 0, 1601, "1 to 1600 samples, got 1601"),
        (2**31, 0, 1, r"request_id = 2147483648 does not fit"),
        (1, -(2**31) - 1, 1, "offset = -2147483649 does not fit"),
    ],
)
def test_chunk_encoder_refuses(request_id: int, offset: int, n: int, reason: str) -> None:
    with pytest.raises(OscEncodeError, match=reason):
        osc_chunks.encode_chunk(request_id, offset, np.zeros(n, np.float32))


def test_osc_reply_builders() -> None:
    reply = ParamsReply(
        cmd="macro",
        request_id=12,
        match_id=12,
        params01=np.array([0.0, 0.5, 1.0], dtype=np.float32),
        native=np.array([20.0, 440.0, 2.0], dtype=np.float32),
        latency_ms=3.25,
    )
    params, native, latency = osc_protocol.params_reply(reply)
    assert params == OscMessage("/patchflow/params", (12, 0.0, 0.5, 1.0))
    assert native == OscMessage("/patchflow/native", (12, 20.0, 440.0, 2.0))
    assert latency == OscMessage("/patchflow/latency", (12, 3.25))
    assert params.type_tags == "ifff" and latency.type_tags == "if"
    assert encode_message(params) == (
        b"/patchflow/params\x00\x00\x00,ifff\x00\x00\x00\x00\x00\x00\x0c"
        b"\x00\x00\x00\x00\x3f\x00\x00\x00\x3f\x80\x00\x00"
    )
    error = osc_protocol.error_reply(5, "busy: try again")
    assert encode_message(error) == (
        b"/patchflow/error\x00\x00\x00\x00,is\x00\x00\x00\x00\x05busy: try again\x00"
    )
    pong = osc_protocol.encode_reply(PongReply(3, "m"))
    assert pong == [OscMessage("/patchflow/pong", (3, "m", 1))]
    info = InfoReply(None, "m", "s", 3, 44100, 4.0, 0.5, 8)
    assert osc_protocol.encode_reply(info) == [
        OscMessage("/patchflow/info", ("m", "s", 3, 44100, 4.0, 8, 0.0))
    ]
    searching = InfoReply(None, "m", "s", 3, 44100, 4.0, 0.5, 8, search_budget_s=1.0)
    assert encode_message(osc_protocol.info_reply(searching)) == (
        b"/patchflow/info\x00,ssiifif\x00\x00\x00\x00m\x00\x00\x00s\x00\x00\x00"
        b"\x00\x00\x00\x03\x00\x00\xacD@\x80\x00\x00\x00\x00\x00\x08?\x80\x00\x00"
    )
    names = osc_protocol.encode_reply(NamesReply(None, ("a_hz", "b_s")))
    assert names == [OscMessage("/patchflow/names", ("a_hz", "b_s"))]
    long_error = osc_protocol.encode_reply(ErrorReply(-1, "invalid", "x" * 10000))[0]
    assert len(encode_message(long_error)) < 8192


# =============================================================================================
# Uploads


def _store(clock: FakeClock, **limits: object) -> UploadStore:
    return UploadStore(AudioLimits(max_seconds=2.0), UploadLimits(**limits), clock)  # type: ignore[arg-type]


def test_upload_assembles_chunks_in_any_order_idempotently() -> None:
    clock = FakeClock()
    store = _store(clock)
    audio = np.arange(2 * 1000, dtype=np.float32).reshape(2, 1000)  # (C, T)
    interleaved = audio.T.reshape(-1)
    store.begin("c", 1, 16000, 2, 1000)
    offsets = list(range(0, interleaved.size, 300))
    for offset in reversed(offsets):
        store.add_chunk("c", 1, offset, interleaved[offset : offset + 300])
    store.add_chunk("c", 1, 0, interleaved[:300])  # duplicate
    store.add_chunk("c", 1, 150, interleaved[150:700])  # overlap
    assert store.begin("c", 1, 16000, 2, 1000) == []  # duplicate begin keeps the data
    clip = store.finish("c", 1)
    assert clip.sample_rate_hz == 16000
    np.testing.assert_array_equal(clip.audio, audio)
    assert clip.audio.flags.c_contiguous
    assert len(store) == 0


def test_upload_holes_are_named_and_can_be_filled() -> None:
    store = _store(FakeClock())
    store.begin("c", 1, 16000, 1, 100)
    store.add_chunk("c", 1, 0, np.ones(40, np.float32))
    store.add_chunk("c", 1, 60, np.ones(40, np.float32))
    with pytest.raises(RequestError, match="missing 20 of 100 samples") as info:
        store.finish("c", 1)
    assert info.value.code == "incomplete"
    assert "first missing at offset 40" in info.value.message
    store.add_chunk("c", 1, 40, np.ones(20, np.float32))
    assert store.finish("c", 1).audio.shape == (1, 100)


@pytest.mark.parametrize(
    ("begin", "reason"),
    [
        ((7999, 1, 100), "sample rate 7999 Hz is outside"),
        ((192001, 1, 100), "sample rate 192001 Hz is outside"),
        ((16000, 0, 100), "channel count 0"),
        ((16000, 9, 100), "channel count 9"),
        ((16000, 1, 0), "frame count 0"),
        ((16000, 1, 32001), "longer than the 2 s limit"),
    ],
)
def test_upload_refuses_bad_formats(begin: tuple[int, int, int], reason: str) -> None:
    with pytest.raises(RequestError, match=reason):
        _store(FakeClock()).begin("c", 1, *begin)


def test_upload_refuses_bad_chunks_and_unknown_ids() -> None:
    store = _store(FakeClock())
    store.begin("c", 1, 16000, 1, 100)
    with pytest.raises(RequestError, match="runs outside upload 1"):
        store.add_chunk("c", 1, 90, np.zeros(11, np.float32))
    with pytest.raises(RequestError, match="no upload in progress for id 2"):
        store.add_chunk("c", 2, 0, np.zeros(1, np.float32))
    with pytest.raises(RequestError, match="no upload in progress"):
        store.add_chunk("other-client", 1, 0, np.zeros(1, np.float32))
    with pytest.raises(RequestError, match="no upload in progress for id 3"):
        store.finish("c", 3)


def test_upload_expires_after_timeout() -> None:
    clock = FakeClock()
    store = _store(clock, timeout_s=10.0)
    store.begin("c", 1, 16000, 1, 100)
    clock.advance(9.0)
    store.add_chunk("c", 1, 0, np.zeros(50, np.float32))  # activity keeps it alive
    clock.advance(9.0)
    store.add_chunk("c", 1, 50, np.zeros(50, np.float32))
    clock.advance(10.5)
    assert store.expire() == [("c", 1)]
    with pytest.raises(RequestError, match="expire after 10 s"):
        store.finish("c", 1)


def test_upload_tables_are_bounded() -> None:
    clock = FakeClock()
    store = _store(clock, max_per_client=2, max_total=3, max_total_samples=10_000)
    store.begin("a", 1, 16000, 1, 100)
    clock.advance(1)
    store.begin("a", 2, 16000, 1, 100)
    clock.advance(1)
    assert store.begin("a", 3, 16000, 1, 100) == [1]  # the client's oldest is dropped
    assert store.open_ids("a") == [2, 3]
    store.begin("b", 1, 16000, 1, 100)
    evicted: list[tuple[str, int, str]] = []
    store.set_eviction_listener(lambda *args: evicted.append(args))
    clock.advance(1)
    assert store.begin("c", 1, 16000, 1, 100) == []  # full: "a" holds the most, gives way
    assert [(c, i) for c, i, _ in evicted] == [("a", 2)]
    assert store.open_ids("a") == [3]
    with pytest.raises(RequestError, match="3 uploads are open") as info:
        store.begin("d", 1, 16000, 1, 100)  # nobody holds more than "d" would
    assert info.value.code == "busy"
    small = _store(clock, max_total_samples=150)
    small.begin("a", 1, 16000, 1, 100)
    with pytest.raises(RequestError, match="100 more would exceed the limit of 150"):
        small.begin("b", 1, 16000, 1, 100)


# =============================================================================================
# ZeroMQ codec


def test_zmq_request_golden_frames() -> None:
    assert zmq_codec.encode_request("ping", 7) == [b'{"v":1,"id":7,"cmd":"ping"}']
    assert zmq_codec.encode_request("macro", 8, index=2, value=0.75) == [
        b'{"v":1,"id":8,"cmd":"macro","index":2,"value":0.75}'
    ]
    audio = np.array([[1.0, 2.0], [3.0, -1.0]], dtype=np.float32)  # (C=2, T=2)
    frames = zmq_codec.encode_request("match", 9, audio=audio, sample_rate=44100)
    assert frames == [
        b'{"v":1,"id":9,"cmd":"match","sample_rate":44100,"channels":2}',
        # interleaved frame by frame: 1, 3, 2, -1 as float32 little-endian
        b"\x00\x00\x80\x3f\x00\x00\x40\x40\x00\x00\x00\x40\x00\x00\x80\xbf",
    ]
    request = zmq_codec.decode_request(frames)
    assert isinstance(request, MatchAudioRequest)
    assert (request.request_id, request.sample_rate) == (9, 44100)
    np.testing.assert_array_equal(request.audio, audio)
    assert request.audio.dtype == np.float32 and request.audio.flags.c_contiguous


def test_zmq_decodes_every_command() -> None:
    decode = zmq_codec.decode_request
    assert decode([b'{"v":1,"id":1,"cmd":"ping"}']) == PingRequest(1)
    assert decode([b'{"v":1,"id":2,"cmd":"info"}']) == InfoRequest(2)
    assert decode([b'{"v":1,"id":3,"cmd":"names","extra":true}']) == NamesRequest(3)
    assert decode([b'{"v":1,"id":4,"cmd":"macro","index":1,"value":1}']) == MacroRequest(1, 1.0, 4)
    assert decode([b'{"v":1,"id":5,"cmd":"morph","value":0.5}']) == MorphRequest(0.5, 5)


@pytest.mark.parametrize(
    ("frames", "error", "reason", "request_id"),
    [
        ([], ProtocolError, "empty message", None),
        ([b"{not json"], ProtocolError, "not valid UTF-8 JSON", None),
        ([b"\xff\xfe"], ProtocolError, "not valid UTF-8 JSON", None),
        ([b"[1, 2]"], ProtocolError, "must be a JSON object", None),
        ([b'{"id":1,"cmd":"ping"}'], ProtocolError, 'no protocol version field "v"', 1),
        ([b'{"v":2,"id":1,"cmd":"ping"}'], ProtocolError, "version 2 is not supported", 1),
        ([b'{"v":true,"id":1,"cmd":"ping"}'], ProtocolError, "version True", 1),
        ([b'{"v":1,"id":1,"cmd":"ping"}', b""], ProtocolError, "takes 1 frame", 1),
        (
            [b'{"v":1,"id":1,"cmd":"match","sample_rate":8000,"channels":1}'],
            ProtocolError,
            "takes 2 frame",
            1,
        ),
        (
            [b'{"v":1,"id":1,"cmd":"match","sample_rate":8000,"channels":2}', b"\x00" * 12],
            ProtocolError,
            "not a multiple of 4 bytes x 2 channel",
            1,
        ),
        ([b'{"v":1,"id":1,"cmd":"dance"}'], RequestError, "unknown cmd 'dance'", 1),
        ([b'{"v":1,"cmd":"ping"}'], RequestError, "needs the header field 'id'", None),
        ([b'{"v":1,"id":true,"cmd":"ping"}'], RequestError, "'id' must be an integer", None),
        ([b'{"v":1,"id":-5,"cmd":"ping"}'], RequestError, "'id' = -5 is outside", None),
        ([b'{"v":1,"id":3,"cmd":"macro","value":0.5}'], RequestError, "field 'index'", 3),
        (
            [b'{"v":1,"id":3,"cmd":"macro","index":0,"value":"x"}'],
            RequestError,
            "must be a number",
            3,
        ),
        ([b'{"v":1,"id":3,"cmd":"morph","value":NaN}'], RequestError, "outside 0..1", 3),
        ([b'{"v":1,"id":3,"cmd":"match","channels":1}', b""], RequestError, "'sample_rate'", 3),
        (
            [b'{"v":1,"id":3,"cmd":"match","sample_rate":8000,"channels":0}', b""],
            RequestError,
            "'channels' = 0",
            3,
        ),
    ],
)
def test_zmq_decode_errors(
    frames: list[bytes], error: type[Exception], reason: str, request_id: int | None
) -> None:
    with pytest.raises(error, match=reason) as info:
        zmq_codec.decode_request(frames)
    assert getattr(info.value, "request_id", None) == request_id


def test_zmq_reply_golden_frames() -> None:
    params = ParamsReply(
        cmd="match",
        request_id=9,
        match_id=9,
        params01=np.array([0.0, 1.0], dtype=np.float32),
        native=np.array([440.0, -2.0], dtype=np.float32),
        latency_ms=12.3456,
    )
    assert zmq_codec.encode_reply(params) == [
        b'{"v":1,"id":9,"ok":true,"cmd":"match","latency_ms":12.346,"n_params":2,"match_id":9}',
        b"\x00\x00\x00\x00\x00\x00\x80\x3f",
        b"\x00\x00\xdc\x43\x00\x00\x00\xc0",
    ]
    assert zmq_codec.encode_reply(ErrorReply(4, "invalid", "bad", "macro")) == [
        b'{"v":1,"id":4,"ok":false,"cmd":"macro","code":"invalid","error":"bad"}'
    ]
    assert zmq_codec.encode_reply(PongReply(1, "m")) == [
        b'{"v":1,"id":1,"ok":true,"cmd":"ping","model":"m","protocol_version":1}'
    ]
    assert zmq_codec.encode_reply(InfoReply(2, "m", "s", 2, 16000, 4.0, 0.5, 8)) == [
        b'{"v":1,"id":2,"ok":true,"cmd":"info","model":"m","synth":"s","n_params":2,'
        b'"sample_rate":16000,"max_seconds":4.0,"min_seconds":0.5,"n_macros":8,'
        b'"search_budget_s":0.0}'
    ]
    assert zmq_codec.encode_reply(NamesReply(3, ("a", "b"))) == [
        b'{"v":1,"id":3,"ok":true,"cmd":"names","names":["a","b"]}'
    ]
    decoded = zmq_codec.decode_reply(zmq_codec.encode_reply(params))
    assert decoded.header["id"] == 9
    np.testing.assert_array_equal(decoded.native, [440.0, -2.0])


def test_zmq_audio_round_trip_property() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        channels, frames = int(rng.integers(1, 9)), int(rng.integers(0, 300))
        audio = rng.normal(size=(channels, frames)).astype(np.float32)
        request = zmq_codec.decode_request(
            zmq_codec.encode_request("match", 1, audio=audio, sample_rate=16000)
        )
        assert isinstance(request, MatchAudioRequest)
        np.testing.assert_array_equal(request.audio, audio)


# =============================================================================================
# MIDI


def test_generate_mapping_skips_reserved_controllers() -> None:
    names = [f"p{k}" for k in range(150)]
    mapping = midi.generate_mapping(names, channel=1, kind="cc7")
    assert len(midi.CC7_CONTROLLERS) == 110
    used = {m.number for m in mapping}
    assert used.isdisjoint(midi.RESERVED_CCS)
    assert [m.channel for m in mapping].count(1) == 110
    assert mapping[110] == midi.MidiMapping("p110", 2, "cc7", 1)
    assert mapping[:3] == [
        midi.MidiMapping("p0", 1, "cc7", 1),
        midi.MidiMapping("p1", 1, "cc7", 2),
        midi.MidiMapping("p2", 1, "cc7", 3),
    ]
    assert mapping[5].number == 7  # 6 (data entry) skipped
    midi.check_mapping(mapping, names)
    cc14 = midi.generate_mapping(names[:40], channel=3, kind="cc14")
    assert all(m.number in range(1, 32) and m.number != 6 for m in cc14)
    assert cc14[30] == midi.MidiMapping("p30", 4, "cc14", 1)
    midi.check_mapping(cc14, names)
    nrpn = midi.generate_mapping(names, kind="nrpn")
    assert [m.number for m in nrpn] == list(range(150))
    with pytest.raises(ValueError, match="need 2 channels"):
        midi.generate_mapping(names, channel=16, kind="cc7")


def test_midi_golden_bytes() -> None:
    names = ["cutoff_hz", "res", "wave"]
    mapping = [
        midi.MidiMapping("cutoff_hz", 1, "cc7", 74),
        midi.MidiMapping("res", 16, "cc14", 1),
        midi.MidiMapping("wave", 2, "nrpn", 1000),
    ]
    messages = midi.encode_values(mapping, np.array([0.5, 0.5, 1.0]), names)
    assert all(isinstance(m, mido.Message) for m in messages)
    assert midi.wire_bytes(messages) == bytes.fromhex(
        "b04a40"  # CC74 = round(0.5 * 127) = 64 on channel 1
        "bf0140"
        "bf2100"  # CC1 / CC33 = 8192 >> 7, 8192 & 127 on channel 16
        "b16307"
        "b16268"  # NRPN 1000 = (7, 104) on channel 2
        "b1067f"
        "b1267f"  # data entry 16383
        "b1657f"
        "b1647f"  # NRPN null
    )
    no_null = midi.encode_values(mapping[2:], np.array([0, 0, 0.0]), names, send_nrpn_null=False)
    assert midi.wire_bytes(no_null) == bytes.fromhex("b16307b16268b10600b12600")


@pytest.mark.parametrize(
    ("value", "bits", "expected"),
    [
        (0.0, 7, 0),
        (1.0, 7, 127),
        (0.5, 7, 64),
        (-1.0, 7, 0),
        (2.0, 14, 16383),
        (0.5, 14, 8192),
        (float("nan"), 7, 0),
        (1 / 127, 7, 1),
    ],
)
def test_quantize(value: float, bits: int, expected: int) -> None:
    assert midi.quantize(value, bits) == expected


def test_mapping_file_round_trip_and_validation(tmp_path) -> None:
    names = ["a", "b", "c"]
    mapping = midi.generate_mapping(names, kind="cc14")
    path = tmp_path / "map.json"
    midi.write_mapping(path, mapping)
    assert json.loads(path.read_text())["version"] == 1
    assert midi.read_mapping(path, names) == mapping
    bad = {"version": 1, "mappings": [{"param": "zz", "channel": 1, "kind": "cc7", "number": 1}]}
    path.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="unknown parameter 'zz'"):
        midi.read_mapping(path, names)
    clash = {
        "version": 1,
        "mappings": [
            {"param": "a", "channel": 1, "kind": "cc14", "number": 1},
            {"param": "b", "channel": 1, "kind": "cc7", "number": 33},
        ],
    }
    path.write_text(json.dumps(clash))
    with pytest.raises(ValueError, match="both use CC33"):
        midi.read_mapping(path, names)
    path.write_text(
        '{"version": 1, "mappings": [{"param": "a", "channel": 17, "kind": "cc7", "number": 1}]}'
    )
    with pytest.raises(ValueError, match="channel 17"):
        midi.read_mapping(path)
    path.write_text("{")
    with pytest.raises(ValueError, match="cannot read MIDI mapping"):
        midi.read_mapping(path)


def test_param_sender_sends_only_changes() -> None:
    class Port:
        def __init__(self) -> None:
            self.sent: list[mido.Message] = []

        def send(self, msg: mido.Message) -> None:
            self.sent.append(msg)

    names = ["a", "b"]
    port = Port()
    sender = midi.MidiParamSender(port, midi.generate_mapping(names), names)
    assert sender.send(np.array([0.0, 1.0])) == 2
    assert sender.send(np.array([0.001, 1.0])) == 0  # same 7-bit values
    assert sender.send(np.array([0.5, 1.0])) == 1
    assert midi.wire_bytes(port.sent) == bytes.fromhex("b00100b0027fb00140")


def test_macro_learn() -> None:
    learn = midi.MacroLearn.default(4)
    cc = mido.Message("control_change", channel=0, control=103, value=127)
    assert learn.handle(cc) == midi.MacroEvent(1, 1.0)
    assert learn.handle(mido.Message("note_on", note=60)) is None
    unbound = mido.Message("control_change", channel=4, control=20, value=0)
    assert learn.handle(unbound) is None
    learn.learn(1)
    assert learn.learning == 1
    assert learn.handle(unbound) == midi.MacroEvent(1, 0.0)  # learned and applied
    assert learn.learning is None
    assert learn.handle(cc) is None  # macro 1's old controller is unbound
    assert learn.handle(unbound.copy(value=64)) == midi.MacroEvent(1, 64 / 127)
    restored = midi.MacroLearn.from_json(4, json.loads(json.dumps(learn.to_json())))
    assert restored.bindings == learn.bindings
    with pytest.raises(ValueError, match="macro index 4"):
        learn.learn(4)


def test_open_midi_port_never_crashes(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[tuple] = []

    def no_midi(name: str, **kwargs: object) -> object:
        calls.append((name, kwargs))
        raise OSError("MidiOutAlsa::initialize: error creating ALSA sequencer client object.")

    with caplog.at_level(logging.WARNING):
        assert midi.open_midi_output("patchflow", opener=no_midi) is None
    assert calls == [("patchflow", {"virtual": True}), ("patchflow", {})]
    assert len([r for r in caplog.records if "unavailable" in r.message]) == 1

    def named_only(name: str, virtual: bool = False) -> object:
        if virtual:
            raise NotImplementedError("virtual ports are not supported on Windows MM")
        return ("port", name)

    assert midi.open_midi_output("loopMIDI", opener=named_only) == ("port", "loopMIDI")
    # The real backend in this container has no ALSA sequencer: still no crash.
    port = midi.open_midi_output("patchflow-test")
    midi.close_port(port)
    port_in = midi.open_midi_input("patchflow-test-in", lambda msg: None)
    midi.close_port(port_in)


# =============================================================================================
# Dispatcher (synchronous)


@pytest.fixture
def dispatcher() -> Dispatcher:
    clock = FakeClock()
    store = UploadStore(AudioLimits(max_seconds=FakeEngine.max_seconds), UploadLimits(), clock)
    return Dispatcher(FakeEngine(), store, clock)


def _upload(d: Dispatcher, client: str, request_id: int, audio: np.ndarray, rate: int) -> list:
    channels, frames = audio.shape
    assert d.handle(MatchBeginRequest(request_id, rate, channels, frames), client) == []
    interleaved = audio.T.reshape(-1)
    for offset in range(0, interleaved.size, 1600):
        chunk = MatchChunkRequest(request_id, offset, interleaved[offset : offset + 1600])
        assert d.handle(chunk, client) == []
    return d.handle(MatchEndRequest(request_id), client)


def test_dispatcher_quick_requests(dispatcher: Dispatcher) -> None:
    assert dispatcher.handle(PingRequest(3), "c") == [PongReply(3, "fake-model", 1)]
    (info,) = dispatcher.handle(InfoRequest(), "c")
    assert info == InfoReply(None, "fake-model", "fake-synth", 6, 16000, 2.0, 0.1, 4)
    (names,) = dispatcher.handle(NamesRequest(), "c")
    assert names.names == tuple(f"param_{k}" for k in range(6))


def test_dispatcher_match_macro_morph(dispatcher: Dispatcher) -> None:
    (reply,) = _upload(dispatcher, "c", 5, tone(0.5, channels=2), 16000)
    assert isinstance(reply, ParamsReply)
    assert (reply.cmd, reply.request_id, reply.match_id) == ("match", 5, 5)
    assert reply.params01[0] == pytest.approx(0.5, abs=2e-3)
    assert reply.params01[2] == pytest.approx(2 / 8)
    (macro,) = dispatcher.handle(MacroRequest(1, 0.9), "c")
    assert isinstance(macro, ParamsReply)
    assert (macro.cmd, macro.request_id, macro.match_id) == ("macro", 5, 5)
    assert macro.params01[1] == pytest.approx(0.9)
    (morph_error,) = dispatcher.handle(MorphRequest(0.5), "c")
    assert isinstance(morph_error, ErrorReply) and morph_error.request_id == 5
    assert "two matched sounds" in morph_error.message
    _upload(dispatcher, "c", 6, tone(0.1), 16000)
    (morph,) = dispatcher.handle(MorphRequest(0.5, request_id=77), "c")
    assert isinstance(morph, ParamsReply)
    assert (morph.request_id, morph.match_id) == (77, 6)
    assert morph.params01[0] == pytest.approx(0.3, abs=2e-3)


def test_dispatcher_refusals(dispatcher: Dispatcher, tmp_path) -> None:
    (error,) = dispatcher.handle(MacroRequest(0, 0.5), "fresh")
    assert isinstance(error, ErrorReply)
    assert (error.request_id, error.code) == (-1, "invalid")
    assert "no sound matched yet" in error.message
    (error,) = dispatcher.handle(MacroRequest(4, 0.5), "fresh")
    assert "macro index 4 is outside 0..3" in error.message
    (error,) = dispatcher.handle(MatchFileRequest(8, str(tmp_path / "missing.wav")), "c")
    assert isinstance(error, ErrorReply) and error.request_id == 8
    assert "cannot read that file" in error.message
    (error,) = dispatcher.handle(MatchEndRequest(9), "c")
    assert "no upload in progress for id 9" in error.message
    bad = np.zeros((1, 100), dtype=np.float64)
    (error,) = dispatcher.handle(MatchAudioRequest(10, bad, 16000), "c")
    assert "float32" in error.message
    (error,) = dispatcher.handle(MatchAudioRequest(11, tone(), 7000), "c")
    assert "sample rate 7000 Hz is outside" in error.message


def test_dispatcher_turns_engine_bugs_into_internal_errors(dispatcher: Dispatcher) -> None:
    engine = dispatcher.engine
    assert isinstance(engine, FakeEngine)
    engine.fail_next = True
    (error,) = dispatcher.handle(MatchAudioRequest(1, tone(), 16000), "c")
    assert isinstance(error, ErrorReply)
    assert (error.request_id, error.code, error.message) == (1, "internal", "internal server error")
    (ok,) = dispatcher.handle(MatchAudioRequest(2, tone(), 16000), "c")
    assert isinstance(ok, ParamsReply)


def test_dispatcher_reads_audio_files(dispatcher: Dispatcher, tmp_path) -> None:
    path = tmp_path / "clip.wav"
    soundfile.write(path, tone(0.25, channels=2).T, 22050, subtype="FLOAT")
    step = dispatcher.prepare(MatchFileRequest(3, str(path)), "c")
    assert isinstance(step, EngineCall)
    (reply,) = dispatcher.run(step)
    assert isinstance(reply, ParamsReply)
    assert reply.params01[0] == pytest.approx(0.25, abs=2e-3)
    long_path = tmp_path / "long.wav"
    soundfile.write(long_path, np.zeros((22050 * 3, 1), np.float32), 22050)
    (error,) = dispatcher.handle(MatchFileRequest(4, str(long_path)), "c")
    assert "longer than the 2 s limit" in error.message


# =============================================================================================
# docs/protocol.md quotes these goldens


def test_protocol_doc_quotes_the_golden_examples() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "protocol.md").read_text()
    params01 = np.array([0.0, 1.0], np.float32)
    native = np.array([440.0, -2.0], np.float32)
    audio = np.array([[1.0, 2.0], [3.0, -1.0]], dtype=np.float32)
    match_frames = zmq_codec.encode_request("match", 9, audio=audio, sample_rate=44100)
    headers = [
        match_frames[0],
        *zmq_codec.encode_request("ping", 7),
        *zmq_codec.encode_request("macro", 8, index=2, value=0.75),
        zmq_codec.encode_reply(ParamsReply("match", 9, 9, params01, native, 12.3456))[0],
        zmq_codec.encode_reply(ParamsReply("macro", 10, 9, params01, native, 3.5))[0],
        *zmq_codec.encode_reply(ErrorReply(4, "invalid", "bad", "macro")),
        *zmq_codec.encode_reply(PongReply(1, "m")),
        *zmq_codec.encode_reply(InfoReply(2, "m", "s", 2, 16000, 4.0, 0.5, 8)),
        *zmq_codec.encode_reply(NamesReply(3, ("a", "b"))),
    ]
    for header in headers:
        assert f"b'{header.decode()}'" in doc, header
    assert match_frames[1].hex(" ", -4) in doc
    for line in ["b0 4a 40", "bf 01 40  bf 21 00", "b1 63 07  b1 62 68", "b1 65 7f  b1 64 7f"]:
        assert line in doc
    for msg in [OscMessage("/patchflow/ping"), OscMessage("/patchflow/ping", (7,))]:
        assert f'b"{repr(encode_message(msg))[2:-1]}"' in doc


def test_bridge_protocol_layers_never_import_torch() -> None:
    modules = ", ".join(
        f"patchflow.bridge.{name}"
        for name in ("server", "client", "osc_server", "zmq_server", "midi", "dispatcher")
    )
    code = f"import sys, {modules}; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_osc_reply_too_large_for_a_datagram_becomes_an_error() -> None:
    names = NamesReply(None, tuple(f"parameter_with_a_long_name_{k}" for k in range(400)))
    (datagram,) = encode_reply_datagrams(names)
    msg = decode_message(datagram)
    assert msg.address == "/patchflow/error" and msg.args[0] == -1
    assert str(msg.args[1]).startswith("internal: reply /patchflow/names does not fit")
