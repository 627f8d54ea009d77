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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from patchflow.config import from_dict, to_dict
from patchflow.nn.models import build_model
from patchflow.train.checkpoint import BEST, LAST, read_checkpoint, save_checkpoint
from patchflow.train.config import OptimConfig, TrainConfig
from patchflow.train.data import DataBatch, DataSource, Prefetcher, open_source
from patchflow.train.ema import EmaWeights
from patchflow.train.objective import StepLoss, make_objective
from patchflow.train.warm_start import set_encoder_trainable, warm_start_encoder

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
        metric_name: Name of that metric (``lsd_db`` for k-osc, else the validation ``loss``).
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


def _to_device(
    batch: DataBatch, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    params = torch.from_numpy(batch.params).to(device)
    features = torch.from_numpy(batch.features).to(device)
    note = None if batch.note is None else torch.from_numpy(batch.note).to(device)
    return params, features, note


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
            params, features, note = _to_device(batch, device)
            gen = step_generator(config.seed + 1, i)
            out = objective(model, params, features, gen, note)
            values = {k: float(v) for k, v in out.parts.items()}
            pred = objective.predict(model, features, gen, config.val, note)
            values.update(source.metrics(pred.cpu().numpy().astype(np.float64), batch))
            for key, value in values.items():
                sums[key] = sums.get(key, 0.0) + value
    n = len(source.val_batches())
    return {key: value / n for key, value in sums.items()}


def _check_resume(config: TrainConfig, data: str, payload: dict[str, Any], run_dir: Path) -> None:
    # Through from_dict first, so that fields added since the checkpoint take their defaults.
    saved, wanted = to_dict(from_dict(TrainConfig, payload["config"])), to_dict(config)
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


class Trainer:
    """One run's model, optimiser, data and logs; :func:`train` drives it step by step."""

    def __init__(
        self,
        config: TrainConfig,
        data: str,
        run_dir: Path,
        device: torch.device,
        resuming: bool = False,
    ) -> None:
        self.config, self.data, self.run_dir, self.device = config, data, run_dir, device
        self.source = open_source(
            data,
            batch_size=config.batch_size,
            val_batch_size=config.val.batch_size,
            val_batches=config.val.batches,
            seed=config.seed,
            sort=config.sort_slots,
            note_conditioning=config.model.note_conditioning,
        )
        torch.manual_seed(config.seed)
        self.model = build_model(config.model, self.source.spec, self.source.feature_config)
        if config.init_encoder and not resuming:  # a resumed run has its own weights
            copied = warm_start_encoder(
                self.model, config.init_encoder, self.source.feature_config, self.source.stats
            )
            log.info("encoder started from %s (%d tensors)", config.init_encoder, len(copied))
        self.model.to(device)
        self.optimizer = torch.optim.Adam(
            self.model.parameters(), lr=config.optim.lr, weight_decay=config.optim.weight_decay
        )
        # make_objective pairs the objective with config.model.kind, as build_model does the model
        self.objective: Callable[..., StepLoss]
        self.objective = make_objective(config)
        self.ema = EmaWeights(self.model, config.ema_decay) if config.ema_decay > 0 else None
        self.step = 0
        self.metrics: dict[str, float] = {}
        self.state: dict[str, Any] = {"data": data, "best": None, "accum": {}, "accum_count": 0}

    def load(self, payload: dict[str, Any]) -> None:
        """Continue from a checkpoint dictionary."""
        self.model.load_state_dict(payload["model"])
        self.optimizer.load_state_dict(payload["optimizer"])
        if self.ema is not None:  # a checkpoint from before EMA starts its average here
            self.ema = EmaWeights(self.model, self.config.ema_decay)
            if "ema" in payload:
                self.ema.load_state_dict(payload["ema"])
        self.step, self.metrics = int(payload["step"]), dict(payload["metrics"])
        self.state.update(payload["state"])

    def save(self, name: str = LAST) -> None:
        save_checkpoint(
            self.run_dir / name,
            model=self.model,
            optimizer=self.optimizer,
            step=self.step,
            config=self.config,
            stats=self.source.stats,
            metrics=self.metrics,
            state=self.state,
            ema=None if self.ema is None else self.ema.state_dict(),
        )

    def train_step(self, batch: DataBatch) -> None:
        """One optimiser step on ``batch``; loss parts accumulate for the next log row."""
        config, step = self.config, self.step
        params, features, note = _to_device(batch, self.device)
        for group in self.optimizer.param_groups:
            group["lr"] = lr_at(config.optim, step, config.steps)
        self.model.train()
        if config.freeze_encoder_steps:
            set_encoder_trainable(self.model, step >= config.freeze_encoder_steps)
        gen = step_generator(config.seed, step)
        out = self.objective(self.model, params, features, gen, note)
        self.optimizer.zero_grad(set_to_none=True)
        out.total.backward()
        if config.optim.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.optim.grad_clip)
        self.optimizer.step()
        if self.ema is not None:
            self.ema.update(self.model)
        for key, value in out.parts.items():
            self.state["accum"][key] = self.state["accum"].get(key, 0.0) + float(value)
        self.state["accum_count"] += 1
        self.step += 1

    def log_window(self, logger: MetricsLog, seconds: float) -> float:
        """Write the mean training losses since the last row; returns the mean loss."""
        n = self.state["accum_count"]
        for key, total in self.state["accum"].items():
            logger.add(self.step, f"train/{key}", total / n)
        logger.add(self.step, "train/lr", self.optimizer.param_groups[0]["lr"])
        logger.add(
            self.step, "train/samples_per_s", n * self.config.batch_size / max(seconds, 1e-9)
        )
        loss = self.state["accum"]["loss"] / n
        self.state["accum"], self.state["accum_count"] = {}, 0
        return loss

    def evaluate(self, logger: MetricsLog) -> None:
        """Validate, log, and save ``last.pt`` (and ``best.pt`` on a new best metric).

        With EMA, ``val/*`` are the averaged weights' metrics (the weights that are exported)
        and ``val_raw/*`` the optimiser's weights'; without, ``val/*`` are the only weights.
        """
        self.metrics = validate(self.model, self.objective, self.source, self.config, self.device)
        if self.ema is not None:
            for key, metric in self.metrics.items():
                logger.add(self.step, f"val_raw/{key}", metric)
            with self.ema.applied(self.model):
                self.metrics = validate(
                    self.model, self.objective, self.source, self.config, self.device
                )
        for key, metric in self.metrics.items():
            logger.add(self.step, f"val/{key}", metric)
        summary = ", ".join(f"{k} {v:.4g}" for k, v in self.metrics.items())
        log.info("step %d: %s", self.step, summary)
        value = self.metrics.get(self.source.metric_name)
        if value is not None and (self.state["best"] is None or value < self.state["best"]):
            self.state["best"] = value
            self.save(BEST)
        self.save(LAST)

    def close(self) -> None:
        if hasattr(self.source, "close"):
            self.source.close()


