"""Regression tests for issue 17 items 1-7 (the bridge under hostile input).

Each test sends the issue's exact input; the server tests use real loopback sockets. Waits are
liveness timeouts only: nothing here asserts on how long something took.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
import zmq
from bridge_fakes import FakeEngine

from patchflow.bridge.audio import AudioLimits, FileAccess, default_file_dirs
from patchflow.bridge.client import OscClient, RemoteError, ZmqClient
from patchflow.bridge.dispatcher import Dispatcher
from patchflow.bridge.errors import RequestError
from patchflow.bridge.messages import ErrorReply, MatchFileRequest, ParamsReply
from patchflow.bridge.osc_codec import OscMessage, encode_message
from patchflow.bridge.osc_protocol import MAX_ERROR_CHARS
from patchflow.bridge.server import BridgeServer, ServerConfig
from patchflow.bridge.service import MatchResult
from patchflow.bridge.uploads import UploadLimits, UploadStore
from patchflow.bundle import BundleError, load_bundle, resolve_bundle
from patchflow.commands import serve
from patchflow.dsp import resample
from patchflow.inference import prepare_audio

TIMEOUT_S = 10.0  # liveness only

LOCAL = ServerConfig(
    osc_port=0, reply_to_sender=True, zmq_endpoint="tcp://127.0.0.1:*", status_interval_s=None
)


class LongFakeEngine(FakeEngine):
    """The fake engine with the real engine's default clip length (30 s)."""

    max_seconds = 30.0


