"""``patchflow match``: find the patch that reproduces an audio file, with the synth in the loop.

The model answers at once; then its proposals are rendered and scored and the best refined
(:mod:`patchflow.search`) while the budget lasts. ``--budget-s 0`` gives the one-shot answer.
The default model is the shipped ``amsynth`` bundle (``--model kosc4``: the k-osc toy synth).

A plug-in synth that is not installed (or cannot be loaded) still gets the model's one-shot
answer: its parameters are printed (and ``--preset`` written), unscored, with a warning that
re-rendering (the score, ``--out``) and the search need the plug-in.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from patchflow.commands.serve import DEFAULT_MODEL, search_unavailable  # shared with serve
from patchflow.machine import limit_blas_threads

HELP = "match an audio file: search the synth parameters that reproduce it"
MAX_TOP = 16
PLUGIN_PACKAGES = {"amsynth": "amsynth"}  # synth -> the Debian package installing its plug-in

log = logging.getLogger("patchflow.match")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "audio", help="audio file (any format libsndfile reads: wav, flac, ogg, aiff)"
    )
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"bundle name or path (default: the shipped {DEFAULT_MODEL}; "
        "--model kosc4: the k-osc toy synth)",
    )
    parser.add_argument(
        "--budget-s", type=float, default=1.0,
        help="search time in seconds (default 1; 0: the model's one-shot answer)",
    )  # fmt: skip
    parser.add_argument(
        "--renders", type=int, help="also stop after this many renders (same seed: same patch)"
    )
    parser.add_argument("--top", type=int, default=4, help="candidates to report (default 4)")
    parser.add_argument(
        "--seed", type=int, default=0, help="search seed (another seed, another patch)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--out", help="write <stem>.match.wav, <stem>.match.png and the top candidates here"
    )
    parser.add_argument("--preset", help="write the top candidates as a preset bank file (amsynth)")
    parser.add_argument("--plugin", help="plug-in file (default: the synth's install location)")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="render processes for plug-in synths; each renders and scores its candidates "
        f"(default {default_workers()}: the CPU cores, at most 2)",
    )
    parser.add_argument("--steps", type=int, help="flow solver steps (default: the bundle's)")
    parser.add_argument("--method", choices=["euler", "midpoint", "rk4"], help="ODE method (flow)")
    parser.add_argument("--cfg", type=float, help="guidance scale (flow; default: the bundle's)")


def default_workers() -> int:
    """Render processes a match starts by default: the CPU cores, at most 2."""
    return max(1, min(2, os.cpu_count() or 1))


def read_audio(path: str) -> tuple[np.ndarray, int]:
    """An audio file as ``(channels, samples)`` float32 and its sample rate."""
    import soundfile as sf

    from patchflow.cli import CommandError

    if not Path(path).is_file():
        raise CommandError(f"{path}: no such file")
    try:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
        raise CommandError(f"{path}: cannot read audio: {err}") from None
    return data.T.copy(), int(rate)


def describe(spec: Any, native: np.ndarray, encoded: np.ndarray) -> list[dict]:
    """Per parameter: name, native value (choice name for categorical), unit, model-space value."""
    rows = []
    for j, (p, cols) in enumerate(zip(spec.params, spec.columns, strict=True)):
        value = float(native[j])
        row: dict[str, Any] = {"name": p.name, "kind": p.kind, "unit": p.unit}
        if p.kind == "categorical":
            row["value"] = (p.choices or ())[int(value)]
            row["index"] = int(value)
            row["model_value"] = [float(v) for v in encoded[cols]]
        else:
            row["value"] = value
            row["model_value"] = float(encoded[cols.start])
        rows.append(row)
    return rows


def check_flags(args: argparse.Namespace, card: Any) -> None:
    """Refuse flags this model or synth cannot use, and bad values."""
    from patchflow.cli import CommandError

    if card.model_kind != "cnf":
        used = [f for f, v in (("--cfg", args.cfg), ("--steps", args.steps),
                               ("--method", args.method)) if v is not None]  # fmt: skip
        if used:
            raise CommandError(
                f"{', '.join(used)}: model '{card.name}' is a {card.model_kind} bundle "
                "(no flow to sample, no guidance); drop the flag"
            )
    if not args.budget_s >= 0:
        raise CommandError(f"--budget-s must be >= 0, got {args.budget_s}")
    if args.renders is not None and args.renders < 1:
        raise CommandError(f"--renders must be >= 1, got {args.renders}")
    if not 1 <= args.top <= MAX_TOP:
        raise CommandError(f"--top must be 1..{MAX_TOP}, got {args.top}")
    if args.workers < 1:
        raise CommandError(f"--workers must be >= 1, got {args.workers}")
    if args.seed < 0:
        raise CommandError(f"--seed must be >= 0, got {args.seed}")
    if args.preset and card.synth_id != "amsynth":
        raise CommandError(
            f"--preset: synth '{card.synth_id}' has no preset-bank support (amsynth only)"
        )


class Progress:
    """Best score and renders/s on stderr while searching (one updating line on a terminal)."""

    def __init__(self, quiet: bool = False) -> None:
        self.tty = sys.stderr.isatty()
        self.quiet = quiet
        self.last = 0.0

    def update(self, step: Any) -> None:
        now = time.monotonic()
        if self.quiet or (not step.final and now - self.last < 0.2):
            return
        self.last = now
        rate = step.renders / step.elapsed_s if step.elapsed_s > 0 else 0.0
        line = (
            f"{step.stage:<9} best {step.scorer.upper()} {step.best.score:7.3f}  "
            f"{step.renders:6d} renders  {rate:7.0f} renders/s  {step.elapsed_s:6.2f} s"
        )
        end = "\n" if step.final or not self.tty else ""
        print(("\r" if self.tty else "") + line, end=end, file=sys.stderr, flush=True)


def detected_note(step: Any, target: np.ndarray, sample_rate: int) -> dict[str, Any]:
    """The input's pitch as the JSON reports it (the placement when the search placed a note)."""
    placement = step.note
    if placement is not None:
        return {
            "midi": placement.detected,
            "confidence": placement.confidence,
            "rendered_at": placement.note,
            "octaves_shifted": placement.octaves_shifted,
        }
    from patchflow.pitch import estimate_pitch

    estimate = estimate_pitch(target, sample_rate)
    return {"midi": estimate.midi, "confidence": estimate.confidence,
            "rendered_at": None, "octaves_shifted": 0}  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from patchflow.bundle import BundleError, load_bundle
    from patchflow.cli import CommandError
    from patchflow.inference import AudioError, Predictor
    from patchflow.search import SearchBudget, SearchConfig, Searcher, open_renderer
    from patchflow.search.searcher import prepare_target
    from patchflow.synths.plugin import PluginLoadError, PluginSpecError

    limit_blas_threads()  # small products only; idle BLAS threads would spin on the cores
    audio, rate = read_audio(args.audio)
    try:
        bundle = load_bundle(args.model)
    except BundleError as err:
        raise CommandError(str(err)) from None
    card = bundle.card
    check_flags(args, card)
    predictor = Predictor(bundle)
    config = SearchConfig.for_spec(
        card.spec, steps=args.steps, method=args.method, cfg_scale=args.cfg
    )
    budget = SearchBudget(seconds=args.budget_s, renders=args.renders)
    renderer: Any = None
    unavailable = search_unavailable(card, args.plugin)  # a quick look first: no worker started
    if unavailable is None:
        try:
            renderer = open_renderer(card, workers=args.workers, plugin_path=args.plugin)
        except (PluginLoadError, PluginSpecError) as err:
            unavailable = str(err)
    if unavailable is not None:
        warn_no_plugin(card, unavailable, args)
        renderer = Unrendered(render_spec(card))
        budget = SearchBudget(seconds=0.0)
    with renderer:
        searcher = Searcher(card.spec, renderer, predictor=predictor, config=config)
        try:
            target = prepare_target(audio, rate, renderer)
            steps = []
            progress = Progress(quiet=budget.one_shot)
            for step in searcher.run(audio, rate, budget=budget, seed=args.seed, top_k=args.top):
                steps.append(step)
                progress.update(step)
        except AudioError as err:
            raise CommandError(f"{args.audio}: {err}") from None
        final = steps[-1]
        note = detected_note(final, target, renderer.sample_rate)
        report(args, bundle, final, note, unavailable)
        written = []
        if args.out and unavailable is None:
            written += write_outputs(args, bundle, renderer, target, steps)
        if args.preset:
            written.append(write_preset(args, card.spec, final))
    if not args.json:
        for path in written:
            print(f"wrote {path}")
    return 0


