"""Smoke tests of the benchmark scripts at tiny sizes: each runs and writes its report.

Each script's ``main`` runs in this process (no subprocess importing everything again);
bridge_latency.py uses the session's tiny bundle (tests/conftest.py). Timing is never asserted;
only the shape of the result.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_benchmark(name: str) -> ModuleType:
    """``benchmarks/NAME.py`` as a module (registered in sys.modules while in use)."""
    spec = importlib.util.spec_from_file_location(
        f"_bench_{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    module = _load_benchmark("bridge_latency")
    try:
        yield module
    finally:
        del sys.modules[module.__name__]


@pytest.fixture(scope="module")
def tiny_run(tiny_kosc4) -> tuple[Path, Path]:
    """The session's tiny k-osc flow model as a bundle and as a run directory (conftest.py)."""
    return tiny_kosc4.bundle, tiny_kosc4.run_dir


def test_bridge_latency_runs_and_reports(bench: ModuleType, tiny_run, tmp_path, capsys) -> None:
    bundle, run_dir = tiny_run
    out = tmp_path / "results"
    argv = ["--model", str(bundle), "--run", str(run_dir), "--requests", "5", "--warmup", "1"]
    argv += ["--reference-requests", "2", "--out", str(out), "--device-report"]
    result = bench.main(argv)
    assert json.loads((out / "bridge_latency.json").read_text()) == json.loads(json.dumps(result))
    keys = ("command", "hardware", "device", "solver", "rows", "reference", "target")
    for key in (*keys, "reference_p50_over_p50"):
        assert key in result
    assert result["command"].startswith("python benchmarks/bridge_latency.py --model ")
    assert {"cpu_model", "cpu_count"} <= set(result["hardware"])
    assert "CPUExecutionProvider" in result["device"]["available_providers"]
    paths = [row["path"] for row in result["rows"]]
    assert paths[:9] == [
        "in-process",
        "osc file",
        "zmq",
        "osc upload",
        "osc macro",
        "zmq x8 concurrent",
        "in-process, first of a turn",
        "osc file, first of a turn",
        "zmq, first of a turn",
    ]
    assert any(path.startswith("reference: pytorch eager rk4 x100") for path in paths)
    for row in result["rows"]:
        assert {"p50_ms", "p99_ms", "mean_ms", "throughput_per_s"} <= set(row)
        assert row["requests"] >= (1 if row["path"].endswith(", first of a turn") else 2)
    assert result["rows"][5]["requests"] == 8  # 8 clients x ceil(5 / 8)
    assert result["rows"][6]["requests"] == 1  # one turn: 5 requests fit in a block of 20
    assert result["reference_agreement_max_abs"] < 1e-2  # the same model, the same noise
    assert set(result["target"]["met"]) == {"in-process", "osc upload", "osc file", "zmq"}
    md = (out / "bridge_latency.md").read_text()
    assert "| path | requests | p50 ms | p99 ms |" in md and "Command: `python benchmarks/" in md
    assert '"session_providers"' in capsys.readouterr().out  # --device-report


def test_bridge_latency_skips_the_reference_without_a_run(bench: ModuleType) -> None:
    args = bench.parse_args(["--requests", "3"])
    assert args.run is None and args.requests == 3 and args.clients == 8
    with pytest.raises(SystemExit):
        bench.parse_args(["--requests", "0"])
    clip = bench.kosc_clip(0.5)
    assert clip.shape == (1, 22050) and clip.dtype.name == "float32"


def _run_benchmark(
    name: str, argv: list[str], out: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict, str]:
    """Run ``benchmarks/NAME.py``'s ``main`` in this process, writing to ``out``; its JSON
    result and markdown table."""
    module = _load_benchmark(name)
    try:
        monkeypatch.setattr(sys, "argv", [f"{name}.py", *argv, "--out", str(out)])
        module.main()
    finally:
        del sys.modules[module.__name__]
    return json.loads((out / f"{name}.json").read_text()), (out / f"{name}.md").read_text()


def test_process_switch_runs_and_reports(tmp_path, monkeypatch) -> None:
    argv = ["--megabytes", "4", "--turns", "1", "--block", "3"]
    result, table = _run_benchmark("process_switch", argv, tmp_path / "results", monkeypatch)
    assert set(result["runs"]) == {"one process (control)", "two processes taking turns"}
    two = result["runs"]["two processes taking turns"]
    assert two["first call of a turn"]["n"] == 2 and two["other calls"]["n"] == 2
    assert "| run | calls | n | p50 ms |" in table


def test_osc_chunk_codec_runs_and_reports(tmp_path, monkeypatch) -> None:
    argv = ["--floats", "16", "--calls", "2", "--repeats", "2"]
    result, table = _run_benchmark("osc_chunk_codec", argv, tmp_path / "results", monkeypatch)
    assert result["floats_per_chunk"] == 16
    assert set(result["per_chunk"]) == {
        "encode (client)",
        "decode + parse (server)",
        "decode + parse (server), int zeros",
    }
    assert all(r["general_us"] > 0 and r["array_us"] > 0 for r in result["per_chunk"].values())
    assert "| per chunk | general codec us |" in table


