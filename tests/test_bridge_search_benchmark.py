"""``benchmarks/bridge_latency.py --search-load``: first answers measured while another client's
search runs (shape of the result only; timing is never asserted)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bridge_latency_under_search_load(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location(
        "_bench_bridge_latency_search", ROOT / "benchmarks" / "bridge_latency.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    try:
        spec.loader.exec_module(module)
        out = tmp_path / "results"
        argv = ["--model", "kosc4", "--requests", "4", "--warmup", "1", "--block", "2"]
        argv += ["--reference-requests", "1", "--search-load", "0.2", "--out", str(out)]
        result = module.main([*argv, "--name", "bridge_latency_search"])
    finally:
        del sys.modules[spec.name]
    saved = json.loads((out / "bridge_latency_search.json").read_text())
    assert saved == json.loads(json.dumps(result))
    assert "--budget-s 0.2" in result["server"]
    paths = [row["path"] for row in result["rows"]]
    assert {"in-process", "osc file", "zmq"} <= set(paths)
    assert "zmq x8 concurrent" not in paths
    assert any(note.startswith("Search load: budget 0.2 s") for note in result["notes"])
    assert "Loader errors" not in " ".join(result["notes"])
    assert all("another client's search running" in row["note"] for row in result["rows"][:3])
