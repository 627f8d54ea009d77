"""Where a first answer's time goes: the bridge engine's match, stage by stage (no transport).

Times, in this process with one onnxruntime thread, what :meth:`OnnxEngine.match` does for one
clip: preparing the audio (resampling, channels, length), measuring its pitch and placing the
note, and the model (the fused sampler, or the encoder and the solver loop), then the whole
match, and the whole match with the pitch measured before the features instead of beside
them on a helper thread (``OnnxEngine(pitch_beside_features=False)``; the default overlaps
them). Each stage is timed alone, in turns (one call of each stage per round), so a drift of
the machine's speed touches them alike; a fixed amount of plain numpy work is timed in the same
turns as a reference for how much the machine's own speed varied::

    python benchmarks/first_answer_stages.py [--model amsynth] [--rounds 300] [--out docs/results]

Input: a 1 s A4 saw-like tone (a few harmonics) at the bundle's rate and channels. Writes
``OUT/first_answer_stages.{json,md}``. Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from patchflow.machine import cpu_name, fixed_work, limit_blas_threads


def tone(sample_rate: int, channels: int, seconds: float = 1.0) -> np.ndarray:
    """A 440 Hz tone with its first five harmonics ``(channels, samples)``."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    wave = sum(np.sin(2 * np.pi * 440.0 * k * t) / k for k in range(1, 6))
    return np.repeat((0.3 * wave).astype(np.float32)[None], channels, axis=0)


REFERENCE = "reference: fixed numpy work"
SEQUENTIAL = "whole match, pitch before the features (pitch_beside_features=False)"


def stages(engine: Any, audio: np.ndarray, sample_rate: int) -> dict[str, Callable[[], Any]]:
    """The engine's match as separately callable stages (same inputs as a real match)."""
    from patchflow.note_conditioning import conditioning_note

    predictor = engine.predictor
    noise = predictor.answer_noise(engine.seed)
    prepared = engine._prepare(audio, sample_rate)
    note = conditioning_note(engine._place_note(prepared))
    if predictor.fused_for(engine.steps, engine.method):
        model_name = "model (fused sampler)"

        def model() -> Any:
            return predictor.sample_fused(prepared, noise, engine.cfg_scale, note)
    else:
        model_name = "model (encoder + solver loop)"

        def model() -> Any:
            return engine._predict_cond(predictor.encode(prepared, note), noise)

    in_line = type(engine)(engine.bundle, pitch_beside_features=False)
    return {
        REFERENCE: fixed_work(),
        "prepare audio": lambda: engine._prepare(audio, sample_rate),
        "pitch and note": lambda: engine._place_note(prepared),
        model_name: model,
        "whole match": lambda: engine.match(audio, sample_rate, client="bench", request_id=1),
        SEQUENTIAL: lambda: in_line.match(audio, sample_rate, client="bench", request_id=1),
    }


def main(argv: list[str] | None = None) -> int:
    from patchflow.bridge.engine import OnnxEngine
    from patchflow.bundle import load_bundle

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", default="amsynth", help="bundle name or path")
    parser.add_argument("--rounds", type=int, default=300, help="timed calls per stage")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("docs/results"))
    args = parser.parse_args(argv)

    limit_blas_threads()  # as `patchflow serve` does
    engine = OnnxEngine(load_bundle(args.model, threads=1))
    card = engine.bundle.card
    rate, channels = card.sample_rate, card.feature_config.channels
    audio = tone(rate, channels)
    calls = stages(engine, audio, rate)
    times: dict[str, list[float]] = {name: [] for name in calls}
    for i in range(args.warmup + args.rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            if i >= args.warmup:
                times[name].append((time.perf_counter() - start) * 1e3)
    rows = {
        name: {
            "p50_ms": float(np.percentile(t, 50)),
            "p99_ms": float(np.percentile(t, 99)),
            "mean_ms": float(np.mean(t)),
        }
        for name, t in times.items()
    }
    command = shlex.join(["python", "benchmarks/first_answer_stages.py", *(argv or sys.argv[1:])])
    report = {
        "command": command,
        "machine": f"{cpu_name()}, {os.cpu_count()} cores",
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "model": card.name,
        "solver": {"method": engine.method, "steps": engine.steps, "cfg_scale": engine.cfg_scale},
        "input": f"1 s tone, {rate} Hz, {channels} channel(s)",
        "rounds": args.rounds,
        "stages": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "first_answer_stages.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# First answer, stage by stage",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {report['machine']}; load average at start {report['load_avg_start']}; "
        f"model `{card.name}` ({engine.method} x {engine.steps}, w = {engine.cfg_scale:g}), one "
        f"onnxruntime thread; input: {report['input']}; {args.rounds} timed calls per stage, "
        "stages in turns. The reference row is plain numpy work of fixed size, timed in the same "
        "turns: where its p99 is far above its p50, the machine's speed varied during the run.",
        "",
        "| stage | p50 ms | p99 ms | mean ms |",
        "|---|---|---|---|",
        *(
            f"| {name} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['mean_ms']:.2f} |"
            for name, r in rows.items()
        ),
    ]
    (args.out / "first_answer_stages.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
