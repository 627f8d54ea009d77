"""Feature front-end: numpy/torch parity, shapes, frozen arrays, statistics."""

import numpy as np
import pytest
import torch

from patchflow.dsp import hann_window, mel_filterbank, resample
from patchflow.features import FeatureConfig, FeatureExtractor, FeatureStats, RunningStats


@pytest.mark.parametrize(
    "config",
    [
        FeatureConfig(),
        FeatureConfig(kind="logmel", num_samples=22050, channels=2),
        FeatureConfig(
            kind="logmel", sample_rate=16000, num_samples=8000, n_mels=40, window_s=0.032
        ),
    ],
    ids=["rfft", "logmel-stereo", "logmel-16k"],
)
def test_numpy_and_torch_features_agree(config):
    from patchflow.features_torch import TorchFeatures

    rng = np.random.default_rng(0)
    audio = (0.3 * rng.standard_normal((3, config.channels, config.num_samples))).astype(np.float32)
    fx = FeatureExtractor(config)
    expected = fx(audio)
    got = TorchFeatures(config, fx.arrays())(torch.from_numpy(audio)).numpy()
    assert expected.shape == got.shape == (3, *config.shape)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def test_rfft_feature_known_answer():
    config = FeatureConfig()
    n = config.num_samples
    audio = np.cos(2 * np.pi * 16 * np.arange(n) / n)[None, None].astype(np.float32)
    f = FeatureExtractor(config)(audio)[0, 0]
    assert f[16] == pytest.approx(0.5, abs=1e-6)  # norm="forward": |X| / N
    assert np.delete(f, 16).max() < 1e-6


def test_logmel_shape_and_peak_band():
    config = FeatureConfig(kind="logmel", num_samples=44100)
    t = np.arange(config.num_samples) / 44100
    audio = np.sin(2 * np.pi * 1000 * t)[None, None].astype(np.float32)
    f = FeatureExtractor(config)(audio)
    assert f.shape == (1, 1, 128, 101)
    fb = mel_filterbank(44100, config.n_fft, 128)
    expected_band = np.argmax(fb[:, round(1000 * config.n_fft / 44100)])
    assert abs(int(np.argmax(f[0, 0, :, 50])) - expected_band) <= 1


def test_identical_channels_give_what_the_full_computation_gives():
    config = FeatureConfig(kind="logmel", num_samples=8820, channels=2)
    fx = FeatureExtractor(config)
    rng = np.random.default_rng(1)
    a, b = (0.3 * rng.standard_normal((2, 1, 1, config.num_samples))).astype(np.float32)
    same = fx(np.concatenate([a, a], axis=1))  # the shortcut: one channel computed, copied
    mixed = fx(np.concatenate([a, b], axis=1))  # every channel computed
    np.testing.assert_array_equal(same[:, 0], same[:, 1])
    np.testing.assert_allclose(same[:, 0], mixed[:, 0], rtol=1e-6, atol=1e-6)
    # a batch where only some items have identical channels takes the full path
    batch = fx(np.concatenate([np.concatenate([a, a], axis=1), np.concatenate([a, b], axis=1)]))
    np.testing.assert_allclose(batch, np.concatenate([same, mixed]), rtol=1e-6, atol=1e-6)


def test_periodic_hann():
    w = hann_window(8)
    np.testing.assert_allclose(w, 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(8) / 8), atol=1e-12)


def test_audio_is_padded_or_cropped():
    fx = FeatureExtractor(FeatureConfig())
    short = np.ones((1, 1, 100), np.float32)
    assert fx(short).shape == (1, 1, 513)
    assert fx(np.ones((1, 1, 5000), np.float32)).shape == (1, 1, 513)
    with pytest.raises(ValueError, match="expected audio"):
        fx(np.ones((1, 2, 1024), np.float32))


def test_running_stats_match_batch_stats():
    config = FeatureConfig(kind="logmel", num_samples=4410, n_mels=16)
    rng = np.random.default_rng(1)
    feats = rng.standard_normal((10, *config.shape)).astype(np.float32) * 3 + 1
    stats = RunningStats(config)
    for part in np.array_split(feats, 3):
        stats.update(part)
    result = stats.result()
    np.testing.assert_allclose(result.mean[..., 0], feats.mean(axis=(0, 3)), atol=1e-5)
    np.testing.assert_allclose(result.std[..., 0], feats.std(axis=(0, 3), ddof=1), atol=1e-5)
    standardised = result.apply(feats)
    assert abs(standardised.mean()) < 1e-4
    assert FeatureStats.from_dict(result.to_dict()).std.shape == result.std.shape


def test_resample_preserves_a_tone():
    sr_in, sr_out = 48000, 44100
    t = np.arange(sr_in // 4) / sr_in
    tone = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    out = resample(tone[None], sr_in, sr_out)[0]
    assert len(out) == pytest.approx(len(tone) * sr_out / sr_in, abs=1)
    ref = np.sin(2 * np.pi * 1000 * np.arange(len(out)) / sr_out)
    inner = slice(200, -200)
    np.testing.assert_allclose(out[inner], ref[inner], atol=2e-3)
