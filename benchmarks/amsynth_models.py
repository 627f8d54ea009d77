"""Evaluate and ship the amsynth models (the real-synth experiment, on the 2-core CPU).

One command, resumable (rerun it after an interruption)::

    python benchmarks/amsynth_models.py --data amsynth_v2_60k.h5 \
        --test amsynth_v2-test-789-n256.h5 --runs-dir runs/v2 --out models/amsynth \
        --results docs/results --note "free text: what else ran on the machine"

1. renders the training set and the test set if they are missing (``patchflow dataset render
   --synth amsynth_v2`` with the recipes below; the test set stores its audio and uses a
   disjoint seed);
2. uses the runs of ``ast-cnf-param2tok``, ``ast-cnf-mlp`` and ``ast-regression`` found in
   ``--runs-dir`` as they are (finished or stopped by a time limit: no retraining); with
   ``--train-missing`` a missing run is trained at ``--size`` for ``--steps`` (note-conditioned
   for amsynth specs), otherwise a missing run is an error. The training commands reported are
   the run's own (``provenance.json``, every session in order) and the wall-clock minutes are
   summed over the sessions of ``RUNS/PRESET.log``;
3. evaluates every model on the test set with the real-synth metrics (``patchflow evaluate``:
   each prediction is re-rendered by amsynth): the CNFs at the paper's sampler (RK4 x 100,
   w = 2) and at the serving sampler (Euler x 8) with a guidance sweep (w = 1, 2, 3, 5), the
   regression once; plus a random-parameter reference drawn from the spec's sampling
   distributions (given the rendered note where the models are);
4. exports the CNF with the lowest multi-scale spectral distance at its best serving guidance
   scale with that scale (with ``--val``, both are chosen on a validation set, rendered with
   another disjoint seed, where every serving setting and the regression are evaluated too; the
   test set then only reports) (``patchflow export --fused --cfg W``), and the regression, and
   evaluates both bundles (onnxruntime) on the same test set;
5. writes ``RESULTS/amsynth_models.{md,json,png}``, the training curves
   ``RESULTS/amsynth_curves.png`` and copies the shipped model's spectrogram figure to
   ``RESULTS/amsynth_reconstructions.png``.

An evaluation or bundle older than the checkpoint or run it came from is redone.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

from patchflow.machine import cpu_name

PRESETS = ("ast-cnf-param2tok", "ast-cnf-mlp", "ast-regression")
CNFS = ("ast-cnf-param2tok", "ast-cnf-mlp")
REGRESSION = "ast-regression"
NAMES = {
    "ast-cnf-param2tok": "AST + CNF (PARAM2TOK)",
    "ast-cnf-mlp": "AST + CNF (MLP)",
    "ast-regression": "AST + FFN (MSE)",
    "random": "Random parameters",
}
# The paper's sampler (method, steps, w) and the serving sampler (method, steps) with the
# guidance scales it is swept over.
PAPER = ("rk4", 100, 2.0)
SERVING = ("euler", 8)
SERVING_CFGS = (1.0, 2.0, 3.0, 5.0)
METRICS = ("mss", "wmfcc", "sot", "rms_cos", "param_mse")
BETTER = {"mss": "↓", "wmfcc": "↓", "sot": "↓", "rms_cos": "↑", "param_mse": "↓"}
SELECT_BY = "mss"
LOG_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d) ")
SESSION_START = "parameters on"  # the loop's first log line of a fresh training session
RESUMING = "INFO patchflow.train.loop: resuming "  # ... and of a resumed one (then the above)
CURVE_FRACTIONS = (0.125, 0.25, 0.5, 1.0)  # of the trained steps, for the curve table
EVAL_THREADS = "1"
TEST_SEED = 789  # render seeds of the test and validation sets (training's is 1)
VAL_SEED = 790


def patchflow(*args: str, log: Path | None = None) -> str:
    """Run a ``patchflow`` verb in a subprocess (output appended to ``log`` if given)."""
    argv = [sys.executable, "-m", "patchflow", *args]
    print("+", shlex.join(["patchflow", *args]), flush=True)
    if log is None:
        subprocess.run(argv, check=True)
    else:
        print(f"  (output appended to {log}: a line per validation, with the step)", flush=True)
        with open(log, "a") as f:
            subprocess.run(argv, check=True, stdout=f, stderr=subprocess.STDOUT)
    return shlex.join(["patchflow", *args])


def checkpoint_step(path: Path) -> int:
    """The step a checkpoint was saved at (0 when it does not exist)."""
    from patchflow.train.checkpoint import read_checkpoint

    return int(read_checkpoint(path)["step"]) if path.exists() else 0


def ensure_data(args: argparse.Namespace, commands: dict[str, Any]) -> None:
    """Render the training and test sets where they are missing; record their recipes."""
    from patchflow.train import provenance

    render = ["dataset", "render", "--synth", args.synth, "--workers", str(args.workers)]
    train = [*render, "--count", str(args.train_count), "--seed", "1", "--chunk-size", "250"]
    test = [*render, "--count", str(args.test_count), "--chunk-size", "64", "--audio"]
    sets = [("render_train", train, args.data, 1), ("render_test", test, args.test, TEST_SEED)]
    sets += [("render_val", test, args.val, VAL_SEED)] if args.val else []
    for key, argv, path, seed in sets:
        argv = argv if key == "render_train" else [*argv, "--seed", str(seed)]
        full = [*argv, "--out", str(path)]
        if path.exists():  # what the file was made with (worker count does not change it)
            commands[key] = recipe_command(provenance.data_recipe(str(path), seed))
        else:
            commands[key] = patchflow(*full)


def recipe_command(recipe: str) -> str:
    """The command of a ``provenance.data_recipe`` sentence (``CMD (HDF5, N items)``)."""
    return recipe.split(" (HDF5, ", 1)[0]


def train_missing(preset: str, args: argparse.Namespace) -> None:
    """Train a run that does not exist yet (``--train-missing``)."""
    from patchflow.train.checkpoint import LAST

    run_dir = args.runs_dir / preset
    if (run_dir / LAST).exists():
        return
    argv = ["train", "--preset", preset, "--size", args.size, "--data", str(args.data)]
    argv += ["--out", str(run_dir), "--steps", str(args.steps), "--threads", str(args.threads)]
    argv += ["--note-conditioning"] if args.note_conditioning else []
    argv += ["--no-progress"]
    args.runs_dir.mkdir(parents=True, exist_ok=True)
    patchflow(*argv, log=args.runs_dir / f"{preset}.log")


def run_info(preset: str, args: argparse.Namespace) -> dict[str, Any]:
    """What a run in ``--runs-dir`` is: its budget, commands, time and curve summary."""
    from patchflow.train import provenance
    from patchflow.train.checkpoint import BEST, LAST

    run_dir = args.runs_dir / preset
    config = json.loads((run_dir / "config.json").read_text())
    prov = provenance.read(run_dir)
    rows = read_metrics(run_dir)
    sessions = log_sessions(args.runs_dir / f"{preset}.log")
    step_minutes = train_step_minutes(rows, config)
    speeds = sorted(v for _, tag, v in rows if tag == "train/samples_per_s")
    return {
        "run": str(run_dir),
        "steps": checkpoint_step(run_dir / LAST),
        "target_steps": config["steps"],
        "evaluated_step": checkpoint_step(run_dir / BEST),
        "batch_size": config["batch_size"],
        "threads": config.get("num_threads"),
        "size": config.get("size"),
        "note_conditioning": bool(config["model"].get("note_conditioning", False)),
        "commands": prov.get("commands", []),
        "data": prov.get("data"),
        "data_recipe": prov.get("data_recipe"),
        "sessions": len(sessions),
        "session_minutes": sessions,
        "train_minutes": round(sum(sessions), 1) if sessions else None,
        "step_minutes": step_minutes,
        "samples_per_s_median": round(speeds[len(speeds) // 2], 1) if speeds else None,
        **training_summary(rows),
    }


def read_metrics(run_dir: Path) -> list[tuple[int, str, float]]:
    """A run's ``metrics.csv`` rows as ``(step, tag, value)``."""
    path = run_dir / "metrics.csv"
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return [(int(r["step"]), r["tag"], float(r["value"])) for r in csv.DictReader(f)]


