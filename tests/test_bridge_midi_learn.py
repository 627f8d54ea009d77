"""MIDI learn over the network: golden bytes of the new OSC and ZeroMQ messages, the learn logic
of the dispatcher with a recorded ``notify``, and whole servers with a fake MIDI input port."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import mido
import pytest
from bridge_fakes import FakeClock, FakeEngine, tone

from patchflow.bridge import osc_protocol, zmq_codec
from patchflow.bridge.audio import AudioLimits
from patchflow.bridge.client import OscClient, RemoteError, ZmqClient
from patchflow.bridge.dispatcher import Dispatcher
from patchflow.bridge.errors import ProtocolError, RequestError
from patchflow.bridge.messages import (
    LEARN_CANCELLED,
    BindingsReply,
    BindingsRequest,
    ErrorReply,
    LearnedReply,
    LearnRequest,
    MacroBinding,
    Reply,
)
from patchflow.bridge.midi import MacroEvent, MacroInput, MacroLearn
from patchflow.bridge.osc_codec import OscMessage, decode_message, encode_message
from patchflow.bridge.server import BridgeServer, ServerConfig
from patchflow.bridge.uploads import UploadLimits, UploadStore

TIMEOUT_S = 10.0  # liveness only


def cc(channel: int, control: int, value: int) -> mido.Message:
    """A control change on MIDI channel ``channel`` (1..16)."""
    return mido.Message("control_change", channel=channel - 1, control=control, value=value)


# =============================================================================================
# Codecs: golden bytes

LEARN_2 = b"/patchflow/midi/learn\x00\x00\x00,i\x00\x00\x00\x00\x00\x02"
LEARN_CANCEL = b"/patchflow/midi/learn\x00\x00\x00,i\x00\x00\xff\xff\xff\xff"
BINDINGS_REQUEST = b"/patchflow/midi/bindings\x00\x00\x00\x00,\x00\x00\x00"
LEARNED_2_1_21 = (
    b"/patchflow/midi/learned\x00,iii\x00\x00\x00\x00"
    b"\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x15"
)
BINDINGS_0_1_21_1_1_22 = (
    b"/patchflow/midi/bindings\x00\x00\x00\x00,iiiiii\x00"
    b"\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x15"
    b"\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x16"
)
TWO_BINDINGS = (MacroBinding(0, 1, 21), MacroBinding(1, 1, 22))


def test_osc_learn_and_bindings_requests_golden_bytes() -> None:
    learn = decode_message(LEARN_2)
    assert learn == OscMessage("/patchflow/midi/learn", (2,))
    assert encode_message(learn) == LEARN_2
    assert osc_protocol.parse_request(learn) == LearnRequest(2)
    assert osc_protocol.parse_request(decode_message(LEARN_CANCEL)) == LearnRequest(-1)
    bindings = decode_message(BINDINGS_REQUEST)
    assert encode_message(bindings) == BINDINGS_REQUEST
    assert osc_protocol.parse_request(bindings) == BindingsRequest()


def test_osc_learned_and_bindings_replies_golden_bytes() -> None:
    (learned,) = osc_protocol.encode_reply(LearnedReply(None, MacroBinding(2, 1, 21)))
    assert learned.type_tags == "iii"
    assert encode_message(learned) == LEARNED_2_1_21
    (bindings,) = osc_protocol.encode_reply(BindingsReply(None, TWO_BINDINGS))
    assert encode_message(bindings) == BINDINGS_0_1_21_1_1_22
    (cancelled,) = osc_protocol.encode_reply(LearnedReply(None, LEARN_CANCELLED))
    assert cancelled == OscMessage("/patchflow/midi/learned", (-1, 0, 0))
    (empty,) = osc_protocol.encode_reply(BindingsReply(None, ()))
    assert encode_message(empty) == BINDINGS_REQUEST  # no triples: the bare address


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        (OscMessage("/patchflow/midi/learn"), "got 0 argument"),
        (OscMessage("/patchflow/midi/learn", (1, 2)), "got 2 argument"),
        (OscMessage("/patchflow/midi/learn", (1.0,)), r"\(macro_index\) must be an int32"),
        (OscMessage("/patchflow/midi/learn", (-2,)), r"\(macro_index\) = -2 is outside -1\.\."),
        (OscMessage("/patchflow/midi/bindings", (0,)), "got 1 argument"),
    ],
)
def test_osc_learn_parse_errors(msg: OscMessage, reason: str) -> None:
    with pytest.raises(RequestError, match=reason) as info:
        osc_protocol.parse_request(decode_message(encode_message(msg)))
    assert msg.address in info.value.message
    assert info.value.request_id is None


def test_zmq_learn_and_bindings_golden_frames() -> None:
    learn = zmq_codec.encode_request("learn", 11, index=2)
    assert learn == [b'{"v":1,"id":11,"cmd":"learn","index":2}']
    assert zmq_codec.decode_request(learn) == LearnRequest(2, 11)
    cancel = [b'{"v":1,"id":13,"cmd":"learn","index":-1}']
    assert zmq_codec.decode_request(cancel) == LearnRequest(-1, 13)
    bindings = zmq_codec.encode_request("bindings", 12)
    assert bindings == [b'{"v":1,"id":12,"cmd":"bindings"}']
    assert zmq_codec.decode_request(bindings) == BindingsRequest(12)
    assert zmq_codec.encode_reply(LearnedReply(11, MacroBinding(2, 1, 21))) == [
        b'{"v":1,"id":11,"ok":true,"cmd":"learn","index":2,"channel":1,"controller":21}'
    ]
    assert zmq_codec.encode_reply(BindingsReply(12, TWO_BINDINGS)) == [
        b'{"v":1,"id":12,"ok":true,"cmd":"bindings","bindings":'
        b'[{"index":0,"channel":1,"controller":21},{"index":1,"channel":1,"controller":22}]}'
    ]
    assert zmq_codec.encode_reply(ErrorReply(11, "busy", "replaced", "learn")) == [
        b'{"v":1,"id":11,"ok":false,"cmd":"learn","code":"busy","error":"replaced"}'
    ]


@pytest.mark.parametrize(
    ("frames", "error", "reason"),
    [
        ([b'{"v":1,"id":3,"cmd":"learn"}'], RequestError, "needs the header field 'index'"),
        ([b'{"v":1,"id":3,"cmd":"learn","index":-2}'], RequestError, "'index' = -2 is outside"),
        ([b'{"v":1,"id":3,"cmd":"learn","index":0.5}'], RequestError, "must be an integer"),
        ([b'{"v":1,"id":3,"cmd":"bindings"}', b""], ProtocolError, "takes 1 frame"),
    ],
)
def test_zmq_learn_decode_errors(frames: list[bytes], error: type[Exception], reason: str) -> None:
    with pytest.raises(error, match=reason) as info:
        zmq_codec.decode_request(frames)
    assert getattr(info.value, "request_id", None) == 3


def test_protocol_doc_quotes_the_learn_goldens() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "protocol.md").read_text()
    for datagram in (LEARN_2, LEARNED_2_1_21, BINDINGS_0_1_21_1_1_22):
        assert f'b"{repr(datagram)[2:-1]}"' in doc, datagram
    headers = [
        *zmq_codec.encode_request("learn", 11, index=2),
        *zmq_codec.encode_request("bindings", 12),
        *zmq_codec.encode_reply(LearnedReply(11, MacroBinding(2, 1, 21))),
        *zmq_codec.encode_reply(BindingsReply(12, TWO_BINDINGS)),
    ]
    for header in headers:
        assert f"b'{header.decode()}'" in doc, header


# =============================================================================================
# MacroLearn.process


def test_macro_learn_process_reports_the_learned_binding() -> None:
    learn = MacroLearn.default(4)
    assert learn.binding_list() == tuple(MacroBinding(i, 1, 102 + i) for i in range(4))
    assert learn.process(cc(1, 103, 127)) == MacroInput(MacroEvent(1, 1.0))
    assert learn.process(mido.Message("note_on", note=60)) == MacroInput()
    learn.learn(3)
    # CC103 (macro 1's controller) on channel 1 moves to macro 3; macro 1 is left unbound
    result = learn.process(cc(1, 103, 0))
    assert result == MacroInput(MacroEvent(3, 0.0), MacroBinding(3, 1, 103))
    assert learn.process(cc(1, 103, 127)).learned is None  # learn mode is one-shot
    assert learn.binding_list() == (
        MacroBinding(0, 1, 102),
        MacroBinding(2, 1, 104),
        MacroBinding(3, 1, 103),
    )


# =============================================================================================
# Dispatcher: learn logic with a recorded notify


class Notes:
    """Records ``notify(client, replies)`` calls."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Reply]]] = []

    def __call__(self, client: str, replies: list[Reply]) -> None:
        self.sent.append((client, replies))

    def pop(self) -> list[tuple[str, list[Reply]]]:
        sent, self.sent = self.sent, []
        return sent


