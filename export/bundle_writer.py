"""Write a model bundle from a training run: ONNX graphs, card, frozen front-end, README."""

from __future__ import annotations

import datetime
import json
import logging
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from patchflow import __version__
from patchflow.bundle import (
    BUNDLE_FORMAT,
    BUNDLE_FORMAT_VERSION,
    SolverDefaults,
    load_bundle,
    sha256_file,
)
from patchflow.config import to_dict
from patchflow.export.graphs import (
    EncoderGraph,
    NoteEncoderGraph,
    NotePredictorGraph,
    NoteSamplerGraph,
    PredictorGraph,
    SamplerGraph,
    VectorFieldGraph,
)
from patchflow.export.macros import macro_directions
from patchflow.export.onnx_export import export_graph
from patchflow.export.quantize import WEIGHT_FORMATS, Int8Weights, quantize_graph
from patchflow.features import FeatureExtractor
from patchflow.nn.models import FlowModel, Model, RegressionModel
from patchflow.train.config import TrainConfig

log = logging.getLogger(__name__)

PARITY_ATOL = 1e-4
# int8 weights move a sample's parameters by a few hundredths (model space [-1, 1]); a broken
# graph moves them by tenths to whole units
INT8_PARITY_ATOL = 0.1


@dataclass(frozen=True)
class ExportOptions:
    """What goes into the bundle besides the trained weights.

    Attributes:
        name: Bundle name (default: the output folder's name).
        solver: Serving defaults for the solver.
        macros: Number of latent macro directions.
        fused: Also write ``sampler.onnx``, the whole sample for the serving default fused into
            one graph (faster on the CPU: see ``docs/results/fused_sampler.md``).
        macro_inputs: Representative inputs used to choose the macro directions.
        metrics: Evaluation results to record in the card (e.g. from ``patchflow evaluate``).
        training_command: The command that trained the run (default: read from the run).
        data_recipe: How the training data was made (default: read from the run).
        weights: ``float32``, or ``int8``: every graph's matrix products get int8 weights
            (:mod:`patchflow.export.quantize`; smaller and faster on the CPU, checked against
            PyTorch with ``INT8_PARITY_ATOL``).
    """

    name: str | None = None
    solver: SolverDefaults = field(default_factory=SolverDefaults)
    macros: int = 8
    fused: bool = False
    macro_inputs: int = 32
    metrics: dict[str, Any] | None = None
    training_command: str | None = None
    data_recipe: str | None = None
    weights: str = "float32"

    def __post_init__(self) -> None:
        if self.weights not in WEIGHT_FORMATS:
            raise ValueError(f"weights must be one of {WEIGHT_FORMATS}, got {self.weights!r}")


def _is_flow(model: Model) -> bool:
    return isinstance(model, FlowModel)


def _synth_entry(spec: Any) -> dict[str, Any]:
    if spec.synth.startswith("kosc"):
        k = sum(1 for p in spec.params if p.name.endswith("_freq_hz"))
        return {"id": "kosc", "options": {"k": k, "asymmetric": spec.synth.endswith("-asym")}}
    return {"id": spec.synth, "options": {}}


def representative_features(model: Any, stats: Any, data: str | None, count: int) -> torch.Tensor:
    """Standardised features of held-out inputs: a k-osc stream split, or a dataset file."""
    spec = model.spec
    if spec.synth.startswith("kosc"):
        from patchflow.data.stream import KOscStream

        entry = _synth_entry(spec)["options"]
        stream = KOscStream(
            k=entry["k"], asymmetric=entry["asymmetric"], batch_size=count, seed=12345
        )
        feats = stream.batch(0, split=7).features
    elif data and Path(data).is_file():
        from patchflow.data.dataset import SynthDataset

        feats = SynthDataset.load(data, limit=count, with_audio=False).features
    else:
        raise ValueError(f"export of {spec.synth}: representative inputs need the dataset file")
    return torch.from_numpy(stats.apply(feats))


def representative_notes(model: Model, data: str | None, count: int) -> torch.Tensor | None:
    """The notes of the inputs :func:`representative_features` reads (note-conditioned models:
    the dataset's rendered notes; ``None`` for other models or without the dataset file)."""
    nc = model.note_conditioning
    if nc is None or not (data and Path(data).is_file()):
        return None
    import h5py

    with h5py.File(data, "r") as f:
        if "native" in f:
            notes = nc.notes_from_native(f["native"][:count])
        else:
            notes = nc.notes_from_encoded(f["params"][:count], model.spec)
    return torch.from_numpy(notes)


