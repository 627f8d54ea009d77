"""Describe the machine a benchmark or training ran on (for the records it writes)."""

from __future__ import annotations

import contextlib
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
    """A fixed amount of plain numpy work: 20 products of two 256 x 256 float32 matrices (a
    few milliseconds). Timed next to a benchmark, its spread is the machine's own."""
    a = np.random.default_rng(0).random((256, 256), dtype=np.float32)

    def work() -> None:
        for _ in range(20):
            a @ a

    return work


def speed_probe(rounds: int = 100) -> dict[str, float]:
    """:func:`fixed_work`'s time over ``rounds`` calls: ``{"p50_ms", "p99_ms"}``. Benchmarks on
    shared machines record it before and after their runs: when the machine slows down, every
    latency they measure moves with it."""
    work = fixed_work()
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
