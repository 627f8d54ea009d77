"""Smoke test of benchmarks/amsynth_models.py at the tiny size on real amsynth renders.

The whole chain the shipped amsynth model went through, in miniature: render a training and a
test set, train the three presets (``--train-missing``), evaluate them with the real-synth
metrics (re-rendered by amsynth; the CNFs with a guidance sweep), export the best CNF at its
best guidance scale with a fused sampler, evaluate the bundles, write the tables, the plots,
the curves and the figure; then a rerun of the same command does no work again (resumable).

The script's ``patchflow`` verbs run in this process (``patchflow.cli.main``) instead of one
subprocess each, so torch is imported once for the whole chain.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from patchflow.cli import main as patchflow_main

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.amsynth, pytest.mark.needs("amsynth")]


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, list[list[str]]]]:
    """benchmarks/amsynth_models.py with its verbs run in process; the list records each call."""
    spec = importlib.util.spec_from_file_location(
        "_bench_amsynth_models", ROOT / "benchmarks" / "amsynth_models.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    calls: list[list[str]] = []

    def in_process(*args: str, log: Path | None = None) -> str:
        calls.append(list(args))
        with contextlib.ExitStack() as stack:
            if log is not None:  # like the script: the verb's output and log lines to the file
                stream = stack.enter_context(open(log, "a"))
                stack.enter_context(contextlib.redirect_stdout(stream))
                handler = logging.StreamHandler(stream)
                handler.setFormatter(
                    logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
                )
                root = logging.getLogger()
                root.addHandler(handler)
                stack.callback(root.removeHandler, handler)
                stack.callback(root.setLevel, root.level)  # INFO lines, as from the CLI
                root.setLevel(logging.INFO)
            assert patchflow_main(list(args)) == 0, args
        return shlex.join(["patchflow", *args])

    try:
        spec.loader.exec_module(module)
        monkeypatch.setattr(module, "patchflow", in_process)
        yield module, calls
    finally:
        del sys.modules[spec.name]


def test_amsynth_models_script_end_to_end(
    tmp_path: Path, bench: tuple[ModuleType, list[list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    module, calls = bench
    argv = [
        "amsynth_models.py",
        "--data", str(tmp_path / "train.h5"),
        "--test", str(tmp_path / "test.h5"),
        "--val", str(tmp_path / "val.h5"),
        "--runs-dir", str(tmp_path / "runs"),
        "--train-missing",
        "--steps", "10",
        "--size", "tiny",
        "--cfgs", "1", "3",
        "--temperatures", "1", "0",
        "--train-count", "24",
        "--test-count", "4",
        "--workers", "1",
        "--out", str(tmp_path / "bundle"),
        "--results", str(tmp_path / "results"),
    ]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    assert module.main() == 0
    verbs = [c[0] for c in calls]
    # 3 renders, 3 trainings, 11 evaluations of runs on the test set (per CNF: the paper's
    # sampler and 2 guidance scales x 2 temperatures) and 9 on the validation set (the serving
    # settings and the regression), 2 exports, 2 evaluations of the bundles
    assert sorted(set(verbs)) == ["dataset", "evaluate", "export", "train"]
    assert verbs.count("dataset") == 3
    assert verbs.count("train") == 3 and verbs.count("export") == 2
    assert verbs.count("evaluate") == 11 + 9 + 2
    val_calls = [c for c in calls if c[0] == "evaluate" and str(tmp_path / "val.h5") in c]
    assert len(val_calls) == 9
    assert all(c[c.index("--threads") + 1] == "1" for c in calls if c[0] == "evaluate")
    results = tmp_path / "results"
    report = json.loads((results / "amsynth_models.json").read_text())
    chosen_preset = report["shipped"]["preset"]
    assert chosen_preset in ("ast-cnf-param2tok", "ast-cnf-mlp")
    assert set(report["evaluations"]) == {
        f"{p}/{tag}"
        for p in ("ast-cnf-param2tok", "ast-cnf-mlp")
        for tag in ("paper", "serving-w1", "serving-w3", "serving-w1-t0", "serving-w3-t0")
    } | {"ast-regression/direct"}
    for summary in [*report["evaluations"].values(), report["random"], report["bundle"]]:
        assert set(summary["metrics"]) >= {"mss", "wmfcc", "sot", "rms_cos", "param_mse"}
        assert summary["metrics"]["mss"]["n"] == 4
    # the shipped guidance scale and temperature are the chosen CNF's best of the sweep on the
    # validation set, and the bundle (onnxruntime) scores what its run scored in PyTorch on the
    # test set at that sampler
    w, t = report["best_serving_cfg"][chosen_preset]
    tags = {
        (c, temp): f"{chosen_preset}/serving-w{c:g}{suffix}"
        for c in (1.0, 3.0)
        for temp, suffix in ((1.0, ""), (0.0, "-t0"))
    }
    val = {
        k: report["validation_evaluations"][tag]["metrics"]["mss"]["mean"]
        for k, tag in tags.items()
    }
    assert val[w, t] == min(val.values())
    sweep = {k: report["evaluations"][tag] for k, tag in tags.items()}
    assert report["bundle"]["metrics"]["mss"]["mean"] == pytest.approx(
        sweep[w, t]["metrics"]["mss"]["mean"], rel=1e-3
    )
    card = json.loads((tmp_path / "bundle" / "card.json").read_text())
    assert card["graphs"].get("sampler"), "exported with a fused sampler"
    assert card["solver"]["cfg_scale"] == w and card["solver"]["temperature"] == t
    # each run: one training session, its own command, note-conditioned (amsynth spec)
    for preset, run in report["runs"].items():
        assert run["sessions"] == 1 and len(run["commands"]) == 1, preset
        assert "--note-conditioning" in run["commands"][0] and run["note_conditioning"]
        assert run["steps"] == 10
    md = (results / "amsynth_models.md").read_text()
    assert "one-shot CNF mss ≤ regression mss" in md and "PARAM2TOK > MLP > regression" in md
    assert "paired difference" in md and "on the validation set" in md
    assert "![curves](amsynth_curves.png)" in md
    reg_card = json.loads((tmp_path / "bundle-regression" / "card.json").read_text())
    assert reg_card["preset"] == "ast-regression"
    assert report["bundle_regression"]["metrics"]["mss"]["mean"] == pytest.approx(
        report["evaluations"]["ast-regression/direct"]["metrics"]["mss"]["mean"], rel=1e-3
    )
    for name in ("amsynth_models.png", "amsynth_curves.png", "amsynth_reconstructions.png"):
        assert (results / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    calls.clear()
    assert module.main() == 0
    assert calls == [], "a rerun repeats no finished step"
