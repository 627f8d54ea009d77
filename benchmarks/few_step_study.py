"""Few-step study: sample quality against network evaluations for the CNF models.

Usage::

    python benchmarks/few_step_study.py                      # the reproduction's CNF runs
    python benchmarks/few_step_study.py --runs runs/repro/sym-k4/cnf-param2tok --data test.h5

For every CNF run and guidance scale (1, 2, 3), this samples the test set with Euler, midpoint
and RK4 at 1, 2, 4, 8, 16 and 32 steps and with 100-step RK4 (the paper's setting), always from
the same noise, and scores the samples (LSD for k-osc; the first metric of ``patchflow
evaluate`` for other synths). The cost is counted in network evaluations: steps x stages (1, 2
and 4). With guidance (w != 1) each evaluation is one batched call over 2B rows (conditional and
null conditioning), so it costs about twice the compute of an unguided one; the table reports
both numbers.

The serving default is the cheapest setting (fewest evaluations, then lowest metric) whose mean
is within 5% of 100-step RK4 at the same guidance scale, for every run, at the guidance scale
where 100-step RK4 is best (lowest mean over runs). Writes ``RESULTS/few_step.{md,json,png}``.
Results per run are cached in ``RUN/few_step-*.json`` (recomputed when ``best.pt`` changes), so
an interrupted study resumes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from patchflow.cli import main as patchflow_main

log = logging.getLogger("few_step_study")

METHODS = ("euler", "midpoint", "rk4")
STEPS = (1, 2, 4, 8, 16, 32)
REFERENCE = ("rk4", 100)


def setting_key(method: str, steps: int, cfg: float) -> str:
    return f"{method}-{steps}-cfg{cfg:g}"


def find_runs(repro_dir: Path) -> list[Path]:
    """CNF runs of a reproduction output folder (``VARIANT-kK/cnf-*`` with a ``best.pt``)."""
    return sorted(p.parent for p in repro_dir.glob("*-k*/cnf-*/best.pt"))


def test_set_for(spec: Any, args: argparse.Namespace) -> Path:
    """The reproduction's test set for a k-osc spec, rendered here when missing.

    Item ``i`` of a rendered set depends only on ``(seed, i)``, so a larger set with the same
    seed (e.g. the reproduction's 2048 items) is reused: its first ``--test-count`` items are
    exactly the smaller set.
    """
    from patchflow.evaluation import kosc_layout

    layout = kosc_layout(spec)
    if layout is None:
        raise SystemExit(f"{spec.synth}: not k-osc; pass the test set with --data")
    stem = f"kosc{layout.k}{'-asym' if layout.asymmetric else ''}-test-seed{args.test_seed}-n"
    folder = args.repro_dir / "data"
    for found in sorted(folder.glob(f"{stem}*.h5")):
        count = found.name[len(stem) : -len(".h5")]
        if count.isdigit() and int(count) >= args.test_count:
            return found
    path = folder / f"{stem}{args.test_count}.h5"
    argv = [
        "dataset",
        "render",
        "--synth",
        "kosc",
        "--k",
        str(layout.k),
        "--count",
        str(args.test_count),
        "--seed",
        str(args.test_seed),
        "--out",
        str(path),
        "--audio",
    ]
    if layout.asymmetric:
        argv.append("--asymmetric")
    log.info("$ patchflow %s", shlex.join(argv))
    if patchflow_main(argv) != 0:
        raise SystemExit(f"rendering {path} failed")
    return path


def study_run(run_dir: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every (method, steps, cfg) of the grid for one run; cached in the run folder."""
    from patchflow.data.dataset import SynthDataset
    from patchflow.evaluation import (
        evaluate_predictions,
        is_flow_model,
        predict_run,
        synth_for_spec,
    )
    from patchflow.metrics.summary import summarize
    from patchflow.train.checkpoint import load_checkpoint

    ckpt = load_checkpoint(run_dir, map_location=args.device)
    if not is_flow_model(ckpt.model):
        raise SystemExit(f"{run_dir}: not a CNF run")
    data_path = args.data or test_set_for(ckpt.spec, args)
    data = SynthDataset.load(data_path, limit=args.test_count)
    if data.spec.names != ckpt.spec.names:
        raise SystemExit(
            f"{run_dir} predicts {ckpt.spec.synth}, {data_path} holds {data.spec.synth}"
        )
    synth = synth_for_spec(
        data.spec, data.render_config.synth, **data.render_config.synth_options()
    )
    cache_path = run_dir / f"few_step-n{len(data)}-seed{args.seed}.json"
    cache: dict[str, Any] = {}
    if cache_path.exists() and cache_path.stat().st_mtime >= ckpt.path.stat().st_mtime:
        cache = json.loads(cache_path.read_text())
    grid = [(m, s) for m in args.methods for s in args.steps_grid]
    grid = list(dict.fromkeys([*grid, (REFERENCE[0], args.reference_steps)]))
    rows = []
    for cfg in args.cfg:
        for method, steps in grid:
            key = setting_key(method, steps, cfg)
            if key not in cache:
                preds = predict_run(
                    ckpt,
                    data.features,
                    steps=steps,
                    method=method,
                    cfg_scale=cfg,
                    seed=args.seed,
                    batch_size=args.batch_size,
                )
                metrics = evaluate_predictions(
                    synth,
                    preds.encoded,
                    data.params,
                    target_audio=data.audio,
                    batch_size=args.batch_size,
                )
                summary = summarize(metrics)
                cache[key] = {
                    "run": str(run_dir),
                    "data": str(data_path),
                    "n": len(data),
                    "method": method,
                    "steps": steps,
                    "cfg": cfg,
                    "nfe": preds.nfe,
                    "batch_rows": preds.nfe * preds.rows_per_eval,
                    "seconds": round(preds.seconds, 3),
                    "metrics": summary,
                }
                cache_path.write_text(json.dumps(cache, indent=1) + "\n")
                first = next(iter(summary))
                log.info(
                    "%s %s: %s %.4g (%d evaluations)",
                    run_dir,
                    key,
                    first,
                    summary[first]["mean"],
                    preds.nfe,
                )
            rows.append(cache[key])
    return rows


# --------------------------------------------------------------------------- choosing


def metric_name(rows: list[dict[str, Any]], wanted: str | None) -> str:
    name = wanted or next(iter(rows[0]["metrics"]))
    if name not in rows[0]["metrics"]:
        raise SystemExit(f"metric {name!r} not computed; have {list(rows[0]['metrics'])}")
    return name


def choose(
    rows: list[dict[str, Any]], metric: str, reference_steps: int, tolerance: float
) -> dict[str, Any]:
    """Per run and cfg the cheapest setting within ``tolerance`` of the reference, the best
    cfg, and the serving default (within tolerance for every run at the best cfg)."""
    runs = sorted({r["run"] for r in rows})
    cfgs = sorted({r["cfg"] for r in rows})

    def mean(r: dict[str, Any]) -> float:
        return r["metrics"][metric]["mean"]

    def ref(run: str, cfg: float) -> dict[str, Any]:
        return next(
            r
            for r in rows
            if r["run"] == run
            and r["cfg"] == cfg
            and (r["method"], r["steps"]) == (REFERENCE[0], reference_steps)
        )

    per_run = []
    for run in runs:
        for cfg in cfgs:
            limit = (1 + tolerance) * mean(ref(run, cfg))
            ok = [r for r in rows if r["run"] == run and r["cfg"] == cfg and mean(r) <= limit]
            best = min(ok, key=lambda r: (r["nfe"], mean(r)))
            per_run.append(
                {
                    "run": run,
                    "cfg": cfg,
                    "reference": mean(ref(run, cfg)),
                    "cheapest": {
                        "method": best["method"],
                        "steps": best["steps"],
                        "nfe": best["nfe"],
                        metric: mean(best),
                    },
                }
            )
    ref_by_cfg = {cfg: float(np.mean([mean(ref(run, cfg)) for run in runs])) for cfg in cfgs}
    best_cfg = min(cfgs, key=lambda c: ref_by_cfg[c])
    # The reference always qualifies, so there is always a default.
    candidates = []
    for method, steps, nfe in sorted({(r["method"], r["steps"], r["nfe"]) for r in rows}):
        same = [
            r for r in rows if r["cfg"] == best_cfg and (r["method"], r["steps"]) == (method, steps)
        ]
        worst = max(mean(r) / mean(ref(r["run"], best_cfg)) for r in same)
        if len(same) == len(runs) and worst <= 1 + tolerance:
            candidates.append(
                {
                    "method": method,
                    "steps": steps,
                    "cfg": best_cfg,
                    "nfe": nfe,
                    "worst_ratio_to_reference": worst,
                }
            )
    default = min(candidates, key=lambda c: (c["nfe"], c["worst_ratio_to_reference"]))
    return {
        "per_run": per_run,
        "reference_by_cfg": ref_by_cfg,
        "best_cfg": best_cfg,
        "serving_default": default,
    }


# --------------------------------------------------------------------------- reporting


def markdown(report: dict[str, Any]) -> str:
    metric, ch, s = report["metric"], report["choice"], report["settings"]
    ref = f"rk4 x {s['reference_steps']}"
    d = ch["serving_default"]
    lines = [
        "# Few-step study: quality against network evaluations",
        "",
        f"Command: `{report['command']}`",
        "",
        f"- metric: mean {metric} over {s['test_count']} test items (noise seed {s['seed']}); "
        f"reference: {ref} at the same guidance scale; tolerance {s['tolerance']:.0%}",
        "- evaluations: steps x stages (Euler 1, midpoint 2, RK4 4) per item; with guidance "
        "(w != 1) each evaluation is one batched call over 2B rows (conditional + null), so "
        "'batch rows' = 2 x evaluations",
        f"- created {report['created']}",
        "",
        f"**Best guidance scale: w = {ch['best_cfg']:g}** (lowest mean {metric} at {ref}: "
        + ", ".join(f"w={c:g}: {v:.4g}" for c, v in ch["reference_by_cfg"].items())
        + ").",
        "",
    ]
    lines += [
        f"**Serving default: {d['method']} x {d['steps']} steps, w = {d['cfg']:g}** "
        f"({d['nfe']} evaluations; the worst run is {d['worst_ratio_to_reference'] - 1:+.1%} "
        f"from {ref}).",
        "",
    ]
    lines += [
        "Cheapest setting within tolerance, per run and guidance scale:",
        "",
        f"| run | w | {ref} {metric} | cheapest | evaluations | {metric} |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for r in ch["per_run"]:
        c = r["cheapest"]
        lines.append(
            f"| {r['run']} | {r['cfg']:g} | {r['reference']:.4g} | "
            f"{c['method']} x {c['steps']} | {c['nfe']} | {c[metric]:.4g} |"
        )
    for run in sorted({r["run"] for r in report["rows"]}):
        rows = [r for r in report["rows"] if r["run"] == run]
        cfgs = sorted({r["cfg"] for r in rows})
        lines += [
            "",
            f"## {run}",
            "",
            "| method | steps | evaluations | "
            + " | ".join(f"{metric} w={c:g}" for c in cfgs)
            + " |",
            "|---|---:|---:|" + "---:|" * len(cfgs),
        ]
        settings = sorted(
            {(r["method"], r["steps"], r["nfe"]) for r in rows},
            key=lambda x: (METHODS.index(x[0]), x[1]),
        )
        for method, steps, nfe in settings:
            cells = []
            for c in cfgs:
                r = next(
                    r for r in rows if (r["method"], r["steps"], r["cfg"]) == (method, steps, c)
                )
                m = r["metrics"][metric]
                cells.append(f"{m['mean']:.4g} ± {m['ci95']:.2g}")
            lines.append(f"| {method} | {steps} | {nfe} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(report: dict[str, Any], path: Path) -> None:
    """Metric against evaluations (log x): one row per run, one column per guidance scale."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric, s = report["metric"], report["settings"]
    runs = sorted({r["run"] for r in report["rows"]})
    cfgs = sorted({r["cfg"] for r in report["rows"]})
    fig, axes = plt.subplots(
        len(runs),
        len(cfgs),
        figsize=(4.2 * len(cfgs), 3.2 * len(runs)),
        squeeze=False,
        sharex=True,
        constrained_layout=True,
    )
    for i, run in enumerate(runs):
        for j, cfg in enumerate(cfgs):
            ax = axes[i, j]
            rows = [r for r in report["rows"] if r["run"] == run and r["cfg"] == cfg]
            ref = next(
                r for r in rows if (r["method"], r["steps"]) == (REFERENCE[0], s["reference_steps"])
            )
            ref_mean = ref["metrics"][metric]["mean"]
            for method in METHODS:
                pts = sorted(
                    (r["nfe"], r["metrics"][metric]["mean"])
                    for r in rows
                    if r["method"] == method and r is not ref
                )
                if pts:
                    ax.plot(*zip(*pts, strict=True), marker="o", ms=3, label=method)
            ax.plot([ref["nfe"]], [ref_mean], "k*", ms=9, label=f"rk4 x {s['reference_steps']}")
            ax.axhspan(ref_mean, (1 + s["tolerance"]) * ref_mean, color="grey", alpha=0.2)
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
            ax.set_title(f"{Path(run).parent.name}/{Path(run).name}, w={cfg:g}", fontsize=9)
            ax.set_xlabel("network evaluations")
            ax.set_ylabel(metric)
    axes[0, 0].legend(fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=Path, nargs="+", help="CNF run dirs (default: all in --repro-dir)"
    )
    parser.add_argument("--repro-dir", type=Path, default=Path("runs/repro"))
    parser.add_argument("--data", type=Path, help="test set (default: the reproduction's)")
    parser.add_argument(
        "--test-count", type=int, default=512, help="items (paired: same items and noise)"
    )
    parser.add_argument("--test-seed", type=int, default=789)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--steps-grid", type=int, nargs="+", default=list(STEPS))
    parser.add_argument("--reference-steps", type=int, default=REFERENCE[1])
    parser.add_argument("--cfg", type=float, nargs="+", default=[1.0, 2.0, 3.0])
    parser.add_argument("--metric", help="metric to compare (default: lsd for k-osc)")
    parser.add_argument("--tolerance", type=float, default=0.05, help="relative, e.g. 0.05")
    parser.add_argument("--seed", type=int, default=0, help="noise seed")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--results", type=Path, default=Path("docs/results"))
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    import torch

    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )
    torch.set_num_threads(args.threads)
    runs = args.runs or find_runs(args.repro_dir)
    if not runs:
        raise SystemExit(f"no CNF runs given and none found under {args.repro_dir}")
    rows = [row for run in runs for row in study_run(run, args)]
    metric = metric_name(rows, args.metric)
    choice = choose(rows, metric, args.reference_steps, args.tolerance)
    report = {
        "benchmark": "few-step study",
        "command": shlex.join(["python", "benchmarks/few_step_study.py", *(argv or sys.argv[1:])]),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "settings": {
            "test_count": args.test_count,
            "seed": args.seed,
            "cfg": args.cfg,
            "methods": args.methods,
            "steps_grid": args.steps_grid,
            "reference_steps": args.reference_steps,
            "tolerance": args.tolerance,
        },
        "metric": metric,
        "choice": choice,
        "rows": rows,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "few_step.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.results / "few_step.md").write_text(markdown(report))
    plot(report, args.results / "few_step.png")
    print(f"best guidance scale: w = {choice['best_cfg']:g}")
    d = choice["serving_default"]
    print(
        f"serving default: {d['method']} x {d['steps']} steps, w = {d['cfg']:g} "
        f"({d['nfe']} network evaluations)"
    )
    print(f"wrote {args.results}/few_step.{{md,json,png}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