def parity_notes(model: Model, count: int) -> torch.Tensor | None:
    """Notes for the parity check: spread over the range, every other one unknown (-1)."""
    nc = model.note_conditioning
    if nc is None:
        return None
    notes = torch.linspace(nc.min_midi, nc.max_midi, count)
    notes[1::2] = nc.unknown
    return notes


@dataclass(frozen=True)
class TrainingRecord:
    """What the card says about how the model was trained."""

    config: Any = None
    step: int = 0
    val_metrics: dict[str, Any] | None = None
    run_dir: Path | None = None
    weights: str = "raw"  # ema: the run's averaged weights; raw: the optimiser's


def _encoder_source(config: TrainConfig | None) -> dict[str, Any] | None:
    """Where a warm-started run's encoder came from, with that run's commands."""
    from patchflow.train import provenance

    if config is None or not config.init_encoder:
        return None
    source = Path(config.init_encoder)
    run_dir = source if source.is_dir() else source.parent
    commands = provenance.read(run_dir).get("commands", []) if run_dir.is_dir() else []
    frozen = config.freeze_encoder_steps
    return {"run": config.init_encoder, "frozen_steps": frozen, "commands": commands}


def _note_entry(model: Model) -> dict[str, Any]:
    """The card's ``note_conditioning`` entry, only for note-conditioned models (so the cards of
    the others stay as they were)."""
    nc = model.note_conditioning
    return {} if nc is None else {"note_conditioning": nc.to_dict()}


def build_card(model: Any, stats: Any, options: ExportOptions, name: str,
               macros: np.ndarray | None, record: TrainingRecord) -> dict[str, Any]:  # fmt: skip
    fc = model.feature_config
    from patchflow.train import provenance

    prov = provenance.read(record.run_dir) if record.run_dir else {}
    card: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_FORMAT_VERSION,
        "name": name,
        "model_kind": "cnf" if _is_flow(model) else "regression",
        "preset": getattr(record.config, "preset", None),
        "synth": _synth_entry(model.spec),
        "spec": model.spec.to_dict(),
        "features": fc.to_dict(),
        "stats": stats.to_dict(),
        "sample_rate": fc.sample_rate,
        "input_samples": fc.num_samples,
        "channels": fc.channels,
        "solver": asdict(options.solver),
        "macros": None,
        **_note_entry(model),
        "training": {
            "command": options.training_command or (prov.get("commands") or [None])[-1],
            "all_commands": prov.get("commands", []),
            "steps": int(record.step),
            "weights": record.weights,
            "config": to_dict(record.config) if record.config is not None else None,
            "encoder_from": _encoder_source(record.config),
        },
        "data_recipe": options.data_recipe or prov.get("data_recipe"),
        "metrics": {"validation": dict(record.val_metrics or {}), **(options.metrics or {})},
        "quantization": Int8Weights().to_card() if options.weights == "int8" else None,
        "patchflow_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if macros is not None:
        card["macros"] = {
            "directions": macros.tolist(),
            "scale": 1.5,
            "names": [f"Macro {i + 1}" for i in range(len(macros))],
            "method": "top eigenvectors of sum_i A_i A_i^T, A_i the least-squares map z -> x "
            "over posterior samples of held-out input i",
        }
    return card


def export_run(
    run_dir: str | Path, out_dir: str | Path, options: ExportOptions | None = None
) -> Path:
    """Export a training run (its best checkpoint) to a verified bundle folder.

    The bundle is written to a temporary folder, loaded back with onnxruntime, checked for
    parity against PyTorch (``PARITY_ATOL``), and only then moved into place.
    """
    from patchflow.train.checkpoint import load_checkpoint

    ckpt = load_checkpoint(run_dir)
    record = TrainingRecord(ckpt.config, ckpt.step, ckpt.metrics, Path(run_dir), ckpt.weights)
    from patchflow.train import provenance

    data = provenance.read(run_dir).get("data")
    count = (options or ExportOptions()).macro_inputs
    feats = representative_features(ckpt.model, ckpt.stats, data, count)
    notes = representative_notes(ckpt.model, data, count)
    return export_model(ckpt.model, out_dir, stats=ckpt.stats, inputs=feats, options=options,
                        record=record, notes=notes)  # fmt: skip


