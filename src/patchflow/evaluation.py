"""Evaluate predicted parameter sets by re-rendering them with the synth.

The pipeline behind ``patchflow evaluate`` and the benchmarks in ``benchmarks/``:

1. predictions: :func:`predict_run` (a training checkpoint, torch), :func:`predict_bundle` (an
   exported bundle, onnxruntime) or :func:`random_predictions` (the random-parameter reference);
2. :func:`evaluate_predictions`: render every predicted set with the synth and compare it with
   the target. k-osc gets ``lsd``, ``param_mse``, ``lac`` and ``chamfer`` (paper section 4.1.2);
   other synths get the four audio metrics of :func:`patchflow.metrics.audio_metrics` and
   ``param_mse``;
3. :func:`build_report` and :func:`write_report`: ``per_item.csv``, ``summary.json`` (mean,
   std and 95% interval per metric, plus the settings), ``summary.md`` and ``spectrograms.png``.

Noise for flow models is drawn once for the whole set from ``seed``, so results do not depend on
the batch size and a run and its exported bundle see the same noise. Torch is imported only
inside :func:`predict_run`.
"""

from __future__ import annotations

import csv
import datetime
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from patchflow import __version__
from patchflow.flow.solver import ODESolver
from patchflow.metrics.audio import METRIC_BETTER, audio_metrics
from patchflow.metrics.kosc import (
    POWER_FLOOR,
    chamfer_distance,
    linear_assignment_cost,
    log_spectral_distance,
    parameter_mse,
)
from patchflow.metrics.summary import markdown_table, summarize
from patchflow.spec import SynthSpec
from patchflow.synths.base import Synth, notes_for
from patchflow.synths.kosc import KOsc

log = logging.getLogger(__name__)

FILES = ("per_item.csv", "summary.json", "summary.md", "spectrograms.png")


class EvaluationError(ValueError):
    """Model and data do not fit together, or the settings are invalid."""


# --------------------------------------------------------------------------- synth and metrics


@dataclass(frozen=True)
class KOscLayout:
    """What a k-osc spec describes: ``k`` oscillators, symmetric or asymmetric."""

    k: int
    asymmetric: bool


def kosc_layout(spec: SynthSpec) -> KOscLayout | None:
    """The k-osc layout of a spec, or ``None`` for any other synth."""
    if not spec.synth.startswith("kosc"):
        return None
    k = sum(1 for name in spec.names if name.endswith("_freq_hz"))
    if k < 1 or spec.dim != 3 * k:
        raise EvaluationError(f"spec {spec.synth!r} looks like k-osc but is not laid out as 3k")
    return KOscLayout(k=k, asymmetric=spec.synth.endswith("-asym"))


def metric_better(spec: SynthSpec) -> dict[str, str]:
    """Metric name to ``"lower"``/``"higher"``, in table order, for a synth's evaluation.

    k-osc lists the paper's parameter metric second: LAC (symmetric) or MSE (asymmetric).
    """
    layout = kosc_layout(spec)
    if layout is None:
        return {**METRIC_BETTER, "param_mse": "lower"}
    order = (
        ("lsd", "param_mse", "lac", "chamfer")
        if layout.asymmetric
        else ("lsd", "lac", "chamfer", "param_mse")
    )
    return dict.fromkeys(order, "lower")


def synth_for_spec(spec: SynthSpec, name: str | None = None, **options: Any) -> Synth:
    """The synth that renders ``spec``: k-osc from the spec itself, others by registered name."""
    layout = kosc_layout(spec)
    if layout is not None:
        return KOsc(k=layout.k, asymmetric=layout.asymmetric)
    from patchflow.synths.registry import create_synth

    synth = create_synth(name or spec.synth, **options)
    if synth.spec.names != spec.names:
        raise EvaluationError(f"synth {name or spec.synth!r} does not have the spec's parameters")
    return synth


def _batches(n: int, batch_size: int) -> Iterator[slice]:
    if batch_size < 1:
        raise EvaluationError(f"batch size must be >= 1, got {batch_size}")
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="item", disable=not enabled, leave=False)


