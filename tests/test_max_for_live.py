"""The Max for Live device: its build check, its node test suite, the .amxd container, and its OSC
contract with the bridge (bytes the device's JavaScript writes decode with the bridge's codec and
parser, and the bridge's replies decode in the device's JavaScript)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from patchflow.bridge import osc_codec as codec
from patchflow.bridge import osc_protocol as protocol
from patchflow.bridge import server as server_mod

M4L = Path(__file__).resolve().parents[1] / "max_for_live"
NODE = shutil.which("node")
NPM = shutil.which("npm")

needs_node = pytest.mark.needs("node")  # CI requires it (PATCHFLOW_REQUIRE, tests/conftest.py)


def _node(script: str) -> str:
    """Run a node script in max_for_live/ and return its stdout."""
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", script], cwd=M4L, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_node
def test_build_check_passes() -> None:
    """The generated patcher validates and the committed patcher and dist files are current."""
    assert NODE is not None
    done = subprocess.run(
        [NODE, "build.js", "--check"], cwd=M4L, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


@needs_node
def test_node_suite_passes() -> None:
    """`npm test` in max_for_live/: core logic, patcher structure, .amxd, device, end to end."""
    assert NPM is not None
    done = subprocess.run(
        [NPM, "test", "--prefix", str(M4L)], capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]


def _read_chunks(data: bytes) -> dict[str, bytes]:
    chunks: dict[str, bytes] = {}
    pos = 0
    while pos + 8 <= len(data):
        tag = data[pos : pos + 4].decode("ascii")
        (size,) = struct.unpack_from("<I", data, pos + 4)
        chunks[tag] = data[pos + 8 : pos + 8 + size]
        pos += 8 + size
    assert pos == len(data), "chunks cover the whole file"
    return chunks


def test_amxd_parses_back_to_the_committed_patcher() -> None:
    """An independent (Python) reading of dist/patchflow.amxd gives patchflow.maxpat's JSON."""
    amxd = M4L / "dist" / "patchflow.amxd"
    assert amxd.exists(), "dist/patchflow.amxd is committed (node max_for_live/build.js)"
    chunks = _read_chunks(amxd.read_bytes())
    assert list(chunks) == ["ampf", "meta", "ptch"]
    assert chunks["ampf"] == b"aaaa"
    assert struct.unpack("<I", chunks["meta"]) == (1,)
    body = chunks["ptch"]
    assert body.endswith(b"\n\x00")
    doc = json.loads(body[: body.index(b"\x00")].decode("utf-8"))
    assert doc == json.loads((M4L / "patchflow.maxpat").read_text())
    assert doc["patcher"]["project"]["amxdtype"] == int.from_bytes(b"aaaa", "big")


@needs_node
def test_device_addresses_and_limits_match_the_bridge() -> None:
    got = json.loads(
        _node(
            "const PF = require('./src/patchflow_core.js');"
            "console.log(JSON.stringify({addr: PF.ADDR, chunk: PF.MAX_CHUNK_FLOATS,"
            " datagram: PF.MAX_DATAGRAM_BYTES, version: PF.PROTOCOL_VERSION}));"
        )
    )
    bridge = {
        "ping": protocol.ADDR_PING,
        "pong": protocol.ADDR_PONG,
        "info": protocol.ADDR_INFO,
        "names": protocol.ADDR_NAMES,
        "matchFile": protocol.ADDR_MATCH_FILE,
        "matchBegin": protocol.ADDR_MATCH_BEGIN,
        "matchChunk": protocol.ADDR_MATCH_CHUNK,
        "matchEnd": protocol.ADDR_MATCH_END,
        "macro": protocol.ADDR_MACRO,
        "morph": protocol.ADDR_MORPH,
        "params": protocol.ADDR_PARAMS,
        "nativeValues": protocol.ADDR_NATIVE,
        "latency": protocol.ADDR_LATENCY,
        "error": protocol.ADDR_ERROR,
    }
    assert got["addr"] == bridge
    assert got["chunk"] == protocol.MAX_CHUNK_FLOATS
    assert got["datagram"] == codec.MAX_DATAGRAM_BYTES


