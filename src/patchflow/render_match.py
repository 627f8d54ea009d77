"""Re-render a match with the synth and draw target versus match (used by ``patchflow match``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from patchflow.dsp import stft_magnitude
from patchflow.synths.base import notes_for
from patchflow.synths.registry import create_synth


def render_prediction(card: Any, native: np.ndarray) -> np.ndarray:
    """Audio ``(N, C, T)`` of native parameter sets with the bundle's synth."""
    synth = create_synth(card.synth_id, **card.synth_options)
    return synth.render(native, notes_for(card.spec, native))


def spectrogram_db(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """A display spectrogram of mono-mixed ``(C, T)`` audio in dB, ``(F, frames)``."""
    mono = audio.mean(axis=0)
    n_fft = 256 if len(mono) <= 4096 else 2048
    hop = n_fft // 4
    mag = stft_magnitude(mono, n_fft, hop)
    return 20 * np.log10(np.maximum(mag, 1e-6))


def plot_pair(
    target: np.ndarray, match: np.ndarray, sample_rate: int, path: Path, title: str
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if target.shape[-1] <= SHORT_CLIP:
        _plot_spectra(plt, target, match, sample_rate, path, title)
        return
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True, constrained_layout=True)
    vmax = max(spectrogram_db(target, sample_rate).max(), spectrogram_db(match, sample_rate).max())
    for ax, audio, label in zip(axes, (target, match), ("target", "match"), strict=True):
        s = spectrogram_db(audio, sample_rate)
        dur = audio.shape[-1] / sample_rate
        im = ax.imshow(s, origin="lower", aspect="auto", vmin=vmax - 80, vmax=vmax, cmap="magma",
                       extent=(0, dur, 0, sample_rate / 2000))  # fmt: skip
        ax.set_title(label)
        ax.set_xlabel("time (s)")
    axes[0].set_ylabel("frequency (kHz)")
    fig.colorbar(im, ax=axes, label="dB")
    fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)


SHORT_CLIP = 4096  # samples; shorter clips (k-osc's 1024) are drawn as whole-clip spectra


def _plot_spectra(
    plt, target: np.ndarray, match: np.ndarray, sr: int, path: Path, title: str
) -> None:
    """Magnitude spectra (dB) of the whole clips, overlaid: what k-osc's model and LSD see."""
    fig, ax = plt.subplots(figsize=(10, 3.6), constrained_layout=True)
    for audio, label in ((target, "target"), (match, "match")):
        mono = audio.mean(axis=0)
        mag = np.abs(np.fft.rfft(mono * np.hanning(len(mono)))) / len(mono)
        freqs = np.fft.rfftfreq(len(mono), 1 / sr)
        ax.plot(freqs / 1000, 20 * np.log10(np.maximum(mag, 1e-6)), label=label, lw=1)
    ax.set_xlabel("frequency (kHz)")
    ax.set_ylabel("magnitude (dB)")
    ax.set_xlim(0, min(sr / 2000, 8))
    ax.legend()
    ax.set_title(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_match(bundle: Any, target: np.ndarray, prediction: Any, out: Path) -> list[Path]:
    """Write ``match.wav``, ``heard.wav`` (the input as the model heard it: mixed, resampled,
    trimmed and cut to the model's length) and ``match.png`` to ``out``."""
    import soundfile as sf

    out.mkdir(parents=True, exist_ok=True)
    card = bundle.card
    audio = render_prediction(card, prediction.native)[0]
    sr = card.sample_rate
    paths = [out / "match.wav", out / "heard.wav", out / "match.png"]
    sf.write(paths[0], audio.T, sr)
    sf.write(paths[1], target.T, sr)
    plot_pair(target, audio, sr, paths[2], f"{bundle.name}: target vs match")
    return paths
