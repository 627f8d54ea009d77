"""The ``patchflow`` command: one verb per pipeline stage.

Each verb lives in its own module under :mod:`patchflow.commands` exposing ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Command modules import heavy dependencies
(torch, h5py) inside ``run`` so that serving verbs stay light.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

# verb -> module; the order is the pipeline order shown by --help.
COMMANDS: dict[str, str] = {
    "synths": "patchflow.commands.synths",
    "spec": "patchflow.commands.spec",
    "dataset": "patchflow.commands.dataset",
    "train": "patchflow.commands.train",
    "evaluate": "patchflow.commands.evaluate",
    "export": "patchflow.commands.export",
    "match": "patchflow.commands.match",
    "serve": "patchflow.commands.serve",
    "keys": "patchflow.commands.keys",
}


class CommandError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="patchflow",
        description="Synthesizer inversion with conditional flow matching: "
        "render -> train -> evaluate -> export -> match / serve.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="VERB", required=True)
    for verb, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)  # a verb that fails to import is an error
        p = sub.add_parser(verb, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # what was asked for, also when called in process (provenance records it)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    try:
        return int(args._run(args) or 0)
    except CommandError as err:
        print(f"patchflow {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"patchflow {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # `python -m patchflow.cli`: use the importable module's classes
    from patchflow.cli import main as _main

    sys.exit(_main())
