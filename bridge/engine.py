"""The inference engine behind the bridge: a bundle, per-client latent state, macros and morph.

No sockets here: transports call :meth:`OnnxEngine.match`, :meth:`~OnnxEngine.macro` and
:meth:`~OnnxEngine.morph` from worker threads. Per client the engine keeps the conditioning and
source noise of its last two matches: a macro knob moves the noise along a direction chosen at
export time and re-runs only the solver (not the encoder); morph interpolates conditioning and
noise between the previous and the last match and re-runs the solver, so its end points are
exactly the two matched patches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from patchflow.bridge.errors import RequestError
from patchflow.bridge.service import MatchResult
from patchflow.bundle import Bundle, load_bundle
from patchflow.inference import AudioError, Prediction, Predictor

log = logging.getLogger(__name__)

MAX_CLIENTS = 256


@dataclass
class _Latent:
    request_id: int
    cond: np.ndarray  # (1, L, d)
    noise: np.ndarray  # (1, D)


@dataclass
class _ClientState:
    history: deque = field(default_factory=lambda: deque(maxlen=2))
    macros: np.ndarray | None = None  # (K,) knob positions 0..1, 0.5 = the matched patch
    last_seen: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class OnnxEngine:
    """Serves one bundle. Thread-safe; per-client state is isolated and bounded.

    Args:
        bundle: A loaded bundle, or a name/path for :func:`patchflow.bundle.load_bundle`.
        steps: Solver steps (default: the bundle's serving default).
        method: Solver method (default: the bundle's).
        cfg_scale: Guidance scale (default: the bundle's).
        threads: onnxruntime intra-op threads per session.
        max_seconds: Longest accepted clip.
        seed: Noise seed of every match (the same sound gives the same patch; macros explore).
    """

    def __init__(
        self,
        bundle: Bundle | str | Path | None = None,
        *,
        steps: int | None = None,
        method: str | None = None,
        cfg_scale: float | None = None,
        threads: int = 1,
        max_seconds: float = 30.0,
        seed: int = 0,
    ) -> None:
        if not isinstance(bundle, Bundle):
            bundle = load_bundle(bundle, threads=threads)
        self.bundle = bundle
        self.predictor = Predictor(bundle)
        card = bundle.card
        self.model_name = card.name
        self.synth_id = card.synth_id
        self.param_names = card.spec.names
        self.sample_rate = card.sample_rate
        self.max_seconds = max_seconds
        self.min_seconds = max(1, card.input_samples // 4) / card.sample_rate
        self.n_macros = (
            card.macros.count if card.macros is not None and self.predictor.is_flow else 0
        )
        solver = card.solver
        self.steps = solver.steps if steps is None else steps
        self.method = solver.method if method is None else method
        self.cfg_scale = solver.cfg_scale if cfg_scale is None else cfg_scale
        self.seed = seed
        self._clients: dict[str, _ClientState] = {}
        self._clients_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"OnnxEngine({self.model_name!r}, {self.method} x{self.steps}, cfg {self.cfg_scale:g}, "
            f"{self.n_macros} macros, providers={self.bundle.providers})"
        )

    def warm_up(self, rounds: int = 3) -> float:
        """Run a few matches on a test tone so first requests don't pay session start-up."""
        sr = self.sample_rate
        t = np.arange(self.bundle.card.input_samples) / sr
        tone = (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)[None]
        start = time.perf_counter()
        for _ in range(rounds):
            self.match(tone, sr, client="__warm-up__", request_id=0)
        with self._clients_lock:
            self._clients.pop("__warm-up__", None)
        return (time.perf_counter() - start) * 1e3 / rounds

    # ------------------------------------------------------------------ engine interface

    def match(
        self, audio: np.ndarray, sample_rate: int, *, client: str, request_id: int
    ) -> MatchResult:
        start = time.perf_counter()
        noise = self.predictor.noise(1, self.seed)
        prepared = self._prepare(audio, sample_rate)
        if self.predictor.fused_for(self.steps, self.method):
            prediction, cond = self.predictor.sample_fused(prepared, noise, self.cfg_scale)
        else:
            cond = self.predictor.encode(prepared)
            prediction = self._predict_cond(cond, noise)
        state = self._state(client)
        with state.lock:
            state.history.append(_Latent(request_id, cond, noise))
            state.macros = np.full(self.n_macros, 0.5, np.float32)
        return self._result(request_id, prediction, start)

    def macro(self, *, client: str, index: int, value: float) -> MatchResult:
        start = time.perf_counter()
        if not 0 <= index < self.n_macros:
            raise RequestError(f"macro index {index} is outside 0..{self.n_macros - 1}")
        if not np.isfinite(value):
            raise RequestError(f"macro value {value} is not a finite number")
        state = self._state(client, must_exist=True)
        with state.lock:
            state.macros[index] = float(np.clip(value, 0.0, 1.0))
            last = state.history[-1]
            noise = self._moved_noise(last.noise, state.macros)
        return self._result(last.request_id, self._predict_cond(last.cond, noise), start)

    def morph(self, *, client: str, value: float) -> MatchResult:
        start = time.perf_counter()
        if not np.isfinite(value):
            raise RequestError(f"morph value {value} is not a finite number")
        v = float(np.clip(value, 0.0, 1.0))
        state = self._state(client, must_exist=True)
        with state.lock:
            if len(state.history) < 2:
                raise RequestError("morph needs two matched sounds; match another one first")
            a, b = state.history
        cond = (1 - v) * a.cond + v * b.cond
        # Keep the noise's variance along the path (a straight average would shrink it).
        noise = ((1 - v) * a.noise + v * b.noise) / np.sqrt((1 - v) ** 2 + v**2)
        return self._result(b.request_id, self._predict_cond(cond, noise.astype(np.float32)), start)

    # ------------------------------------------------------------------ internals

    def _prepare(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        try:
            return self.predictor.prepare(audio, sample_rate)
        except AudioError as err:
            raise RequestError(str(err)) from None

    def _encode(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        return self.predictor.encode(self._prepare(audio, sample_rate))

    def _predict_cond(self, cond: np.ndarray, noise: np.ndarray) -> Prediction:
        return self.predictor.sample(
            cond, noise, steps=self.steps, method=self.method, cfg_scale=self.cfg_scale
        )

    def _moved_noise(self, noise: np.ndarray, knobs: np.ndarray) -> np.ndarray:
        macros = self.bundle.card.macros
        offsets = (knobs - 0.5) * 2.0 * macros.scale  # (K,)
        return (noise + offsets @ macros.directions).astype(np.float32)  # (1, D)

    def _state(self, client: str, must_exist: bool = False) -> _ClientState:
        with self._clients_lock:
            state = self._clients.get(client)
            if state is None:
                if must_exist:
                    raise RequestError("no sound matched yet for this client; send a match first")
                if len(self._clients) >= MAX_CLIENTS:  # forget the least recently seen client
                    oldest = min(self._clients, key=lambda c: self._clients[c].last_seen)
                    del self._clients[oldest]
                state = self._clients[client] = _ClientState()
            elif must_exist and not state.history:
                raise RequestError("no sound matched yet for this client; send a match first")
            state.last_seen = time.monotonic()
            return state

    def _result(self, request_id: int, prediction: Prediction, start: float) -> MatchResult:
        return MatchResult(
            request_id=request_id,
            params01=prediction.unit[0].astype(np.float32),
            native=prediction.native[0].astype(np.float32),
            latency_ms=(time.perf_counter() - start) * 1e3,
        )
