"""Training configuration and the named presets (their keys are the CLI ``--preset`` choices).

A preset is a function of the size name (``tiny`` for tests, ``small`` for the 2-core CPU,
``paper`` for the sizes of Hayes et al. 2025 on a GPU). The k-osc presets work for any k,
symmetric or asymmetric: the model is sized from the data's spec. Torch-free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from patchflow.nn.config import EncoderConfig, FieldConfig, HeadConfig, ModelConfig

SIZES = ("tiny", "small", "paper")
COUPLINGS = ("none", "ot")
LR_SCHEDULES = ("constant", "cosine")


@dataclass
class OptimConfig:
    """Adam with optional warmup and cosine decay."""

    lr: float = 1e-4  # peak learning rate
    weight_decay: float = 0.0
    grad_clip: float = 1.0  # max global gradient norm (0: no clipping)
    schedule: str = "constant"  # constant, or cosine decay to min_lr_ratio * lr at the last step
    warmup_steps: int = 0  # linear warmup from 0
    min_lr_ratio: float = 0.01  # cosine floor


@dataclass
class ValConfig:
    """Validation: losses and an audio metric on a fixed held-out set."""

    every: int = 10_000  # validate (and save last.pt / best.pt) every this many steps
    batches: int = 10  # held-out batches
    batch_size: int = 1024
    ode_steps: int = 50  # CNF sampling steps for the metric
    method: str = "rk4"  # ODE solver
    cfg_scale: float = 2.0  # classifier-free guidance scale w


@dataclass
class TrainConfig:
    """Everything that determines a training run (saved in every checkpoint)."""

    preset: str = ""  # preset name, for the record
    size: str = "paper"  # size name, for the record
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    val: ValConfig = field(default_factory=ValConfig)
    steps: int = 400_000
    batch_size: int = 1024
    coupling: str = "ot"  # CNF noise-data pairing: none, or exact minibatch optimal transport
    sort_slots: bool = False  # sort symmetry slots by their first column (k-osc: frequency)
    seed: int = 999  # model init, data order, noise, times and CFG dropout
    num_threads: int = 2  # torch CPU threads
    log_every: int = 50  # training-loss rows in metrics.csv
    checkpoint_every: int = 1000  # last.pt also every this many steps
    checkpoint_minutes: float = 5.0  # ... and at least this often
    ema_decay: float = 0.999  # EMA of the weights, validated and shipped (0: no EMA)
    init_encoder: str = (
        ""  # checkpoint or run dir whose encoder (and note embedding) start this run
    )
    freeze_encoder_steps: int = 0  # keep that encoder fixed for the first N steps

    def __post_init__(self) -> None:
        if self.coupling not in COUPLINGS:
            raise ValueError(f"coupling must be one of {COUPLINGS}, got {self.coupling!r}")
        if self.optim.schedule not in LR_SCHEDULES:
            raise ValueError(
                f"lr schedule must be one of {LR_SCHEDULES}, got {self.optim.schedule!r}"
            )
        for name in ("steps", "batch_size", "log_every", "checkpoint_every", "num_threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.freeze_encoder_steps < 0:
            raise ValueError(f"freeze_encoder_steps must be >= 0, got {self.freeze_encoder_steps}")
        if self.freeze_encoder_steps and not self.init_encoder:
            raise ValueError("freeze_encoder_steps needs init_encoder (a trained encoder to keep)")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.val.every < 1 or self.val.batches < 1 or self.val.batch_size < 1:
            raise ValueError("val.every, val.batches and val.batch_size must be >= 1")


# --------------------------------------------------------------------------------------------
# k-osc presets (CNN over |rFFT|)
# --------------------------------------------------------------------------------------------


def _kosc_cnn(size: str, d_out: int) -> EncoderConfig:
    if size == "tiny":
        return EncoderConfig(
            kind="cnn", d_out=d_out, channels=(4, 4, 4), blocks=1, stem_stride=3, hidden=32
        )
    if size == "small":  # a strided stem and one block per stage: about 2x cheaper on a CPU
        return EncoderConfig(
            kind="cnn", d_out=d_out, channels=(16, 32, 64, 128), blocks=1, stem_stride=3, hidden=256
        )
    return EncoderConfig(
        kind="cnn", d_out=d_out, channels=(24, 48, 96, 192, 384), blocks=2, hidden=512
    )


def _kosc_run(preset: str, size: str, model: ModelConfig, **changes: Any) -> TrainConfig:
    """Paper schedule (Adam 1e-4, batch 1024, 400k steps), or a short one for CPU sizes."""
    if size == "paper":
        config = TrainConfig(preset=preset, size=size, model=model)
    elif size == "small":
        config = TrainConfig(
            preset=preset,
            size=size,
            model=model,
            optim=OptimConfig(lr=1e-3, schedule="cosine", warmup_steps=200, min_lr_ratio=0.05),
            val=ValConfig(every=500, batches=2, batch_size=256, ode_steps=20),
            steps=6000,
            batch_size=256,
            num_threads=1,  # measured: 2 threads stall badly when other jobs share the 2 cores
            log_every=20,
            checkpoint_every=500,
        )
    else:
        config = TrainConfig(
            preset=preset,
            size=size,
            model=model,
            optim=OptimConfig(lr=1e-3),
            val=ValConfig(every=10, batches=1, batch_size=16, ode_steps=4),
            steps=20,
            batch_size=16,
            num_threads=1,
            log_every=5,
            checkpoint_every=10,
        )
    return replace(config, **changes)


def _kosc_field(size: str, **changes: Any) -> FieldConfig:
    dims = {"tiny": (16, 2, 2, 32), "small": (64, 4, 4, 128)}
    d, depth, heads, d_ff = dims.get(size, (128, 5, 4, 256))
    config = FieldConfig(d_model=d, depth=depth, heads=heads, d_ff=d_ff, time_encoding="scalar")
    return replace(config, **changes)


def cnf_equivariant(size: str = "paper") -> TrainConfig:
    """DiT with the fixed (exactly equivariant) one-token-per-oscillator tokenizer."""
    fc = _kosc_field(size, tokenizer="fixed")
    model = ModelConfig(kind="cnf", encoder=_kosc_cnn(size, fc.d_model), vector_field=fc)
    return _kosc_run("cnf-equivariant", size, model)


def cnf_param2tok(size: str = "paper") -> TrainConfig:
    """DiT with learned PARAM2TOK tokens (approximately equivariant)."""
    fc = _kosc_field(size, tokenizer="param2tok")
    model = ModelConfig(kind="cnf", encoder=_kosc_cnn(size, fc.d_model), vector_field=fc)
    return _kosc_run("cnf-param2tok", size, model)


def cnf_mlp(size: str = "paper") -> TrainConfig:
    """Residual-MLP vector field (no equivariance); paper width 192, 7 blocks."""
    dims = {"tiny": (16, 2), "small": (128, 5)}
    width, depth = dims.get(size, (192, 7))
    fc = FieldConfig(kind="mlp", d_model=width, depth=depth, time_encoding="scalar")
    d_out = {"tiny": 16, "small": 64}.get(size, 128)
    model = ModelConfig(kind="cnf", encoder=_kosc_cnn(size, d_out), vector_field=fc)
    return _kosc_run("cnf-mlp", size, model)


def _ffn(preset: str, size: str, loss: str) -> TrainConfig:
    width, blocks = {"tiny": (16, 1), "small": (128, 3)}.get(size, (384, 4))
    model = ModelConfig(
        kind="regression",
        encoder=_kosc_cnn(size, width),
        head=HeadConfig(width=width, blocks=blocks, loss=loss),
    )
    return _kosc_run(preset, size, model, coupling="none", sort_slots=loss == "sort")


def ffn_mse(size: str = "paper") -> TrainConfig:
    """CNN + residual MLP regression with MSE."""
    return _ffn("ffn-mse", size, "mse")


def ffn_sort(size: str = "paper") -> TrainConfig:
    """CNN + residual MLP regression with MSE on frequency-sorted oscillators."""
    return _ffn("ffn-sort", size, "sort")


def ffn_chamfer(size: str = "paper") -> TrainConfig:
    """CNN + residual MLP regression with a permutation-invariant Chamfer loss."""
    return _ffn("ffn-chamfer", size, "chamfer")


# --------------------------------------------------------------------------------------------
# Real-synth presets (AST over log-mel)
# --------------------------------------------------------------------------------------------


def _ast(size: str, d_out: int, regression: bool = False) -> EncoderConfig:
    if size == "tiny":
        return EncoderConfig(
            "ast", d_out, d_model=16, depth=1, heads=2, d_ff=32, patch=16, stride=16
        )
    if size == "small":
        return EncoderConfig(
            "ast", d_out, d_model=128, depth=4, heads=4, d_ff=256, patch=16, stride=16
        )
    if regression:  # the reference's AST regression baseline is wider and deeper
        return EncoderConfig(
            "ast", d_out, d_model=768, depth=12, heads=16, d_ff=768, patch=16, stride=10
        )
    return EncoderConfig(
        kind="ast", d_out=d_out, d_model=512, depth=8, heads=8, d_ff=512, patch=16, stride=10
    )


def _ast_run(preset: str, size: str, model: ModelConfig, **changes: Any) -> TrainConfig:
    """Paper schedule (Adam 1e-4 cosine to 1e-6, batch 128, clip 0.5), or short CPU ones."""
    if size == "paper":
        config = TrainConfig(
            preset=preset,
            size=size,
            model=model,
            optim=OptimConfig(lr=1e-4, grad_clip=0.5, schedule="cosine", min_lr_ratio=0.01),
            val=ValConfig(every=5000, batches=4, batch_size=128, ode_steps=50),
            steps=1_000_000,
            batch_size=128,
            checkpoint_every=5000,
        )
    elif size == "small":
        config = TrainConfig(
            preset=preset,
            size=size,
            model=model,
            optim=OptimConfig(lr=3e-4, grad_clip=0.5, schedule="cosine", warmup_steps=200),
            val=ValConfig(every=500, batches=2, batch_size=64, ode_steps=20),
            steps=5000,
            batch_size=64,
            log_every=20,
            checkpoint_every=500,
        )
    else:
        config = TrainConfig(
            preset=preset,
            size=size,
            model=model,
            optim=OptimConfig(lr=1e-3, grad_clip=0.5),
            val=ValConfig(every=10, batches=1, batch_size=8, ode_steps=4),
            steps=20,
            batch_size=8,
            num_threads=1,
            log_every=5,
            checkpoint_every=10,
        )
    return replace(config, **changes)


def _ast_field(size: str, kind: str) -> FieldConfig:
    if kind == "mlp":
        width, depth = {"tiny": (16, 2), "small": (256, 5)}.get(size, (768, 9))
        return FieldConfig(kind="mlp", d_model=width, depth=depth, time_encoding="sinusoidal")
    dims = {"tiny": (16, 2, 2, 32, 8, 16), "small": (128, 4, 4, 256, 32, 64)}
    d, depth, heads, d_ff, tokens, d_time = dims.get(size, (512, 8, 8, 512, 128, 256))
    return FieldConfig(
        kind="dit",
        tokenizer="param2tok",
        num_tokens=tokens,
        d_model=d,
        depth=depth,
        heads=heads,
        d_ff=d_ff,
        time_encoding="sinusoidal",
        d_time=d_time,
        # A broken-symmetry start (issue 16 item 4, docs/param2tok-amsynth.md): from the paper's
        # symmetric one (noise 1e-4) the field cannot tell the ~70 parameters apart and stays
        # on the loss plateau (~1.06) for thousands of CPU steps; noise 0.1 leaves it at once.
        p2t_init_noise=0.1,
    )


def ast_cnf_param2tok(size: str = "paper") -> TrainConfig:
    """AST encoder (one output token per DiT layer) and a PARAM2TOK DiT."""
    fc = _ast_field(size, "dit")
    d_out = {"tiny": 16, "small": 128}.get(size, 512)
    model = ModelConfig(kind="cnf", encoder=_ast(size, d_out), vector_field=fc)
    return _ast_run("ast-cnf-param2tok", size, model)


def ast_cnf_mlp(size: str = "paper") -> TrainConfig:
    """AST encoder and the residual-MLP vector field."""
    fc = _ast_field(size, "mlp")
    d_out = {"tiny": 16, "small": 128}.get(size, 512)
    model = ModelConfig(kind="cnf", encoder=_ast(size, d_out), vector_field=fc)
    return _ast_run("ast-cnf-mlp", size, model)


def ast_regression(size: str = "paper") -> TrainConfig:
    """AST with one output token and a residual MLP regression head (MSE)."""
    width = {"tiny": 16, "small": 128}.get(size, 768)
    model = ModelConfig(
        kind="regression",
        encoder=_ast(size, width, regression=True),
        head=HeadConfig(width=width, blocks=1, loss="mse"),
    )
    return _ast_run("ast-regression", size, model, coupling="none")


PRESETS: dict[str, Callable[..., TrainConfig]] = {
    "cnf-equivariant": cnf_equivariant,
    "cnf-param2tok": cnf_param2tok,
    "cnf-mlp": cnf_mlp,
    "ffn-mse": ffn_mse,
    "ffn-sort": ffn_sort,
    "ffn-chamfer": ffn_chamfer,
    "ast-cnf-param2tok": ast_cnf_param2tok,
    "ast-cnf-mlp": ast_cnf_mlp,
    "ast-regression": ast_regression,
}


def preset_config(name: str, size: str = "small") -> TrainConfig:
    """The config of preset ``name`` at ``size`` (``tiny``, ``small`` or ``paper``)."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; choose from {sorted(PRESETS)}")
    if size not in SIZES:
        raise KeyError(f"unknown size {size!r}; choose from {SIZES}")
    return PRESETS[name](size)