def _dispatcher(notify: Callable[[str, list[Reply]], None]) -> Dispatcher:
    clock = FakeClock()
    store = UploadStore(AudioLimits(max_seconds=FakeEngine.max_seconds), UploadLimits(), clock)
    return Dispatcher(FakeEngine(), store, clock, notify=notify)


def test_dispatcher_refuses_learn_without_midi_input() -> None:
    notes = Notes()
    d = _dispatcher(notes)
    assert not d.has_midi_input
    for request in (LearnRequest(1), LearnRequest(-1, 4), BindingsRequest(5)):
        (error,) = d.handle(request, "c")
        assert isinstance(error, ErrorReply)
        assert error.text.startswith("invalid: no MIDI input")
        assert (error.request_id, error.cmd) == (request.request_id or -1, request.cmd)
    assert d.handle_midi(cc(1, 102, 64)) == MacroInput()  # no input attached: ignored
    assert notes.pop() == []


def test_dispatcher_learn_replies_to_the_requester_when_a_cc_arrives() -> None:
    notes = Notes()
    d = _dispatcher(notes)
    d.set_midi_input(MacroLearn.default(FakeEngine.n_macros))
    (bindings,) = d.handle(BindingsRequest(9), "a")
    assert bindings == BindingsReply(9, tuple(MacroBinding(i, 1, 102 + i) for i in range(4)))

    assert d.handle(LearnRequest(2, request_id=7), "a") == []  # answered later
    assert notes.pop() == []
    result = d.handle_midi(cc(5, 21, 127))
    assert result == MacroInput(MacroEvent(2, 1.0), MacroBinding(2, 5, 21))
    assert notes.pop() == [("a", [LearnedReply(7, MacroBinding(2, 5, 21))])]
    assert d.handle_midi(cc(5, 21, 0)) == MacroInput(MacroEvent(2, 0.0))  # bound, not learned
    assert notes.pop() == []
    (bindings,) = d.handle(BindingsRequest(), "b")
    assert isinstance(bindings, BindingsReply)
    assert MacroBinding(2, 5, 21) in bindings.bindings
    assert MacroBinding(2, 1, 104) not in bindings.bindings