def train(
    config: TrainConfig,
    *,
    data: str,
    run_dir: str | Path,
    device: str = "auto",
    progress: bool = True,
    tensorboard: bool = True,
    time_limit_s: float | None = None,
) -> TrainResult:
    """Train (or resume) a run.

    Args:
        config: The run's config (a preset, possibly with overrides).
        data: ``stream:koscK[-asym]`` or an HDF5 dataset path.
        run_dir: Directory for checkpoints, ``config.json``, ``metrics.csv`` and ``tb/``.
        device: ``auto``, ``cpu`` or ``cuda``.
        progress: Show a tqdm progress bar (rate and ETA).
        tensorboard: Also write TensorBoard events.
        time_limit_s: Stop early (after validating and saving ``last.pt``) once this much
            wall-clock time has passed; rerunning the same command continues the run.

    Returns:
        Steps done, the last validation metrics and the best metric value.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.num_threads)
    resume = read_checkpoint(run_dir / LAST) if (run_dir / LAST).exists() else None
    if resume is not None:
        _check_resume(config, data, resume, run_dir)
    trainer = Trainer(config, data, run_dir, resolve_device(device), resuming=resume is not None)
    if resume is not None:
        trainer.load(resume)
        log.info("resuming %s from step %d", run_dir, trainer.step)
    start = trainer.step
    (run_dir / "config.json").write_text(json.dumps(to_dict(config), indent=2))
    size = sum(p.numel() for p in trainer.model.parameters()) / 1e6
    log.info("%s (%s): %.2fM parameters on %s; %s", config.preset, config.size, size,
             trainer.device, trainer.source)  # fmt: skip
    logger = MetricsLog(run_dir, start, tensorboard)
    trainer.source.val_batches()  # render the held-out set before the prefetch thread starts
    prefetch = Prefetcher(trainer.source.train_batch, config.steps)
    bar = _progress_bar(config.steps, start, progress)
    t_start = last_save = window_t0 = time.monotonic()
    try:
        while trainer.step < config.steps:
            trainer.train_step(prefetch.get(trainer.step))
            done = trainer.step
            bar.update(1)
            if done % config.log_every == 0:
                now = time.monotonic()
                loss = trainer.log_window(logger, now - window_t0)
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
                window_t0 = now
            out_of_time = time_limit_s is not None and time.monotonic() - t_start > time_limit_s
            if done % config.val.every == 0 or done == config.steps or out_of_time:
                trainer.evaluate(logger)
            elif done % config.checkpoint_every == 0 or (
                time.monotonic() - last_save > 60 * config.checkpoint_minutes
            ):
                trainer.save(LAST)
            else:
                continue
            last_save = time.monotonic()
            logger.flush()
            if out_of_time:
                log.info("time limit of %.0f s reached at step %d", time_limit_s, done)
                break
    finally:
        prefetch.close()
        bar.close()
        logger.close()
        trainer.close()
    return TrainResult(
        run_dir=run_dir,
        step=trainer.step,
        metrics=trainer.metrics,
        best=trainer.state["best"],
        metric_name=trainer.source.metric_name,
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