def render_encoded(synth: Synth, encoded: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Audio ``(N, C, T)`` of model-space vectors ``(N, D)`` (clamped to [-1, 1], then decoded)."""
    spec = synth.spec
    x = np.clip(np.asarray(encoded, dtype=np.float64), -1.0, 1.0)
    parts = []
    for sl in _batches(len(x), batch_size):
        native = spec.decode(x[sl])
        parts.append(synth.render(native, notes_for(spec, native)))
    if not parts:
        raise EvaluationError("nothing to render (0 items)")
    return np.concatenate(parts).astype(np.float32)


def _batch_metrics(
    synth: Synth, pred: np.ndarray, target: np.ndarray, target_audio: np.ndarray
) -> dict[str, np.ndarray]:
    pred_audio = render_encoded(synth, pred, batch_size=len(pred))
    layout = kosc_layout(synth.spec)
    if layout is None:
        out = audio_metrics(pred_audio, target_audio, synth.sample_rate)
        out["param_mse"] = parameter_mse(pred, target)
        return out
    return {
        "lsd": log_spectral_distance(pred_audio, target_audio),
        "param_mse": parameter_mse(pred, target),
        "lac": linear_assignment_cost(pred, target, layout.k),
        "chamfer": chamfer_distance(pred, target, layout.k),
    }


def evaluate_predictions(
    synth: Synth,
    pred: np.ndarray,
    target: np.ndarray,
    *,
    target_audio: np.ndarray | None = None,
    batch_size: int = 256,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """Per-item metrics of predicted against target parameter sets, both ``(N, D)`` encoded.

    Every prediction is clamped to [-1, 1], its fixed parameters set to their values (as
    :meth:`SynthSpec.decode` and serving do), decoded and rendered with ``synth``; the target
    audio is ``target_audio`` when given (e.g. stored in the dataset), else the targets are
    rendered too. Parameter metrics compare that prediction with the target.

    Args:
        synth: The synth (its ``spec`` decides k-osc or audio metrics).
        pred: Predicted model-space vectors, ``(N, D)``.
        target: Ground-truth model-space vectors, ``(N, D)``.
        target_audio: Ground-truth audio ``(N, C, T)``, or ``None`` to render it.
        batch_size: Items rendered and scored at a time.
        progress: Show a progress bar.

    Returns:
        Metric name to per-item values ``(N,)``, keys in :func:`metric_better` order.
    """
    pred = np.clip(np.asarray(pred, dtype=np.float64), -1.0, 1.0)
    target = np.asarray(target, dtype=np.float64)
    if pred.ndim == 2 and pred.shape[1] == synth.spec.dim:
        pred = synth.spec.snap_fixed_encoded(pred)
    if pred.ndim != 2 or pred.shape != target.shape or pred.shape[1] != synth.spec.dim:
        raise EvaluationError(
            f"pred {pred.shape} and target {target.shape} must both be (N, {synth.spec.dim})"
        )
    if target_audio is not None and len(target_audio) != len(target):
        raise EvaluationError(f"{len(target_audio)} target signals for {len(target)} targets")
    chunks: list[dict[str, np.ndarray]] = []
    with _progress(len(pred), "evaluate", progress) as bar:
        for sl in _batches(len(pred), batch_size):
            audio = (
                render_encoded(synth, target[sl], batch_size)
                if target_audio is None
                else np.asarray(target_audio[sl], dtype=np.float32)
            )
            chunks.append(_batch_metrics(synth, pred[sl], target[sl], audio))
            bar.update(sl.stop - sl.start)
    if not chunks:
        raise EvaluationError("nothing to evaluate (0 items)")
    order = list(metric_better(synth.spec))
    return {name: np.concatenate([c[name] for c in chunks]) for name in order}


# --------------------------------------------------------------------------- predictions


@dataclass(frozen=True)
class Predictions:
    """Predicted model-space vectors and what producing them cost.

    Attributes:
        encoded: Predictions clamped to [-1, 1], ``(N, D)``.
        nfe: Vector-field evaluations per item (solver steps x stages; 0 without a flow).
        rows_per_eval: Batch rows per evaluation and item: 2 when classifier-free guidance
            stacks the conditional and null conditioning into one call, else 1.
        seconds: Wall-clock seconds spent predicting (encoder included).
    """

    encoded: np.ndarray
    nfe: int
    rows_per_eval: int
    seconds: float


def network_evaluations(steps: int, method: str) -> int:
    """Vector-field evaluations of one solve, as counted by the shared :class:`ODESolver`."""
    solver = ODESolver(velocity=lambda x, t, cond: np.zeros_like(x))
    try:
        return solver.sample(x_init=np.zeros((1, 1)), steps=steps, method=method).nfe
    except ValueError as err:
        raise EvaluationError(str(err)) from None


def gaussian_noise(n: int, dim: int, seed: int) -> np.ndarray:
    """Initial noise of ``n`` flow samples: standard normal ``(n, dim)`` float32 from ``seed``."""
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def random_predictions(spec: SynthSpec, n: int, seed: int = 0) -> Predictions:
    """The random-parameter reference: ``n`` sets drawn from the spec's sampling distributions."""
    native = spec.sample(np.random.default_rng(seed), n)
    return Predictions(spec.encode(native), nfe=0, rows_per_eval=0, seconds=0.0)


def is_flow_model(model: Any) -> bool:
    """Flow models expose ``guided_velocity``; regression models ``predict``."""
    return hasattr(model, "guided_velocity")


def predict_run(
    checkpoint: Any,
    features: np.ndarray,
    *,
    steps: int,
    method: str,
    cfg_scale: float,
    seed: int = 0,
    batch_size: int = 256,
    progress: bool = False,
    notes: np.ndarray | None = None,
    temperature: float = 1.0,
) -> Predictions:
    """Predict with a training checkpoint (``patchflow.train.checkpoint.load_checkpoint``).

    Args:
        checkpoint: Loaded checkpoint (``model`` in eval mode, ``stats`` to standardise).
        features: Unstandardised features ``(N, *feature_shape)``.
        steps: ODE steps (flow models).
        method: ``euler``, ``midpoint`` or ``rk4`` (flow models).
        cfg_scale: Guidance scale (flow models; 1 is the plain conditional field).
        seed: Seed of the initial noise (drawn once for all ``N`` items).
        batch_size: Items per forward pass.
        progress: Show a progress bar.
        notes: MIDI note of each item ``(N,)`` for a note-conditioned model (the rendered notes
            of a dataset; NaN or negative: unknown); ``None``: every note unknown. Other
            models ignore it.
        temperature: Scale of the initial noise (flow models; 0: from the noise's mean).

    Returns:
        The predictions (full-spec vectors, the note in its column), clamped to [-1, 1].
    """
    import torch

    model = checkpoint.model
    flow = is_flow_model(model)
    nfe = network_evaluations(steps, method) if flow else 0
    feats = checkpoint.stats.apply(np.asarray(features))
    nc = getattr(model, "note_conditioning", None)
    fed = None if nc is None else nc.feed(notes, len(feats))
    # a note-conditioned model predicts the spec without its note column
    model_spec = getattr(model, "param_spec", checkpoint.spec)
    noise = gaussian_noise(len(feats), model_spec.dim, seed) * np.float32(temperature)
    device = next(model.parameters()).device
    out = np.empty((len(feats), checkpoint.spec.dim), dtype=np.float32)
    start = time.perf_counter()
    with torch.inference_mode(), _progress(len(feats), "predict", progress) as bar:
        for sl in _batches(len(feats), batch_size):
            f = torch.from_numpy(feats[sl]).to(device)
            extra = {} if fed is None else {"note": torch.from_numpy(fed[sl]).to(device)}
            if flow:
                z = torch.from_numpy(noise[sl]).to(device)
                x = model.sample(
                    f, steps=steps, method=method, cfg_scale=cfg_scale, noise=z, **extra
                )
            else:
                x = model.predict(f, **extra)
            x_np = x.float().cpu().numpy()
            if nc is not None and fed is not None:
                x_np = nc.insert(checkpoint.spec, np.clip(x_np, -1.0, 1.0), fed[sl])
            out[sl] = x_np
            bar.update(sl.stop - sl.start)
    seconds = time.perf_counter() - start
    rows = (2 if cfg_scale != 1.0 else 1) if flow else 1
    return Predictions(np.clip(out, -1.0, 1.0), nfe, rows, seconds)


def predict_bundle(
    bundle: Any,
    audio: np.ndarray,
    *,
    steps: int | None = None,
    method: str | None = None,
    cfg_scale: float | None = None,
    seed: int = 0,
    batch_size: int = 256,
    progress: bool = False,
    notes: np.ndarray | None = None,
    temperature: float | None = None,
) -> Predictions:
    """Predict with an exported bundle (numpy and onnxruntime only).

    Args:
        bundle: A :class:`patchflow.bundle.Bundle`.
        audio: Audio ``(N, C, T)`` at the model's sample rate and channel count.
        steps: ODE steps (``None``: the bundle's default).
        method: ODE method (``None``: the bundle's default).
        cfg_scale: Guidance scale (``None``: the bundle's default).
        seed: Seed of the initial noise (drawn once for all ``N`` items).
        batch_size: Items per call.
        progress: Show a progress bar.
        notes: MIDI note of each item ``(N,)`` for a note-conditioned bundle (NaN or negative:
            unknown); ``None``: every note unknown. Other bundles ignore it.
        temperature: Scale of the noise (``None``: the bundle's, as its one-shot answers).

    Returns:
        The predictions (full-spec vectors), clamped to [-1, 1].
    """
    from patchflow.inference import Predictor

    predictor = Predictor(bundle)
    fc = bundle.card.feature_config
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 3 or audio.shape[1] != fc.channels:
        raise EvaluationError(f"bundle needs audio (N, {fc.channels}, T), got {audio.shape}")
    scale = bundle.card.solver.temperature if temperature is None else temperature
    noise = gaussian_noise(len(audio), predictor.noise_dim, seed) * np.float32(scale)
    out = np.empty((len(audio), predictor.spec.dim), dtype=np.float32)
    nfe = 0
    start = time.perf_counter()
    with _progress(len(audio), "predict", progress) as bar:
        for sl in _batches(len(audio), batch_size):
            note = None if notes is None else np.asarray(notes)[sl]
            cond = predictor.encode(audio[sl], note=note)
            pred = predictor.sample(
                cond, noise[sl], steps=steps, method=method, cfg_scale=cfg_scale, note=note
            )
            out[sl], nfe = pred.encoded, pred.nfe
            bar.update(sl.stop - sl.start)
    seconds = time.perf_counter() - start
    # The exported vector field always evaluates conditional and null conditioning together.
    return Predictions(out, nfe, 2 if predictor.is_flow else 1, seconds)


# --------------------------------------------------------------------------- reports


@dataclass
class EvaluationReport:
    """Per-item metrics of one model on one dataset, their summary and the settings.

    Attributes:
        name: Model name (run folder, bundle name or ``random``).
        metrics: Metric name to per-item values ``(N,)``.
        summary: Output of :func:`patchflow.metrics.summarize` for ``metrics``.
        better: Metric name to ``"lower"``/``"higher"``.
        settings: Model, data, solver settings, ``n``, ``nfe``, ``seconds`` and anything else.
    """

    name: str
    metrics: dict[str, np.ndarray]
    summary: dict[str, dict]
    better: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "settings": self.settings,
            "metrics": self.summary,
            "better": self.better,
            "patchflow_version": __version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        }


