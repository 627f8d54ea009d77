"""Bridge latency: end-to-end match latency in process, over OSC and ZeroMQ, against PyTorch.

Usage::

    python benchmarks/bridge_latency.py                          # the shipped default bundle
    python benchmarks/bridge_latency.py --model models/kosc4 --run runs/kosc4 --requests 300

Every path matches the same clip (``--audio-seconds`` of a k-osc render, 44.1 kHz mono) with the
bundle's few-step serving default (solver method, steps and guidance from its card). The
single-request paths (in-process, OSC file, ZeroMQ) are timed in turns of 1 + ``--block``
back-to-back calls each, because this kind of VM drifts in speed over minutes; the first call
of a turn, which follows another process's use of the model, is reported in its own row. The
other paths are timed one after another:

- ``in-process``: :meth:`OnnxEngine.match` called directly (no transport).
- ``osc upload``: :meth:`OscClient.match`, the audio sent as a chunked upload (begin, chunks of
  1600 floats, end) to a ``patchflow serve`` **subprocess** on loopback (a separate process, as in
  real use, so client and server do not share a GIL).
- ``osc file``: :meth:`OscClient.match_file`, the server reads a WAV file (what the Max device
  does locally).
- ``zmq``: :meth:`ZmqClient.match`, the audio in one message.
- ``osc macro``: :meth:`OscClient.macro` after a match (re-runs only the solver).
- ``zmq x8 concurrent``: ``--clients`` ZeroMQ clients in threads, each sending sequential matches
  (``ceil(requests / clients)`` each); throughput over the whole run and per-request p50/p99.

With ``--search-load S`` every row is measured while another client's search runs: the server
is started with ``--budget-s S`` and a loader client keeps one search going on it (a match, then
its streamed improvements up to the final score, then the next match), and for the in-process
row a loader keeps a search process (:class:`patchflow.bridge.search_process.ProcessSearcher`,
what the server runs its searches in) searching with the same budget, and the in-process row
holds that search's :class:`~patchflow.bridge.search_pause.SearchPause` around each match, as
the server's workers do around theirs (the search stops while a first answer is computed). The
in-process row and the networked rows are timed in two phases, each with its own search running
(one search on the machine at a time, as with one searching client). The probes' own matches start
searches too; each is cancelled by the probe's next match. Write it under another ``--name``
(e.g. ``bridge_latency_search``): the first-answer latency while searches run.

The reference (needs the training checkpoint, ``--run RUN_DIR`` or a ``.pt`` file): the same
model in PyTorch eager mode, 100-step RK4 (``model.sample(features, steps=100, method="rk4",
cfg_scale=w)``, w = the bundle's guidance scale), with ``--torch-threads`` torch threads (default
1, like the server's default of one onnxruntime thread per session), timed from the same audio
through the same front-end. The ONNX graphs at 100-step RK4 are timed too, which separates the gain
of fewer steps from the gain of onnxruntime. Without ``--run`` the reference is skipped with a
note. Latencies are wall-clock times measured by the client around each call; the networked rows
also give the server-side latency from the replies.

Writes ``OUT/NAME.json`` and ``OUT/NAME.md`` (``--name``, default ``bridge_latency``): command,
hardware, the machine's speed before and after the run (a fixed amount of numpy work,
:func:`patchflow.machine.speed_probe`: on a shared VM it drifts, and every latency with it),
providers, solver settings, table. Timing results are reported, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import math
import os
import platform
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from patchflow.bridge.client import OscClient, RemoteError, ZmqClient
from patchflow.bridge.engine import OnnxEngine
from patchflow.bridge.search_pause import SearchPause
from patchflow.bridge.zmq_codec import encode_request
from patchflow.bundle import Bundle, BundleError, load_bundle
from patchflow.machine import cpu_name, limit_blas_threads, speed_probe
from patchflow.synths.kosc import KOsc

log = logging.getLogger("bridge_latency")

CLIP_SAMPLE_RATE = 44100
TARGET_P99_MS = 10.0
REFERENCE_STEPS, REFERENCE_METHOD = 100, "rk4"
SERVER_START_TIMEOUT_S = 180.0
REPLY_TIMEOUT_S = 60.0
SINGLE_CLIENT_MATCH_PATHS = ("in-process", "osc upload", "osc file", "zmq")


@dataclass(frozen=True)
class PathResult:
    """Latency of one path.

    Args:
        path: Row label.
        requests: Timed requests.
        p50_ms, p99_ms, mean_ms, max_ms: Client-side end-to-end latency.
        throughput_per_s: Requests per second over the timed run (sequential unless noted).
        server_p50_ms: Median server-side latency from the replies (networked paths), else None.
        note: How the path was driven.
    """

    path: str
    requests: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    throughput_per_s: float
    server_p50_ms: float | None
    note: str

    @classmethod
    def from_samples(
        cls,
        path: str,
        latencies_s: Sequence[float],
        wall_s: float,
        note: str,
        server_ms: Sequence[float] = (),
    ) -> PathResult:
        ms = np.asarray(latencies_s, np.float64) * 1e3
        return cls(
            path=path,
            requests=int(ms.size),
            p50_ms=round(float(np.percentile(ms, 50)), 3),
            p99_ms=round(float(np.percentile(ms, 99)), 3),
            mean_ms=round(float(ms.mean()), 3),
            max_ms=round(float(ms.max()), 3),
            throughput_per_s=round(ms.size / wall_s, 2) if wall_s > 0 else math.inf,
            server_p50_ms=round(float(np.median(server_ms)), 3) if len(server_ms) else None,
            note=note,
        )


def timed(call: Callable[[], Any], requests: int, warmup: int) -> tuple[list[float], float, list]:
    """Run ``call`` ``warmup`` times untimed, then ``requests`` times timed.

    Returns:
        Per-call seconds, the wall time of the timed loop, and the timed calls' return values.
    """
    for _ in range(warmup):
        call()
    latencies, results = [], []
    start = time.perf_counter()
    for _ in range(requests):
        t0 = time.perf_counter()
        results.append(call())
        latencies.append(time.perf_counter() - t0)
    return latencies, time.perf_counter() - start, results


@dataclass(frozen=True)
class Probe:
    """One single-request path: ``call`` sends one request and returns its reply."""

    path: str
    call: Callable[[], Any]
    note: str
    server_side: bool = True  # the reply carries the server's latency_ms


def timed_in_turns(
    probes: Sequence[Probe], requests: int, warmup: int, block: int = 20
) -> tuple[list[PathResult], list[PathResult]]:
    """Time ``requests`` calls of every probe, in turns of 1 + ``block`` back-to-back calls.

    This VM's speed drifts by tens of percent over minutes, so paths timed one after another
    are not comparable; in turns, every path sees the same drift, and within a turn the calls
    follow each other as they do when a client streams requests. The first call of a turn comes
    right after *another process* ran the model (the server for the in-process path, the
    benchmark process for the served paths); it is much slower here and is reported apart.

    Returns:
        Steady rows (the ``block`` calls of every turn), then first-call-of-a-turn rows.
        Throughput is per path: calls over the time spent in that path's calls.
    """
    for probe in probes:
        for _ in range(warmup):
            probe.call()
    steady: dict[str, tuple[list[float], list[float]]] = {p.path: ([], []) for p in probes}
    first: dict[str, tuple[list[float], list[float]]] = {p.path: ([], []) for p in probes}
    for turn in range(math.ceil(requests / block)):
        for probe in probes:
            for k in range(1 + min(block, requests - turn * block)):
                t0 = time.perf_counter()
                reply = probe.call()
                latencies, server_ms = (first if k == 0 else steady)[probe.path]
                latencies.append(time.perf_counter() - t0)
                if probe.server_side:
                    server_ms.append(reply.latency_ms)

    def rows(samples: dict, suffix: str, note: str) -> list[PathResult]:
        return [
            PathResult.from_samples(
                p.path + suffix,
                samples[p.path][0],
                sum(samples[p.path][0]),
                f"{p.note} ({note})",
                samples[p.path][1],
            )
            for p in probes
        ]

    return (
        rows(steady, "", f"steady: calls 2..{block + 1} of each turn"),
        rows(first, ", first of a turn", "the first call after another process ran the model"),
    )


# ---------------------------------------------------------------------------------------------
# Inputs and machine description


def kosc_clip(seconds: float, k: int = 4) -> np.ndarray:
    """A (1, T) float32 k-osc render at 44.1 kHz: harmonics of 220 Hz, sine to saw."""
    freqs = np.minimum(220.0 * np.arange(1, k + 1), 3900.0)
    amps = np.linspace(0.9, 0.3, k)
    shapes = np.linspace(-1.0, 1.0, k)
    synth = KOsc(k=k, num_samples=max(1, round(seconds * CLIP_SAMPLE_RATE)))
    return synth.render(np.concatenate([freqs, amps, shapes])[None])[0]


def hardware() -> dict[str, Any]:
    """CPU model, core counts and load (the machine may be shared)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu_model": cpu_name(),
        "cpu_count": os.cpu_count(),
        "usable_cores": usable,
        "load_average_1_5_15": [round(x, 2) for x in load] if load else None,
        "machine": platform.machine(),
        "python": platform.python_version(),
    }


