"""How to take one answer from the amsynth CNF without rendering (issue 16's one-shot target).

The one-shot CNF scores a worse multi-scale spectral distance (MSS) than the regression on
held-out renders. This asks whether that is the sampling (one draw from a broad posterior)
or the model: it decodes the same bundle several ways, all from one encoder call per item and
no synth in the loop, re-renders every answer with amsynth and scores it::

    python benchmarks/oneshot_decoding.py --model amsynth --regression amsynth-regression \\
        --test amsynth_v2-test-789-n256.h5 --samples 32 --out docs/results

- ``sample``: one flow sample (what ``patchflow match --budget-s 0`` answers);
- ``temperature T``: the flow integrated from ``T`` times that sample's noise (T = 0: from the
  noise's mean);
- ``MBR-K``: of ``K`` samples, the one with the least summed L2 (or L1) distance to the others in
  the model space (minimum-Bayes-risk decoding: a sample, so never an average of two modes);
- ``mean-K``: the average of ``K`` samples (categorical one-hots averaged, then decoded by
  argmax: the posterior's per-parameter mean and mode);
- the regression's point estimate, for reference.

Writes ``OUT/oneshot_decoding.{md,json}``. Every item is given its rendered note, as the
held-out evaluation in ``amsynth_models.md`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from patchflow.machine import cpu_name

NOISE_SEED = 1000
TEMPERATURES = (0.0, 0.5, 0.7)
MBR_SIZES = (8, 32)
METRICS = ("mss", "wmfcc", "param_mse")


def flow_samples(predictor: Any, audio: np.ndarray, notes: np.ndarray, k: int, batch: int):
    """``k`` flow samples per item ``(N, k, D)`` and the temperature decodes ``{T: (N, D)}``."""
    n, dim = len(audio), predictor.spec.dim
    samples = np.empty((n, k, dim), np.float32)
    tempered: dict[float, list[np.ndarray]] = {t: [] for t in TEMPERATURES}
    for lo in range(0, n, batch):
        sl = slice(lo, min(n, lo + batch))
        cond = predictor.encode(audio[sl], note=notes[sl])
        rng = np.random.default_rng([NOISE_SEED, lo])
        noise = rng.standard_normal((k, sl.stop - lo, predictor.noise_dim)).astype(np.float32)
        for j in range(k):
            samples[sl, j] = predictor.sample(cond, noise[j], note=notes[sl]).encoded
        for t in TEMPERATURES:
            tempered[t].append(predictor.sample(cond, t * noise[0], note=notes[sl]).encoded)
    return samples, {t: np.concatenate(v) for t, v in tempered.items()}


def mbr(samples: np.ndarray, order: int) -> np.ndarray:
    """The sample with the least summed L``order`` distance to the others, per item ``(N, D)``."""
    diff = np.abs(samples[:, :, None, :] - samples[:, None, :, :])
    dist = (diff**order).sum(-1) ** (1.0 / order)  # (N, K, K)
    return samples[np.arange(len(samples)), dist.sum(-1).argmin(-1)]


def solver_of(predictor: Any) -> tuple[str, int, float]:
    s = predictor.card.solver
    return s.method, s.steps, s.cfg_scale


def summarise(values: np.ndarray) -> dict[str, float]:
    v = np.asarray(values, np.float64)
    return {"mean": float(v.mean()), "ci95": float(1.96 * v.std(ddof=1) / np.sqrt(len(v)))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="amsynth", help="CNF bundle")
    parser.add_argument("--regression", default="amsynth-regression", help="regression bundle")
    parser.add_argument("--test", required=True, help="held-out dataset with stored audio")
    parser.add_argument("--samples", type=int, default=32, help="flow samples per item (K)")
    parser.add_argument("--limit", type=int, help="first N items only")
    parser.add_argument("--out", default="docs/results")
    args = parser.parse_args(argv)
    if args.samples < max(MBR_SIZES):
        raise SystemExit(f"--samples must be at least {max(MBR_SIZES)}")

    from patchflow.bundle import load_bundle
    from patchflow.data.dataset import SynthDataset
    from patchflow.evaluation import evaluate_predictions, predict_bundle, synth_for_spec
    from patchflow.inference import Predictor
    from patchflow.note_conditioning import NoteConditioning

    ds = SynthDataset.load(args.test)
    n = len(ds) if args.limit is None else min(args.limit, len(ds))
    spec = ds.spec
    audio = np.asarray(ds.audio[:n], np.float32)
    target = np.asarray(ds.params[:n])
    notes = NoteConditioning.of(spec).notes_from_encoded(target, spec)
    cnf = Predictor(load_bundle(args.model))
    start = time.perf_counter()
    samples, tempered = flow_samples(cnf, audio, notes, args.samples, batch=32)
    sample_s = time.perf_counter() - start
    answers: dict[str, np.ndarray] = {"sample": samples[:, 0]}
    answers.update({f"temperature {t:g}": v for t, v in tempered.items()})
    for k in MBR_SIZES:
        answers[f"MBR-{k} (L2)"] = mbr(samples[:, :k], 2)
        answers[f"MBR-{k} (L1)"] = mbr(samples[:, :k], 1)
    answers[f"mean-{args.samples}"] = samples.mean(axis=1)
    reg = predict_bundle(load_bundle(args.regression), audio, notes=notes)
    answers["regression"] = reg.encoded

    rc = ds.render_config
    rows: dict[str, dict[str, Any]] = {}
    with synth_for_spec(spec, rc.synth, **rc.synth_options()) as synth:
        for name, pred in answers.items():
            metrics = evaluate_predictions(synth, pred, target, target_audio=audio)
            rows[name] = {m: summarise(metrics[m]) for m in METRICS}
            print(f"{name:<20} MSS {rows[name]['mss']['mean']:.2f}", file=sys.stderr, flush=True)

    command = shlex.join(["python", "benchmarks/oneshot_decoding.py", *(argv or sys.argv[1:])])
    result = {
        "command": command,
        "machine": f"{cpu_name()}, {os.cpu_count()} cores",
        "items": n,
        "samples": args.samples,
        "model": args.model,
        "regression": args.regression,
        "solver": dict(zip(("method", "steps", "cfg_scale"), solver_of(cnf), strict=True)),
        "flow_seconds": sample_s,
        "rows": rows,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "oneshot_decoding.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "oneshot_decoding.md").write_text(markdown(result))
    print(f"wrote {out / 'oneshot_decoding.md'}", file=sys.stderr)
    return 0


def markdown(result: dict[str, Any]) -> str:
    s = result["solver"]
    lines = [
        "# One answer from the amsynth CNF without rendering",
        "",
        f"Command: `{result['command']}`",
        "",
        f"Machine: {result['machine']}. {result['items']} held-out renders, each given its "
        f"rendered note; CNF bundle `{result['model']}` ({s['method']} x {s['steps']}, "
        f"w = {s['cfg_scale']:g}), {result['samples']} flow samples per item; every answer "
        "re-rendered by amsynth. Mean ± 95% interval.",
        "",
        "| decoding | MSS ↓ | wMFCC ↓ | param MSE ↓ |",
        "|---|---|---|---|",
    ]
    for name, row in result["rows"].items():
        cells = [f"{row[m]['mean']:.3f} ± {row[m]['ci95']:.3f}" for m in METRICS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
