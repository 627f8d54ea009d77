"""Request counters and a latency window for the server's periodic status line (thread-safe)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from patchflow.bridge.messages import ErrorReply, ParamsReply, Reply


@dataclass(frozen=True)
class StatsSnapshot:
    """Counters since start and latency percentiles over the recent window.

    Args:
        requests: Requests received (including malformed ones).
        errors: Error replies sent.
        results: Parameter replies (match, macro, morph) sent.
        latency_p50_ms: Median server-side latency of recent results, None before the first.
        latency_p99_ms: 99th percentile of the same window.
    """

    requests: int
    errors: int
    results: int
    latency_p50_ms: float | None
    latency_p99_ms: float | None

    def line(self) -> str:
        """One log line, e.g. ``requests=12 errors=1 results=9 p50=3.1ms p99=8.0ms``."""
        if self.latency_p50_ms is None or self.latency_p99_ms is None:
            latency = "p50=- p99=-"
        else:
            latency = f"p50={self.latency_p50_ms:.1f}ms p99={self.latency_p99_ms:.1f}ms"
        return f"requests={self.requests} errors={self.errors} results={self.results} {latency}"


class Stats:
    """Thread-safe counters.

    Args:
        window: Number of recent latencies kept for the percentiles.
    """

    def __init__(self, window: int = 1024):
        self._lock = threading.Lock()
        self._requests = 0
        self._errors = 0
        self._results = 0
        self._latencies_ms: deque[float] = deque(maxlen=window)

    def count_request(self) -> None:
        """Count one received request."""
        with self._lock:
            self._requests += 1

    def count_replies(self, replies: Iterable[Reply]) -> None:
        """Count errors and record result latencies."""
        with self._lock:
            for reply in replies:
                if isinstance(reply, ErrorReply):
                    self._errors += 1
                elif isinstance(reply, ParamsReply):
                    self._results += 1
                    self._latencies_ms.append(float(reply.latency_ms))

    def snapshot(self) -> StatsSnapshot:
        """Current counters and percentiles."""
        with self._lock:
            latencies = np.asarray(self._latencies_ms, dtype=np.float64)
            p50 = p99 = None
            if latencies.size:
                p50, p99 = (float(v) for v in np.percentile(latencies, [50, 99]))
            return StatsSnapshot(self._requests, self._errors, self._results, p50, p99)