def device_report(bundle: Bundle) -> dict[str, Any]:
    """onnxruntime version, the providers it offers and the ones the bundle's sessions use."""
    import onnxruntime as ort

    used = list(bundle.providers)
    cuda = "CUDAExecutionProvider" in used
    return {
        "onnxruntime": ort.__version__,
        "available_providers": list(ort.get_available_providers()),
        "session_providers": used,
        "cuda": cuda,
        "note": (
            "the CUDA provider runs the graphs: latencies include host-device copies and the "
            "few-step solver's per-step launches"
            if cuda
            else "CPU provider only"
        ),
    }


# ---------------------------------------------------------------------------------------------
# Server subprocess


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class ServerProcess:
    """A running ``patchflow serve`` subprocess and its loopback addresses."""

    proc: subprocess.Popen
    osc_port: int
    reply_port: int
    zmq_endpoint: str
    command: tuple[str, ...]


@contextlib.contextmanager
def serve_subprocess(
    bundle_path: Path,
    *,
    threads: int,
    workers: int,
    log_path: Path,
    extra: Sequence[str] = (),
) -> Iterator[ServerProcess]:
    """Start ``python -m patchflow serve`` on free loopback ports and wait until it answers.

    Raises:
        RuntimeError: If the server exits or does not answer within the start timeout.
    """
    osc_port, reply_port = _free_port(socket.SOCK_DGRAM), _free_port(socket.SOCK_DGRAM)
    endpoint = f"tcp://127.0.0.1:{_free_port(socket.SOCK_STREAM)}"
    cmd = [sys.executable, "-m", "patchflow", "serve", "--model", str(bundle_path)]
    cmd += ["--osc-port", str(osc_port), "--reply-port", str(reply_port), "--zmq", endpoint]
    cmd += ["--threads", str(threads), "--workers", str(workers), "--status-interval", "0"]
    cmd += list(extra)
    with open(log_path, "w") as log_file:
        proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, text=True)
    try:
        with ZmqClient(endpoint) as probe:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while True:
                try:
                    probe.ping(timeout_s=1.0)
                    break
                except (TimeoutError, RemoteError):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        tail = log_path.read_text()[-2000:]
                        raise RuntimeError(f"patchflow serve did not start:\n{tail}") from None
        yield ServerProcess(proc, osc_port, reply_port, endpoint, tuple(cmd))
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# ---------------------------------------------------------------------------------------------
# Paths


