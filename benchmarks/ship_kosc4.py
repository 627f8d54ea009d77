"""Choose, export and check the shipped default model ``models/kosc4``.

Given trained k = 4 symmetric CNF runs (same budget), this:
1. runs the few-step study on them (``benchmarks/few_step_study.py``), which compares every run
   at 100-step RK4 and names the cheapest solver setting within 5% of it (the serving default);
2. picks the run with the lowest mean LSD at 100-step RK4 and the best guidance scale;
3. evaluates that run at the serving default on the test set (``patchflow evaluate --run``);
4. exports it with those defaults and metrics (``patchflow export``) to ``--out``;
5. evaluates the exported bundle on a fresh, never-seen set (``patchflow evaluate --model``) and
   on the same test set, and writes ``RESULTS/kosc4_default_model.{md,json}`` with both numbers,
   a random-parameter reference and every command.

Usage:
  python benchmarks/ship_kosc4.py --runs RUN [RUN ...] --test TEST.h5 --fresh FRESH.h5
      [--out models/kosc4] [--results docs/results] [--work runs/ship-kosc4]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from patchflow.machine import cpu_name


def sh(argv: list[str]) -> str:
    print("+", shlex.join(argv), flush=True)
    subprocess.run(argv, check=True)
    return shlex.join(argv)


def patchflow(*args: str) -> str:
    sh([sys.executable, "-m", "patchflow", *args])
    return shlex.join(["patchflow", *args])


def _summary(path: Path) -> dict[str, Any]:
    return json.loads((path / "summary.json").read_text())


def random_reference(test: Path, seed: int = 0) -> dict[str, float]:
    """LSD and LAC of uniformly random parameter sets against the test set."""
    from patchflow.data.dataset import SynthDataset
    from patchflow.evaluation import random_predictions
    from patchflow.metrics.kosc import linear_assignment_cost, log_spectral_distance
    from patchflow.synths.kosc import KOsc

    ds = SynthDataset.load(test)
    preds = random_predictions(ds.spec, len(ds), seed=seed)

    k = ds.spec.num_params // 3
    audio = KOsc(k=k).render_encoded(preds.encoded)
    lsd = log_spectral_distance(audio, ds.audio)
    lac = linear_assignment_cost(preds.encoded, ds.params, k)
    return {"lsd": float(np.mean(lsd)), "lac": float(np.mean(lac))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", required=True)
    parser.add_argument("--test", required=True, help="test set (HDF5 with audio)")
    parser.add_argument("--fresh", required=True, help="fresh k-osc set for the bundle check")
    parser.add_argument("--out", default="models/kosc4")
    parser.add_argument("--results", default="docs/results")
    parser.add_argument("--work", default="runs/ship-kosc4")
    parser.add_argument("--study-count", type=int, default=512)
    args = parser.parse_args()
    from patchflow.train.provenance import data_recipe

    work, results = Path(args.work), Path(args.results)
    work.mkdir(parents=True, exist_ok=True)
    commands: dict[str, str] = {}

    study_argv = ["benchmarks/few_step_study.py", "--runs", *args.runs, "--data", args.test]
    study_argv += ["--test-count", str(args.study_count), "--results", str(results)]
    commands["few_step_study"] = sh([sys.executable, *study_argv]).replace(sys.executable, "python")
    study = json.loads((results / "few_step.json").read_text())
    choice = study["choice"]
    default = choice["serving_default"]
    cfg = choice["best_cfg"]
    per_run = {r["run"]: r["reference"] for r in choice["per_run"] if r["cfg"] == cfg}
    best_run = min(per_run, key=per_run.get)
    print(f"selected {best_run} (rk4 x 100, w={cfg:g}: LSD {per_run[best_run]:.3f})")

    solver = ["--steps", str(default["steps"]), "--method", default["method"], "--cfg", f"{cfg:g}"]
    run_eval = work / "eval-run-test"
    commands["evaluate_run"] = patchflow(
        "evaluate", "--run", best_run, "--data", args.test, "--out", str(run_eval), *solver
    )
    commands["export"] = patchflow(
        "export", "--run", best_run, "--out", args.out, *solver,
        "--metrics", str(run_eval / "summary.json"), "--fused",
    )  # fmt: skip
    bundle_fresh = work / "eval-bundle-fresh"
    commands["evaluate_bundle_fresh"] = patchflow(
        "evaluate", "--model", args.out, "--data", args.fresh, "--out", str(bundle_fresh)
    )
    bundle_test = work / "eval-bundle-test"
    commands["evaluate_bundle_test"] = patchflow(
        "evaluate", "--model", args.out, "--data", args.test, "--out", str(bundle_test)
    )
    card = json.loads((Path(args.out) / "card.json").read_text())
    card_eval = card["metrics"]["evaluation"]
    card_lsd = card_eval["metrics"]["lsd"]
    fresh = _summary(bundle_fresh)["metrics"]
    same = _summary(bundle_test)["metrics"]
    n_card = card_lsd["n"]
    report = {
        "hardware": f"{cpu_name()}, {os.cpu_count()} cores",
        "runs": per_run,
        "selected_run": best_run,
        "serving_default": {**default, "cfg": cfg},
        "card_lsd": card_lsd,
        "bundle_same_test": same,
        "bundle_fresh": fresh,
        "random_reference": random_reference(Path(args.test)),
        "commands": commands,
    }
    (results / "kosc4_default_model.json").write_text(json.dumps(report, indent=2) + "\n")

    def ci(m: dict[str, Any]) -> str:
        return f"{m['mean']:.3f} ± {m['ci95']:.3f}"

    rows = "\n".join(f"| `{Path(r).name}` | {v:.3f} |" for r, v in per_run.items())
    rnd = report["random_reference"]
    table = [
        ("card (run, PyTorch, test set)", card_eval["metrics"]),
        ("bundle (onnxruntime), same test set", same),
        ("bundle (onnxruntime), fresh set", fresh),
    ]
    metric_rows = [
        f"| {label} | {m['lsd']['n']} | {ci(m['lsd'])} | {ci(m['lac'])} | {ci(m['param_mse'])} |"
        for label, m in table
    ]
    metric_rows.append(
        f"| random parameters, test set | {n_card} | {rnd['lsd']:.3f} | {rnd['lac']:.3f} | |"
    )
    command = f"python benchmarks/ship_kosc4.py --runs {' '.join(args.runs)}"
    command += f" --test {args.test} --fresh {args.fresh}"
    lines = [
        "# The shipped default model `models/kosc4`",
        "",
        f"Hardware: {report['hardware']} (no GPU). Produced by `{command}`.",
        "",
        "## Selection (k = 4, symmetric, same training budget)",
        "",
        f"Mean LSD (dB, lower is better) at the paper's sampler (RK4 x 100, w = {cfg:g}) on "
        f"{args.study_count} test items (few-step study, `docs/results/few_step.md`):",
        "",
        "| run | LSD |",
        "|---|---|",
        rows,
        "",
        f"Selected: `{best_run}`. Serving default (cheapest setting within 5% of RK4 x 100): "
        f"**{default['method']} x {default['steps']} steps, w = {cfg:g}** "
        f"({default['nfe']} network evaluations).",
        "",
        "## Card metrics versus a fresh evaluation of the bundle",
        "",
        "| what | n | LSD (dB) | LAC | parameter MSE |",
        "|---|---|---|---|---|",
        *metric_rows,
        "",
        "Data (HDF5, rendered beforehand; disjoint seeds from training's on-the-fly stream):",
        "",
        f"- test set: `{data_recipe(args.test, 0)}`",
        f"- fresh set: `{data_recipe(args.fresh, 0)}`",
        "",
        "Commands:",
        "",
        *(f"- {k}: `{v}`" for k, v in commands.items()),
    ]
    text = "\n".join(lines) + "\n"
    (results / "kosc4_default_model.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
