"""Hostile input and an 8-client load against a real ``patchflow serve`` on loopback.

Usage::

    python benchmarks/hostile_load.py [--model kosc4] [--osc-inputs 2000] [--zmq-inputs 1000] \
        [--clients 8] [--matches 25] [--out docs/results]

A bounded session in two phases against one server subprocess (OSC with replies to each sender,
ZeroMQ on a loopback port):

1. **hostile**: ``--osc-inputs`` OSC datagrams and ``--zmq-inputs`` ZeroMQ messages that the
   bridge's own codec refuses (random bytes, valid requests with bytes flipped, inserted, removed
   or cut off, arguments of wrong types and extreme values, deep or lying bundles, oversized
   datagrams, deep or huge JSON headers, wrong frame counts). The protocol promises one error
   reply for each (docs/protocol.md, "Errors ... never as silence"): an input that gets none
   within ``--reply-timeout`` is a *missing reply*. The server is pinged on both transports every
   200 inputs; a server that exits is a *crash*.
2. **load**: ``--clients`` clients in threads (half ZeroMQ, half OSC chunked uploads) each run
   ``--matches`` sequential matches of distinct 1 s k-osc clips while one more thread keeps
   sending hostile inputs. A match with no reply is *lost*; a reply carrying another request's
   id is *misrouted*; ``busy``/``timeout`` error replies are counted apart. Latency is measured
   by each client around its call.

The server's resident memory (``/proc/PID/status`` VmRSS) is read before the session (after one
warm-up match), sampled every 20 ms for the peak, and read after it. Everything is seeded, so
the same inputs are sent on every run. Writes ``OUT/hostile_load.{json,md}``; the exit status is
1 when the server crashed or a match was lost or misrouted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import zmq

from patchflow.bridge import osc_protocol as proto
from patchflow.bridge.client import OscClient, RemoteError, ZmqClient
from patchflow.bridge.errors import BridgeError
from patchflow.bridge.osc_chunks import encode_chunk
from patchflow.bridge.osc_codec import OscMessage, decode_packet, encode_bundle, encode_message
from patchflow.bridge.zmq_codec import decode_reply, decode_request, encode_request
from patchflow.machine import cpu_name
from patchflow.synths.kosc import KOsc

SAMPLE_RATE = 44100
PROBE_EVERY = 200


# ------------------------------------------------------------------------------------ inputs


def _pad(raw: bytes) -> bytes:
    return raw + b"\x00" * (-len(raw) % 4)


def _osc_raw(address: str, tags: str, body: bytes) -> bytes:
    return _pad(address.encode() + b"\x00") + _pad(("," + tags).encode() + b"\x00") + body


def _valid_osc(rng: random.Random, missing_path: str) -> bytes:
    """A well-formed request datagram (the material the mutations start from)."""
    rid = rng.randrange(2**31)
    choices = [
        OscMessage(proto.ADDR_PING, (rid,)),
        OscMessage(proto.ADDR_INFO, ()),
        OscMessage(proto.ADDR_NAMES, ()),
        OscMessage(proto.ADDR_MATCH_FILE, (rid, missing_path)),
        OscMessage(proto.ADDR_MATCH_BEGIN, (rid, 44100, 1, 44100)),
        OscMessage(proto.ADDR_MATCH_END, (rid,)),
        OscMessage(proto.ADDR_MACRO, (rng.randrange(8), rng.random())),
        OscMessage(proto.ADDR_MORPH, (rng.random(),)),
        OscMessage(proto.ADDR_MIDI_BINDINGS, ()),
    ]
    if rng.random() < 0.3:
        return encode_chunk(rid, rng.randrange(1000), np.ones(rng.randrange(1, 64), np.float32))
    return encode_message(rng.choice(choices))


def _mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        pos = rng.randrange(max(len(out), 1))
        op = rng.choice(("flip", "insert", "delete", "truncate"))
        if op == "flip" and out:
            out[pos] = rng.randrange(256)
        elif op == "insert":
            out[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif op == "delete":
            del out[pos : pos + rng.randint(1, 8)]
        else:
            del out[pos:]
    return bytes(out)


def _wrong_types(rng: random.Random) -> bytes:
    address = rng.choice(proto.REQUEST_ADDRESSES)
    tags, body = "", b""
    for _ in range(rng.randint(0, 6)):
        tag = rng.choice("ifsdhTFNb")
        tags += tag
        if tag == "i":
            body += struct.pack(">i", rng.choice((-1, 0, 2**31 - 1, -(2**31), rng.randrange(99))))
        elif tag == "f":
            body += struct.pack(">f", rng.choice((float("nan"), float("inf"), -1e38, 1.5, -0.0)))
        elif tag == "s":
            body += _pad(rng.choice(("", "x" * 300, "é", "/patchflow/ping")).encode() + b"\x00")
        elif tag == "d":
            body += struct.pack(">d", rng.choice((float("nan"), 1e300, 0.5)))
        elif tag == "h":
            body += struct.pack(">q", rng.choice((2**62, -1, 7)))
        elif tag == "b":
            blob = rng.randbytes(rng.randint(0, 40))
            body += struct.pack(">i", len(blob)) + _pad(blob)
    return _osc_raw(address, tags, body)


def _extreme_values(rng: random.Random) -> bytes:
    big = 2**31 - 1
    return rng.choice(
        (
            _osc_raw(proto.ADDR_MATCH_BEGIN, "iiii", struct.pack(">iiii", 1, big, big, big)),
            _osc_raw(proto.ADDR_MATCH_BEGIN, "iiii", struct.pack(">iiii", 1, 44100, 0, 10)),
            _osc_raw(proto.ADDR_MATCH_BEGIN, "iiii", struct.pack(">iiii", -5, 44100, 1, 10)),
            _osc_raw(proto.ADDR_MATCH_CHUNK, "iif", struct.pack(">iif", 3, big, 0.5)),
            _osc_raw(proto.ADDR_MATCH_CHUNK, "ii", struct.pack(">ii", 3, 0)),
            _osc_raw(proto.ADDR_MACRO, "if", struct.pack(">if", big, 0.5)),
            _osc_raw(proto.ADDR_MACRO, "if", struct.pack(">if", 0, float("nan"))),
            _osc_raw(proto.ADDR_MORPH, "f", struct.pack(">f", float("inf"))),
            _osc_raw(proto.ADDR_MIDI_LEARN, "i", struct.pack(">i", -7)),
            _osc_raw(proto.ADDR_PING, "i", struct.pack(">i", -1)),
            _osc_raw("/patchflow/" + "a" * 900, "", b""),
        )
    )


def _bundle(rng: random.Random) -> bytes:
    inner = encode_message(OscMessage(proto.ADDR_PING, (1,)))
    if rng.random() < 0.5:  # nested deeper than the decoder allows
        for _ in range(rng.randint(9, 40)):
            inner = (
                b"#bundle\x00" + struct.pack(">II", 0, 1) + struct.pack(">i", len(inner)) + inner
            )
        return inner
    data = bytearray(encode_bundle([OscMessage(proto.ADDR_PING, (2,))] * rng.randint(1, 3)))
    struct.pack_into(">i", data, 16, rng.choice((-4, 2**31 - 1, len(data))))  # a lying size
    return bytes(data)


def _refused_by_codec(data: bytes) -> bool:
    """True when the bridge's codec or parser refuses ``data`` (so one error reply is due)."""
    try:
        messages = decode_packet(data)
        if not messages:
            return False
        for msg in messages:
            proto.parse_request(msg)
    except BridgeError:
        return True
    except Exception:  # whatever else the codec raises (a bug), the server owes an answer
        return True
    return False


