"""Numpy signal-processing primitives shared by features, metrics and serving (no torch).

Everything here is deterministic and frozen-array friendly: windows and filterbanks are plain
arrays that can be stored in a model bundle and reused by the torch training path.
"""

from __future__ import annotations

import numpy as np


def hann_window(n: int) -> np.ndarray:
    """Periodic Hann window of length ``n`` (as scipy ``fftbins=True`` / ``torch.hann_window``)."""
    return np.hanning(n + 1)[:-1].astype(np.float64)


def hz_to_mel(freq_hz: np.ndarray | float) -> np.ndarray:
    """Slaney mel scale (linear below 1 kHz, logarithmic above), as librosa's default."""
    f = np.asarray(freq_hz, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(
        f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-12) / min_log_hz) / logstep, mels
    )


def mel_to_hz(mels: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    m = np.asarray(mels, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, fmin_hz: float = 0.0, fmax_hz: float | None = None
) -> np.ndarray:
    """Slaney-normalised triangular mel filterbank, shape ``(n_mels, n_fft // 2 + 1)``."""
    fmax_hz = sample_rate / 2 if fmax_hz is None else fmax_hz
    if not 0 <= fmin_hz < fmax_hz <= sample_rate / 2:
        raise ValueError(
            f"mel range {fmin_hz}..{fmax_hz} Hz does not fit sample rate {sample_rate}"
        )
    fft_freqs = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)
    mel_pts = mel_to_hz(np.linspace(hz_to_mel(fmin_hz), hz_to_mel(fmax_hz), n_mels + 2))
    fdiff = np.diff(mel_pts)
    ramps = mel_pts[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_pts[2 : n_mels + 2] - mel_pts[:n_mels])
    return weights * enorm[:, None]


def frame_signal(audio: np.ndarray, n_fft: int, hop: int, center: bool = True) -> np.ndarray:
    """Split ``(..., T)`` audio into frames ``(..., n_frames, n_fft)``.

    With ``center`` the signal is zero-padded by ``n_fft // 2`` on both sides, so there are
    ``1 + T // hop`` frames (librosa's ``pad_mode='constant'``). The frames are a read-only
    strided view of the (padded) signal, not a copy: windowing them makes the one copy.
    """
    if center:
        pad = [(0, 0)] * (audio.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        audio = np.pad(audio, pad)
    length = audio.shape[-1]
    if length < n_fft:
        audio = np.pad(audio, [(0, 0)] * (audio.ndim - 1) + [(0, n_fft - length)])
    return np.lib.stride_tricks.sliding_window_view(audio, n_fft, axis=-1)[..., ::hop, :]


def stft_magnitude(
    audio: np.ndarray, n_fft: int, hop: int, window: np.ndarray | None = None, center: bool = True
) -> np.ndarray:
    """Magnitude STFT, ``(..., T)`` to ``(..., n_fft // 2 + 1, n_frames)``."""
    window = hann_window(n_fft) if window is None else window
    frames = frame_signal(audio, n_fft, hop, center) * window
    return np.abs(np.fft.rfft(frames, axis=-1)).swapaxes(-1, -2)


RESAMPLE_BLOCK_ELEMENTS = 1 << 16
"""Gathered input samples (channels x outputs x taps) per block of :func:`resample`."""


def _resample_ratio(orig_sr: int, target_sr: int) -> tuple[int, int]:
    if orig_sr <= 0 or target_sr <= 0:
        raise ValueError(f"sample rates must be positive, got {orig_sr} and {target_sr}")
    g = int(np.gcd(int(orig_sr), int(target_sr)))
    return int(target_sr) // g, int(orig_sr) // g


def resample_support(orig_sr: int, target_sr: int) -> int:
    """Input samples on either side of an output sample that :func:`resample` reads: crop a
    window with this much margin and the resampled window equals the resampled whole."""
    up, down = _resample_ratio(orig_sr, target_sr)
    return int(np.ceil(16 / min(1.0, up / down))) + 1


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Band-limited resampling along the last axis (windowed-sinc polyphase, numpy only).

    Uses a Kaiser-windowed sinc low-pass at the lower Nyquist frequency. Good enough for
    analysis features; not meant for mastering. Works in float32, a block of output samples at
    a time, so that besides the float32 output it needs only about
    :data:`RESAMPLE_BLOCK_ELEMENTS` samples of scratch memory, whatever the input length.
    """
    up, down = _resample_ratio(orig_sr, target_sr)
    if up == down:
        return np.asarray(audio).astype(np.float32, copy=False)
    a = np.asarray(audio)
    lead, n_in = a.shape[:-1], a.shape[-1]
    flat = a.reshape(-1, n_in)
    n_out = -(-n_in * up // down)
    cutoff = min(1.0, up / down)  # relative to the input Nyquist
    half_width = int(np.ceil(16 / cutoff))
    taps = np.arange(-half_width + 1, half_width + 1)
    beta = 8.6
    out = np.empty((flat.shape[0], n_out), dtype=np.float32)
    block = max(1, RESAMPLE_BLOCK_ELEMENTS // (taps.size * max(1, flat.shape[0])))
    for m0 in range(0, n_out, block):
        # Output sample m sits at input position m * down / up = base + frac.
        m = np.arange(m0, min(n_out, m0 + block), dtype=np.int64)
        base = (m * down) // up
        frac = ((m * down) % up) / up
        idx = base[:, None] + taps[None, :]
        dist = frac[:, None] - taps[None, :]
        # Kaiser window at each tap's fractional distance, so the gain is unity at DC.
        ramp = np.sqrt(np.clip(1.0 - (dist / half_width) ** 2, 0.0, 1.0))
        kernel = (cutoff * np.sinc(cutoff * dist) * np.i0(beta * ramp) / np.i0(beta)).astype(
            np.float32
        )
        kernel *= (idx >= 0) & (idx < n_in)
        gathered = flat[:, np.clip(idx, 0, n_in - 1)].astype(np.float32, copy=False)
        out[:, m0 : m0 + m.size] = np.einsum("cbt,bt->cb", gathered, kernel)
    return out.reshape(*lead, n_out)
