"""Tests for the EMA of training weights: known averages, restore, checkpoints, validation logs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from patchflow.train.checkpoint import load_checkpoint
from patchflow.train.config import preset_config
from patchflow.train.ema import EmaWeights
from patchflow.train.loop import read_metrics, train

torch.set_num_threads(1)


def _model(value: float) -> torch.nn.Module:
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(value)
    return model


def test_average_follows_the_warmed_up_decay() -> None:
    model = _model(0.0)
    ema = EmaWeights(model, decay=0.9)
    expected = 0.0
    for n, value in enumerate([1.0, 2.0, 3.0, 4.0, 5.0]):
        decay = min(0.9, (1 + n) / (10 + n))
        assert ema.current_decay() == pytest.approx(decay)
        with torch.no_grad():
            for p in model.parameters():
                p.fill_(value)
        ema.update(model)
        expected = decay * expected + (1 - decay) * value
    assert ema.updates == 5
    weight = ema.shadow["0.weight"]
    torch.testing.assert_close(weight, torch.full_like(weight, expected))


def test_constant_weights_average_to_themselves_and_buffers_are_copied() -> None:
    model = _model(0.5)
    ema = EmaWeights(model, decay=0.99)
    model[1].num_batches_tracked.fill_(7)
    for _ in range(20):
        ema.update(model)
    for key, value in model.state_dict().items():
        torch.testing.assert_close(ema.shadow[key], value)
    assert int(ema.shadow["1.num_batches_tracked"]) == 7


def test_applied_swaps_in_the_average_and_restores_the_weights() -> None:
    model = _model(0.0)
    ema = EmaWeights(model, decay=0.5)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0)
    ema.update(model)  # first decay min(0.5, 1/10) = 0.1 -> 0.9
    with ema.applied(model) as m:
        assert m[0].weight[0, 0].item() == pytest.approx(0.9)
    assert model[0].weight[0, 0].item() == 1.0


@pytest.mark.parametrize("decay", [-0.1, 1.0])
def test_bad_decay_is_refused(decay: float) -> None:
    with pytest.raises(ValueError, match="decay"):
        EmaWeights(_model(0.0), decay)
    with pytest.raises(ValueError, match="ema_decay"):
        dataclasses.replace(preset_config("cnf-mlp", "tiny"), ema_decay=decay)


def test_checkpoints_keep_both_weights_and_validation_logs_both(tmp_path: Path) -> None:
    config = dataclasses.replace(preset_config("cnf-mlp", "tiny"), steps=4, ema_decay=0.9)
    config = dataclasses.replace(config, val=dataclasses.replace(config.val, every=2, batch_size=8))
    train(config, data="stream:kosc2", run_dir=tmp_path, progress=False, tensorboard=False)
    ema, raw = load_checkpoint(tmp_path, "last"), load_checkpoint(tmp_path, "last", weights="raw")
    assert (ema.weights, raw.weights) == ("ema", "raw")
    payload = torch.load(tmp_path / "last.pt", weights_only=True)
    for key, value in ema.model.state_dict().items():
        torch.testing.assert_close(value, payload["ema"]["weights"][key])
    for key, value in raw.model.state_dict().items():
        torch.testing.assert_close(value, payload["model"][key])
    differs = [
        k for k, v in payload["model"].items() if not torch.equal(v, payload["ema"]["weights"][k])
    ]
    assert differs  # 4 steps of Adam move the weights away from their average
    tags = {tag for _, tag, _ in read_metrics(tmp_path)}
    assert {"val/lsd_db", "val_raw/lsd_db", "val/loss", "val_raw/loss"} <= tags


def test_without_ema_checkpoints_hold_raw_weights_only(tmp_path: Path) -> None:
    config = dataclasses.replace(preset_config("cnf-mlp", "tiny"), steps=2, ema_decay=0.0)
    train(config, data="stream:kosc2", run_dir=tmp_path, progress=False, tensorboard=False)
    assert "ema" not in torch.load(tmp_path / "last.pt", weights_only=True)
    assert load_checkpoint(tmp_path).weights == "raw"
    assert not any(tag.startswith("val_raw/") for _, tag, _ in read_metrics(tmp_path))
