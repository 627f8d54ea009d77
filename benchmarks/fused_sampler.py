"""Does a fused ONNX graph (encoder + N unrolled solver steps + guidance) lower match latency?

Compares, on the same trained run and onnxruntime settings, batch 1:
- loop: the bundle's way (encoder session once, then the Python solver calling the vector-field
  session 2 x steps times for midpoint),
- fused: one graph with the whole sample unrolled for a fixed method and step count.

Usage: python benchmarks/fused_sampler.py --run RUN_DIR [--steps 4] [--method midpoint]
       [--repeats 300] [--threads 1] [--out docs/results]
Writes fused_sampler.{json,md}. Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import torch

from patchflow.export.bundle_writer import ExportOptions, export_model, representative_features
from patchflow.export.graphs import SamplerGraph
from patchflow.export.onnx_export import export_graph
from patchflow.inference import Predictor
from patchflow.machine import cpu_name


def _percentiles(times_ms: list[float]) -> dict[str, float]:
    a = np.asarray(times_ms)
    return {"p50_ms": float(np.percentile(a, 50)), "p99_ms": float(np.percentile(a, 99)),
            "mean_ms": float(a.mean())}  # fmt: skip


def main() -> None:
    import onnxruntime as ort

    from patchflow.bundle import load_bundle
    from patchflow.train.checkpoint import load_checkpoint

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--method", default="midpoint", choices=["euler", "midpoint", "rk4"])
    parser.add_argument("--cfg", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="docs/results")
    args = parser.parse_args()

    ckpt = load_checkpoint(args.run)
    model = ckpt.model.eval()
    from patchflow.train import provenance

    feats = representative_features(model, ckpt.stats, provenance.read(args.run).get("data"), 4)
    with tempfile.TemporaryDirectory() as tmp:
        bundle_dir = export_model(model, Path(tmp) / "b", stats=ckpt.stats, inputs=feats,
                                  options=ExportOptions(macros=0))  # fmt: skip
        predictor = Predictor(load_bundle(bundle_dir, prefer_gpu=False, threads=args.threads))
        fused_path = Path(tmp) / "fused.onnx"
        example = {"features": feats[:1], "noise": torch.randn(1, model.spec.dim),
                   "w": torch.tensor(args.cfg)}  # fmt: skip
        start = time.perf_counter()
        export_graph(SamplerGraph(model, args.steps, args.method), example, ("features", "noise"),
                     ("params", "cond"), fused_path, {"name": "fused"})  # fmt: skip
        export_s = time.perf_counter() - start
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        start = time.perf_counter()
        fused = ort.InferenceSession(str(fused_path), options, providers=["CPUExecutionProvider"])
        session_s = time.perf_counter() - start
        x = feats[:1].numpy()
        noise = predictor.noise(1, 0)
        w = np.asarray(args.cfg, np.float32)

        def run_loop() -> np.ndarray:
            cond = predictor.bundle.sessions["encoder"].run(None, {"features": x})[0]
            return predictor.sample(
                cond, noise, steps=args.steps, method=args.method, cfg_scale=args.cfg
            ).encoded

        def run_fused() -> np.ndarray:
            return np.clip(fused.run(None, {"features": x, "noise": noise, "w": w})[0], -1, 1)

        diff = float(np.abs(run_loop() - run_fused()).max())
        paths = {"loop": run_loop, "fused": run_fused}
        for fn in paths.values():
            for _ in range(20):
                fn()
        times: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.repeats):  # interleaved call by call: this VM's speed drifts
            for name, fn in paths.items():
                t0 = time.perf_counter()
                fn()
                times[name].append((time.perf_counter() - t0) * 1e3)
        results = {name: _percentiles(t) for name, t in times.items()}
        size_mb = fused_path.stat().st_size / 1e6
        nodes = {"vector_field": len(onnx.load(str(bundle_dir / "vector_field.onnx")).graph.node),
                 "fused": len(onnx.load(str(fused_path)).graph.node)}  # fmt: skip
    machine = {"cpu": cpu_name(), "cores": os.cpu_count(), "load_avg": os.getloadavg()[0]}
    speedup = results["loop"]["p50_ms"] / results["fused"]["p50_ms"]
    out = {"run": args.run, "steps": args.steps, "method": args.method, "cfg": args.cfg,
           "threads": args.threads, "machine": machine, "results": results,
           "max_abs_diff": diff, "fused_file_mb": size_mb, "fused_export_s": export_s,
           "fused_session_create_s": session_s, "p50_speedup": speedup,
           "onnx_nodes": nodes}  # fmt: skip
    cmd = (f"python benchmarks/fused_sampler.py --run {args.run} --steps {args.steps} "
           f"--method {args.method} --cfg {args.cfg:g} --repeats {args.repeats} "
           f"--threads {args.threads}")  # fmt: skip
    print(json.dumps(out, indent=2))
    dest = Path(args.out)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "fused_sampler.json").write_text(json.dumps(out, indent=2))
    rows = "\n".join(f"| {k} | {v['p50_ms']:.2f} | {v['p99_ms']:.2f} | {v['mean_ms']:.2f} |"
                     for k, v in results.items())  # fmt: skip
    (dest / "fused_sampler.md").write_text(
        f"# Fused sampler graph vs solver loop\n\nCommand: `{cmd}`\n\nMachine: {machine}\n\n"
        f"Batch 1, {args.method} x {args.steps}, guidance {args.cfg}, onnxruntime CPU, "
        f"{args.threads} thread(s).\n\n| path | p50 ms | p99 ms | mean ms |\n|---|---|---|---|\n"
        f"{rows}\n\np50 speed-up of fused over loop: {speedup:.2f}x; max |diff| {diff:.1e}; "
        f"fused file {size_mb:.1f} MB; session creation {session_s:.2f} s; ONNX nodes: "
        f"vector field {nodes['vector_field']} (one step), fused graph {nodes['fused']}.\n"
    )


if __name__ == "__main__":
    main()