def hostile_osc(rng: random.Random, missing_path: str) -> tuple[str, bytes]:
    """One OSC datagram the bridge must refuse, and its kind."""
    while True:
        kind = rng.choice(("random", "mutated", "wrong types", "extreme", "bundle", "oversize"))
        if kind == "random":
            data = rng.randbytes(rng.randint(0, 512))
        elif kind == "mutated":
            data = _mutate(rng, _valid_osc(rng, missing_path))
        elif kind == "wrong types":
            data = _wrong_types(rng)
        elif kind == "extreme":
            data = _extreme_values(rng)
        elif kind == "bundle":
            data = _bundle(rng)
        else:
            data = _valid_osc(rng, missing_path) + rng.randbytes(9000)
        if _refused_by_codec(data):
            return kind, data


def hostile_zmq(rng: random.Random) -> tuple[str, list[bytes]]:
    """One ZeroMQ message (frames) the bridge must refuse, and its kind."""
    while True:
        kind = rng.choice(("random", "damaged json", "odd header", "deep", "huge", "frames"))
        header: dict[str, Any] = {"v": 1, "id": rng.randrange(2**31), "cmd": "ping"}
        if kind == "random":
            frames = [rng.randbytes(rng.randint(0, 64)) for _ in range(rng.randint(1, 3))]
        elif kind == "damaged json":
            frames = [_mutate(rng, json.dumps(header).encode())]
        elif kind == "odd header":
            key = rng.choice(("v", "id", "cmd", "sample_rate", "channels", "index", "value"))
            header["cmd"] = rng.choice(("match", "macro", "morph", "learn", "ping"))
            header[key] = rng.choice((None, True, -1, 2**60, "x", [], {}, 1e308, "match"))
            frames = [json.dumps(header).encode()]
            if header["cmd"] == "match":
                frames.append(rng.randbytes(rng.choice((3, 8, 0))))
        elif kind == "deep":
            frames = [b"[" * rng.randint(1000, 5000)]
        elif kind == "huge":
            frames = [
                rng.choice(
                    (
                        b'{"v":1,"id":' + b"9" * 4301 + b',"cmd":"ping"}',
                        json.dumps({"v": 1, "id": 1, "cmd": "ping", "x": "y" * 70000}).encode(),
                    )
                )
            ]
        else:
            frames = [json.dumps(header).encode()] + [b""] * rng.randint(1, 3)
        try:
            decode_request(frames)
        except Exception:  # refused, whichever way (BridgeError or a bug): one reply is due
            return kind, frames


