"""benchmarks/search_quality.py at a tiny size: it runs and writes its three files."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def _benchmark(name: str) -> Iterator[ModuleType]:
    """benchmarks/search_quality.py loaded as module ``name`` (registered while in use)."""
    path = ROOT / "benchmarks" / "search_quality.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_search_quality_benchmark_writes_its_report(tmp_path):
    with _benchmark("_bench_search_quality") as module:
        argv = ["--kosc-targets", "1", "--amsynth-targets", "0", "--max-budget-s", "0.05"]
        result = module.main([*argv, "--out", str(tmp_path)])
    assert json.loads((tmp_path / "search_quality.json").read_text())["budgets_s"] == [0.05]
    assert set(result["kosc"]["project"]) == {"cnf", "prior"}
    rows = result["kosc"]["independent"]["cnf"]
    assert rows["0.05"][0] <= rows["first"][0]  # the search never returns worse than its start
    assert "| cnf |" in (tmp_path / "search_quality.md").read_text()
    assert (tmp_path / "search_quality.png").read_bytes()[:4] == b"\x89PNG"


def test_search_quality_benchmark_options(tmp_path):
    """Equal-render tables, the CPU clock, one renderer, one source and changed settings."""
    with _benchmark("_bench_search_quality_options") as module:
        argv = ["--kosc-targets", "1", "--amsynth-targets", "0", "--max-budget-s", "0.05",
                "--kosc-renderers", "project", "--render-budgets", "40,20", "--clock", "cpu",
                "--set", "first_proposals=8", "--out", str(tmp_path)]  # fmt: skip
        result = module.main(argv)
    kosc = result["kosc"]
    assert "independent" not in kosc and result["changes"] == {"first_proposals": 8}
    rows = kosc["render_budgets"]["cnf"]
    assert rows["40"][0] <= rows["20"][0] <= rows["first"][0]
    text = (tmp_path / "search_quality.md").read_text()
    assert "| 20 renders | 40 renders |" in text and "cpu-clock" in text


def test_amsynth_searches_use_the_models_spec():
    from patchflow.bundle import load_bundle
    from patchflow.inference import Predictor
    from patchflow.spec import load_spec

    with _benchmark("search_quality_spec") as sq:
        cnf, regression = (
            Predictor(load_bundle("amsynth")),
            Predictor(load_bundle("amsynth-regression")),
        )
        assert sq.model_spec(cnf, regression) == load_spec("amsynth_v2") != load_spec("amsynth")
        kosc = Predictor(load_bundle("kosc4"))
        with pytest.raises(SystemExit, match="different specs"):
            sq.model_spec(cnf, kosc)
