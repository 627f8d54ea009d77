"""Transports and real-time behaviour of the bridge, on real loopback sockets with a fake engine.

Every bad input gets an error reply and the server keeps serving. Queueing is tested with a gate
that holds the engine, and a ping as a barrier (the transport thread handles datagrams in order),
so no assertion depends on timing; timeouts only guard liveness.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator

import mido
import numpy as np
import pytest
import soundfile
import zmq
from bridge_fakes import FakeClock, FakeEngine, tone

from patchflow.bridge.audio import AudioLimits
from patchflow.bridge.client import OscClient, RemoteError, ZmqClient
from patchflow.bridge.dispatcher import Dispatcher
from patchflow.bridge.messages import (
    ErrorReply,
    MatchAudioRequest,
    MatchBeginRequest,
    MatchEndRequest,
    ParamsReply,
    Reply,
)
from patchflow.bridge.network import is_allowed, is_loopback_host, parse_allow_list
from patchflow.bridge.osc_codec import OscMessage, encode_message
from patchflow.bridge.osc_server import OscServer, OscServerConfig
from patchflow.bridge.scheduler import Scheduler
from patchflow.bridge.server import BridgeServer, ServerConfig, run_server
from patchflow.bridge.uploads import UploadLimits, UploadStore
from patchflow.bridge.zmq_codec import encode_request
from patchflow.bridge.zmq_server import ZmqServer, ZmqServerConfig, endpoint_is_local, generate_keys

TIMEOUT_S = 10.0  # liveness only

LOCAL = ServerConfig(
    osc_port=0,
    reply_to_sender=True,
    zmq_endpoint="tcp://127.0.0.1:*",
    status_interval_s=None,
)


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def server(engine: FakeEngine) -> Iterator[BridgeServer]:
    with BridgeServer(engine, LOCAL) as running:
        yield running


def osc_client(server: BridgeServer) -> OscClient:
    assert server.osc is not None
    return OscClient(server.osc.address, timeout_s=TIMEOUT_S)


def zmq_client(server: BridgeServer) -> ZmqClient:
    assert server.zmq is not None and server.zmq.endpoint is not None
    return ZmqClient(server.zmq.endpoint, timeout_s=TIMEOUT_S)


def expect_error(client: OscClient, request_id: int, *, code: str = "invalid") -> str:
    msg = client.wait_for(lambda m: m.address == "/patchflow/error", TIMEOUT_S)
    assert msg.args[0] == request_id, msg
    text = str(msg.args[1])
    assert text.startswith(f"{code}: "), text
    client.ping()  # the server keeps serving
    return text


# =============================================================================================
# OSC


def test_osc_round_trips(server: BridgeServer, tmp_path) -> None:
    with osc_client(server) as client:
        pong = client.ping(41)
        assert (pong.request_id, pong.model, pong.protocol_version) == (41, "fake-model", 1)
        client.send(OscMessage("/patchflow/ping"))
        assert client.wait_for(lambda m: m.address == "/patchflow/pong").args[0] == 0
        info = client.info()
        assert (info.model, info.synth, info.n_params, info.sample_rate) == (
            "fake-model",
            "fake-synth",
            6,
            16000,
        )
        assert (info.max_seconds, info.n_macros) == (2.0, 4)
        assert client.names() == [f"param_{k}" for k in range(6)]

        reply = client.match(tone(0.5, seconds=0.5, channels=2), 16000, request_id=7)
        assert reply.request_id == 7
        assert reply.params01.dtype == np.float32 and reply.params01.shape == (6,)
        assert reply.params01[0] == pytest.approx(0.5, abs=2e-3)
        assert reply.params01[1] == pytest.approx(0.25)
        np.testing.assert_allclose(reply.native, 100 * reply.params01, rtol=1e-6)
        assert reply.latency_ms >= 0

        macro = client.macro(1, 0.8)
        assert macro.request_id == 7 and macro.params01[1] == pytest.approx(0.8)

        path = tmp_path / "clip.wav"
        soundfile.write(path, tone(0.25, seconds=0.3).T, 22050, subtype="FLOAT")
        from_file = client.match_file(path, request_id=8)
        assert from_file.request_id == 8
        assert from_file.params01[0] == pytest.approx(0.25, abs=2e-3)
        morph = client.morph(0.5)
        assert morph.request_id == 8
        assert morph.params01[0] == pytest.approx(0.375, abs=2e-3)


@pytest.mark.parametrize(
    ("datagram", "request_id", "fragment"),
    [
        (b"garbage", -1, "not a multiple of 4"),
        (b"\x00\x01\x02\x03", -1, "must start with '/'"),
        (encode_message(OscMessage("/patchflow/dance", (1,))), -1, "unknown address"),
        (encode_message(OscMessage("/patchflow/match/end", ("x",))), -1, "must be an int32"),
        (
            encode_message(OscMessage("/patchflow/match/begin", (3, 44100.0, 1, 9))),
            3,
            "(sample_rate) must be an int32",
        ),
        (encode_message(OscMessage("/patchflow/macro", (0, "loud"))), -1, "(value) must be"),
        (encode_message(OscMessage("/patchflow/macro", (9, 0.5))), -1, "macro index 9"),
        (
            encode_message(OscMessage("/patchflow/match/begin", (4, 7000, 1, 1000))),
            4,
            "sample rate 7000 Hz is outside",
        ),
        (
            encode_message(OscMessage("/patchflow/match/begin", (4, 250000, 1, 1000))),
            4,
            "sample rate 250000 Hz is outside",
        ),
        (
            encode_message(OscMessage("/patchflow/match/begin", (4, 16000, 9, 1000))),
            4,
            "channel count 9",
        ),
        (
            encode_message(OscMessage("/patchflow/match/begin", (4, 16000, 0, 1000))),
            4,
            "(channels) = 0 is outside",
        ),
        (
            encode_message(OscMessage("/patchflow/match/begin", (4, 16000, 1, 16000 * 3))),
            4,
            "longer than the 2 s limit",
        ),
        (
            encode_message(OscMessage("/patchflow/match/chunk", (5, 0, 0.5))),
            5,
            "no upload in progress for id 5",
        ),
        (
            encode_message(OscMessage("/patchflow/match/file", (6, "/no/such/file.wav"))),
            6,
            "cannot read that file",
        ),
        (
            encode_message(
                OscMessage("/patchflow/match/chunk", (12, 0, *[0.0] * 2000)), max_bytes=None
            ),
            12,
            "exceeds the 8192-byte limit",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_osc_bad_input_gets_an_error_reply(
    server: BridgeServer, datagram: bytes, request_id: int, fragment: str
) -> None:
    with osc_client(server) as client:
        client.send_raw(datagram)
        malformed = fragment in ("not a multiple of 4", "must start with '/'")
        assert fragment in expect_error(
            client, request_id, code="malformed" if malformed else "invalid"
        )


@pytest.mark.parametrize(
    ("audio", "fragment"),
    [
        (np.full((1, 4000), np.nan, np.float32), "NaN or Inf"),
        (np.where(np.arange(4000) == 7, np.inf, 0.1).astype(np.float32)[None], "NaN or Inf"),
        (np.zeros((2, 4000), np.float32), "silent"),
        (tone(seconds=0.05), "too short"),
    ],
)
def test_osc_bad_audio_gets_an_error_reply(
    server: BridgeServer, audio: np.ndarray, fragment: str
) -> None:
    with osc_client(server) as client:
        with pytest.raises(RemoteError, match=fragment) as info:
            client.match(audio, 16000, request_id=21)
        assert (info.value.request_id, info.value.code) == (21, "invalid")
        client.ping()


def test_osc_chunk_holes_then_resend(server: BridgeServer) -> None:
    with osc_client(server) as client:
        audio = tone(0.5, seconds=0.5)
        client.send(OscMessage("/patchflow/match/begin", (30, 16000, 1, audio.shape[1])))
        samples = audio.reshape(-1)
        client.send(OscMessage("/patchflow/match/chunk", (30, 0, *samples[:1600].tolist())))
        client.send(OscMessage("/patchflow/match/end", (30,)))
        text = expect_error(client, 30, code="incomplete")
        assert f"missing {audio.size - 1600} of {audio.size} samples" in text
        client.send_chunks(30, audio)
        client.send(OscMessage("/patchflow/match/end", (30,)))
        params = client.wait_for(lambda m: m.address == "/patchflow/params")
        assert params.args[0] == 30


def test_osc_upload_with_int_samples_as_max_sends_them(server: BridgeServer) -> None:
    """Whole-number samples arrive as int atoms (silence as 0, a full-scale 1): read as floats."""
    audio = tone(0.5, seconds=0.5)
    audio[0, :2000] = 0.0
    audio[0, 5000] = 1.0
    atoms: list[float | int] = [int(v) if v in (0.0, 1.0) else v for v in audio[0].tolist()]
    with osc_client(server) as client:
        client.send(OscMessage("/patchflow/match/begin", (31, 16000, 1, audio.shape[1])))
        for offset in range(0, len(atoms), 1600):
            chunk = (31, offset, *atoms[offset : offset + 1600])
            client.send(OscMessage("/patchflow/match/chunk", chunk))
        client.send(OscMessage("/patchflow/match/end", (31,)))
        params = client.wait_for(lambda m: m.address == "/patchflow/params")
    assert params.args[0] == 31
    assert params.args[1] == 1.0  # the fake engine's first value is the peak: the int 1
    assert params.args[2] == pytest.approx(0.25)  # 0.5 s of the 2 s limit: every sample arrived


def test_osc_fixed_reply_port(engine: FakeEngine) -> None:
    with OscClient(("127.0.0.1", 9), timeout_s=TIMEOUT_S) as client:
        reply_port = client.address[1]
        config = ServerConfig(
            osc_port=0, reply_port=reply_port, zmq_endpoint=None, status_interval_s=None
        )
        with BridgeServer(engine, config) as running:
            assert running.osc is not None
            client.server = running.osc.address
            other = OscClient(running.osc.address, timeout_s=TIMEOUT_S)
            with other:
                other.send(OscMessage("/patchflow/ping", (5,)))  # replies go to the reply port
                assert client.wait_for(lambda m: m.address == "/patchflow/pong").args[0] == 5


def test_osc_refuses_public_bind_without_allow_list(engine: FakeEngine) -> None:
    dispatcher = Dispatcher(engine, UploadStore(AudioLimits(2.0)))
    with Scheduler(dispatcher) as scheduler:
        with pytest.raises(ValueError, match="without an allow-list"):
            OscServer(scheduler, OscServerConfig(host="0.0.0.0", port=0)).start()
        with pytest.raises(ValueError, match="not an IP address"):
            OscServer(scheduler, OscServerConfig(port=0, allow=("nonsense",))).start()
        allowed = OscServer(
            scheduler, OscServerConfig(port=0, reply_to_sender=True, allow=("127.0.0.0/8",))
        )
        allowed.start()
        try:
            with OscClient(allowed.address, timeout_s=TIMEOUT_S) as client:
                assert client.ping(3).request_id == 3
        finally:
            allowed.stop()


def test_allow_list_and_loopback_helpers() -> None:
    networks = parse_allow_list(["192.168.1.20", "10.0.0.0/24", "::1"])
    assert is_allowed("192.168.1.20", networks)
    assert is_allowed("10.0.0.99", networks)
    assert is_allowed("::1", networks)
    assert not is_allowed("10.0.1.1", networks)
    assert not is_allowed("127.0.0.1", networks)
    assert is_allowed("8.8.8.8", ())
    assert is_loopback_host("127.0.0.1") and is_loopback_host("localhost")
    assert not is_loopback_host("0.0.0.0")
    assert endpoint_is_local("tcp://127.0.0.1:5555") and endpoint_is_local("ipc:///tmp/x")
    assert not endpoint_is_local("tcp://*:5555") and not endpoint_is_local("tcp://0.0.0.0:1")
    # tcp://source;destination: every host must be loopback (issue 17: the bind side got past)
    assert not endpoint_is_local("tcp://127.0.0.1;0.0.0.0:5555")
    assert not endpoint_is_local("tcp://0.0.0.0;127.0.0.1:5555")
    assert endpoint_is_local("tcp://127.0.0.1;127.0.0.1:5555")


def test_osc_eight_concurrent_clients_get_their_own_answers(server: BridgeServer) -> None:
    amplitudes = [0.1 * (k + 1) for k in range(8)]
    results: dict[int, float] = {}
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            with osc_client(server) as client:
                for round_ in range(2):
                    reply = client.match(
                        tone(amplitudes[k], 0.3), 16000, request_id=100 * k + round_
                    )
                    assert reply.request_id == 100 * k + round_
                    results[k] = float(reply.params01[0])
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert results.keys() == set(range(8))
    for k, value in results.items():
        assert value == pytest.approx(amplitudes[k], abs=2e-3)


# =============================================================================================
# Real-time behaviour (gate + ping barrier, no timing)


@pytest.fixture
def gated() -> Iterator[tuple[BridgeServer, FakeEngine, threading.Event]]:
    gate = threading.Event()
    engine = FakeEngine(gate=gate)
    with BridgeServer(engine, LOCAL) as running:
        try:
            yield running, engine, gate
        finally:
            gate.set()


def test_macros_coalesce_per_index_latest_wins(gated) -> None:
    server, engine, gate = gated
    with osc_client(server) as client:
        gate.set()
        client.match(tone(0.5), 16000, request_id=1)
        gate.clear()
        client.upload(2, tone(0.2), 16000)  # held at the gate: later work must wait
        for value in (0.1, 0.2, 0.3):
            client.send(OscMessage("/patchflow/macro", (0, value)))
        client.send(OscMessage("/patchflow/macro", (1, 0.9)))
        client.send(OscMessage("/patchflow/macro", (0, 0.4)))
        client.ping()  # barrier: every datagram above has been queued
        gate.set()
        assert client._wait_params((2,), TIMEOUT_S).params01[0] == pytest.approx(0.2, abs=2e-3)
        first = client._wait_params((2,), TIMEOUT_S)
        second = client._wait_params((2,), TIMEOUT_S)
    macro_calls = [(c[2], c[3]) for c in engine.calls if c[0] == "macro"]
    assert macro_calls == [(1, pytest.approx(0.9)), (0, pytest.approx(0.4))]  # 0.1-0.3 coalesced
    assert first.params01[1] == pytest.approx(0.9)
    assert second.params01[0] == pytest.approx(0.4)


def test_next_match_is_queued_with_depth_one_latest_wins(gated) -> None:
    server, engine, gate = gated
    with osc_client(server) as client:
        for request_id in (1, 2, 3):
            client.upload(request_id, tone(0.1 * request_id), 16000)
        client.ping()
        gate.set()
        text = expect_error(client, 2, code="busy")
        assert "superseded by a newer match (id 3)" in text
        assert client._wait_params((1,), TIMEOUT_S).params01[0] == pytest.approx(0.1, abs=2e-3)
        assert client._wait_params((3,), TIMEOUT_S).params01[0] == pytest.approx(0.3, abs=2e-3)
    assert [c[2] for c in engine.calls if c[0] == "match"] == [1, 3]


class _Collector:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.done = threading.Semaphore(0)

    def __call__(self, replies: list[Reply]) -> None:
        self.replies.extend(replies)
        for _ in replies:
            self.done.release()

    def wait(self, n: int) -> None:
        for _ in range(n):
            assert self.done.acquire(timeout=TIMEOUT_S)


def test_scheduler_bounds_the_queue_and_times_out_stale_work() -> None:
    gate = threading.Event()
    clock = FakeClock()
    engine = FakeEngine(gate=gate)
    dispatcher = Dispatcher(engine, UploadStore(AudioLimits(2.0), UploadLimits(), clock), clock)
    scheduler = Scheduler(dispatcher, workers=1, max_queued=2, timeout_s=5.0, clock=clock)
    sink = _Collector()
    with scheduler:
        scheduler.submit(MatchAudioRequest(0, tone(), 16000), "c0", sink)
        assert engine.entered.acquire(timeout=TIMEOUT_S)  # c0 is running, held at the gate
        for k in range(1, 4):  # three more clients: two may wait, the oldest is dropped
            scheduler.submit(MatchAudioRequest(k, tone(), 16000), f"c{k}", sink)
        sink.wait(1)
        dropped = sink.replies[0]
        assert isinstance(dropped, ErrorReply)
        assert (dropped.request_id, dropped.code) == (1, "busy")
        assert "more than 2 requests are queued" in dropped.message
        assert scheduler.queued() == 2
        clock.advance(6.0)  # the waiting requests are now stale
        gate.set()
        sink.wait(3)
    by_id = {r.request_id: r for r in sink.replies}
    assert isinstance(by_id[0], ParamsReply)
    for request_id in (2, 3):
        error = by_id[request_id]
        assert isinstance(error, ErrorReply) and error.code == "timeout"
        assert "waited 6.0 s in the queue (limit 5 s)" in error.message
    snapshot = scheduler.stats.snapshot()
    assert (snapshot.requests, snapshot.errors, snapshot.results) == (4, 3, 1)


def test_upload_expiry_through_the_dispatcher() -> None:
    clock = FakeClock()
    engine = FakeEngine()
    store = UploadStore(AudioLimits(2.0), UploadLimits(timeout_s=10.0), clock)
    dispatcher = Dispatcher(engine, store, clock)
    with Scheduler(dispatcher, clock=clock) as scheduler:
        sink = _Collector()
        scheduler.submit(MatchBeginRequest(1, 16000, 1, 4000), "c", sink)
        assert len(store) == 1
        clock.advance(11.0)
        scheduler.submit(MatchEndRequest(1), "c", sink)
        sink.wait(1)
    error = sink.replies[-1]
    assert isinstance(error, ErrorReply) and error.request_id == 1
    assert "no upload in progress for id 1" in error.message


# =============================================================================================
# ZeroMQ


def test_zmq_round_trips(server: BridgeServer, tmp_path) -> None:
    with zmq_client(server) as client:
        assert client.ping().model == "fake-model"
        info = client.info()
        assert (info.n_params, info.min_seconds, info.n_macros) == (6, 0.1, 4)
        assert client.names()[0] == "param_0"
        reply = client.match(tone(0.7, channels=3), 16000)
        assert reply.params01[0] == pytest.approx(0.7, abs=2e-3)
        assert reply.params01[2] == pytest.approx(3 / 8)
        macro = client.macro(2, 0.25)
        assert macro.request_id == reply.request_id
        assert macro.params01[2] == pytest.approx(0.25)
        path = tmp_path / "c.wav"
        soundfile.write(path, tone(0.3, sample_rate=44100).T, 44100)
        client.match_file(path)
        assert client.morph(1.0).params01[0] == pytest.approx(0.3, abs=2e-3)


@pytest.mark.parametrize(
    ("frames", "request_id", "fragment"),
    [
        ([b"{oops"], -1, "not valid UTF-8 JSON"),
        ([b'{"v":3,"id":5,"cmd":"ping"}'], 5, "version 3 is not supported"),
        ([b'{"v":1,"id":6,"cmd":"ping"}', b"extra"], 6, "takes 1 frame"),
        ([b'{"v":1,"id":7,"cmd":"match","sample_rate":16000,"channels":1}'], 7, "takes 2 frame"),
        (
            [b'{"v":1,"id":8,"cmd":"match","sample_rate":16000,"channels":2}', b"\x00" * 20],
            8,
            "not a multiple of 4 bytes x 2",
        ),
        ([b'{"v":1,"id":9,"cmd":"jump"}'], 9, "unknown cmd"),
        ([b'{"v":1,"id":10,"cmd":"macro","index":99,"value":0.5}'], 10, "macro index 99"),
        (
            encode_request(
                "match", 11, audio=np.full((1, 4000), np.nan, np.float32), sample_rate=16000
            ),
            11,
            "NaN or Inf",
        ),
        (
            encode_request("match", 12, audio=np.zeros((1, 4000), np.float32), sample_rate=16000),
            12,
            "silent",
        ),
        (
            encode_request("match", 13, audio=tone(seconds=3.0), sample_rate=16000),
            13,
            "longer than the 2 s limit",
        ),
        (
            encode_request("match", 14, audio=tone(), sample_rate=4000),
            14,
            "sample rate 4000 Hz is outside",
        ),
        (
            encode_request("match", 15, audio=np.ones((9, 100), np.float32), sample_rate=16000),
            15,
            "channel count 9",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_zmq_bad_input_gets_an_error_reply(
    server: BridgeServer, frames: list[bytes], request_id: int, fragment: str
) -> None:
    with zmq_client(server) as client:
        client.send_frames(frames)
        reply = client.receive(TIMEOUT_S)
        assert reply.header["ok"] is False and reply.header["id"] == request_id, reply.header
        assert fragment in reply.header["error"]
        assert reply.params01 is None
        assert client.ping().model == "fake-model"


def test_zmq_req_socket_and_concurrent_dealers(server: BridgeServer) -> None:
    assert server.zmq is not None and server.zmq.endpoint is not None
    ctx = zmq.Context()
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.connect(server.zmq.endpoint)
    req.send_multipart(encode_request("ping", 4))
    assert req.poll(int(TIMEOUT_S * 1000))
    assert req.recv_multipart()[0].startswith(b'{"v":1,"id":4,"ok":true,"cmd":"ping"')
    req.close()
    ctx.term()

    results: dict[int, float] = {}
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            with zmq_client(server) as client:
                results[k] = float(client.match(tone(0.1 * (k + 1)), 16000).params01[0])
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    for k in range(8):
        assert results[k] == pytest.approx(0.1 * (k + 1), abs=2e-3)


def test_zmq_curve(engine: FakeEngine, tmp_path) -> None:
    keys = generate_keys(tmp_path / "keys")
    assert oct(keys.server_secret.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(FileExistsError):
        generate_keys(tmp_path / "keys")
    dispatcher = Dispatcher(engine, UploadStore(AudioLimits(2.0)))
    with Scheduler(dispatcher) as scheduler:
        with pytest.raises(ValueError, match="without CURVE"):
            ZmqServer(scheduler, ZmqServerConfig(endpoint="tcp://0.0.0.0:*")).start()
        config = ZmqServerConfig(
            endpoint="tcp://127.0.0.1:*",
            curve_secret_key=keys.server_secret,
            curve_authorized_dir=keys.authorized_dir,
        )
        curve_server = ZmqServer(scheduler, config)
        curve_server.start()
        try:
            assert curve_server.endpoint is not None
            with ZmqClient(
                curve_server.endpoint,
                server_public_key=keys.server_public,
                client_secret_key=keys.client_secret,
                timeout_s=TIMEOUT_S,
            ) as client:
                assert client.ping().model == "fake-model"
            stranger = generate_keys(tmp_path / "stranger", client_name="stranger")
            with ZmqClient(
                curve_server.endpoint,
                server_public_key=keys.server_public,
                client_secret_key=stranger.client_secret,
                timeout_s=0.5,
            ) as client:
                with pytest.raises(TimeoutError):  # refused by ZAP: no reply, ever
                    client.ping()
        finally:
            curve_server.stop()


# =============================================================================================
# Server wiring: run_server, status line, MIDI


def test_run_server_stops_cleanly(engine: FakeEngine, tmp_path, caplog) -> None:
    endpoint = f"ipc://{tmp_path}/bridge.sock"
    config = ServerConfig(osc_port=None, zmq_endpoint=endpoint, status_interval_s=0.01)
    stop = threading.Event()
    thread = threading.Thread(target=run_server, args=(engine, config, stop))
    with caplog.at_level(logging.INFO, logger="patchflow.bridge.server"):
        thread.start()
        with ZmqClient(endpoint, timeout_s=TIMEOUT_S) as client:
            client.match(tone(), 16000)
            with pytest.raises(RemoteError, match="macro index 7"):
                client.macro(7, 0.5)
        stop.set()
        thread.join(TIMEOUT_S)
    assert not thread.is_alive()
    stopped = [r.message for r in caplog.records if r.message.startswith("stopped:")]
    assert stopped and "requests=2 errors=1 results=1" in stopped[0]


def test_server_refuses_to_start_unsafely(engine: FakeEngine) -> None:
    with pytest.raises(ValueError, match="without CURVE"):
        BridgeServer(engine, ServerConfig(osc_port=None, zmq_endpoint="tcp://*:0")).start()
    with pytest.raises(ValueError, match="without an allow-list"):
        BridgeServer(
            engine, ServerConfig(osc_host="0.0.0.0", osc_port=0, zmq_endpoint=None)
        ).start()


def test_server_binding_conflict_raises_and_cleans_up(engine: FakeEngine) -> None:
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("127.0.0.1", 0))
    try:
        config = ServerConfig(osc_port=blocker.getsockname()[1], zmq_endpoint=None)
        server = BridgeServer(engine, config)
        with pytest.raises(OSError):
            server.start()
        assert server.osc is None
    finally:
        blocker.close()


def test_midi_out_mirrors_params_and_midi_in_moves_macros(engine: FakeEngine) -> None:
    class Port:
        def __init__(self) -> None:
            self.sent: list[mido.Message] = []
            self.closed = False

        def send(self, msg: mido.Message) -> None:
            self.sent.append(msg)

        def close(self) -> None:
            self.closed = True

    out_port = Port()
    callbacks = []

    def open_output(name: str, virtual: bool = False) -> Port:
        return out_port

    def open_input(name: str, callback, virtual: bool = False) -> Port:
        callbacks.append(callback)
        return Port()

    config = ServerConfig(
        osc_port=0,
        reply_to_sender=True,
        zmq_endpoint=None,
        status_interval_s=None,
        midi_out="patchflow",
        midi_in="patchflow-macros",
    )
    with BridgeServer(
        engine, config, midi_output_opener=open_output, midi_input_opener=open_input
    ) as running:
        with osc_client(running) as client:
            reply = client.match(tone(0.5), 16000, request_id=3)
            client.ping()
            expected = [min(127, int(np.floor(v * 127 + 0.5))) for v in reply.params01]
            assert [m.value for m in out_port.sent] == expected
            assert [m.control for m in out_port.sent] == [1, 2, 3, 4, 5, 7]
            (callback,) = callbacks
            callback(mido.Message("control_change", channel=0, control=103, value=127))
            moved = client._wait_params((3,), TIMEOUT_S)  # sent to the matched client
            assert moved.params01[1] == pytest.approx(1.0)
    assert out_port.closed
