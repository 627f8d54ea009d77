"""Model wrappers used by training, evaluation and ONNX export, and :func:`build_model`.

:class:`FlowModel` is a conditional normalising flow trained by rectified flow matching; its
methods are the export contract: ``encode``, ``velocity``, ``guided_velocity`` (conditional and
null conditioning stacked in one batch of 2B, split by slicing) and ``sample`` (the shared ODE
solver). :class:`RegressionModel` predicts parameters directly.

Note conditioning (``ModelConfig.note_conditioning``): ``spec`` stays the synth's full spec (what
checkpoints and cards record), ``param_spec`` is what the model predicts (the spec without its
pitch note parameter) and ``encode`` / ``forward`` take the note ``(B,)`` in MIDI (negative or
``None``: unknown), added to every conditioning token by :class:`~patchflow.nn.note.NoteEmbedding`.
Classifier-free guidance's null conditioning replaces the whole conditioning, note included: the
unconditional branch is the prior over patches, which in our data (notes drawn independently of
the patch) is the same with or without the note, so dropping it there loses nothing and keeps
the vector-field graph's inputs as they were. Without note conditioning ``param_spec`` is
``spec`` and everything is as before.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from patchflow.features import FeatureConfig
from patchflow.flow.guidance import cfg_combine
from patchflow.flow.solver import ODESolver
from patchflow.nn.config import ModelConfig
from patchflow.nn.dit import DiT
from patchflow.nn.encoders import build_encoder
from patchflow.nn.mlp_field import MLPField
from patchflow.nn.note import NoteEmbedding
from patchflow.nn.regression import ResidualMLP, chamfer_loss, slot_index
from patchflow.nn.tokenizers import FixedTokenizer, Param2Tok
from patchflow.note_conditioning import NoteConditioning
from patchflow.spec import SynthSpec


class FlowModel(nn.Module):
    """Encoder plus vector field; noise at t = 0, parameters in [-1, 1]^D at t = 1."""

    def __init__(
        self,
        spec: SynthSpec,
        feature_config: FeatureConfig,
        encoder: nn.Module,
        field: MLPField | DiT,
        num_cond_tokens: int,
        d_cond: int,
        penalty_weight: float = 0.0,
        note_embed: NoteEmbedding | None = None,
    ) -> None:
        super().__init__()
        self.spec, self.feature_config = spec, feature_config
        self.note_conditioning = NoteConditioning.of(spec) if note_embed is not None else None
        self.param_spec = spec.without_note() if note_embed is not None else spec
        self.encoder, self.field = encoder, field
        self.null_cond = nn.Parameter(torch.randn(num_cond_tokens, d_cond))
        self.penalty_weight = penalty_weight
        if note_embed is not None:  # registered only when used: old state dicts load as before
            self.note_embed = note_embed

    def encode(self, features: torch.Tensor, note: torch.Tensor | None = None) -> torch.Tensor:
        """Standardised features ``(B, *feature_shape)`` to conditioning ``(B, L, d_cond)``.

        ``note`` ``(B,)`` (MIDI; negative or ``None``: unknown) is used by note-conditioned
        models and ignored by the others.
        """
        cond = self.encoder(features)  # (B, L, C)
        if self.note_conditioning is not None:
            cond = self.note_embed.condition(cond, note)  # (B, L, C)
        return cond

    def velocity(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Velocity ``(B, D)`` at states ``x (B, D)``, times ``t (B,)``, conditioning ``cond``."""
        return self.field(x, t, cond)  # (B, D)

    def guided_velocity(
        self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor, w: torch.Tensor
    ) -> torch.Tensor:
        """Classifier-free guided velocity ``v_u + w (v_c - v_u)`` from one batch of 2B."""
        b = x.shape[0]
        null = self.null_cond.unsqueeze(0).expand_as(cond)  # (B, L, C)
        v = self.field(torch.cat([x, x]), torch.cat([t, t]), torch.cat([cond, null]))  # (2B, D)
        return cfg_combine(v_cond=v[:b], v_uncond=v[b:], w=w)  # (B, D)

    def guided_modulation(self, times: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """The field's modulation (its x-independent part) for guided sampling at each of
        ``times (E,)``, in one batch: ``(E, 2B, depth, M)``, conditional rows then null rows,
        the batch :meth:`guided_velocity_modulated` takes. The null rows are computed once
        and repeated: with constant times (a fused sampler) they are constants of the graph."""
        b = cond.shape[0]
        mod = self.field.grid_modulation(times, cond)  # (E, B, depth, M)
        null = self.field.grid_modulation(times, self.null_cond.unsqueeze(0))  # (E, 1, depth, M)
        return torch.cat([mod, null.expand(-1, b, -1, -1)], dim=1)  # (E, 2B, depth, M)

    def guided_velocity_modulated(
        self, x: torch.Tensor, mod: torch.Tensor, w: torch.Tensor
    ) -> torch.Tensor:
        """:meth:`guided_velocity` at ``x (B, D)`` from one time's ``mod (2B, depth, M)``."""
        b = x.shape[0]
        v = self.field.forward_modulated(torch.cat([x, x]), mod)  # (2B, D)
        return cfg_combine(v_cond=v[:b], v_uncond=v[b:], w=w)  # (B, D)

    def drop_cond(self, cond: torch.Tensor, drop: torch.Tensor) -> torch.Tensor:
        """Replace the conditioning where ``drop (B,)`` is true by the learned null token."""
        return torch.where(drop[:, None, None], self.null_cond.expand_as(cond), cond)  # (B, L, C)

    def regularizer(self) -> torch.Tensor:
        """Weighted auxiliary loss (the PARAM2TOK L1 penalty; zero otherwise)."""
        return self.penalty_weight * self.field.penalty()

    @torch.no_grad()
    def sample(
        self,
        features: torch.Tensor,
        *,
        steps: int = 50,
        method: str = "rk4",
        cfg_scale: float = 2.0,
        noise: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        note: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Predict parameters ``(B, D)`` by integrating the guided field from noise.

        Args:
            features: Standardised features ``(B, *feature_shape)``.
            steps: ODE steps.
            method: ``euler``, ``midpoint`` or ``rk4``.
            cfg_scale: Guidance scale ``w`` (1: the plain conditional field).
            noise: Initial noise ``(B, D)``; drawn with ``generator`` when ``None``.
            generator: Random generator for the noise (on the CPU).
            note: Played notes ``(B,)`` for a note-conditioned model (``None``: unknown).

        Returns:
            Parameters in the model space (``param_spec``; not clamped), shape ``(B, D)``.
        """
        cond = self.encode(features, note)  # (B, L, C)
        if noise is None:
            noise = torch.randn(len(features), self.param_spec.dim, generator=generator)
        noise = noise.to(device=cond.device, dtype=cond.dtype)
        if cfg_scale == 1.0:
            solver = ODESolver(velocity=self.velocity)
        else:
            w = torch.tensor(cfg_scale, device=cond.device, dtype=cond.dtype)
            solver = ODESolver(velocity=lambda x, t, c: self.guided_velocity(x, t, c, w))
        return solver.sample(x_init=noise, steps=steps, method=method, cond=cond).x


class RegressionModel(nn.Module):
    """Encoder (one output token) plus a residual MLP head predicting parameters directly."""

    def __init__(
        self,
        spec: SynthSpec,
        feature_config: FeatureConfig,
        encoder: nn.Module,
        head: nn.Module,
        loss: str = "mse",
        note_embed: NoteEmbedding | None = None,
    ) -> None:
        super().__init__()
        self.spec, self.feature_config = spec, feature_config
        self.note_conditioning = NoteConditioning.of(spec) if note_embed is not None else None
        self.param_spec = spec.without_note() if note_embed is not None else spec
        self.encoder, self.head = encoder, head
        self.loss_kind = loss
        self.groups = slot_index(self.param_spec) if loss == "chamfer" else []
        if note_embed is not None:  # registered only when used: old state dicts load as before
            self.note_embed = note_embed

    def forward(self, features: torch.Tensor, note: torch.Tensor | None = None) -> torch.Tensor:
        h = self.encoder(features)  # (B, 1, C)
        if self.note_conditioning is not None:
            h = self.note_embed.condition(h, note)  # (B, 1, C)
        return self.head(h[:, 0])  # (B, D)

    def predict(self, features: torch.Tensor, note: torch.Tensor | None = None) -> torch.Tensor:
        """Parameters in [-1, 1], shape ``(B, D)`` (``note``: as :meth:`forward`)."""
        return self(features, note).clamp(-1.0, 1.0)  # (B, D)

    def loss(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """MSE (``mse`` and ``sort``: the sorting is in the data) or Chamfer over slot tokens."""
        if self.loss_kind == "chamfer":
            return chamfer_loss(pred, target, self.groups)
        return F.mse_loss(pred, target)


def _check_features(config: ModelConfig, feature_config: FeatureConfig) -> None:
    wanted = {"cnn": "rfft", "ast": "logmel"}[config.encoder.kind]
    if feature_config.kind != wanted:
        raise ValueError(
            f"a {config.encoder.kind!r} encoder needs {wanted!r} features, "
            f"but the data has {feature_config.kind!r} features"
        )


def build_model(config: ModelConfig, spec: SynthSpec, feature_config: FeatureConfig) -> Model:
    """Build the :class:`FlowModel` or :class:`RegressionModel` that ``config`` describes."""
    _check_features(config, feature_config)
    shape = feature_config.shape
    # What the model predicts: the spec without its note when the note is conditioning.
    note_embed, pspec = None, spec
    if config.note_conditioning:
        nc = NoteConditioning.of(spec)
        pspec = nc.model_spec(spec)
        note_embed = NoteEmbedding(config.encoder.d_out, nc.min_midi, nc.max_midi)
    if config.kind == "regression":
        encoder = build_encoder(config.encoder, shape, num_tokens=1)
        head = ResidualMLP(config.encoder.d_out, config.head.width, config.head.blocks, pspec.dim)
        return RegressionModel(spec, feature_config, encoder, head, config.head.loss, note_embed)
    fc, d_cond = config.vector_field, config.encoder.d_out
    encoder = build_encoder(config.encoder, shape, num_tokens=fc.depth)
    penalty = 0.0
    if fc.kind == "mlp":
        field: MLPField | DiT = MLPField(fc, pspec.dim, d_cond)
    else:
        if fc.tokenizer == "param2tok":
            k = fc.num_tokens or FixedTokenizer(pspec, fc.d_model).num_tokens
            tokenizer: FixedTokenizer | Param2Tok = Param2Tok(
                pspec.dim, k, fc.d_model, fc.p2t_init_noise, fc.p2t_assign_init
            )
            penalty = fc.p2t_penalty
        else:
            tokenizer = FixedTokenizer(pspec, fc.d_model)
        field = DiT(fc, tokenizer, d_cond)
    return FlowModel(spec, feature_config, encoder, field, fc.depth, d_cond, penalty, note_embed)


Model = FlowModel | RegressionModel
"""What :func:`build_model` builds (a type alias for annotations)."""
