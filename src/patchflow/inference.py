"""One-shot inference on a bundle with numpy and onnxruntime: audio in, parameters out.

Shared by ``patchflow match`` and the bridge's engine. The flow is sampled by the same
:class:`patchflow.flow.solver.ODESolver` that drives the PyTorch model, here calling the ONNX
vector field (conditional and null conditioning stacked in one batch inside the graph).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from patchflow.bundle import Bundle
from patchflow.dsp import resample
from patchflow.flow.solver import ODESolver
from patchflow.spec import SynthSpec

SILENCE_PEAK = 1e-4  # -80 dBFS
MAX_SECONDS = 60.0
LEADING_SILENCE_DB = -50.0  # relative to the clip's peak


class AudioError(ValueError):
    """The audio cannot be matched (empty, silent, non-finite, wrong shape, too short or long)."""


def prepare_audio(
    audio: np.ndarray,
    sample_rate: int,
    *,
    target_rate: int,
    channels: int,
    num_samples: int,
    min_samples: int = 1,
    max_seconds: float = MAX_SECONDS,
) -> np.ndarray:
    """Validate, mix, resample, trim leading silence and fit audio to the model: ``(1, C, T)``.

    Args:
        audio: ``(T,)`` mono or ``(C, T)`` channels-first float audio.
        sample_rate: Its sample rate in Hz.
        target_rate: The model's sample rate.
        channels: The model's channel count (mono mixes down; stereo duplicates a mono mix).
        num_samples: The model's input length; longer audio is cropped, shorter zero-padded.
        min_samples: Fewer samples than this (at the model rate) is an error.
        max_seconds: Longer input is an error.
    """
    a = np.asarray(audio)
    if a.dtype.kind not in "fiu":
        raise AudioError(f"audio must be numeric, got dtype {a.dtype}")
    a = a.astype(np.float32)
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2:
        raise AudioError(f"audio must be (samples,) or (channels, samples), got shape {a.shape}")
    if not 1 <= a.shape[0] <= 64:
        raise AudioError(f"unsupported channel count {a.shape[0]}")
    if a.shape[1] == 0:
        raise AudioError("audio is empty (0 samples)")
    if not 1000 <= sample_rate <= 768000:
        raise AudioError(f"unsupported sample rate {sample_rate} Hz (1 kHz to 768 kHz)")
    if not np.all(np.isfinite(a)):
        raise AudioError("audio contains NaN or infinite samples")
    seconds = a.shape[1] / sample_rate
    if seconds > max_seconds:
        raise AudioError(f"audio is too long ({seconds:.1f} s; at most {max_seconds:g} s)")
    peak = float(np.max(np.abs(a)))
    if peak < SILENCE_PEAK:
        level = 20 * np.log10(max(peak, 1e-12))
        raise AudioError(f"audio is silent (peak {level:.0f} dBFS)")
    mono = a.mean(axis=0, keepdims=True)
    a = a if a.shape[0] == channels else np.repeat(mono, channels, axis=0)
    if sample_rate != target_rate:
        a = resample(a, sample_rate, target_rate)
    # Start at the first sample within LEADING_SILENCE_DB of the peak: a captured phrase
    # usually begins with some silence, and the model hears only num_samples.
    env = np.max(np.abs(a), axis=0)
    onset = int(np.argmax(env >= peak * 10 ** (LEADING_SILENCE_DB / 20)))
    a = a[:, onset:]
    if a.shape[1] < min_samples:
        raise AudioError(
            f"audio is too short ({a.shape[1]} samples after trimming silence at {target_rate} Hz; "
            f"need at least {min_samples})"
        )
    if a.shape[1] >= num_samples:
        a = a[:, :num_samples]
    else:
        a = np.pad(a, ((0, 0), (0, num_samples - a.shape[1])))
    return a[None].astype(np.float32)


@dataclass(frozen=True)
class Prediction:
    """Predicted parameter sets.

    Attributes:
        encoded: Model-space vectors in [-1, 1], ``(B, D)``.
        native: Native values in spec order, categorical as choice index, ``(B, P)``.
        unit: One 0..1 value per parameter (the bridge's ``params``), ``(B, P)``.
        nfe: Vector-field evaluations used (0 for regression models).
    """

    encoded: np.ndarray
    native: np.ndarray
    unit: np.ndarray
    nfe: int

    @classmethod
    def from_encoded(cls, spec: SynthSpec, encoded: np.ndarray, nfe: int) -> Prediction:
        x = np.clip(encoded, -1.0, 1.0).astype(np.float32)
        native = spec.decode(x)
        return cls(x, native.astype(np.float32), spec.to_unit(native).astype(np.float32), nfe)


class Predictor:
    """Runs a bundle's graphs: ``encode`` once, then ``sample`` as often as needed.

    Args:
        bundle: A loaded bundle.
        io_binding: Keep the conditioning in the session's device memory across solver steps
            (onnxruntime IOBinding). Default: on when the bundle runs on CUDA; it also works on
            the CPU, where it only adds bookkeeping (tests use it to check the binding path).
    """

    def __init__(self, bundle: Bundle, *, io_binding: bool | None = None) -> None:
        self.bundle = bundle
        self.card = bundle.card
        self.spec = bundle.card.spec
        self.on_gpu = bundle.providers[0] == "CUDAExecutionProvider"
        self.io_binding = self.on_gpu if io_binding is None else io_binding
        self.device = "cuda" if self.on_gpu else "cpu"
        velocity = self._velocity_bound if self.io_binding else self._velocity
        self.solver = ODESolver(velocity=velocity)

    def __repr__(self) -> str:
        s = self.card.solver
        return f"Predictor({self.card.name!r}, {s.method} x{s.steps}, cfg {s.cfg_scale:g})"

    @property
    def is_flow(self) -> bool:
        return self.card.model_kind == "cnf"

    def fused_for(self, steps: int | None, method: str | None) -> bool:
        """Whether the bundle's fused sampler graph serves these solver settings."""
        entry = self.card.raw.get("graphs", {}).get("sampler")
        if entry is None or "sampler" not in self.bundle.sessions:
            return False
        s = self.card.solver
        wanted = (s.steps if steps is None else steps, s.method if method is None else method)
        return wanted == (entry["steps"], entry["method"])

    def sample_fused(
        self, audio: np.ndarray, noise: np.ndarray, cfg_scale: float | None = None
    ) -> tuple[Prediction, np.ndarray]:
        """One call of the fused graph: model-ready audio to a prediction and its conditioning."""
        entry = self.card.raw["graphs"]["sampler"]
        w = np.asarray(self.card.solver.cfg_scale if cfg_scale is None else cfg_scale, np.float32)
        feeds = {"features": self.bundle.features(audio), "noise": noise.astype(np.float32), "w": w}
        params, cond = self.bundle.sessions["sampler"].run(None, feeds)
        nfe = entry["steps"] * {"euler": 1, "midpoint": 2, "rk4": 4}[entry["method"]]
        return Prediction.from_encoded(self.spec, params, nfe), cond

    def prepare(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        fc = self.card.feature_config
        return prepare_audio(
            audio,
            sample_rate,
            target_rate=fc.sample_rate,
            channels=fc.channels,
            num_samples=fc.num_samples,
            min_samples=max(1, fc.num_samples // 4),
        )

    def encode(self, audio: np.ndarray) -> np.ndarray:
        """Model-ready audio ``(B, C, T)`` to conditioning ``(B, L, d)`` (or params, regression)."""
        features = self.bundle.features(audio)
        graph = "encoder" if self.is_flow else "predictor"
        return self.bundle.sessions[graph].run(None, {"features": features})[0]

    def _velocity(
        self, x: np.ndarray, t: np.ndarray, cond: tuple[np.ndarray, np.ndarray]
    ) -> np.ndarray:
        c, w = cond
        feeds = {"x": x.astype(np.float32), "t": t.astype(np.float32), "cond": c, "w": w}
        return self.bundle.sessions["vector_field"].run(None, feeds)[0]

    def _to_device(self, array: np.ndarray) -> Any:
        import onnxruntime as ort

        return ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(array), self.device, 0)

    def _velocity_bound(
        self, x: np.ndarray, t: np.ndarray, cond: tuple[Any, np.ndarray]
    ) -> np.ndarray:
        """The vector field with IOBinding: the conditioning stays on the device across steps."""
        c, w = cond
        if isinstance(c, np.ndarray):  # first step of a sample: copy cond to the device once
            c = self._to_device(c)
        session = self.bundle.sessions["vector_field"]
        binding = session.io_binding()
        binding.bind_cpu_input("x", np.ascontiguousarray(x, np.float32))
        binding.bind_cpu_input("t", np.ascontiguousarray(t, np.float32))
        binding.bind_ortvalue_input("cond", c)
        binding.bind_cpu_input("w", w)
        binding.bind_output("velocity", "cpu")
        session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0]

    def noise(self, batch: int, seed: int = 0) -> np.ndarray:
        return (
            np.random.default_rng(seed).standard_normal((batch, self.spec.dim)).astype(np.float32)
        )

    def sample(
        self,
        cond: np.ndarray,
        noise: np.ndarray,
        *,
        steps: int | None = None,
        method: str | None = None,
        cfg_scale: float | None = None,
    ) -> Prediction:
        """Integrate the flow from ``noise`` ``(B, D)`` given ``cond`` ``(B, L, d)``."""
        if not self.is_flow:
            return Prediction.from_encoded(self.spec, cond, 0)
        s = self.card.solver
        w = np.asarray(s.cfg_scale if cfg_scale is None else cfg_scale, np.float32)
        c: Any = cond.astype(np.float32)
        if self.io_binding:  # one host-to-device copy of the conditioning per sample
            c = self._to_device(c)
        out = self.solver.sample(
            x_init=noise.astype(np.float32),
            steps=s.steps if steps is None else steps,
            method=s.method if method is None else method,
            cond=(c, w),
        )
        return Prediction.from_encoded(self.spec, out.x, out.nfe)

    def predict(
        self,
        audio: np.ndarray,
        sample_rate: int,
        *,
        seed: int = 0,
        steps: int | None = None,
        method: str | None = None,
        cfg_scale: float | None = None,
    ) -> Prediction:
        """Audio at any rate and channel count to one predicted parameter set."""
        prepared = self.prepare(audio, sample_rate)
        if self.fused_for(steps, method):
            return self.sample_fused(prepared, self.noise(1, seed), cfg_scale)[0]
        cond = self.encode(prepared)
        return self.sample(
            cond, self.noise(1, seed), steps=steps, method=method, cfg_scale=cfg_scale
        )
