"""Spectral distances to one target, with the target's features computed once (numpy only).

- :class:`LsdScorer`: the log-spectral distance k-osc is evaluated with
  (:func:`patchflow.metrics.kosc.log_spectral_distance`), for short clips.
- :class:`MssScorer`: the multi-scale log-mel L1 distance of the real-synth evaluation
  (:func:`patchflow.metrics.audio.multiscale_spectral_distance`), batched.

Both give the evaluation metrics' numbers (MSS in float32 for speed, to about 1e-4 dB; tested),
without importing scipy. :func:`ranker_for` gives a cheaper distance a search may rank its
candidates by (the MSS of the channels' mix, half the FFTs), confirming each new best with the
real one.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from patchflow.dsp import frame_signal, hann_window, mel_filterbank

LSD_POWER_FLOOR = 1e-8  # as patchflow.metrics.kosc.POWER_FLOOR
MSS_AMIN = 1e-10  # as patchflow.metrics.audio.AMIN
MSS_TOP_DB = 80.0  # as patchflow.metrics.audio.TOP_DB
# (window_s, hop_s, n_mels), as patchflow.metrics.audio.MSS_RESOLUTIONS
MSS_RESOLUTIONS: tuple[tuple[float, float, int], ...] = (
    (0.010, 0.005, 32),
    (0.025, 0.010, 64),
    (0.100, 0.050, 128),
)
SHORT_CLIP_SAMPLES = 4096  # clips this short (k-osc's 1024) are scored by LSD
GUIDE_FLOOR_DB = 42.0  # SmoothLsdScorer's floor below the target's peak


class Scorer(Protocol):
    """Distance of a batch of renders ``(N, C, T)`` to the target, ``(N,)``, lower is better."""

    name: str

    def __call__(self, audio: np.ndarray) -> np.ndarray: ...


def _power_db(mono: np.ndarray) -> np.ndarray:
    spec = np.fft.rfft(mono, axis=-1, norm="forward")
    return 10.0 * np.log10(np.maximum(np.abs(spec) ** 2, LSD_POWER_FLOOR))


class LsdScorer:
    """Log-spectral distance in dB of the mono mix (rFFT of the whole clip).

    Args:
        target: The target ``(C, T)`` at the renderer's rate and length.
    """

    name = "lsd"

    def __init__(self, target: np.ndarray) -> None:
        self._target_db = _power_db(np.asarray(target, np.float64).mean(axis=0))

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        mono = np.asarray(audio, np.float64).mean(axis=1)  # (N, T)
        diff = _power_db(mono) - self._target_db
        return np.sqrt(np.mean(diff**2, axis=-1))


class SmoothLsdScorer:
    """A smoothed log-spectral distance that guides the search (never what it reports).

    Hann-windowed rFFT, power floored ``floor_db`` below the target's strongest bin: without
    the rectangular window's leakage and the deep floor, the distance falls smoothly as one
    oscillator's frequency nears the right one from tens of hertz away, where the real LSD
    only has a spike a hertz or two wide (measured on k-osc). Its minimum is still the
    target itself.

    Args:
        target: The target ``(C, T)`` at the renderer's rate and length.
        floor_db: Floor below the target's peak power, in dB.
    """

    name = "smooth-lsd"

    def __init__(self, target: np.ndarray, floor_db: float = GUIDE_FLOOR_DB) -> None:
        mono = np.asarray(target, np.float64).mean(axis=0)
        self._window = np.hanning(mono.shape[-1])
        power = self._power(mono)
        self._floor = max(float(power.max()) * 10.0 ** (-floor_db / 10.0), LSD_POWER_FLOOR)
        self._target_db = 10.0 * np.log10(np.maximum(power, self._floor))

    def _power(self, mono: np.ndarray) -> np.ndarray:
        spec = np.fft.rfft(mono * self._window, axis=-1, norm="forward")
        return spec.real**2 + spec.imag**2

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        power = self._power(np.asarray(audio, np.float64).mean(axis=1))
        diff = 10.0 * np.log10(np.maximum(power, self._floor)) - self._target_db
        return np.sqrt(np.mean(diff**2, axis=-1))


@lru_cache(maxsize=4)
def _mss_setups(sample_rate: int) -> tuple[tuple[int, int, np.ndarray], ...]:
    """``(n_fft, hop, mel filterbank)`` of each MSS resolution at ``sample_rate``."""
    setups = []
    for window_s, hop_s, n_mels in MSS_RESOLUTIONS:
        n_fft = max(1, round(window_s * sample_rate))
        hop = max(1, round(hop_s * sample_rate))
        setups.append((n_fft, hop, mel_filterbank(sample_rate, n_fft, n_mels).astype(np.float32)))
    return tuple(setups)


class MssScorer:
    """Multi-scale log-mel L1 distance in dB (each item relative to its own max, 80 dB floor).

    Pickles as the target's features only (render workers score their own renders: the
    filterbanks are rebuilt, once per process and rate).

    Args:
        target: The target ``(C, T)`` at the renderer's rate and length.
        sample_rate: Its sample rate in Hz.
        mix: Compare the mixes of the channels (their mean) instead of each channel: half the
            work on stereo, blind to differences between the channels (``name`` ``mss-mix``).
    """

    def __init__(self, target: np.ndarray, sample_rate: int, mix: bool = False) -> None:
        self.sample_rate, self.mix = int(sample_rate), mix
        self.name = "mss-mix" if mix else "mss"
        target = self._channels(np.asarray(target, np.float32)[None])
        self._setups = [(n_fft, hop, fb, self._log_mel(target, n_fft, hop, fb))
                        for n_fft, hop, fb in _mss_setups(self.sample_rate)]  # fmt: skip

    def __repr__(self) -> str:
        return f"MssScorer(sample_rate={self.sample_rate}, mix={self.mix})"

    def __getstate__(self) -> dict[str, Any]:
        targets = [t for *_, t in self._setups]
        return {"sample_rate": self.sample_rate, "mix": self.mix, "targets": targets}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.sample_rate, self.mix = state["sample_rate"], state["mix"]
        self.name = "mss-mix" if self.mix else "mss"
        setups = _mss_setups(self.sample_rate)
        self._setups = [(*setup, t) for setup, t in zip(setups, state["targets"], strict=True)]

    @staticmethod
    def _log_mel(audio: np.ndarray, n_fft: int, hop: int, fbank: np.ndarray) -> np.ndarray:
        """``(N, C, T)`` to per-item dB mel spectrograms ``(N, C, frames, mels)`` (float32)."""
        frames = frame_signal(audio, n_fft, hop) * hann_window(n_fft).astype(np.float32)
        spec = np.fft.rfft(frames, axis=-1)  # (N, C, frames, bins)
        power = np.matmul(spec.real**2 + spec.imag**2, fbank.T)
        ref = np.maximum(power.max(axis=(1, 2, 3), keepdims=True), MSS_AMIN)
        db = 10.0 * np.log10(np.maximum(power, MSS_AMIN)) - 10.0 * np.log10(ref)
        return np.maximum(db, db.max(axis=(1, 2, 3), keepdims=True) - MSS_TOP_DB)

    def _channels(self, audio: np.ndarray) -> np.ndarray:
        """``(N, C, T)`` as compared: the mix ``(N, 1, T)`` when ``mix``."""
        return audio.mean(axis=1, keepdims=True) if self.mix else audio

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        audio = self._channels(np.asarray(audio, np.float32))
        dists = [
            np.mean(np.abs(self._log_mel(audio, n_fft, hop, fb) - target), axis=(1, 2, 3))
            for n_fft, hop, fb, target in self._setups
        ]
        return np.mean(dists, axis=0)


def scorer_for(target: np.ndarray, sample_rate: int) -> Scorer:
    """The distance the project evaluates this kind of clip with: LSD for short clips, else MSS."""
    if target.shape[-1] <= SHORT_CLIP_SAMPLES:
        return LsdScorer(target)
    return MssScorer(target, sample_rate)


def ranker_for(target: np.ndarray, sample_rate: int) -> Scorer | None:
    """A cheaper distance to rank a search's candidates by, or ``None`` (rank by the real one).

    Multi-channel clips that MSS scores get the MSS of the channels' mix: measured on amsynth
    (stereo) with 2 render workers, a search renders about twice the patches per second and
    ends closer by the real MSS (``docs/results/search_quality.md``).
    """
    if target.shape[-1] <= SHORT_CLIP_SAMPLES or target.shape[0] < 2:
        return None
    return MssScorer(target, sample_rate, mix=True)


def guide_for(target: np.ndarray) -> Scorer | None:
    """A smoother distance that picks a scan's coarse winner (:class:`SmoothLsdScorer` for the
    short clips LSD scores; ``None``, the real score then, for others)."""
    if target.shape[-1] <= SHORT_CLIP_SAMPLES:
        return SmoothLsdScorer(target)
    return None
