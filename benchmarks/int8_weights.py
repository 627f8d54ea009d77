"""float32 against int8 graph weights: the same run exported both ways, quality and first answer.

Exports a training run twice with the same serving settings (``patchflow export ... --weights
float32`` and ``--weights int8``, into ``--work``), evaluates both bundles on each ``--data``
set (``patchflow evaluate``, one onnxruntime thread), and times both engines' first answers
(:meth:`OnnxEngine.match`, one onnxruntime and one BLAS thread, as ``patchflow serve`` runs it)
in turns on a 1 s tone, so a drift of the machine's speed touches both alike::

    python benchmarks/int8_weights.py --run /work/runs/v2/ast-cnf-mlp \\
        --data test.h5 val.h5 --export-args "--method euler --steps 8 --cfg 1.5 --fused \\
        --temperature 0" [--rounds 400] [--work /tmp/int8] [--out docs/results]

Writes ``OUT/int8_weights.{json,md}``. Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from patchflow.machine import cpu_name, limit_blas_threads, speed_probe

WEIGHTS = ("float32", "int8")


def patchflow(*args: str) -> str:
    """Run a ``patchflow`` verb in a subprocess; returns its command line."""
    print("+", shlex.join(["patchflow", *args]), flush=True)
    subprocess.run([sys.executable, "-m", "patchflow", *args], check=True)
    return shlex.join(["patchflow", *args])


def tone(sample_rate: int, channels: int) -> np.ndarray:
    """A 1 s A4 tone with its first five harmonics ``(channels, samples)``."""
    t = np.arange(sample_rate) / sample_rate
    wave = 0.3 * sum(np.sin(2 * np.pi * 440.0 * k * t) / k for k in range(1, 6))
    return np.repeat(wave.astype(np.float32)[None], channels, axis=0)


def time_first_answers(bundles: dict[str, Path], rounds: int) -> dict[str, dict[str, float]]:
    """p50, p99 and mean ms of each bundle's match, the engines called in turns."""
    from patchflow.bridge.engine import OnnxEngine

    engines = {name: OnnxEngine(str(path), threads=1) for name, path in bundles.items()}
    first = next(iter(engines.values()))
    audio = tone(first.sample_rate, first.bundle.card.feature_config.channels)
    times: dict[str, list[float]] = {name: [] for name in engines}
    for engine in engines.values():
        engine.warm_up(10)
    for k in range(rounds):
        for name, engine in engines.items():
            start = time.perf_counter()
            engine.match(audio, engine.sample_rate, client="bench", request_id=k)
            times[name].append((time.perf_counter() - start) * 1e3)
    return {
        name: {
            "p50_ms": float(np.percentile(v, 50)),
            "p99_ms": float(np.percentile(v, 99)),
            "mean_ms": float(np.mean(v)),
        }
        for name, v in times.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--run", required=True, help="training run directory")
    parser.add_argument("--data", type=Path, nargs="+", required=True, help="datasets with audio")
    parser.add_argument(
        "--export-args", default="", help="the serving settings, as `patchflow export` flags"
    )
    parser.add_argument("--rounds", type=int, default=400, help="timed matches per bundle")
    parser.add_argument("--work", type=Path, default=Path("int8-work"), help="bundles, evals")
    parser.add_argument("--out", type=Path, default=Path("docs/results"))
    args = parser.parse_args(argv)
    limit_blas_threads()  # as `patchflow serve` does

    commands: dict[str, Any] = {"export": {}, "evaluate": {}}
    bundles: dict[str, Path] = {}
    evaluations: dict[str, dict[str, Any]] = {}
    sizes: dict[str, float] = {}
    for weights in WEIGHTS:
        out = args.work / f"bundle-{weights}"
        export = ["export", "--run", args.run, "--out", str(out), "--weights", weights]
        commands["export"][weights] = patchflow(*export, *shlex.split(args.export_args))
        bundles[weights] = out
        sizes[weights] = sum(p.stat().st_size for p in out.iterdir()) / 1e6
        for data in args.data:
            tag = f"{weights}/{data.stem}"
            ev = args.work / f"eval-{weights}-{data.stem}"
            commands["evaluate"][tag] = patchflow(
                "evaluate", "--model", str(out), "--data", str(data), "--out", str(ev),
                "--threads", "1", "--no-progress",
            )  # fmt: skip
            evaluations[tag] = json.loads((ev / "summary.json").read_text())["metrics"]
    probe_start = speed_probe()
    latency = time_first_answers(bundles, args.rounds)
    command = shlex.join(["python", "benchmarks/int8_weights.py", *(argv or sys.argv[1:])])
    report = {
        "command": command,
        "machine": f"{cpu_name()}, {os.cpu_count()} cores, no GPU",
        "machine_speed": {"start": probe_start, "end": speed_probe()},
        "commands": commands,
        "size_mb": sizes,
        "evaluations": evaluations,
        "first_answer": latency,
        "rounds": args.rounds,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "int8_weights.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = markdown(report, args.data)
    (args.out / "int8_weights.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def markdown(report: dict[str, Any], datasets: list[Path]) -> list[str]:
    s0, s1 = report["machine_speed"]["start"], report["machine_speed"]["end"]
    metrics = list(next(iter(report["evaluations"].values())))  # the synth's own metrics
    lines = [
        "# float32 against int8 graph weights",
        "",
        f"Command: `{report['command']}`",
        "",
        f"Machine: {report['machine']}; machine speed (`patchflow.machine.speed_probe`, p50 / "
        f"p99 ms) {s0['p50_ms']:.2f} / {s0['p99_ms']:.2f} before the timing, {s1['p50_ms']:.2f} "
        f"/ {s1['p99_ms']:.2f} after. Both bundles: the same run and serving settings; int8: "
        "every matrix product with a constant weight quantized by onnxruntime's dynamic "
        "quantization (7-bit range, per output channel; `patchflow.export.quantize`).",
        "",
        "## Quality (mean ± 95% interval)",
        "",
        "| data | weights | " + " | ".join(metrics) + " |",
        "|---|---|" + "---|" * len(metrics),
    ]
    for data in datasets:
        for weights in WEIGHTS:
            m = report["evaluations"][f"{weights}/{data.stem}"]
            cells = [f"{m[k]['mean']:.4g} ± {m[k]['ci95']:.2g}" for k in metrics]
            lines.append(f"| `{data.name}` | {weights} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"## First answer (`OnnxEngine.match`, {report['rounds']} per bundle, in turns)",
        "",
        "| weights | bundle MB | p50 ms | p99 ms | mean ms |",
        "|---|---|---|---|---|",
    ]
    for weights in WEIGHTS:
        r = report["first_answer"][weights]
        lines.append(
            f"| {weights} | {report['size_mb'][weights]:.1f} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['mean_ms']:.2f} |"
        )
    lines += ["", "Commands:", ""]
    for kind, entries in report["commands"].items():
        lines += [f"- {kind} {k}: `{v}`" for k, v in entries.items()]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
