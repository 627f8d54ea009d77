"""Audio metrics for real-synth inversion (Hayes et al. 2025, Table 1), numpy and scipy only.

All four follow ``scripts/compute_audio_metrics.py`` of the reference code, reimplemented
without librosa or dtw-python:

- ``mss``: multi-scale log-mel L1 distance in dB, each signal normalised to its own max.
- ``wmfcc``: dynamic-time-warped MFCC distance (symmetric2 steps, normalised by ``N + M``).
- ``sot``: spectral optimal transport, the mean per-frame 1-D Wasserstein-1 distance between
  normalised magnitude spectra.
- ``rms_cos``: cosine similarity of RMS envelopes (the only one where higher is better).

Audio is ``(N, C, T)`` (a batch of ``C``-channel signals) or ``(C, T)`` (one signal, treated as a
batch of one). Every metric returns one value per item, shape ``(N,)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.fft import dct
from scipy.spatial.distance import cdist

from patchflow.dsp import frame_signal, mel_filterbank, stft_magnitude

DEFAULT_SAMPLE_RATE = 44100
AMIN = 1e-10  # power floor of the dB conversion (librosa ``amin``)
TOP_DB = 80.0  # dynamic range kept below the maximum (librosa ``top_db``)
# (window_s, hop_s, n_mels) of the three MSS resolutions.
MSS_RESOLUTIONS: tuple[tuple[float, float, int], ...] = (
    (0.010, 0.005, 32),
    (0.025, 0.010, 64),
    (0.100, 0.050, 128),
)
MFCC_WINDOW_S = 0.050
MFCC_HOP_S = 0.010
MFCC_N_MELS = 128
MFCC_N_COEFFS = 20
SOT_WINDOW_S = 0.050
SOT_HOP_S = 0.020
RMS_FRAME_S = 0.050
RMS_HOP_S = 0.025

METRIC_KEYS = ("mss", "wmfcc", "sot", "rms_cos")
# Which direction is better for each key (input for ``summary.markdown_table``).
METRIC_BETTER = {"mss": "lower", "wmfcc": "lower", "sot": "lower", "rms_cos": "higher"}


def _seconds_to_samples(seconds: float, sample_rate: int) -> int:
    """Round a duration to samples (half to even: 5 ms at 44.1 kHz is 220, 25 ms is 1102)."""
    return max(1, round(seconds * sample_rate))


def _as_batch(audio: np.ndarray, name: str) -> np.ndarray:
    """Return ``(N, C, T)`` float64 audio from ``(N, C, T)`` or ``(C, T)``."""
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim == 2:
        audio = audio[None]
    if audio.ndim != 3:
        raise ValueError(f"{name} must have shape (N, C, T) or (C, T), got {audio.shape}")
    return audio


def _pair(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred = _as_batch(pred, "pred")
    target = _as_batch(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"pred and target shapes differ: {pred.shape} vs {target.shape}")
    return pred, target


def _per_item(
    fn: Callable[[np.ndarray, np.ndarray], float], pred: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """Apply ``fn(pred_item, target_item)`` over the batch (bounded memory for long audio)."""
    return np.array([fn(p, t) for p, t in zip(pred, target, strict=True)], dtype=np.float64)


def power_to_db(power: np.ndarray, ref_max: bool) -> np.ndarray:
    """Power to dB with a floor ``TOP_DB`` below the maximum, like librosa ``power_to_db``.

    Args:
        power: non-negative power values (any shape); the max is taken over the whole array.
        ref_max: if True the reference is ``power.max()`` (``ref=np.max``, level invariant),
            otherwise 1.0.

    Returns:
        dB values, same shape as ``power``.
    """
    ref = max(float(power.max()), AMIN) if ref_max else 1.0
    log_spec = 10.0 * np.log10(np.maximum(power, AMIN)) - 10.0 * np.log10(ref)
    return np.maximum(log_spec, log_spec.max() - TOP_DB)


def _mel_power(audio: np.ndarray, fbank: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Power mel spectrogram, ``(C, T)`` to ``(C, n_mels, n_frames)`` (centred, zero padding)."""
    power = stft_magnitude(audio, n_fft, hop) ** 2
    return fbank @ power  # (n_mels, bins) @ (C, bins, frames)


