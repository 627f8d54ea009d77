"""Compare search settings on amsynth at equal render counts (no clock: fair on a busy machine).

Each run searches the held-out amsynth targets of ``search_quality.py`` (same seed) with one
proposal source and ``SearchConfig`` changes, and prints the mean MSS of the best patch after
each render count::

    python benchmarks/search_settings.py --targets 16 --set choice_every=0
    python benchmarks/search_settings.py --targets 16 --set choice_every=5

Appends one JSON line per run to ``--log`` (default ``search_settings.jsonl``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


def _search_quality() -> Any:
    """The sibling benchmark module (its targets and helpers)."""
    spec = importlib.util.spec_from_file_location("search_quality", HERE / "search_quality.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=16)
    parser.add_argument("--renders", default="50,100,200,330,800", help="comma-separated counts")
    parser.add_argument("--source", choices=["cnf", "regression", "prior"], default="cnf")
    parser.add_argument("--model", help="bundle (default: amsynth, or amsynth-regression)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="a SearchConfig change (JSON value)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--target-spec",
        metavar="SPEC",
        help="draw the targets from this spec's prior (default: the model's)",
    )
    parser.add_argument("--log", type=Path, default=Path("search_settings.jsonl"))
    args = parser.parse_args(argv)

    from patchflow.bundle import load_bundle
    from patchflow.inference import Predictor
    from patchflow.search import SearchBudget, SearchConfig, Searcher, open_renderer
    from patchflow.spec import load_spec

    sq = _search_quality()
    changes = {}
    for pair in args.set:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set wants FIELD=VALUE, got {pair!r}")
        try:
            changes[key] = json.loads(value)
        except json.JSONDecodeError:
            raise SystemExit(f"--set {key}: {value!r} is not a JSON value") from None
    counts = [int(c) for c in args.renders.split(",")]
    model = args.model or {"cnf": "amsynth", "regression": "amsynth-regression"}.get(args.source)
    predictor = None if model is None else Predictor(load_bundle(model))
    spec = sq.model_spec(predictor or Predictor(load_bundle("amsynth")))  # as match: its spec
    rows: dict[str, list[float]] = {"first": [], **{str(c): [] for c in counts}}
    start = time.perf_counter()
    with open_renderer(spec, workers=args.workers) as renderer:
        prior = None if args.target_spec is None else load_spec(args.target_spec)
        targets = sq.amsynth_targets(spec, renderer, args.targets, prior)
        config = SearchConfig.for_spec(spec, **changes)
        searcher = Searcher(spec, renderer, predictor=predictor, config=config)
        budget = SearchBudget(math.inf, renders=max(counts))
        for i, audio in enumerate(targets):
            steps = list(searcher.run(audio, spec.sample_rate, budget=budget, seed=i))
            rows["first"].append(steps[0].best.score)
            for c in counts:
                rows[str(c)].append(sq.best_at_renders(steps, c).best.score)
    means = {k: float(np.mean(v)) for k, v in rows.items()}
    command = shlex.join(["python", "benchmarks/search_settings.py", *(argv or sys.argv[1:])])
    record = {"command": command, "source": args.source, "model": model, "changes": changes,
              "targets": args.targets, "mean_mss": means,
              "seconds": time.perf_counter() - start}  # fmt: skip
    with args.log.open("a") as f:
        f.write(json.dumps(record) + "\n")
    print(f"{args.source} {changes}: " + " ".join(f"{k} {v:.2f}" for k, v in means.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
