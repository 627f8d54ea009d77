"""k-osc reproduction of Hayes et al. 2025, section 4.1: every model, both variants, several k.

Usage (the whole grid, resumable; rerun the same command after an interruption)::

    python benchmarks/kosc_reproduction.py --k 4 8 --variants sym asym --steps 6000

For every variant (``sym``: all oscillators span 20-4000 Hz; ``asym``: oscillator i in the
i-th sub-band), every k and every preset, this trains ``patchflow train --preset P --data
stream:koscK[-asym] --steps N`` into ``OUT_DIR/VARIANT-kK/PRESET`` (the same step and batch
budget for every model), then runs ``patchflow evaluate`` on a fixed test set rendered with
``patchflow dataset render --seed 789`` (disjoint from the training stream, whose batches are
seeded differently). A random-parameter reference is scored on the same test set. FFN (Sort) is
trained on the symmetric variant only: sorting is refused where oscillators have different
ranges, and in the asymmetric variant the natural order already is the sorted one.

Resuming: a run whose ``last.pt`` reached the budget is not trained again (an unfinished one
resumes from its checkpoint), and an evaluation whose ``summary.json`` is newer than the run's
``best.pt`` is not repeated.

Writes ``RESULTS/kosc_reproduction.{md,json,png}``: LSD and the paper's parameter metric (LAC
symmetric, parameter MSE asymmetric) per model and k with 95% intervals, the command, budget,
hardware and timestamps, and one line per qualitative claim of the paper's section 4.1.3,
judged from the numbers by the rules in ``CLAIMS``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import math
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchflow.cli import main as patchflow_main
from patchflow.machine import cpu_name

log = logging.getLogger("kosc_reproduction")

KOSC_PRESETS = ("cnf-equivariant", "cnf-param2tok", "cnf-mlp", "ffn-mse", "ffn-sort", "ffn-chamfer")
SYMMETRIC_ONLY = ("ffn-sort",)
RANDOM = "random"
NAMES = {
    "cnf-equivariant": "CNF (Equivariant)",
    "cnf-param2tok": "CNF (PARAM2TOK)",
    "cnf-mlp": "CNF (MLP)",
    "ffn-mse": "FFN (MSE)",
    "ffn-sort": "FFN (Sort)",
    "ffn-chamfer": "FFN (Chamfer)",
    RANDOM: "Random",
}
VARIANTS = {"sym": "symmetric", "asym": "asymmetric"}
# The paper's parameter metric per variant: LAC (min over permutations) or plain MSE.
PARAM_METRIC = {"sym": "lac", "asym": "param_mse"}
NEAR_BEST = 1.10  # "excels", "excellent": best, or within 10% of the best trained model
COMPETITIVE = 1.25  # "competitive with the best models": within 25% of the best
# One colour per model in every panel (tab10), random in grey.
COLORS = {p: f"C{i}" for i, p in enumerate(KOSC_PRESETS)} | {RANDOM: "lightgrey"}
WRONG_SLOTS = 2.0  # "fails to discriminate between oscillators": MSE >= 2x its LAC


# --------------------------------------------------------------------------- running the grid


@dataclass(frozen=True)
class Cell:
    """One model of the grid."""

    variant: str
    k: int
    preset: str

    @property
    def stream(self) -> str:
        return f"stream:kosc{self.k}{'-asym' if self.variant == 'asym' else ''}"

    def run_dir(self, out_dir: Path) -> Path:
        return out_dir / f"{self.variant}-k{self.k}" / self.preset


def command_text(argv: Sequence[str]) -> str:
    return "patchflow " + shlex.join(argv)


def run_patchflow(argv: list[str]) -> None:
    """Run a ``patchflow`` verb in this process (the CLI's own code path)."""
    log.info("$ %s", command_text(argv))
    status = patchflow_main(argv)
    if status != 0:
        raise RuntimeError(f"`{command_text(argv)}` exited with status {status}")


def test_set(args: argparse.Namespace, variant: str, k: int) -> Path:
    """Render (once) the fixed test set of a variant and k, with its audio stored."""
    suffix = "-asym" if variant == "asym" else ""
    path = (
        args.out_dir / "data" / f"kosc{k}{suffix}-test-seed{args.test_seed}-n{args.test_count}.h5"
    )
    if not path.exists():
        argv = [
            "dataset",
            "render",
            "--synth",
            "kosc",
            "--k",
            str(k),
            "--count",
            str(args.test_count),
            "--seed",
            str(args.test_seed),
            "--out",
            str(path),
            "--audio",
        ]
        if variant == "asym":
            argv.append("--asymmetric")
        run_patchflow(argv)
    return path


def finished(cell: Cell, args: argparse.Namespace) -> bool:
    """The cell is trained to the budget and evaluated (``--report-only`` reports only these)."""
    run_dir = cell.run_dir(args.out_dir)
    summary = run_dir / eval_tag(args) / "summary.json"
    return trained_steps(run_dir) >= args.steps and summary.exists()


def trained_steps(run_dir: Path) -> int:
    """Steps stored in ``last.pt`` (0 when the run has not started)."""
    from patchflow.train.checkpoint import LAST, read_checkpoint

    path = run_dir / LAST
    return int(read_checkpoint(path)["step"]) if path.exists() else 0


def train_argv(cell: Cell, args: argparse.Namespace, run_dir: Path) -> list[str]:
    argv = [
        "train",
        "--preset",
        cell.preset,
        "--size",
        args.size,
        "--data",
        cell.stream,
        "--out",
        str(run_dir),
        "--steps",
        str(args.steps),
        "--device",
        args.device,
        "--no-progress",
    ]
    if args.batch_size:
        argv += ["--batch-size", str(args.batch_size)]
    if args.threads:
        argv += ["--threads", str(args.threads)]
    return argv


def eval_tag(args: argparse.Namespace) -> str:
    return f"eval-{args.eval_method}x{args.eval_steps}-cfg{args.cfg:g}-n{args.test_count}"


def train_cell(cell: Cell, args: argparse.Namespace) -> dict[str, Any]:
    """Train (or resume) one model; returns its bookkeeping (command, seconds, budget)."""
    run_dir = cell.run_dir(args.out_dir)
    book_path = run_dir / "benchmark.json"
    book = json.loads(book_path.read_text()) if book_path.exists() else {"train_seconds": 0.0}
    argv = train_argv(cell, args, run_dir)
    if trained_steps(run_dir) < args.steps:
        start = time.perf_counter()
        run_patchflow(argv)
        book["train_seconds"] = book.get("train_seconds", 0.0) + time.perf_counter() - start
    config = json.loads((run_dir / "config.json").read_text())
    book.update(
        command=command_text(argv),
        steps=config["steps"],
        batch_size=config["batch_size"],
        size=config["size"],
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    book_path.write_text(json.dumps(book, indent=2) + "\n")
    return book


def evaluate_cell(cell: Cell, args: argparse.Namespace, data: Path) -> dict[str, Any]:
    """Evaluate one trained model on the test set (skipped when already up to date)."""
    run_dir = cell.run_dir(args.out_dir)
    out = run_dir / eval_tag(args)
    summary = out / "summary.json"
    best = run_dir / "best.pt"
    if not summary.exists() or summary.stat().st_mtime < best.stat().st_mtime:
        run_patchflow(
            [
                "evaluate",
                "--run",
                str(run_dir),
                "--data",
                str(data),
                "--out",
                str(out),
                "--steps",
                str(args.eval_steps),
                "--method",
                args.eval_method,
                "--cfg",
                f"{args.cfg:g}",
                "--seed",
                "0",
                "--device",
                args.eval_device,
                "--threads",
                str(args.threads or 1),
                "--no-progress",
            ]
        )
    return json.loads(summary.read_text())


def evaluate_random(variant: str, k: int, args: argparse.Namespace, data: Path) -> dict[str, Any]:
    """Score uniformly random parameter vectors on the test set (the paper's reference)."""
    from patchflow.data.dataset import SynthDataset
    from patchflow.evaluation import finish_evaluation, random_predictions, synth_for_spec

    out = args.out_dir / f"{variant}-k{k}" / RANDOM / f"eval-n{args.test_count}"
    summary = out / "summary.json"
    if not summary.exists():
        ds = SynthDataset.load(data)
        synth = synth_for_spec(ds.spec)
        preds = random_predictions(ds.spec, len(ds), seed=args.test_seed + 1)
        finish_evaluation(
            RANDOM,
            synth,
            preds,
            ds.params,
            target_audio=ds.audio,
            out=out,
            settings={"source": "random", "data": str(data), "seed": args.test_seed + 1},
        )
    return json.loads(summary.read_text())


# --------------------------------------------------------------------------- claims


Results = dict[tuple[str, int, str], dict[str, float]]  # (variant, k, preset) -> metric means


@dataclass(frozen=True)
class Claim:
    """A qualitative claim of section 4.1.3 and the rule that judges it at one k."""

    text: str
    rule: str
    check: Callable[[Results, int], bool | None]


def _get(res: Results, variant: str, k: int, preset: str, metric: str) -> float | None:
    row = res.get((variant, k, preset))
    return None if row is None or metric not in row else row[metric]


def _trained(res: Results, variant: str, k: int) -> list[str]:
    return [p for (v, kk, p) in res if v == variant and kk == k and p != RANDOM]


def _metrics(variant: str) -> tuple[str, str]:
    return ("lsd", PARAM_METRIC[variant])


def _beats(variant: str, a: str, b: str) -> Callable[[Results, int], bool | None]:
    """``a`` has lower LSD and lower parameter metric than ``b``."""

    def check(res: Results, k: int) -> bool | None:
        pairs = [
            (_get(res, variant, k, a, m), _get(res, variant, k, b, m)) for m in _metrics(variant)
        ]
        if any(x is None or y is None for x, y in pairs):
            return None
        return all(x < y for x, y in pairs)

    return check


def _near_best(variant: str, preset: str, factor: float) -> Callable[[Results, int], bool | None]:
    """``preset`` is within ``factor`` of the best trained model on LSD and the param metric."""

    def check(res: Results, k: int) -> bool | None:
        if (variant, k, preset) not in res or len(_trained(res, variant, k)) < 2:
            return None
        for m in _metrics(variant):
            best = min(res[(variant, k, p)][m] for p in _trained(res, variant, k))
            if res[(variant, k, preset)][m] > factor * best:
                return False
        return True

    return check


def _worst(variant: str, preset: str) -> Callable[[Results, int], bool | None]:
    """``preset`` has the highest LSD and the highest param metric of the trained models."""

    def check(res: Results, k: int) -> bool | None:
        if (variant, k, preset) not in res or len(_trained(res, variant, k)) < 2:
            return None
        return all(
            res[(variant, k, preset)][m]
            >= max(res[(variant, k, p)][m] for p in _trained(res, variant, k))
            for m in _metrics(variant)
        )

    return check


def _all(
    checks: list[Callable[[Results, int], bool | None]],
) -> Callable[[Results, int], bool | None]:
    """Every check holds (``None`` when any of them cannot be judged)."""

    def check(res: Results, k: int) -> bool | None:
        values = [c(res, k) for c in checks]
        return None if any(v is None for v in values) else all(values)

    return check


def _closer(
    variant: str, preset: str, near: str, far: str
) -> Callable[[Results, int], bool | None]:
    """``preset`` is closer (in log ratio) to ``near`` than to ``far`` on both metrics."""

    def check(res: Results, k: int) -> bool | None:
        for m in _metrics(variant):
            x, a, b = (_get(res, variant, k, p, m) for p in (preset, near, far))
            if x is None or a is None or b is None:
                return None
            if abs(math.log(x / a)) >= abs(math.log(x / b)):
                return False
        return True

    return check


def _wrong_slots(res: Results, k: int) -> bool | None:
    mse = _get(res, "asym", k, "cnf-equivariant", "param_mse")
    lac = _get(res, "asym", k, "cnf-equivariant", "lac")
    return None if mse is None or lac is None else mse >= WRONG_SLOTS * lac


def _symmetry_hurts(res: Results, k: int) -> bool | None:
    sym, asym = _get(res, "sym", k, "ffn-mse", "lsd"), _get(res, "asym", k, "ffn-mse", "lsd")
    return None if sym is None or asym is None else sym > asym


PARTIAL = ("ffn-chamfer", "ffn-sort", "cnf-mlp")
CLAIMS = (
    Claim(
        "Symmetric: CNF (Equivariant) clearly beats FFN (MSE)",
        "sym: CNF (Equivariant) has lower LSD and lower LAC than FFN (MSE)",
        _beats("sym", "cnf-equivariant", "ffn-mse"),
    ),
    Claim(
        "Symmetric: CNF (Equivariant) excels",
        "sym: CNF (Equivariant) LSD and LAC within 10% of the best trained model",
        _near_best("sym", "cnf-equivariant", NEAR_BEST),
    ),
    Claim(
        "Symmetric: FFN (MSE) performs poorly across metrics",
        "sym: FFN (MSE) has the highest LSD and the highest LAC of the trained models",
        _worst("sym", "ffn-mse"),
    ),
    Claim(
        "Asymmetric: the roles are reversed, FFN (MSE) beats CNF (Equivariant)",
        "asym: FFN (MSE) has lower LSD and lower parameter MSE than CNF (Equivariant)",
        _beats("asym", "ffn-mse", "cnf-equivariant"),
    ),
    Claim(
        "Asymmetric: FFN (MSE) achieves excellent results",
        "asym: FFN (MSE) LSD and MSE within 10% of the best trained model",
        _near_best("asym", "ffn-mse", NEAR_BEST),
    ),
    Claim(
        "Asymmetric: CNF (Equivariant) is overly restrictive and fails to discriminate "
        "between oscillators",
        "asym: CNF (Equivariant) parameter MSE is at least 2x its LAC (right oscillators, "
        "wrong slots)",
        _wrong_slots,
    ),
    Claim(
        "Symmetric: FFN (Chamfer), FFN (Sort) and CNF (MLP) are less affected by symmetry "
        "than FFN (MSE) (partial solutions)",
        "sym: each has lower LSD and lower LAC than FFN (MSE)",
        _all([_beats("sym", p, "ffn-mse") for p in PARTIAL]),
    ),
    Claim(
        "Symmetric: ... but they still underperform CNF (Equivariant)",
        "sym: CNF (Equivariant) has lower LSD and lower LAC than each of them",
        _all([_beats("sym", "cnf-equivariant", p) for p in PARTIAL]),
    ),
    Claim(
        "Asymmetric: FFN (Chamfer) is too stringent and performs similarly to CNF (Equivariant)",
        "asym: FFN (Chamfer) LSD and MSE are closer (log ratio) to CNF (Equivariant)'s than "
        "to FFN (MSE)'s",
        _closer("asym", "ffn-chamfer", "cnf-equivariant", "ffn-mse"),
    ),
    Claim(
        "Asymmetric: CNF (MLP) lacks explicit equivariance and performs on par with FFN (MSE)",
        "asym: CNF (MLP) LSD and MSE are closer (log ratio) to FFN (MSE)'s than to "
        "CNF (Equivariant)'s",
        _closer("asym", "cnf-mlp", "ffn-mse", "cnf-equivariant"),
    ),
    Claim(
        "Across conditions, CNF (PARAM2TOK) is competitive with the best models",
        "sym and asym: CNF (PARAM2TOK) LSD and parameter metric within 25% of the best "
        "trained model",
        _all([_near_best(v, "cnf-param2tok", COMPETITIVE) for v in VARIANTS]),
    ),
    Claim(
        "Failing to account for permutation symmetry harms performance",
        "FFN (MSE) has a higher LSD on the symmetric variant than on the asymmetric one",
        _symmetry_hurts,
    ),
)


def judge_claims(res: Results, ks: Sequence[int]) -> list[dict[str, Any]]:
    """Verdict per claim: reproduced (holds at every k judged), not reproduced, partly, or
    not tested (a model it needs was not run)."""
    out = []
    for claim in CLAIMS:
        per_k = {k: claim.check(res, k) for k in ks}
        judged = {k: v for k, v in per_k.items() if v is not None}
        if not judged:
            verdict = "not tested"
        elif all(judged.values()):
            verdict = "reproduced"
        elif not any(judged.values()):
            verdict = "not reproduced"
        else:
            verdict = (
                "partly ("
                + ", ".join(f"k={k}: {'yes' if v else 'no'}" for k, v in judged.items())
                + ")"
            )
        out.append(
            {
                "claim": claim.text,
                "rule": claim.rule,
                "verdict": verdict,
                "per_k": {str(k): v for k, v in per_k.items()},
            }
        )
    return out


# --------------------------------------------------------------------------- reporting


def hardware(device: str) -> str:
    """CPU model and cores, and the GPU when one was used, as one line."""
    import torch

    parts = [f"{cpu_name()} ({os.cpu_count()} cores)"]
    if device != "cpu" and torch.cuda.is_available():
        parts.append(f"GPU {torch.cuda.get_device_name(0)}")
    parts += [f"Python {platform.python_version()}", f"torch {torch.__version__}"]
    return ", ".join(parts)


def _cell_text(row: dict[str, Any] | None, metric: str) -> str:
    if row is None or metric not in row["metrics"]:
        return "–"
    s = row["metrics"][metric]
    return f"{s['mean']:.4g} ± {s['ci95']:.2g}"


def markdown(report: dict[str, Any]) -> str:
    """The results page: how it was run, one table per variant, the claims."""
    s = report["settings"]
    lines = [
        "# k-osc reproduction (Hayes et al. 2025, section 4.1)",
        "",
        f"Command: `{report['command']}`",
        "",
        f"- budget per model: {s['steps']} steps x batch {s['batch_size']} "
        f"({s['steps'] * s['batch_size']:,} training items), size preset `{s['size']}`; "
        "the paper used 400k steps x batch 1024",
        f"- evaluation: {s['eval_method']} x {s['eval_steps']} steps, guidance {s['cfg']:g}, "
        f"{s['test_count']} test items per variant and k (seed {s['test_seed']}), "
        "best-validation checkpoint",
        f"- hardware: {report['hardware']}",
        f"- this invocation started {report['started']} and finished {report['finished']}; "
        f"training wall-clock {report['train_hours'] * 60:.1f} min in total (all invocations)",
        "",
        "LSD in dB; LAC is the minimum over oscillator permutations of the parameter MSE (the "
        "reference code reports a mean matched Euclidean distance instead); parameter MSE in "
        "the model's [-1, 1] space. Mean ± 95% interval half-width.",
    ]
    if report.get("not_run"):
        lines += [
            "",
            f"**Not run** (out of time; `--report-only` wrote this page from the finished "
            f"models): {', '.join(report['not_run'])}. Claims that need a missing model are "
            "'not tested' at that k.",
        ]
    if len(s["presets"]) < len(KOSC_PRESETS):
        lines += [
            "",
            f"Only {len(s['presets'])} of the {len(KOSC_PRESETS)} presets were run: "
            "claims that need a missing model are 'not tested', and 'best'/'worst' are "
            "relative to the models that were run.",
        ]
    for variant, label in VARIANTS.items():
        rows = [r for r in report["rows"] if r["variant"] == variant]
        if not rows:
            continue
        ks = sorted({r["k"] for r in rows})
        pm = PARAM_METRIC[variant]
        pm_label = "LAC" if pm == "lac" else "MSE"
        lines += ["", f"## {label.capitalize()} variant", ""]
        header = ["model"] + [f"LSD k={k} ↓" for k in ks] + [f"{pm_label} k={k} ↓" for k in ks]
        lines += ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
        for preset in [*KOSC_PRESETS, RANDOM]:
            by_k = {r["k"]: r for r in rows if r["preset"] == preset}
            if not by_k:
                continue
            cells = [_cell_text(by_k.get(k), "lsd") for k in ks]
            cells += [_cell_text(by_k.get(k), pm) for k in ks]
            lines.append("| " + " | ".join([NAMES[preset], *cells]) + " |")
    lines += [
        "",
        "## Claims of section 4.1.3",
        "",
        "Each claim is judged at every k by the stated rule on the mean values; "
        "'reproduced' means it holds at every k run, 'partly' at some.",
        "",
        "| claim | rule | verdict |",
        "|---|---|---|",
    ]
    lines += [f"| {c['claim']} | {c['rule']} | {c['verdict']} |" for c in report["claims"]]
    lines += [
        "",
        "Figure: `kosc_reproduction.png`. Per-run outputs: `OUT_DIR/VARIANT-kK/PRESET/`.",
        "",
    ]
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> None:
    """Grouped bars: rows are variants, columns LSD and the parameter metric, x is k."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    variants = [v for v in VARIANTS if any(r["variant"] == v for r in report["rows"])]
    fig, axes = plt.subplots(
        len(variants), 2, figsize=(11, 3.6 * len(variants)), squeeze=False, constrained_layout=True
    )
    presets = [p for p in [*KOSC_PRESETS, RANDOM] if any(r["preset"] == p for r in report["rows"])]
    width = 0.8 / max(len(presets), 1)
    for i, variant in enumerate(variants):
        rows = [r for r in report["rows"] if r["variant"] == variant]
        ks = sorted({r["k"] for r in rows})
        for j, metric in enumerate(("lsd", PARAM_METRIC[variant])):
            ax = axes[i, j]
            for n, preset in enumerate(presets):
                by_k = {r["k"]: r["metrics"].get(metric) for r in rows if r["preset"] == preset}
                x = [ks.index(k) + (n - (len(presets) - 1) / 2) * width for k in by_k if by_k[k]]
                y = [by_k[k]["mean"] for k in by_k if by_k[k]]
                err = [by_k[k]["ci95"] for k in by_k if by_k[k]]
                if x:
                    ax.bar(
                        x,
                        y,
                        width,
                        yerr=err,
                        label=NAMES[preset],
                        capsize=2,
                        hatch="//" if preset == RANDOM else None,
                        color=COLORS[preset],
                    )
            ax.set_xticks(np.arange(len(ks)), [f"k={k}" for k in ks])
            label = {"lsd": "LSD (dB)", "lac": "LAC", "param_mse": "parameter MSE"}[metric]
            ax.set_ylabel(label)
            if metric != "lsd":
                ax.set_yscale("log")
            ax.set_title(f"{VARIANTS[variant]}: {label}")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(presets), fontsize=9)
    fig.suptitle(f"k-osc reproduction, {report['settings']['steps']} steps per model")
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="+", default=[4, 8], help="k values (4 8 16 32)")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--presets", nargs="+", choices=KOSC_PRESETS, default=list(KOSC_PRESETS))
    parser.add_argument("--steps", type=int, default=6000, help="training steps for every model")
    parser.add_argument("--batch-size", type=int, help="batch size (default: the preset's)")
    parser.add_argument("--size", default="small", choices=("tiny", "small", "paper"))
    parser.add_argument("--out-dir", type=Path, default=Path("runs/repro"))
    parser.add_argument("--results", type=Path, default=Path("docs/results"))
    parser.add_argument("--test-count", type=int, default=2048)
    parser.add_argument("--test-seed", type=int, default=789)
    parser.add_argument("--eval-steps", type=int, default=100, help="paper: RK4 x 100, w = 2")
    parser.add_argument("--eval-method", default="rk4", choices=("euler", "midpoint", "rk4"))
    parser.add_argument("--cfg", type=float, default=2.0, help="guidance scale for evaluation")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: the preset's)")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="train and evaluate nothing: write the report from the finished models (the "
        "others are listed as not run)",
    )
    args = parser.parse_args(argv)
    args.eval_device = "cuda" if args.device == "cuda" else "cpu"
    if min(args.k) < 1 or args.steps < 1 or args.test_count < 2:
        parser.error("--k and --steps must be positive and --test-count at least 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )
    command = shlex.join(["python", "benchmarks/kosc_reproduction.py", *(argv or sys.argv[1:])])
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    rows: list[dict[str, Any]] = []
    missing: list[str] = []
    budgets, train_seconds = set(), 0.0
    for variant in args.variants:
        for k in args.k:
            data = test_set(args, variant, k)
            for preset in args.presets:
                if variant != "sym" and preset in SYMMETRIC_ONLY:
                    continue
                cell = Cell(variant, k, preset)
                if args.report_only and not finished(cell, args):
                    missing.append(f"{variant}-k{k}/{preset}")
                    continue
                book = train_cell(cell, args)
                budgets.add((book["steps"], book["batch_size"], book["size"]))
                train_seconds += book["train_seconds"]
                summary = evaluate_cell(cell, args, data)
                rows.append(
                    {
                        "variant": variant,
                        "k": k,
                        "preset": preset,
                        "metrics": summary["metrics"],
                        "settings": summary["settings"],
                        "train_seconds": round(book["train_seconds"], 1),
                    }
                )
            summary = evaluate_random(variant, k, args, data)
            rows.append(
                {
                    "variant": variant,
                    "k": k,
                    "preset": RANDOM,
                    "metrics": summary["metrics"],
                    "settings": summary["settings"],
                }
            )
    if len(budgets) != 1:
        raise RuntimeError(f"models were trained with different budgets: {sorted(budgets)}")
    steps, batch_size, size = budgets.pop()
    means: Results = {
        (r["variant"], r["k"], r["preset"]): {m: s["mean"] for m, s in r["metrics"].items()}
        for r in rows
    }
    report = {
        "benchmark": "k-osc reproduction (Hayes et al. 2025, section 4.1)",
        "command": command,
        "settings": {
            "steps": steps,
            "batch_size": batch_size,
            "size": size,
            "k": args.k,
            "variants": args.variants,
            "presets": args.presets,
            "test_count": args.test_count,
            "test_seed": args.test_seed,
            "eval_steps": args.eval_steps,
            "eval_method": args.eval_method,
            "cfg": args.cfg,
            "out_dir": str(args.out_dir),
        },
        "hardware": hardware(args.device),
        "started": started,
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "train_hours": train_seconds / 3600,
        "rows": rows,
        "not_run": missing,
        "claims": judge_claims(means, args.k),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "kosc_reproduction.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.results / "kosc_reproduction.md").write_text(markdown(report))
    plot(report, args.results / "kosc_reproduction.png")
    for claim in report["claims"]:
        print(f"{claim['verdict']:>16}: {claim['claim']}")
    print(f"wrote {args.results}/kosc_reproduction.{{md,json,png}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