def _finite(value: float) -> float | None:
    """A score for JSON: ``None`` when it could not be measured (the render failed)."""
    return value if np.isfinite(value) else None


def report(
    args: argparse.Namespace,
    bundle: Any,
    final: Any,
    note: dict[str, Any],
    unavailable: str | None = None,
) -> None:
    """Print the match: one JSON object (``--json``) or a table of the parameters.

    Args:
        unavailable: Why the synth could not render (``None``: it did); the answer is unscored.
    """
    spec = bundle.card.spec
    rows = describe(spec, final.best.native, final.best.encoded)
    if args.json:
        candidates = [
            {"rank": r, "score": _finite(c.score), "params": describe(spec, c.native, c.encoded)}
            for r, c in enumerate(final.candidates, start=1)
        ]
        out = {
            "model": bundle.name, "synth": bundle.card.synth_id, "params": rows,
            "score": _finite(final.best.score), "scorer": final.scorer, "note": note["midi"],
            "note_detail": note, "candidates": candidates,
            "renders": 0 if unavailable is not None else final.renders,
            "elapsed_s": final.elapsed_s, "budget_s": args.budget_s, "seed": args.seed,
            "unrendered": unavailable,
        }  # fmt: skip
        print(json.dumps(out, indent=1))
        return
    midi = "unpitched" if note["midi"] is None else f"MIDI {note['midi']:.2f}"
    if unavailable is not None:
        outcome = "the model's one-shot answer, not rendered (no plug-in)"
    else:
        outcome = (
            f"{final.scorer.upper()} {final.best.score:.3f} after {final.renders} renders "
            f"in {final.elapsed_s:.2f} s"
        )
    print(f"{args.audio} -> {bundle.name} ({bundle.card.synth_id}): {outcome}; input pitch {midi}")
    for r in rows:
        value = r["value"] if isinstance(r["value"], str) else f"{r['value']:.4g} {r['unit']}"
        mv = r["model_value"]
        mv_text = f"{mv:+.3f}" if isinstance(mv, float) else "one-hot"
        print(f"  {r['name']:<28} {value.rstrip():<16} [{mv_text}]")
    others = ", ".join(f"{c.score:.3f}" for c in final.candidates[1:])
    if others:
        print(f"  other candidates score {others}")