def series(rows: list[tuple[int, str, float]], tag: str) -> tuple[list[int], list[float]]:
    """The ``(steps, values)`` of one tag."""
    points = [(step, v) for step, t, v in rows if t == tag]
    return [s for s, _ in points], [v for _, v in points]


def training_summary(rows: list[tuple[int, str, float]]) -> dict[str, Any]:
    """Training loss at the start and end (mean of the first and last 5% of the logged
    windows) and the best validation objective of the EMA weights (the checkpoint that is
    evaluated: ``best.pt`` is chosen by it) with its step."""
    _, loss = series(rows, "train/loss")
    n = max(1, len(loss) // 20)
    steps, val = series(rows, "val/loss")
    best = min(zip(val, steps, strict=True)) if val else (None, None)
    return {
        "train_loss_first": round(sum(loss[:n]) / n, 4) if loss else None,
        "train_loss_last": round(sum(loss[-n:]) / n, 4) if loss else None,
        "best_val_loss": None if best[0] is None else round(best[0], 4),
        "best_step": best[1],
    }


def log_sessions(log: Path) -> list[float]:
    """Wall minutes of each training session in a run's log (``patchflow train`` output).

    A session starts at the loop's ``resuming ...`` line or (fresh runs) its ``... parameters
    on ...`` line and ends at the last timestamped line before the next session; times are
    ``HH:MM:SS`` and may pass midnight.
    """
    if not log.exists():
        return []
    sessions: list[float] = []
    previous: int | None = None
    resumed = False  # the last line was a resumed session's first line
    for line in log.read_text(errors="replace").splitlines():
        m = LOG_TIME.match(line)
        if m is None:
            continue
        now = int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])
        starts = RESUMING in line or (SESSION_START in line and not resumed)
        if starts:
            sessions.append(0.0)
        elif sessions and previous is not None:
            sessions[-1] += ((now - previous) % 86400) / 60
        previous, resumed = now, RESUMING in line
    return [round(s, 1) for s in sessions]


