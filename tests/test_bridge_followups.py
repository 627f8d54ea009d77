"""Follow-ups to the bridge work (issue 17 items 2 and 7, search budget in hello and info).

Every test runs a real :class:`BridgeServer` on loopback with the fake engine; no timed
assertions (timeouts only bound liveness).
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile
from bridge_fakes import FakeEngine, tone

import patchflow.bridge.audio as bridge_audio
from patchflow.bridge.audio import AudioLimits
from patchflow.bridge.client import OscClient, RemoteError, ZmqClient
from patchflow.bridge.dispatcher import Dispatcher
from patchflow.bridge.messages import ErrorReply, MatchAudioRequest, Reply
from patchflow.bridge.osc_codec import OscMessage
from patchflow.bridge.scheduler import Scheduler
from patchflow.bridge.server import BridgeServer, ServerConfig
from patchflow.bridge.uploads import UploadLimits, UploadStore

TIMEOUT_S = 10.0  # liveness only

LOCAL = ServerConfig(osc_port=0, reply_to_sender=True, zmq_endpoint=None, status_interval_s=None)


def osc_client(server: BridgeServer) -> OscClient:
    assert server.osc is not None
    return OscClient(server.osc.address, timeout_s=TIMEOUT_S)


# =============================================================================================
# match/file: --files-from and --remote-files reach the dispatcher


@pytest.fixture
def outside_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A wav outside the server's temp folders (the temp folders are pointed elsewhere, since
    pytest's own temp folder lies under the real ones)."""
    temp = tmp_path / "temp"
    library = tmp_path / "library"
    temp.mkdir()
    library.mkdir()
    monkeypatch.setattr(bridge_audio, "default_file_dirs", lambda: (temp,))
    path = library / "kick.wav"
    soundfile.write(path, tone(0.5, 0.5).T, 16_000, subtype="FLOAT")
    return path


def test_file_outside_the_temp_folders_is_refused_by_default(outside_file: Path) -> None:
    with BridgeServer(FakeEngine(), LOCAL) as server, osc_client(server) as client:
        with pytest.raises(RemoteError) as refused:
            client.match_file(outside_file, request_id=7)
        assert refused.value.request_id == 7
        assert refused.value.code == "invalid"
        assert refused.value.message.startswith("cannot read that file")
        assert "--files-from" in refused.value.message
        assert not server.dispatcher.files.remote


def test_files_from_serves_a_file_outside_the_temp_folders(outside_file: Path) -> None:
    config = ServerConfig(
        osc_port=0,
        reply_to_sender=True,
        zmq_endpoint=None,
        status_interval_s=None,
        files_from=(outside_file.parent,),
        remote_files=True,
    )
    with BridgeServer(FakeEngine(), config) as server, osc_client(server) as client:
        reply = client.match_file(outside_file, request_id=8)
        assert reply.request_id == 8
        assert reply.params01[0] == pytest.approx(0.5, abs=2e-3)  # the file's peak
        assert server.dispatcher.files.remote
        assert outside_file.parent.resolve() in server.dispatcher.files.dirs


def test_serve_flags_map_onto_the_config() -> None:
    import argparse

    from patchflow.commands.serve import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--files-from", "/a", "--files-from", "/b", "--remote-files"])
    assert args.files_from == [Path("/a"), Path("/b")]
    assert args.remote_files
    plain = parser.parse_args([])
    assert plain.files_from == [] and not plain.remote_files