# ------------------------------------------------------------------------------------ server


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kb(pid: int) -> int | None:
    """Resident memory of a process in KiB (Linux), or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class RssSampler(threading.Thread):
    """Samples a process's resident memory every ``interval_s``; keeps the peak."""

    def __init__(self, pid: int, interval_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval_s = pid, interval_s
        self.peak_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_kb = max(self.peak_kb, rss_kb(self.pid) or 0)
            self._stop_event.wait(self.interval_s)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


@dataclass
class Server:
    """A ``patchflow serve`` subprocess and its endpoints."""

    proc: subprocess.Popen
    osc: tuple[str, int]
    zmq_endpoint: str
    command: list[str]
    log: Path
    log_file: Any  # the open file the server's output goes to

    def alive(self) -> bool:
        return self.proc.poll() is None


def start_server(model: str, log: Path) -> Server:
    osc_port, zmq_port = _free_port(socket.SOCK_DGRAM), _free_port(socket.SOCK_STREAM)
    endpoint = f"tcp://127.0.0.1:{zmq_port}"
    cmd = [sys.executable, "-m", "patchflow", "serve", "--model", model, "--reply-to-sender"]
    cmd += ["--osc-port", str(osc_port), "--zmq", endpoint, "--threads", "1", "--workers", "1"]
    cmd += ["--status-interval", "0", "--budget-s", "0"]  # first answers only, as measured
    out = open(log, "w")  # the server writes to it until it is stopped
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    server = Server(proc, ("127.0.0.1", osc_port), endpoint, cmd, log, out)
    deadline = time.monotonic() + 120
    with ZmqClient(endpoint, timeout_s=2) as client:
        while True:
            if not server.alive():
                raise RuntimeError(f"patchflow serve exited: {log.read_text()[-2000:]}")
            try:
                client.ping(timeout_s=1)
                return server
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise RuntimeError("patchflow serve did not answer within 120 s") from None


def stop_server(server: Server) -> int:
    """SIGTERM (then SIGKILL after 30 s); the exit status."""
    server.proc.terminate()
    try:
        return server.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        return server.proc.wait()
    finally:
        server.log_file.close()


def probe(server: Server) -> bool:
    """Ping over both transports with fresh clients."""
    try:
        with OscClient(server.osc, timeout_s=5) as osc, ZmqClient(server.zmq_endpoint) as zc:
            osc.ping(timeout_s=5)
            zc.ping(timeout_s=5)
        return True
    except (TimeoutError, RemoteError, OSError):
        return False


# ------------------------------------------------------------------------------------ phases


@dataclass
class HostileCounts:
    """What hostile inputs got back."""

    sent: int = 0
    error_replies: int = 0
    other_replies: int = 0
    missing_replies: int = 0
    failed_probes: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    missing_by_kind: dict[str, int] = field(default_factory=dict)

    def count(self, transport: str, kind: str, replied: bool, error: bool) -> None:
        key = f"{transport} {kind}"
        self.sent += 1
        self.by_kind[key] = self.by_kind.get(key, 0) + 1
        if not replied:
            self.missing_replies += 1
            self.missing_by_kind[key] = self.missing_by_kind.get(key, 0) + 1
        elif error:
            self.error_replies += 1
        else:
            self.other_replies += 1


class HostileSender:
    """Sends hostile inputs one at a time and waits for each one's reply."""

    def __init__(self, server: Server, seed: int, reply_timeout_s: float, missing: str) -> None:
        self.server = server
        self.rng = random.Random(seed)
        self.timeout_s = reply_timeout_s
        self.missing_path = missing
        self.counts = HostileCounts()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.ctx = zmq.Context()
        self.dealer = self.ctx.socket(zmq.DEALER)
        self.dealer.setsockopt(zmq.LINGER, 0)
        self.dealer.connect(server.zmq_endpoint)

    def close(self) -> None:
        self.udp.close()
        self.dealer.close(linger=0)
        self.ctx.term()

    def _drain_udp(self) -> None:
        self.udp.setblocking(False)
        try:
            while True:
                self.udp.recv(65536)
        except BlockingIOError:
            pass
        finally:
            self.udp.setblocking(True)

    def send_osc(self) -> None:
        kind, data = hostile_osc(self.rng, self.missing_path)
        self._drain_udp()
        self.udp.sendto(data, self.server.osc)
        self.udp.settimeout(self.timeout_s)
        try:
            reply = decode_packet(self.udp.recv(65536))
        except TimeoutError:
            self.counts.count("osc", kind, replied=False, error=False)
            return
        self.counts.count("osc", kind, True, reply[0].address == proto.ADDR_ERROR)

    def send_zmq(self) -> None:
        kind, frames = hostile_zmq(self.rng)
        while self.dealer.poll(0, zmq.POLLIN):  # a late reply to an earlier input
            self.dealer.recv_multipart()
        self.dealer.send_multipart(frames)
        if not self.dealer.poll(int(1000 * self.timeout_s), zmq.POLLIN):
            self.counts.count("zmq", kind, replied=False, error=False)
            return
        frames = self.dealer.recv_multipart()
        if len(frames) > 1 and frames[0] == b"":  # a leading empty frame reads as a REQ envelope
            frames = frames[1:]
        reply = decode_reply(frames)
        self.counts.count("zmq", kind, True, reply.header.get("ok") is False)


def hostile_phase(sender: HostileSender, osc_inputs: int, zmq_inputs: int) -> bool:
    """Send every input, interleaved; probe the server every PROBE_EVERY inputs.

    Returns:
        False when the server crashed (then the phase stops early).
    """
    order = ["osc"] * osc_inputs + ["zmq"] * zmq_inputs
    random.Random(7).shuffle(order)
    for k, transport in enumerate(order, start=1):
        if transport == "osc":
            sender.send_osc()
        else:
            sender.send_zmq()
        if k % PROBE_EVERY == 0:
            if not sender.server.alive():
                return False
            if not probe(sender.server):
                sender.counts.failed_probes += 1
    return sender.server.alive()


@dataclass
class LoadCounts:
    """What the load clients saw."""

    matches: int = 0
    replies: int = 0
    lost: int = 0
    misrouted: int = 0
    busy_or_timeout: int = 0
    other_errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def _clips(seed: int, n: int) -> list[np.ndarray]:
    """``n`` distinct 1 s k-osc clips (C, T), audible parameters only."""
    synth = KOsc(k=4, num_samples=SAMPLE_RATE)
    rng = np.random.default_rng(seed)
    native = synth.spec.sample(rng, n)
    k = 4
    native[:, k : 2 * k] = np.maximum(native[:, k : 2 * k], 0.3)  # amplitudes: never silent
    return list(synth.render(native))


def zmq_load_client(server: Server, clips: list[np.ndarray], base_id: int, c: LoadCounts) -> None:
    with ZmqClient(server.zmq_endpoint, timeout_s=30) as client:
        for n, clip in enumerate(clips):
            rid = base_id + n
            start = time.perf_counter()
            client.send_frames(encode_request("match", rid, audio=clip, sample_rate=SAMPLE_RATE))
            try:
                reply = client.receive(timeout_s=30)
            except TimeoutError:
                with c.lock:
                    c.matches += 1
                    c.lost += 1
                continue
            elapsed_ms = 1000 * (time.perf_counter() - start)
            with c.lock:
                c.matches += 1
                c.replies += 1
                if reply.header.get("id") != rid:
                    c.misrouted += 1
                elif reply.header.get("ok"):
                    c.latencies_ms.append(elapsed_ms)
                elif reply.header.get("code") in ("busy", "timeout"):
                    c.busy_or_timeout += 1
                else:
                    c.other_errors += 1


def _drain(client: OscClient) -> list[OscMessage]:
    """Every message still queued for ``client`` (its backlog, then the socket)."""
    left = []
    while True:
        try:
            left.append(client.receive(timeout_s=0.2))
        except TimeoutError:
            return left


def osc_load_client(server: Server, clips: list[np.ndarray], base_id: int, c: LoadCounts) -> None:
    with OscClient(server.osc, timeout_s=30) as client:
        for n, clip in enumerate(clips):
            rid = base_id + n
            start = time.perf_counter()
            try:
                reply = client.match(clip, SAMPLE_RATE, timeout_s=30, request_id=rid)
            except TimeoutError:
                with c.lock:
                    c.matches += 1
                    c.lost += 1
                continue
            except RemoteError as err:
                with c.lock:
                    c.matches += 1
                    c.replies += 1
                    if err.request_id != rid:
                        c.misrouted += 1
                    elif err.code in ("busy", "timeout"):
                        c.busy_or_timeout += 1
                    else:
                        c.other_errors += 1
                continue
            elapsed_ms = 1000 * (time.perf_counter() - start)
            with c.lock:
                c.matches += 1
                c.replies += 1
                if reply.request_id != rid:
                    c.misrouted += 1
                else:
                    c.latencies_ms.append(elapsed_ms)
        # a reply left over with an id this client never used is another client's: misrouted
        ours = range(base_id, base_id + len(clips))
        stray = [m for m in _drain(client) if m.args and m.args[0] != -1 and m.args[0] not in ours]
        with c.lock:
            c.misrouted += len(stray)


def load_phase(
    server: Server, clients: int, matches: int, hostile: HostileSender, stop_hostile: int
) -> LoadCounts:
    """``clients`` clients (even: ZeroMQ, odd: OSC) and one hostile thread, all at once."""
    counts = LoadCounts()
    threads = []
    for i in range(clients):
        clips = _clips(100 + i, matches)
        target = zmq_load_client if i % 2 == 0 else osc_load_client
        base = (i + 1) * 1_000_000
        threads.append(threading.Thread(target=target, args=(server, clips, base, counts)))
    done = threading.Event()

    def keep_attacking() -> None:
        sent = 0
        while not done.is_set() and sent < stop_hostile:
            if sent % 2 == 0:
                hostile.send_osc()
            else:
                hostile.send_zmq()
            sent += 1

    attacker = threading.Thread(target=keep_attacking)
    for t in [*threads, attacker]:
        t.start()
    for t in threads:
        t.join()
    done.set()
    attacker.join()
    return counts


# ------------------------------------------------------------------------------------ report


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def write_report(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "hostile_load.json").write_text(json.dumps(result, indent=2) + "\n")
    h, load, mem = result["hostile"], result["load"], result["memory_mb"]
    lines = [
        "# Hostile input and load against `patchflow serve`",
        "",
        f"Command: `{result['command']}`",
        "",
        f"- Date: {result['date']}; CPU: {result['hardware']['cpu_model']}, "
        f"{result['hardware']['cpu_count']} cores, load average {result['hardware']['load']} "
        "at the start (the machine is shared: latencies include other work)",
        f"- Server: `{shlex.join(result['server_command'])}`",
        f"- Server crashes: **{result['crashes']}**; exit status after SIGTERM: "
        f"{result['server_exit_status']}",
        "",
        "| phase | inputs sent | error replies | other replies | missing replies | failed probes |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("alone", "during load"):
        row = h[name]
        lines.append(
            f"| hostile, {name} | {row['sent']} | {row['error_replies']} | "
            f"{row['other_replies']} | {row['missing_replies']} | {row['failed_probes']} |"
        )
    lines += [
        "",
        "| load | matches | replies | lost | misrouted | busy/timeout | other errors "
        "| p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {load['clients']} clients x {load['matches_per_client']} | {load['matches']} | "
        f"{load['replies']} | {load['lost']} | {load['misrouted']} | {load['busy_or_timeout']} | "
        f"{load['other_errors']} | {load['p50_ms']} | {load['p99_ms']} |",
        "",
        f"Server memory (RSS): before {mem['before']} MB, peak {mem['peak']} MB, "
        f"after {mem['after']} MB.",
        "",
    ]
    missing = {**h["alone"]["missing_by_kind"]}
    for k, v in h["during load"]["missing_by_kind"].items():
        missing[k] = missing.get(k, 0) + v
    if missing:
        lines.append("Missing replies by input kind: " + ", ".join(
            f"{k} {v}" for k, v in sorted(missing.items())
        ) + ".")  # fmt: skip
        lines.append("")
    lines += [
        "Inputs per kind (alone): "
        + ", ".join(f"{k} {v}" for k, v in sorted(h["alone"]["by_kind"].items()))
        + ".",
        "",
        "Missing reply: a refused input with no reply within the reply timeout "
        f"({result['reply_timeout_s']} s). Lost: a match with no reply within 30 s. Misrouted: a "
        "reply carrying another request's id. Load clients: even ones ZeroMQ (one message per "
        "match), odd ones OSC (begin, chunks, end); latency measured by the client.",
        "",
    ]
    (out / "hostile_load.md").write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="kosc4", help="bundle name or path")
    parser.add_argument("--osc-inputs", type=int, default=2000)
    parser.add_argument("--zmq-inputs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--matches", type=int, default=25, help="matches per load client")
    parser.add_argument("--load-hostile", type=int, default=1000,
                        help="most hostile inputs sent during the load")  # fmt: skip
    parser.add_argument("--reply-timeout", type=float, default=2.0, help="seconds per input")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("docs/results"))
    args = parser.parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    hardware = {
        "cpu_model": cpu_name(),
        "cpu_count": os.cpu_count(),
        "load": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="patchflow-hostile-") as tmp:
        missing = str(Path(tmp) / "no-such-file.wav")
        server = start_server(args.model, Path(tmp) / "serve.log")
        try:
            with ZmqClient(server.zmq_endpoint, timeout_s=30) as warm:  # one warm-up match
                warm.match(_clips(1, 1)[0], SAMPLE_RATE)
            before = rss_kb(server.proc.pid) or 0
            sampler = RssSampler(server.proc.pid)
            sampler.start()
            sender = HostileSender(server, args.seed, args.reply_timeout, missing)
            alive = hostile_phase(sender, args.osc_inputs, args.zmq_inputs)
            alone = sender.counts
            sender.counts = HostileCounts()
            load = LoadCounts()
            if alive:
                load = load_phase(server, args.clients, args.matches, sender, args.load_hostile)
            during = sender.counts
            sender.close()
            time.sleep(1.0)
            after = rss_kb(server.proc.pid)
            sampler.stop()
            crashes = 0 if server.alive() else 1
        finally:
            status = stop_server(server)
            log_tail = server.log.read_text()[-1500:]
    mb = 1024.0
    result = {
        "command": shlex.join(["python", "benchmarks/hostile_load.py", *given]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "hardware": hardware,
        "server_command": ["patchflow", *server.command[3:]],
        "reply_timeout_s": args.reply_timeout,
        "crashes": crashes,
        "server_exit_status": status,
        "server_log_tail": log_tail,
        "hostile": {
            "alone": asdict(alone),
            "during load": asdict(during),
        },
        "load": {
            "clients": args.clients,
            "matches_per_client": args.matches,
            "matches": load.matches,
            "replies": load.replies,
            "lost": load.lost,
            "misrouted": load.misrouted,
            "busy_or_timeout": load.busy_or_timeout,
            "other_errors": load.other_errors,
            "p50_ms": _pct(load.latencies_ms, 50),
            "p99_ms": _pct(load.latencies_ms, 99),
        },
        "memory_mb": {
            "before": round(before / mb, 1),
            "peak": round(max(sampler.peak_kb, before) / mb, 1),
            "after": None if after is None else round(after / mb, 1),
        },
    }
    write_report(result, args.out)
    print((args.out / "hostile_load.md").read_text())
    return 1 if crashes or load.lost or load.misrouted else 0


if __name__ == "__main__":
    sys.exit(main())
