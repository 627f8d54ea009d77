"""Typed model configuration (torch-free, so configs can be read without importing torch)."""

from __future__ import annotations

from dataclasses import dataclass, field

MODEL_KINDS = ("cnf", "regression")
ENCODER_KINDS = ("cnn", "ast")
FIELD_KINDS = ("dit", "mlp")
TOKENIZER_KINDS = ("fixed", "param2tok")
P2T_ASSIGN_INITS = ("uniform", "constant")
TIME_ENCODINGS = ("scalar", "sinusoidal")
REGRESSION_LOSSES = ("mse", "sort", "chamfer")


@dataclass
class EncoderConfig:
    """Audio encoder: features to ``num_tokens`` conditioning vectors of width ``d_out``."""

    kind: str = "cnn"  # cnn: 1-D CNN over |rFFT| (k-osc); ast: spectrogram transformer (log-mel)
    d_out: int = 128  # width of each output token (the vector field's d_cond)
    channels: tuple[int, ...] = (24, 48, 96, 192, 384)  # CNN widths: stem, then one per stage
    blocks: int = 2  # CNN residual blocks per stage
    stem_stride: int = 1  # CNN stem stride (3 shortens the 513 bins to 171: cheaper on a CPU)
    hidden: int = 512  # CNN head width after flattening
    d_model: int = 512  # AST width
    depth: int = 8  # AST pre-norm blocks
    heads: int = 8  # AST attention heads
    d_ff: int = 512  # AST feed-forward width (the reference uses 1x, not 4x)
    patch: int = 16  # AST square patch size (mel bins and frames)
    stride: int = 10  # AST patch stride (< patch: overlapping patches, as in AST)


@dataclass
class FieldConfig:
    """Vector field ``v(x, t, cond)`` for the CNF."""

    kind: str = "dit"  # dit: transformer over parameter tokens; mlp: residual MLP (no equivariance)
    tokenizer: str = "fixed"  # fixed: one token per symmetry slot; param2tok: learned (Z, A, Z')
    num_tokens: int = 0  # PARAM2TOK tokens K; 0: as many as the fixed tokenizer would make
    d_model: int = 128  # token width (DiT) or hidden width (MLP)
    depth: int = 5  # DiT blocks or MLP residual blocks; each reads its own conditioning token
    heads: int = 4  # DiT attention heads
    d_ff: int = 256  # DiT feed-forward width
    time_encoding: str = "scalar"  # scalar: t as one feature (k-osc); sinusoidal (real synths)
    d_time: int = 256  # sinusoidal time-encoding width
    p2t_penalty: float = 0.01  # weight of the L1 penalty mean(|A|) on the PARAM2TOK assignment
    p2t_init_noise: float = 1e-4  # PARAM2TOK init noise around its symmetric (invariant) start
    # PARAM2TOK assignment A at init: constant (every token the same mean of all parameters:
    # the field is permutation invariant at init) or uniform (U(0, 1), rows normalised to sum
    # 1, as the reference implementation's LearntProjectionII)
    p2t_assign_init: str = "constant"


@dataclass
class HeadConfig:
    """Regression head on the pooled encoder output."""

    width: int = 384  # residual MLP width
    blocks: int = 4  # residual blocks
    loss: str = "mse"  # mse; sort (MSE on slot-sorted data); chamfer (over symmetry-slot tokens)


@dataclass
class ModelConfig:
    """A whole model: a CNF (encoder + vector field) or a regression baseline (encoder + head)."""

    kind: str = "cnf"  # cnf or regression
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    vector_field: FieldConfig = field(default_factory=FieldConfig)
    head: HeadConfig = field(default_factory=HeadConfig)
    cfg_dropout: float = 0.1  # probability of training with the learned null conditioning
    # The note as conditioning (issue 16): the model is told the rendered MIDI note (an input of
    # its encoder graph, added to every conditioning token) and predicts every parameter but the
    # spec's pitch note parameter; needs a spec with one (note_field "pitch").
    note_conditioning: bool = False
    note_dropout: float = 0.2  # probability of training with the learned "unknown note" instead

    def __post_init__(self) -> None:
        if not 0.0 <= self.note_dropout <= 1.0:
            raise ValueError(
                f"model config: note_dropout must be in [0, 1], got {self.note_dropout}"
            )
        checks = [
            ("kind", self.kind, MODEL_KINDS),
            ("encoder.kind", self.encoder.kind, ENCODER_KINDS),
            ("vector_field.kind", self.vector_field.kind, FIELD_KINDS),
            ("vector_field.tokenizer", self.vector_field.tokenizer, TOKENIZER_KINDS),
            ("vector_field.p2t_assign_init", self.vector_field.p2t_assign_init, P2T_ASSIGN_INITS),
            ("vector_field.time_encoding", self.vector_field.time_encoding, TIME_ENCODINGS),
            ("head.loss", self.head.loss, REGRESSION_LOSSES),
        ]
        for name, value, allowed in checks:
            if value not in allowed:
                raise ValueError(f"model config: {name} must be one of {allowed}, got {value!r}")
