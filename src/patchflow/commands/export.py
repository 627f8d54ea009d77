"""``patchflow export``: a training run to a self-describing ONNX bundle."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "export a training run to an ONNX model bundle (encoder, vector field, card)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, help="training run directory")
    parser.add_argument("--out", required=True, help="bundle folder to write, e.g. models/kosc4")
    parser.add_argument("--name", help="bundle name (default: the folder name)")
    parser.add_argument("--method", default="midpoint", choices=["euler", "midpoint", "rk4"],
                        help="serving default ODE method")  # fmt: skip
    parser.add_argument("--steps", type=int, default=4, help="serving default solver steps")
    parser.add_argument("--cfg", type=float, default=2.0, help="serving default guidance scale")
    parser.add_argument(
        "--temperature",
        type=float,
        default=1.0,
        help="scale of the one-shot answer's noise, 0..1 (0: the flow from the noise's mean)",
    )
    parser.add_argument("--macros", type=int, default=8, help="latent macro directions")
    parser.add_argument(
        "--fused",
        action="store_true",
        help="also write sampler.onnx: the serving default's whole sample in one graph (faster)",
    )
    parser.add_argument(
        "--weights",
        default="float32",
        choices=["float32", "int8"],
        help="int8: every graph's matrix products get int8 weights (smaller, faster on the CPU)",
    )
    parser.add_argument("--metrics", help="JSON summary from `patchflow evaluate` to record")
    parser.add_argument(
        "--data-recipe", help="how the training data was made (default: from the run)"
    )


def run(args: argparse.Namespace) -> int:
    from patchflow.bundle import SolverDefaults
    from patchflow.cli import CommandError
    from patchflow.export.bundle_writer import ExportOptions, export_run

    if not 0.0 <= args.temperature <= 1.0:
        raise CommandError(f"--temperature must be in [0, 1], got {args.temperature}")
    if not Path(args.run).is_dir():
        raise CommandError(f"{args.run}: no such run directory")
    metrics = None
    if args.metrics:
        try:
            metrics = {"evaluation": json.loads(Path(args.metrics).read_text())}
        except (OSError, json.JSONDecodeError) as err:
            raise CommandError(f"{args.metrics}: cannot read metrics: {err}") from None
    options = ExportOptions(
        name=args.name,
        solver=SolverDefaults(
            method=args.method, steps=args.steps, cfg_scale=args.cfg, temperature=args.temperature
        ),
        macros=args.macros,
        fused=args.fused,
        metrics=metrics,
        data_recipe=args.data_recipe,
        weights=args.weights,
    )
    out = export_run(args.run, args.out, options)
    size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
    print(f"wrote bundle {out} ({size:.1f} MB)")
    return 0
