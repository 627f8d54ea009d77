"""Known-answer and property tests for patchflow.metrics (numpy only, fast)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from patchflow.metrics import (
    METRIC_BETTER,
    METRIC_KEYS,
    audio_metrics,
    chamfer_distance,
    dtw_symmetric2,
    linear_assignment_cost,
    log_spectral_distance,
    markdown_table,
    multiscale_spectral_distance,
    parameter_mse,
    rms_envelope_similarity,
    spectral_optimal_transport,
    summarize,
    to_tokens,
    warped_mfcc_distance,
)

SR = 44100


def _permute_oscillators(params: np.ndarray, k: int, perm: np.ndarray) -> np.ndarray:
    """Permute the (freq, amp, wave) triples of ``(N, 3k)`` vectors with one permutation."""
    blocks = params.reshape(params.shape[0], 3, k)
    return blocks[:, :, perm].reshape(params.shape[0], 3 * k)


def _flat_spectrum_signal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A signal whose rFFT (norm="forward") has magnitude exactly 1 in every bin."""
    spec = np.exp(2j * np.pi * rng.random(n // 2 + 1))
    spec[0] = 1.0
    spec[-1] = -1.0
    return np.fft.irfft(spec, n=n, norm="forward")


def _tone(freq_hz: float, duration_s: float, sr: int = SR) -> np.ndarray:
    t = np.arange(round(duration_s * sr)) / sr
    return np.sin(2 * np.pi * freq_hz * t)


# --------------------------------------------------------------------------- k-osc metrics


def test_to_tokens_layout() -> None:
    params = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])  # k=2: f=(1,2) a=(3,4) w=(5,6)
    np.testing.assert_array_equal(to_tokens(params, 2), [[[1, 3, 5], [2, 4, 6]]])
    with pytest.raises(ValueError):
        to_tokens(params, 3)


def test_lsd_identical_is_zero() -> None:
    x = np.random.default_rng(0).standard_normal((3, 1024))
    np.testing.assert_array_equal(log_spectral_distance(x, x), np.zeros(3))


def test_lsd_gain_of_ten_is_twenty_db() -> None:
    rng = np.random.default_rng(1)
    x = np.stack([_flat_spectrum_signal(1024, rng) for _ in range(4)])
    spec = np.fft.rfft(x, norm="forward")
    np.testing.assert_allclose(np.abs(spec), 1.0, atol=1e-9)  # no bin near the floor
    np.testing.assert_allclose(log_spectral_distance(10 * x, x), 20.0, atol=1e-9)
    # Channel axis (N, 1, T) is accepted.
    np.testing.assert_allclose(log_spectral_distance(x[:, None], 10 * x[:, None]), 20.0, atol=1e-9)


def test_lsd_floor_and_symmetry() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 5, 1024))
    np.testing.assert_allclose(log_spectral_distance(a, b), log_spectral_distance(b, a))
    # Silence vs a flat spectrum at 0 dB: every bin is 80 dB apart (floor at -80 dB).
    flat = _flat_spectrum_signal(1024, rng)[None]
    np.testing.assert_allclose(log_spectral_distance(np.zeros_like(flat), flat), 80.0)
    with pytest.raises(ValueError):
        log_spectral_distance(a, b[:, :512])


def test_parameter_mse_known() -> None:
    pred = np.array([[0.0, 0.0, 1.0, -1.0]])
    target = np.array([[1.0, 0.0, 1.0, 1.0]])
    np.testing.assert_allclose(parameter_mse(pred, target), [(1 + 4) / 4])


