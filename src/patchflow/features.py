"""Audio features, computed the same way for training (torch) and serving (numpy, no torch).

Two kinds:
- ``rfft``: the linear magnitude of the rFFT (norm "forward") of the whole clip, for k-osc.
- ``logmel``: natural-log mel spectrogram (periodic Hann, zero-padded centred frames, Slaney
  filterbank), for real synths; defaults 128 mels, 25 ms window, 10 ms hop.

The window and filterbank are frozen arrays (:meth:`FeatureExtractor.arrays`), stored with datasets
and model bundles, and reused by :mod:`patchflow.features_torch` so both paths compute the same
thing. Standardisation statistics (:class:`FeatureStats`) are per frequency bin.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from patchflow.dsp import frame_signal, hann_window, mel_filterbank

LOG_FLOOR = 1e-6


@dataclass(frozen=True)
class FeatureConfig:
    """Feature front-end settings.

    Attributes:
        kind: ``rfft`` or ``logmel``.
        sample_rate: Expected audio sample rate in Hz.
        num_samples: Expected clip length in samples (audio is padded or cropped to it).
        channels: Expected channel count.
        window_s: Analysis window (``logmel``).
        hop_s: Hop between frames (``logmel``).
        n_mels: Mel bands (``logmel``).
        fmin_hz: Lowest mel frequency.
        fmax_hz: Highest mel frequency (``None``: Nyquist).
    """

    kind: str = "rfft"
    sample_rate: int = 44100
    num_samples: int = 1024
    channels: int = 1
    window_s: float = 0.025
    hop_s: float = 0.010
    n_mels: int = 128
    fmin_hz: float = 0.0
    fmax_hz: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("rfft", "logmel"):
            raise ValueError(f"feature kind must be 'rfft' or 'logmel', got {self.kind!r}")

    @property
    def n_fft(self) -> int:
        return self.num_samples if self.kind == "rfft" else int(self.window_s * self.sample_rate)

    @property
    def hop_length(self) -> int:
        return round(self.hop_s * self.sample_rate)

    @property
    def num_frames(self) -> int:
        return 1 + self.num_samples // self.hop_length

    @property
    def shape(self) -> tuple[int, ...]:
        """Feature shape of one clip (without the batch dimension)."""
        if self.kind == "rfft":
            return (self.channels, self.num_samples // 2 + 1)
        return (self.channels, self.n_mels, self.num_frames)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> FeatureConfig:
        return cls(**d)


@dataclass(frozen=True)
class FeatureStats:
    """Per-bin mean and std for standardisation, broadcastable to a feature ``shape``."""

    mean: np.ndarray
    std: np.ndarray

    def apply(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.std).astype(np.float32)

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> FeatureStats:
        return cls(np.asarray(d["mean"], np.float32), np.asarray(d["std"], np.float32))

    @classmethod
    def identity(cls, config: FeatureConfig) -> FeatureStats:
        shape = _stats_shape(config)
        return cls(np.zeros(shape, np.float32), np.ones(shape, np.float32))


def _stats_shape(config: FeatureConfig) -> tuple[int, ...]:
    c, *rest = config.shape
    return (c, rest[0]) if config.kind == "rfft" else (c, rest[0], 1)


class RunningStats:
    """Streaming per-bin mean and variance (Chan's parallel algorithm, float64)."""

    def __init__(self, config: FeatureConfig) -> None:
        self.config = config
        self.count = 0
        self.mean = np.zeros(_stats_shape(config), np.float64)
        self.m2 = np.zeros(_stats_shape(config), np.float64)

    def update(self, features: np.ndarray) -> None:
        """Add a batch ``(N, *shape)``; for logmel, frames count as extra observations."""
        f = np.asarray(features, np.float64)
        axes = (0, 3) if self.config.kind == "logmel" else (0,)
        n = f.shape[0] * (f.shape[3] if self.config.kind == "logmel" else 1)
        mean = f.mean(axis=axes)
        m2 = (
            f - np.expand_dims(mean, 0) if self.config.kind == "rfft" else f - mean[None, ..., None]
        ) ** 2
        m2 = m2.sum(axis=axes)
        if self.config.kind == "logmel":
            mean, m2 = mean[..., None], m2[..., None]
        delta = mean - self.mean
        total = self.count + n
        self.mean = self.mean + delta * n / total
        self.m2 = self.m2 + m2 + delta**2 * self.count * n / total
        self.count = total

    def result(self, min_std: float = 1e-5) -> FeatureStats:
        std = np.sqrt(self.m2 / max(self.count - 1, 1))
        return FeatureStats(
            self.mean.astype(np.float32), np.maximum(std, min_std).astype(np.float32)
        )


class FeatureExtractor:
    """Numpy feature extractor: audio ``(N, C, T)`` to features ``(N, *config.shape)``.

    Example:
        >>> fx = FeatureExtractor(FeatureConfig(kind="logmel", num_samples=44100))
        >>> fx(np.zeros((1, 1, 44100), np.float32)).shape
        (1, 1, 128, 101)
    """

    def __init__(self, config: FeatureConfig) -> None:
        self.config = config
        if config.kind == "logmel":
            self.window = hann_window(config.n_fft).astype(np.float32)
            self.mel_fb = mel_filterbank(
                config.sample_rate, config.n_fft, config.n_mels, config.fmin_hz, config.fmax_hz
            ).astype(np.float32)
        else:
            self.window = np.ones(config.n_fft, np.float32)
            self.mel_fb = np.zeros((0, config.n_fft // 2 + 1), np.float32)

    def __repr__(self) -> str:
        c = self.config
        if c.kind == "rfft":
            return f"FeatureExtractor(rfft, {c.num_samples} samples -> {c.shape})"
        return (
            f"FeatureExtractor(logmel, {c.n_mels} mels, window {c.window_s * 1e3:g} ms, "
            f"hop {c.hop_s * 1e3:g} ms, {c.sample_rate} Hz -> {c.shape})"
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """The frozen window and filterbank."""
        return {"window": self.window, "mel_fb": self.mel_fb}

    def fit_length(self, audio: np.ndarray) -> np.ndarray:
        """Pad with zeros or crop the last axis to ``num_samples``."""
        t = self.config.num_samples
        if audio.shape[-1] >= t:
            return audio[..., :t]
        return np.pad(audio, [(0, 0)] * (audio.ndim - 1) + [(0, t - audio.shape[-1])])

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        c = self.config
        # log-mel in float32: it differs from float64 only by rounding, and in float64 the
        # framing, FFT and filterbank were a large share of a real-synth match
        dtype = np.float64 if c.kind == "rfft" else np.float32
        audio = self.fit_length(np.asarray(audio, dtype))
        if audio.ndim != 3 or audio.shape[1] != c.channels:
            raise ValueError(f"expected audio (N, {c.channels}, T), got shape {audio.shape}")
        if c.kind == "rfft":
            return np.abs(np.fft.rfft(audio, axis=-1) / audio.shape[-1]).astype(np.float32)
        if c.channels > 1 and np.array_equal(audio, np.broadcast_to(audio[:, :1], audio.shape)):
            # identical channels (a mono source, or mono input spread to stereo): one
            # channel's features, copied; the same numbers for one channel's work
            return np.repeat(self._logmel(audio[:, :1]), c.channels, axis=1)
        return self._logmel(audio)

    def _logmel(self, audio: np.ndarray) -> np.ndarray:
        c = self.config
        frames = frame_signal(audio, c.n_fft, c.hop_length, center=True)
        spectrum = np.fft.rfft(frames * self.window, axis=-1)  # (N, C, T, F) complex64
        power = spectrum.real**2 + spectrum.imag**2  # (N, C, T, F)
        mel = np.swapaxes(power @ self.mel_fb.T, -1, -2)  # (N, C, M, T), a BLAS matmul
        return np.log(mel + np.float32(LOG_FLOOR))