def export_model(
    model: Model,
    out_dir: str | Path,
    *,
    stats: Any,
    inputs: torch.Tensor,
    options: ExportOptions | None = None,
    record: TrainingRecord | None = None,
    notes: torch.Tensor | None = None,
) -> Path:
    """Export a model to a verified bundle folder.

    Args:
        model: A flow or regression model (with ``spec`` and ``feature_config``).
        out_dir: The bundle folder (replaced if it exists).
        stats: Feature standardisation statistics.
        inputs: Standardised features of representative inputs ``(N, *shape)``, N >= 3: they
            choose the macro directions and drive the parity check.
        options: Solver defaults, macros, metrics and provenance.
        record: How the model was trained.
        notes: The inputs' notes ``(N,)`` (note-conditioned models; ``None``: unknown), used
            for the macro directions.
    """
    options = options or ExportOptions()
    record = record or TrainingRecord()
    out_dir = Path(out_dir)
    model = model.eval()
    name = options.name or out_dir.name
    feats = inputs
    macros = None
    if isinstance(model, FlowModel) and options.macros > 0:
        s = options.solver
        macros = macro_directions(model, feats, count=options.macros, steps=max(s.steps, 4),
                                  method=s.method, cfg_scale=s.cfg_scale,
                                  notes=notes)  # fmt: skip
    card = build_card(model, stats, options, name, macros, record)
    tmp = Path(
        tempfile.mkdtemp(
            prefix=f".{name}-", dir=out_dir.parent if out_dir.parent.exists() else None
        )
    )
    try:
        _write_graphs(model, feats[:2], card, tmp, options)
        fx = FeatureExtractor(model.feature_config)
        frontend: dict[str, Any] = fx.arrays()
        np.savez(tmp / "frontend.npz", **frontend)
        (tmp / "card.json").write_text(json.dumps(card, indent=1))
        (tmp / "README.md").write_text(_readme(card))
        check_parity(model, tmp, feats[:3])
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp.chmod(0o755)
        shutil.move(str(tmp), str(out_dir))
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out_dir


def _write_graphs(
    model: Model,
    feats: torch.Tensor,
    card: dict,
    out: Path,
    options: ExportOptions,
) -> None:
    embedded = {k: v for k, v in card.items() if k != "graphs"}
    graphs: dict[str, Any] = {}
    examples: dict[str, tuple[torch.nn.Module, dict[str, torch.Tensor], tuple[str, ...], Any]]
    # Note-conditioned models take the note (B,) after the features in their first graph.
    note = parity_notes(model, feats.shape[0])
    noted: dict[str, torch.Tensor] = {} if note is None else {"note": note}
    with torch.no_grad():
        if isinstance(model, FlowModel):
            cond = model.encode(feats, note)  # (2, L, d)
            b, dim = feats.shape[0], model.param_spec.dim
            encoder = EncoderGraph(model) if note is None else NoteEncoderGraph(model)
            examples = {
                "encoder": (encoder, {"features": feats, **noted}, ("features", *noted), "cond"),
                "vector_field": (
                    VectorFieldGraph(model),
                    {
                        "x": torch.randn(b, dim),
                        "t": torch.rand(b),
                        "cond": cond,
                        "w": torch.tensor(2.0),
                    },
                    ("x", "t", "cond"),
                    "velocity",
                ),
            }
            if options.fused:
                s = options.solver
                sampler_cls = SamplerGraph if note is None else NoteSamplerGraph
                examples["sampler"] = (
                    sampler_cls(model, s.steps, s.method),
                    {"features": feats, **noted, "noise": torch.randn(b, dim),
                     "w": torch.tensor(2.0)},
                    ("features", *noted, "noise"),
                    ("params", "cond"),
                )  # fmt: skip
        else:
            assert isinstance(model, RegressionModel)
            predictor = PredictorGraph(model) if note is None else NotePredictorGraph(model)
            examples = {
                "predictor": (
                    predictor,
                    {"features": feats, **noted},
                    ("features", *noted),
                    "params",
                )
            }
    for graph, (module, example, batched, output) in examples.items():
        path = out / f"{graph}.onnx"
        export_graph(module, example, batched, output, path, embedded)
        if options.weights == "int8":
            quantize_graph(path)
        inputs = {
            k: (["batch", *v.shape[1:]] if k in batched else list(v.shape))
            for k, v in example.items()
        }
        graphs[graph] = {"file": path.name, "sha256": sha256_file(path), "inputs": inputs}
    if "sampler" in graphs:
        graphs["sampler"].update(steps=options.solver.steps, method=options.solver.method)
    card["graphs"] = graphs