def test_dispatcher_learn_replaced_cancelled_and_refused() -> None:
    notes = Notes()
    d = _dispatcher(notes)
    d.set_midi_input(MacroLearn.default(FakeEngine.n_macros))
    assert d.handle(LearnRequest(1), "osc:a") == []
    assert d.handle(LearnRequest(3, request_id=20), "zmq:b") == []
    ((client, (error,)),) = notes.pop()  # the older learn is answered busy, to its own client
    assert client == "osc:a"
    assert isinstance(error, ErrorReply) and (error.request_id, error.code) == (-1, "busy")
    assert error.message == "MIDI learn for macro 1 was replaced by a learn for macro 3"

    (cancelled,) = d.handle(LearnRequest(-1, request_id=21), "osc:a")
    assert cancelled == LearnedReply(21, LEARN_CANCELLED)
    ((client, (error,)),) = notes.pop()
    assert client == "zmq:b" and isinstance(error, ErrorReply)
    assert (error.request_id, error.code, error.cmd) == (20, "busy", "learn")
    assert error.message == "MIDI learn for macro 3 was cancelled"
    assert d.handle_midi(cc(1, 50, 10)) == MacroInput()  # nothing learned after the cancel
    assert d.handle(LearnRequest(-1), "osc:a") == [LearnedReply(None, LEARN_CANCELLED)]
    assert notes.pop() == []  # nothing was waiting

    assert d.handle(LearnRequest(0), "osc:a") == []
    (error,) = d.handle(LearnRequest(2), "osc:a")  # the same client: its own reply list
    assert isinstance(error, ErrorReply) and error.code == "busy"
    assert error.message == "MIDI learn for macro 0 was replaced by a learn for macro 2"
    assert notes.pop() == []

    (error,) = d.handle(LearnRequest(4), "osc:a")
    assert isinstance(error, ErrorReply) and error.code == "invalid"
    assert "macro index 4 is outside -1..3" in error.message
    d.set_midi_input(None)
    (error,) = d.handle(LearnRequest(0), "osc:a")
    assert isinstance(error, ErrorReply) and "no MIDI input" in error.message