@dataclass
class SearchLoad:
    """Counts of the searches the loaders completed (a loader's error ends it and is kept), and
    the pause the in-process row holds around each match, as the server's workers do."""

    served: int = 0
    in_process: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)
    pause: SearchPause = dataclasses.field(default_factory=SearchPause)


@contextlib.contextmanager
def search_load(
    server: ServerProcess,
    engine: OnnxEngine,
    audio: np.ndarray,
    budget_s: float,
    *,
    local: bool,
    load: SearchLoad,
) -> Iterator[SearchLoad]:
    """Keep one search running: on the server, another client's (``local`` False, for the
    networked rows), or in a search process beside this one (``local``, for the in-process
    row, as the server runs its searches); its completed searches are counted in ``load``."""
    from patchflow.bridge.search_process import ProcessSearcher, SearchProcessSpec
    from patchflow.search import SearchBudget

    stop = threading.Event()
    started = threading.Event()  # set once the loader's first search runs (or it failed)

    def served() -> None:
        try:
            with ZmqClient(server.zmq_endpoint, timeout_s=REPLY_TIMEOUT_S) as client:
                while not stop.is_set():
                    request_id = client.next_id()
                    client.send_frames(
                        encode_request(
                            "match", request_id, audio=audio, sample_rate=CLIP_SAMPLE_RATE
                        )
                    )
                    client.wait_for(request_id)  # the first answer: its search is starting
                    started.set()
                    while not client.wait_for(request_id).header.get("final"):
                        pass
                    load.served += 1
        except Exception as exc:  # reported in the notes
            load.errors.append(f"served loader: {exc!r}")
            started.set()

    def in_process() -> None:
        try:
            spec = SearchProcessSpec(str(engine.bundle.path))
            with ProcessSearcher(spec, pause=load.pause) as searcher:
                started.set()
                while not stop.is_set():
                    for _ in searcher.run(
                        audio,
                        CLIP_SAMPLE_RATE,
                        budget=SearchBudget(seconds=budget_s),
                        cancel=stop,
                    ):
                        pass
                    load.in_process += 1
        except Exception as exc:  # reported in the notes
            load.errors.append(f"in-process loader: {exc!r}")
            started.set()

    thread = threading.Thread(target=in_process if local else served, daemon=True)
    thread.start()
    if not started.wait(SERVER_START_TIMEOUT_S):  # measure only once the search runs
        load.errors.append("a loader did not start in time")
    try:
        yield load
    finally:
        stop.set()
        thread.join(REPLY_TIMEOUT_S)


