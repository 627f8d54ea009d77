"""Fundamental frequency of a short clip (YIN-style, numpy only) and note placement for a spec.

:func:`estimate_pitch` answers one question for a clip of about a second holding one note: which
fractional MIDI note is its fundamental, how sure is that, or is the clip unpitched (noise,
drums)? It follows YIN (de Cheveigne and Kawahara 2002):

1. The clip is mixed to mono, its leading silence cut, its first half second kept, resampled
   to 11025 Hz (with a gentle treble cut) and split into frames (:class:`PitchSettings`); quiet
   frames are dropped.
2. Each frame's difference function ``d(tau) = sum_j (x_j - x_{j + tau})^2`` comes from one
   batched FFT, on a lag grid :data:`LAG_UPSAMPLING` times finer than a sample (at high notes
   the period falls between two samples, and a bright tone's dip is narrow), and is normalised by
   its cumulative mean (CMNDF: about 0 at the period of a clean tone, about 1 for noise).
3. The per-lag median over the frames that repeat at all is the clip's curve: a transient, the
   note-off or a noisy stretch cannot move it.
4. The period is the curve's first dip under :data:`THRESHOLD`, so the true fundamental wins
   over subharmonics (multiples of the period, whose dips are no deeper). A strong harmonic can
   pull a dip under the threshold at a fraction of the period (a strong 2nd or 3rd harmonic, a
   missing fundamental); then a later dip is much deeper, and it wins if the spectrum really
   holds the harmonics the longer period adds. Parabolic interpolation refines the lag.

The depth of the chosen dip is the clip's aperiodicity. With the share of frames that repeat at
the chosen period it gives the confidence; a shallow dip or a low confidence means unpitched.
About 1 ms for a clip at 44.1 kHz on one core (``benchmarks/first_answer_stages.py``).

:func:`place_note` turns an estimate into the note a spec's synth plays: the nearest MIDI note,
moved by whole octaves into the range of the spec's pitch parameter, or the parameter's default
for unpitched input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from patchflow.spec import SynthSpec

WORK_RATE_HZ = 11025  # above 2 x FMAX_HZ
TILT_HZ = 3000.0  # first-order treble cut above this: tames a bright tone's top octaves
FMIN_HZ = 28.0  # below MIDI 24 (32.7 Hz)
FMAX_HZ = 3000.0  # above MIDI 96 (2093 Hz)
WINDOW_S = 0.05  # YIN's integration window: 1.4 periods at FMIN_HZ
HOP_S = 0.08  # frames are 86 ms long: they tile the clip
MAX_ANALYSIS_S = 0.5  # the first half second after the onset
ACTIVE_FRAME_DB = -35.0  # frames quieter than this (re. the loudest frame) are ignored
SILENCE_RMS = 1e-5  # a clip whose loudest frame is quieter than this is unpitched
LAG_UPSAMPLING = 4  # lag grid steps per sample
FRAME_PERIODIC = 0.5  # a frame whose CMNDF dips under this somewhere repeats
THRESHOLD = 0.15  # YIN's absolute threshold on the CMNDF
OCTAVE_MIN_DEPTH = 0.02  # a dip this deep is the period: no later dip can replace it
OCTAVE_RATIO = 0.5  # a later dip this much deeper than the chosen one replaces it...
NEW_HARMONICS = 3e-3  # ... if the harmonics it adds hold this share of the power...
NEW_PEAK_RATIO = 4.0  # ... in peaks this much denser than the spectrum around them
UNPITCHED_APERIODICITY = 0.4  # a chosen dip shallower than this: unpitched
FRAME_AGREEMENT_SEMITONES = 0.5  # a frame agrees if it dips this close to the chosen period
MIN_CONFIDENCE = 0.3  # below this: unpitched


@dataclass(frozen=True)
class PitchSettings:
    """What the analysis costs: its working rate, frame hop and length of clip analysed.

    The defaults are what matching uses. ``python benchmarks/pitch_accuracy.py --compare``
    measures others (``docs/results/pitch_accuracy.md``): on its test sets the earlier 22050
    Hz, 40 ms hop and whole second, together, found the same notes in 2.8 times the time.

    Attributes:
        work_rate_hz: The rate the clip is resampled to (more than twice FMAX_HZ).
        hop_s: Hop between analysis frames (frames are 86 ms long).
        analysis_s: Seconds analysed from the onset on.
    """

    work_rate_hz: int = WORK_RATE_HZ
    hop_s: float = HOP_S
    analysis_s: float = MAX_ANALYSIS_S

    def __post_init__(self) -> None:
        if not self.work_rate_hz > 2 * FMAX_HZ:
            raise ValueError(f"work rate must exceed {2 * FMAX_HZ:g} Hz, got {self.work_rate_hz}")
        if not (self.hop_s > 0 and self.analysis_s > 0):
            raise ValueError(f"hop and analysis length must be positive, got {self}")


@dataclass(frozen=True)
class PitchEstimate:
    """A clip's fundamental.

    Attributes:
        midi: Fractional MIDI note of the fundamental (69.0 = 440 Hz); ``None`` when unpitched.
        f0_hz: The fundamental in Hz; ``None`` when unpitched.
        confidence: 0 (no idea) to 1 (a clean, steady tone).
    """

    midi: float | None
    f0_hz: float | None
    confidence: float

    @property
    def pitched(self) -> bool:
        """Whether the clip has a fundamental (``midi`` is not ``None``)."""
        return self.midi is not None


@dataclass(frozen=True)
class NotePlacement:
    """The note a spec's synth plays for an input.

    Attributes:
        note: MIDI note every candidate is rendered at (inside the spec's pitch range).
        detected: The estimate's fractional MIDI note; ``None`` when unpitched.
        octaves_shifted: Octaves the note was moved to get into range (+ up, - down, 0 if none).
        confidence: The estimate's confidence.
    """

    note: int
    detected: float | None
    octaves_shifted: int
    confidence: float


def hz_to_midi(f0_hz: float) -> float:
    """Fractional MIDI note of a frequency (440 Hz = 69)."""
    return 69.0 + 12.0 * math.log2(f0_hz / 440.0)


def midi_to_hz(midi: float) -> float:
    """Frequency of a fractional MIDI note."""
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def estimate_pitch(
    audio: np.ndarray, sample_rate: int, settings: PitchSettings | None = None
) -> PitchEstimate:
    """Estimate the fundamental of a clip holding one note.

    Args:
        audio: ``(T,)`` mono or ``(C, T)`` channels-first audio at any sample rate.
        sample_rate: Its sample rate in Hz.
        settings: Analysis settings (default: :class:`PitchSettings`'s defaults).

    Returns:
        The fundamental as a fractional MIDI note and in Hz with a confidence, or an unpitched
        estimate (``midi`` and ``f0_hz`` ``None``) for noise, drums and silence.

    Raises:
        ValueError: If the audio is not ``(T,)`` or ``(C, T)`` with at most 64 channels, is not
            finite, or the rate is not positive.
    """
    s = PitchSettings() if settings is None else settings
    mono = _mono(audio, sample_rate, s.analysis_s)
    if mono.size == 0:
        return PitchEstimate(None, None, 0.0)
    x, rate = _resample(mono, sample_rate, s.work_rate_hz)
    window = round(WINDOW_S * rate)
    tau_min = math.floor(rate / FMAX_HZ)
    tau_max = math.ceil(rate / FMIN_HZ)
    frames = _frames(x, window + tau_max + 1, round(s.hop_s * rate))
    energy = np.sum(frames[:, :window] ** 2, axis=1)
    if energy.max() <= window * SILENCE_RMS**2:
        return PitchEstimate(None, None, 0.0)
    active = frames[energy >= energy.max() * 10 ** (ACTIVE_FRAME_DB / 10)]
    up = LAG_UPSAMPLING
    cmndf = _cmndf(_difference(active, window, tau_max))  # (F, tau_max * up + 1)
    periodic = cmndf[:, tau_min * up :].min(axis=1) < FRAME_PERIODIC
    # The median over the frames that repeat at all: a transient, the note-off or a noisy
    # stretch cannot move it, and one note has one period.
    curve = _median_rows(cmndf[periodic] if periodic.any() else cmndf)
    tau_fine, aperiodicity = _pick_period(curve, tau_min * up, _Spectrum(x, rate, up))
    if tau_fine is None or aperiodicity > UNPITCHED_APERIODICITY:
        return PitchEstimate(None, None, 0.0)
    tau = tau_fine / up
    agreement = _frame_agreement(cmndf, tau_fine)
    confidence = float(np.clip((1.0 - aperiodicity) * agreement, 0.0, 1.0))
    if confidence < MIN_CONFIDENCE:
        return PitchEstimate(None, None, confidence)
    f0_hz = rate / tau
    return PitchEstimate(hz_to_midi(f0_hz), f0_hz, confidence)


def place_note(estimate: PitchEstimate, spec: SynthSpec) -> NotePlacement | None:
    """The note to render candidates at: the detected note moved by octaves into the spec's range.

    Args:
        estimate: The input's pitch.
        spec: The synth's spec; its ``note_field == "pitch"`` parameter gives the range.

    Returns:
        The placement, the parameter's default note for unpitched input, or ``None`` when the spec
        has no pitch note parameter (k-osc: pitch lives in the oscillator frequencies).
    """
    j = spec.note_index
    if j is None:
        return None
    p = spec.params[j]
    lo, hi = math.ceil(p.min), math.floor(p.max)
    if estimate.midi is None:
        default = int(np.clip(round(p.default), lo, hi))
        return NotePlacement(default, None, 0, estimate.confidence)
    note = round(estimate.midi)
    shift = 0
    while note + 12 * shift < lo:
        shift += 1
    while note + 12 * shift > hi:
        shift -= 1
    placed = note + 12 * shift
    if placed < lo:  # a range narrower than an octave: the nearest end
        placed = lo
    return NotePlacement(int(placed), float(estimate.midi), shift, estimate.confidence)


# ------------------------------------------------------------------------------ internals


def _mono(audio: np.ndarray, sample_rate: int, seconds: float) -> np.ndarray:
    a = np.asarray(audio, dtype=np.float64)
    if a.ndim not in (1, 2) or (a.ndim == 2 and not 1 <= a.shape[0] <= 64):
        raise ValueError(
            f"audio must be (samples,) or (channels, samples) with 1 to 64 channels, "
            f"got shape {a.shape}"
        )
    if a.ndim == 2:
        a = a.mean(axis=0)
    if not sample_rate > 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    if not np.all(np.isfinite(a)):
        raise ValueError("audio contains NaN or infinite samples")
    peak = np.max(np.abs(a)) if a.size else 0.0
    onset = int(np.argmax(np.abs(a) >= 0.01 * peak)) if peak > 0 else 0
    return a[onset : onset + round(seconds * sample_rate)]


def _resample(x: np.ndarray, rate: int, target: int) -> tuple[np.ndarray, float]:
    """Band-limited resampling (zero-padded or truncated spectrum) with a gentle treble cut.

    Both FFT lengths are rounded up to fast sizes (the input padded with silence), so the
    output's rate, which is returned, is ``target`` to within a fraction of a percent. The cut
    (first order above TILT_HZ) keeps every harmonic but tames a bright tone's top octaves.
    """
    n_in = _fast_size(x.size)
    n_out = _fast_size(max(2, round(n_in * target / rate)))
    spectrum = np.fft.rfft(x, n_in)
    bins = n_out // 2 + 1
    if bins <= spectrum.size:
        spectrum = spectrum[:bins]
    else:
        spectrum = np.pad(spectrum, (0, bins - spectrum.size))
    out_rate = rate * n_out / n_in
    freqs_hz = np.arange(bins) * (out_rate / n_out)
    spectrum = spectrum / np.sqrt(1.0 + (freqs_hz / TILT_HZ) ** 2)
    return np.fft.irfft(spectrum, n_out) * (n_out / n_in), out_rate


def _frames(x: np.ndarray, length: int, hop: int) -> np.ndarray:
    """Overlapping frames ``(F, length)``; a short clip is zero-padded to one frame."""
    if x.size < length:
        x = np.pad(x, (0, length - x.size))
    count = 1 + (x.size - length) // hop
    idx = np.arange(length)[None, :] + hop * np.arange(count)[:, None]
    return x[idx]


def _difference(frames: np.ndarray, window: int, tau_max: int) -> np.ndarray:
    """``d(tau) = sum_j (x_j - x_{j + tau})^2`` per frame, ``(F, tau_max * U + 1)``.

    Lags run ``0, 1/U, 2/U, ... tau_max`` (``U = LAG_UPSAMPLING``): the cross-correlation is
    interpolated band-limited (zero-padded spectrum), the slowly varying energy terms linearly.
    At high notes the period falls between two samples, and a bright tone's difference at the
    nearest integer lag is far from 0.
    """
    n_fft = _fast_size(frames.shape[1])
    up = LAG_UPSAMPLING
    cross = np.fft.rfft(frames, n_fft) * np.conj(np.fft.rfft(frames[:, :window], n_fft))
    # the upsampled inverse FFT is the largest; float32 halves it, and d(tau) near 0 stays
    # exact enough: the energies below are float64
    corr = np.fft.irfft(cross.astype(np.complex64), n_fft * up)[:, : tau_max * up + 1] * up
    sq = np.cumsum(np.pad(frames**2, ((0, 0), (1, 0))), axis=1)
    # energies at whole lags 0..tau_max + 1, then linear in between: (F, tau_max + 1, U) steps
    e = sq[:, window : window + 1] + sq[:, window : window + tau_max + 2] - sq[:, : tau_max + 2]
    steps = np.arange(up) / up
    energy = e[:, :-1, None] + (e[:, 1:] - e[:, :-1])[:, :, None] * steps
    energy = energy.reshape(len(e), -1)[:, : tau_max * up + 1]
    energy -= 2.0 * corr
    return np.maximum(energy, 0.0, out=energy)


def _median_rows(rows: np.ndarray) -> np.ndarray:
    """Per-column median of ``(F, L)`` rows (np.median's result, by one sort of a few rows)."""
    f = len(rows)
    ordered = np.sort(rows, axis=0)
    return 0.5 * (ordered[(f - 1) // 2] + ordered[f // 2])


def _fast_size(n: int) -> int:
    """The smallest FFT length >= ``n`` with no prime factor above 7."""
    while True:
        m = n
        for p in (2, 3, 5, 7):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def _cmndf(diff: np.ndarray) -> np.ndarray:
    """Cumulative-mean-normalised difference: 1 at lag 0, near 0 at the period of a clean tone."""
    lags = np.arange(diff.shape[1])
    cum = np.cumsum(diff[:, 1:], axis=1)
    out = np.ones_like(diff)
    out[:, 1:] = diff[:, 1:] * lags[1:] / np.maximum(cum, 1e-20)
    return out


def _pick_period(
    cmndf: np.ndarray, tau_min: int, spectrum: _Spectrum | None = None
) -> tuple[float | None, float]:
    """YIN steps 4-5 on one CMNDF: the first dip under the threshold (else the deepest one).

    A strong harmonic can pull a shallow dip under the threshold at a fraction of the period
    (half, a third, two thirds); the true period's dip is then much deeper. So while the chosen
    dip is not clearly the period, the next dip that is OCTAVE_RATIO times deeper replaces it,
    provided the clip's ``spectrum`` has power at the harmonics that longer period adds (a dip
    can also be deeper by luck: a naive oscillator's aliasing repeats better at some multiples
    of the period). The lag is refined by parabolic interpolation.

    Returns:
        The lag in grid steps (``None`` if no dip in range) and the CMNDF there (aperiodicity).
    """
    d = cmndf
    last = d.size - 2
    start = max(tau_min, 1)
    while start < last and d[start] > d[start - 1]:  # the rising side of a dip below range
        start += 1
    if start >= last:
        return None, 1.0
    below = np.flatnonzero(d[start:last] < THRESHOLD)
    if below.size:
        tau = _dip_bottom(d, start + int(below[0]), THRESHOLD)
    else:
        tau = start + int(np.argmin(d[start:last]))
    best = _refine(d, tau)
    while best[1] > OCTAVE_MIN_DEPTH:
        level = OCTAVE_RATIO * best[1]
        deeper = np.flatnonzero(d[tau + 1 : last] < level)
        if not deeper.size:
            break
        longer = _dip_bottom(d, tau + 1 + int(deeper[0]), level)
        candidate = _refine(d, longer)
        if spectrum is not None and not spectrum.adds_harmonics(best[0], candidate[0]):
            break
        tau, best = longer, candidate
    return best


class _Spectrum:
    """The clip's Hann-windowed power spectrum, computed on first use.

    Args:
        x: The clip at the working rate.
        rate: That rate in Hz.
        up: Lags are given in steps of ``1 / up`` samples.
    """

    def __init__(self, x: np.ndarray, rate: float, up: int) -> None:
        self.x, self.rate, self.lag_rate = x, rate, rate * up
        self._power: np.ndarray | None = None

    def adds_harmonics(self, lag: float, longer_lag: float) -> bool:
        """Whether the harmonics of ``1 / longer_lag`` that are not harmonics of ``1 / lag`` are
        really there: NEW_HARMONICS of the power, in peaks NEW_PEAK_RATIO times denser than the
        spectrum between the harmonics (aliasing and noise spread evenly)."""
        if self._power is None:
            self._power = np.abs(np.fft.rfft(self.x * np.hanning(self.x.size))) ** 2
        power = self._power
        bin_hz = self.rate / max(self.x.size, 1)
        freqs_hz = np.arange(power.size) * bin_hz
        f_new, f_old = self.lag_rate / longer_lag, self.lag_rate / lag
        half_hz = min(3 * bin_hz, f_new / 4)
        near_new = np.abs(freqs_hz - np.round(freqs_hz / f_new) * f_new) <= half_hz
        near_new &= freqs_hz >= f_new - half_hz
        near_old = np.abs(freqs_hz - np.round(freqs_hz / f_old) * f_old) <= half_hz
        added = near_new & ~near_old
        if not added.any():
            return False
        # the background: the bins between harmonics within one new fundamental of an added one
        reach = max(1, round(f_new / bin_hz))
        count = np.concatenate([[0], np.cumsum(added)])
        idx = np.arange(power.size)
        local = count[np.minimum(idx + reach + 1, power.size)] > count[np.maximum(idx - reach, 0)]
        gaps = local & ~near_new & ~near_old
        share = power[added].sum() / max(power.sum(), 1e-30)
        background = power[gaps].mean() if gaps.any() else 0.0
        return bool(share >= NEW_HARMONICS and power[added].mean() >= NEW_PEAK_RATIO * background)


def _dip_bottom(d: np.ndarray, tau: int, level: float) -> int:
    """The lowest point of the stretch under ``level`` that starts at ``tau`` (the median curve
    wiggles, so walking downhill could stop early)."""
    stop = d.size - 1
    above = np.flatnonzero(d[tau:stop] >= level)
    end = tau + int(above[0]) if above.size else stop
    return tau + int(np.argmin(d[tau : max(end, tau + 1)]))


def _refine(d: np.ndarray, tau: int) -> tuple[float, float]:
    """Parabolic interpolation of the dip at grid point ``tau``: its lag and depth."""
    a, b, c = d[tau - 1], d[tau], d[tau + 1]
    curve = a - 2.0 * b + c
    offset = float(np.clip(0.5 * (a - c) / curve, -0.5, 0.5)) if curve > 0 else 0.0
    return tau + offset, float(max(b - 0.25 * (a - c) * offset, 0.0))


def _frame_agreement(cmndf: np.ndarray, tau: float) -> float:
    """Share of frames that repeat at the global period ``tau`` (in grid steps): their CMNDF
    within FRAME_AGREEMENT_SEMITONES of it dips under FRAME_PERIODIC."""
    lo = max(1, math.floor(tau * 2 ** (-FRAME_AGREEMENT_SEMITONES / 12)))
    hi = min(cmndf.shape[1] - 1, math.ceil(tau * 2 ** (FRAME_AGREEMENT_SEMITONES / 12)))
    near = cmndf[:, lo : hi + 1].min(axis=1)
    return float(np.mean(near < FRAME_PERIODIC))