def multiscale_spectral_distance(
    pred: np.ndarray, target: np.ndarray, sample_rate: int = DEFAULT_SAMPLE_RATE
) -> np.ndarray:
    """Multi-scale log-mel L1 distance (MSS) in dB, lower is better.

    Three resolutions (window / hop / mels): 10 ms / 5 ms / 32, 25 ms / 10 ms / 64 and
    100 ms / 50 ms / 128, periodic Hann, ``n_fft = round(window * sample_rate)``. The power mel
    spectrogram of each item (all channels together) is converted to dB relative to its own
    max with an 80 dB floor, so the metric ignores overall gain. Per resolution the mean
    absolute dB difference over channels, mels and frames; then the mean over resolutions.

    Args:
        pred: predicted audio, ``(N, C, T)`` or ``(C, T)``.
        target: target audio, same shape.
        sample_rate: sample rate in Hz.

    Returns:
        MSS per item, shape ``(N,)``.
    """
    pred, target = _pair(pred, target)
    setups = []
    for window_s, hop_s, n_mels in MSS_RESOLUTIONS:
        n_fft = _seconds_to_samples(window_s, sample_rate)
        hop = _seconds_to_samples(hop_s, sample_rate)
        setups.append((n_fft, hop, mel_filterbank(sample_rate, n_fft, n_mels)))

    def one(p: np.ndarray, t: np.ndarray) -> float:
        dists = [
            np.mean(
                np.abs(
                    power_to_db(_mel_power(p, fb, n_fft, hop), ref_max=True)
                    - power_to_db(_mel_power(t, fb, n_fft, hop), ref_max=True)
                )
            )
            for n_fft, hop, fb in setups
        ]
        return float(np.mean(dists))

    return _per_item(one, pred, target)


def mfcc(audio: np.ndarray, sample_rate: int, fbank: np.ndarray | None = None) -> np.ndarray:
    """20 MFCCs per channel, ``(C, T)`` to ``(C, 20, n_frames)`` (librosa ``feature.mfcc``).

    128 Slaney mels over a 50 ms periodic Hann window with a 10 ms hop; the log-mel is
    ``power_to_db`` with reference 1.0 and an 80 dB floor below the max over all channels, then
    an orthonormal DCT-II over the mel axis, keeping the first 20 coefficients.

    Args:
        audio: ``(C, T)`` audio.
        sample_rate: sample rate in Hz.
        fbank: optional precomputed mel filterbank for these settings.

    Returns:
        MFCCs, shape ``(C, 20, n_frames)``.
    """
    n_fft = _seconds_to_samples(MFCC_WINDOW_S, sample_rate)
    hop = _seconds_to_samples(MFCC_HOP_S, sample_rate)
    if fbank is None:
        fbank = mel_filterbank(sample_rate, n_fft, MFCC_N_MELS)
    log_mel = power_to_db(_mel_power(audio, fbank, n_fft, hop), ref_max=False)
    return dct(log_mel, type=2, axis=-2, norm="ortho")[..., :MFCC_N_COEFFS, :]