def test_dispatcher_learn_is_consistent_under_concurrent_requests() -> None:
    """Property: however learns race with CCs, every learn gets exactly one reply."""
    notes = Notes()
    d = _dispatcher(notes)
    d.set_midi_input(MacroLearn.default(FakeEngine.n_macros))
    immediate: list[Reply] = []

    def requester(k: int) -> None:
        for j in range(50):
            immediate.extend(d.handle(LearnRequest(j % 4, request_id=1000 * k + j), f"c{k}"))

    threads = [threading.Thread(target=requester, args=(k,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for j in range(200):
        d.handle_midi(cc(1, j % 128, 1))
    for thread in threads:
        thread.join(TIMEOUT_S)
    immediate.extend(d.handle(LearnRequest(-1, request_id=99), "z"))
    replies = [reply for _, batch in notes.pop() for reply in batch] + immediate
    answered = sorted(reply.request_id for reply in replies if reply.request_id != 99)
    assert answered == sorted(1000 * k + j for k in range(3) for j in range(50))
    for reply in replies:
        assert isinstance(reply, LearnedReply | ErrorReply)


# =============================================================================================
# Whole server with a fake MIDI input port


class FakePort:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


class FakeMidiInput:
    """``mido.open_input`` stand-in: keeps the callback so the test can play CCs."""

    def __init__(self) -> None:
        self.callbacks: list[Callable[[mido.Message], None]] = []
        self.port = FakePort()

    def __call__(self, name: str, callback: Callable, virtual: bool = False) -> FakePort:
        self.callbacks.append(callback)
        return self.port

    def play(self, msg: mido.Message) -> None:
        (callback,) = self.callbacks
        callback(msg)


def _config(**fields: object) -> ServerConfig:
    base = dict(
        osc_port=0,
        reply_to_sender=True,
        zmq_endpoint="tcp://127.0.0.1:*",
        status_interval_s=None,
        midi_in="patchflow-macros",
    )
    return ServerConfig(**{**base, **fields})


@pytest.fixture
def midi_in() -> FakeMidiInput:
    return FakeMidiInput()


@pytest.fixture
def server(midi_in: FakeMidiInput, tmp_path) -> Iterator[BridgeServer]:
    config = _config(midi_macro_map=tmp_path / "macros.json")
    with BridgeServer(FakeEngine(), config, midi_input_opener=midi_in) as running:
        yield running
    assert midi_in.port.closed


def _osc(server: BridgeServer) -> OscClient:
    assert server.osc is not None
    return OscClient(server.osc.address, timeout_s=TIMEOUT_S)


def _zmq(server: BridgeServer) -> ZmqClient:
    assert server.zmq is not None and server.zmq.endpoint is not None
    return ZmqClient(server.zmq.endpoint, timeout_s=TIMEOUT_S)


def test_osc_learn_binds_the_next_cc_and_saves_the_map(
    server: BridgeServer, midi_in: FakeMidiInput, tmp_path
) -> None:
    map_path = tmp_path / "macros.json"
    assert not map_path.exists()  # a missing map starts from the defaults
    with _osc(server) as client:
        assert client.bindings()[:2] == [MacroBinding(0, 1, 102), MacroBinding(1, 1, 103)]
        reply = client.match(tone(0.5), 16000, request_id=3)
        client.send_learn(1)
        client.ping()  # the learn request has been handled
        midi_in.play(cc(2, 74, 127))
        assert client.wait_learned() == MacroBinding(1, 2, 74)
        moved = client._wait_params((3,), TIMEOUT_S)  # the learning CC is applied at once
        assert moved.params01[1] == pytest.approx(1.0) and reply.params01[1] != moved.params01[1]
        assert MacroBinding(1, 2, 74) in client.bindings()
        midi_in.play(cc(2, 74, 0))
        assert client._wait_params((3,), TIMEOUT_S).params01[1] == pytest.approx(0.0)

        saved = json.loads(map_path.read_text())
        assert {"macro": 1, "channel": 2, "control": 74} in saved["macros"]
        assert MacroLearn.from_json(4, saved).bindings == server.macro_learn.bindings

        client.send_learn(0)
        client.ping()
        assert client.learn(-1) == LEARN_CANCELLED
        with pytest.raises(RemoteError, match="macro 0 was cancelled") as info:
            client.wait_learned()
        assert info.value.code == "busy"
        with pytest.raises(RemoteError, match=r"outside -1\.\.3"):
            client.learn(4)


def test_zmq_learn_over_dealer_and_the_map_is_reloaded(
    server: BridgeServer, midi_in: FakeMidiInput, tmp_path
) -> None:
    with _zmq(server) as client:
        learned: list[MacroBinding] = []
        waiter = threading.Thread(target=lambda: learned.append(client.learn(3)))
        waiter.start()
        while server.macro_learn.learning is None:  # wait until the server armed learn mode
            assert waiter.is_alive()
            threading.Event().wait(0.01)
        midi_in.play(cc(16, 1, 64))
        waiter.join(TIMEOUT_S)
        assert learned == [MacroBinding(3, 16, 1)]
        assert client.bindings()[-1] == MacroBinding(3, 16, 1)
    server.stop()
    reloaded = BridgeServer(FakeEngine(), _config(midi_macro_map=tmp_path / "macros.json"))
    assert MacroBinding(3, 16, 1) in reloaded.macro_learn.binding_list()


def test_server_without_midi_input_refuses_learn(midi_in: FakeMidiInput) -> None:
    def no_midi(name: str, **kwargs: object) -> object:
        raise OSError("no ALSA sequencer")

    for config, opener in ((_config(midi_in=None), midi_in), (_config(), no_midi)):
        with BridgeServer(FakeEngine(), config, midi_input_opener=opener) as running:
            with _osc(running) as osc, _zmq(running) as zmq_client:
                for call in (lambda: osc.learn(0), osc.bindings, lambda: zmq_client.learn(0)):
                    with pytest.raises(RemoteError, match=r"^invalid: no MIDI input") as info:
                        call()
                    assert info.value.code == "invalid"
                assert osc.ping().model == "fake-model"  # still serving


def test_macro_request_from_midi_reaches_the_last_matched_client(
    server: BridgeServer, midi_in: FakeMidiInput
) -> None:
    """The learn plumbing leaves the plain CC -> macro path as it was."""
    with _osc(server) as client:
        client.match(tone(0.5), 16000, request_id=5)
        midi_in.play(cc(1, 105, 127))  # default binding of macro 3
        moved = client._wait_params((5,), TIMEOUT_S)
        assert moved.params01[3] == pytest.approx(1.0)