def discarding_streams(call: Callable[[], Any], client: OscClient | ZmqClient) -> Callable[[], Any]:
    """``call``, then drop the stream messages of earlier matches the client kept aside."""

    def wrapped() -> Any:
        reply = call()
        client._backlog.clear()  # search streams of cancelled matches: not part of the timing
        return reply

    return wrapped


def in_process_probe(
    engine: OnnxEngine, audio: np.ndarray, pause: SearchPause | None = None
) -> Probe:
    """:meth:`OnnxEngine.match` called directly (holding ``pause`` if given, as the server's
    workers hold theirs while they answer)."""
    ids = iter(range(1, 10**9))
    hold = pause if pause is not None else contextlib.nullcontext()

    def call() -> Any:
        with hold:
            return engine.match(audio, CLIP_SAMPLE_RATE, client="bench", request_id=next(ids))

    return Probe("in-process", call, "OnnxEngine.match, no transport", server_side=False)


def network_probes(
    osc: OscClient, zmq_client: ZmqClient, audio: np.ndarray, wav_path: Path
) -> list[Probe]:
    """OSC with a file path and ZeroMQ with the audio in one message."""
    return [
        Probe(
            "osc file",
            lambda: osc.match_file(wav_path),
            "OscClient.match_file: the server reads a WAV file",
        ),
        Probe(
            "zmq",
            lambda: zmq_client.match(audio, CLIP_SAMPLE_RATE),
            "ZmqClient.match: one message",
        ),
    ]