def test_hostile_load_runs_and_reports(tiny_kosc4, tmp_path) -> None:
    """benchmarks/hostile_load.py at a tiny size against a real `patchflow serve`: every refused
    input gets its error reply, no match is lost or misrouted, and the server survives."""
    module = _load_benchmark("hostile_load")
    out = tmp_path / "results"
    argv = ["--model", str(tiny_kosc4.bundle), "--osc-inputs", "60", "--zmq-inputs", "30"]
    argv += ["--clients", "2", "--matches", "2", "--load-hostile", "10", "--out", str(out)]
    try:
        status = module.main(argv)
    finally:
        del sys.modules[module.__name__]
    result = json.loads((out / "hostile_load.json").read_text())
    assert status == 0 and result["crashes"] == 0
    alone, during = result["hostile"]["alone"], result["hostile"]["during load"]
    assert (alone["sent"], during["sent"]) == (90, 10)
    assert alone["missing_replies"] == during["missing_replies"] == 0
    assert alone["error_replies"] == 90 and alone["failed_probes"] == 0
    load = result["load"]
    assert (load["matches"], load["replies"], load["lost"], load["misrouted"]) == (4, 4, 0, 0)
    assert load["p50_ms"] > 0 and result["memory_mb"]["peak"] >= result["memory_mb"]["before"] > 0
    assert "| hostile, alone | 90 |" in (out / "hostile_load.md").read_text()


def test_oneshot_decoding_mbr_picks_the_sample_nearest_the_others() -> None:
    module = _load_benchmark("oneshot_decoding")
    try:
        samples = np.array([[[0.0, 0.0], [0.1, 0.0], [0.0, 0.2], [3.0, 3.0]]])  # (1, 4, 2)
        np.testing.assert_array_equal(module.mbr(samples, 2)[0], [0.1, 0.0])
        np.testing.assert_array_equal(module.mbr(samples, 1)[0], [0.0, 0.0])
        far = np.array([[[1.0, -1.0], [-1.0, 1.0]]])  # two modes: a sample, never their mean
        assert module.mbr(far, 2)[0].tolist() in ([1.0, -1.0], [-1.0, 1.0])
    finally:
        del sys.modules[module.__name__]


def test_pitch_accuracy_runs_and_reports(tmp_path, monkeypatch) -> None:
    import soundfile as sf

    sounds = tmp_path / "sounds"
    sounds.mkdir()
    t = np.arange(44100) / 44100
    sf.write(sounds / "sine.wav", 0.5 * np.sin(2 * np.pi * 220.0 * t), 44100)
    sf.write(sounds / "noise.wav", 0.3 * np.random.default_rng(0).standard_normal(44100), 44100)
    (sounds / "manifest.csv").write_text("file,category,source,midi,detail\n")
    with (sounds / "manifest.csv").open("a") as f:
        f.write("sine.wav,tone,numpy,57,sine\nnoise.wav,noise,numpy,,white\n")
    argv = ["--compare", "--seeds", "1", "--rounds", "2", "--no-amsynth", "--sounds", str(sounds)]
    report, table = _run_benchmark("pitch_accuracy", argv, tmp_path, monkeypatch)
    assert set(report["accuracy"]) == {"harmonic tones", "k-osc renders", "real sounds"}
    assert set(report["time"]) == set(report["settings"])
    assert {"default", "22050 Hz, 40 ms, 1 s (before)"} <= set(report["settings"])
    for per in report["accuracy"].values():
        default = per["default"]
        assert default["hits"] >= 0.95 * default["clips"] > 0
    assert report["accuracy"]["real sounds"]["default"] == {
        "clips": 2,
        "hits": 2,
        "octave_errors": 0,
        "unpitched_verdicts": 0,
        "median_abs_error_st": pytest.approx(0.0, abs=0.05),
    }
    assert table.startswith("# Pitch detection")


def test_search_interference_runs_and_reports(tmp_path, monkeypatch) -> None:
    argv = ["--model", "kosc4", "--blocks", "1", "--block", "2"]
    report, table = _run_benchmark("search_interference", argv, tmp_path, monkeypatch)
    assert report["model"] == "kosc4" and report["searches"] == 1
    assert set(report["rows"]) == {
        "search running",
        "search running, paused during each answer (as the server does)",
        "no search",
    }
    assert report["pauses"] == 2  # once per held match of the paused block
    for row in report["rows"].values():
        assert row["count"] == 2 and 0 < row["p50_ms"] <= row["p99_ms"]
    assert "| no search | 2 |" in table


def test_first_answer_stages_runs_and_reports(tmp_path, monkeypatch) -> None:
    argv = ["--model", "kosc4", "--rounds", "3", "--warmup", "1"]
    report, table = _run_benchmark("first_answer_stages", argv, tmp_path, monkeypatch)
    assert report["model"] == "kosc4" and report["rounds"] == 3
    assert set(report["stages"]) >= {"prepare audio", "pitch and note", "whole match"}
    assert all(0 < row["p50_ms"] <= row["p99_ms"] for row in report["stages"].values())
    assert "| whole match |" in table


def test_int8_weights_runs_and_reports(tmp_path, monkeypatch, tiny_kosc4) -> None:
    data = tmp_path / "kosc-test.h5"
    render = ["dataset", "render", "--synth", "kosc", "--k", "4", "--count", "4", "--seed", "5"]
    render += ["--chunk-size", "4", "--out", str(data), "--audio"]
    subprocess.run([sys.executable, "-m", "patchflow", *render], check=True)
    argv = ["--run", str(tiny_kosc4.run_dir), "--data", str(data), "--rounds", "2"]
    argv += ["--export-args", "--method euler --steps 2 --fused", "--work", str(tmp_path / "w")]
    report, table = _run_benchmark("int8_weights", argv, tmp_path / "results", monkeypatch)
    assert set(report["first_answer"]) == {"float32", "int8"}
    assert set(report["evaluations"]) == {"float32/kosc-test", "int8/kosc-test"}
    assert "--weights int8" in report["commands"]["export"]["int8"]
    for metrics in report["evaluations"].values():
        assert metrics and all(np.isfinite(m["mean"]) for m in metrics.values())
    assert "| int8 |" in table
