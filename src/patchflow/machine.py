"""Describe the machine a benchmark or training ran on (for the records it writes)."""

from __future__ import annotations

import contextlib
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def cpu_name() -> str:
    """The CPU's ``model name`` from /proc/cpuinfo; elsewhere the platform's processor string."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def fixed_work() -> Callable[[], None]:
    """A fixed amount of plain single-threaded numpy work: 80 real FFTs of 4096 samples (about
    2 ms; no BLAS, so no thread setting changes it, and arrays small enough that the memory
    allocator's state does not either). Timed next to a benchmark, its spread is the
    machine's own."""
    x = np.random.default_rng(0).standard_normal(4096)

    def work() -> None:
        for _ in range(80):
            np.fft.rfft(x)

    return work


def limit_blas_threads(count: int = 1) -> None:
    """Use ``count`` BLAS threads in this process and in the processes it starts from now on.

    Serving multiplies small matrices (the mel filterbank, scores), where a second BLAS thread
    gains little, and OpenBLAS's idle threads keep spinning for a while after each product,
    taking a core from onnxruntime, the search and the other processes: on a 2-core machine
    that put spikes of tens of milliseconds into the first answer's p99. ``patchflow serve``,
    ``patchflow match``, the search process and the latency benchmarks call this first.

    Raises:
        ValueError: If ``count`` is not a positive integer.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"BLAS thread count must be a positive integer, got {count!r}")
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        os.environ[name] = str(count)  # inherited by spawned processes (render workers)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=count, user_api="blas")  # this process: numpy is loaded already


def speed_probe(rounds: int = 100) -> dict[str, float]:
    """:func:`fixed_work`'s time over ``rounds`` calls: ``{"p50_ms", "p99_ms"}``. Benchmarks on
    shared machines record it before and after their runs: when the machine slows down, every
    latency they measure moves with it."""
    work = fixed_work()
    busy_until = time.perf_counter() + 0.3  # an idle core runs slowly at first: wake it up
    while time.perf_counter() < busy_until:
        work()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1e3)
    return {
        "p50_ms": float(np.percentile(times, 50)),
        "p99_ms": float(np.percentile(times, 99)),
    }