def test_linear_assignment_hand_example() -> None:
    # k=2 tokens (f, a, w): target t1=(0,0,0), t2=(1,1,1); pred p1=(0.9,1,1), p2=(0.1,0,0).
    target = np.array([[0.0, 1.0, 0.0, 1.0, 0.0, 1.0]])
    pred = np.array([[0.9, 0.1, 1.0, 0.0, 1.0, 0.0]])
    # Identity pairing: (0.81 + 1 + 1) * 2 / 6; swapped pairing: (0.01 + 0.01) / 6.
    np.testing.assert_allclose(parameter_mse(pred, target), [5.62 / 6])
    np.testing.assert_allclose(linear_assignment_cost(pred, target, 2), [0.02 / 6])
    # Chamfer: nearest neighbours are the swapped pairs, 0.01 mean per direction.
    np.testing.assert_allclose(chamfer_distance(pred, target, 2), [0.02])


@pytest.mark.parametrize("k", [1, 4, 8])
def test_permutation_invariance(k: int) -> None:
    rng = np.random.default_rng(k)
    target = rng.uniform(-1, 1, (6, 3 * k))
    permuted = _permute_oscillators(target, k, rng.permutation(k))
    np.testing.assert_allclose(linear_assignment_cost(permuted, target, k), 0.0, atol=1e-15)
    np.testing.assert_allclose(chamfer_distance(permuted, target, k), 0.0, atol=1e-15)


def test_linear_assignment_identity_optimal_equals_mse() -> None:
    rng = np.random.default_rng(3)
    k = 4
    target = rng.uniform(-1, 1, (8, 3 * k))
    pred = target + rng.normal(0, 0.01, target.shape)  # small noise: identity is optimal
    np.testing.assert_allclose(
        linear_assignment_cost(pred, target, k), parameter_mse(pred, target), rtol=1e-12
    )


@pytest.mark.parametrize("k", [2, 3, 5, 16])
def test_linear_assignment_is_min_over_permutations(k: int) -> None:
    rng = np.random.default_rng(10 + k)
    pred = rng.uniform(-1, 1, (200, 3 * k))
    target = rng.uniform(-1, 1, (200, 3 * k))
    lac = linear_assignment_cost(pred, target, k)
    mse = parameter_mse(pred, target)
    assert np.all(lac <= mse + 1e-12)
    assert np.all(lac >= 0)
    # Random permutations of the prediction never beat the optimum.
    for _ in range(5):
        shuffled = _permute_oscillators(pred, k, rng.permutation(k))
        assert np.all(lac <= parameter_mse(shuffled, target) + 1e-12)
    if k == 3:  # brute force over all 3! permutations
        import itertools

        best = np.min(
            [
                parameter_mse(_permute_oscillators(pred, k, np.array(p)), target)
                for p in itertools.permutations(range(k))
            ],
            axis=0,
        )
        np.testing.assert_allclose(lac, best, rtol=1e-12)


def test_chamfer_symmetric_and_nonnegative() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.uniform(-1, 1, (2, 10, 12))
    np.testing.assert_allclose(chamfer_distance(a, b, 4), chamfer_distance(b, a, 4))
    assert np.all(chamfer_distance(a, b, 4) > 0)


# --------------------------------------------------------------------------- audio metrics


@pytest.fixture(scope="module")
def sounds() -> dict[str, np.ndarray]:
    """Short stereo test sounds at 44.1 kHz, shape (2, T)."""
    rng = np.random.default_rng(5)
    dur = 0.5
    half = round(dur * SR / 2)
    melody = np.concatenate([_tone(440, dur / 2), _tone(880, dur / 2)])
    melody *= np.hanning(melody.size) ** 0.2
    shift = round(0.03 * SR)
    shifted = np.concatenate([np.zeros(shift), melody[:-shift]])
    other = np.concatenate([_tone(3000, dur / 2), 0.3 * rng.standard_normal(half)])
    return {
        "melody": np.stack([melody, 0.8 * melody]),
        "shifted": np.stack([shifted, 0.8 * shifted]),
        "other": np.stack([other, 0.8 * other]),
    }


def test_mss_known_properties(sounds: dict[str, np.ndarray]) -> None:
    x, y = sounds["melody"], sounds["other"]
    np.testing.assert_array_equal(multiscale_spectral_distance(x, x), [0.0])
    # Level normalised to each signal's own max: a gain change is invisible.
    np.testing.assert_allclose(multiscale_spectral_distance(0.1 * x, x), [0.0], atol=1e-9)
    d = multiscale_spectral_distance(np.stack([x, x]), np.stack([y, 0.5 * x]))
    assert d[0] > 1.0
    np.testing.assert_allclose(d[1], 0.0, atol=1e-9)