def tone(seconds: float = 0.5, sample_rate: int = 16000, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return (amplitude * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)[None]


@pytest.fixture
def server() -> Iterator[BridgeServer]:
    with BridgeServer(FakeEngine(), LOCAL) as running:
        yield running


def osc_client(server: BridgeServer) -> OscClient:
    assert server.osc is not None
    return OscClient(server.osc.address, timeout_s=TIMEOUT_S)


def osc_error(client: OscClient, request_id: int) -> tuple[str, str]:
    """The (code, message) of the error reply for ``request_id``."""
    msg = client.wait_for(
        lambda m: m.address == "/patchflow/error" and m.args[0] == request_id, TIMEOUT_S
    )
    code, _, message = str(msg.args[1]).partition(": ")
    return code, message


def send_match_file(client: OscClient, request_id: int, path: str) -> None:
    """The issue's datagram: ``/patchflow/match/file ,is <id> "<path>"``."""
    client.send_raw(encode_message(OscMessage("/patchflow/match/file", (request_id, path))))


def write_wav(path: Path, seconds: float = 0.5, sample_rate: int = 16000) -> Path:
    soundfile.write(path, tone(seconds, sample_rate).T, sample_rate, subtype="FLOAT")
    return path


# =============================================================================================
# 1. A FIFO (or /dev/stdin) named in match/file must not stall anyone


def test_fifo_and_dev_stdin_do_not_stall_other_clients(server: BridgeServer, tmp_path) -> None:
    fifo = tmp_path / "capture.wav"
    os.mkfifo(fifo)  # nobody ever writes: opening it for reading would block forever
    with osc_client(server) as attacker, osc_client(server) as other:
        send_match_file(attacker, 1, str(fifo))
        send_match_file(attacker, 2, "/dev/stdin")
        reply = other.match(tone(), 16000)  # served while (and after) the attacker's requests
        assert reply.params01[0] == pytest.approx(0.5, abs=2e-3)
        assert osc_error(attacker, 1) == ("invalid", osc_error_text(server, str(fifo)))
        code, message = osc_error(attacker, 2)
        assert code == "invalid" and message.startswith("cannot read that file")
        attacker.ping()


def osc_error_text(server: BridgeServer, path: str) -> str:
    return server.dispatcher.files.refusal(path).message


class HangingFileAccess(FileAccess):
    """A file system that never answers (a hung network mount): ``read`` blocks on a gate."""

    def __init__(self, dirs: list[Path], gate: threading.Event) -> None:
        super().__init__(dirs, timeout_s=0.3)
        self.gate = gate

    def read(self, path, limits, deadline_s=None):  # type: ignore[no-untyped-def]
        self.gate.wait(TIMEOUT_S)
        return super().read(path, limits)


def test_a_read_that_overstays_its_timeout_does_not_block_other_clients(tmp_path) -> None:
    gate = threading.Event()
    wav = write_wav(tmp_path / "clip.wav")
    with BridgeServer(FakeEngine(), LOCAL) as running:
        running.dispatcher.files = HangingFileAccess([tmp_path], gate)
        try:
            with osc_client(running) as stuck, osc_client(running) as other:
                send_match_file(stuck, 1, str(wav))
                assert osc_error(stuck, 1)[0] == "timeout"
                reply = other.match(tone(), 16000)  # the worker is free again
                assert reply.params01[0] == pytest.approx(0.5, abs=2e-3)
        finally:
            gate.set()


# =============================================================================================
# 2. Only audio files under allowed folders; one reply for everything else


def test_file_refusals_do_not_tell_existence_from_format(tmp_path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    access = FileAccess([allowed])
    limits = AudioLimits(max_seconds=2.0)
    not_audio = allowed / "notes.wav"
    not_audio.write_text("not audio at all")
    outside = write_wav(tmp_path / "outside.wav")
    link = allowed / "link.wav"
    link.symlink_to(outside)
    paths = [
        "/etc/shadow",
        "/etc/passwd",
        "/no/such/file.wav",
        str(allowed / "missing.wav"),
        str(not_audio),
        str(outside),
        str(link),
        str(allowed / ".." / "outside.wav"),
        str(allowed),
    ]
    for path in paths:
        with pytest.raises(RequestError) as info:
            access.read(path, limits)
        message = info.value.message
        assert message == access.refusal(path).message, path
        assert message.replace(repr(path), "<path>") == access.refusal("").message.replace(
            "''", "<path>"
        )
        assert "System error" not in message and "Format not recognised" not in message
    clip = access.read(str(write_wav(allowed / "take.wav")), limits)
    assert clip.audio.shape == (1, 8000) and clip.sample_rate_hz == 16000


def test_default_folders_are_where_the_device_writes_captures() -> None:
    dirs = FileAccess().dirs
    for folder in default_file_dirs():
        assert Path(os.path.realpath(folder)) in dirs
    if os.name != "nt":
        assert Path(os.path.realpath("/tmp")) in dirs  # the Max device's capture folder


def test_remote_clients_cannot_name_file_paths_unless_allowed(tmp_path) -> None:
    wav = str(write_wav(tmp_path / "clip.wav"))
    store = UploadStore(AudioLimits(max_seconds=2.0))
    local = Dispatcher(FakeEngine(), store, files=FileAccess([tmp_path]))
    (reply,) = local.handle(MatchFileRequest(1, wav), "osc:192.168.1.20:5000")
    assert isinstance(reply, ErrorReply) and "only from this computer" in reply.message
    (reply,) = local.handle(MatchFileRequest(2, wav), "osc:127.0.0.1:5000")
    assert isinstance(reply, ParamsReply)
    (reply,) = local.handle(MatchFileRequest(3, wav), "osc:::1:5000")
    assert isinstance(reply, ParamsReply)
    remote = Dispatcher(
        FakeEngine(), UploadStore(AudioLimits(2.0)), files=FileAccess([tmp_path], remote=True)
    )
    (reply,) = remote.handle(MatchFileRequest(4, wav), "osc:192.168.1.20:5000")
    assert isinstance(reply, ParamsReply)


def test_etc_shadow_and_a_missing_path_get_the_same_reply_over_osc(server: BridgeServer) -> None:
    with osc_client(server) as client:
        send_match_file(client, 1, "/etc/shadow")
        send_match_file(client, 2, "/no/such/path")
        (code1, text1), (code2, text2) = osc_error(client, 1), osc_error(client, 2)
        assert code1 == code2 == "invalid"
        assert text1.replace("'/etc/shadow'", "<p>") == text2.replace("'/no/such/path'", "<p>")


# =============================================================================================
# 3. Memory near the model's input size, whatever the clip


def _peak_bytes(fn) -> int:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_preparing_a_30_s_192_khz_clip_takes_memory_near_the_model_input() -> None:
    sr = 192_000
    model = {"target_rate": 16000, "channels": 1, "num_samples": 8000}  # 0.5 s model input
    peaks = {}
    for seconds in (1, 30):
        clip = tone(seconds, sr)
        peaks[seconds] = _peak_bytes(lambda clip=clip: prepare_audio(clip, sr, **model))
    # The clip is 23 MB (30 s); before the fix preparing it took gigabytes.
    assert peaks[30] < 16 * 2**20
    assert peaks[30] < peaks[1] + 2**20  # does not grow with the clip


def test_resampling_memory_is_the_output_plus_a_bounded_scratch() -> None:
    sr_in, sr_out = 192_000, 16_000
    clip = tone(1.0, sr_in)
    out_bytes = sr_out * 4
    peak = _peak_bytes(lambda: resample(clip, sr_in, sr_out))
    assert peak < out_bytes + 16 * 2**20


# =============================================================================================
# 4 and 7. Extreme but finite audio, out-of-phase stereo (the real engine, over OSC)


@pytest.fixture(scope="module")
def kosc_server() -> Iterator[BridgeServer]:
    from patchflow.bridge.engine import OnnxEngine

    engine = OnnxEngine("kosc4")
    with BridgeServer(engine, LOCAL) as running:
        yield running


@pytest.mark.parametrize("amplitude", [1e10, 1e20, 1e30, 3.4e38])
def test_extreme_amplitudes_give_the_same_finite_patch(
    kosc_server: BridgeServer, amplitude: float
) -> None:
    with osc_client(kosc_server) as client:
        reference = client.match(tone(1.0, 44100, amplitude=1.0), 44100)
        reply = client.match(tone(1.0, 44100, amplitude=amplitude), 44100)
    assert np.all(np.isfinite(reply.params01)) and np.all(np.isfinite(reply.native))
    np.testing.assert_allclose(reply.params01, reference.params01, atol=1e-4)


def test_out_of_phase_stereo_is_refused_like_silence(kosc_server: BridgeServer) -> None:
    mono = tone(1.0, 44100)[0]
    with osc_client(kosc_server) as client:
        with pytest.raises(RemoteError, match="cancel out") as info:
            client.match(np.stack([mono, -mono]), 44100)
        assert info.value.code == "invalid"
        client.ping()


class NanEngine(FakeEngine):
    def match(self, audio, sample_rate, *, client, request_id):  # type: ignore[no-untyped-def]
        result = super().match(audio, sample_rate, client=client, request_id=request_id)
        params = np.full_like(result.params01, np.nan)
        return MatchResult(request_id, params, params, result.latency_ms)


def test_non_finite_parameters_are_never_sent() -> None:
    with BridgeServer(NanEngine(), LOCAL) as running, osc_client(running) as client:
        with pytest.raises(RemoteError, match="non-finite parameters") as info:
            client.match(tone(), 16000)
        assert info.value.code == "internal"


# =============================================================================================
# 5. Upload quotas: the two lock-out patterns


def test_one_huge_begin_every_5_s_does_not_lock_others_out() -> None:
    with BridgeServer(LongFakeEngine(), LOCAL) as running:
        with osc_client(running) as attacker, osc_client(running) as other:
            for k in range(3):  # "every 5 s": each one renews the same upload
                begin = OscMessage("/patchflow/match/begin", (1, 192000, 8, 4194304))
                attacker.send_raw(encode_message(begin))
                code, message = osc_error(attacker, 1)
                assert code == "invalid" and "is more than the limit" in message, k
                assert other.match(tone(), 16000).params01[0] == pytest.approx(0.5, abs=2e-3)
            # Within the limits: three clients each keep the largest upload open.
            hogs = [osc_client(running) for _ in range(3)]
            try:
                for hog in hogs:
                    hog.send(OscMessage("/patchflow/match/begin", (1, 192000, 2, 5_760_000)))
                    hog.ping(100)  # the begin was handled (the third one is refused: full)
                assert other.match(tone(), 16000).params01[0] == pytest.approx(0.5, abs=2e-3)
            finally:
                for hog in hogs:
                    hog.close()


def test_64_small_uploads_from_16_ports_do_not_lock_others_out() -> None:
    with BridgeServer(LongFakeEngine(), LOCAL) as running:
        attackers = [osc_client(running) for _ in range(16)]
        try:
            for attacker in attackers:
                for request_id in range(4):
                    attacker.send(OscMessage("/patchflow/match/begin", (request_id, 16000, 1, 100)))
                attacker.ping()
            assert len(running.uploads) == 64  # the table is full
            with osc_client(running) as other:
                assert other.match(tone(), 16000).params01[0] == pytest.approx(0.5, abs=2e-3)
            # The first attacker held the most (ties go to the first); its oldest upload gave
            # way, and it is told why.
            code, message = osc_error(attackers[0], 0)
            assert code == "busy" and "to make room for another client" in message
        finally:
            for attacker in attackers:
                attacker.close()


def test_every_clip_the_limits_accept_fits_the_upload_quotas() -> None:
    for max_seconds in (2.0, 30.0, 60.0):
        limits = AudioLimits(max_seconds=max_seconds)
        store = UploadStore(limits, UploadLimits())
        assert limits.max_samples() <= store.max_client_samples <= store.max_total_samples
        for channels in range(1, limits.max_channels + 1):
            frames = min(limits.max_frames(192000), limits.max_samples() // channels)
            limits.check(192000, channels, frames)  # accepted...
            UploadStore(limits).begin("c", 1, 192000, channels, frames)  # ...and it fits
    # The input: 30 s, 8 channels, 192 kHz was accepted but could never fit.
    with pytest.raises(RequestError, match="is more than the limit"):
        AudioLimits(max_seconds=30.0).check(192000, 8, 30 * 192000)


# =============================================================================================
# 6. Every malformed ZeroMQ header gets an error reply


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (b"[" * 2000, "too deeply"),
        (b'{"v":1,"id":' + b"9" * 4301 + b"}", "too many digits"),
        (b'{"v":1,"id":' + b"9" * 4300 + b',"cmd":"ping"}', "is outside 0.."),
        (b'{"v":' + b"[" * 900 + b"]" * 900 + b',"id":1,"cmd":"ping"}', "not supported"),
        (b'{"v":1,"id":1,"cmd":' + b"{" * 40000, "not valid UTF-8 JSON"),
        (b'{"v":1,"id":1,"cmd":"morph","value":NaN}', "outside 0..1"),
        (b'{"v":1,"id":1,"cmd":"macro","index":1e999,"value":0.5}', "must be an integer"),
        (b"\xff\xfe", "not valid UTF-8 JSON"),
    ],
    ids=["deep", "4301-digits", "4300-digits", "deep-v", "deep-cmd", "nan", "inf", "utf8"],
)
def test_zmq_malformed_headers_get_an_error_reply(
    server: BridgeServer, header: bytes, fragment: str
) -> None:
    assert server.zmq is not None and server.zmq.endpoint is not None
    with ZmqClient(server.zmq.endpoint, timeout_s=TIMEOUT_S) as client:
        client.send_frames([header])
        reply = client.receive()
        assert reply.header["ok"] is False, reply.header
        assert fragment in reply.header["error"] and len(reply.header["error"]) < 400
        assert client.ping().model == "fake-model"


# =============================================================================================
# 7. The smaller ones


def test_a_long_path_keeps_the_reason_in_the_error(server: BridgeServer) -> None:
    long_path = "/tmp/" + "x" * 5000 + ".wav"
    with osc_client(server) as client:
        send_match_file(client, 1, long_path)
        code, message = osc_error(client, 1)
    assert code == "invalid" and len(message) < MAX_ERROR_CHARS
    assert message.startswith("cannot read that file: '/tmp/xxx")
    assert message.count("'/tmp/") == 1  # the path is quoted once
    assert message.endswith("or send the audio itself)")  # the reason survives


def _serve_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    return parser.parse_args(["--status-interval", "0", *argv])


def test_serve_refuses_the_loopback_bypass_endpoint() -> None:
    from patchflow.cli import CommandError

    with pytest.raises(CommandError, match="not a loopback address"):
        serve.run(_serve_args("--no-osc", "--zmq", "tcp://127.0.0.1;0.0.0.0:5599"))


@pytest.fixture
def restore_signals() -> Iterator[None]:
    import signal

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def test_serve_reports_busy_and_malformed_endpoints(restore_signals: None) -> None:
    from patchflow.cli import CommandError

    ctx = zmq.Context.instance()
    busy_zmq = ctx.socket(zmq.ROUTER)
    port = busy_zmq.bind_to_random_port("tcp://127.0.0.1")
    busy_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy_udp.bind(("127.0.0.1", 0))
    udp_port = busy_udp.getsockname()[1]
    try:
        with pytest.raises(CommandError, match="ZeroMQ cannot bind"):
            serve.run(_serve_args("--no-osc", "--zmq", f"tcp://127.0.0.1:{port}"))
        with pytest.raises(CommandError, match="ZeroMQ cannot bind"):
            serve.run(_serve_args("--no-osc", "--zmq", "tcp://127.0.0.1:notaport"))
        with pytest.raises(CommandError, match=f"OSC port 127.0.0.1:{udp_port} is already in use"):
            serve.run(_serve_args("--no-zmq", "--osc-port", str(udp_port)))
    finally:
        busy_zmq.close(linger=0)
        busy_udp.close()


def test_allowing_everyone_warns(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="patchflow.serve"):
        serve.check_network_settings(_serve_args("--allow", "0.0.0.0/0", "--allow", "::/0"))
    assert sum("--allow" in r.getMessage() for r in caplog.records) == 2
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="patchflow.serve"):
        serve.check_network_settings(_serve_args("--allow", "192.168.1.0/24"))
    assert not caplog.records


def test_a_truncated_frontend_is_a_bundle_error(tmp_path) -> None:
    bundle = tmp_path / "kosc4"
    shutil.copytree(resolve_bundle("kosc4"), bundle)
    frontend = bundle / "frontend.npz"
    frontend.write_bytes(frontend.read_bytes()[: frontend.stat().st_size // 2])
    with pytest.raises(BundleError, match="truncated or corrupt"):
        load_bundle(bundle, prefer_gpu=False)
