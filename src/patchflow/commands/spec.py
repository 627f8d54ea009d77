"""``patchflow spec check|init``: verify a spec against a plugin, or draft one from a plugin."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "check a synth spec against a plugin, or draft a spec from a plugin's parameters"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="spec_command", metavar="ACTION", required=True)
    c = sub.add_parser("check", help="verify a spec against a loaded plugin (exit 1 on problems)")
    c.add_argument("--spec", required=True, help="shipped spec name (amsynth) or a spec .json file")
    c.add_argument("--plugin", help="plugin file (default: the spec's usual install location)")
    c.add_argument("--backend", choices=("dawdreamer", "pedalboard"), help="default: by file type")
    i = sub.add_parser("init", help="draft a spec (JSON) from a plugin's parameters")
    i.add_argument("--plugin", required=True, help="plugin file (.so/.dll VST2, .vst3, .component)")
    i.add_argument("--name", help="synth name in the draft (default: from the file name)")
    i.add_argument("--out", help="write the draft here instead of to stdout")
    i.add_argument("--backend", choices=("dawdreamer", "pedalboard"), help="default: by file type")


def run(args: argparse.Namespace) -> int:
    from patchflow.cli import CommandError
    from patchflow.spec import SpecError, load_spec
    from patchflow.synths.hosts import PluginLoadError, open_plugin
    from patchflow.synths.plugin import resolve_plugin_path
    from patchflow.synths.plugin_spec import check_spec, draft_spec

    try:
        if args.spec_command == "check":
            spec = load_spec(args.spec)
            host = open_plugin(resolve_plugin_path(spec.synth, args.plugin), args.backend)
        else:
            spec = None
            host = open_plugin(Path(args.plugin), args.backend)
    except (SpecError, PluginLoadError) as err:
        raise CommandError(str(err)) from None
    try:
        if spec is not None:
            report = check_spec(spec, host)
            print(f"spec '{spec.synth}' against {report.plugin}")
            print(report.table())
            for warning in report.warnings:
                print(f"warning: {warning}")
            for problem in report.problems:
                print(f"problem: {problem}")
            checked = len(report.rows)
            print(
                f"{checked} parameters checked: {len(report.problems)} problems, "
                f"{len(report.warnings)} warnings"
            )
            return 0 if report.ok else 1
        name = args.name or Path(args.plugin).stem.lower().replace(" ", "_")
        text = json.dumps(draft_spec(host, name), indent=2) + "\n"
        if args.out:
            Path(args.out).write_text(text)
            print(f"wrote {args.out} ({len(host.parameters())} parameters)")
        else:
            print(text, end="")
        return 0
    finally:
        host.close()