def _dtw_reference(cost: np.ndarray) -> float:
    """Plain double-loop symmetric2 DTW."""
    n, m = cost.shape
    g = np.full((n, m), np.inf)
    for i in range(n):
        for j in range(m):
            if i == 0 and j == 0:
                g[i, j] = cost[0, 0]
                continue
            best = math.inf
            if i > 0 and j > 0:
                best = min(best, g[i - 1, j - 1] + 2 * cost[i, j])
            if i > 0:
                best = min(best, g[i - 1, j] + cost[i, j])
            if j > 0:
                best = min(best, g[i, j - 1] + cost[i, j])
            g[i, j] = best
    return float(g[-1, -1])


@pytest.mark.parametrize("shape", [(1, 1), (1, 6), (6, 1), (2, 2), (7, 4), (5, 9), (13, 13)])
def test_dtw_matches_brute_force(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    for _ in range(3):
        cost = rng.random(shape)
        assert dtw_symmetric2(cost) == pytest.approx(_dtw_reference(cost), rel=1e-12)


def test_dtw_known_answers() -> None:
    # Zero cost along the diagonal: the diagonal path is free.
    cost = 1.0 - np.eye(5)
    assert dtw_symmetric2(cost) == 0.0
    # Constant cost c on an n x m grid: every path costs c * (n + m - 1) (the start counts once,
    # a diagonal step advances i + j by 2 at weight 2, a straight step by 1 at weight 1).
    assert dtw_symmetric2(np.full((4, 7), 0.5)) == pytest.approx(0.5 * (4 + 7 - 1))


def test_dtw_large_matrix_runs() -> None:
    cost = np.random.default_rng(6).random((401, 401))
    value = dtw_symmetric2(cost)
    assert 0 < value < 2 * 802


def test_wmfcc_properties(sounds: dict[str, np.ndarray]) -> None:
    x = sounds["melody"]
    np.testing.assert_array_equal(warped_mfcc_distance(x, x), [0.0])
    d_shift = warped_mfcc_distance(sounds["shifted"], x)[0]
    d_other = warped_mfcc_distance(sounds["other"], x)[0]
    assert 0 < d_shift < d_other / 3


def test_sot_sinusoids_known_answer() -> None:
    # n_fft = 2205 at 44.1 kHz: bins are 20 Hz apart, 1103 bins. Interior frames hold the same
    # leakage shape shifted by b - a bins, so W1 = (b - a) / 1103 exactly; only the 3 partial
    # (zero-padded) edge frames of 51 deviate, by under 6% each.
    a, b = 50, 150
    p = _tone(a * 20.0, 1.0)[None]
    t = _tone(b * 20.0, 1.0)[None]
    assert spectral_optimal_transport(p, t)[0] == pytest.approx((b - a) / 1103, rel=5e-3)
    np.testing.assert_array_equal(spectral_optimal_transport(t, t), [0.0])
    # Gain does not matter (frames are normalised); silence counts as uniform, not NaN.
    assert spectral_optimal_transport(0.2 * t, t)[0] == pytest.approx(0.0, abs=1e-12)
    assert np.isfinite(spectral_optimal_transport(np.zeros_like(t), t)[0])


def test_rms_cosine_known_answers() -> None:
    x = _tone(440, 0.5)[None] * np.linspace(0, 1, round(0.5 * SR))
    np.testing.assert_allclose(rms_envelope_similarity(x, x), [1.0])
    np.testing.assert_allclose(rms_envelope_similarity(0.25 * x, x), [1.0])
    silent = np.zeros_like(x)
    np.testing.assert_array_equal(rms_envelope_similarity(silent, silent), [1.0])
    np.testing.assert_array_equal(rms_envelope_similarity(silent, x), [0.0])


def test_rms_cosine_ramps() -> None:
    # DC ramps up and down over 1 s: 41 centred frames (hop 1102) with RMS ~ the ramp value, so
    # the cosine is close to the continuous value int t(1-t) / int t^2 = 1/2.
    n = SR
    up = np.linspace(0.0, 1.0, n)
    down = up[::-1]
    frame, hop = 2205, 1102

    def envelope(sig: np.ndarray) -> np.ndarray:
        padded = np.concatenate([np.zeros(frame // 2), sig, np.zeros(frame // 2)])
        return np.array(
            [
                math.sqrt(np.mean(padded[s : s + frame] ** 2))
                for s in range(0, n + 1, hop)
                if s + frame <= padded.size
            ]
        )

    eu, ed = envelope(up), envelope(down)
    expected = float(eu @ ed / (np.linalg.norm(eu) * np.linalg.norm(ed)))
    got = rms_envelope_similarity(up[None], down[None])[0]
    assert got == pytest.approx(expected, rel=1e-12)
    assert got == pytest.approx(0.5, abs=0.03)


def test_audio_metrics_keys_and_shapes(sounds: dict[str, np.ndarray]) -> None:
    pred = np.stack([sounds["melody"], sounds["other"]])
    target = np.stack([sounds["melody"], sounds["melody"]])
    out = audio_metrics(pred, target, sample_rate=SR)
    assert tuple(out) == METRIC_KEYS
    assert set(METRIC_BETTER) == set(METRIC_KEYS)
    for key in METRIC_KEYS:
        assert out[key].shape == (2,)
    np.testing.assert_allclose([out[k][0] for k in ("mss", "wmfcc", "sot")], 0.0, atol=1e-12)
    assert out["rms_cos"][0] == pytest.approx(1.0)
    assert out["mss"][1] > 0 and out["wmfcc"][1] > 0 and out["sot"][1] > 0
    assert out["rms_cos"][1] < 1.0
    # Other sample rates work (mono, 16 kHz).
    mono = sounds["melody"][:1, :8000]
    low = audio_metrics(mono, mono, sample_rate=16000)
    assert low["mss"].shape == (1,) and low["mss"][0] == 0.0
    with pytest.raises(ValueError):
        audio_metrics(pred, target[:, :, :100])


# --------------------------------------------------------------------------- summary


def test_summarize_known_values() -> None:
    stats = summarize({"lsd": np.array([1.0, 2.0, 3.0, 4.0, 5.0])})["lsd"]
    assert stats["mean"] == 3.0
    assert stats["n"] == 5
    assert stats["std"] == pytest.approx(math.sqrt(2.5))
    assert stats["ci95"] == pytest.approx(1.96 * math.sqrt(2.5) / math.sqrt(5))
    assert stats["ci_low"] == pytest.approx(3.0 - stats["ci95"])
    single = summarize({"x": np.array([2.0])})["x"]
    assert single["std"] == 0.0 and math.isnan(single["ci95"])
    with pytest.raises(ValueError):
        summarize({"x": np.array([])})


def test_markdown_table() -> None:
    rows = {
        "flow": summarize({"lsd": np.array([1.0, 2.0, 3.0, 4.0, 5.0]), "rms_cos": [0.9, 0.9]}),
        "ffn": summarize({"lsd": np.array([2.0, 2.0])}),
    }
    table = markdown_table(rows, ["lsd", "rms_cos"], {"lsd": "lower", "rms_cos": "higher"})
    lines = table.strip().split("\n")
    assert lines[0] == "| model | lsd ↓ | rms_cos ↑ |"
    assert lines[1] == "|---|---:|---:|"
    assert lines[2] == "| flow | 3 ± 1.4 | 0.9 ± 0 |"
    assert lines[3] == "| ffn | 2 ± 0 | – |"
    with pytest.raises(ValueError):
        markdown_table(rows, ["lsd"], {"lsd": "smaller"})
