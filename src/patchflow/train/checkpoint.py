"""Checkpoints: everything needed to resume a run or rebuild its model for evaluation and export.

A checkpoint holds the model and optimiser state, the step, the training config, the spec (JSON),
the feature config and feature statistics, the last validation metrics and the loop's own state.
It is written atomically (temporary file, then rename). A run directory holds ``last.pt``
(resume) and ``best.pt`` (best validation metric); :func:`load_checkpoint` reads either.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from patchflow import __version__
from patchflow.config import from_dict, to_dict
from patchflow.features import FeatureConfig, FeatureStats
from patchflow.spec import SynthSpec, spec_from_dict
from patchflow.train.config import TrainConfig

if TYPE_CHECKING:
    from patchflow.nn.models import Model

CHECKPOINT_FORMAT = "patchflow-checkpoint"
CHECKPOINT_FORMAT_VERSION = 1
LAST, BEST = "last.pt", "best.pt"


class CheckpointError(ValueError):
    """A checkpoint is missing or is not a patchflow checkpoint."""


@dataclass
class Checkpoint:
    """A loaded checkpoint with its model rebuilt (eval mode, on the CPU unless asked).

    Attributes:
        model: The :class:`~patchflow.nn.models.FlowModel` or ``RegressionModel``.
        config: The training config.
        spec: The synth's parameter spec.
        feature_config: The feature front-end the model expects.
        stats: Feature standardisation statistics.
        step: Training steps done.
        metrics: The last validation metrics.
        path: The file read.
        weights: ``ema`` (the averaged weights, when the run kept them) or ``raw``.
    """

    model: Model
    config: TrainConfig
    spec: SynthSpec
    feature_config: FeatureConfig
    stats: FeatureStats
    step: int
    metrics: dict[str, float]
    path: Path
    weights: str = "raw"


def save_checkpoint(
    path: str | Path,
    *,
    model: Model,
    optimizer: torch.optim.Optimizer,
    step: int,
    config: TrainConfig,
    stats: FeatureStats,
    metrics: dict[str, float],
    state: dict[str, Any],
    ema: dict[str, Any] | None = None,
) -> None:
    """Write a checkpoint atomically.

    Args:
        path: Output file.
        model: Model with ``spec`` and ``feature_config`` attributes.
        optimizer: Its optimiser.
        step: Training steps done.
        config: The run's config.
        stats: Feature standardisation statistics.
        metrics: Last validation metrics.
        state: Loop state needed to resume (plain Python values).
        ema: The EMA weights' state (:meth:`EmaWeights.state_dict`), when the run keeps them.
    """
    path = Path(path)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "patchflow_version": __version__,
        "step": step,
        "config": to_dict(config),
        "spec": model.spec.to_json(),
        "feature_config": model.feature_config.to_dict(),
        "stats": {"mean": torch.from_numpy(stats.mean), "std": torch.from_numpy(stats.std)},
        "metrics": dict(metrics),
        "state": state,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
    }
    if ema is not None:
        payload["ema"] = ema
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def checkpoint_path(path_or_run_dir: str | Path, which: str = "best") -> Path:
    """The file for a checkpoint path or a run directory (``best.pt``, else ``last.pt``)."""
    path = Path(path_or_run_dir)
    if path.is_dir():
        names = [BEST, LAST] if which == "best" else [LAST]
        for name in names:
            if (path / name).is_file():
                return path / name
        raise CheckpointError(f"{path}: no {' or '.join(names)} in this run directory")
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    return path


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """The raw checkpoint dictionary (tensors and plain values only)."""
    path = Path(path)
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except (OSError, RuntimeError, EOFError) as err:
        raise CheckpointError(f"{path}: cannot read checkpoint: {err}") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a patchflow checkpoint")
    return payload


def load_checkpoint(
    path_or_run_dir: str | Path,
    which: str = "best",
    map_location: str | torch.device = "cpu",
    weights: str = "ema",
) -> Checkpoint:
    """Load a checkpoint file or a run directory's ``best.pt`` (``which="last"``: ``last.pt``).

    Args:
        path_or_run_dir: A ``.pt`` file or a run directory.
        which: ``best`` (falls back to ``last`` when no validation ran yet) or ``last``.
        map_location: Device for the tensors.
        weights: ``ema`` (the averaged weights when the checkpoint has them, else the raw
            ones) or ``raw`` (the optimiser's weights).

    Returns:
        The checkpoint with its model rebuilt and in eval mode.
    """
    from patchflow.nn.models import build_model

    path = checkpoint_path(path_or_run_dir, which)
    payload = read_checkpoint(path, map_location)
    config = from_dict(TrainConfig, payload["config"])
    spec = spec_from_dict(json.loads(payload["spec"]), f"{path}:spec")
    feature_config = FeatureConfig.from_dict(payload["feature_config"])
    stats = FeatureStats(
        payload["stats"]["mean"].cpu().numpy(), payload["stats"]["std"].cpu().numpy()
    )
    if weights not in ("ema", "raw"):
        raise ValueError(f"weights must be 'ema' or 'raw', got {weights!r}")
    model = build_model(config.model, spec, feature_config)
    use_ema = weights == "ema" and "ema" in payload
    model.load_state_dict(payload["ema"]["weights"] if use_ema else payload["model"])
    model.to(map_location).eval()
    return Checkpoint(
        model=model,
        config=config,
        spec=spec,
        feature_config=feature_config,
        stats=stats,
        step=int(payload["step"]),
        metrics=dict(payload["metrics"]),
        path=path,
        weights="ema" if use_ema else "raw",
    )