@needs_node
def test_device_requests_parse_in_the_bridge() -> None:
    """Datagrams as the device sends them (Max atom types) parse into the bridge's requests."""
    script = """
const PF = require('./src/patchflow_core.js');
const samples = Array.from({length: 3300}, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i / 5) * 0.5));
const up = PF.uploadMessages(2147483000, samples, 44100, 1);
const msgs = [up.begin].concat(up.chunks, [up.end],
  [["/patchflow/ping", 12], ["/patchflow/macro", 3, 1], ["/patchflow/morph", 0.25],
   ["/patchflow/match/file", 7, "/Users/me/Sounds/vocal take é.wav"]]);
const hex = (m) => Buffer.from(PF.oscEncode(m[0], m.slice(1))).toString('hex');
console.log(JSON.stringify(msgs.map(hex)));
"""
    datagrams = [bytes.fromhex(h) for h in json.loads(_node(script))]
    requests = [protocol.parse_request(codec.decode_message(d)) for d in datagrams]
    assert all(len(d) <= codec.MAX_DATAGRAM_BYTES for d in datagrams)
    begin, *chunks, end, ping, macro, morph, match_file = requests
    assert (begin.request_id, begin.sample_rate, begin.channels, begin.frames) == (
        2147483000,
        44100,
        1,
        3300,
    )
    assert [c.offset for c in chunks] == [0, 1600, 3200]
    audio = np.concatenate([c.samples for c in chunks])
    expected = np.array([0 if i % 7 == 0 else np.sin(i / 5) * 0.5 for i in range(3300)])
    np.testing.assert_allclose(audio, expected, atol=1e-7)  # whole-number samples went out as 'i'
    assert end.request_id == 2147483000
    assert ping.request_id == 12
    assert (macro.index, macro.value) == (3, 1.0)  # a Max int where a float is expected
    assert morph.value == 0.25
    assert match_file.path == "/Users/me/Sounds/vocal take é.wav"


@needs_node
def test_bridge_replies_decode_in_the_device() -> None:
    """Reply datagrams written by the bridge's codec decode with the device's OSC reader."""
    params01 = np.array([0.0, 1.0, 0.25, 0.5], np.float32)
    replies = [
        codec.OscMessage(protocol.ADDR_PARAMS, (41, *params01.tolist())),
        codec.OscMessage(protocol.ADDR_LATENCY, (41, 12.5)),
        codec.OscMessage(protocol.ADDR_PONG, (5, "surge-simple", 1)),
        codec.OscMessage(protocol.ADDR_NAMES, ("cutoff_hz", "résonance")),
        codec.OscMessage(protocol.ADDR_ERROR, (3, "invalid: bad value")),
    ]
    hexes = [codec.encode_message(m).hex() for m in replies]
    script = (
        "const PF = require('./src/patchflow_core.js');"
        f"const hexes = {json.dumps(hexes)};"
        "console.log(JSON.stringify(hexes.map((h) => PF.oscDecode(Buffer.from(h, 'hex')))));"
    )
    decoded = json.loads(_node(script))
    by_address = {d["address"]: (d["tags"], d["args"]) for d in decoded}
    assert by_address["/patchflow/params"] == ("iffff", [41, 0.0, 1.0, 0.25, 0.5])
    assert by_address["/patchflow/latency"] == ("if", [41, 12.5])
    assert by_address["/patchflow/pong"] == ("isi", [5, "surge-simple", 1])
    assert by_address["/patchflow/names"] == ("ss", ["cutoff_hz", "résonance"])
    assert by_address["/patchflow/error"] == ("is", [3, "invalid: bad value"])


