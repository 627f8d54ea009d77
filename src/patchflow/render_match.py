"""Files of a match (used by ``patchflow match --out``): audio, a picture, candidates.

For an input ``kick.wav`` the folder gets ``kick.match.wav`` (the chosen patch rendered),
``kick.heard.wav`` (the input as the search heard it: mixed, resampled, trimmed and cut to the
synth's length), ``kick.candidate-<rank>.wav`` for each of the top candidates and
``kick.match.png``: mel spectrograms of input and match side by side on one dB scale, and the
search's score against time. Files are named after the input, so several inputs can share a
folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from patchflow.dsp import mel_filterbank, stft_magnitude

SHORT_CLIP = 4096  # samples; shorter clips (k-osc's 1024) get a finer hop
DYNAMIC_RANGE_DB = 80.0


def spectrogram_db(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """A display spectrogram of mono-mixed ``(C, T)`` audio in dB, ``(F, frames)``."""
    mono = audio.mean(axis=0)
    n_fft = 256 if len(mono) <= SHORT_CLIP else 2048
    hop = n_fft // 4
    mag = stft_magnitude(mono, n_fft, hop)
    return 20 * np.log10(np.maximum(mag, 1e-6))


def mel_spectrogram_db(audio: np.ndarray, sample_rate: int, n_mels: int = 96) -> np.ndarray:
    """A display mel spectrogram of mono-mixed ``(C, T)`` audio in dB, ``(n_mels, frames)``."""
    mono = np.asarray(audio, np.float64).mean(axis=0)
    n_fft, hop = (1024, 32) if len(mono) <= SHORT_CLIP else (2048, 256)
    power = mel_filterbank(sample_rate, n_fft, n_mels) @ stft_magnitude(mono, n_fft, hop) ** 2
    return 10 * np.log10(np.maximum(power, 1e-12))


@dataclass(frozen=True)
class MatchPicture:
    """What ``<stem>.match.png`` shows.

    Attributes:
        target: The input as heard ``(C, T)``.
        match: The chosen patch rendered ``(C, T)``.
        sample_rate: Their rate in Hz.
        times_s: When the search improved (seconds from its start).
        scores: The best score at each of those times.
        scorer: The distance's name (``lsd``, ``mss``).
        title: Figure title.
    """

    target: np.ndarray
    match: np.ndarray
    sample_rate: int
    times_s: Sequence[float]
    scores: Sequence[float]
    scorer: str
    title: str


def plot_match(picture: MatchPicture, path: Path) -> None:
    """Draw ``picture`` to a PNG file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = picture
    fig, axes = plt.subplots(
        1, 3, figsize=(13, 3.8), constrained_layout=True, gridspec_kw={"width_ratios": [1, 1, 0.8]}
    )
    mels = [mel_spectrogram_db(a, p.sample_rate) for a in (p.target, p.match)]
    vmax = max(float(m.max()) for m in mels)
    duration_s = p.target.shape[-1] / p.sample_rate
    image = None
    for ax, mel, label in zip(axes[:2], mels, ("input", "match"), strict=True):
        image = ax.imshow(mel, origin="lower", aspect="auto", cmap="magma",
                          vmin=vmax - DYNAMIC_RANGE_DB, vmax=vmax,
                          extent=(0, duration_s * 1000, 0, mel.shape[0]))  # fmt: skip
        ax.set_title(label)
        ax.set_xlabel("time (ms)")
    axes[0].set_ylabel("mel band")
    axes[1].sharey(axes[0])
    assert image is not None  # two panels were drawn
    fig.colorbar(image, ax=axes[:2], label="dB (one scale)")
    ax = axes[2]
    finite = [(t, s) for t, s in zip(p.times_s, p.scores, strict=True) if np.isfinite(s)]
    if finite:
        times, scores = zip(*finite, strict=True)
        ax.step(times, scores, where="post", marker="o", ms=3)
    ax.set_xlabel("search time (s)")
    ax.set_ylabel(f"best {p.scorer.upper()} (lower is better)")
    ax.set_title("score against time")
    ax.grid(alpha=0.3)
    fig.suptitle(p.title)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_match_files(
    out: Path,
    stem: str,
    picture: MatchPicture,
    candidates: Sequence[np.ndarray],
) -> list[Path]:
    """Write the match's WAVs and PNG to ``out`` (see the module docstring); returns the paths.

    Args:
        out: Folder (created if needed).
        stem: The input file's stem.
        picture: Input, match, score history.
        candidates: Audio ``(C, T)`` of the top candidates, best first.
    """
    import soundfile as sf

    out.mkdir(parents=True, exist_ok=True)
    sr = picture.sample_rate
    paths = [out / f"{stem}.match.wav", out / f"{stem}.heard.wav", out / f"{stem}.match.png"]
    sf.write(paths[0], picture.match.T, sr)
    sf.write(paths[1], picture.target.T, sr)
    plot_match(picture, paths[2])
    for rank, audio in enumerate(candidates, start=1):
        path = out / f"{stem}.candidate-{rank}.wav"
        sf.write(path, np.asarray(audio).T, sr)
        paths.append(path)
    return paths