def bench_osc_extras(
    osc: OscClient, audio: np.ndarray, args: argparse.Namespace
) -> list[PathResult]:
    """The chunked OSC upload and macro moves (one after the other, not in turns)."""
    n_chunks = math.ceil(audio.size / 1600)
    probes = [
        Probe(
            "osc upload",
            lambda: osc.match(audio, CLIP_SAMPLE_RATE),
            f"OscClient.match: begin, {n_chunks} chunks, end",
        )
    ]
    n_macros = osc.info().n_macros
    if n_macros:
        moves = iter(range(10**9))

        def macro() -> Any:
            k = next(moves)
            return osc.macro(k % n_macros, 0.25 if (k // n_macros) % 2 else 0.75)

        probes.append(
            Probe("osc macro", macro, f"OscClient.macro over {n_macros} macros (solver only)")
        )
    else:
        log.info("the model has no macros; the macro path is skipped")
    rows = []
    for probe in probes:
        lat, wall, replies = timed(probe.call, args.requests, args.warmup)
        server_ms = [r.latency_ms for r in replies]
        rows.append(PathResult.from_samples(probe.path, lat, wall, probe.note, server_ms))
    return rows


def bench_concurrent(
    server: ServerProcess, audio: np.ndarray, args: argparse.Namespace
) -> PathResult:
    """``args.clients`` ZeroMQ clients in threads, each sending sequential matches."""
    per_client = max(1, math.ceil(args.requests / args.clients))
    latencies: list[list[float]] = [[] for _ in range(args.clients)]
    server_ms: list[list[float]] = [[] for _ in range(args.clients)]
    errors: list[BaseException] = []
    ready = threading.Barrier(args.clients + 1)

    def client_loop(k: int) -> None:
        try:
            with ZmqClient(server.zmq_endpoint, timeout_s=REPLY_TIMEOUT_S) as client:
                for _ in range(min(args.warmup, 2)):
                    client.match(audio, CLIP_SAMPLE_RATE)
                ready.wait()
                for _ in range(per_client):
                    t0 = time.perf_counter()
                    reply = client.match(audio, CLIP_SAMPLE_RATE)
                    latencies[k].append(time.perf_counter() - t0)
                    server_ms[k].append(reply.latency_ms)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            ready.abort()

    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(args.clients)]
    for thread in threads:
        thread.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        pass
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"a concurrent client failed: {errors[0]!r}") from errors[0]
    return PathResult.from_samples(
        f"zmq x{args.clients} concurrent",
        [x for per in latencies for x in per],
        wall,
        f"{args.clients} ZmqClients in threads x {per_client} sequential matches; "
        f"server workers={args.workers}",
        [x for per in server_ms for x in per],
    )


def bench_onnx_reference_steps(
    engine: OnnxEngine, audio: np.ndarray, args: argparse.Namespace
) -> tuple[PathResult, np.ndarray]:
    """The ONNX graphs in process at the reference solver setting (100-step RK4)."""
    predictor = engine.predictor

    def call() -> Any:
        return predictor.predict(
            audio,
            CLIP_SAMPLE_RATE,
            seed=engine.seed,
            steps=REFERENCE_STEPS,
            method=REFERENCE_METHOD,
            cfg_scale=engine.cfg_scale,
        )

    lat, wall, preds = timed(call, args.reference_requests, min(args.warmup, 2))
    row = PathResult.from_samples(
        f"in-process onnx {REFERENCE_METHOD} x{REFERENCE_STEPS}",
        lat,
        wall,
        "the ONNX graphs at the reference solver setting",
    )
    return row, preds[-1].encoded


