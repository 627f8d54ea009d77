"""The training loop: checkpoint/resume, validation, CSV and TensorBoard logs, progress bar.

Resuming: when ``RUN_DIR/last.pt`` exists the run continues from it with the same step count and
data order (batches, noise, times and CFG dropout are all seeded by ``(seed, step)``), so a
killed run that is restarted ends with the same weights as an uninterrupted one. ``metrics.csv``
(long format: ``step,tag,value``) is truncated to the resumed step, and TensorBoard events after
it are purged.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from patchflow.config import to_dict
from patchflow.nn.models import build_model
from patchflow.train.checkpoint import BEST, LAST, read_checkpoint, save_checkpoint
from patchflow.train.config import OptimConfig, TrainConfig
from patchflow.train.data import DataBatch, DataSource, Prefetcher, open_source
from patchflow.train.objective import make_objective

log = logging.getLogger(__name__)

# Config fields that may change when a run is resumed (they do not change the trajectory
# up to the resumed step).
RESUMABLE_CHANGES = ("steps", "num_threads", "checkpoint_minutes")


class ResumeError(ValueError):
    """The run directory holds a run with a different config or data."""


@dataclass
class TrainResult:
    """How a run ended.

    Attributes:
        run_dir: The run directory.
        step: Steps done.
        metrics: The last validation metrics.
        best: Best value of the validation metric so far (lower is better).
        metric_name: Name of that metric (``lsd_db`` for k-osc, else ``param_mse``).
        resumed_from: Step the run resumed from, or ``None`` for a fresh run.
    """

    run_dir: Path
    step: int
    metrics: dict[str, float]
    best: float | None
    metric_name: str
    resumed_from: int | None


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when available, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but torch sees no CUDA device")
    return torch.device(name)


def step_generator(seed: int, step: int) -> torch.Generator:
    """A CPU generator seeded by ``(seed, step)`` alone."""
    state = np.random.SeedSequence([seed, 424_242, step]).generate_state(2, np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 31 | int(state[1]) >> 1)


def lr_at(optim: OptimConfig, step: int, total: int) -> float:
    """Learning rate at ``step``: linear warmup, then constant or cosine decay."""
    if optim.warmup_steps and step < optim.warmup_steps:
        return optim.lr * (step + 1) / optim.warmup_steps
    if optim.schedule == "constant":
        return optim.lr
    span = max(total - optim.warmup_steps, 1)
    progress = min((step - optim.warmup_steps) / span, 1.0)
    floor = optim.min_lr_ratio
    return optim.lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


class MetricsLog:
    """``metrics.csv`` (``step,tag,value``) plus TensorBoard scalars under ``tb/``."""

    def __init__(self, run_dir: Path, start_step: int, tensorboard: bool = True) -> None:
        self.path = run_dir / "metrics.csv"
        rows = []
        if start_step > 0 and self.path.exists():
            with self.path.open(newline="") as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) <= start_step]
        with self.path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["step", "tag", "value"])
            writer.writerows([r["step"], r["tag"], r["value"]] for r in rows)
        self.file = self.path.open("a", newline="")
        self.writer = csv.writer(self.file)
        self.tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.tb = SummaryWriter(str(run_dir / "tb"), purge_step=start_step + 1)
            except ImportError:
                log.warning("tensorboard is not installed; logging to metrics.csv only")

    def add(self, step: int, tag: str, value: float) -> None:
        self.writer.writerow([step, tag, repr(float(value))])
        if self.tb is not None:
            self.tb.add_scalar(tag, value, step)

    def flush(self) -> None:
        self.file.flush()
        if self.tb is not None:
            self.tb.flush()

    def close(self) -> None:
        self.file.close()
        if self.tb is not None:
            self.tb.close()


def read_metrics(run_dir: str | Path) -> list[tuple[int, str, float]]:
    """The rows of a run's ``metrics.csv`` as ``(step, tag, value)``."""
    with (Path(run_dir) / "metrics.csv").open(newline="") as f:
        return [(int(r["step"]), r["tag"], float(r["value"])) for r in csv.DictReader(f)]


