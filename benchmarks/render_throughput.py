"""k-osc dataset rendering throughput with 1 and 2 workers (``patchflow dataset render``).

Usage: python benchmarks/render_throughput.py [--count 100000] [--k 4] [--out docs/results]

Renders the same dataset once per worker count into a temporary folder through the public API
(the CLI's code path) and prints items/s; writes JSON and markdown next to each other.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from patchflow.data.render import RenderConfig, render_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", default="docs/results")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            config = RenderConfig(synth="kosc", k=args.k, count=args.count, seed=0)
            start = time.perf_counter()
            render_dataset(config, Path(tmp) / f"w{workers}.h5", workers=workers)
            seconds = time.perf_counter() - start
            rows.append({"workers": workers, "count": args.count, "seconds": round(seconds, 2),
                         "items_per_s": round(args.count / seconds, 1)})  # fmt: skip
            print(f"k={args.k} workers={workers}: {args.count} items in {seconds:.1f} s "
                  f"= {args.count / seconds:.0f} items/s")  # fmt: skip
    machine = {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    result = {"benchmark": "kosc render throughput", "k": args.k, "machine": machine, "rows": rows}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "render_throughput.json").write_text(json.dumps(result, indent=2))
    lines = ["| workers | items | seconds | items/s |", "|---|---|---|---|"]
    lines += [
        f"| {r['workers']} | {r['count']} | {r['seconds']} | {r['items_per_s']} |" for r in rows
    ]
    cmd = f"python benchmarks/render_throughput.py --count {args.count} --k {args.k}"
    (out / "render_throughput.md").write_text(
        f"# k-osc render throughput (k={args.k})\n\nCommand: `{cmd}`\n\nMachine: {machine}\n\n"
        + "\n".join(lines)
        + "\n"
    )


if __name__ == "__main__":
    main()
