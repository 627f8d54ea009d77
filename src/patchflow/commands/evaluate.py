"""``patchflow evaluate``: re-render a model's predictions on a dataset and score them."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from patchflow.flow.solver import METHODS

if TYPE_CHECKING:
    from patchflow.bundle import SolverDefaults
    from patchflow.data.dataset import SynthDataset
    from patchflow.evaluation import Predictions
    from patchflow.spec import SynthSpec

HELP = "evaluate a training run or bundle on a dataset: per-item metrics, summary, figure"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", help="training run directory (its best.pt) or a .pt checkpoint")
    which.add_argument("--model", help="exported bundle name or folder")
    parser.add_argument("--data", required=True, help="dataset file (patchflow dataset render)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument(
        "--steps", type=int, help="ODE steps (default: the bundle's; for --run the serving default)"
    )
    parser.add_argument("--method", choices=METHODS, help="ODE method (default: as --steps)")
    parser.add_argument("--cfg", type=float, help="guidance scale w (default: as --steps)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial noise")
    parser.add_argument(
        "--temperature",
        type=float,
        help="scale of the initial noise, 0..1 (default: the bundle's; 1 for --run)",
    )
    parser.add_argument("--limit", type=int, help="evaluate only the first N items")
    parser.add_argument("--batch-size", type=int, default=256, help="items per batch")
    parser.add_argument("--figure-items", type=int, default=6, help="items drawn in the figure")
    parser.add_argument("--device", default="cpu", help="torch device for --run (cpu, cuda)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (torch, onnxruntime)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


@dataclass
class _Predicted:
    """Predictions plus the solver settings actually used (``steps`` 0 for regression)."""

    name: str
    predictions: Predictions
    steps: int
    method: str
    cfg: float
    temperature: float = 1.0


def _solver(args: argparse.Namespace, defaults: SolverDefaults) -> tuple[int, str, float]:
    steps = args.steps if args.steps is not None else defaults.steps
    method = args.method or defaults.method
    cfg = args.cfg if args.cfg is not None else defaults.cfg_scale
    return int(steps), str(method), float(cfg)


def _check_spec(model_spec: SynthSpec, data: SynthDataset, source: str) -> None:
    from patchflow.cli import CommandError

    if model_spec.names != data.spec.names or model_spec.dim != data.spec.dim:
        raise CommandError(
            f"{source} predicts {model_spec.synth!r} parameters but the dataset holds "
            f"{data.spec.synth!r} ones"
        )


def _predict_run(args: argparse.Namespace, data: SynthDataset, progress: bool) -> _Predicted:
    import torch

    from patchflow.bundle import SolverDefaults
    from patchflow.cli import CommandError
    from patchflow.evaluation import is_flow_model, predict_run
    from patchflow.train.checkpoint import CheckpointError, load_checkpoint

    torch.set_num_threads(args.threads)
    try:
        ckpt = load_checkpoint(args.run, map_location=args.device)
    except CheckpointError as err:
        raise CommandError(str(err)) from None
    _check_spec(ckpt.spec, data, args.run)
    if ckpt.feature_config != data.feature_config:
        raise CommandError(f"{args.run} expects other features than {args.data} holds")
    steps, method, cfg = _solver(args, SolverDefaults())
    predictions = predict_run(
        ckpt,
        data.features,
        steps=steps,
        method=method,
        cfg_scale=cfg,
        seed=args.seed,
        batch_size=args.batch_size,
        progress=progress,
        notes=_rendered_notes(data),
        temperature=1.0 if args.temperature is None else args.temperature,
    )
    run = Path(args.run)
    name = run.name if run.is_dir() else run.parent.name
    if not is_flow_model(ckpt.model):
        return _Predicted(name, predictions, 0, "none", 1.0)
    temperature = 1.0 if args.temperature is None else args.temperature
    return _Predicted(name, predictions, steps, method, cfg, temperature)


def _rendered_notes(data: SynthDataset) -> np.ndarray | None:
    """The note each item was rendered at (what a note-conditioned model is given); None when
    the spec has no pitch note parameter."""
    from patchflow.note_conditioning import NoteConditioning

    if data.spec.note_index is None:
        return None
    return NoteConditioning.of(data.spec).notes_from_encoded(data.params, data.spec)


def _predict_bundle(
    args: argparse.Namespace, data: SynthDataset, audio: np.ndarray, progress: bool
) -> _Predicted:
    from patchflow.bundle import BundleError, load_bundle
    from patchflow.cli import CommandError
    from patchflow.evaluation import predict_bundle
    from patchflow.machine import limit_blas_threads

    # As serving runs a bundle: the features' filterbank product rounds differently with another
    # BLAS thread count, and an int8 bundle's per-call quantization can turn that rounding into
    # visibly different answers (docs/first-answer.md)
    limit_blas_threads()
    try:
        bundle = load_bundle(args.model, threads=args.threads)
    except BundleError as err:
        raise CommandError(str(err)) from None
    card = bundle.card
    _check_spec(card.spec, data, args.model)
    fc = card.feature_config
    if (fc.sample_rate, fc.channels) != (data.spec.sample_rate, data.spec.channels):
        raise CommandError(f"{bundle.name} expects {fc.sample_rate} Hz x {fc.channels} channels")
    steps, method, cfg = _solver(args, card.solver)
    predictions = predict_bundle(
        bundle,
        audio,
        steps=steps,
        method=method,
        cfg_scale=cfg,
        seed=args.seed,
        batch_size=args.batch_size,
        progress=progress,
        notes=_rendered_notes(data),
        temperature=args.temperature,
    )
    if card.model_kind != "cnf":
        return _Predicted(bundle.name, predictions, 0, "none", 1.0)
    temperature = card.solver.temperature if args.temperature is None else args.temperature
    return _Predicted(bundle.name, predictions, steps, method, cfg, temperature)


def run(args: argparse.Namespace) -> int:
    from patchflow.cli import CommandError
    from patchflow.data.dataset import DatasetError, SynthDataset
    from patchflow.evaluation import (
        EvaluationError,
        finish_evaluation,
        render_encoded,
        synth_for_spec,
    )

    if (args.limit is not None and args.limit < 1) or args.batch_size < 1 or args.threads < 1:
        raise CommandError("--limit, --batch-size and --threads must be positive")
    if args.temperature is not None and not 0.0 <= args.temperature <= 1.0:
        raise CommandError(f"--temperature must be in [0, 1], got {args.temperature}")
    if args.steps is not None and args.steps < 1:
        raise CommandError("--steps must be >= 1")
    try:
        data = SynthDataset.load(args.data, limit=args.limit)
    except DatasetError as err:
        raise CommandError(str(err)) from None
    rc = data.render_config
    try:
        synth = synth_for_spec(data.spec, rc.synth, **rc.synth_options())
    except (EvaluationError, KeyError, OSError) as err:
        raise CommandError(f"cannot build the synth for {args.data}: {err}") from None
    progress = not args.no_progress
    target_audio = data.audio
    with synth:  # a plug-in synth is released however the evaluation ends
        try:
            if args.run:
                result = _predict_run(args, data, progress)
            else:
                if target_audio is None:
                    target_audio = render_encoded(synth, data.params, args.batch_size)
                result = _predict_bundle(args, data, target_audio, progress)
            settings = {
                "source": "run" if args.run else "bundle",
                "path": args.run or args.model,
                "data": str(args.data),
                "steps": result.steps,
                "method": result.method,
                "cfg": result.cfg,
                "seed": args.seed,
                "temperature": result.temperature,
            }
            report = finish_evaluation(
                result.name,
                synth,
                result.predictions,
                data.params,
                target_audio=target_audio,
                out=Path(args.out),
                settings=settings,
                figure_items=args.figure_items,
                batch_size=args.batch_size,
                progress=progress,
            )
        except EvaluationError as err:
            raise CommandError(str(err)) from None
    headline = ", ".join(
        f"{m} {s['mean']:.4g} ± {s['ci95']:.2g}" for m, s in report.summary.items()
    )
    print(
        f"{result.name} on {len(data)} items, {result.predictions.nfe} network evaluations: "
        f"{headline}"
    )
    print(f"wrote {args.out}: per_item.csv, summary.json, summary.md, spectrograms.png")
    return 0