def dtw_symmetric2(cost: np.ndarray) -> float:
    """Accumulated DTW cost with the symmetric2 step pattern (dtw-python's default).

    ``g[0, 0] = d[0, 0]`` and
    ``g[i, j] = min(g[i-1, j-1] + 2 d[i, j], g[i-1, j] + d[i, j], g[i, j-1] + d[i, j])``.
    The recursion is vectorised along anti-diagonals (each depends only on the previous two).

    Args:
        cost: local cost matrix, shape ``(N, M)``.

    Returns:
        ``g[N-1, M-1]``; divide by ``N + M`` for dtw-python's ``normalizedDistance``.
    """
    cost = np.asarray(cost, dtype=np.float64)
    if cost.ndim != 2 or min(cost.shape) < 1:
        raise ValueError(f"cost must be a non-empty 2-D matrix, got shape {cost.shape}")
    n, m = cost.shape
    # prev1 / prev2 hold anti-diagonals s-1 / s-2 indexed by row + 1 (index 0 is a guard).
    prev2 = np.full(n + 1, np.inf)
    prev1 = np.full(n + 1, np.inf)
    prev1[1] = cost[0, 0]
    for s in range(1, n + m - 1):
        lo, hi = max(0, s - m + 1), min(s, n - 1)
        rows = np.arange(lo, hi + 1)
        local = cost[rows, s - rows]
        cur = np.full(n + 1, np.inf)
        diag = prev2[lo : hi + 1] + 2.0 * local
        straight = np.minimum(prev1[lo : hi + 1], prev1[lo + 1 : hi + 2]) + local
        cur[lo + 1 : hi + 2] = np.minimum(diag, straight)
        prev2, prev1 = prev1, cur
    return float(prev1[n])


def warped_mfcc_distance(
    pred: np.ndarray, target: np.ndarray, sample_rate: int = DEFAULT_SAMPLE_RATE
) -> np.ndarray:
    """DTW-aligned MFCC distance (wMFCC), lower is better.

    Each frame is the MFCCs of all channels stacked (``20 C`` values). The local cost is the mean
    absolute difference between frame vectors, the alignment uses the symmetric2 step pattern
    and the score is the accumulated cost divided by ``N + M`` (the two frame counts).

    Args:
        pred: predicted audio, ``(N, C, T)`` or ``(C, T)``.
        target: target audio, same shape.
        sample_rate: sample rate in Hz.

    Returns:
        wMFCC per item, shape ``(N,)``.
    """
    pred, target = _pair(pred, target)
    n_fft = _seconds_to_samples(MFCC_WINDOW_S, sample_rate)
    fbank = mel_filterbank(sample_rate, n_fft, MFCC_N_MELS)

    def frames(audio: np.ndarray) -> np.ndarray:
        coeffs = mfcc(audio, sample_rate, fbank)  # (C, 20, F)
        return coeffs.reshape(-1, coeffs.shape[-1]).T  # (F, 20 C)

    def one(p: np.ndarray, t: np.ndarray) -> float:
        fp, ft = frames(p), frames(t)
        cost = cdist(fp, ft, metric="cityblock") / fp.shape[1]
        return dtw_symmetric2(cost) / (cost.shape[0] + cost.shape[1])

    return _per_item(one, pred, target)


def _normalise_frames(mag: np.ndarray) -> np.ndarray:
    """Normalise ``(n_frames, n_bins)`` magnitudes to sum 1 per frame; silent frames -> uniform."""
    total = mag.sum(axis=-1, keepdims=True)
    uniform = np.full_like(mag, 1.0 / mag.shape[-1])
    return np.where(total > 0, mag / np.where(total > 0, total, 1.0), uniform)


