"""Train, evaluate and ship the amsynth models (the real-synth experiment, on the 2-core CPU).

One command, resumable (rerun it after an interruption)::

    python benchmarks/amsynth_models.py --data amsynth-12k.h5 --test amsynth-test.h5 \
        --runs-dir runs/amsynth --steps 2000 --out models/amsynth --results docs/results

1. renders the training set and the test set if they are missing (``patchflow dataset render``
   with the recipes below; the test set stores its audio and uses a disjoint seed);
2. trains ``ast-cnf-param2tok``, ``ast-cnf-mlp`` and ``ast-regression`` at ``--size small`` with
   the same step and batch budget (a finished run is not trained again);
3. evaluates every model on the test set with the real-synth metrics (``patchflow evaluate``:
   each prediction is re-rendered by amsynth): the CNFs at the paper's sampler (RK4 x 100,
   w = 2) and at the serving setting (Euler x 8, w = 3), the regression once; plus a
   random-parameter reference drawn from the spec's sampling distributions;
4. exports the CNF with the lowest multi-scale spectral distance at the serving setting
   (``patchflow export --fused``) and evaluates the bundle (onnxruntime) on the same test set;
5. writes ``RESULTS/amsynth_models.{md,json,png}`` and copies the shipped model's
   spectrogram figure to ``RESULTS/amsynth_reconstructions.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from patchflow.machine import cpu_name

PRESETS = ("ast-cnf-param2tok", "ast-cnf-mlp", "ast-regression")
NAMES = {
    "ast-cnf-param2tok": "AST + CNF (PARAM2TOK)",
    "ast-cnf-mlp": "AST + CNF (MLP)",
    "ast-regression": "AST + FFN (MSE)",
    "random": "Random parameters",
}
# (tag, method, steps, cfg): the paper's sampler and the serving default of models/kosc4.
SETTINGS = (("paper", "rk4", 100, 2.0), ("serving", "euler", 8, 3.0))
METRICS = ("mss", "wmfcc", "sot", "rms_cos", "param_mse")
BETTER = {"mss": "↓", "wmfcc": "↓", "sot": "↓", "rms_cos": "↑", "param_mse": "↓"}
SELECT_BY = "mss"
LOG_TIME = re.compile(r"^(\d\d:\d\d:\d\d) ")


def patchflow(*args: str, log: Path | None = None) -> str:
    """Run a ``patchflow`` verb in a subprocess (output appended to ``log`` if given)."""
    argv = [sys.executable, "-m", "patchflow", *args]
    print("+", shlex.join(["patchflow", *args]), flush=True)
    if log is not None:
        print(f"  (output appended to {log}: a line per validation, with the step)", flush=True)
    if log is None:
        subprocess.run(argv, check=True)
    else:
        with open(log, "a") as f:
            subprocess.run(argv, check=True, stdout=f, stderr=subprocess.STDOUT)
    return shlex.join(["patchflow", *args])


def trained_steps(run_dir: Path) -> int:
    from patchflow.train.checkpoint import LAST, read_checkpoint

    path = run_dir / LAST
    return int(read_checkpoint(path)["step"]) if path.exists() else 0


def ensure_data(args: argparse.Namespace, commands: dict[str, str]) -> None:
    render = ["dataset", "render", "--synth", "amsynth", "--workers", str(args.workers)]
    train = [*render, "--count", str(args.train_count), "--seed", "1", "--chunk-size", "250"]
    test = [*render, "--count", str(args.test_count), "--seed", "789", "--chunk-size", "64"]
    for key, argv, path in (
        ("render_train", train, args.data),
        ("render_test", [*test, "--audio"], args.test),
    ):
        full = [*argv, "--out", str(path)]
        commands[key] = shlex.join(["patchflow", *full])
        if not path.exists():
            patchflow(*full)


def train(preset: str, args: argparse.Namespace, commands: dict[str, str]) -> dict[str, Any]:
    run_dir = args.runs_dir / preset
    argv = ["train", "--preset", preset, "--size", args.size, "--data", str(args.data)]
    argv += ["--out", str(run_dir), "--steps", str(args.steps), "--threads", str(args.threads)]
    argv += ["--no-progress"]
    commands[f"train_{preset}"] = shlex.join(["patchflow", *argv])
    log = args.runs_dir / f"{preset}.log"
    if trained_steps(run_dir) < args.steps:
        args.runs_dir.mkdir(parents=True, exist_ok=True)
        patchflow(*argv, log=log)
    config = json.loads((run_dir / "config.json").read_text())
    return {
        "run": str(run_dir),
        "steps": config["steps"],
        "batch_size": config["batch_size"],
        "train_minutes": log_minutes(log),
        **training_curve(run_dir),
    }


def training_curve(run_dir: Path) -> dict[str, float]:
    """From a run's metrics.csv: training loss at the start and end, and the best validation
    parameter MSE (the checkpoint the evaluation uses)."""
    import csv

    with open(run_dir / "metrics.csv", newline="") as f:
        rows = [(int(r["step"]), r["tag"], float(r["value"])) for r in csv.DictReader(f)]
    loss = [v for _, tag, v in rows if tag == "train/loss"]
    val = [(v, step) for step, tag, v in rows if tag == "val/param_mse"]
    n = max(1, len(loss) // 20)  # 5% of the logged points at each end
    best, best_step = min(val)
    return {
        "train_loss_first": round(sum(loss[:n]) / n, 4),
        "train_loss_last": round(sum(loss[-n:]) / n, 4),
        "best_val_param_mse": round(best, 4),
        "best_step": best_step,
    }


def dir_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 1e6


def train_items(data: Path, run_dir: Path) -> int:
    """Training items of a run on an HDF5 dataset (the loader holds the last items out)."""
    import h5py

    with h5py.File(data, "r") as f:
        n = len(f["params"])
    val = json.loads((run_dir / "config.json").read_text())["val"]
    return n - min(val["batches"] * val["batch_size"], max(n // 5, 1))


def log_minutes(log: Path) -> float | None:
    """Wall minutes between the first and last timestamped lines of a training log."""
    if not log.exists():
        return None
    stamps = [m.group(1) for m in map(LOG_TIME.match, log.read_text().splitlines()) if m]
    if len(stamps) < 2:
        return None
    first, last = (time.strptime(s, "%H:%M:%S") for s in (stamps[0], stamps[-1]))
    seconds = (time.mktime(last) - time.mktime(first)) % 86400  # runs shorter than a day
    return round(seconds / 60, 1)


def evaluate(
    source: list[str], out: Path, solver: list[str], args: argparse.Namespace
) -> tuple[str, dict[str, Any]]:
    summary = out / "summary.json"
    argv = ["evaluate", *source, "--data", str(args.test), "--out", str(out), *solver]
    argv += ["--threads", str(args.threads), "--no-progress"]
    if not summary.exists():
        patchflow(*argv)
    return shlex.join(["patchflow", *argv]), json.loads(summary.read_text())


def evaluate_random(args: argparse.Namespace) -> dict[str, Any]:
    from patchflow.data.dataset import SynthDataset
    from patchflow.evaluation import finish_evaluation, random_predictions, synth_for_spec

    out = args.runs_dir / "random" / f"eval-n{args.test_count}"
    summary = out / "summary.json"
    if not summary.exists():
        ds = SynthDataset.load(args.test)
        preds = random_predictions(ds.spec, len(ds), seed=790)
        finish_evaluation(
            "random",
            synth_for_spec(ds.spec),
            preds,
            ds.params,
            target_audio=ds.audio,
            out=out,
            settings={"source": "random", "data": str(args.test), "seed": 790},
        )
    return json.loads(summary.read_text())


def cell(summary: dict[str, Any], metric: str) -> str:
    m = summary["metrics"].get(metric)
    return "–" if m is None else f"{m['mean']:.4g} ± {m['ci95']:.2g}"


def plot(rows: list[tuple[str, dict[str, Any]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = METRICS[:4]
    fig, axes = plt.subplots(1, len(shown), figsize=(4 * len(shown), 4), constrained_layout=True)
    labels = [label for label, _ in rows]
    for ax, metric in zip(axes, shown, strict=True):
        means = [s["metrics"][metric]["mean"] for _, s in rows]
        errs = [s["metrics"][metric]["ci95"] for _, s in rows]
        colors = ["lightgrey" if "Random" in lab else f"C{i}" for i, lab in enumerate(labels)]
        ax.barh(range(len(rows)), means, xerr=errs, color=colors)
        ax.set_yticks(range(len(rows)), labels if ax is axes[0] else [""] * len(rows))
        ax.invert_yaxis()
        ax.set_title(f"{metric} {BETTER[metric]}")
    fig.suptitle("amsynth test set: mean and 95% interval per model and sampler")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="training set (HDF5)")
    parser.add_argument("--test", type=Path, required=True, help="test set (HDF5 with audio)")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/amsynth"))
    parser.add_argument("--steps", type=int, default=2000, help="training steps for every model")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="render workers for missing data")
    parser.add_argument("--test-count", type=int, default=256)
    parser.add_argument("--train-count", type=int, default=12000, help="items of a missing --data")
    parser.add_argument("--size", default="small", choices=("tiny", "small", "paper"))
    parser.add_argument("--out", type=Path, default=Path("models/amsynth"))
    parser.add_argument("--results", type=Path, default=Path("docs/results"))
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M:%S %z")
    commands: dict[str, str] = {}
    ensure_data(args, commands)
    runs = {p: train(p, args, commands) for p in PRESETS}

    rows: list[tuple[str, dict[str, Any]]] = []
    evals: dict[str, dict[str, Any]] = {}
    for preset in PRESETS:
        source = ["--run", runs[preset]["run"]]
        settings = SETTINGS if preset != "ast-regression" else (("direct", None, None, None),)
        for tag, method, steps, cfg in settings:
            solver = [] if method is None else ["--method", method, "--steps", str(steps)]
            solver += [] if cfg is None else ["--cfg", f"{cfg:g}"]
            out = Path(runs[preset]["run"]) / f"eval-{tag}-n{args.test_count}"
            commands[f"evaluate_{preset}_{tag}"], summary = evaluate(source, out, solver, args)
            label = NAMES[preset] + ("" if method is None else f", {method} x {steps}, w={cfg:g}")
            rows.append((label, summary))
            evals[f"{preset}/{tag}"] = {"dir": str(out), "summary": summary}
    random_summary = evaluate_random(args)
    rows.append((NAMES["random"], random_summary))

    serving = {p: evals[f"{p}/serving"]["summary"] for p in PRESETS if f"{p}/serving" in evals}
    chosen = min(serving, key=lambda p: serving[p]["metrics"][SELECT_BY]["mean"])
    _, method, steps, cfg = SETTINGS[1]
    chosen_eval = Path(evals[f"{chosen}/serving"]["dir"])
    export = ["export", "--run", runs[chosen]["run"], "--out", str(args.out), "--method", method]
    export += ["--steps", str(steps), "--cfg", f"{cfg:g}", "--fused"]
    export += ["--metrics", str(chosen_eval / "summary.json")]
    commands["export"] = shlex.join(["patchflow", *export])
    if not (args.out / "card.json").exists():
        patchflow(*export)
    bundle_cmd, bundle_summary = evaluate(
        ["--model", str(args.out)], args.runs_dir / f"eval-bundle-n{args.test_count}", [], args
    )
    commands["evaluate_bundle"] = bundle_cmd
    bundle_label = f"shipped `{args.out.name}` (onnxruntime), {method} x {steps}, w={cfg:g}"
    rows.insert(len(rows) - 1, (bundle_label, bundle_summary))
    # The regression model ships too: no macros or morph (no latent), but one pass per match.
    reg_out = args.out.with_name(f"{args.out.name}-regression")
    reg_eval = Path(evals["ast-regression/direct"]["dir"])
    export_reg = ["export", "--run", runs["ast-regression"]["run"], "--out", str(reg_out)]
    export_reg += ["--metrics", str(reg_eval / "summary.json")]
    commands["export_regression"] = shlex.join(["patchflow", *export_reg])
    if not (reg_out / "card.json").exists():
        patchflow(*export_reg)
    commands["evaluate_bundle_regression"], reg_summary = evaluate(
        ["--model", str(reg_out)], args.runs_dir / f"eval-bundle-reg-n{args.test_count}", [], args
    )
    rows.insert(len(rows) - 1, (f"shipped `{reg_out.name}` (onnxruntime)", reg_summary))

    args.results.mkdir(parents=True, exist_ok=True)
    plot(rows, args.results / "amsynth_models.png")
    shutil.copyfile(chosen_eval / "spectrograms.png", args.results / "amsynth_reconstructions.png")
    size_mb = dir_mb(args.out)
    command = shlex.join([
        "python", "benchmarks/amsynth_models.py", "--data", str(args.data), "--test",
        str(args.test), "--runs-dir", str(args.runs_dir), "--steps", str(args.steps),
        "--out", str(args.out), "--results", str(args.results),
    ])  # fmt: skip
    report = {
        "command": command,
        "hardware": f"{cpu_name()}, {os.cpu_count()} cores, no GPU",
        "started": started,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "runs": runs,
        "evaluations": {k: v["summary"] for k, v in evals.items()},
        "random": random_summary,
        "bundle": bundle_summary,
        "bundle_regression": reg_summary,
        "shipped": {"preset": chosen, "out": str(args.out), "size_mb": round(size_mb, 2)},
        "shipped_regression": {"out": str(reg_out), "size_mb": round(dir_mb(reg_out), 2)},
        "commands": commands,
    }
    (args.results / "amsynth_models.json").write_text(json.dumps(report, indent=2) + "\n")
    header = "| model, sampler | NFE | " + " | ".join(f"{m} {BETTER[m]}" for m in METRICS) + " |"
    table = [header, "|---|---|" + "---|" * len(METRICS)]
    for label, summary in rows:
        nfe = summary["settings"].get("nfe") or "–"
        table.append(f"| {label} | {nfe} | " + " | ".join(cell(summary, m) for m in METRICS) + " |")
    n = random_summary["metrics"]["mss"]["n"]
    n_train = train_items(args.data, Path(runs[PRESETS[0]]["run"]))
    budget = runs[PRESETS[0]]
    lines = [
        "# amsynth: AST encoder with CNF (PARAM2TOK), CNF (MLP) and regression",
        "",
        f"Produced by `{command}` on {report['hardware']} ({started} to {report['finished']}).",
        "",
        f"Training budget, the same for every model: {budget['steps']} steps x batch "
        f"{budget['batch_size']} at `--size {args.size}`, {args.threads} torch thread(s) each "
        f"(about {budget['steps'] * budget['batch_size'] / n_train:.1f} passes over the "
        f"{n_train:,} training items). This is a CPU budget, orders of magnitude below the "
        "paper's (1M steps x 128 on a GPU, the larger `--size paper` models), and on a "
        "different synth (amsynth, not Surge XT): not comparable with the paper's Table 1.",
        "",
        "Training (from each run's `metrics.csv` and log; the other core was busy with other "
        "jobs). Loss: the training objective (flow matching MSE, or the regression MSE) averaged "
        "over the first and the last 5% of the logged steps; the evaluated checkpoint is the one "
        "with the best validation parameter MSE.",
        "",
        "| model | wall min | loss, start | loss, end | best val param_mse (step) |",
        "|---|---|---|---|---|",
        *(
            f"| {NAMES[p]} | {runs[p]['train_minutes']} | {runs[p]['train_loss_first']} | "
            f"{runs[p]['train_loss_last']} | {runs[p]['best_val_param_mse']} "
            f"({runs[p]['best_step']}) |"
            for p in PRESETS
        ),
        "",
        f"Test set: {n} items rendered with a disjoint seed (`{commands['render_test']}`); "
        "every prediction is re-rendered by amsynth and compared with the target audio. Mean "
        "± 95% interval. mss: multi-scale log-mel L1; wmfcc: DTW-warped MFCC L1; sot: spectral "
        "optimal transport; rms_cos: RMS-envelope cosine similarity; param_mse: MSE of the "
        "encoded parameters (in [-1, 1]).",
        "",
        *table,
        "",
        f"Shipped: `{args.out}` = {NAMES[chosen]} (the CNF with the lowest {SELECT_BY} at the "
        f"serving sampler; a CNF, so the bridge's latent macros and morph work), exported with "
        f"a fused sampler, {size_mb:.1f} MB; and `{reg_out}` = {NAMES['ast-regression']} "
        f"({dir_mb(reg_out):.1f} MB; one network pass, no macros or morph).",
        "",
        "![metrics](amsynth_models.png)",
        "",
        "Target and reconstructed spectrograms of the shipped model (first test items):",
        "",
        "![reconstructions](amsynth_reconstructions.png)",
        "",
        "Commands:",
        "",
        *(f"- {k}: `{v}`" for k, v in commands.items()),
    ]
    text = "\n".join(lines) + "\n"
    (args.results / "amsynth_models.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