def build_report(
    name: str,
    spec: SynthSpec,
    metrics: dict[str, np.ndarray],
    predictions: Predictions,
    settings: dict[str, Any] | None = None,
) -> EvaluationReport:
    """Summarise per-item metrics and record how they were obtained."""
    n = len(next(iter(metrics.values())))
    info = {
        "model": name,
        "synth": spec.synth,
        "n": n,
        "nfe": predictions.nfe,
        "rows_per_eval": predictions.rows_per_eval,
        "seconds": round(predictions.seconds, 3),
        **(settings or {}),
    }
    return EvaluationReport(name, metrics, summarize(metrics), metric_better(spec), info)


def _write_csv(path: Path, metrics: dict[str, np.ndarray]) -> None:
    names = list(metrics)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["item", *names])
        for i, row in enumerate(zip(*(metrics[m] for m in names), strict=True)):
            writer.writerow([i, *(f"{float(v):.6g}" for v in row)])


def report_markdown(report: EvaluationReport) -> str:
    """``summary.md``: the settings as a list, then a one-row table of ``mean ± ci95``."""
    lines = [f"# Evaluation: {report.name}", ""]
    lines += [f"- {key}: `{value}`" for key, value in report.settings.items()]
    lines += ["", markdown_table({report.name: report.summary}, list(report.better), report.better)]
    return "\n".join(lines)


