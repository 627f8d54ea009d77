"""`patchflow serve` end to end: a real server process, real sockets on loopback, a real bundle."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from patchflow.bridge.client import OscClient, RemoteError, ZmqClient
from patchflow.synths.kosc import KOsc, kosc_spec


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def bundle(tiny_kosc4):
    return tiny_kosc4.bundle  # the session's tiny k-osc bundle (tests/conftest.py), 8 macros


@pytest.fixture(scope="module")
def server(bundle):
    osc, reply, zmq_port = (
        _free_port(socket.SOCK_DGRAM),
        _free_port(socket.SOCK_DGRAM),
        _free_port(socket.SOCK_STREAM),
    )
    cmd = [sys.executable, "-m", "patchflow", "serve", "--model", str(bundle)]
    cmd += ["--osc-port", str(osc), "--reply-port", str(reply), "--status-interval", "1"]
    cmd += ["--zmq", f"tcp://127.0.0.1:{zmq_port}"]
    cmd += ["--budget-s", "0"]  # one answer per match: these tests check the first answer alone
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    zmq_client = ZmqClient(f"tcp://127.0.0.1:{zmq_port}", timeout_s=30)
    deadline = time.monotonic() + 120
    while True:  # wait until the server answers
        try:
            zmq_client.ping(timeout_s=1)
            break
        except (TimeoutError, RemoteError):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {proc.stdout.read()}") from None
    yield {"proc": proc, "osc": osc, "reply": reply, "zmq": zmq_client}
    zmq_client.close()
    if proc.poll() is None:
        proc.kill()


def _tone(
    freq_hz: float, sample_rate: int = 48000, seconds: float = 0.5, channels: int = 2
) -> np.ndarray:
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    return np.repeat((0.4 * np.sin(2 * np.pi * freq_hz * t))[None], channels, axis=0).astype(
        np.float32
    )


def test_osc_match_macros_and_morph(server, tmp_path):
    with OscClient(
        ("127.0.0.1", server["osc"]), listen=("127.0.0.1", server["reply"]), timeout_s=30
    ) as c:
        assert c.ping().model == "kosc-tiny"
        names = c.names()
        assert names == kosc_spec(4).names
        first = c.match(_tone(440.0), 48000)
        assert first.params01.shape == (12,) and np.all(
            (first.params01 >= 0) & (first.params01 <= 1)
        )
        # the same sound matched again gives the same patch (fixed noise seed)
        again = c.match(_tone(440.0), 48000)
        np.testing.assert_allclose(again.params01, first.params01, atol=1e-6)
        # a macro re-runs only the solver: it moves the patch, and its centre gives the match back
        moved = c.macro(0, 1.0)
        assert moved.request_id == again.request_id
        assert np.abs(moved.params01 - again.params01).max() > 1e-3
        centre = c.macro(0, 0.5)
        np.testing.assert_allclose(centre.params01, again.params01, atol=1e-5)
        # a file path match of another sound, then morph between the last two matches
        import soundfile as sf

        path = tmp_path / "other.wav"
        sf.write(
            path,
            KOsc(k=4, num_samples=22050)
            .render([[300.0, 900, 1500, 2500, 1, 1, 1, 1, 1, 0, -1, 1]])[0]
            .T,
            44100,
        )
        other = c.match_file(path)
        start, end = c.morph(0.0), c.morph(1.0)
        np.testing.assert_allclose(start.params01, again.params01, atol=1e-4)
        np.testing.assert_allclose(end.params01, other.params01, atol=1e-4)


def test_zmq_match_and_bad_audio(server):
    c = server["zmq"]
    reply = c.match(_tone(1000.0, 22050, channels=1), 22050)
    assert reply.native.shape == (12,)
    freqs = reply.native[:4]
    assert np.all((freqs >= 20) & (freqs <= 4000))
    for bad, message in [
        (np.zeros((1, 4000), np.float32), "silent"),
        (np.full((1, 4000), np.nan, np.float32), "NaN"),
        (_tone(440.0, 44100, seconds=0.001), "too short"),
    ]:
        with pytest.raises(RemoteError, match=message):
            c.match(bad, 44100)
    assert c.ping().model == "kosc-tiny"  # still serving


def test_sigterm_shuts_down_cleanly(server):
    proc = server["proc"]
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "SIGTERM" in out and "stopped: requests=" in out
