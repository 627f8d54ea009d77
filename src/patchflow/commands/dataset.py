"""``patchflow dataset render|info``: render a deterministic, resumable HDF5 dataset."""

from __future__ import annotations

import argparse

from patchflow.synths.registry import SYNTHS

HELP = "render a dataset of (parameters, features[, audio]) to HDF5, or describe one"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)
    r = sub.add_parser("render", help="render a dataset (rerun the same command to resume)")
    r.add_argument("--synth", required=True, choices=sorted(SYNTHS))
    r.add_argument("--k", type=int, default=4, help="k-osc oscillator count")
    r.add_argument("--asymmetric", action="store_true", help="asymmetric k-osc variant")
    r.add_argument("--plugin", help="plugin file for plugin synths (default: the spec's path)")
    r.add_argument("--backend", choices=["pedalboard", "dawdreamer"],
                   help="plugin host (default: by file type)")  # fmt: skip
    r.add_argument("--preset", help="plugin preset file loaded before every render (.vstpreset)")
    r.add_argument("--count", type=int, required=True, help="number of items")
    r.add_argument("--out", required=True, help="output .h5 file")
    r.add_argument("--workers", type=int, default=1, help="parallel worker processes")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--chunk-size", type=int, default=1024, help="items per work unit")
    r.add_argument("--audio", action="store_true", help="also store the rendered audio")
    r.add_argument(
        "--min-rms-db",
        type=float,
        default=None,
        help="reject and redraw renders quieter than this (dBFS); plugin default -50",
    )
    i = sub.add_parser("info", help="describe a dataset file")
    i.add_argument("path")


def run(args: argparse.Namespace) -> int:
    from patchflow.cli import CommandError
    from patchflow.data.render import RenderConfig, RenderError, render_dataset

    if args.dataset_command == "info":
        from patchflow.data.dataset import DatasetError, SynthDataset

        try:
            ds = SynthDataset.load(args.path, with_audio=False)
        except DatasetError as err:
            raise CommandError(str(err)) from None
        print(ds)
        print(f"  render config: {ds.render_config}")
        print(f"  feature config: {ds.feature_config}")
        print(f"  spec: {ds.spec!r}")
        return 0
    if args.count <= 0 or args.workers <= 0 or args.chunk_size <= 0:
        raise CommandError("--count, --workers and --chunk-size must be positive")
    min_rms = args.min_rms_db
    if min_rms is None and SYNTHS[args.synth].needs_plugin:
        min_rms = -50.0
    config = RenderConfig(
        synth=args.synth,
        count=args.count,
        seed=args.seed,
        k=args.k,
        asymmetric=args.asymmetric,
        plugin=args.plugin,
        backend=args.backend,
        preset=args.preset,
        chunk_size=args.chunk_size,
        store_audio=args.audio,
        min_rms_db=min_rms,
    )
    try:
        path = render_dataset(config, args.out, workers=args.workers)
    except RenderError as err:
        raise CommandError(str(err)) from None
    print(f"wrote {path}")
    return 0
