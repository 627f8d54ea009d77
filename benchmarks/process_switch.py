"""How much slower is the first call of a model-sized numpy workload after another process ran one?

Two worker processes each hold ``--megabytes`` of float32 matrices and time a fixed chain of
vector-matrix products (about the work of one match); they take turns of ``--block`` calls.
The first call of each turn follows the other process's turn. No onnxruntime, no patchflow:
this isolates what the machine does when two processes with large working sets alternate, which
is what a served match does after the client (or a DAW) used the CPU. bridge_latency.py reports
the same effect on the real paths ("first of a turn" rows).

Usage: python benchmarks/process_switch.py [--megabytes 20] [--turns 20] [--block 20]
Writes OUT/process_switch.{json,md}. Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import time
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

MATRIX = 1024  # one 1024 x 1024 float32 matrix is 4 MiB


def _worker(conn: Connection, n_matrices: int) -> None:
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((MATRIX, MATRIX), np.float32) / 32 for _ in range(n_matrices)]
    x = rng.standard_normal((2, MATRIX), np.float32)

    def call() -> None:
        y = x
        for _ in range(4):
            for w in weights:
                y = np.tanh(y @ w)

    while (n := conn.recv()) is not None:
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            call()
            times.append((time.perf_counter() - t0) * 1e3)
        conn.send(times)


def _stats(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {"n": int(a.size), "p50_ms": round(float(np.median(a)), 3),
            "p99_ms": round(float(np.percentile(a, 99)), 3),
            "max_ms": round(float(a.max()), 3)}  # fmt: skip


def run(processes: int, n_matrices: int, turns: int, block: int) -> dict[str, dict]:
    """Turns of ``block`` calls, cycling over ``processes`` workers (1: the control)."""
    pipes, procs = [], []
    for _ in range(processes):
        parent, child = mp.Pipe()
        proc = mp.Process(target=_worker, args=(child, n_matrices), daemon=True)
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    first, second, steady = [], [], []
    try:
        for pipe in pipes:  # warm-up
            pipe.send(5)
            pipe.recv()
        for _ in range(turns):
            for pipe in pipes:
                pipe.send(block)
                times = pipe.recv()
                first.append(times[0])
                second.append(times[1])
                steady += times[2:]
    finally:
        for pipe in pipes:
            pipe.send(None)
        for proc in procs:
            proc.join(10)
    return {"first call of a turn": _stats(first), "second call of a turn": _stats(second),
            "other calls": _stats(steady)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=20, help="working set per process")
    parser.add_argument("--turns", type=int, default=20, help="turns per process")
    parser.add_argument("--block", type=int, default=20, help="calls per turn (at least 3)")
    parser.add_argument("--out", type=Path, default=Path("docs/results"))
    args = parser.parse_args()
    if args.block < 3:
        parser.error("--block must be at least 3")
    n_matrices = max(1, args.megabytes // 4)
    configs = {"one process (control)": 1, "two processes taking turns": 2}
    result = {
        "command": f"python benchmarks/process_switch.py --megabytes {args.megabytes} "
        f"--turns {args.turns} --block {args.block}",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "cpu_count": os.cpu_count(),
        "working_set_mib": 4 * n_matrices,
        "runs": {name: run(n, n_matrices, args.turns, args.block) for name, n in configs.items()},
    }
    print(json.dumps(result, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "process_switch.json").write_text(json.dumps(result, indent=2))
    rows = "\n".join(
        f"| {config} | {calls} | {s['n']} | {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | "
        f"{s['max_ms']:.2f} |"
        for config, stats in result["runs"].items()
        for calls, s in stats.items()
    )
    (args.out / "process_switch.md").write_text(
        f"# Two processes taking turns\n\nCommand: `{result['command']}`\n\n"
        f"{result['cpu_count']} CPUs; {result['working_set_mib']} MiB of float32 weights per "
        f"process; {args.block} calls per turn.\n\n"
        "| run | calls | n | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|\n"
        f"{rows}\n"
    )


if __name__ == "__main__":
    main()