def spectral_optimal_transport(
    pred: np.ndarray, target: np.ndarray, sample_rate: int = DEFAULT_SAMPLE_RATE
) -> np.ndarray:
    """Spectral optimal transport distance (SOT), lower is better.

    Mono mix (mean over channels), magnitude STFT with a 50 ms periodic Hann window and 20 ms
    hop (centred). Each frame is normalised to a distribution over its linear-frequency bins
    (an all-zero frame counts as uniform) and compared with the 1-D Wasserstein-1 distance
    ``sum |CDF_p - CDF_t| / n_bins``, i.e. in bin units scaled to [0, 1]; then the mean over
    frames.

    Args:
        pred: predicted audio, ``(N, C, T)`` or ``(C, T)``.
        target: target audio, same shape.
        sample_rate: sample rate in Hz.

    Returns:
        SOT per item, shape ``(N,)``.
    """
    pred, target = _pair(pred, target)
    n_fft = _seconds_to_samples(SOT_WINDOW_S, sample_rate)
    hop = _seconds_to_samples(SOT_HOP_S, sample_rate)

    def dists(audio: np.ndarray) -> np.ndarray:
        mag = stft_magnitude(audio.mean(axis=0), n_fft, hop).T  # (F, bins)
        return _normalise_frames(mag)

    def one(p: np.ndarray, t: np.ndarray) -> float:
        dp, dt = dists(p), dists(t)
        cdf_gap = np.abs(np.cumsum(dp, axis=-1) - np.cumsum(dt, axis=-1))
        return float(np.mean(cdf_gap.sum(axis=-1) / dp.shape[-1]))

    return _per_item(one, pred, target)


def rms_envelope(audio: np.ndarray, sample_rate: int = DEFAULT_SAMPLE_RATE) -> np.ndarray:
    """RMS envelope of the mono mix, ``(C, T)`` to ``(n_frames,)`` (librosa ``feature.rms``).

    50 ms frames with a 25 ms hop, centred with zero padding, no window.

    Args:
        audio: ``(C, T)`` audio.
        sample_rate: sample rate in Hz.

    Returns:
        RMS per frame.
    """
    frame = _seconds_to_samples(RMS_FRAME_S, sample_rate)
    hop = _seconds_to_samples(RMS_HOP_S, sample_rate)
    frames = frame_signal(np.asarray(audio, dtype=np.float64).mean(axis=0), frame, hop)
    return np.sqrt(np.mean(frames**2, axis=-1))


def rms_envelope_similarity(
    pred: np.ndarray, target: np.ndarray, sample_rate: int = DEFAULT_SAMPLE_RATE
) -> np.ndarray:
    """Cosine similarity of RMS envelopes, higher is better (1 is a perfect match).

    Defined as 1.0 when both signals are silent and 0.0 when exactly one is.

    Args:
        pred: predicted audio, ``(N, C, T)`` or ``(C, T)``.
        target: target audio, same shape.
        sample_rate: sample rate in Hz.

    Returns:
        Cosine similarity per item in [0, 1], shape ``(N,)``.
    """
    pred, target = _pair(pred, target)

    def one(p: np.ndarray, t: np.ndarray) -> float:
        ep, et = rms_envelope(p, sample_rate), rms_envelope(t, sample_rate)
        norm_p, norm_t = np.linalg.norm(ep), np.linalg.norm(et)
        if norm_p == 0.0 or norm_t == 0.0:
            return 1.0 if norm_p == norm_t else 0.0
        return float(np.dot(ep, et) / (norm_p * norm_t))

    return _per_item(one, pred, target)


def audio_metrics(
    pred: np.ndarray, target: np.ndarray, sample_rate: int = DEFAULT_SAMPLE_RATE
) -> dict[str, np.ndarray]:
    """All four real-synth audio metrics per item.

    Args:
        pred: predicted audio, ``(N, C, T)`` or ``(C, T)``.
        target: target audio, same shape.
        sample_rate: sample rate in Hz.

    Returns:
        ``{"mss", "wmfcc", "sot", "rms_cos"}`` to arrays of shape ``(N,)``; ``rms_cos`` is
        higher-is-better, the others lower-is-better.
    """
    pred, target = _pair(pred, target)
    return {
        "mss": multiscale_spectral_distance(pred, target, sample_rate),
        "wmfcc": warped_mfcc_distance(pred, target, sample_rate),
        "sot": spectral_optimal_transport(pred, target, sample_rate),
        "rms_cos": rms_envelope_similarity(pred, target, sample_rate),
    }
