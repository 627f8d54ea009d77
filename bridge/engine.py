"""The inference engine behind the bridge: a bundle, per-client latent state, macros and morph.

No sockets here: transports call :meth:`OnnxEngine.match`, :meth:`~OnnxEngine.macro` and
:meth:`~OnnxEngine.morph` from worker threads. Per client the engine keeps the conditioning and
source noise of its last two matches: a macro knob moves the noise along a direction chosen at
export time and re-runs only the solver (not the encoder); morph interpolates conditioning and
noise between the previous and the last match and re-runs the solver, so its end points are
exactly the two matched patches. When a search (``patchflow.bridge.search_runner``) refines a
match, :meth:`OnnxEngine.refine` records the better patch and macros and morph act around it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from patchflow.bridge.errors import RequestError
from patchflow.bridge.service import MatchResult
from patchflow.bundle import Bundle, load_bundle
from patchflow.inference import AudioError, Prediction, Predictor
from patchflow.note_conditioning import conditioning_note
from patchflow.pitch import NotePlacement, estimate_pitch, place_note

log = logging.getLogger(__name__)

MAX_CLIENTS = 256


@dataclass
class _Latent:
    request_id: int
    cond: np.ndarray  # (1, L, d)
    noise: np.ndarray  # (1, D)
    placement: NotePlacement | None = None  # the note played (specs with a note parameter)
    refined: np.ndarray | None = None  # (D,) encoded patch a search found for this match
    anchor: np.ndarray | None = None  # (D,) the flow's own answer from `noise` (non-fused path)


@dataclass
class _ClientState:
    history: deque = field(default_factory=lambda: deque(maxlen=2))
    macros: np.ndarray | None = None  # (K,) knob positions 0..1, 0.5 = the matched patch
    last_seen: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def morph_noise(a: np.ndarray, b: np.ndarray, value: float) -> np.ndarray:
    """Source noise at ``value`` on the way from ``a`` (0) to ``b`` (1), as likely as its ends.

    Each row's direction is interpolated on the sphere (slerp) and its squared norm linearly, so
    the path keeps the noise's statistics whatever the ends' correlation: identical ends (every
    match starts from the same seed) give that same noise all along; independent or correlated
    standard normal ends give, at every point, a uniformly distributed direction (rotation
    symmetry) and unit variance per entry (``E[|z|^2] = D`` by construction), with a norm
    between the ends' norms (so slightly more concentrated than chi: at the midpoint of
    independent ends ``|z|^2`` has half the chi-square variance). A linear average rescaled by
    ``1/sqrt((1-v)^2 + v^2)`` is only right for independent ends: with identical ends its
    midpoint is sqrt(2) times too large; a plain linear average shrinks independent noise.

    Args:
        a: ``(B, D)`` noise at 0.
        b: ``(B, D)`` noise at 1.
        value: Position 0..1.

    Returns:
        ``(B, D)`` float32 noise; exactly ``a`` at 0 and ``b`` at 1.
    """
    v = float(np.clip(value, 0.0, 1.0))
    a64 = np.asarray(a, np.float64)
    b64 = np.asarray(b, np.float64)
    if v == 0.0 or v == 1.0:
        return np.asarray(a if v == 0.0 else b, np.float32).copy()
    norm_a = np.linalg.norm(a64, axis=-1, keepdims=True)
    norm_b = np.linalg.norm(b64, axis=-1, keepdims=True)
    unit_a = a64 / np.maximum(norm_a, 1e-12)
    unit_b = b64 / np.maximum(norm_b, 1e-12)
    cos = np.clip(np.sum(unit_a * unit_b, axis=-1, keepdims=True), -1.0, 1.0)
    angle = np.arccos(cos)
    sin = np.sin(angle)
    safe = sin > 1e-6
    # Nearly parallel ends: the chord is the arc (and the antipodal case has no unique arc).
    w_a = np.where(safe, np.sin((1 - v) * angle) / np.where(safe, sin, 1.0), 1 - v)
    w_b = np.where(safe, np.sin(v * angle) / np.where(safe, sin, 1.0), v)
    direction = w_a * unit_a + w_b * unit_b
    direction /= np.maximum(np.linalg.norm(direction, axis=-1, keepdims=True), 1e-12)
    norm = np.sqrt((1 - v) * norm_a**2 + v * norm_b**2)
    return (direction * norm).astype(np.float32)


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
        pitch_beside_features: Measure a match's pitch on a helper thread while this one
            computes the features (faster where there are two cores or more); False: one after
            the other, on the calling thread.
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
        pitch_beside_features: bool = True,
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
        self.pitch_beside_features = pitch_beside_features
        self._clients: dict[str, _ClientState] = {}
        self._clients_lock = threading.Lock()
        # pitch beside the features; two threads, so two concurrent matches never wait in line
        self._pitch_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="patchflow-pitch")

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
        noise = self.predictor.answer_noise(self.seed)
        prepared = self._prepare(audio, sample_rate)
        features, placement = self._features_and_note(prepared)
        note = conditioning_note(placement)  # told to note-conditioned bundles; others ignore it
        if self.predictor.fused_for(self.steps, self.method):
            prediction, cond = self.predictor.sample_fused_features(
                features, noise, self.cfg_scale, note
            )
        else:
            cond = self.predictor.encode_features(features, note)
            prediction = self._predict_cond(cond, noise)
        state = self._state(client)
        with state.lock:
            state.history.append(_Latent(request_id, cond, noise, placement))
            state.macros = np.full(self.n_macros, 0.5, np.float32)
        return self._result(request_id, self._with_note(prediction, placement), start)

    def note_placement(self, *, client: str, match_id: int) -> NotePlacement | None:
        """The note match ``match_id`` plays: the input's detected pitch moved into the spec's
        range (None: the spec has no note parameter, or the match is forgotten)."""
        found = self._latent_of(client, match_id)
        if found is None:
            return None
        state, latent = found
        with state.lock:
            return latent.placement

    def refine(self, *, client: str, match_id: int, encoded: np.ndarray) -> bool:
        """Make ``encoded`` (a search's better patch for match ``match_id``) the patch that
        macros and morph act around: a macro then gives the refined patch plus the flow's
        displacement for the knobs (``refined + flow(moved noise) - flow(noise)``), so all
        knobs at 0.5 give the refined patch itself; morph adds each end's refinement with the
        end's weight, so its ends are the two refined patches.

        Args:
            client: Client key.
            match_id: The match the patch belongs to.
            encoded: ``(D,)`` model-space vector in [-1, 1].

        Returns:
            Whether it was stored (False when the client has forgotten that match).
        """
        vector = np.asarray(encoded, np.float32).reshape(-1)
        if vector.shape != (self.bundle.card.spec.dim,):
            raise ValueError(f"refined patch has shape {vector.shape}, expected (D,)")
        found = self._latent_of(client, match_id)
        if found is None:
            return False
        state, latent = found
        with state.lock:
            latent.refined = np.clip(vector, -1.0, 1.0)
        return True

    def _latent_of(self, client: str, match_id: int) -> tuple[_ClientState, _Latent] | None:
        """The client's state and its remembered match ``match_id`` (None: forgotten)."""
        with self._clients_lock:
            state = self._clients.get(client)
        if state is None:
            return None
        with state.lock:
            latent = next((m for m in state.history if m.request_id == match_id), None)
        return None if latent is None else (state, latent)

    def macro(self, *, client: str, index: int, value: float) -> MatchResult:
        start = time.perf_counter()
        if not 0 <= index < self.n_macros:
            raise RequestError(f"macro index {index} is outside 0..{self.n_macros - 1}")
        if not np.isfinite(value):
            raise RequestError(f"macro value {value} is not a finite number")
        state = self._state(client, must_exist=True)
        with state.lock:
            knobs = state.macros
            assert knobs is not None  # set by every match, and a match exists
            knobs[index] = float(np.clip(value, 0.0, 1.0))
            last = state.history[-1]
            noise = self._moved_noise(last.noise, knobs)
        prediction = self._predict_cond(last.cond, noise)
        if last.refined is not None:
            prediction = self._around_refined(prediction, ((1.0, last),))
        return self._result(last.request_id, self._with_note(prediction, last.placement), start)

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
        noise = morph_noise(a.noise, b.noise, v)
        prediction = self._predict_cond(cond, noise)
        if a.refined is not None or b.refined is not None:
            prediction = self._around_refined(prediction, ((1.0 - v, a), (v, b)))
        placement = a.placement if v < 0.5 else b.placement
        return self._result(b.request_id, self._with_note(prediction, placement), start)

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

    def _features_and_note(self, prepared: np.ndarray) -> tuple[np.ndarray, NotePlacement | None]:
        """The model's features and the input's note. The pitch is measured on a helper thread
        while this one computes the features: both are numpy work that mostly runs outside the
        GIL, so on two cores the note costs little more than the features alone
        (``docs/first-answer.md``)."""
        if self.bundle.card.spec.note_index is None:
            return self.predictor.features(prepared), None
        if not self.pitch_beside_features:
            return self.predictor.features(prepared), self._place_note(prepared)
        pending = self._pitch_pool.submit(self._place_note, prepared)
        features = self.predictor.features(prepared)
        return features, pending.result()

    def _place_note(self, prepared: np.ndarray) -> NotePlacement | None:
        """The input's note moved into the spec's range (None: the spec has no note parameter).

        The model's own note is a guess its noise mostly decides; the detected one is what the
        musician played (the search renders every candidate at it too).
        """
        spec = self.bundle.card.spec
        if spec.note_index is None:
            return None
        rate = self.bundle.card.feature_config.sample_rate
        return place_note(estimate_pitch(prepared[0], rate), spec)

    def _with_note(self, prediction: Prediction, placement: NotePlacement | None) -> Prediction:
        if placement is None:
            return prediction
        spec = self.bundle.card.spec
        native = spec.with_note(prediction.native, placement.note)
        unit = spec.to_unit(native).astype(np.float32)
        return Prediction(prediction.encoded, native.astype(np.float32), unit, prediction.nfe)

    def _around_refined(
        self, prediction: Prediction, ends: tuple[tuple[float, _Latent], ...]
    ) -> Prediction:
        """``prediction`` shifted by each end's refinement (refined - anchor), weighted."""
        encoded = prediction.encoded[0].astype(np.float64)
        for weight, latent in ends:
            if latent.refined is None or weight == 0.0:
                continue
            if latent.anchor is None:  # once per match; the same call as a macro at 0.5
                latent.anchor = self._predict_cond(latent.cond, latent.noise).encoded[0]
            encoded += weight * (latent.refined - latent.anchor)
        return Prediction.from_encoded(
            self.bundle.card.spec, encoded[None].astype(np.float32), prediction.nfe
        )

    def _moved_noise(self, noise: np.ndarray, knobs: np.ndarray) -> np.ndarray:
        macros = self.bundle.card.macros
        assert macros is not None  # n_macros > 0 was checked
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