def _to_device(batch: DataBatch, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    params = torch.from_numpy(batch.params).to(device)
    features = torch.from_numpy(batch.features).to(device)
    return params, features


def validate(
    model: torch.nn.Module,
    objective: Any,
    source: DataSource,
    config: TrainConfig,
    device: torch.device,
) -> dict[str, float]:
    """Mean validation loss parts and audio/parameter metrics over the held-out batches."""
    model.eval()
    sums: dict[str, float] = {}
    with torch.no_grad():
        for i, batch in enumerate(source.val_batches()):
            params, features = _to_device(batch, device)
            gen = step_generator(config.seed + 1, i)
            out = objective(model, params, features, gen)
            values = {k: float(v) for k, v in out.parts.items()}
            pred = objective.predict(model, features, gen, config.val)
            values.update(source.metrics(pred.cpu().numpy().astype(np.float64), batch))
            for key, value in values.items():
                sums[key] = sums.get(key, 0.0) + value
    n = len(source.val_batches())
    return {key: value / n for key, value in sums.items()}


def _check_resume(config: TrainConfig, data: str, payload: dict[str, Any], run_dir: Path) -> None:
    saved, wanted = dict(payload["config"]), to_dict(config)
    for key in RESUMABLE_CHANGES:
        saved.pop(key, None)
        wanted.pop(key, None)
    if saved != wanted:
        diff = sorted(k for k in set(saved) | set(wanted) if saved.get(k) != wanted.get(k))
        raise ResumeError(
            f"{run_dir} holds a run with a different config ({', '.join(diff)}); "
            "rerun with the original settings or choose another --out"
        )
    if payload["state"].get("data") != data:
        raise ResumeError(
            f"{run_dir} was trained on {payload['state'].get('data')!r}, not {data!r}"
        )


def train(
    config: TrainConfig,
    *,
    data: str,
    run_dir: str | Path,
    device: str = "auto",
    progress: bool = True,
    tensorboard: bool = True,
) -> TrainResult:
    """Train (or resume) a run.

    Args:
        config: The run's config (a preset, possibly with overrides).
        data: ``stream:koscK[-asym]`` or an HDF5 dataset path.
        run_dir: Directory for checkpoints, ``config.json``, ``metrics.csv`` and ``tb/``.
        device: ``auto``, ``cpu`` or ``cuda``.
        progress: Show a tqdm progress bar (rate and ETA).
        tensorboard: Also write TensorBoard events.

    Returns:
        Steps done, the last validation metrics and the best metric value.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.num_threads)
    dev = resolve_device(device)
    resume = read_checkpoint(run_dir / LAST) if (run_dir / LAST).exists() else None
    if resume is not None:
        _check_resume(config, data, resume, run_dir)
    source = open_source(
        data,
        batch_size=config.batch_size,
        val_batch_size=config.val.batch_size,
        val_batches=config.val.batches,
        seed=config.seed,
        sort=config.sort_slots,
    )
    torch.manual_seed(config.seed)
    model = build_model(config.model, source.spec, source.feature_config).to(dev)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config.optim.lr, weight_decay=config.optim.weight_decay
    )
    objective = make_objective(config)
    start, metrics = 0, {}
    state: dict[str, Any] = {"data": data, "best": None, "accum": {}, "accum_count": 0}
    if resume is not None:
        model.load_state_dict(resume["model"])
        optimizer.load_state_dict(resume["optimizer"])
        start, metrics = int(resume["step"]), dict(resume["metrics"])
        state.update(resume["state"])
        log.info("resuming %s from step %d", run_dir, start)
    (run_dir / "config.json").write_text(json.dumps(to_dict(config), indent=2))
    n_params = sum(p.numel() for p in model.parameters())
    log.info("%s (%s): %.2fM parameters on %s; data %s", config.preset, config.size,
             n_params / 1e6, dev, source)  # fmt: skip
    logger = MetricsLog(run_dir, start, tensorboard)
    source.val_batches()  # render the held-out set before the prefetch thread starts
    prefetch = Prefetcher(source.train_batch, config.steps)
    bar = _progress_bar(config.steps, start, progress)
    last_save, window_t0 = time.monotonic(), time.monotonic()

    def checkpoint(step: int, name: str = LAST) -> None:
        save_checkpoint(
            run_dir / name,
            model=model,
            optimizer=optimizer,
            step=step,
            config=config,
            stats=source.stats,
            metrics=metrics,
            state=state,
        )

    try:
        for step in range(start, config.steps):
            params, features = _to_device(prefetch.get(step), dev)
            for group in optimizer.param_groups:
                group["lr"] = lr_at(config.optim, step, config.steps)
            model.train()
            out = objective(model, params, features, step_generator(config.seed, step))
            optimizer.zero_grad(set_to_none=True)
            out.total.backward()
            if config.optim.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.optim.grad_clip)
            optimizer.step()
            for key, value in out.parts.items():
                state["accum"][key] = state["accum"].get(key, 0.0) + float(value)
            state["accum_count"] += 1
            done = step + 1
            bar.update(1)
            if done % config.log_every == 0:
                n = state["accum_count"]
                for key, total in state["accum"].items():
                    logger.add(done, f"train/{key}", total / n)
                logger.add(done, "train/lr", optimizer.param_groups[0]["lr"])
                now = time.monotonic()
                rate = n * config.batch_size / max(now - window_t0, 1e-9)
                logger.add(done, "train/samples_per_s", rate)
                bar.set_postfix(loss=f"{state['accum']['loss'] / n:.4f}", refresh=False)
                state["accum"], state["accum_count"], window_t0 = {}, 0, now
            if done % config.val.every == 0 or done == config.steps:
                metrics = validate(model, objective, source, config, dev)
                for key, value in metrics.items():
                    logger.add(done, f"val/{key}", value)
                value = metrics.get(source.metric_name)
                log.info("step %d: %s", done, ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
                if value is not None and (state["best"] is None or value < state["best"]):
                    state["best"] = value
                    checkpoint(done, BEST)
                checkpoint(done)
                last_save = time.monotonic()
                logger.flush()
            elif (
                done % config.checkpoint_every == 0
                or time.monotonic() - last_save > 60 * config.checkpoint_minutes
            ):
                checkpoint(done)
                last_save = time.monotonic()
                logger.flush()
    finally:
        prefetch.close()
        bar.close()
        logger.close()
        if hasattr(source, "close"):
            source.close()
    return TrainResult(
        run_dir=run_dir,
        step=max(start, config.steps),
        metrics=metrics,
        best=state["best"],
        metric_name=source.metric_name,
        resumed_from=start if resume is not None else None,
    )


class _NoBar:
    def update(self, n: int) -> None: ...

    def set_postfix(self, **kwargs: Any) -> None: ...

    def close(self) -> None: ...


def _progress_bar(total: int, initial: int, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True, smoothing=0.05)
