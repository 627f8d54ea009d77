"""Several device instances against one server: each registers its own reply port with
``/patchflow/hello`` and gets only its own replies (issue 18 item 1, server side).

Every instance is two real UDP sockets, as in Max: ``[udpsend]`` sends from an ephemeral port,
``[udpreceive]`` listens on the instance's own port. All instances use the same request ids.
Also: the real engine and the real searcher streaming to two instances, and ``patchflow serve``
with ``--budget-s`` serving four instances.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import numpy as np
import pytest
from bridge_fakes import FakeEngine, tone

from patchflow.bridge.engine import OnnxEngine
from patchflow.bridge.osc_chunks import encode_chunk
from patchflow.bridge.osc_codec import OscMessage, decode_packet, encode_message
from patchflow.bridge.server import BridgeServer, ServerConfig
from patchflow.search import SearchBudget, Searcher, open_renderer

TIMEOUT_S = 20.0  # liveness only


class Instance:
    """One device instance: a send socket and its own receive socket."""

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.tx.bind(("127.0.0.1", 0))
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.bind(("127.0.0.1", 0))
        self.rx.settimeout(TIMEOUT_S)
        self.reply_port = self.rx.getsockname()[1]

    def send(self, address: str, *args: object) -> None:
        self.tx.sendto(encode_message(OscMessage(address, tuple(args))), self.server)

    def upload(self, request_id: int, audio: np.ndarray, sample_rate: int) -> None:
        channels, frames = audio.shape
        self.send("/patchflow/match/begin", request_id, sample_rate, channels, frames)
        interleaved = audio.T.reshape(-1)
        for offset in range(0, interleaved.size, 1600):
            chunk = interleaved[offset : offset + 1600]
            self.tx.sendto(encode_chunk(request_id, offset, chunk), self.server)
        self.send("/patchflow/match/end", request_id)

    def receive(self) -> OscMessage:
        (msg,) = decode_packet(self.rx.recv(65535))
        return msg

    def until(self, address: str) -> list[OscMessage]:
        got = [self.receive()]
        while got[-1].address != address:
            got.append(self.receive())
        return got

    def until_final(self) -> list[OscMessage]:
        got = self.until("/patchflow/score")
        while got[-1].args[2] != 1:
            got += self.until("/patchflow/score")
        return got

    def close(self) -> None:
        self.tx.close()
        self.rx.close()


def nothing_waiting(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        sock.recv(65535)
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)
    return False


@pytest.fixture
def legacy() -> Iterator[socket.socket]:
    """The fixed reply port (9131 in real use), where unregistered senders' replies go."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(TIMEOUT_S)
    yield sock
    sock.close()


@pytest.fixture
def server(legacy: socket.socket) -> Iterator[BridgeServer]:
    config = ServerConfig(
        osc_port=0,
        reply_port=legacy.getsockname()[1],
        zmq_endpoint=None,
        status_interval_s=None,
    )
    with BridgeServer(FakeEngine(), config) as running:
        yield running


def hello_all(server: BridgeServer, n: int) -> list[Instance]:
    assert server.osc is not None
    instances = [Instance(server.osc.address) for _ in range(n)]
    for instance in instances:
        instance.send("/patchflow/hello", instance.reply_port)
    for instance in instances:
        budget_s = server.config.search_budget_s  # the hello answer tells the search budget
        assert instance.receive() == OscMessage(
            "/patchflow/hello", (instance.reply_port, 1, budget_s)
        )
    return instances


@pytest.mark.parametrize("n", [2, 4])
def test_instances_get_only_their_own_replies(server, legacy, n: int) -> None:
    instances = hello_all(server, n)
    try:
        for k, instance in enumerate(instances):  # every instance uses the same ids
            instance.upload(1, tone(0.1 * (k + 1)), 16000)
        for k, instance in enumerate(instances):
            params, native, latency = instance.until("/patchflow/latency")
            assert params.address == "/patchflow/params" and params.args[0] == 1
            assert params.args[1] == pytest.approx(0.1 * (k + 1), abs=2e-3)
            assert native.args[0] == latency.args[0] == 1
        for k, instance in enumerate(instances):
            instance.send("/patchflow/macro", 1, 0.2 * k)
        for k, instance in enumerate(instances):
            params, _, _ = instance.until("/patchflow/latency")
            assert params.args[0] == 1 and params.args[1] == pytest.approx(0.1 * (k + 1), abs=2e-3)
            assert params.args[2] == pytest.approx(0.2 * k)
            instance.send("/patchflow/ping", 2)
            assert instance.receive().args[0] == 2
            assert nothing_waiting(instance.rx)
        assert nothing_waiting(legacy)
    finally:
        for instance in instances:
            instance.close()


def test_unregistered_senders_still_use_the_fixed_reply_port(server, legacy) -> None:
    (registered,) = hello_all(server, 1)
    plain = Instance(registered.server)
    try:
        plain.send("/patchflow/ping", 5)
        (pong,) = decode_packet(legacy.recv(65535))
        assert (pong.address, pong.args) == ("/patchflow/pong", (5, "fake-model", 1))
        plain.send("/patchflow/hello", 0)  # refused: the error goes the old way
        (error,) = decode_packet(legacy.recv(65535))
        assert error.address == "/patchflow/error" and "reply_port" in str(error.args[1])
        registered.send("/patchflow/ping", 6)
        assert registered.receive().args[0] == 6
        assert nothing_waiting(plain.rx) and nothing_waiting(legacy)
    finally:
        plain.close()
        registered.close()