def write_report(
    report: EvaluationReport,
    out: str | Path,
    *,
    target_audio: np.ndarray | None = None,
    pred_audio: np.ndarray | None = None,
    sample_rate: int | None = None,
) -> list[Path]:
    """Write ``per_item.csv``, ``summary.json``, ``summary.md`` and (with audio) the figure.

    Args:
        report: What to write.
        out: Output folder (created).
        target_audio: Target audio of the items to draw, ``(M, C, T)``.
        pred_audio: Reconstructions of the same items.
        sample_rate: Their sample rate.

    Returns:
        The paths written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in FILES]
    _write_csv(paths[0], report.metrics)
    paths[1].write_text(json.dumps(report.to_json(), indent=2) + "\n")
    paths[2].write_text(report_markdown(report))
    if target_audio is None or pred_audio is None or sample_rate is None:
        return paths[:3]
    first = next(iter(report.metrics))
    values = report.metrics[first]
    labels = [f"item {i}: {first} {values[i]:.3g}" for i in range(len(target_audio))]
    plot_reconstructions(target_audio, pred_audio, sample_rate, paths[3], report.name, labels)
    return paths


def _power_spectrum_db(audio: np.ndarray) -> np.ndarray:
    """The LSD's view of a mono-mixed ``(C, T)`` signal: rFFT power in dB with a -80 dB floor."""
    spec = np.fft.rfft(audio.mean(axis=0), norm="forward")
    return 10.0 * np.log10(np.maximum(np.abs(spec) ** 2, POWER_FLOOR))


