"""Golden bytes of the search-stream and per-instance messages (OSC and ZeroMQ), quoted in
docs/protocol.md, and the hello request's refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from patchflow.bridge import osc_protocol, zmq_codec
from patchflow.bridge.errors import RequestError
from patchflow.bridge.messages import (
    HelloReply,
    HelloRequest,
    ImprovementReply,
    InfoReply,
    NoteReply,
    ScoredPatch,
)
from patchflow.bridge.osc_codec import OscMessage, decode_message, encode_message

DOC = Path(__file__).resolve().parents[1] / "docs" / "protocol.md"
PARAMS01 = np.array([0.25, 0.5], np.float32)
NATIVE = np.array([440.0, -2.0], np.float32)
STEP = ImprovementReply(12, PARAMS01, NATIVE, 0.75, False, (), "refine", 48, 0.5)
FINAL = ImprovementReply(
    12,
    PARAMS01,
    NATIVE,
    0.5,
    True,
    (ScoredPatch(0.5, PARAMS01), ScoredPatch(1.5, np.array([1.0, 0.0], np.float32))),
    "refine",
    96,
    1.0,
)
CANCELLED = ImprovementReply(12, None, None, 0.75, True)

OSC_GOLDEN = {
    "hello request": (
        OscMessage("/patchflow/hello", (9200,)),
        b"/patchflow/hello\x00\x00\x00\x00,i\x00\x00\x00\x00\x23\xf0",
    ),
    "hello reply": (
        osc_protocol.hello_reply(HelloReply(9200, search_budget_s=1.0)),
        b"/patchflow/hello\x00\x00\x00\x00,iif\x00\x00\x00\x00\x00\x00\x23\xf0"
        b"\x00\x00\x00\x01\x3f\x80\x00\x00",
    ),
    "info reply": (
        osc_protocol.info_reply(InfoReply(None, "m", "s", 2, 16000, 4.0, 0.5, 8, 1.0)),
        b"/patchflow/info\x00,ssiifif\x00\x00\x00\x00m\x00\x00\x00s\x00\x00\x00"
        b"\x00\x00\x00\x02\x00\x00>\x80@\x80\x00\x00\x00\x00\x00\x08?\x80\x00\x00",
    ),
    "note": (
        osc_protocol.note_reply(NoteReply(12, 59.75, 0.875, -1)),
        b"/patchflow/note\x00,iffi\x00\x00\x00\x00\x00\x00\x0c"
        b"\x42\x6f\x00\x00\x3f\x60\x00\x00\xff\xff\xff\xff",
    ),
    "unpitched note": (
        osc_protocol.note_reply(NoteReply(12, None, 0.0, 0)),
        b"/patchflow/note\x00,iffi\x00\x00\x00\x00\x00\x00\x0c"
        b"\xbf\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    ),
    "score": (
        OscMessage("/patchflow/score", (12, 0.75, 0)),
        b"/patchflow/score\x00\x00\x00\x00,ifi\x00\x00\x00\x00\x00\x00\x00\x0c"
        b"\x3f\x40\x00\x00\x00\x00\x00\x00",
    ),
    "final score": (
        OscMessage("/patchflow/score", (12, 0.5, 1)),
        b"/patchflow/score\x00\x00\x00\x00,ifi\x00\x00\x00\x00\x00\x00\x00\x0c"
        b"\x3f\x00\x00\x00\x00\x00\x00\x01",
    ),
    "candidate": (
        OscMessage("/patchflow/candidate", (12, 1, 1.5, 1.0, 0.0)),
        b"/patchflow/candidate\x00\x00\x00\x00,iifff\x00\x00\x00\x00\x00\x0c\x00\x00\x00\x01"
        b"\x3f\xc0\x00\x00\x3f\x80\x00\x00\x00\x00\x00\x00",
    ),
}

ZMQ_NOTE = (
    b'{"v":1,"id":12,"ok":true,"cmd":"match","match_id":12,'
    b'"note":{"midi":59.75,"confidence":0.875,"octaves_shifted":-1}}'
)
ZMQ_STEP = (
    b'{"v":1,"id":12,"ok":true,"cmd":"match","n_params":2,"match_id":12,"score":0.75,'
    b'"final":false,"stage":"refine","renders":48,"elapsed_s":0.5}'
)
ZMQ_FINAL = (
    b'{"v":1,"id":12,"ok":true,"cmd":"match","n_params":2,"match_id":12,"score":0.5,'
    b'"final":true,"stage":"refine","renders":96,"elapsed_s":1.0,'
    b'"candidates":[{"score":0.5,"params":[0.25,0.5]},{"score":1.5,"params":[1.0,0.0]}]}'
)
ZMQ_CANCELLED = (
    b'{"v":1,"id":12,"ok":true,"cmd":"match","match_id":12,"score":0.75,"final":true,'
    b'"stage":"","renders":0,"elapsed_s":0.0,"candidates":[]}'
)


@pytest.mark.parametrize("name", OSC_GOLDEN)
def test_osc_golden_bytes(name: str) -> None:
    msg, golden = OSC_GOLDEN[name]
    assert encode_message(msg) == golden
    assert decode_message(golden) == msg


def test_osc_stream_messages_in_order() -> None:
    step = osc_protocol.encode_reply(STEP)
    assert [(m.address, m.args) for m in step] == [
        ("/patchflow/params", (12, 0.25, 0.5)),
        ("/patchflow/native", (12, 440.0, -2.0)),
        ("/patchflow/score", (12, 0.75, 0)),
    ]
    final = osc_protocol.encode_reply(FINAL)
    assert [(m.address, m.args) for m in final] == [
        ("/patchflow/params", (12, 0.25, 0.5)),
        ("/patchflow/native", (12, 440.0, -2.0)),
        ("/patchflow/candidate", (12, 0, 0.5, 0.25, 0.5)),
        ("/patchflow/candidate", (12, 1, 1.5, 1.0, 0.0)),
        ("/patchflow/score", (12, 0.5, 1)),
    ]
    assert encode_message(final[-1]) == OSC_GOLDEN["final score"][1]
    assert encode_message(final[3]) == OSC_GOLDEN["candidate"][1]
    (only,) = osc_protocol.encode_reply(CANCELLED)
    assert (only.address, only.args) == ("/patchflow/score", (12, 0.75, 1))


def test_zmq_golden_frames() -> None:
    assert zmq_codec.encode_reply(NoteReply(12, 59.75, 0.875, -1)) == [ZMQ_NOTE]
    assert zmq_codec.encode_reply(STEP) == [
        ZMQ_STEP,
        bytes.fromhex("0000803e 0000003f"),
        bytes.fromhex("0000dc43 000000c0"),
    ]
    frames = zmq_codec.encode_reply(FINAL)
    assert frames[0] == ZMQ_FINAL
    assert zmq_codec.encode_reply(CANCELLED) == [ZMQ_CANCELLED]
    decoded = zmq_codec.decode_reply(frames)
    assert decoded.params01 is not None and decoded.native is not None
    np.testing.assert_array_equal(decoded.params01, PARAMS01)
    np.testing.assert_array_equal(decoded.native, NATIVE)
    assert zmq_codec.decode_reply([ZMQ_CANCELLED]).params01 is None


def test_zmq_unpitched_note_is_null() -> None:
    (header,) = zmq_codec.encode_reply(NoteReply(3, None, 0.0, 0))
    assert b'"note":{"midi":null,"confidence":0.0,"octaves_shifted":0}' in header


def test_hello_parses_and_refuses_bad_ports() -> None:
    assert osc_protocol.parse_request(OscMessage("/patchflow/hello", (9200,))) == HelloRequest(9200)
    for args, fragment in [
        ((), "got 0 argument"),
        ((0,), "outside 1..65535"),
        ((70000,), "outside 1..65535"),
        ((9200.0,), "must be an int32"),
        ((9200, 1), "got 2 argument"),
    ]:
        with pytest.raises(RequestError, match=fragment):
            osc_protocol.parse_request(OscMessage("/patchflow/hello", args))


def test_protocol_doc_quotes_the_stream_goldens() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for name, (_, golden) in OSC_GOLDEN.items():
        assert repr(golden)[2:-1] in doc, name
    for header in (ZMQ_NOTE, ZMQ_STEP, ZMQ_FINAL, ZMQ_CANCELLED):
        assert header.decode() in doc, header


def test_search_runner_never_imports_torch() -> None:
    code = (
        "import sys, patchflow.bridge.search_runner, patchflow.bridge.server, patchflow.search; "
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
