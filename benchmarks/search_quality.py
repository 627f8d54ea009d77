"""Match quality against search time: k-osc (LSD) and amsynth (MSS, wMFCC, SOT, RMS).

Usage (one BLAS thread: the search runs "on one core", and BLAS threads fighting over a shared
2-core machine triple the scoring time)::

    export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
    python benchmarks/search_quality.py [--kosc-targets 8] [--amsynth-targets 4]
        [--max-budget-s 5] [--workers 1] [--out docs/results]
    python benchmarks/search_quality.py --kosc-targets 4 --amsynth-targets 2 --max-budget-s 2
    python benchmarks/search_quality.py --kosc-targets 8 --amsynth-targets 0 \
        --kosc-renderers project --render-budgets 100,500,2000,8000 --out /tmp/sq

For every target and proposal source (the CNF bundle, the regression bundle where one ships, the
spec's prior) one search runs for the largest budget; the quality at a smaller budget is the best
patch the anytime search had found by then (a search given that budget renders the same patches
up to then, except that it may shorten its last proposal batch to fit). The first answer is the
model's one-shot patch (for the prior: one random patch), scored with one render.

Targets: k-osc patches from seeds no training stream uses, rendered by the project's renderer
and by an independent additive renderer (ideal band-limited Fourier series; its floor is the LSD
of the true patch); amsynth held-out renders (samples of the models' spec's prior from unseen
seeds, audible ones only; ``--amsynth-target-spec amsynth`` draws them from spec v1's prior, as
runs before 2026-12-01 did while searching with spec v1's fixed parameters).
Writes ``search_quality.{json,md,png}`` to ``--out``. Other work on the machine slows rendering;
the load average at the start is recorded. ``--render-budgets`` adds k-osc tables at equal render
counts (no clock: insensitive to load, but a flow sample's cost is not counted), ``--set`` changes
search settings (``SearchConfig`` fields) for every source, ``--sources`` picks the k-osc sources,
``--clock cpu`` measures k-osc time budgets in this process's CPU seconds (one thread: about the
wall-clock of an idle core, whatever else runs).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from patchflow.bundle import load_bundle
from patchflow.inference import Predictor
from patchflow.search import SearchBudget, SearchConfig, Searcher, open_renderer
from patchflow.spec import SynthSpec, load_spec
from patchflow.synths.kosc import KOsc, kosc_spec

BUDGETS_S = (0.05, 0.2, 0.5, 1.0, 2.0, 5.0)
KOSC_SEED = 777_000  # target seeds: no training stream (999...) or test set uses these
AMSYNTH_SEED = 990_000


def additive_kosc(native: np.ndarray, k: int = 4, sample_rate: int = 44100, n: int = 1024):
    """k-osc rendered independently: ideal band-limited Fourier series, ``(N, 1, T)``."""
    t = np.arange(n) / sample_rate
    out = np.zeros((len(native), n))
    for i, row in enumerate(np.atleast_2d(native)):
        for o in range(k):
            f, a, s = row[o], np.clip(row[k + o], 0, 1), np.clip(row[2 * k + o], -1, 1)
            h = np.arange(1, int((sample_rate / 2) // f) + 1)
            partials = np.sin(2 * np.pi * f * t[:, None] * h[None]) / h[None]
            sine = -np.sin(2 * np.pi * f * t)
            square = (4 / np.pi) * partials[:, ::2].sum(axis=1)
            saw = -(2 / np.pi) * partials.sum(axis=1)
            mix = np.clip(-s, 0, 1) * sine + (1 - abs(s)) * square + np.clip(s, 0, 1) * saw
            out[i] += a * mix / k
    return out[:, None].astype(np.float32)


def best_at(steps: list, budget_s: float) -> Any:
    """The best patch the search had at ``budget_s`` (the first answer at least)."""
    chosen = steps[0]
    for step in steps:
        if step.elapsed_s <= budget_s and math.isfinite(step.best.score):
            chosen = step
    return chosen


def best_at_renders(steps: list, renders: int) -> Any:
    """The best patch the search had after ``renders`` renders (the first answer at least)."""
    chosen = steps[0]
    for step in steps:
        if step.renders <= renders and math.isfinite(step.best.score):
            chosen = step
    return chosen


def run_render_budgets(spec, renderer, sources, targets, rate, budgets, changes) -> dict[str, Any]:
    """Scores at equal render counts ``{source: {"first": [...], "<renders>": [...]}}``: one
    search per target and source with no time limit and the largest render budget."""
    out: dict[str, Any] = {}
    for name, predictor in sources.items():
        config = SearchConfig.for_spec(spec, **changes)
        searcher = Searcher(spec, renderer, predictor=predictor, config=config)
        rows: dict[str, Any] = {"first": [], "first_s": [], **{str(b): [] for b in budgets}}
        for i, audio in enumerate(targets):
            budget = SearchBudget(math.inf, renders=max(budgets))
            steps = list(searcher.run(audio, rate, budget=budget, seed=i))
            rows["first"].append(steps[0].best.score)
            rows["first_s"].append(steps[0].elapsed_s)
            for b in budgets:
                rows[str(b)].append(best_at_renders(steps, b).best.score)
        print(f"  {name:<10} render budgets done", file=sys.stderr, flush=True)
        out[name] = rows
    return out


def run_searches(
    spec, renderer, sources, targets, rate, max_s, budgets, changes=None, clock=time.monotonic
) -> dict[str, Any]:
    """Scores ``{source: {"first": [...], "first_s": [...], "natives": {b: [...]}, ...}}``
    (``clock``: the searches' clock)."""
    out: dict[str, Any] = {}
    for name, predictor in sources.items():
        config = SearchConfig.for_spec(spec, **(changes or {}))
        searcher = Searcher(spec, renderer, predictor=predictor, config=config, clock=clock)
        rows: dict[str, Any] = {"first": [], "first_s": [], "renders": [], "elapsed": []}
        rows.update({f"{b:g}": [] for b in budgets})
        list(searcher.run(targets[0], rate, budget=SearchBudget(0.2), seed=99))  # warm-up
        rows["natives"] = {"first": [], **{f"{b:g}": [] for b in budgets}}
        for i, audio in enumerate(targets):
            steps = list(searcher.run(audio, rate, budget=SearchBudget(max_s), seed=i))
            rows["first"].append(steps[0].best.score)
            rows["first_s"].append(steps[0].elapsed_s)
            rows["natives"]["first"].append(steps[0].best.native)
            rows["renders"].append(steps[-1].renders)
            rows["elapsed"].append(steps[-1].elapsed_s)
            for b in budgets:
                step = best_at(steps, b)
                rows[f"{b:g}"].append(step.best.score)
                rows["natives"][f"{b:g}"].append(step.best.native)
            print(f"  {name:<10} target {i}: first {steps[0].best.score:.2f}, "
                  f"{max_s:g} s {steps[-1].best.score:.2f} ({steps[-1].renders} renders)",
                  file=sys.stderr, flush=True)  # fmt: skip
        out[name] = rows
    return out


def kosc_part(args, budgets) -> dict[str, Any]:
    spec = kosc_spec(4)
    natives = spec.sample(np.random.default_rng(KOSC_SEED), args.kosc_targets)
    sources = {"cnf": Predictor(load_bundle(args.kosc_model)), "prior": None}
    sources = {name: sources[name] for name in args.sources}
    result: dict[str, Any] = {"model": args.kosc_model, "targets": args.kosc_targets}
    renderers = {"project": lambda: KOsc(k=4).render(natives),
                 "independent": lambda: additive_kosc(natives)}  # fmt: skip
    with open_renderer(spec) as renderer:
        if args.render_budgets:
            print("k-osc, project renderer, render budgets", file=sys.stderr)
            result["render_budgets"] = run_render_budgets(
                spec, renderer, sources, list(renderers["project"]()), 44100,
                args.render_budgets, args.changes,
            )  # fmt: skip
        for label in args.kosc_renderers:
            audio = renderers[label]()
            print(f"k-osc, {label} renderer", file=sys.stderr)
            part = run_searches(spec, renderer, sources, list(audio), 44100, args.max_budget_s,
                                budgets, args.changes, args.clock_fn)  # fmt: skip
            for rows in part.values():
                rows.pop("natives")
            if label == "independent":
                from patchflow.metrics.kosc import log_spectral_distance

                floor = log_spectral_distance(KOsc(k=4).render(natives), audio)
                result["independent_floor_lsd_median"] = float(np.median(floor))
            result[label] = part
    return result


def model_spec(*predictors: Predictor) -> SynthSpec:
    """The spec the amsynth bundles were trained on (targets are drawn from its prior, the
    searches snap its fixed parameters, as ``patchflow match`` does with a bundle's spec)."""
    spec = predictors[0].spec
    if any(p.spec != spec for p in predictors[1:]):
        names = ", ".join(p.card.name for p in predictors)
        raise SystemExit(f"the amsynth bundles ({names}) were trained on different specs")
    return spec


def amsynth_targets(
    spec: SynthSpec, renderer, count: int, prior: SynthSpec | None = None
) -> np.ndarray:
    """Audible held-out renders ``(count, C, T)`` of samples of ``prior`` (default: ``spec``,
    the models' spec) from unseen seeds."""
    prior = prior or spec
    rng = np.random.default_rng(AMSYNTH_SEED)
    kept: list[np.ndarray] = []
    while len(kept) < count:
        natives = prior.snap_fixed(prior.sample(rng, count))
        batch = renderer.render(natives)
        for audio, ok in zip(batch.audio, batch.ok, strict=True):
            if ok and np.sqrt(np.mean(audio**2)) > 1e-2 and len(kept) < count:
                kept.append(audio)
    return np.stack(kept)


def renders_per_second(spec: SynthSpec, workers: int, count: int = 24) -> float:
    natives = spec.snap_fixed(spec.sample(np.random.default_rng(1), count))
    with open_renderer(spec, workers=workers) as renderer:
        renderer.render(natives[:workers])
        start = time.perf_counter()
        renderer.render(natives)
        return count / (time.perf_counter() - start)


def amsynth_part(args, budgets) -> dict[str, Any]:
    from patchflow.metrics.audio import audio_metrics

    sources = {
        "cnf": Predictor(load_bundle(args.amsynth_model)),
        "regression": Predictor(load_bundle(args.amsynth_regression)),
        "prior": None,
    }
    spec = model_spec(sources["cnf"], sources["regression"])
    result: dict[str, Any] = {"targets": args.amsynth_targets, "workers": args.workers}
    with open_renderer(spec, workers=args.workers) as renderer:
        prior = None if args.amsynth_target_spec is None else load_spec(args.amsynth_target_spec)
        targets = amsynth_targets(spec, renderer, args.amsynth_targets, prior)
        print("amsynth", file=sys.stderr)
        part = run_searches(spec, renderer, sources, list(targets), spec.sample_rate,
                            args.max_budget_s, budgets, args.changes)  # fmt: skip
        for rows in part.values():  # all four metrics of the chosen patches
            natives = rows.pop("natives")
            rows["metrics"] = {}
            for b, patches in natives.items():
                audio = renderer.render(np.stack(patches)).audio
                m = audio_metrics(audio, targets, spec.sample_rate)
                rows["metrics"][b] = {k: float(np.mean(v)) for k, v in m.items()}
    result["search"] = part
    result["renders_per_s"] = {
        str(w): renders_per_second(spec, w) for w in sorted({1, max(1, args.workers)})
    }
    return result


def _cell(values: list[float], how: str) -> str:
    v = np.asarray(values, dtype=np.float64)
    return f"{(np.median(v) if how == 'median' else np.mean(v)):.2f}"


def _table(part: dict[str, Any], budgets, how: str) -> list[str]:
    head = "| source | first answer | " + " | ".join(f"{b:g} s" for b in budgets)
    lines = [head + " | first answer (ms, median) |", "|" + "---|" * (len(budgets) + 3)]
    for name, rows in part.items():
        cells = [_cell(rows["first"], how)] + [_cell(rows[f"{b:g}"], how) for b in budgets]
        cells.append(f"{1000 * np.median(rows['first_s']):.1f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _render_table(part: dict[str, Any]) -> list[str]:
    counts = [key for key in next(iter(part.values())) if key.isdigit()]
    lines = ["| source | first answer | " + " | ".join(f"{c} renders" for c in counts) + " |",
             "|" + "---|" * (len(counts) + 2)]  # fmt: skip
    for name, rows in part.items():
        cells = [_cell(rows["first"], "median")] + [_cell(rows[c], "median") for c in counts]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def markdown(result: dict[str, Any], budgets) -> str:
    lines = ["# Search quality against time budget", "", f"Command: `{result['command']}`", ""]
    lines += [
        f"Machine: {result['machine']}; load average at start {result['load_avg']}; "
        f"OPENBLAS_NUM_THREADS={result.get('blas_threads')}; "
        f"time budgets in {result.get('clock', 'wall')}-clock seconds.",
        "",
    ]
    if result.get("changes"):
        lines += [f"Search settings changed for every source: `{result['changes']}`.", ""]
    k = result.get("kosc")
    if k:
        lines += [f"## k-osc (`{k['model']}`), {k['targets']} targets, median LSD (dB)", ""]
        if "project" in k:
            lines += ["Targets rendered by the project's k-osc renderer (unseen seeds):", ""]
            lines += _table(k["project"], budgets, "median")
        if "independent" in k:
            floor = k["independent_floor_lsd_median"]
            lines += ["", "Targets rendered by an independent additive renderer (floor: the "]
            lines[-1] += f"true patch scores {floor:.2f} dB median):"
            lines += [""]
            lines += _table(k["independent"], budgets, "median")
        if "render_budgets" in k:
            lines += ["", "Project renderer at equal render counts (no clock; a flow sample's "
                      "cost is not counted), median LSD:", ""]  # fmt: skip
            lines += _render_table(k["render_budgets"])
        lines += ["", "No k-osc regression bundle ships; its row is left out.", ""]
    a = result.get("amsynth")
    if a:
        lines += [f"## amsynth, {a['targets']} held-out renders, mean MSS, "
                  f"{a['workers']} render worker(s)", ""]  # fmt: skip
        lines += _table(a["search"], budgets, "mean")
        lines += ["", "All metrics (mean) of the first answer and at the largest budget:", ""]
        lines += ["| source | budget | MSS | wMFCC | SOT | RMS cos |", "|---|---|---|---|---|---|"]
        for name, rows in a["search"].items():
            for b in ("first", f"{budgets[-1]:g}"):
                m = rows["metrics"][b]
                lines.append(f"| {name} | {b} | {m['mss']:.2f} | {m['wmfcc']:.2f} | "
                             f"{m['sot']:.4f} | {m['rms_cos']:.3f} |")  # fmt: skip
        rates = ", ".join(f"{w} worker(s): {r:.1f} renders/s ({r / int(w):.1f} per worker)"
                          for w, r in a["renders_per_s"].items())  # fmt: skip
        searched = ", ".join(
            f"{name} {np.mean(rows['renders']):.0f} in {np.mean(rows['elapsed']):.2f} s"
            for name, rows in a["search"].items()
        )
        lines += ["", f"amsynth renders/s: {rates}. Renders per search, mean: {searched} "
                  "(rendered and scored in the worker processes).", ""]  # fmt: skip
    lines += targets(result, budgets)
    return "\n".join(lines) + "\n"


def targets(result: dict[str, Any], budgets) -> list[str]:
    """The issue's targets against the measured figures."""
    out = ["## Against the targets", ""]
    k, a = result.get("kosc"), result.get("amsynth")
    if k and 1.0 in budgets and "cnf" in k.get("project", {}):
        lsd = float(np.median(k["project"]["cnf"]["1"]))
        out.append(f"- k-osc median LSD within 1 s <= 3 dB: {lsd:.2f} dB "
                   f"({'met' if lsd <= 3 else 'not met'}).")  # fmt: skip
    if a and 2.0 in budgets:
        rows = a["search"]["cnf"]
        half, at2 = float(np.mean(rows["first"])) / 2, float(np.mean(rows["2"]))
        out.append(f"- amsynth mean MSS at 2 s <= half the one-shot CNF's ({half:.2f}): "
                   f"{at2:.2f} ({'met' if at2 <= half else 'not met'}).")  # fmt: skip
    for name, part in (("k-osc", k and k.get("project")), ("amsynth", a and a["search"])):
        if part:
            agg = np.median if name == "k-osc" else np.mean
            if not {"cnf", "prior"} <= set(part):
                continue
            lost = [f"{b:g} s" for b in budgets
                    if agg(part["cnf"][f"{b:g}"]) > agg(part["prior"][f"{b:g}"])]  # fmt: skip
            verdict = "met" if not lost else "not met at " + ", ".join(lost)
            out.append(f"- {name}: search from CNF proposals beats search from the prior at "
                       f"every budget: {verdict}.")  # fmt: skip
    return [*out, ""]


def plot(result: dict[str, Any], budgets, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for label in ("project", "independent"):
        if label in result.get("kosc", {}):
            panels.append((f"k-osc, {label} renderer: median LSD", result["kosc"][label],
                           "median"))  # fmt: skip
    if "amsynth" in result:
        panels.append(("amsynth held-out: mean MSS", result["amsynth"]["search"], "mean"))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.6), squeeze=False,
                             constrained_layout=True)  # fmt: skip
    for ax, (title, part, how) in zip(axes[0], panels, strict=True):
        for name, rows in part.items():
            agg = np.median if how == "median" else np.mean
            line = ax.plot(budgets, [agg(rows[f"{b:g}"]) for b in budgets], marker="o",
                           label=name)[0]  # fmt: skip
            ax.axhline(agg(rows["first"]), ls="--", lw=0.8, color=line.get_color())
        ax.set_xscale("log")
        ax.set_xlabel("search budget (s); dashed: first answer")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _names(text: str) -> tuple[str, ...]:
    names = tuple(n for n in text.split(",") if n)
    if not set(names) <= {"project", "independent"}:
        raise argparse.ArgumentTypeError(f"renderers are project and independent, got {text}")
    return names


def _sources(text: str) -> tuple[str, ...]:
    names = tuple(n for n in text.split(",") if n)
    if not names or not set(names) <= {"cnf", "prior"}:
        raise argparse.ArgumentTypeError(f"sources are cnf and prior, got {text}")
    return names


def _counts(text: str) -> tuple[int, ...]:
    return tuple(sorted(int(c) for c in text.split(",") if c))


def _setting(text: str) -> tuple[str, Any]:
    """``FIELD=VALUE`` with VALUE a Python literal (``16``, ``None``, ``0.05``)."""
    import ast

    field, _, value = text.partition("=")
    if field not in SearchConfig.__dataclass_fields__:
        raise argparse.ArgumentTypeError(f"no SearchConfig field {field!r}")
    try:
        return field, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise argparse.ArgumentTypeError(f"not a literal: {value!r}") from None


def command_line(argv: list[str] | None) -> str:
    """The command as run, with the thread settings it ran under."""
    env = [f"{k}={os.environ[k]}" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
           if k in os.environ]  # fmt: skip
    return shlex.join([*env, "python", "benchmarks/search_quality.py", *(argv or sys.argv[1:])])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; returns the JSON result it writes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kosc-targets", type=int, default=8)
    parser.add_argument("--amsynth-targets", type=int, default=4, help="0 skips amsynth")
    parser.add_argument("--max-budget-s", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1, help="amsynth render workers")
    parser.add_argument("--kosc-model", default="kosc4")
    parser.add_argument("--amsynth-model", default="amsynth")
    parser.add_argument("--amsynth-regression", default="amsynth-regression")
    parser.add_argument("--amsynth-target-spec", metavar="SPEC",
                        help="draw the amsynth targets from this spec's prior (default: the "
                             "models' spec; the searches always use the models' spec)")  # fmt: skip
    parser.add_argument("--out", default="docs/results")
    parser.add_argument("--kosc-renderers", type=_names, default=("project", "independent"),
                        help="comma-separated: project, independent")  # fmt: skip
    parser.add_argument("--sources", type=_sources, default=("cnf", "prior"),
                        help="comma-separated k-osc proposal sources: cnf, prior")  # fmt: skip
    parser.add_argument(
        "--render-budgets",
        type=_counts,
        default=(),
        help="comma-separated k-osc render counts (equal-renders table)",
    )
    parser.add_argument(
        "--set",
        dest="changes",
        action="append",
        type=_setting,
        default=[],
        metavar="FIELD=VALUE",
        help="a SearchConfig setting for every source",
    )
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="time budgets in wall-clock or this process's CPU seconds (cpu: "
                        "the same work per budget on a busy machine; k-osc only)")  # fmt: skip
    args = parser.parse_args(argv)
    args.changes = dict(args.changes)
    args.clock_fn = time.process_time if args.clock == "cpu" else time.monotonic
    budgets = tuple(b for b in BUDGETS_S if b <= args.max_budget_s + 1e-9)
    result: dict[str, Any] = {
        "command": command_line(argv),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "budgets_s": list(budgets),
        "changes": args.changes,
        "clock": args.clock,
    }
    if args.kosc_targets > 0:
        result["kosc"] = kosc_part(args, budgets)
    if args.amsynth_targets > 0:
        result["amsynth"] = amsynth_part(args, budgets)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "search_quality.json").write_text(json.dumps(result, indent=1))
    (out / "search_quality.md").write_text(markdown(result, budgets))
    plot(result, budgets, out / "search_quality.png")
    print(markdown(result, budgets))
    return result


if __name__ == "__main__":
    main()
