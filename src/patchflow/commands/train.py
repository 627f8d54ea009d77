"""``patchflow train``: train a CNF or a regression baseline from a named preset.

Rerunning the same command with the same ``--out`` resumes from ``RUN_DIR/last.pt``.
"""

from __future__ import annotations

import argparse

from patchflow.train.config import PRESETS, SIZES, preset_config

HELP = "train a model from a preset on a k-osc stream or an HDF5 dataset (rerun to resume)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", required=True, choices=list(PRESETS), help="model preset")
    parser.add_argument(
        "--size",
        default="small",
        choices=SIZES,
        help="tiny (tests), small (2-core CPU, default) or paper (GPU)",
    )
    parser.add_argument(
        "--data", required=True, help="HDF5 dataset file, or stream:koscK / stream:koscK-asym"
    )
    parser.add_argument("--out", required=True, help="run directory")
    parser.add_argument("--steps", type=int, help="training steps (default: the preset's)")
    parser.add_argument("--batch-size", type=int, help="batch size (default: the preset's)")
    parser.add_argument("--lr", type=float, help="peak learning rate (default: the preset's)")
    parser.add_argument("--coupling", choices=("none", "ot"), help="CNF noise-data coupling")
    parser.add_argument("--val-every", type=int, help="validate every N steps")
    parser.add_argument("--seed", type=int, help="seed (default: the preset's)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: the preset's)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument(
        "--note-conditioning",
        action="store_true",
        help="give the model the rendered note instead of predicting it (specs with a pitch "
        "note parameter, e.g. amsynth)",
    )
    parser.add_argument(
        "--note-dropout",
        type=float,
        help="probability of training with the 'unknown note' instead (default 0.2; implies "
        "--note-conditioning)",
    )
    parser.add_argument(
        "--init-encoder",
        metavar="RUN",
        help="start the encoder (and note embedding) from this run directory or checkpoint "
        "(same features; e.g. a regression run for a CNF)",
    )
    parser.add_argument(
        "--freeze-encoder-steps",
        type=int,
        metavar="N",
        help="with --init-encoder: keep that encoder fixed for the first N steps",
    )
    parser.add_argument(
        "--time-limit-min",
        type=float,
        help="stop after this many minutes (validating and saving first); rerun to continue",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-tensorboard", action="store_true", help="metrics.csv only")


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from patchflow.cli import CommandError
    from patchflow.config import replace as replace_set
    from patchflow.data.dataset import DatasetError
    from patchflow.train import provenance
    from patchflow.train.checkpoint import CheckpointError
    from patchflow.train.loop import ResumeError, train

    config = preset_config(args.preset, args.size)
    if args.val_every is not None:
        config = replace(config, val=replace(config.val, every=args.val_every))
    if args.lr is not None:
        config = replace(config, optim=replace(config.optim, lr=args.lr))
    if args.note_conditioning or args.note_dropout is not None:
        try:
            model = replace(config.model, note_conditioning=True)
            if args.note_dropout is not None:
                model = replace(model, note_dropout=args.note_dropout)
        except ValueError as err:
            raise CommandError(str(err)) from None
        config = replace(config, model=model)
    try:
        config = replace_set(
            config,
            steps=args.steps,
            batch_size=args.batch_size,
            coupling=args.coupling,
            seed=args.seed,
            num_threads=args.threads,
            init_encoder=args.init_encoder,
            freeze_encoder_steps=args.freeze_encoder_steps,
        )
        provenance.record(args.out, args.argv, args.data, config.seed)
        result = train(
            config,
            data=args.data,
            run_dir=args.out,
            device=args.device,
            progress=not args.no_progress,
            tensorboard=not args.no_tensorboard,
            time_limit_s=None if args.time_limit_min is None else 60 * args.time_limit_min,
        )
    except (ValueError, DatasetError, CheckpointError, ResumeError) as err:
        raise CommandError(str(err)) from None
    metrics = ", ".join(f"{k} {v:.4g}" for k, v in result.metrics.items())
    print(f"{result.run_dir}: step {result.step}; validation: {metrics}")
    if result.step < config.steps:
        print(f"stopped at the time limit; rerun the same command to continue to {config.steps}")
    if result.best is not None:
        print(f"best {result.metric_name}: {result.best:.4g} ({result.run_dir / 'best.pt'})")
    return 0