@torch.no_grad()
def check_parity(
    model: Model, bundle_dir: Path, feats: torch.Tensor, steps: int = 4
) -> dict[str, float]:
    """Max abs difference between PyTorch and onnxruntime on each graph and a whole sample."""
    from patchflow.flow.solver import ODESolver
    from patchflow.inference import Predictor

    bundle = load_bundle(bundle_dir, prefer_gpu=False)
    predictor = Predictor(bundle)
    diffs: dict[str, float] = {}
    note = parity_notes(model, feats.shape[0])
    noted = {} if note is None else {"note": note.numpy()}
    if isinstance(model, RegressionModel):
        ref = model.predict(feats, note).numpy()
        got = bundle.sessions["predictor"].run(None, {"features": feats.numpy(), **noted})[0]
        diffs["predictor"] = float(np.abs(ref - got).max())
    else:
        cond = model.encode(feats, note)
        got_cond = bundle.sessions["encoder"].run(None, {"features": feats.numpy(), **noted})[0]
        diffs["encoder"] = float(np.abs(cond.numpy() - got_cond).max())
        noise = predictor.noise(feats.shape[0], seed=1)
        w = torch.tensor(bundle.card.solver.cfg_scale)
        solver = ODESolver(velocity=lambda x, t, c: model.guided_velocity(x, t, c, w))
        ref = solver.sample(x_init=torch.from_numpy(noise), steps=steps, method="rk4", cond=cond).x
        got = predictor.sample(got_cond, noise, steps=steps, method="rk4",
                               note=noted.get("note")).encoded  # fmt: skip
        ref_x = np.clip(ref.numpy(), -1, 1)
        if model.note_conditioning is not None:  # predictions carry the note in its column
            ref_x = model.note_conditioning.insert(bundle.card.spec, ref_x, noted["note"])
        # Decoding snaps the spec's fixed parameters; the reference is snapped the same way.
        ref_snapped = bundle.card.spec.snap_fixed_encoded(ref_x)
        diffs["sample"] = float(np.abs(ref_snapped - got).max())
        entry = bundle.card.raw["graphs"].get("sampler")
        if entry is not None:
            fused_ref = ODESolver(velocity=solver.velocity).sample(
                x_init=torch.from_numpy(noise),
                steps=entry["steps"],
                method=entry["method"],
                cond=cond,
            )
            feeds = {"features": feats.numpy(), **noted, "noise": noise, "w": w.numpy()}
            fused = bundle.sessions["sampler"].run(None, feeds)[0]
            diffs["fused"] = float(np.abs(fused_ref.x.numpy() - fused).max())
    worst = max(diffs.values())
    int8 = bundle.card.raw.get("quantization") is not None
    tolerance = INT8_PARITY_ATOL if int8 else PARITY_ATOL * 10
    if worst > tolerance:
        raise RuntimeError(f"ONNX parity check failed (tolerance {tolerance:g}): {diffs}")
    log.info("parity PyTorch vs onnxruntime: %s", {k: f"{v:.2e}" for k, v in diffs.items()})
    return diffs


def _note_line(card: dict) -> str:
    nc = card.get("note_conditioning")
    if not nc:
        return ""
    return (
        f"- Note conditioning: the model is told the note ({nc['param']}, MIDI "
        f"{nc['min_midi']:g} to {nc['max_midi']:g}; {nc['unknown']:g}: unknown) as the graph "
        "input `note` and predicts the other parameters.\n"
    )


def _quantization_line(card: dict) -> str:
    q = card.get("quantization")
    if not q:
        return ""
    return (
        f"- Graph weights: {q['weights']} ({', '.join(q['ops'])}; activations {q['activations']}; "
        f"{q['tool']}).\n"
    )


def _weights_words(training: dict) -> str:
    if training.get("weights") == "ema":
        return "exponential moving average of the weights"
    return "the optimiser's last weights"


def _readme(card: dict) -> str:
    t = card["training"]
    return f"""# {card["name"]}

{card["model_kind"].upper()} model for `{card["spec"]["synth"]}`
({len(card["spec"]["params"])} parameters),
exported by patchflow {card["patchflow_version"]} on {card["created"]}.

- Preset: `{card.get("preset")}`, {t["steps"]} training steps ({_weights_words(t)}).
- Training command: `{t.get("command")}`
- Data recipe: {card.get("data_recipe")}
- Serving defaults: {card["solver"]}
{_note_line(card)}{_quantization_line(card)}- Metrics: see `card.json` (`metrics`).

Load it with `patchflow match AUDIO --model {card["name"]}` or
`patchflow serve --model {card["name"]}`.
"""