def test_serve_refuses_a_files_from_folder_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    cmd = [sys.executable, "-m", "patchflow", "serve", "--files-from", str(missing)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert f"--files-from {missing}: no such folder" in done.stderr
    assert "Traceback" not in done.stderr


# =============================================================================================
# Shutdown: queued requests are told, the running call still answers


def test_queued_match_gets_shutting_down_and_running_match_still_answers() -> None:
    gate = threading.Event()
    engine = FakeEngine(gate=gate)
    server = BridgeServer(engine, LOCAL)
    server.start()
    stopper = threading.Thread(target=server.stop, name="test-stopper")
    try:
        with osc_client(server) as a, osc_client(server) as b:
            a.upload(1, tone(0.5), 16_000)
            assert engine.entered.acquire(timeout=TIMEOUT_S)  # A's match is in the engine
            b.upload(2, tone(0.25), 16_000)
            b.ping()  # barrier: B's match has been queued behind A's
            assert server.scheduler.queued() == 1
            stopper.start()
            with pytest.raises(RemoteError) as queued:
                b._wait_params((2,), TIMEOUT_S)
            assert (queued.value.request_id, queued.value.code) == (2, "busy")
            assert queued.value.message == "server is shutting down"
            gate.set()
            reply = a._wait_params((1,), TIMEOUT_S)  # the running call's reply still goes out
            assert reply.request_id == 1
            assert reply.params01[0] == pytest.approx(0.5, abs=2e-3)
            stopper.join(TIMEOUT_S)
            assert not stopper.is_alive()
    finally:
        gate.set()
        if stopper.is_alive():
            stopper.join(TIMEOUT_S)
        server.stop()
    assert [c[2] for c in engine.calls if c[0] == "match"] == [1]  # B's never ran


def test_submit_to_a_stopped_or_unstarted_scheduler_says_why() -> None:
    engine = FakeEngine()
    dispatcher = Dispatcher(engine, UploadStore(AudioLimits(2.0), UploadLimits()))
    replies: list[Reply] = []
    unstarted = Scheduler(dispatcher)
    unstarted.submit(MatchAudioRequest(4, tone(), 16_000), "c", replies.extend)
    stopped = Scheduler(dispatcher)
    stopped.start()
    stopped.stop()
    stopped.submit(MatchAudioRequest(5, tone(), 16_000), "c", replies.extend)
    assert [(r.request_id, r.code, r.message) for r in replies if isinstance(r, ErrorReply)] == [
        (4, "busy", "server is not running"),
        (5, "busy", "server is shutting down"),
    ]
    assert engine.calls == []


# =============================================================================================
# The search budget in hello and info: a device knows whether a stream follows a first answer


def budget_config(budget_s: float) -> ServerConfig:
    return ServerConfig(
        osc_port=0,
        reply_to_sender=True,
        zmq_endpoint="tcp://127.0.0.1:*",
        status_interval_s=None,
        search_budget_s=budget_s,
    )


@pytest.mark.parametrize("budget_s", [0.0, 1.5])
def test_hello_and_info_carry_the_search_budget(budget_s: float) -> None:
    searcher = (lambda: object()) if budget_s > 0 else None  # never asked to search here
    server = BridgeServer(FakeEngine(), budget_config(budget_s), searcher=searcher)
    with server, osc_client(server) as client:
        client.send(OscMessage("/patchflow/hello", (client.address[1],)))
        hello = client.wait_for(lambda m: m.address == "/patchflow/hello", TIMEOUT_S)
        assert hello == OscMessage("/patchflow/hello", (client.address[1], 1, budget_s))
        assert hello.type_tags == "iif"
        client.send(OscMessage("/patchflow/info"))
        info = client.wait_for(lambda m: m.address == "/patchflow/info", TIMEOUT_S)
        assert info.args == ("fake-model", "fake-synth", 6, 16_000, 2.0, 4, budget_s)
        assert info.type_tags == "ssiifif"  # older fields in place, the budget last
        assert client.info().search_budget_s == budget_s
        assert server.zmq is not None
        with ZmqClient(server.zmq.endpoint, timeout_s=TIMEOUT_S) as zmq_client:
            assert zmq_client.info().search_budget_s == budget_s


def test_match_audio_is_unchanged_by_the_new_fields() -> None:
    """The config defaults keep today's behaviour: a plain upload matches."""
    with BridgeServer(FakeEngine(), LOCAL) as server, osc_client(server) as client:
        reply = client.match(tone(0.3), 16_000, request_id=3)
        assert np.isfinite(reply.params01).all() and reply.params01[0] == pytest.approx(0.3, 2e-3)


# =============================================================================================
# patchflow serve: searching by default, one answer per match when the plug-in is missing


def test_serve_searches_for_one_second_by_default() -> None:
    import argparse

    from patchflow.commands.serve import DEFAULT_BUDGET_S, add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).budget_s is None  # resolved to the default in run()
    assert DEFAULT_BUDGET_S == 1.0
    assert parser.parse_args(["--budget-s", "0"]).budget_s == 0.0


AMSYNTH_CARD = SimpleNamespace(
    synth_id="amsynth", synth_options={}, spec=SimpleNamespace(synth="amsynth")
)


