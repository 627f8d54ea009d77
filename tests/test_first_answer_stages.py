"""benchmarks/first_answer_stages.py at a tiny size: it runs and writes its report."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_first_answer_stages_benchmark_writes_its_report(tmp_path: Path) -> None:
    path = ROOT / "benchmarks" / "first_answer_stages.py"
    spec = importlib.util.spec_from_file_location("first_answer_stages_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        argv = ["--model", "kosc4", "--rounds", "3", "--warmup", "1", "--out", str(tmp_path)]
        assert module.main(argv) == 0
    finally:
        del sys.modules[spec.name]
    report = json.loads((tmp_path / "first_answer_stages.json").read_text())
    assert report["model"] == "kosc4" and report["rounds"] == 3
    assert set(report["stages"]) >= {"prepare audio", "pitch and note", "whole match"}
    for row in report["stages"].values():
        assert 0 < row["p50_ms"] <= row["p99_ms"]
    assert "| whole match |" in (tmp_path / "first_answer_stages.md").read_text()
