"""k-osc synthesis: pitch, band limiting, symmetry."""

import numpy as np
import pytest

from patchflow.synths.kosc import KOsc, oscillator_bank


def test_sine_peak_on_expected_bin():
    synth = KOsc(k=1)
    sr, n = synth.sample_rate, synth.num_samples
    for bin_index in (12, 40, 90):
        freq = bin_index * sr / n
        audio = synth.render([[freq, 1.0, -1.0]])[0, 0]
        spectrum = np.abs(np.fft.rfft(audio))
        assert int(np.argmax(spectrum)) == bin_index
        # pure sine: amplitude 1, mean over one oscillator
        assert np.max(np.abs(audio)) == pytest.approx(1.0, abs=1e-3)


def test_encoded_frequency_is_linear():
    synth = KOsc(k=1)
    # p = 0 is the middle of 20..4000 Hz
    audio = synth.render_encoded(np.array([[0.0, 1.0, -1.0]]))[0, 0]
    long = KOsc(k=1, num_samples=44100).render([[2010.0, 1.0, -1.0]])[0, 0]
    np.testing.assert_allclose(audio, long[:1024], atol=1e-6)


def _alias_energy(signal: np.ndarray, freq: float, sr: float) -> float:
    """Energy away from the true harmonics (below Nyquist), as a fraction of the total."""
    n = len(signal)
    spec = np.abs(np.fft.rfft(signal * np.hanning(n))) ** 2
    freqs = np.fft.rfftfreq(n, 1 / sr)
    harmonics = np.arange(1, int(sr / 2 / freq) + 1) * freq
    near = np.min(np.abs(freqs[:, None] - harmonics[None, :]), axis=1) < 30.0
    return float(spec[~near].sum() / spec.sum())


@pytest.mark.parametrize("shape", [0.0, 1.0])  # square, saw
def test_polyblep_reduces_aliasing(shape):
    sr, n, freq = 44100.0, 1 << 15, 3123.0
    args = (np.array([freq]), np.array([shape]), sr, n)
    blep = oscillator_bank(*args)[0]
    naive = oscillator_bank(*args, naive=True)[0]
    a_blep, a_naive = _alias_energy(blep, freq, sr), _alias_energy(naive, freq, sr)
    assert a_blep < a_naive / 5, (a_blep, a_naive)


def test_waveform_crossfade_endpoints():
    sr, n = 44100.0, 2048
    f = np.array([441.0])
    sine = oscillator_bank(f, np.array([-1.0]), sr, n)[0]
    np.testing.assert_allclose(sine, -np.sin(2 * np.pi * 441.0 * np.arange(n) / sr), atol=1e-9)
    half = oscillator_bank(f, np.array([-0.5]), sr, n)[0]
    square = oscillator_bank(f, np.array([0.0]), sr, n)[0]
    np.testing.assert_allclose(half, 0.5 * sine + 0.5 * square, atol=1e-12)


def test_symmetric_variant_is_permutation_invariant():
    synth = KOsc(k=4)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (8, 12))
    perm = np.array([2, 0, 3, 1])
    cols = np.concatenate([perm, perm + 4, perm + 8])
    np.testing.assert_allclose(synth.render_encoded(x), synth.render_encoded(x[:, cols]), atol=1e-6)


def test_asymmetric_variant_is_not_permutation_invariant():
    synth = KOsc(k=4, asymmetric=True)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (8, 12))
    perm = np.array([2, 0, 3, 1])
    cols = np.concatenate([perm, perm + 4, perm + 8])
    diff = np.abs(synth.render_encoded(x) - synth.render_encoded(x[:, cols])).max(axis=(1, 2))
    assert np.all(diff > 1e-3)


def test_asymmetric_bands():
    synth = KOsc(k=4, asymmetric=True)
    x = -np.ones((1, 12))
    x[0, 4:8] = 1.0  # all amps 1
    native = synth.spec.decode(x)[0]
    np.testing.assert_allclose(native[:4], 20 + np.arange(4) * 3980 / 4)


def test_output_is_mean_over_oscillators():
    synth = KOsc(k=2)
    one = KOsc(k=1)
    a = one.render([[440.0, 1.0, 0.3]])
    b = one.render([[1250.0, 0.5, -0.7]])
    both = synth.render([[440.0, 1250.0, 1.0, 0.5, 0.3, -0.7]])
    np.testing.assert_allclose(both, (a + b) / 2, atol=1e-6)


def test_kosc_is_a_synth_and_a_context_manager():
    from patchflow.synths.base import Synth

    with KOsc(k=2) as synth:
        assert isinstance(synth, Synth)
        assert synth.render(np.zeros((1, 6))).shape == (1, 1, synth.num_samples)
    synth.close()  # a no-op for k-osc, safe to repeat


@pytest.mark.parametrize("asymmetric", [False, True])
def test_fast_renderer_matches_float64_renderer(asymmetric):
    spec = KOsc(k=4, asymmetric=asymmetric).spec
    native = spec.sample(np.random.default_rng(3), 256)
    # edge cases: range ends, pure sine / square / saw, silent, bins on exact wraps
    native[0] = [20.0, 4000.0, 441.0, 2205.0, 1.0, 1.0, 1.0, 0.0, -1.0, 0.0, 1.0, 0.5]
    native[1, 8:] = [-1.0, 0.0, 1.0, -0.25]
    slow = KOsc(k=4, asymmetric=asymmetric).render(native)
    fast = KOsc(k=4, asymmetric=asymmetric, fast=True).render(native)
    assert fast.dtype == np.float32 and fast.shape == slow.shape
    np.testing.assert_allclose(fast, slow, atol=1e-6)