def bench_torch_reference(
    run: Path, engine: OnnxEngine, audio: np.ndarray, args: argparse.Namespace
) -> tuple[PathResult, np.ndarray]:
    """The training checkpoint in PyTorch eager mode, 100-step RK4, from the same audio.

    Raises:
        ValueError: If the checkpoint's spec is not the bundle's, or the model is no flow.
    """
    import torch

    from patchflow.features import FeatureExtractor
    from patchflow.train.checkpoint import load_checkpoint

    torch.set_num_threads(args.torch_threads)
    ckpt = load_checkpoint(run)
    if list(ckpt.spec.names) != list(engine.param_names):
        raise ValueError(f"{run}: the checkpoint's spec is not the bundle's ({ckpt.spec.synth})")
    model = ckpt.model.eval()
    if not hasattr(model, "guided_velocity"):
        raise ValueError(f"{run}: a regression model has no flow to sample")
    extractor = FeatureExtractor(ckpt.feature_config)
    noise = torch.from_numpy(engine.predictor.noise(1, engine.seed))

    def call() -> Any:
        prepared = engine.predictor.prepare(audio, CLIP_SAMPLE_RATE)  # same checks and resampling
        features = torch.from_numpy(ckpt.stats.apply(extractor(prepared)).astype(np.float32))
        with torch.inference_mode():
            return model.sample(
                features,
                steps=REFERENCE_STEPS,
                method=REFERENCE_METHOD,
                cfg_scale=engine.cfg_scale,
                noise=noise,
            )

    lat, wall, outs = timed(call, args.reference_requests, min(args.warmup, 2))
    row = PathResult.from_samples(
        f"reference: pytorch eager {REFERENCE_METHOD} x{REFERENCE_STEPS}",
        lat,
        wall,
        f"load_checkpoint({run.name}), model.sample, torch threads={args.torch_threads}",
    )
    return row, np.clip(outs[-1].numpy(), -1.0, 1.0)


# ---------------------------------------------------------------------------------------------
# Report


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _speed_line(speed: dict[str, dict[str, float]] | None) -> str:
    """The machine's speed around the run (:func:`patchflow.machine.speed_probe`)."""
    if not speed:
        return "- Machine speed: not recorded"
    start, end = speed["start"], speed["end"]
    return (
        "- Machine speed (fixed numpy work, `patchflow.machine.speed_probe`, p50 / p99 ms): "
        f"{start['p50_ms']:.2f} / {start['p99_ms']:.2f} before the run, "
        f"{end['p50_ms']:.2f} / {end['p99_ms']:.2f} after it"
    )


