"""Tests for patchflow.evaluation, ``patchflow evaluate`` and the evaluation benchmarks.

Known answers without trained models first (true and permuted k-osc parameters, summary
intervals, written files), then real round trips through the CLI with tiny models trained for
a few steps, then the two benchmark scripts at
tiny settings and their decision rules on made-up numbers.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from patchflow.cli import main as patchflow_main
from patchflow.evaluation import (
    FILES,
    EvaluationError,
    Predictions,
    build_report,
    evaluate_predictions,
    finish_evaluation,
    gaussian_noise,
    kosc_layout,
    metric_better,
    network_evaluations,
    predict_run,
    random_predictions,
    render_encoded,
    write_report,
)
from patchflow.spec import Param, SynthSpec
from patchflow.synths.base import Note
from patchflow.synths.kosc import KOsc

ROOT = Path(__file__).resolve().parents[1]


def _permute(params: np.ndarray, k: int, perm: list[int]) -> np.ndarray:
    """Permute the (freq, amp, wave) oscillators of ``(N, 3k)`` vectors."""
    return params.reshape(len(params), 3, k)[:, :, perm].reshape(len(params), 3 * k)


def _targets(n: int, k: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (n, 3 * k)).astype(np.float32)


# --------------------------------------------------------------------------- k-osc known answers


def test_true_parameters_score_zero() -> None:
    synth = KOsc(k=4)
    target = _targets(40, 4)
    metrics = evaluate_predictions(synth, target, target, batch_size=16)
    assert list(metrics) == ["lsd", "lac", "chamfer", "param_mse"]
    for name, values in metrics.items():
        assert values.shape == (40,)
        np.testing.assert_allclose(values, 0.0, atol=1e-9, err_msg=name)


def test_permuted_oscillators_symmetric_same_sound_large_mse() -> None:
    synth = KOsc(k=4)
    target = _targets(64, 4, seed=1)
    pred = _permute(target, 4, [2, 0, 3, 1])
    m = evaluate_predictions(synth, pred, target)
    assert m["lsd"].max() < 1e-3  # the mix is a sum: the order of oscillators is inaudible
    np.testing.assert_allclose(m["lac"], 0.0, atol=1e-12)
    np.testing.assert_allclose(m["chamfer"], 0.0, atol=1e-12)
    assert m["param_mse"].mean() > 0.3  # about 2/3 for independent uniform slots


def test_permuted_oscillators_asymmetric_sound_different() -> None:
    synth = KOsc(k=4, asymmetric=True)
    target = _targets(32, 4, seed=2)
    m = evaluate_predictions(synth, _permute(target, 4, [1, 0, 3, 2]), target)
    assert list(m)[:2] == ["lsd", "param_mse"]  # the asymmetric headline metric is the MSE
    assert m["lsd"].mean() > 1.0  # slots have their own bands: swapping them is audible
    np.testing.assert_allclose(m["lac"], 0.0, atol=1e-12)


def test_stored_target_audio_equals_rerendering() -> None:
    synth = KOsc(k=3)
    target = _targets(20, 3, seed=3)
    pred = _targets(20, 3, seed=4)
    stored = render_encoded(synth, target)
    a = evaluate_predictions(synth, pred, target, target_audio=stored, batch_size=7)
    b = evaluate_predictions(synth, pred, target)
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-6, err_msg=name)


def test_predictions_are_clamped_before_scoring() -> None:
    synth = KOsc(k=2)
    target = np.clip(_targets(8, 2, seed=5) * 1.5, -1, 1)
    m = evaluate_predictions(synth, target * 3.0, target)  # clamps back to +-1 where |t| = 1
    saturated = np.all(np.abs(target) == 1.0, axis=1)
    np.testing.assert_allclose(m["param_mse"][saturated], 0.0)


def test_shape_errors_are_clear() -> None:
    synth = KOsc(k=2)
    with pytest.raises(EvaluationError, match=r"\(N, 6\)"):
        evaluate_predictions(synth, np.zeros((3, 5)), np.zeros((3, 5)))
    with pytest.raises(EvaluationError, match="target signals"):
        evaluate_predictions(
            synth, np.zeros((3, 6)), np.zeros((3, 6)), target_audio=np.zeros((2, 1, 1024))
        )


def test_kosc_layout_and_metric_order() -> None:
    assert kosc_layout(KOsc(k=8).spec).k == 8
    assert kosc_layout(KOsc(k=8, asymmetric=True).spec).asymmetric
    assert list(metric_better(KOsc(k=4).spec)) == ["lsd", "lac", "chamfer", "param_mse"]
    assert list(metric_better(KOsc(k=4, asymmetric=True).spec))[:2] == ["lsd", "param_mse"]


# --------------------------------------------------------------------------- other synths


class SineSynth:
    """A non-k-osc synth for the audio-metric path: a sine at ``freq_hz`` with gain ``amp``."""

    sample_rate, channels, num_samples = 16000, 1, 4000

    def __init__(self) -> None:
        params = (
            Param("freq_hz", "continuous", 100.0, 1000.0, "Hz", 440.0),
            Param("amp", "continuous", 0.1, 1.0, "", 0.5),
        )
        self.spec = SynthSpec("sine-test", 1, params, sample_rate=16000, duration_s=0.25)

    def render(self, params: np.ndarray, notes: list[Note] | None = None) -> np.ndarray:
        t = np.arange(self.num_samples) / self.sample_rate
        audio = params[:, 1:2] * np.sin(2 * np.pi * params[:, 0:1] * t)
        return audio[:, None, :].astype(np.float32)


def test_other_synths_get_audio_metrics() -> None:
    synth = SineSynth()
    target = np.array([[-0.5, 0.5], [0.5, -0.2], [0.0, 1.0]], np.float32)
    same = evaluate_predictions(synth, target, target)
    assert list(same) == ["mss", "wmfcc", "sot", "rms_cos", "param_mse"]
    for name in ("mss", "wmfcc", "sot", "param_mse"):
        np.testing.assert_allclose(same[name], 0.0, atol=1e-9, err_msg=name)
    np.testing.assert_allclose(same["rms_cos"], 1.0, atol=1e-9)
    other = evaluate_predictions(synth, target[::-1].copy(), target)
    assert other["mss"][0] > 1.0 and other["sot"][0] > 0.01


# --------------------------------------------------------------------------- predictions


def test_network_evaluations_follow_the_solver() -> None:
    assert network_evaluations(4, "euler") == 4
    assert network_evaluations(4, "midpoint") == 8
    assert network_evaluations(100, "rk4") == 400
    with pytest.raises(EvaluationError):
        network_evaluations(4, "heun")


def test_random_reference_is_deterministic_and_in_range() -> None:
    spec = KOsc(k=4).spec
    a, b = random_predictions(spec, 50, seed=3), random_predictions(spec, 50, seed=3)
    np.testing.assert_array_equal(a.encoded, b.encoded)
    assert a.encoded.shape == (50, 12) and np.abs(a.encoded).max() <= 1.0 and a.nfe == 0


class _FakeStats:
    def apply(self, features: np.ndarray) -> np.ndarray:
        return (features * 2.0).astype(np.float32)


class _FakeCheckpoint:
    def __init__(self, model: object) -> None:
        self.model, self.stats, self.spec = model, _FakeStats(), KOsc(k=2).spec


def test_predict_run_noise_is_independent_of_the_batch_size() -> None:
    import torch

    class FakeFlow(torch.nn.Module):
        """``sample`` returns its noise plus the mean of the standardised features."""

        def __init__(self) -> None:
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(()))

        def guided_velocity(self, *args: object) -> None: ...

        def sample(self, f, *, steps, method, cfg_scale, noise):
            return noise * 0.1 + f.mean(dim=(1, 2))[:, None]

    ckpt = _FakeCheckpoint(FakeFlow())
    features = np.random.default_rng(0).standard_normal((10, 1, 5)).astype(np.float32)
    a = predict_run(ckpt, features, steps=3, method="midpoint", cfg_scale=2.0, seed=7, batch_size=3)
    b = predict_run(
        ckpt, features, steps=3, method="midpoint", cfg_scale=2.0, seed=7, batch_size=100
    )
    np.testing.assert_allclose(a.encoded, b.encoded)
    expected = gaussian_noise(10, 6, 7) * 0.1 + (features * 2).mean(axis=(1, 2))[:, None]
    np.testing.assert_allclose(a.encoded, np.clip(expected, -1, 1), atol=1e-6)
    assert (a.nfe, a.rows_per_eval) == (6, 2)
    unguided = predict_run(ckpt, features, steps=3, method="rk4", cfg_scale=1.0)
    assert (unguided.nfe, unguided.rows_per_eval) == (12, 1)


def test_predict_run_regression() -> None:
    import torch

    class FakeRegression(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(()))

        def predict(self, f):
            return f[:, 0, :6] * 5.0

    features = np.linspace(-1, 1, 4 * 8, dtype=np.float32).reshape(4, 1, 8)
    out = predict_run(
        _FakeCheckpoint(FakeRegression()), features, steps=1, method="euler", cfg_scale=2.0
    )
    np.testing.assert_allclose(out.encoded, np.clip(features[:, 0, :6] * 10, -1, 1))
    assert (out.nfe, out.rows_per_eval) == (0, 1)


# --------------------------------------------------------------------------- reports


def test_summary_interval_and_files(tmp_path: Path) -> None:
    spec = KOsc(k=2).spec
    metrics = {name: np.array([1.0, 2.0, 3.0, 4.0]) for name in metric_better(spec)}
    preds = Predictions(np.zeros((4, 6), np.float32), nfe=8, rows_per_eval=2, seconds=0.5)
    report = build_report("toy", spec, metrics, preds, {"steps": 4, "method": "midpoint"})
    lsd = report.summary["lsd"]
    std = math.sqrt(5 / 3)  # sample std of 1..4
    assert lsd["mean"] == pytest.approx(2.5) and lsd["std"] == pytest.approx(std)
    assert lsd["ci95"] == pytest.approx(1.96 * std / 2)
    synth = KOsc(k=2)
    audio = render_encoded(synth, _targets(2, 2))
    paths = write_report(
        report, tmp_path, target_audio=audio, pred_audio=audio[::-1], sample_rate=44100
    )
    assert [p.name for p in paths] == list(FILES)
    with open(tmp_path / "per_item.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and float(rows[2]["lac"]) == 3.0
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["settings"]["nfe"] == 8 and saved["settings"]["n"] == 4
    assert saved["metrics"]["lsd"]["ci95"] == pytest.approx(1.96 * std / 2)
    md = (tmp_path / "summary.md").read_text()
    assert "| toy | 2.5 ± 1.3 |" in md and "lsd ↓" in md
    assert (tmp_path / "spectrograms.png").read_bytes()[:4] == b"\x89PNG"


def test_finish_evaluation_writes_everything(tmp_path: Path) -> None:
    synth = SineSynth()
    target = np.array([[-0.5, 0.5], [0.5, -0.2]], np.float32)
    preds = Predictions(target.copy(), nfe=0, rows_per_eval=1, seconds=0.0)
    report = finish_evaluation("sine", synth, preds, target, target_audio=None, out=tmp_path)
    assert report.summary["mss"]["mean"] == pytest.approx(0.0, abs=1e-9)
    assert all((tmp_path / name).is_file() for name in FILES)  # long audio: spectrogram pairs


# --------------------------------------------------------------------------- CLI round trips


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Tiny k-osc (k=2) CNF and FFN runs trained for 4 steps, and a 32-item test set."""
    root = tmp_path_factory.mktemp("tiny")
    out = {"data": root / "test.h5"}
    assert (
        patchflow_main(
            [
                "dataset",
                "render",
                "--synth",
                "kosc",
                "--k",
                "2",
                "--count",
                "32",
                "--seed",
                "789",
                "--out",
                str(out["data"]),
                "--audio",
            ]
        )
        == 0
    )
    for preset in ("cnf-param2tok", "ffn-mse"):
        out[preset] = root / preset
        argv = [
            "train",
            "--preset",
            preset,
            "--size",
            "tiny",
            "--data",
            "stream:kosc2",
            "--out",
            str(out[preset]),
            "--steps",
            "4",
            "--threads",
            "1",
            "--no-progress",
            "--no-tensorboard",
        ]
        assert patchflow_main(argv) == 0
    yield out