def plot_reconstructions(
    target: np.ndarray,
    pred: np.ndarray,
    sample_rate: int,
    path: str | Path,
    title: str,
    labels: list[str] | None = None,
) -> None:
    """A figure of target against reconstruction for a handful of items ``(M, C, T)``.

    Short signals (k-osc's 1024 samples) are drawn as overlaid power spectra, the view the LSD
    measures; longer ones as pairs of spectrograms (target left, reconstruction right).
    ``labels`` titles each item (default ``item i``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from patchflow.render_match import spectrogram_db

    m = len(target)
    if m == 0 or len(pred) != m:
        raise EvaluationError(f"need matching, non-empty target and pred audio ({m}, {len(pred)})")
    labels = labels or [f"item {i}" for i in range(m)]
    if target.shape[-1] <= 4096:
        cols = min(3, m)
        rows = -(-m // cols)
        fig, axes = plt.subplots(
            rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False, constrained_layout=True
        )
        freqs_khz = np.fft.rfftfreq(target.shape[-1], 1 / sample_rate) / 1000
        for i, ax in enumerate(axes.flat):
            if i >= m:
                ax.axis("off")
                continue
            ax.plot(freqs_khz, _power_spectrum_db(target[i]), lw=1.0, label="target")
            ax.plot(freqs_khz, _power_spectrum_db(pred[i]), lw=0.8, label="reconstruction")
            ax.set_title(labels[i], fontsize=9)
            ax.set_xlabel("frequency (kHz)")
            ax.set_ylabel("power (dB)")
        axes.flat[0].legend(fontsize=8)
    else:
        fig, axes = plt.subplots(
            m, 2, figsize=(9, 2.4 * m), squeeze=False, sharey=True, constrained_layout=True
        )
        for i in range(m):
            pair = (spectrogram_db(target[i], sample_rate), spectrogram_db(pred[i], sample_rate))
            vmax = max(s.max() for s in pair)
            dur = target.shape[-1] / sample_rate
            for ax, s, label in zip(axes[i], pair, ("target", "reconstruction"), strict=True):
                ax.imshow(
                    s,
                    origin="lower",
                    aspect="auto",
                    vmin=vmax - 80,
                    vmax=vmax,
                    cmap="magma",
                    extent=(0, dur, 0, sample_rate / 2000),
                )
                ax.set_title(f"{labels[i]}: {label}", fontsize=9)
            axes[i, 0].set_ylabel("kHz")
        for ax in axes[-1]:
            ax.set_xlabel("time (s)")
    fig.suptitle(title)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def finish_evaluation(
    name: str,
    synth: Synth,
    predictions: Predictions,
    target: np.ndarray,
    *,
    target_audio: np.ndarray | None,
    out: str | Path | None,
    settings: dict[str, Any] | None = None,
    figure_items: int = 6,
    batch_size: int = 256,
    progress: bool = False,
) -> EvaluationReport:
    """Score predictions, build the report and (with ``out``) write every output file."""
    metrics = evaluate_predictions(
        synth,
        predictions.encoded,
        target,
        target_audio=target_audio,
        batch_size=batch_size,
        progress=progress,
    )
    report = build_report(name, synth.spec, metrics, predictions, settings)
    if out is not None:
        m = min(figure_items, len(target))
        if m > 0:
            shown = (
                target_audio[:m] if target_audio is not None else render_encoded(synth, target[:m])
            )
            recon = render_encoded(synth, predictions.encoded[:m])
            write_report(
                report, out, target_audio=shown, pred_audio=recon, sample_rate=synth.sample_rate
            )
        else:
            write_report(report, out)
    return report
