"""The engine's morph noise along the whole path (issue 17 item 8) and macros and morph around a
search's refined patch (issue 15 item 5), with the shipped k-osc bundle."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from patchflow.bridge.engine import OnnxEngine, morph_noise

D = 12
ROWS = 4000
PATH = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)


def standard_normal_pairs(correlation: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((ROWS, D))
    b = correlation * a + np.sqrt(1 - correlation**2) * rng.standard_normal((ROWS, D))
    return a.astype(np.float32), b.astype(np.float32)


@pytest.mark.parametrize("correlation", [0.0, 0.6, -0.5])
def test_morph_noise_stays_standard_normal_along_the_path(correlation: float) -> None:
    a, b = standard_normal_pairs(correlation)
    for v in PATH:
        z = morph_noise(a, b, v).astype(np.float64)
        assert z.shape == (ROWS, D) and z.dtype == np.float64
        assert abs(z.mean()) < 0.02, v
        assert z.var() == pytest.approx(1.0, abs=0.03), v  # linear average: 1 - 2v(1-v)(1-rho)
        # between Gaussian (3) and the floor set by a norm between the ends' norms: at the
        # midpoint of independent ends |z|^2 has half the chi-square variance
        kurtosis = np.mean(z**4) / z.var() ** 2
        assert 3 * (D + 1) / (D + 2) - 0.1 < kurtosis < 3.1, v
        cov = np.cov(z, rowvar=False)
        assert np.max(np.abs(cov - np.eye(D))) < 0.08, v  # isotropic
        # every point is as typical as its ends: its norm lies between theirs
        norm, norm_a, norm_b = (np.linalg.norm(x, axis=1) for x in (z, a, b))
        assert np.all(norm >= np.minimum(norm_a, norm_b) - 1e-4), v
        assert np.all(norm <= np.maximum(norm_a, norm_b) + 1e-4), v


def test_identical_ends_keep_that_noise_all_along() -> None:
    """Every match starts from the same seed: the morph path must not inflate it (it was
    sqrt(2) times too large at the midpoint)."""
    a, _ = standard_normal_pairs(0.0)
    for v in PATH:
        np.testing.assert_allclose(morph_noise(a, a, v), a, atol=1e-5)
    old = (0.5 * a + 0.5 * a) / np.sqrt(0.5)
    assert old.var() == pytest.approx(2 * a.var(), rel=1e-5)  # what the fix removes


def test_morph_noise_ends_are_exact_and_the_path_is_continuous() -> None:
    a, b = standard_normal_pairs(0.3, seed=1)
    assert np.array_equal(morph_noise(a, b, 0.0), a)
    assert np.array_equal(morph_noise(a, b, 1.0), b)
    steps = [morph_noise(a[:50], b[:50], v) for v in np.linspace(0, 1, 101)]
    jumps = [np.max(np.abs(q - p)) for p, q in itertools.pairwise(steps)]
    assert max(jumps) < 0.25


@pytest.fixture(scope="module")
def engine() -> OnnxEngine:
    return OnnxEngine("kosc4")


def sine(engine: OnnxEngine, freq_hz: float) -> np.ndarray:
    t = np.arange(engine.bundle.card.input_samples) / engine.sample_rate
    return (0.5 * np.sin(2 * np.pi * freq_hz * t))[None].astype(np.float32)


def test_engine_morph_uses_the_unscaled_seed_noise(engine, monkeypatch) -> None:
    engine.match(sine(engine, 300.0), engine.sample_rate, client="m", request_id=1)
    engine.match(sine(engine, 900.0), engine.sample_rate, client="m", request_id=2)
    seen: list[np.ndarray] = []
    solve = engine._predict_cond

    def spy(cond: np.ndarray, noise: np.ndarray):
        seen.append(noise.copy())
        return solve(cond, noise)

    monkeypatch.setattr(engine, "_predict_cond", spy)
    for v in PATH:
        engine.morph(client="m", value=v)
    seed_noise = engine.predictor.noise(1, engine.seed)
    assert len(seen) == len(PATH)
    for noise in seen:
        np.testing.assert_allclose(noise, seed_noise, atol=1e-5)


def encoded_of(engine: OnnxEngine, native: np.ndarray) -> np.ndarray:
    return engine.bundle.card.spec.encode(np.asarray(native, np.float64)[None])[0]


def test_macros_act_around_the_refined_patch(engine) -> None:
    spec = engine.bundle.card.spec
    audio = sine(engine, 440.0)
    for client in ("plain", "refined"):
        engine.match(audio, engine.sample_rate, client=client, request_id=5)
    refined_native = spec.sample(np.random.default_rng(3), 1)[0]
    refined = encoded_of(engine, refined_native)
    assert engine.refine(client="refined", match_id=5, encoded=refined)
    assert not engine.refine(client="refined", match_id=99, encoded=refined)
    assert not engine.refine(client="nobody", match_id=5, encoded=refined)
    with pytest.raises(ValueError, match="shape"):
        engine.refine(client="refined", match_id=5, encoded=refined[:3])

    centre = engine.macro(client="refined", index=0, value=0.5)
    np.testing.assert_allclose(encoded_of(engine, centre.native), refined, atol=1e-4)
    np.testing.assert_allclose(
        centre.params01, spec.to_unit(spec.decode(refined[None]))[0], atol=1e-6
    )

    # a knob moves the refined patch by the flow's own displacement for that knob
    plain_centre = encoded_of(engine, engine.macro(client="plain", index=0, value=0.5).native)
    plain_moved = encoded_of(engine, engine.macro(client="plain", index=0, value=0.8).native)
    moved = encoded_of(engine, engine.macro(client="refined", index=0, value=0.8).native)
    expected = np.clip(refined + (plain_moved - plain_centre), -1, 1)
    np.testing.assert_allclose(moved, expected, atol=1e-3)
    assert np.max(np.abs(moved - refined)) > 1e-3


def test_morph_ends_are_the_refined_patches(engine) -> None:
    spec = engine.bundle.card.spec
    rng = np.random.default_rng(4)
    ends = []
    for match_id, freq_hz in ((1, 250.0), (2, 1500.0)):
        engine.match(sine(engine, freq_hz), engine.sample_rate, client="r", request_id=match_id)
        refined = encoded_of(engine, spec.sample(rng, 1)[0])
        assert engine.refine(client="r", match_id=match_id, encoded=refined)
        ends.append(refined)
    start = engine.morph(client="r", value=0.0)
    end = engine.morph(client="r", value=1.0)
    np.testing.assert_allclose(encoded_of(engine, start.native), ends[0], atol=1e-4)
    np.testing.assert_allclose(encoded_of(engine, end.native), ends[1], atol=1e-4)
    middle = engine.morph(client="r", value=0.5)
    assert np.all(np.isfinite(middle.params01))
    assert np.all((middle.params01 >= 0) & (middle.params01 <= 1))


def test_note_specs_play_the_detected_note(monkeypatch) -> None:
    """amsynth: the first answer, macros and morph play the input's note, not the model's guess
    (an octave too high is moved into the note parameter's range)."""
    engine = OnnxEngine("amsynth")
    spec = engine.bundle.card.spec
    j = spec.note_index
    assert j is not None
    note_param = spec.params[j]
    sr = engine.sample_rate
    t = np.arange(engine.bundle.card.input_samples) / sr
    notes = []
    for match_id, midi in ((1, 57), (2, 62)):
        freq_hz = 440.0 * 2 ** ((midi - 69) / 12)
        audio = (0.5 * np.sin(2 * np.pi * freq_hz * t))[None].astype(np.float32)
        result = engine.match(audio, sr, client="n", request_id=match_id)
        notes.append(result.native[j])
        expected = midi if note_param.min <= midi <= note_param.max else None
        if expected is not None:
            assert result.native[j] == expected
        assert note_param.min <= result.native[j] <= note_param.max
        unit = spec.to_unit(result.native.astype(np.float64)[None])[0]
        np.testing.assert_allclose(result.params01, unit, atol=1e-6)
    assert engine.macro(client="n", index=0, value=0.9).native[j] == notes[1]
    assert engine.morph(client="n", value=0.25).native[j] == notes[0]
    assert engine.morph(client="n", value=0.75).native[j] == notes[1]
