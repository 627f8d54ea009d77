"""Tests for patchflow.train: presets, data order, checkpoints, resume, the CLI verb."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from patchflow import cli
from patchflow.commands import train as train_command
from patchflow.config import from_dict, to_dict
from patchflow.data.render import RenderConfig, render_dataset
from patchflow.features import FeatureConfig, FeatureExtractor, RunningStats
from patchflow.nn.models import FlowModel, RegressionModel
from patchflow.synths.kosc import KOsc, kosc_spec
from patchflow.train import data as train_data
from patchflow.train import provenance
from patchflow.train.checkpoint import load_checkpoint
from patchflow.train.config import PRESETS, SIZES, OptimConfig, TrainConfig, preset_config
from patchflow.train.data import HDF5Source, StreamSource, check_sortable, open_source, sort_slots
from patchflow.train.loop import ResumeError, lr_at, read_metrics, train

torch.set_num_threads(1)


def _tiny(preset: str = "cnf-param2tok", **changes: object) -> TrainConfig:
    """A tiny config that logs, validates and checkpoints every few steps."""
    config = preset_config(preset, "tiny")
    config = dataclasses.replace(config, log_every=2, checkpoint_every=4, **changes)
    return dataclasses.replace(config, val=dataclasses.replace(config.val, every=4, batch_size=8))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip_through_dictionaries(name: str, size: str) -> None:
    config = preset_config(name, size)
    assert (config.preset, config.size) == (name, size)
    again = from_dict(TrainConfig, json.loads(json.dumps(to_dict(config))))
    assert again == config


def test_cli_preset_and_size_choices_come_from_the_registries() -> None:
    parser = argparse.ArgumentParser()
    train_command.add_arguments(parser)
    required = ["--data", "stream:kosc4", "--out", "run"]
    for name in PRESETS:
        for size in SIZES:
            args = parser.parse_args(["--preset", name, "--size", size, *required])
            assert (args.preset, args.size) == (name, size)
    for bad in (["--preset", "ddpm"], ["--preset", "cnf-mlp", "--size", "huge"]):
        with pytest.raises(SystemExit):
            parser.parse_args([*bad, *required])


def test_paper_sizes_match_the_reference() -> None:
    dit = preset_config("cnf-param2tok", "paper")
    fc = dit.model.vector_field
    assert (fc.d_model, fc.depth, fc.heads, fc.d_ff, fc.time_encoding) == (128, 5, 4, 256, "scalar")
    assert (dit.batch_size, dit.steps, dit.optim.lr, dit.coupling) == (1024, 400_000, 1e-4, "ot")
    ast = preset_config("ast-cnf-param2tok", "paper").model
    assert (ast.vector_field.d_model, ast.vector_field.depth, ast.vector_field.num_tokens) == (
        512,
        8,
        128,
    )
    assert (ast.encoder.d_model, ast.encoder.depth, ast.encoder.stride) == (512, 8, 10)


def test_lr_schedule_warmup_and_cosine_ends() -> None:
    optim = OptimConfig(lr=1.0, schedule="cosine", warmup_steps=10, min_lr_ratio=0.1)
    assert lr_at(optim, 0, 110) == pytest.approx(0.1)
    assert lr_at(optim, 9, 110) == pytest.approx(1.0)
    assert lr_at(optim, 10, 110) == pytest.approx(1.0)
    assert lr_at(optim, 60, 110) == pytest.approx(0.55)
    assert lr_at(optim, 110, 110) == pytest.approx(0.1)
    assert lr_at(OptimConfig(lr=0.5), 1000, 10) == 0.5


def test_sorting_slots_orders_oscillators_by_frequency_and_keeps_the_sound() -> None:
    k = 3
    spec, synth = kosc_spec(k), KOsc(k)
    params = spec.encode(spec.sample(np.random.default_rng(0), 8))
    sorted_params = sort_slots(params, spec)
    assert np.all(np.diff(sorted_params[:, :k], axis=1) >= 0)
    tokens = lambda p: np.sort(p.reshape(len(p), 3, k).transpose(0, 2, 1).tolist(), axis=1)  # noqa: E731
    np.testing.assert_array_equal(tokens(sorted_params), tokens(params))  # same oscillators
    np.testing.assert_allclose(
        synth.render_encoded(sorted_params), synth.render_encoded(params), atol=1e-6
    )
    check_sortable(spec)
    with pytest.raises(ValueError, match="different ranges"):
        check_sortable(kosc_spec(k, asymmetric=True))


def _stream(seed: int = 0, **kwargs: object) -> StreamSource:
    args = dict(batch_size=8, val_batch_size=8, val_batches=1, seed=seed)
    args.update(kwargs)
    return open_source("stream:kosc2", **args)  # type: ignore[arg-type]


def test_stream_batches_depend_only_on_seed_and_step() -> None:
    a, b = _stream(), _stream()
    np.testing.assert_array_equal(a.train_batch(3).params, b.train_batch(3).params)
    np.testing.assert_array_equal(a.train_batch(3).features, b.train_batch(3).features)
    assert not np.array_equal(a.train_batch(3).params, a.train_batch(4).params)
    assert not np.array_equal(a.train_batch(3).params, _stream(seed=1).train_batch(3).params)
    val = a.val_batches()[0]
    assert val.audio is not None and val.audio.shape == (8, 1, 1024)
    assert abs(float(a.train_batch(0).features.mean())) < 0.5  # standardised
    asym = open_source("stream:kosc3-asym", batch_size=4, val_batch_size=4, val_batches=1, seed=0)
    assert asym.spec == kosc_spec(3, asymmetric=True) and asym.train_batch(0).params.shape == (4, 9)
    with pytest.raises(ValueError, match="unknown stream"):
        open_source("stream:surge", batch_size=8, val_batch_size=8, val_batches=1, seed=0)


@pytest.fixture(scope="module")
def kosc_h5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "kosc2.h5"
    return render_dataset(RenderConfig(synth="kosc", k=2, count=80, chunk_size=40), path)


def test_hdf5_batches_cover_each_epoch_once_in_a_seeded_order(kosc_h5: Path) -> None:
    source = HDF5Source(kosc_h5, batch_size=16, val_batch_size=8, val_batches=2, seed=0)
    assert source.num_train == 64
    with h5py.File(kosc_h5) as f:
        rows = f["params"][:64]
    seen = np.concatenate([source.train_batch(s).params for s in range(4)])
    np.testing.assert_array_equal(np.sort(seen, axis=0), np.sort(rows, axis=0))
    again = HDF5Source(kosc_h5, batch_size=16, val_batch_size=8, val_batches=2, seed=0)
    np.testing.assert_array_equal(again.train_batch(5).params, source.train_batch(5).params)
    assert [len(b.params) for b in source.val_batches()] == [8, 8]
    source.close()
    again.close()


def test_large_feature_sets_are_memory_mapped_with_the_same_batches(
    kosc_h5: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def source(path: Path) -> HDF5Source:
        return HDF5Source(path, batch_size=16, val_batch_size=8, val_batches=2, seed=0)

    loaded = source(kosc_h5)
    assert type(loaded.features) is np.ndarray
    monkeypatch.setattr(train_data, "IN_MEMORY_MAX_BYTES", 0)
    mapped = source(kosc_h5)
    assert isinstance(mapped.features, np.memmap)  # render writes features contiguously
    chunked = tmp_path / "chunked.h5"
    with h5py.File(kosc_h5) as a, h5py.File(chunked, "w") as b:
        for key, value in a.attrs.items():
            b.attrs[key] = value
        for name in a:
            if name != "features":
                a.copy(a[name], b, name)
        b.create_dataset("features", data=a["features"][()], chunks=(8, *a["features"].shape[1:]))
    with caplog.at_level("WARNING"):
        read = source(chunked)
    assert isinstance(read.features, h5py.Dataset) and "chunked dataset" in caplog.text
    for step in (0, 3, 7):
        want = loaded.train_batch(step)
        for other in (mapped, read):
            got = other.train_batch(step)
            np.testing.assert_array_equal(got.features, want.features)
            np.testing.assert_array_equal(got.params, want.params)
    for s in (loaded, mapped, read):
        s.close()


def test_resumed_run_continues_where_it_stopped(tmp_path: Path) -> None:
    config = _tiny("cnf-param2tok", steps=8)
    full = train(
        config, data="stream:kosc2", run_dir=tmp_path / "full", progress=False, tensorboard=False
    )
    half = dataclasses.replace(config, steps=4)
    train(half, data="stream:kosc2", run_dir=tmp_path / "split", progress=False, tensorboard=False)
    resumed = train(config, data="stream:kosc2", run_dir=tmp_path / "split", progress=False)
    assert resumed.resumed_from == 4 and resumed.step == full.step == 8
    a = torch.load(tmp_path / "full" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "last.pt", weights_only=True)
    assert a["step"] == b["step"] == 8
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key
    assert a["ema"]["updates"] == b["ema"]["updates"] == 8
    for key, value in a["ema"]["weights"].items():
        assert torch.equal(value, b["ema"]["weights"][key]), key

    def losses(run: str) -> list[tuple[int, str, float]]:
        rows = read_metrics(tmp_path / run)
        return [r for r in rows if r[1].startswith("train/") and r[1] != "train/samples_per_s"]

    assert losses("split") == losses("full")
    assert [r[0] for r in losses("full") if r[1] == "train/loss"] == [2, 4, 6, 8]
    assert full.metrics == resumed.metrics
    assert (tmp_path / "split" / "tb").is_dir()


def test_time_limit_stops_early_and_a_rerun_continues(tmp_path: Path) -> None:
    config = _tiny("cnf-mlp", steps=6)
    first = train(config, data="stream:kosc2", run_dir=tmp_path, progress=False, time_limit_s=0.0)
    assert first.step == 1 and "lsd_db" in first.metrics
    assert torch.load(tmp_path / "last.pt", weights_only=True)["step"] == 1
    second = train(config, data="stream:kosc2", run_dir=tmp_path, progress=False, tensorboard=False)
    assert (second.resumed_from, second.step) == (1, 6)


def test_resume_refuses_a_different_config(tmp_path: Path) -> None:
    config = _tiny("cnf-mlp", steps=2)
    train(config, data="stream:kosc2", run_dir=tmp_path, progress=False, tensorboard=False)
    with pytest.raises(ResumeError, match="batch_size"):
        train(
            dataclasses.replace(config, batch_size=4),
            data="stream:kosc2",
            run_dir=tmp_path,
            progress=False,
        )
    with pytest.raises(ResumeError, match="trained on"):
        train(config, data="stream:kosc3", run_dir=tmp_path, progress=False)


def test_load_checkpoint_rebuilds_the_model(tmp_path: Path) -> None:
    config = _tiny("cnf-equivariant", steps=4)
    result = train(config, data="stream:kosc2", run_dir=tmp_path, progress=False, tensorboard=False)
    ckpt = load_checkpoint(tmp_path)
    assert ckpt.path.name == "best.pt" and ckpt.step == 4
    assert isinstance(ckpt.model, FlowModel) and not ckpt.model.training
    assert ckpt.config == config and ckpt.spec == kosc_spec(2)
    assert ckpt.feature_config == ckpt.model.feature_config
    assert ckpt.metrics == result.metrics and "lsd_db" in ckpt.metrics
    source = _stream(seed=config.seed, batch_size=config.batch_size)
    np.testing.assert_array_equal(ckpt.stats.mean, source.stats.mean)
    features = torch.from_numpy(source.val_batches()[0].features)
    assert ckpt.model.sample(features, steps=2).shape == (8, 6)


@pytest.mark.parametrize("preset", ["ffn-mse", "ffn-sort", "ffn-chamfer"])
def test_regression_baselines_train_on_an_hdf5_dataset(
    preset: str, kosc_h5: Path, tmp_path: Path
) -> None:
    result = train(
        _tiny(preset, steps=4),
        data=str(kosc_h5),
        run_dir=tmp_path,
        progress=False,
        tensorboard=False,
    )
    assert result.metric_name == "lsd_db" and np.isfinite(result.metrics["lsd_db"])
    ckpt = load_checkpoint(tmp_path, which="last")
    assert isinstance(ckpt.model, RegressionModel)
    assert ckpt.model.predict(torch.zeros(1, *ckpt.feature_config.shape)).shape == (1, 6)


def _write_logmel_dataset(path: Path, count: int = 48) -> Path:
    """A small dataset in the patchflow HDF5 layout with log-mel features of 0.1 s k-osc clips."""
    k = 2
    spec = kosc_spec(k)
    fconfig = FeatureConfig(kind="logmel", num_samples=4410, n_mels=32)
    native = spec.sample(np.random.default_rng(0), count)
    audio = KOsc(k, num_samples=fconfig.num_samples).render(native)
    features = FeatureExtractor(fconfig)(audio)
    stats = RunningStats(fconfig)
    stats.update(features)
    result = stats.result()
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "patchflow-dataset"
        f.attrs["format_version"] = 1
        f.attrs["spec"] = spec.to_json()
        f.attrs["render_config"] = json.dumps(
            to_dict(RenderConfig(synth="fake-logmel", count=count))
        )
        f.attrs["feature_config"] = json.dumps(fconfig.to_dict())
        f["params"] = spec.encode(native)
        f["features"] = features
        f["stats/mean"], f["stats/std"] = result.mean, result.std
    return path


@pytest.mark.parametrize("preset", ["ast-cnf-param2tok", "ast-cnf-mlp", "ast-regression"])
def test_ast_presets_train_on_logmel_data(preset: str, tmp_path: Path) -> None:
    data = _write_logmel_dataset(tmp_path / "logmel.h5")
    result = train(
        _tiny(preset, steps=4),
        data=str(data),
        run_dir=tmp_path / "run",
        progress=False,
        tensorboard=False,
    )
    assert result.metric_name == "loss" and np.isfinite(result.best)
    assert load_checkpoint(tmp_path / "run").feature_config.kind == "logmel"


def test_cli_train_runs_and_reports_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["train", "--preset", "cnf-mlp", "--size", "tiny", "--data", "stream:kosc2"]
    argv = [*args, "--out", str(tmp_path / "run"), "--steps", "2", "--no-progress"]
    assert cli.main(argv) == 0
    assert "step 2" in capsys.readouterr().out
    assert (tmp_path / "run" / "last.pt").is_file() and (tmp_path / "run" / "metrics.csv").is_file()
    recorded = provenance.read(tmp_path / "run")["commands"]  # the call's argv, not pytest's
    assert recorded == [shlex.join(["patchflow", *argv])]
    bad = ["train", "--preset", "cnf-mlp", "--size", "tiny", "--data", "stream:nope"]
    assert cli.main([*bad, "--out", str(tmp_path / "bad"), "--no-progress"]) == 2
    assert "unknown stream" in capsys.readouterr().err
