"""A deterministic stand-in for the inference engine, for the bridge tests.

It validates audio the way the real engine does (raising ``RequestError``), answers with values
that identify the request (so concurrent clients can check they got their own answer), records
every call, and can be held on a gate to test queueing without timing.
"""

from __future__ import annotations

import threading

import numpy as np

from patchflow.bridge.errors import RequestError
from patchflow.bridge.service import MatchResult

GATE_TIMEOUT_S = 30.0


class FakeEngine:
    """Engine double.

    ``params01`` of a match: ``[peak, duration / max_seconds, channels / 8, 0.5, ...]``;
    ``native = 100 * params01``. A macro sets value ``index`` of the last match to ``value``;
    morph interpolates the last two matches.

    Args:
        n_params: Number of parameters.
        gate: If given, every engine call waits for it to be set.
    """

    model_name = "fake-model"
    synth_id = "fake-synth"
    sample_rate = 16_000
    max_seconds = 2.0
    min_seconds = 0.1
    n_macros = 4

    def __init__(self, n_params: int = 6, gate: threading.Event | None = None):
        self.param_names = [f"param_{k}" for k in range(n_params)]
        self.gate = gate
        self.calls: list[tuple] = []
        self.entered = threading.Semaphore(0)  # released when a call reaches the gate
        self.fail_next = False
        self._history: dict[str, list[MatchResult]] = {}
        self._lock = threading.Lock()

    def _enter(self, call: tuple) -> None:
        with self._lock:
            self.calls.append(call)
        self.entered.release()
        if self.gate is not None and not self.gate.wait(GATE_TIMEOUT_S):
            raise RuntimeError("test gate never opened")
        if self.fail_next:
            self.fail_next = False
            raise ZeroDivisionError("simulated engine bug")

    def _check_audio(self, audio: np.ndarray, sample_rate: int) -> None:
        if audio.dtype != np.float32 or audio.ndim != 2:
            raise RequestError("audio must be (C, T) float32")
        if not 8_000 <= sample_rate <= 192_000:
            raise RequestError(f"sample rate {sample_rate} Hz is not supported")
        if not np.all(np.isfinite(audio)):
            raise RequestError("audio contains NaN or Inf")
        seconds = audio.shape[1] / sample_rate
        if seconds < self.min_seconds:
            raise RequestError(f"audio is too short ({seconds:.3f} s < {self.min_seconds} s)")
        if seconds > self.max_seconds:
            raise RequestError(f"audio is too long ({seconds:.3f} s > {self.max_seconds} s)")
        if float(np.max(np.abs(audio))) < 1e-4:
            raise RequestError("audio is silent")

    def _result(self, request_id: int, params01: np.ndarray) -> MatchResult:
        params01 = np.clip(params01, 0.0, 1.0).astype(np.float32)
        return MatchResult(request_id, params01, (100.0 * params01).astype(np.float32), 1.0)

    def match(
        self, audio: np.ndarray, sample_rate: int, *, client: str, request_id: int
    ) -> MatchResult:
        self._enter(("match", client, request_id, audio.shape, sample_rate))
        self._check_audio(audio, sample_rate)
        params01 = np.full(len(self.param_names), 0.5, dtype=np.float32)
        params01[0] = float(np.max(np.abs(audio)))
        params01[1] = audio.shape[1] / sample_rate / self.max_seconds
        params01[2] = audio.shape[0] / 8
        result = self._result(request_id, params01)
        with self._lock:
            self._history.setdefault(client, []).append(result)
            self._history[client] = self._history[client][-2:]
        return result

    def _last(self, client: str) -> list[MatchResult]:
        with self._lock:
            history = list(self._history.get(client, []))
        if not history:
            raise RequestError("no sound matched yet for this client; send a match first")
        return history

    def macro(self, *, client: str, index: int, value: float) -> MatchResult:
        self._enter(("macro", client, index, value))
        last = self._last(client)[-1]
        params01 = last.params01.copy()
        params01[index % params01.size] = value
        return self._result(last.request_id, params01)

    def morph(self, *, client: str, value: float) -> MatchResult:
        self._enter(("morph", client, value))
        history = self._last(client)
        if len(history) < 2:
            raise RequestError("morph needs two matched sounds; match another one first")
        a, b = history
        return self._result(b.request_id, (1 - value) * a.params01 + value * b.params01)


def tone(
    amplitude: float = 0.5, seconds: float = 0.25, sample_rate: int = 16_000, channels: int = 1
) -> np.ndarray:
    """A (C, T) float32 sine at 440 Hz whose peak is ``amplitude`` (to 1e-3)."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    wave = amplitude * np.sin(2 * np.pi * 440.0 * t + 0.1)
    return np.repeat(wave[None, :], channels, axis=0).astype(np.float32)


class FakeClock:
    """A manual monotonic clock."""

    def __init__(self, start_s: float = 1000.0):
        self.now_s = start_s

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += seconds
