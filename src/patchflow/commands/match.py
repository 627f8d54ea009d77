"""``patchflow match``: offline one-shot inference from an audio file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

HELP = "match an audio file: print the synth parameters that reproduce it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "audio", help="audio file (any format libsndfile reads: wav, flac, ogg, aiff)"
    )
    parser.add_argument("--model", help="bundle name or path (default: the shipped kosc4)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--out", help="write the re-rendered match (WAV) and a spectrogram PNG here"
    )
    parser.add_argument("--steps", type=int, help="solver steps (default: the bundle's)")
    parser.add_argument("--method", choices=["euler", "midpoint", "rk4"], help="ODE method")
    parser.add_argument("--cfg", type=float, help="guidance scale (default: the bundle's)")
    parser.add_argument(
        "--seed", type=int, default=0, help="noise seed (another seed, another patch)"
    )


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


def describe(spec, prediction) -> list[dict]:
    """Per parameter: name, native value (choice name for categorical), unit, model-space value."""
    rows = []
    for j, (p, cols) in enumerate(zip(spec.params, spec.columns, strict=True)):
        native = float(prediction.native[0, j])
        row = {"name": p.name, "kind": p.kind, "unit": p.unit}
        if p.kind == "categorical":
            row["value"] = (p.choices or ())[int(native)]
            row["index"] = int(native)
            row["model_value"] = [float(v) for v in prediction.encoded[0, cols]]
        else:
            row["value"] = native
            row["model_value"] = float(prediction.encoded[0, cols.start])
        rows.append(row)
    return rows


def run(args: argparse.Namespace) -> int:
    from patchflow.bundle import BundleError, load_bundle
    from patchflow.cli import CommandError
    from patchflow.inference import AudioError, Predictor

    audio, rate = read_audio(args.audio)
    try:
        bundle = load_bundle(args.model)
    except BundleError as err:
        raise CommandError(str(err)) from None
    predictor = Predictor(bundle)
    try:
        prepared = predictor.prepare(audio, rate)
    except AudioError as err:
        raise CommandError(f"{args.audio}: {err}") from None
    cond = predictor.encode(prepared)
    noise = predictor.noise(1, args.seed)
    prediction = predictor.sample(
        cond, noise, steps=args.steps, method=args.method, cfg_scale=args.cfg
    )
    rows = describe(bundle.card.spec, prediction)
    if args.json:
        print(
            json.dumps(
                {"model": bundle.name, "synth": bundle.card.synth_id, "params": rows}, indent=1
            )
        )
    else:
        print(
            f"{args.audio} -> {bundle.name} ({bundle.card.synth_id}), "
            f"{prediction.nfe} network evaluations"
        )
        for r in rows:
            value = (
                r["value"]
                if isinstance(r["value"], str)
                else f"{r['value']:.4g} {r['unit']}".rstrip()
            )
            mv = r["model_value"]
            mv_text = f"{mv:+.3f}" if isinstance(mv, float) else "one-hot"
            print(f"  {r['name']:<28} {value:<16} [{mv_text}]")
    if args.out:
        from patchflow.render_match import write_match

        written = write_match(bundle, prepared[0], prediction, Path(args.out))
        if not args.json:
            for path in written:
                print(f"wrote {path}")
    return 0
