"""Dataset rendering throughput with 1 and 2 workers (``patchflow dataset render``).

Usage::

    python benchmarks/render_throughput.py [--count 100000] [--k 4] [--out docs/results]
    python benchmarks/render_throughput.py --synth amsynth --count 400

Renders the same dataset once per worker count into a temporary folder through the public API
(the CLI's code path) and prints items/s; writes ``render_throughput.{json,md}`` for k-osc and
``render_throughput_SYNTH.{json,md}`` for other synths (amsynth: 1 s stereo renders through
DawDreamer, with the renderer's state flushes), with the load average at the start, since other
work on the machine slows rendering down.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

from patchflow.data.render import RenderConfig, render_dataset


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark; returns the JSON result it writes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synth", default="kosc", help="registered synth (kosc, amsynth)")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--k", type=int, default=4, help="oscillators (k-osc only)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chunk-size", type=int, default=1024, help="items per work unit")
    parser.add_argument("--out", default="docs/results")
    args = parser.parse_args(argv)
    load = [round(x, 2) for x in os.getloadavg()]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            config = RenderConfig(
                synth=args.synth, k=args.k, count=args.count, seed=0, chunk_size=args.chunk_size
            )
            start = time.perf_counter()
            render_dataset(config, Path(tmp) / f"w{workers}.h5", workers=workers)
            seconds = time.perf_counter() - start
            rows.append({"workers": workers, "count": args.count, "seconds": round(seconds, 2),
                         "items_per_s": round(args.count / seconds, 1)})  # fmt: skip
            print(f"{args.synth} workers={workers}: {args.count} items in {seconds:.1f} s "
                  f"= {args.count / seconds:.0f} items/s")  # fmt: skip
    machine = {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "load_average_at_start": load,
    }
    kosc = args.synth == "kosc"
    name = "render_throughput" if kosc else f"render_throughput_{args.synth}"
    title = f"k-osc render throughput (k={args.k})" if kosc else f"{args.synth} render throughput"
    given = sys.argv[1:] if argv is None else argv
    cmd = shlex.join(["python", "benchmarks/render_throughput.py", *given])
    result = {
        "benchmark": f"{args.synth} render throughput",
        "synth": args.synth,
        "k": args.k if kosc else None,
        "command": cmd,
        "machine": machine,
        "rows": rows,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(result, indent=2))
    lines = ["| workers | items | seconds | items/s |", "|---|---|---|---|"]
    lines += [
        f"| {r['workers']} | {r['count']} | {r['seconds']} | {r['items_per_s']} |" for r in rows
    ]
    (out / f"{name}.md").write_text(
        f"# {title}\n\nCommand: `{cmd}`\n\nMachine: {machine}\n\n" + "\n".join(lines) + "\n"
    )
    return result


if __name__ == "__main__":
    main()