def test_cli_evaluate_cnf_run(tiny_runs: dict[str, Path], tmp_path: Path, capsys) -> None:
    out = tmp_path / "eval"
    argv = [
        "evaluate",
        "--run",
        str(tiny_runs["cnf-param2tok"]),
        "--data",
        str(tiny_runs["data"]),
        "--out",
        str(out),
        "--steps",
        "2",
        "--method",
        "midpoint",
        "--cfg",
        "2",
        "--limit",
        "20",
        "--no-progress",
        "--seed",
        "3",
    ]
    assert patchflow_main(argv) == 0
    assert "4 network evaluations" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    s = summary["settings"]
    assert (s["n"], s["nfe"], s["rows_per_eval"], s["method"], s["steps"]) == (
        20,
        4,
        2,
        "midpoint",
        2,
    )
    assert set(summary["metrics"]) == {"lsd", "lac", "chamfer", "param_mse"}
    assert all((out / name).is_file() for name in FILES)
    again = tmp_path / "again"
    assert patchflow_main([*argv[:6], str(again), *argv[7:]]) == 0  # same seed, same numbers
    with open(out / "per_item.csv") as a, open(again / "per_item.csv") as b:
        assert a.read() == b.read()


def test_cli_evaluate_regression_run(tiny_runs: dict[str, Path], tmp_path: Path) -> None:
    argv = [
        "evaluate",
        "--run",
        str(tiny_runs["ffn-mse"]),
        "--data",
        str(tiny_runs["data"]),
        "--out",
        str(tmp_path),
        "--no-progress",
    ]
    assert patchflow_main(argv) == 0
    s = json.loads((tmp_path / "summary.json").read_text())["settings"]
    assert (s["n"], s["nfe"], s["steps"], s["method"]) == (32, 0, 0, "none")