def test_search_unavailable_names_a_missing_plug_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    import patchflow.synths.plugin as plugin
    from patchflow.commands.serve import search_unavailable

    missing = tmp_path / "amsynth_vst.so"
    monkeypatch.setattr(
        plugin, "default_plugin_paths", lambda synth, platform=None: (str(missing),)
    )
    reason = search_unavailable(AMSYNTH_CARD, None)
    assert reason is not None and "not found" in reason and "--plugin PATH" in reason
    assert "no such plug-in file" in str(search_unavailable(AMSYNTH_CARD, str(missing)))
    missing.write_bytes(b"")  # found where it should be: the search process gets to try it
    assert search_unavailable(AMSYNTH_CARD, None) is None
    kosc = SimpleNamespace(synth_id="kosc", synth_options={}, spec=SimpleNamespace(synth="kosc4"))
    assert search_unavailable(kosc, "/nowhere") is None  # rendered in process


def test_searcher_is_none_with_a_warning_when_the_plug_in_is_missing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import patchflow.synths.plugin as plugin
    from patchflow.commands.serve import _searcher

    monkeypatch.setattr(
        plugin, "default_plugin_paths", lambda synth, platform=None: ("/nowhere.so",)
    )
    args = SimpleNamespace(search_workers=1, plugin=None, threads=1)
    engine = SimpleNamespace(bundle=SimpleNamespace(card=AMSYNTH_CARD, path="unused"))
    with caplog.at_level(logging.WARNING, "patchflow.serve"), _searcher(args, engine, 1.0) as found:
        assert found == (None, None)
    assert "needs the amsynth plug-in" in caplog.text
    assert "serving one answer per match" in caplog.text


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(*flags: str) -> tuple[subprocess.Popen, OscClient]:
    """``patchflow serve`` on a free loopback port, answering its senders; waits for a pong."""
    port = _free_udp_port()
    cmd = [sys.executable, "-m", "patchflow", "serve", "--no-zmq", "--osc-port", str(port)]
    cmd += ["--reply-to-sender", "--status-interval", "0", *flags]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    client = OscClient(("127.0.0.1", port), timeout_s=TIMEOUT_S)
    deadline = time.monotonic() + 120
    while True:
        try:
            client.ping(timeout_s=0.5)
            return proc, client
        except TimeoutError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                client.close()
                raise RuntimeError(f"serve did not start: {proc.communicate()[0]}") from None


def _stop(proc: subprocess.Popen, client: OscClient) -> str:
    client.close()
    proc.terminate()
    return proc.communicate(timeout=60)[0]


def _tone(sample_rate: int, freq_hz: float = 220.0) -> np.ndarray:
    t = np.arange(sample_rate // 2) / sample_rate
    return (0.5 * np.sin(2 * np.pi * freq_hz * t))[None].astype(np.float32)


def _hello_budget(client: OscClient) -> float:
    client.send(OscMessage("/patchflow/hello", (client.address[1],)))
    return client.wait_for(lambda m: m.address == "/patchflow/hello", TIMEOUT_S).args[2]


def test_patchflow_serve_streams_by_default() -> None:
    proc, client = _serve("--model", "kosc4", "--search-renders", "16")
    try:
        assert _hello_budget(client) == 1.0
        info = client.info()
        assert info.search_budget_s == 1.0
        first = client.match(_tone(info.sample_rate), info.sample_rate, request_id=3)
        final = client.wait_for(
            lambda m: m.address == "/patchflow/score" and m.args[0] == 3 and m.args[2] == 1,
            60,
        )
        assert first.request_id == 3 and final.args[1] >= 0
    finally:
        log = _stop(proc, client)
    assert "searching 1 s after each first answer" in log, log


def test_patchflow_serve_without_its_plug_in_answers_once_per_match() -> None:
    proc, client = _serve("--model", "amsynth", "--plugin", "/nonexistent/amsynth_vst.so")
    try:
        assert _hello_budget(client) == 0.0  # the device then stores the first answer at once
        info = client.info()
        assert info.search_budget_s == 0.0
        reply = client.match(_tone(info.sample_rate), info.sample_rate, request_id=4)
        assert reply.request_id == 4 and np.all((reply.params01 >= 0) & (reply.params01 <= 1))
        client.wait_for(lambda m: m.address == "/patchflow/note" and m.args[0] == 4, TIMEOUT_S)
        client.ping()  # nothing else came for the match: no score, no stream
        assert not any(m.address == "/patchflow/score" for m in client._backlog)
    finally:
        log = _stop(proc, client)
    assert "needs the amsynth plug-in" in log and "/nonexistent/amsynth_vst.so" in log, log
    assert "serving one answer per match" in log