def test_hello_again_moves_the_replies(server) -> None:
    (instance,) = hello_all(server, 1)
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.1", 0))
    other.settimeout(TIMEOUT_S)
    try:
        port = other.getsockname()[1]
        instance.send("/patchflow/hello", port)
        instance.send("/patchflow/ping", 3)
        assert decode_packet(other.recv(65535))[0] == OscMessage("/patchflow/hello", (port, 1, 0.0))
        assert decode_packet(other.recv(65535))[0].args[0] == 3
        assert nothing_waiting(instance.rx)
    finally:
        other.close()
        instance.close()


# =============================================================================================
# The real engine and searcher


def test_real_search_streams_to_two_instances_and_macros_act_around_it(legacy) -> None:
    engine = OnnxEngine("kosc4")
    card = engine.bundle.card
    config = ServerConfig(
        osc_port=0,
        reply_port=legacy.getsockname()[1],
        zmq_endpoint=None,
        status_interval_s=None,
        search_budget_s=30.0,
        search_renders=48,
    )
    sr = engine.sample_rate
    t = np.arange(card.input_samples) / sr
    sounds = [np.sin(2 * np.pi * f * t)[None].astype(np.float32) * 0.5 for f in (330.0, 1250.0)]
    with (
        open_renderer(card) as renderer,
        BridgeServer(
            engine,
            config,
            searcher=lambda: Searcher(card.spec, renderer, predictor=engine.predictor),
            budget=lambda: SearchBudget(seconds=30.0, renders=48),
        ) as server,
    ):
        instances = hello_all(server, 2)
        try:
            for instance, sound in zip(instances, sounds, strict=True):
                instance.upload(1, sound, sr)
            streams = [instance.until_final() for instance in instances]
            for instance, stream in zip(instances, streams, strict=True):
                assert {m.args[0] for m in stream} == {1}
                scores = [m.args[1] for m in stream if m.address == "/patchflow/score"]
                assert scores == sorted(scores, reverse=True) and scores[-1] < scores[0]
                final_params = [m for m in stream if m.address == "/patchflow/params"][-1]
                # all knobs at the centre: exactly the refined patch, not the first answer
                instance.send("/patchflow/macro", 0, 0.5)
                macro = instance.until("/patchflow/latency")[0]
                np.testing.assert_allclose(macro.args[1:], final_params.args[1:], atol=1e-6)
                first = stream[0]
                assert not np.allclose(first.args[1:], final_params.args[1:], atol=1e-3)
            assert streams[0] != streams[1]
            assert nothing_waiting(legacy)
        finally:
            for instance in instances:
                instance.close()


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(proc: subprocess.Popen, server: tuple[str, int]) -> None:
    """Hello from a throwaway instance until the server answers (late answers go nowhere)."""
    probe = Instance(server)
    probe.rx.settimeout(0.5)
    deadline = time.monotonic() + 120
    try:
        while True:
            probe.send("/patchflow/hello", probe.reply_port)
            try:
                probe.receive()
                return
            except TimeoutError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    assert proc.stdout is not None
                    raise RuntimeError(f"server did not start: {proc.stdout.read()}") from None
    finally:
        probe.close()


def test_patchflow_serve_streams_to_four_instances(legacy) -> None:
    port = _free_udp_port()
    cmd = [sys.executable, "-m", "patchflow", "serve", "--model", "kosc4", "--no-zmq"]
    cmd += ["--osc-port", str(port), "--reply-port", str(legacy.getsockname()[1])]
    cmd += ["--budget-s", "20", "--search-renders", "32", "--status-interval", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    instances = [Instance(("127.0.0.1", port)) for _ in range(4)]
    try:
        _wait_until_serving(proc, ("127.0.0.1", port))
        for inst in instances:
            inst.send("/patchflow/hello", inst.reply_port)
            assert inst.receive() == OscMessage("/patchflow/hello", (inst.reply_port, 1, 20.0))
        t = np.arange(1024) / 16000
        for k, inst in enumerate(instances):
            sound = (0.5 * np.sin(2 * np.pi * 200 * (k + 1) * t))[None].astype(np.float32)
            inst.upload(1, sound, 16000)
        streams = [inst.until_final() for inst in instances]
        for stream in streams:
            assert [m.address for m in stream[:3]] == [
                "/patchflow/params",
                "/patchflow/native",
                "/patchflow/latency",
            ]
            assert {m.args[0] for m in stream} == {1}
            assert [m.address for m in stream].count("/patchflow/candidate") >= 1
        finals = [tuple(s[-1].args) for s in streams]
        assert len(set(finals)) == 4  # four sounds, four different streams, none crossed
        assert nothing_waiting(legacy)
    finally:
        for inst in instances:
            inst.close()
        proc.terminate()
        proc.wait(timeout=30)
