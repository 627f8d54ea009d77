"""One-shot inference on a bundle with numpy and onnxruntime: audio in, parameters out.

Shared by ``patchflow match`` and the bridge's engine. The flow is sampled by the same
:class:`patchflow.flow.solver.ODESolver` that drives the PyTorch model, here calling the ONNX
vector field (conditional and null conditioning stacked in one batch inside the graph).

Note-conditioned bundles (``card.note_conditioning``) are given the played note: ``encode``,
``sample_fused`` and ``predict`` take ``note`` (MIDI, one per item or one for all; ``None``, NaN
or negative: unknown) and every :class:`Prediction` is a full-spec vector with the note in its
column (pass the same ``note`` to ``sample``; unknown plays the parameter's default). Other
bundles ignore ``note``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from patchflow.bundle import Bundle
from patchflow.dsp import resample, resample_support
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
    """Validate, mix, trim leading silence, crop, resample and fit audio to the model.

    The clip is scanned a block at a time (finiteness, peak, onset), then only the window the
    model hears (plus the resampler's margin) is mixed and resampled, so the memory this takes
    stays near the model's input size whatever the clip's length and rate. Audio above full
    scale (peak > 1, e.g. integer samples or a sine of amplitude 1e20) is scaled down to peak 1
    before anything is computed from it; quieter audio keeps its level.

    Args:
        audio: ``(T,)`` mono or ``(C, T)`` channels-first float audio.
        sample_rate: Its sample rate in Hz.
        target_rate: The model's sample rate.
        channels: The model's channel count (mono mixes down; stereo duplicates a mono mix).
        num_samples: The model's input length; longer audio is cropped, shorter zero-padded.
        min_samples: Fewer samples than this (at the model rate) is an error.
        max_seconds: Longer input is an error.

    Returns:
        ``(1, channels, num_samples)`` float32.

    Raises:
        AudioError: Empty, silent (also when the channels cancel in the mix), non-finite,
            wrong shape, rate or dtype, too short or too long.
    """
    a = np.asarray(audio)
    if a.dtype.kind not in "fiu":
        raise AudioError(f"audio must be numeric, got dtype {a.dtype}")
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
    seconds = a.shape[1] / sample_rate
    if seconds > max_seconds:
        raise AudioError(f"audio is too long ({seconds:.1f} s; at most {max_seconds:g} s)")
    mix = a.shape[0] != channels
    peak, peak_heard = _scan_peaks(a, mix)
    if peak < SILENCE_PEAK:
        raise AudioError(f"audio is silent (peak {_dbfs(peak)} dBFS)")
    if peak_heard < SILENCE_PEAK:
        raise AudioError(
            f"audio is silent once its {a.shape[0]} channels are mixed to mono for the model "
            f"(they cancel out, e.g. out-of-phase stereo): the mix peaks at "
            f"{_dbfs(peak_heard)} dBFS, the channels at {_dbfs(peak)} dBFS"
        )
    gain = 1.0 / peak_heard if peak_heard > 1.0 else 1.0
    # Start at the first sample within LEADING_SILENCE_DB of the peak: a captured phrase
    # usually begins with some silence, and the model hears only num_samples.
    onset = _first_loud_frame(a, mix, peak_heard * 10 ** (LEADING_SILENCE_DB / 20))
    up, down = _ratio(sample_rate, target_rate)
    available = -(-(a.shape[1] - onset) * up // down)  # model-rate samples from the onset on
    if available < min_samples:
        raise AudioError(
            f"audio is too short ({available} samples after trimming silence at {target_rate} Hz; "
            f"need at least {min_samples})"
        )
    if up == down:
        window = _heard(a, onset, min(a.shape[1], onset + num_samples), mix, gain)
    else:
        margin = resample_support(sample_rate, target_rate)
        start = max(0, onset - margin)
        stop = min(a.shape[1], onset + -(-num_samples * down // up) + margin)
        resampled = resample(_heard(a, start, stop, mix, gain), sample_rate, target_rate)
        first = -(-(onset - start) * up // down)  # first output sample at or after the onset
        window = resampled[:, first : first + min(num_samples, available)]
    out = np.zeros((1, channels, num_samples), dtype=np.float32)
    out[0, :, : window.shape[1]] = window  # a mono mix broadcasts to every model channel
    return out


SCAN_BLOCK_FRAMES = 16384


def _dbfs(peak: float) -> str:
    return f"{20 * np.log10(max(peak, 1e-12)):.0f}"


def _ratio(orig_sr: int, target_sr: int) -> tuple[int, int]:
    g = int(np.gcd(int(orig_sr), int(target_sr)))
    return int(target_sr) // g, int(orig_sr) // g


def _heard(a: np.ndarray, start: int, stop: int, mix: bool, gain: float = 1.0) -> np.ndarray:
    """Frames ``start:stop`` as the model hears them: float32, mixed to mono if ``mix``,
    scaled by ``gain`` (in float64 first, so extreme values neither overflow nor vanish)."""
    block = a[:, start:stop].astype(np.float64)
    if mix:
        block = block.mean(axis=0, keepdims=True)
    if gain != 1.0:
        block *= gain
    return block.astype(np.float32)


def _scan_peaks(a: np.ndarray, mix: bool) -> tuple[float, float]:
    """Peak of the channels and of what the model hears, a block at a time.

    Raises:
        AudioError: On NaN or infinite samples.
    """
    peak = peak_heard = 0.0
    for lo in range(0, a.shape[1], SCAN_BLOCK_FRAMES):
        block = a[:, lo : lo + SCAN_BLOCK_FRAMES]
        # floats: |x| is exact in their own type, and a NaN or inf makes the peak non-finite;
        # integers: |min| overflows their type, so float64
        exact = block if block.dtype.kind == "f" else block.astype(np.float64)
        block_peak = float(np.max(np.abs(exact)))
        if not np.isfinite(block_peak):
            raise AudioError("audio contains NaN or infinite samples")
        peak = max(peak, block_peak)
        if mix:
            block_peak = float(np.max(np.abs(block.astype(np.float64).mean(axis=0))))
        peak_heard = max(peak_heard, block_peak)
    return peak, peak_heard


def _first_loud_frame(a: np.ndarray, mix: bool, threshold: float) -> int:
    """Index of the first frame whose heard level reaches ``threshold`` (0 if none does)."""
    for lo in range(0, a.shape[1], SCAN_BLOCK_FRAMES):
        block = np.abs(_heard(a, lo, lo + SCAN_BLOCK_FRAMES, mix).astype(np.float64))
        loud = np.flatnonzero(np.max(block, axis=0) >= threshold)
        if loud.size:
            return lo + int(loud[0])
    return 0


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
        """Clamp model vectors to [-1, 1] and decode them; fixed parameters take their values."""
        x = spec.snap_fixed_encoded(np.clip(encoded, -1.0, 1.0)).astype(np.float32)
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
        self.note_conditioning = bundle.card.note_conditioning

    @property
    def noise_dim(self) -> int:
        """Width of the flow's noise (and of the raw graph outputs): ``card.model_dim``."""
        return self.card.model_dim

    def _prediction(self, vectors: np.ndarray, nfe: int, note: Any) -> Prediction:
        """The model's vectors as a full-spec prediction (the note put back in its column)."""
        nc = self.note_conditioning
        if nc is not None:
            vectors = nc.insert(self.spec, np.clip(vectors, -1.0, 1.0), note)
        return Prediction.from_encoded(self.spec, vectors, nfe)

    def features(self, audio: np.ndarray) -> np.ndarray:
        """Model-ready audio ``(B, C, T)`` to the graphs' standardised features."""
        return self.bundle.features(audio)

    def _feeds(self, features: np.ndarray, note: Any) -> dict[str, np.ndarray]:
        """The first graph's inputs: features, and the note for note-conditioned bundles."""
        feeds = {"features": features}
        if self.note_conditioning is not None:
            feeds["note"] = self.note_conditioning.feed(note, len(feeds["features"]))
        return feeds

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
        self,
        audio: np.ndarray,
        noise: np.ndarray,
        cfg_scale: float | None = None,
        note: float | np.ndarray | None = None,
    ) -> tuple[Prediction, np.ndarray]:
        """One call of the fused graph: model-ready audio to a prediction and its conditioning
        (``note``: see the module docstring)."""
        return self.sample_fused_features(self.features(audio), noise, cfg_scale, note)

    def sample_fused_features(
        self,
        features: np.ndarray,
        noise: np.ndarray,
        cfg_scale: float | None = None,
        note: float | np.ndarray | None = None,
    ) -> tuple[Prediction, np.ndarray]:
        """:meth:`sample_fused` from features already computed by :meth:`features`."""
        entry = self.card.raw["graphs"]["sampler"]
        w = np.asarray(self.card.solver.cfg_scale if cfg_scale is None else cfg_scale, np.float32)
        feeds = {**self._feeds(features, note), "noise": noise.astype(np.float32), "w": w}
        params, cond = self.bundle.sessions["sampler"].run(None, feeds)
        nfe = entry["steps"] * {"euler": 1, "midpoint": 2, "rk4": 4}[entry["method"]]
        return self._prediction(params, nfe, note), cond

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

    def encode(self, audio: np.ndarray, note: float | np.ndarray | None = None) -> np.ndarray:
        """Model-ready audio ``(B, C, T)`` to conditioning ``(B, L, d)`` (or params, regression:
        the model's own ``(B, noise_dim)`` vectors). ``note``: see the module docstring."""
        return self.encode_features(self.features(audio), note)

    def encode_features(
        self, features: np.ndarray, note: float | np.ndarray | None = None
    ) -> np.ndarray:
        """:meth:`encode` from features already computed by :meth:`features`."""
        graph = "encoder" if self.is_flow else "predictor"
        return self.bundle.sessions[graph].run(None, self._feeds(features, note))[0]

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
        """Standard normal noise ``(batch, noise_dim)`` for ``seed``."""
        return (
            np.random.default_rng(seed).standard_normal((batch, self.noise_dim)).astype(np.float32)
        )

    def sample(
        self,
        cond: np.ndarray,
        noise: np.ndarray,
        *,
        steps: int | None = None,
        method: str | None = None,
        cfg_scale: float | None = None,
        note: float | np.ndarray | None = None,
    ) -> Prediction:
        """Integrate the flow from ``noise`` ``(B, noise_dim)`` given ``cond`` ``(B, L, d)``.

        ``note`` only fills the note's column of a note-conditioned bundle's prediction (the
        conditioning already holds what the model was told); unknown: the parameter's default.
        """
        if not self.is_flow:
            return self._prediction(cond, 0, note)
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
        return self._prediction(out.x, out.nfe, note)

    def answer_noise(self, seed: int = 0) -> np.ndarray:
        """The one-shot answer's noise ``(1, noise_dim)``: :meth:`noise` times the card's
        solver temperature."""
        return self.noise(1, seed) * np.float32(self.bundle.card.solver.temperature)

    def predict(
        self,
        audio: np.ndarray,
        sample_rate: int,
        *,
        seed: int = 0,
        steps: int | None = None,
        method: str | None = None,
        cfg_scale: float | None = None,
        note: float | None = None,
    ) -> Prediction:
        """Audio at any rate and channel count to one predicted parameter set.

        ``note``: the played MIDI note for a note-conditioned bundle (``None``: unknown; for
        example ``patchflow.note_conditioning.conditioning_note(place_note(...))``); ignored by
        other bundles.
        """
        prepared = self.prepare(audio, sample_rate)
        if self.fused_for(steps, method):
            return self.sample_fused(prepared, self.answer_noise(seed), cfg_scale, note)[0]
        cond = self.encode(prepared, note)
        noise = self.answer_noise(seed)
        return self.sample(cond, noise, steps=steps, method=method, cfg_scale=cfg_scale, note=note)
