"""Does a running search slow the first answer? In-process matches with and without a search.

The engine's match (:meth:`OnnxEngine.match`, one onnxruntime thread, one BLAS thread as in
``patchflow serve``) is timed in blocks, in turns: ``--block`` matches while a search runs in
a search process beside it (:class:`~patchflow.bridge.search_process.ProcessSearcher`, what the
server runs its searches in: ``nice`` +10, ``SCHED_IDLE`` on Linux, ``--workers`` render
workers), ``--block`` matches with that search stopped during each match (each holds the
search's :class:`~patchflow.bridge.search_pause.SearchPause`, as the server's workers do), then
``--block`` matches with no search. Blocks in turns, seconds apart, see the same machine speed,
which on a shared VM drifts from minute to minute::

    python benchmarks/search_interference.py [--model amsynth] [--blocks 10] [--block 40]
        [--workers 1] [--out docs/results]

Input: a 1 s A4 tone with a few harmonics at the bundle's rate. Writes
``OUT/search_interference.{json,md}``. Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from patchflow.machine import cpu_name, limit_blas_threads, speed_probe


def tone(sample_rate: int, seconds: float = 1.0) -> np.ndarray:
    """A 440 Hz tone with its first five harmonics, mono ``(samples,)``."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    return (0.3 * sum(np.sin(2 * np.pi * 440.0 * k * t) / k for k in range(1, 6))).astype(
        np.float32
    )


def timed_block(
    engine: Any, audio: np.ndarray, rate: int, count: int, hold: Any = None
) -> list[float]:
    """``count`` timed matches, each inside ``hold`` (a context manager) when given."""
    hold = contextlib.nullcontext() if hold is None else hold
    out = []
    for i in range(count):
        start = time.perf_counter()
        with hold:
            engine.match(audio, rate, client="bench", request_id=i)
        out.append((time.perf_counter() - start) * 1e3)
    return out


def run_search(
    searcher: Any,
    audio: np.ndarray,
    rate: int,
    budget: Any,
    cancel: threading.Event,
    running: threading.Event,
) -> None:
    """One search until ``cancel``; ``running`` is set at its first answer (or its end)."""
    try:
        for _ in searcher.run(audio, rate, budget=budget, cancel=cancel):
            running.set()
    finally:
        running.set()


RUNNING = "search running"
PAUSED = "search running, paused during each answer (as the server does)"


def stats(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": float(np.percentile(values, 50)),
        "p99_ms": float(np.percentile(values, 99)),
        "mean_ms": float(np.mean(values)),
        "count": len(values),
    }


def main(argv: list[str] | None = None) -> int:
    from patchflow.bridge.engine import OnnxEngine
    from patchflow.bridge.search_pause import SearchPause
    from patchflow.bridge.search_process import ProcessSearcher, SearchProcessSpec
    from patchflow.bundle import load_bundle
    from patchflow.search import SearchBudget

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", default="amsynth", help="bundle name or path")
    parser.add_argument("--blocks", type=int, default=10, help="blocks of each kind")
    parser.add_argument("--block", type=int, default=40, help="matches per block")
    parser.add_argument("--workers", type=int, default=1, help="render workers of the search")
    parser.add_argument("--out", type=Path, default=Path("docs/results"))
    args = parser.parse_args(argv)

    limit_blas_threads()  # as `patchflow serve` does
    bundle = load_bundle(args.model, threads=1)
    engine = OnnxEngine(bundle)
    engine.warm_up()
    rate = bundle.card.sample_rate
    audio = tone(rate)
    load = [round(x, 2) for x in os.getloadavg()]
    probe_start = speed_probe()
    times: dict[str, list[float]] = {RUNNING: [], PAUSED: [], "no search": []}
    searches = 0
    spec = SearchProcessSpec(str(bundle.path), workers=args.workers)
    pause = SearchPause()
    with ProcessSearcher(spec, pause=pause) as searcher:
        for _ in range(args.blocks):
            cancel, running = threading.Event(), threading.Event()
            job = (searcher, audio, rate, SearchBudget(seconds=600.0), cancel, running)
            thread = threading.Thread(target=run_search, args=job, daemon=True)
            thread.start()
            running.wait(60)  # the search has given its first answer: it is searching now
            times[RUNNING] += timed_block(engine, audio, rate, args.block)
            times[PAUSED] += timed_block(engine, audio, rate, args.block, hold=pause)
            cancel.set()
            thread.join(60)
            searches += 1
            times["no search"] += timed_block(engine, audio, rate, args.block)
    rows = {name: stats(values) for name, values in times.items()}
    command = shlex.join(["python", "benchmarks/search_interference.py", *(argv or sys.argv[1:])])
    report = {
        "command": command,
        "machine": f"{cpu_name()}, {os.cpu_count()} cores",
        "load_avg_start": load,
        "machine_speed": {"start": probe_start, "end": speed_probe()},
        "model": bundle.card.name,
        "searches": searches,
        "pauses": pause.pauses,
        "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "search_interference.json").write_text(json.dumps(report, indent=2) + "\n")
    s0, s1 = report["machine_speed"]["start"], report["machine_speed"]["end"]
    lines = [
        "# First answers with and without a running search",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {report['machine']}; load average {load} at the start; machine speed "
        f"(`patchflow.machine.speed_probe`, p50 / p99 ms) {s0['p50_ms']:.2f} / "
        f"{s0['p99_ms']:.2f} before, {s1['p50_ms']:.2f} / {s1['p99_ms']:.2f} after. Model "
        f"`{bundle.card.name}`, `OnnxEngine.match` in this process, 1 s tone; {args.blocks} "
        f"blocks of {args.block} matches each way, in turns; the search: a search process "
        f"with {args.workers} render worker(s), as `patchflow serve` runs it; paused: each "
        "match holds the search's `SearchPause` (`SIGSTOP` to the search's process group, "
        "`SIGCONT` after), as the server's workers do.",
        "",
        "| first answer | matches | p50 ms | p99 ms | mean ms |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {r['count']} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
            f"{r['mean_ms']:.2f} |"
            for name, r in rows.items()
        ),
    ]
    (args.out / "search_interference.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