def markdown(result: dict[str, Any]) -> str:
    """The human-readable report."""
    hw, dev, solver = result["hardware"], result["device"], result["solver"]
    ref = result["reference"]
    ref_p50 = ref["p50_ms"] if ref else None
    lines = [
        "# Bridge latency",
        "",
        f"Command: `{result['command']}`",
        "",
        f"- Date: {result['date']}",
        f"- CPU: {hw['cpu_model']}, {hw['cpu_count']} cores ({hw['usable_cores']} usable), "
        f"load average {hw['load_average_1_5_15']} at the start",
        f"- onnxruntime {dev['onnxruntime']}: sessions on {', '.join(dev['session_providers'])} "
        f"(available: {', '.join(dev['available_providers'])}); {dev['note']}",
        f"- Model: `{result['model']}` ({result['n_params']} parameters, {result['n_macros']} "
        f"macros); solver: {solver['method']} x{solver['steps']}, cfg {solver['cfg_scale']:g}, "
        f"onnxruntime threads per session {solver['threads']}, server workers {solver['workers']}",
        f"- Input: {result['audio_seconds']:g} s k-osc render, {CLIP_SAMPLE_RATE} Hz mono; "
        f"{result['requests']} timed requests per path after {result['warmup']} warm-up",
        f"- Server: {result['server']}",
        _speed_line(result.get("machine_speed")),
        "",
        "| path | requests | p50 ms | p99 ms | mean ms | server p50 ms | throughput /s | "
        "reference p50 / p50 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        ratio = f"{ref_p50 / row['p50_ms']:.1f}x" if ref_p50 and row["p50_ms"] > 0 else "-"
        lines.append(
            f"| {row['path']} | {row['requests']} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
            f"{row['mean_ms']:.2f} | {_fmt(row['server_p50_ms'])} | "
            f"{row['throughput_per_s']:.1f} | {ratio} |"
        )
    lines += ["", "Notes:", ""]
    lines += [f"- {row['path']}: {row['note']}" for row in result["rows"]]
    lines += [f"- {note}" for note in result["notes"]]
    target = result["target"]
    lines += [
        "",
        f"Target: p99 under {target['p99_ms']:g} ms per match on the 2-core CPU. "
        + "; ".join(f"{path}: {'met' if ok else 'missed'}" for path, ok in target["met"].items()),
        "",
    ]
    return "\n".join(lines)


def write_outputs(result: dict[str, Any], out: Path, name: str = "bridge_latency") -> None:
    """``NAME.json`` and ``NAME.md`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / f"{name}.md").write_text(markdown(result))


# ---------------------------------------------------------------------------------------------
# Main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="bundle name or path (default: the shipped default)")
    parser.add_argument(
        "--run", type=Path, help="training run dir or .pt checkpoint (the PyTorch reference)"
    )
    parser.add_argument("--requests", type=int, default=300, help="timed requests per path")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per path")
    parser.add_argument(
        "--block", type=int, default=20, help="back-to-back calls per path and turn"
    )
    parser.add_argument(
        "--reference-requests",
        type=int,
        default=30,
        help="timed requests of the 100-step RK4 rows (slow)",
    )
    parser.add_argument("--audio-seconds", type=float, default=1.0, help="clip length")
    parser.add_argument("--clients", type=int, default=8, help="concurrent ZeroMQ clients")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime threads per session")
    parser.add_argument(
        "--workers", type=int, default=1, choices=[1, 2], help="server engine workers"
    )
    parser.add_argument("--torch-threads", type=int, default=1, help="torch threads (reference)")
    parser.add_argument("--out", type=Path, default=Path("docs/results"))
    parser.add_argument(
        "--name", default="bridge_latency", help="output file stem: OUT/NAME.json and OUT/NAME.md"
    )
    parser.add_argument(
        "--device-report", action="store_true", help="print the onnxruntime providers in use"
    )
    parser.add_argument(
        "--search-load",
        type=float,
        default=0.0,
        metavar="S",
        help="measure while another client's search (budget S s) runs, on the server and in "
        "process (0: no search)",
    )
    args = parser.parse_args(argv)
    for name in ("requests", "block", "clients", "reference_requests", "threads", "torch_threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0 or not args.audio_seconds > 0:
        parser.error("--warmup must be >= 0 and --audio-seconds > 0")
    if not args.search_load >= 0:
        parser.error("--search-load must be >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; returns the result written to ``OUT/bridge_latency.json``."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    machine = hardware()  # before the run: the load average tells how busy the machine was
    limit_blas_threads()  # as `patchflow serve` does (its subprocess does it itself)
    speed_start = speed_probe()
    command = "python benchmarks/bridge_latency.py " + shlex.join(
        sys.argv[1:] if argv is None else list(argv)
    )
    try:
        bundle = load_bundle(args.model, threads=args.threads)
    except BundleError as err:
        raise SystemExit(f"bridge_latency: {err}") from None
    device = device_report(bundle)
    if args.device_report:
        print(json.dumps(device, indent=2))
    engine = OnnxEngine(bundle, threads=args.threads)
    engine.warm_up()
    k = int(bundle.card.synth_options.get("k", 4)) if bundle.card.synth_id == "kosc" else 4
    audio = kosc_clip(args.audio_seconds, k)
    notes = [
        "Latency is measured by the client around each call (end to end); "
        "server p50 is the server-side latency the replies report.",
        f"Networked paths talk to a `patchflow serve` subprocess on loopback "
        f"(onnxruntime threads {args.threads}, workers {args.workers}).",
    ]
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        wav_path = tmp / "clip.wav"
        soundfile.write(wav_path, audio.T, CLIP_SAMPLE_RATE, subtype="FLOAT")
        searching = args.search_load > 0
        server = stack.enter_context(
            serve_subprocess(
                bundle.path,
                threads=args.threads,
                workers=args.workers,
                log_path=tmp / "serve.log",
                extra=("--budget-s", f"{args.search_load:g}" if searching else "0"),
            )
        )
        osc = stack.enter_context(
            OscClient(
                ("127.0.0.1", server.osc_port),
                listen=("127.0.0.1", server.reply_port),
                timeout_s=REPLY_TIMEOUT_S,
            )
        )
        zmq_client = stack.enter_context(ZmqClient(server.zmq_endpoint, timeout_s=REPLY_TIMEOUT_S))
        load = SearchLoad() if searching else None
        probes = [
            in_process_probe(engine, audio, None if load is None else load.pause),
            *network_probes(osc, zmq_client, audio, wav_path),
        ]
        if load is not None:
            probes = [
                Probe(
                    p.path,
                    discarding_streams(p.call, osc if p.path.startswith("osc") else zmq_client)
                    if p.server_side
                    else p.call,
                    f"{p.note}; another client's search running",
                    p.server_side,
                )
                for p in probes
            ]
            rows, first_rows = [], []
            for local, group in ((True, probes[:1]), (False, probes[1:])):
                with search_load(server, engine, audio, args.search_load, local=local, load=load):
                    steady, first = timed_in_turns(group, args.requests, args.warmup, args.block)
                rows += steady
                first_rows += first
        else:
            rows, first_rows = timed_in_turns(probes, args.requests, args.warmup, args.block)
        server_command = shlex.join(server.command)
        if load is None:
            rows += bench_osc_extras(osc, audio, args)
            rows.append(bench_concurrent(server, audio, args))
        else:
            notes.append(
                f"Search load: budget {args.search_load:g} s; during the run the loaders "
                f"completed {load.served} searches on the server (another client) and "
                f"{load.in_process} in process; the upload, macro and concurrent rows are "
                "skipped." + (f" Loader errors: {'; '.join(load.errors)}" if load.errors else "")
            )
        rows += first_rows
        for row in rows:
            log.info("%s", row)

    reference = None
    agreement = None
    if engine.predictor.is_flow:
        onnx_row, onnx_x = bench_onnx_reference_steps(engine, audio, args)
        rows.append(onnx_row)
        if args.run is None:
            notes.append("No --run given: the PyTorch reference was skipped.")
            log.info("no --run given: the PyTorch reference is skipped")
        else:
            try:
                ref_row, ref_x = bench_torch_reference(args.run, engine, audio, args)
            except ValueError as err:  # includes CheckpointError: a missing or foreign run
                raise SystemExit(f"bridge_latency: {err}") from None
            rows.append(ref_row)
            reference = asdict(ref_row)
            agreement = float(np.max(np.abs(ref_x - onnx_x)))
            notes.append(
                f"PyTorch eager with {args.torch_threads} torch thread(s); max |x_torch - x_onnx| "
                f"at 100-step RK4 = {agreement:.2e} (model space, same noise)."
            )
    else:
        notes.append("Regression model: no solver, so no 100-step RK4 reference.")

    # The target is per match for one client; the concurrent row queues its clients on purpose.
    match_paths = [r for r in rows if r.path in SINGLE_CLIENT_MATCH_PATHS]
    ratios = (
        {r.path: round(reference["p50_ms"] / r.p50_ms, 2) for r in rows if r.p50_ms > 0}
        if reference is not None
        else None
    )
    result: dict[str, Any] = {
        "benchmark": "bridge latency",
        "command": command,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "hardware": machine,
        "device": device,
        "model": bundle.card.name,
        "model_path": str(bundle.path),
        "n_params": len(engine.param_names),
        "n_macros": int(engine.n_macros),
        "solver": {
            "method": engine.method,
            "steps": engine.steps,
            "cfg_scale": engine.cfg_scale,
            "threads": args.threads,
            "workers": args.workers,
            "torch_threads": args.torch_threads,
        },
        "audio_seconds": args.audio_seconds,
        "requests": args.requests,
        "warmup": args.warmup,
        "server": f"subprocess: {server_command}",
        "rows": [asdict(r) for r in rows],
        "reference": reference,
        "reference_agreement_max_abs": agreement,
        "reference_p50_over_p50": ratios,
        "target": {
            "p99_ms": TARGET_P99_MS,
            "met": {r.path: r.p99_ms < TARGET_P99_MS for r in match_paths},
        },
        "notes": notes,
        "machine_speed": {"start": speed_start, "end": speed_probe()},
    }
    write_outputs(result, args.out, args.name)
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
