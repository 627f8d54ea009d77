"""Write the Max for Live test fixture of a plug-in synth: its parameters as Live shows them.

Live lists a plug-in's automatable parameters by the plug-in's own names, each with the raw
0..1 range (the device then scales the model's 0..1 values into that range). The device's
end-to-end test builds a mock Live device from this file, so the name matching and scaling are
exercised against the real plug-in's parameter list, not an invented one::

    python scripts/live_params_fixture.py --synth amsynth \
        --out max_for_live/testing/live_params/amsynth.json

``tests/test_max_for_live.py`` checks the committed file against the plug-in where it loads.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def live_params(synth_name: str, plugin: str | None = None) -> dict[str, Any]:
    """The fixture document for a registered plug-in synth (loads the plug-in)."""
    from patchflow.synths.registry import create_synth

    synth = create_synth(synth_name, **({"plugin": plugin} if plugin else {}))
    try:
        params = [
            {"name": p.name, "min": 0.0, "max": 1.0, "value": round(float(p.default_raw), 6)}
            for p in synth.plugin_parameters()
        ]
    finally:
        synth.close()
    return {
        "format": "patchflow-live-params",
        "version": 1,
        "synth": synth_name,
        "device": synth_name,
        "parameters": params,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synth", required=True, help="registered plug-in synth, e.g. amsynth")
    parser.add_argument("--plugin", help="plug-in path (default: the synth's usual location)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    from patchflow.synths.hosts import PluginLoadError

    try:
        doc = live_params(args.synth, args.plugin)
    except (KeyError, PluginLoadError) as err:
        parser.error(str(err))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.out}: {len(doc['parameters'])} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