def test_cli_evaluate_refuses_mismatched_data(
    tiny_runs: dict[str, Path], tmp_path: Path, capsys
) -> None:
    other = tmp_path / "k3.h5"
    assert (
        patchflow_main(
            [
                "dataset",
                "render",
                "--synth",
                "kosc",
                "--k",
                "3",
                "--count",
                "4",
                "--out",
                str(other),
            ]
        )
        == 0
    )
    argv = [
        "evaluate",
        "--run",
        str(tiny_runs["ffn-mse"]),
        "--data",
        str(other),
        "--out",
        str(tmp_path / "x"),
    ]
    assert patchflow_main(argv) == 2
    assert "kosc3" in capsys.readouterr().err


# --------------------------------------------------------------------------- benchmarks


def _load_script(name: str) -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location(
        f"_bench_{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.fixture(scope="module")
def repro() -> Iterator[ModuleType]:
    yield from _load_script("kosc_reproduction")


@pytest.fixture(scope="module")
def few_step() -> Iterator[ModuleType]:
    yield from _load_script("few_step_study")


def _paper_like() -> dict[tuple[str, int, str], dict[str, float]]:
    """Made-up means with the pattern section 4.1.3 describes (k = 4)."""
    sym = {
        "cnf-equivariant": (1.0, 0.010),
        "cnf-param2tok": (1.05, 0.011),
        "cnf-mlp": (3.0, 0.05),
        "ffn-sort": (4.0, 0.06),
        "ffn-chamfer": (3.5, 0.055),
        "ffn-mse": (10.0, 0.2),
    }
    asym = {
        "ffn-mse": (1.0, 0.010),
        "cnf-mlp": (1.05, 0.011),
        "cnf-param2tok": (1.1, 0.012),
        "cnf-equivariant": (5.0, 0.30),
        "ffn-chamfer": (4.5, 0.25),
    }
    res = {("sym", 4, p): {"lsd": a, "lac": b, "param_mse": 5 * b} for p, (a, b) in sym.items()}
    for p, (a, b) in asym.items():
        res[("asym", 4, p)] = {
            "lsd": a,
            "param_mse": b,
            "lac": b / 4 if p == "cnf-equivariant" else b,
        }
    return res


def test_claim_rules_known_answers(repro: ModuleType) -> None:
    res = _paper_like()
    verdicts = [c["verdict"] for c in repro.judge_claims(res, [4])]
    assert verdicts == ["reproduced"] * len(repro.CLAIMS)
    # k = 8 where FFN (MSE) wins the symmetric condition: claim 1 holds only at k = 4.
    for (v, _, p), row in list(res.items()):
        res[(v, 8, p)] = dict(row)
    res[("sym", 8, "ffn-mse")] = {"lsd": 0.5, "lac": 0.001, "param_mse": 0.005}
    first = repro.judge_claims(res, [4, 8])[0]
    assert first["verdict"] == "partly (k=4: yes, k=8: no)"
    # Without CNF (Equivariant) its claims cannot be judged.
    res = {key: row for key, row in _paper_like().items() if key[2] != "cnf-equivariant"}
    assert repro.judge_claims(res, [4])[0]["verdict"] == "not tested"


def test_few_step_choice_known_answer(few_step: ModuleType) -> None:
    def row(run: str, cfg: float, method: str, steps: int, lsd: float) -> dict:
        nfe = steps * {"euler": 1, "midpoint": 2, "rk4": 4}[method]
        return {
            "run": run,
            "cfg": cfg,
            "method": method,
            "steps": steps,
            "nfe": nfe,
            "metrics": {"lsd": {"mean": lsd, "ci95": 0.1}},
        }

    rows = []
    for run, shift in (("a", 0.0), ("b", 0.1)):
        rows += [
            row(run, 1.0, "rk4", 100, 2.0 + shift),
            row(run, 1.0, "euler", 2, 2.05 + shift),
            row(run, 2.0, "rk4", 100, 1.0 + shift),
            row(run, 2.0, "euler", 2, 1.2 + shift),
            row(run, 2.0, "midpoint", 2, 1.04 + shift),
            row(run, 2.0, "rk4", 1, 1.03 + shift),
            row(run, 2.0, "euler", 8, 1.5 + shift),
        ]
    choice = few_step.choose(rows, "lsd", 100, 0.05)
    assert choice["best_cfg"] == 2.0
    d = choice["serving_default"]
    # midpoint x 2 and rk4 x 1 both cost 4 evaluations and are within 5%; rk4 x 1 is closer.
    assert (d["method"], d["steps"], d["nfe"]) == ("rk4", 1, 4)
    cheapest = {(r["run"], r["cfg"]): r["cheapest"]["method"] for r in choice["per_run"]}
    assert cheapest[("a", 1.0)] == "euler"


@pytest.mark.slow
def test_benchmark_scripts_tiny(tmp_path: Path) -> None:
    results = tmp_path / "results"
    repro_cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "kosc_reproduction.py"),
        "--steps",
        "3",
        "--k",
        "2",
        "--presets",
        "cnf-param2tok",
        "ffn-mse",
        "--size",
        "tiny",
        "--test-count",
        "32",
        "--eval-steps",
        "2",
        "--out-dir",
        str(tmp_path / "runs"),
        "--results",
        str(results),
        "--threads",
        "1",
        "--device",
        "cpu",
    ]
    done = subprocess.run(repro_cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((results / "kosc_reproduction.json").read_text())
    assert {(r["variant"], r["preset"]) for r in report["rows"]} == {
        (v, p) for v in ("sym", "asym") for p in ("cnf-param2tok", "ffn-mse", "random")
    }
    assert report["settings"]["steps"] == 3 and len(report["claims"]) == 12
    md = (results / "kosc_reproduction.md").read_text()
    assert "## Claims of section 4.1.3" in md and "Command: `python benchmarks/" in md
    assert (results / "kosc_reproduction.png").is_file()
    # --report-only trains nothing: with k = 3 added, its cells are listed as not run
    partial = results / "partial"
    only = [*repro_cmd, "--report-only"]
    only.insert(only.index("--k") + 2, "3")  # --k 2 3
    only[only.index(str(results))] = str(partial)
    done = subprocess.run(only, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((partial / "kosc_reproduction.json").read_text())
    assert {r["k"] for r in report["rows"] if r["preset"] != "random"} == {2}
    assert sorted(report["not_run"]) == sorted(
        f"{v}-k3/{p}" for v in ("sym", "asym") for p in ("cnf-param2tok", "ffn-mse")
    )
    assert "**Not run**" in (partial / "kosc_reproduction.md").read_text()
    assert not (tmp_path / "runs" / "sym-k3" / "ffn-mse").exists()
    few_cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "few_step_study.py"),
        "--repro-dir",
        str(tmp_path / "runs"),
        "--test-count",
        "32",
        "--methods",
        "euler",
        "rk4",
        "--steps-grid",
        "1",
        "2",
        "--reference-steps",
        "4",
        "--cfg",
        "1",
        "2",
        "--results",
        str(results),
        "--threads",
        "1",
    ]
    done = subprocess.run(few_cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "serving default:" in done.stdout
    study = json.loads((results / "few_step.json").read_text())
    assert len(study["rows"]) == 2 * 2 * 5  # 2 runs x 2 cfg x (2 methods x 2 steps + reference)
    assert (results / "few_step.md").is_file() and (results / "few_step.png").is_file()