class Unrendered:
    """A renderer for a plug-in that cannot be loaded: every render comes back not ok, so the
    searcher still gives the model's one-shot answer (unscored) at the right rate and length.

    Args:
        spec: The spec the synth would render (its rate, channels and length).
    """

    workers = 1

    def __init__(self, spec: Any) -> None:
        self.spec = spec
        self.sample_rate = int(spec.sample_rate)
        self.channels = int(spec.channels)
        self.num_samples = int(spec.num_samples)

    def __repr__(self) -> str:
        return f"Unrendered({self.spec.synth!r})"

    def render(self, native: np.ndarray, cancel: Any = None) -> Any:
        from patchflow.search import RenderBatch

        n = len(np.atleast_2d(native))
        audio = np.zeros((n, self.channels, self.num_samples), np.float32)
        return RenderBatch(audio, np.zeros(n, bool))

    def score(self, native: np.ndarray, scorer: Any, cancel: Any = None) -> Any:
        from patchflow.search import ScoreBatch

        return ScoreBatch.of(self.render(native, cancel), scorer)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> Unrendered:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def render_spec(card: Any) -> Any:
    """The spec as the card's synth renders it (its options may set the rate and length)."""
    options = dict(card.synth_options)
    spec = card.spec
    return dataclasses.replace(
        spec,
        sample_rate=int(options.get("sample_rate") or spec.sample_rate),
        duration_s=float(options.get("duration_s") or spec.duration_s),
    )


def warn_no_plugin(card: Any, reason: str, args: argparse.Namespace) -> None:
    """Say that only the model's one-shot answer follows, and what re-rendering needs."""
    synth = card.spec.synth
    package = PLUGIN_PACKAGES.get(synth)
    install = (
        f"install the Debian package {package} (apt install {package})"
        if package
        else f"install the {synth} plug-in"
    )
    skipped = [f for f, v in (("--out", args.out), ("search", args.budget_s > 0)) if v]
    log.warning(
        "the %s plug-in cannot be used (%s): printing the model's one-shot answer, unscored; "
        "re-rendering the match (its score, --out) and the search need the plug-in: %s or pass "
        "--plugin PATH%s",
        synth,
        reason,
        install,
        f" (skipped here: {', '.join(skipped)})" if skipped else "",
    )


def write_outputs(
    args: argparse.Namespace, bundle: Any, renderer: Any, target: np.ndarray, steps: list
) -> list[Path]:
    from patchflow.render_match import MatchPicture, write_match_files

    final = steps[-1]
    natives = np.stack([final.best.native] + [c.native for c in final.candidates])
    audio = renderer.render(natives).audio
    picture = MatchPicture(
        target=target,
        match=audio[0],
        sample_rate=renderer.sample_rate,
        times_s=[s.elapsed_s for s in steps],
        scores=[s.best.score for s in steps],
        scorer=final.scorer,
        title=f"{Path(args.audio).name} -> {bundle.name}: {final.scorer.upper()} "
        f"{final.best.score:.2f} ({final.renders} renders, {final.elapsed_s:.2f} s)",
    )
    return write_match_files(Path(args.out), Path(args.audio).stem, picture, list(audio[1:]))


def write_preset(args: argparse.Namespace, spec: Any, final: Any) -> Path:
    from patchflow.synths.amsynth_bank import write_bank

    stem = Path(args.audio).stem
    names = [f"{stem} match"] + [f"{stem} candidate {r}" for r in
                                 range(2, len(final.candidates) + 1)]  # fmt: skip
    path = Path(args.preset)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bank(path, spec, [c.native for c in final.candidates], names)
    except OSError as err:
        from patchflow.cli import CommandError

        raise CommandError(f"--preset: cannot write {path}: {err.strerror or err}") from None
    return path