def train_step_minutes(rows: list[tuple[int, str, float]], config: dict[str, Any]) -> float | None:
    """Minutes spent in training steps (validation excluded), from ``train/samples_per_s``."""
    steps, speeds = series(rows, "train/samples_per_s")
    if not steps:
        return None
    seconds, last = 0.0, 0
    for step, speed in zip(steps, speeds, strict=True):
        seconds += (step - last) * config["batch_size"] / max(speed, 1e-9)
        last = step
    return round(seconds / 60, 1)


def dir_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 1e6


def train_items(data: Path, run_dir: Path) -> int:
    """Training items of a run on an HDF5 dataset (the loader holds the last items out)."""
    import h5py

    with h5py.File(data, "r") as f:
        n = len(f["params"])
    val = json.loads((run_dir / "config.json").read_text())["val"]
    return n - min(val["batches"] * val["batch_size"], max(n // 5, 1))


def evaluate(
    source: list[str],
    out: Path,
    solver: list[str],
    args: argparse.Namespace,
    newer_than: Path,
    data: Path | None = None,
) -> tuple[str, dict[str, Any]]:
    """``patchflow evaluate`` on ``data`` (default: the test set) unless ``out`` holds a summary
    newer than ``newer_than``."""
    summary = out / "summary.json"
    argv = ["evaluate", *source, "--data", str(data or args.test), "--out", str(out), *solver]
    argv += ["--threads", EVAL_THREADS, "--no-progress"]
    if not summary.exists() or summary.stat().st_mtime < newer_than.stat().st_mtime:
        patchflow(*argv)
    return shlex.join(["patchflow", *argv]), json.loads(summary.read_text())


def evaluate_random(args: argparse.Namespace, give_note: bool) -> dict[str, Any]:
    from patchflow.data.dataset import SynthDataset
    from patchflow.evaluation import finish_evaluation, random_predictions, synth_for_spec
    from patchflow.note_conditioning import NoteConditioning

    tag = "-note" if give_note else ""
    out = args.runs_dir / "random" / f"eval{tag}-n{args.test_count}"
    summary = out / "summary.json"
    if not summary.exists():
        ds = SynthDataset.load(args.test)
        preds = random_predictions(ds.spec, len(ds), seed=790)
        if give_note and ds.spec.note_index is not None:
            nc = NoteConditioning.of(ds.spec)
            notes = nc.notes_from_encoded(ds.params, ds.spec)
            preds.encoded[:] = nc.insert(ds.spec, nc.drop(preds.encoded), notes)
        rc = ds.render_config
        with synth_for_spec(ds.spec, rc.synth, **rc.synth_options()) as synth:
            finish_evaluation(
                "random",
                synth,
                preds,
                ds.params,
                target_audio=ds.audio,
                out=out,
                settings={"source": "random", "data": str(args.test), "seed": 790},
            )
    return json.loads(summary.read_text())


def bundle_is_current(out: Path, run: dict[str, Any], solver: dict[str, Any] | None) -> bool:
    """Whether ``out`` holds the export of this run's evaluated checkpoint (and sampler)."""
    card_path = out / "card.json"
    if not card_path.exists():
        return False
    card = json.loads(card_path.read_text())
    training = card.get("training") or {}
    same_run = (
        training.get("all_commands") == run["commands"]
        and training.get("steps") == run["evaluated_step"]
    )
    if solver is None:
        return same_run
    s = card.get("solver") or {}
    weights = "float32" if card.get("quantization") is None else "int8"
    made = (s.get("method"), s.get("steps"), s.get("cfg_scale"), s.get("temperature", 1.0), weights)
    return same_run and made == (
        solver["method"],
        solver["steps"],
        solver["cfg"],
        solver["temperature"],
        solver["weights"],
    )


def export(argv: list[str], current: bool) -> str:
    """``patchflow export`` unless the bundle is current; returns the command."""
    if not current:
        patchflow(*argv)
    return shlex.join(["patchflow", *argv])


def dash(value: Any) -> str:
    """A table cell: the value, or a dash where there is none."""
    return "–" if value is None else str(value)


def cell(summary: dict[str, Any], metric: str) -> str:
    m = summary["metrics"].get(metric)
    return "–" if m is None else f"{m['mean']:.4g} ± {m['ci95']:.2g}"


def mean(summary: dict[str, Any], metric: str = SELECT_BY) -> float:
    return float(summary["metrics"][metric]["mean"])


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


def smoothed(values: list[float], window: int) -> list[float]:
    """Trailing mean over ``window`` points (fewer at the start)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v - (values[i - window] if i >= window else 0.0)
        out.append(total / min(i + 1, window))
    return out


def plot_curves(runs: dict[str, dict[str, Any]], path: Path) -> None:
    """Per preset: training loss (raw and smoothed) and validation loss of the EMA and the
    optimiser weights; below, validation parameter MSE of both."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    presets = list(runs)
    fig, axes = plt.subplots(
        2, len(presets), figsize=(5 * len(presets), 7), constrained_layout=True, squeeze=False
    )
    for col, preset in enumerate(presets):
        rows = read_metrics(Path(runs[preset]["run"]))
        top, bottom = axes[0][col], axes[1][col]
        steps, loss = series(rows, "train/loss")
        if loss:
            top.plot(steps, loss, color="C0", alpha=0.25, lw=0.8)
            window = max(1, len(loss) // 20)
            top.plot(steps, smoothed(loss, window), color="C0", label=f"train (mean of {window})")
        for tag, color, label in (
            ("val/loss", "C1", "val, EMA"),
            ("val_raw/loss", "C2", "val, raw"),
        ):
            s, v = series(rows, tag)
            if v:
                top.plot(s, v, "o-", color=color, ms=3, label=label)
        for tag, color, label in (
            ("val/param_mse", "C1", "EMA weights"),
            ("val_raw/param_mse", "C2", "raw weights"),
        ):
            s, v = series(rows, tag)
            if v:
                bottom.plot(s, v, "o-", color=color, ms=3, label=label)
        top.set_title(f"{NAMES[preset]}: training objective")
        bottom.set_title("validation param_mse")
        for ax in (top, bottom):
            ax.set_xlabel("step")
            ax.grid(alpha=0.3)
            if ax.has_data():
                ax.legend(fontsize=8)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def curve_table(runs: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown rows: the curves at validation steps near 1/8, 1/4, 1/2 and all of each run."""
    lines = [
        "| model | step | train loss (last 10 windows) | val loss EMA | val loss raw | "
        "val param_mse EMA | val param_mse raw |",
        "|---|---|---|---|---|---|---|",
    ]

    def at(rows: list[tuple[int, str, float]], tag: str, step: int) -> str:
        values = [v for s, t, v in rows if t == tag and s == step]
        return f"{values[-1]:.4g}" if values else "–"

    for preset, run in runs.items():
        rows = read_metrics(Path(run["run"]))
        val_steps = sorted(set(series(rows, "val/loss")[0]))
        if not val_steps:
            continue
        picked = sorted(
            {min(val_steps, key=lambda s: abs(s - f * val_steps[-1])) for f in CURVE_FRACTIONS}
        )
        train_steps, train_loss = series(rows, "train/loss")
        for step in picked:
            recent = [v for s, v in zip(train_steps, train_loss, strict=True) if s <= step][-10:]
            train = f"{sum(recent) / len(recent):.4g}" if recent else "–"
            lines.append(
                f"| {NAMES[preset]} | {step} | {train} | {at(rows, 'val/loss', step)} | "
                f"{at(rows, 'val_raw/loss', step)} | {at(rows, 'val/param_mse', step)} | "
                f"{at(rows, 'val_raw/param_mse', step)} |"
            )
    return lines


def comparison(a: dict[str, Any], b: dict[str, Any]) -> str:
    """Whether two mss means differ beyond their 95% intervals."""
    ma, mb = a["metrics"][SELECT_BY], b["metrics"][SELECT_BY]
    apart = abs(ma["mean"] - mb["mean"]) > ma["ci95"] + mb["ci95"]
    return "the intervals do not overlap" if apart else "within the 95% intervals"


def paired(a: dict[str, Any], b: dict[str, Any]) -> str:
    """Mean per-item mss difference of evaluations ``a`` and ``b`` (same items) with its 95%
    interval, and on how many items ``a`` is lower."""
    import numpy as np

    def per_item(e: dict[str, Any]) -> np.ndarray:
        with open(Path(e["dir"]) / "per_item.csv") as f:
            return np.asarray([float(r[SELECT_BY]) for r in csv.DictReader(f)])

    diff = per_item(a) - per_item(b)
    half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
    return (
        f"paired difference {diff.mean():+.3g} ± {half:.2g}, lower on "
        f"{int((diff < 0).sum())} of {len(diff)} items"
    )


def verdicts(
    evals: dict[str, dict[str, Any]], best_cfg: dict[str, Setting], chosen: str
) -> list[str]:
    """The issue-16 target (one-shot CNF mss <= regression mss) and the paper's ordering."""
    reg_eval, shipped_eval = (
        evals[f"{REGRESSION}/direct"],
        evals[f"{chosen}/{serving_tag(best_cfg[chosen])}"],
    )
    reg, shipped = reg_eval["summary"], shipped_eval["summary"]
    paper = evals[f"{chosen}/paper"]["summary"]
    met = mean(shipped) <= mean(reg)
    lines = [
        f"- **Target, one-shot CNF mss ≤ regression mss: {'met' if met else 'not met'}.** "
        f"{NAMES[chosen]} at the serving sampler (Euler x 8, {label(best_cfg[chosen])}): "
        f"{mean(shipped):.4g}; regression: {mean(reg):.4g} ({comparison(shipped, reg)}; "
        f"{paired(shipped_eval, reg_eval)}). "
        f"At the paper's sampler (RK4 x 100, w=2) the same CNF scores {mean(paper):.4g} "
        f"({'at or below' if mean(paper) <= mean(reg) else 'above'} the regression).",
    ]
    if "ast-cnf-param2tok/paper" not in evals or "ast-cnf-mlp/paper" not in evals:
        lines.append(
            "- **Paper's ordering PARAM2TOK > MLP > regression: not checked** (both CNFs are "
            "needed; this report has only "
            + ", ".join(NAMES[p] for p in CNFS if f"{p}/paper" in evals)
            + ")."
        )
        return lines
    best_words = "serving sampler, best setting"
    for tag, words in (("paper", "paper's sampler"), ("serving", best_words)):
        scores = {REGRESSION: mean(reg)}
        for p in CNFS:
            key = f"{p}/paper" if tag == "paper" else f"{p}/{serving_tag(best_cfg[p])}"
            scores[p] = mean(evals[key]["summary"])
        order = sorted(scores, key=scores.__getitem__)
        holds = order == list(PRESETS)
        observed = " < ".join(f"{NAMES[p]} {scores[p]:.4g}" for p in order)
        lines.append(
            f"- **Paper's ordering PARAM2TOK > MLP > regression, by mss at the {words}: "
            f"{'reproduces' if holds else 'does not reproduce'}** (lowest first: {observed})."
        )
    return lines


Setting = tuple[float, float]  # a serving sampler's guidance scale w and one-shot temperature


def serving_tag(setting: Setting) -> str:
    """Evaluation folder tag (temperature 1 keeps the tag it had before temperatures)."""
    w, t = setting
    return f"serving-w{w:g}" if t == 1.0 else f"serving-w{w:g}-t{t:g}"


def label(setting: Setting) -> str:
    w, t = setting
    return f"w={w:g}" if t == 1.0 else f"w={w:g}, temperature {t:g}"


def score_of(evals: dict[str, dict[str, Any]], preset: str, setting: Setting) -> float:
    return mean(evals[f"{preset}/{serving_tag(setting)}"]["summary"])


def serving_settings(args: argparse.Namespace) -> list[Setting]:
    return [(w, t) for t in args.temperatures for w in args.cfgs]


def resolve_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="training set (HDF5)")
    parser.add_argument("--test", type=Path, required=True, help="test set (HDF5 with audio)")
    parser.add_argument(
        "--val",
        type=Path,
        help="validation set (HDF5 with audio; rendered with seed 790 if missing) on which the "
        "shipped CNF and its serving setting are chosen (default: on the test set)",
    )
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/amsynth"))
    parser.add_argument("--presets", nargs="+", choices=PRESETS, default=list(PRESETS))
    parser.add_argument("--synth", default="amsynth_v2", help="spec of missing data renders")
    parser.add_argument(
        "--note-conditioning",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="train missing runs note-conditioned (default: on for amsynth specs)",
    )
    parser.add_argument(
        "--train-missing", action="store_true", help="train runs that do not exist (--steps)"
    )
    parser.add_argument("--steps", type=int, default=2000, help="steps of a missing run")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of a missing run")
    parser.add_argument("--size", default="small", choices=("tiny", "small", "paper"))
    parser.add_argument("--workers", type=int, default=2, help="render workers for missing data")
    parser.add_argument("--test-count", type=int, default=256)
    parser.add_argument("--train-count", type=int, default=60000, help="items of a missing --data")
    parser.add_argument(
        "--cfgs", type=float, nargs="+", default=list(SERVING_CFGS), help="serving w sweep"
    )
    parser.add_argument(
        "--temperatures",
        type=float,
        nargs="+",
        default=[1.0],
        help="one-shot temperatures swept with every w (0: the flow from the noise's mean)",
    )
    parser.add_argument(
        "--weights",
        default="int8",
        choices=("float32", "int8"),
        help="graph weights of the shipped CNF (int8: docs/first-answer.md)",
    )
    parser.add_argument("--note", default="", help="free text for the report (machine load)")
    parser.add_argument("--out", type=Path, default=Path("models/amsynth"))
    parser.add_argument("--results", type=Path, default=Path("docs/results"))
    args = parser.parse_args(argv)
    if args.note_conditioning is None:
        args.note_conditioning = args.synth.startswith("amsynth")
    if REGRESSION not in args.presets or not set(CNFS) & set(args.presets):
        parser.error("--presets needs ast-regression and at least one CNF")
    if not args.train_missing:
        from patchflow.train.checkpoint import LAST

        missing = [p for p in args.presets if not (args.runs_dir / p / LAST).exists()]
        if missing:
            parser.error(
                f"no run of {', '.join(missing)} in {args.runs_dir}: pass --train-missing to "
                "train it, or leave it out of --presets"
            )
    args.presets = [p for p in PRESETS if p in args.presets]
    return args


def main(argv: list[str] | None = None) -> int:
    args = resolve_args(argv)
    started = time.strftime("%Y-%m-%d %H:%M:%S %z")
    commands: dict[str, Any] = {}
    ensure_data(args, commands)
    if args.train_missing:
        for preset in args.presets:
            train_missing(preset, args)
    runs = {p: run_info(p, args) for p in args.presets}
    for p, run in runs.items():
        commands[f"train_{p}"] = run["commands"]
    cnfs = [p for p in CNFS if p in runs]

    evals: dict[str, dict[str, Any]] = {}
    val_evals: dict[str, dict[str, Any]] = {}  # with --val: the serving settings on it
    for preset in args.presets:
        run_dir = Path(runs[preset]["run"])
        best = run_dir / "best.pt"
        if preset == REGRESSION:
            settings: list[tuple[str, list[str]]] = [("direct", [])]
        else:
            method, steps, cfg = PAPER
            settings = [("paper", ["--method", method, "--steps", str(steps), "--cfg", f"{cfg:g}"])]
            settings += [
                (
                    serving_tag((w, t)),
                    ["--method", SERVING[0], "--steps", str(SERVING[1]), "--cfg", f"{w:g}"]
                    + ([] if t == 1.0 else ["--temperature", f"{t:g}"]),
                )
                for w, t in serving_settings(args)
            ]
        for tag, solver in settings:
            out = run_dir / f"eval-{tag}-n{args.test_count}"
            cmd, summary = evaluate(["--run", str(run_dir)], out, solver, args, best)
            commands[f"evaluate_{preset}_{tag}"] = cmd
            evals[f"{preset}/{tag}"] = {"dir": str(out), "summary": summary}
            if args.val and tag != "paper":  # what the shipped setting is chosen on
                out = run_dir / f"eval-{tag}-val-n{args.test_count}"
                cmd, summary = evaluate(["--run", str(run_dir)], out, solver, args, best, args.val)
                commands[f"evaluate_{preset}_{tag}_val"] = cmd
                val_evals[f"{preset}/{tag}"] = {"dir": str(out), "summary": summary}
    give_note = any(r["note_conditioning"] for r in runs.values())
    random_summary = evaluate_random(args, give_note)

    select = val_evals or evals  # the validation set where there is one
    best_cfg = {p: min(serving_settings(args), key=partial(score_of, select, p)) for p in cnfs}
    chosen = min(cnfs, key=lambda p: score_of(select, p, best_cfg[p]))
    w, temperature = best_cfg[chosen]
    chosen_eval = Path(evals[f"{chosen}/{serving_tag(best_cfg[chosen])}"]["dir"])
    shipped = {"method": SERVING[0], "steps": SERVING[1], "cfg": w, "temperature": temperature,
               "weights": args.weights}  # fmt: skip
    argv = ["export", "--run", runs[chosen]["run"], "--out", str(args.out), "--method", SERVING[0]]
    argv += ["--steps", str(SERVING[1]), "--cfg", f"{w:g}", "--fused", "--weights", args.weights]
    argv += [] if temperature == 1.0 else ["--temperature", f"{temperature:g}"]
    argv += ["--metrics", str(chosen_eval / "summary.json")]
    commands["export"] = export(argv, bundle_is_current(args.out, runs[chosen], shipped))
    bundle_eval = args.runs_dir / f"eval-bundle-n{args.test_count}"
    commands["evaluate_bundle"], bundle_summary = evaluate(
        ["--model", str(args.out)], bundle_eval, [], args, args.out / "card.json"
    )
    # The regression model ships too: no macros or morph (no latent), but one pass per match.
    reg_out = args.out.with_name(f"{args.out.name}-regression")
    reg_eval = Path(evals[f"{REGRESSION}/direct"]["dir"])
    argv = ["export", "--run", runs[REGRESSION]["run"], "--out", str(reg_out)]
    argv += ["--metrics", str(reg_eval / "summary.json")]
    current = bundle_is_current(reg_out, runs[REGRESSION], None)
    commands["export_regression"] = export(argv, current)
    commands["evaluate_bundle_regression"], reg_summary = evaluate(
        ["--model", str(reg_out)],
        args.runs_dir / f"eval-bundle-reg-n{args.test_count}",
        [],
        args,
        reg_out / "card.json",
    )

    rows: list[tuple[str, dict[str, Any]]] = []
    for p in args.presets:
        if p == REGRESSION:
            rows.append((NAMES[p], evals[f"{p}/direct"]["summary"]))
            continue
        m, s, c = PAPER
        rows.append((f"{NAMES[p]}, {m} x {s}, w={c:g}", evals[f"{p}/paper"]["summary"]))
        rows.append((
            f"{NAMES[p]}, {SERVING[0]} x {SERVING[1]}, {label(best_cfg[p])} (best of the sweep)",
            evals[f"{p}/{serving_tag(best_cfg[p])}"]["summary"],
        ))  # fmt: skip
    rows.append((
        f"shipped `{args.out.name}` (onnxruntime), {SERVING[0]} x {SERVING[1]}, "
        f"{label(best_cfg[chosen])}",
        bundle_summary,
    ))  # fmt: skip
    rows.append((f"shipped `{reg_out.name}` (onnxruntime)", reg_summary))
    random_label = NAMES["random"] + (" (the rendered note given)" if give_note else "")
    rows.append((random_label, random_summary))

    args.results.mkdir(parents=True, exist_ok=True)
    plot(rows, args.results / "amsynth_models.png")
    plot_curves(runs, args.results / "amsynth_curves.png")
    shutil.copyfile(chosen_eval / "spectrograms.png", args.results / "amsynth_reconstructions.png")
    size_mb = dir_mb(args.out)
    command = shlex.join([
        "python", "benchmarks/amsynth_models.py", "--data", str(args.data), "--test",
        str(args.test), "--runs-dir", str(args.runs_dir), "--out", str(args.out),
        "--results", str(args.results),
        *(["--test-count", str(args.test_count)] if args.test_count != 256 else []),
        *(["--cfgs", *(f"{w:g}" for w in args.cfgs)] if args.cfgs != list(SERVING_CFGS) else []),
        *(["--temperatures", *(f"{t:g}" for t in args.temperatures)]
          if args.temperatures != [1.0] else []),
        *(["--presets", *args.presets] if args.presets != list(PRESETS) else []),
        *(["--val", str(args.val)] if args.val else []),
        *(["--weights", args.weights] if args.weights != "int8" else []),
        *(["--note", args.note] if args.note else []),
    ])  # fmt: skip
    report = {
        "command": command,
        "hardware": f"{cpu_name()}, {os.cpu_count()} cores, no GPU",
        "note": args.note,
        "started": started,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "runs": runs,
        "evaluations": {k: v["summary"] for k, v in evals.items()},
        "validation": str(args.val) if args.val else None,
        "validation_evaluations": {k: v["summary"] for k, v in val_evals.items()},
        "serving_cfg_sweep": list(args.cfgs),
        "serving_temperatures": list(args.temperatures),
        "best_serving_cfg": best_cfg,
        "random": random_summary,
        "bundle": bundle_summary,
        "bundle_regression": reg_summary,
        "shipped": {
            "preset": chosen,
            "out": str(args.out),
            "size_mb": round(size_mb, 2),
            "solver": shipped,
        },
        "shipped_regression": {"out": str(reg_out), "size_mb": round(dir_mb(reg_out), 2)},
        "commands": commands,
    }
    (args.results / "amsynth_models.json").write_text(json.dumps(report, indent=2) + "\n")
    text = "\n".join(
        report_lines(
            args, report, runs, rows, (evals, val_evals), best_cfg, chosen, reg_out, size_mb
        )
    )
    (args.results / "amsynth_models.md").write_text(text + "\n")
    print(text)
    return 0


def metric_table(rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    header = "| model, sampler | NFE | " + " | ".join(f"{m} {BETTER[m]}" for m in METRICS) + " |"
    table = [header, "|---|---|" + "---|" * len(METRICS)]
    for label, summary in rows:
        nfe = summary["settings"].get("nfe") or "–"
        table.append(f"| {label} | {nfe} | " + " | ".join(cell(summary, m) for m in METRICS) + " |")
    return table


def sweep_table(
    evals: dict[str, dict[str, Any]],
    settings: list[Setting],
    best_cfg: dict[str, Setting],
    val_evals: dict[str, dict[str, Any]],
) -> list[str]:
    rows = []
    for p, best in best_cfg.items():
        for setting in settings:
            mark = " (chosen)" if setting == best else ""
            key = f"{p}/{serving_tag(setting)}"
            val = f", validation {SELECT_BY} {cell(val_evals[key]['summary'], SELECT_BY)}"
            rows.append((f"{NAMES[p]}, {label(setting)}{mark}{val if val_evals else ''}",
                         evals[key]["summary"]))  # fmt: skip
    return metric_table(rows)


def report_lines(
    args: argparse.Namespace,
    report: dict[str, Any],
    runs: dict[str, dict[str, Any]],
    rows: list[tuple[str, dict[str, Any]]],
    both_evals: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]],
    best_cfg: dict[str, Setting],
    chosen: str,
    reg_out: Path,
    size_mb: float,
) -> list[str]:
    evals, val_evals = both_evals
    commands = report["commands"]
    where = (
        f"on the validation set (`{commands['render_val']}`; test set mss in the table, "
        "validation mss in the row names)"
        if val_evals
        else "on the test set"
    )
    n = report["random"]["metrics"]["mss"]["n"]
    first = runs[args.presets[0]]
    n_train = train_items(args.data, Path(first["run"]))
    recipes = sorted(
        {recipe_command(r["data_recipe"]) for r in runs.values() if r.get("data_recipe")}
    )
    recipes = recipes or [commands["render_train"]]
    note = f" {args.note.rstrip('.')}." if args.note else ""
    budget_rows = [
        f"| {NAMES[p]} | {r['steps']} / {r['target_steps']} | {r['batch_size']} | "
        f"{r['steps'] * r['batch_size'] / n_train:.1f} | {r['threads']} | {r['sessions']} | "
        f"{dash(r['train_minutes'])} | {dash(r['step_minutes'])} | "
        f"{dash(r['samples_per_s_median'])} | {'yes' if r['note_conditioning'] else 'no'} |"
        for p, r in runs.items()
    ]
    loss_rows = [
        f"| {NAMES[p]} | {dash(r['train_loss_first'])} | {dash(r['train_loss_last'])} | "
        f"{dash(r['best_val_loss'])} ({dash(r['best_step'])}) | {r['evaluated_step']} |"
        for p, r in runs.items()
    ]
    command_lines: list[str] = []
    for key, value in commands.items():
        if isinstance(value, list):
            r = runs[key.removeprefix("train_")]
            minutes = f", {r['train_minutes']} wall min" if r["train_minutes"] is not None else ""
            command_lines.append(f"- {key} ({len(value)} session(s){minutes}):")
            command_lines += [f"  {i}. `{c}`" for i, c in enumerate(value, 1)]
        else:
            command_lines.append(f"- {key}: `{value}`")
    return [
        "# amsynth: AST encoder with CNF (PARAM2TOK), CNF (MLP) and regression",
        "",
        f"Produced by `{report['command']}` ({report['started']} to {report['finished']}).",
        "",
        f"Hardware: {report['hardware']}.{note}",
        "",
        "## Results",
        "",
        *verdicts(evals, best_cfg, chosen),
        "",
        f"Test set: {n} items rendered with a disjoint seed (`{commands['render_test']}`); "
        "every prediction is re-rendered by amsynth and compared with the target audio. Mean "
        "± 95% interval. mss: multi-scale log-mel L1; wmfcc: DTW-warped MFCC L1; sot: spectral "
        "optimal transport; rms_cos: RMS-envelope cosine similarity; param_mse: MSE of the "
        "encoded parameters (in [-1, 1])"
        + (
            "; the models are given the rendered note, so its column is exact in every row "
            "(the random reference is given it too)."
            if report["runs"] and any(r["note_conditioning"] for r in runs.values())
            else "."
        ),
        "",
        *metric_table(rows),
        "",
        f"Guidance (and one-shot temperature) sweep at the serving sampler ({SERVING[0]} x "
        f"{SERVING[1]}); the shipped setting is each CNF's lowest {SELECT_BY} {where}:",
        "",
        *sweep_table(evals, serving_settings(args), best_cfg, val_evals),
        "",
        f"Shipped: `{args.out}` = {NAMES[chosen]} (the CNF with the lowest {SELECT_BY} at its "
        f"best serving setting, both chosen {where.split(' (')[0]}; a CNF, so the bridge's "
        "latent macros and morph work), "
        f"exported with a fused sampler, {SERVING[0]} x {SERVING[1]}, {label(best_cfg[chosen])}, "
        f"{args.weights} weights, {size_mb:.1f} "
        f"MB; and `{reg_out}` = {NAMES[REGRESSION]} "
        f"({report['shipped_regression']['size_mb']:.1f} MB; one network pass, no macros or "
        "morph).",
        "",
        "![metrics](amsynth_models.png)",
        "",
        "Target and reconstructed spectrograms of the shipped model (first test items):",
        "",
        "![reconstructions](amsynth_reconstructions.png)",
        "",
        "## Training",
        "",
        "Training data: "
        + "; ".join(f"`{r}`" for r in recipes)
        + f" ({n_train:,} training items after the held-out validation batches). Random "
        "patches rendered from the spec only; no human-designed presets.",
        "",
        f"Budget per model (`--size {first['size']}`; steps trained / asked for; epochs over "
        "the training items; wall minutes summed over the sessions of the run's log; "
        "step minutes from the logged throughput, validation excluded). This is a CPU "
        "budget, orders of magnitude below the paper's (1M steps x 128 on a GPU, the larger "
        "`--size paper` models), and on a different synth (amsynth, not Surge XT): not "
        f"comparable with the paper's Table 1.{note}",
        "",
        "| model | steps | batch | epochs | threads | sessions | wall min | step min | "
        "samples/s (median) | note given |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *budget_rows,
        "",
        "Loss: the training objective (flow-matching MSE, or the regression MSE) averaged over "
        "the first and last 5% of the logged windows. Validation uses the EMA weights (the "
        "ones exported); the evaluated checkpoint is the one with the best validation "
        "objective (before 2026-12-01 best.pt was chosen by the sampled parameters' MSE, which "
        "for a CNF picked early checkpoints that sounded worse).",
        "",
        "| model | loss, start | loss, end | best val loss (step) | evaluated step |",
        "|---|---|---|---|---|",
        *loss_rows,
        "",
        "Training curves: training objective (faint: each logged window; solid: trailing "
        "mean) and validation objective of the EMA and the raw (optimiser) weights; below, "
        "validation param_mse of both.",
        "",
        "![curves](amsynth_curves.png)",
        "",
        *curve_table(runs),
        "",
        "## Commands",
        "",
        *command_lines,
    ]


if __name__ == "__main__":
    sys.exit(main())
