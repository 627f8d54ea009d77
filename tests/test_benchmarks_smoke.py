"""Smoke test of benchmarks/bridge_latency.py on a tiny bundle: it runs and writes its report.

Timing is never asserted; only the shape of the result.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

torch = pytest.importorskip("torch")

from patchflow.export.bundle_writer import ExportOptions, export_model  # noqa: E402
from patchflow.features import FeatureConfig, FeatureStats  # noqa: E402
from patchflow.nn.models import build_model  # noqa: E402
from patchflow.synths.kosc import kosc_spec  # noqa: E402
from patchflow.train.checkpoint import save_checkpoint  # noqa: E402
from patchflow.train.config import preset_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location(
        "_bench_bridge_latency", ROOT / "benchmarks" / "bridge_latency.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny k-osc flow model as a bundle and as a run directory with its checkpoint."""
    torch.manual_seed(0)
    config = preset_config("cnf-param2tok", "tiny")
    model = build_model(config.model, kosc_spec(4), FeatureConfig()).eval()
    stats = FeatureStats.identity(model.feature_config)
    root = tmp_path_factory.mktemp("bench")
    bundle = export_model(
        model,
        root / "kosc-tiny",
        stats=stats,
        inputs=torch.randn(4, 1, 513),
        options=ExportOptions(macros=4),
    )
    run_dir = root / "run"
    run_dir.mkdir()
    save_checkpoint(
        run_dir / "best.pt",
        model=model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        step=0,
        config=config,
        stats=stats,
        metrics={},
        state={},
    )
    return bundle, run_dir


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


def _run_benchmark(name: str, argv: list[str], out: Path) -> tuple[dict, str]:
    """Run ``benchmarks/NAME.py`` writing to ``out``; its JSON result and markdown table."""
    script = ROOT / "benchmarks" / f"{name}.py"
    cmd = [sys.executable, str(script), *argv, "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return json.loads((out / f"{name}.json").read_text()), (out / f"{name}.md").read_text()


def test_process_switch_runs_and_reports(tmp_path) -> None:
    argv = ["--megabytes", "4", "--turns", "1", "--block", "3"]
    result, table = _run_benchmark("process_switch", argv, tmp_path / "results")
    assert set(result["runs"]) == {"one process (control)", "two processes taking turns"}
    two = result["runs"]["two processes taking turns"]
    assert two["first call of a turn"]["n"] == 2 and two["other calls"]["n"] == 2
    assert "| run | calls | n | p50 ms |" in table


def test_osc_chunk_codec_runs_and_reports(tmp_path) -> None:
    argv = ["--floats", "16", "--calls", "2", "--repeats", "2"]
    result, table = _run_benchmark("osc_chunk_codec", argv, tmp_path / "results")
    assert result["floats_per_chunk"] == 16
    assert set(result["per_chunk"]) == {
        "encode (client)",
        "decode + parse (server)",
        "decode + parse (server), int zeros",
    }
    assert all(r["general_us"] > 0 and r["array_us"] > 0 for r in result["per_chunk"].values())
    assert "| per chunk | general codec us |" in table
