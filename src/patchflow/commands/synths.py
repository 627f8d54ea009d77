"""``patchflow synths``: list the registered synths and their parameters."""

from __future__ import annotations

import argparse
import json

from patchflow.spec import SpecError
from patchflow.synths.registry import SYNTHS, synth_spec

HELP = "list the registered synths with their parameters"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="show one synth only")
    parser.add_argument("--k", type=int, default=4, help="k-osc oscillator count (default 4)")
    parser.add_argument("--asymmetric", action="store_true", help="asymmetric k-osc variant")
    parser.add_argument("--json", action="store_true", help="print the specs as JSON")


def run(args: argparse.Namespace) -> int:
    from patchflow.cli import CommandError

    names = [args.name] if args.name else list(SYNTHS)
    if args.name and args.name not in SYNTHS:
        raise CommandError(f"unknown synth {args.name!r}; registered: {', '.join(SYNTHS)}")
    specs, missing = {}, {}
    for name in names:
        try:
            specs[name] = synth_spec(name, k=args.k, asymmetric=args.asymmetric)
        except SpecError as err:
            if args.name:
                raise CommandError(str(err)) from None
            missing[name] = str(err)
    if args.json:
        print(json.dumps({n: s.to_dict() for n, s in specs.items()}, indent=2))
        return 0
    for name, spec in specs.items():
        print(f"{name}: {SYNTHS[name].description}")
        print(f"  {spec!r}")
        for p in spec.params:
            slot = f"  [{p.symmetry}]" if p.symmetry else ""
            if p.kind == "categorical":
                rng = "{" + ", ".join(p.choices or ()) + "}"
            else:
                rng = f"{p.min:g}..{p.max:g} {p.unit}".rstrip()
            print(f"    {p.name:<28} {p.kind:<12} {rng}{slot}")
        print()
    for name, problem in missing.items():
        print(f"{name}: {SYNTHS[name].description}\n  spec unavailable: {problem}\n")
    return 0
