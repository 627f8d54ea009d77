"""Starting a run's encoder from another run's: a CNF that listens with a trained regression's ears.

On a 2-core CPU the AST encoder is most of a training step, and a regression run learns it faster
than a flow run (one clean target per item instead of a noisy velocity), so a CNF can start from
the regression's encoder, train its vector field with the encoder fixed (no encoder gradients: a
step costs a fraction), then train everything together. :func:`warm_start_encoder` copies the
encoder's weights, and the note embedding's when both models have one; the runs must read the
same features with the same standardisation, or the copied encoder would hear another input.

A regression's AST has one output (query) token; a CNF's has one per vector-field layer. The one
token (and its position embedding) is copied to each of them: every layer starts by hearing the
regression's summary of the sound, and they can diverge once the encoder trains.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from patchflow.features import FeatureConfig, FeatureStats
from patchflow.train.checkpoint import CheckpointError, checkpoint_path, read_checkpoint

# Modules whose weights map the input (features and note) to the conditioning.
TRANSFERRED = ("encoder.", "note_embed.")


def warm_start_encoder(
    model: torch.nn.Module,
    source: str | Path,
    feature_config: FeatureConfig,
    stats: FeatureStats,
) -> list[str]:
    """Copy the encoder (and note embedding) weights of checkpoint ``source`` into ``model``.

    Args:
        model: The new run's model (freshly built).
        source: A checkpoint file or run directory (its ``best.pt``); its EMA weights are used
            when it kept them.
        feature_config: The new run's feature front-end.
        stats: The new run's feature standardisation statistics.

    Returns:
        The names of the copied tensors.

    Raises:
        CheckpointError: The checkpoint cannot be read, reads other features, or its encoder
            has another shape.
    """
    path = checkpoint_path(source, "best")
    payload = read_checkpoint(path)
    if FeatureConfig.from_dict(payload["feature_config"]) != feature_config:
        raise CheckpointError(f"{path}: its model reads other features than this run's")
    mean, std = payload["stats"]["mean"].numpy(), payload["stats"]["std"].numpy()
    if not (np.allclose(mean, stats.mean) and np.allclose(std, stats.std)):
        raise CheckpointError(
            f"{path}: its features were standardised with other statistics (another dataset?)"
        )
    weights = payload["ema"]["weights"] if "ema" in payload else payload["model"]
    own = model.state_dict()
    weights = _tile_query_tokens(weights, own)
    wanted = [k for k in own if k.startswith(TRANSFERRED)]
    missing = [k for k in wanted if k not in weights]
    if not wanted or missing:
        raise CheckpointError(f"{path}: has no weights for {', '.join(missing or TRANSFERRED)}")
    shapes = [k for k in wanted if weights[k].shape != own[k].shape]
    if shapes:
        detail = ", ".join(
            f"{k} {tuple(weights[k].shape)} != {tuple(own[k].shape)}" for k in shapes
        )
        raise CheckpointError(f"{path}: its encoder has another shape ({detail})")
    model.load_state_dict({k: weights[k] for k in wanted}, strict=False)
    return wanted


def _tile_query_tokens(
    weights: dict[str, torch.Tensor], own: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """A one-query-token AST's weights with that token repeated to the query count of ``own``."""
    queries, positions = "encoder.queries", "encoder.pos_embed"
    if queries not in weights or queries not in own or positions not in weights:
        return weights
    have, want = weights[queries].shape[1], own[queries].shape[1]
    if have != 1 or want == 1:
        return weights
    pos = weights[positions]  # (1, 1 + P, D)
    return {
        **weights,
        queries: weights[queries].expand(-1, want, -1).clone(),  # (1, L, D)
        positions: torch.cat([pos[:, :1].expand(-1, want, -1), pos[:, 1:]], dim=1),  # (1, L + P, D)
    }


def set_encoder_trainable(model: torch.nn.Module, trainable: bool) -> None:
    """Freeze or unfreeze the encoder; a frozen one builds no autograd graph."""
    model.encoder.requires_grad_(trainable)