class _StubEngine:
    """A stand-in for the ONNX engine: parameters from the sound's zero-crossing rate."""

    model_name = "stub-model"
    synth_id = "stub"
    sample_rate = 16000
    max_seconds = 4.0
    min_seconds = 0.25
    n_macros = 4

    def __init__(self) -> None:
        self.param_names = [
            "cutoff_hz",
            "resonance",
            "osc1_wave",
            "osc1_pitch",
            "amp_attack_s",
            "noise_volume",
            "filter_type",
        ]
        self.calls: list[tuple[object, ...]] = []
        self.last: dict[str, tuple[int, np.ndarray]] = {}
        self.previous: dict[str, tuple[int, np.ndarray]] = {}

    def _result(self, request_id: int, values: np.ndarray) -> object:
        from patchflow.bridge.service import MatchResult

        return MatchResult(request_id, values, values * 100, 1.0)

    def match(self, audio: np.ndarray, sample_rate: int, *, client: str, request_id: int) -> object:
        x = audio.mean(axis=0)
        freq_hz = float(np.sum((x[:-1] < 0) & (x[1:] >= 0)) * sample_rate / len(x))
        self.calls.append(("match", request_id, audio.shape, sample_rate, freq_hz))
        values = np.array(
            [(0.137 * (i + 1) + freq_hz / 1000) % 1 for i in range(len(self.param_names))],
            np.float32,
        )
        values[0], values[1] = 0.0, 1.0
        self.previous[client] = self.last.get(client, (request_id, values))
        self.last[client] = (request_id, values)
        return self._result(request_id, values)

    def macro(self, *, client: str, index: int, value: float) -> object:
        self.calls.append(("macro", index, value))
        request_id, values = self.last[client]
        return self._result(request_id, np.clip(values + (value - 0.5) * 0.3, 0, 1))

    def morph(self, *, client: str, value: float) -> object:
        self.calls.append(("morph", value))
        request_id, values = self.last[client]
        _, previous = self.previous[client]
        return self._result(request_id, previous * (1 - value) + values * value)


def _free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@needs_node
def test_device_against_the_bridge_server(tmp_path: Path) -> None:
    """The device's JavaScript (node harness, mock Live) against the real bridge server over UDP:
    a chunked match, a file-path match and a macro, with a stub engine instead of a model."""
    engine = _StubEngine()
    osc_port, reply_port = _free_udp_port(), _free_udp_port()
    config = server_mod.ServerConfig(
        osc_port=osc_port, reply_port=reply_port, zmq_endpoint=None, status_interval_s=None
    )
    server = server_mod.BridgeServer(engine, config)
    server.start()
    try:
        assert NODE is not None
        done = subprocess.run(
            [
                NODE,
                "testing/device_session.js",
                "--send-port",
                str(osc_port),
                "--reply-port",
                str(reply_port),
                "--file-dir",
                str(tmp_path),
                "--timeout-ms",
                "20000",
            ],
            cwd=M4L,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["errors"] == []
    assert report["names"] == engine.param_names
    assert report["mapped"] == len(engine.param_names)
    chunks, from_file = report["steps"]
    assert chunks["error"] is None and from_file["error"] is None
    assert chunks["undoChanges"] == from_file["undoChanges"] == len(engine.param_names)
    assert report["maxDatagram"] <= 8192
    matches = [c for c in engine.calls if c[0] == "match"]
    assert [m[2:4] for m in matches] == [((1, 44100), 44100), ((1, 44100), 44100)]
    assert abs(matches[0][4] - 440) < 5 and abs(matches[1][4] - 220) < 5
    assert ("macro", 0, pytest.approx(0.9)) in engine.calls
    assert report["macroRemoteValues"] > 0
    for p in report["params"]:
        assert min(p["min"], p["max"]) <= p["value"] <= max(p["min"], p["max"]), p
        if p["quantized"]:
            assert float(p["value"]).is_integer(), p
