"""Deterministic, parallel, resumable dataset rendering to HDF5.

Item ``i`` is drawn from its own seed ``(seed, i, attempt)``, so the same command always produces
the same file, whatever the number of workers. Work is split into chunks; each finished chunk is
written atomically to ``OUT.partial/`` and the final HDF5 file is assembled (with feature
statistics) once every chunk exists. A killed run picks up the finished chunks when the same
command is run again, so no item is rendered twice into the file or lost. Renders quieter than
``min_rms_db`` are rejected and redrawn with the next attempt seed. The file layout is documented
in ``docs/dataset-format.md``.

Parallel rendering (and any plugin synth, even with one worker) runs in supervised worker
processes that each own one synth instance (:mod:`patchflow.data.workers`). A chunk whose worker
crashes, hangs past ``timeout_s`` or raises is retried once, then split in halves until the
failing item is alone; that item's draw is skipped and logged, and it is redrawn with its next
attempt seed (as for a quiet render), so one bad patch never kills the job. Only when an item
fails on ``max_attempts`` draws, or failures pile up beyond a budget, does rendering stop with a
:class:`RenderError`; the finished chunks are kept and the same command resumes.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from patchflow import __version__
from patchflow.config import from_dict, to_dict
from patchflow.data.workers import TaskResult, WorkerInitError, WorkerPool
from patchflow.features import FeatureConfig, FeatureExtractor, RunningStats
from patchflow.spec import SynthSpec
from patchflow.synths.base import Synth, notes_for
from patchflow.synths.registry import SYNTHS, create_synth, synth_spec

log = logging.getLogger(__name__)

DATASET_FORMAT = "patchflow-dataset"
DATASET_FORMAT_VERSION = 1


class RenderError(RuntimeError):
    """Rendering could not complete (the message says which chunk and why)."""


@dataclass(frozen=True)
class RenderConfig:
    """Everything that determines a dataset's contents.

    Attributes:
        synth: Registered synth name (``patchflow synths``).
        count: Number of items.
        seed: Base seed; item ``i`` uses seed ``(seed, i, attempt)``.
        k: Oscillator count (k-osc only).
        asymmetric: Asymmetric k-osc variant.
        plugin: Plugin path for plugin synths (``None``: the spec's default path).
        backend: Plugin host, ``pedalboard`` or ``dawdreamer`` (``None``: by file type).
        preset: Plugin preset file loaded before every render (Surge XT Simple's routing).
        chunk_size: Items per work unit and per HDF5 chunk.
        store_audio: Also store the rendered audio.
        min_rms_db: Reject and redraw renders whose RMS is below this level (dBFS).
        max_attempts: Draws per item: quiet renders are kept (and logged) after this many; an
            item whose renders crash or hang this many times stops the job.
        timeout_s: Seconds before a chunk's render counts as hung (its worker is killed and the
            chunk retried, split, and the hanging item redrawn).
    """

    synth: str = "kosc"
    count: int = 1000
    seed: int = 0
    k: int = 4
    asymmetric: bool = False
    plugin: str | None = None
    backend: str | None = None
    preset: str | None = None
    chunk_size: int = 1024
    store_audio: bool = False
    min_rms_db: float | None = None
    max_attempts: int = 20
    timeout_s: float = 600.0

    def synth_options(self) -> dict:
        if self.synth == "kosc":
            return {"k": self.k, "asymmetric": self.asymmetric}
        options = {"plugin": self.plugin, "backend": self.backend, "preset": self.preset}
        return {k: v for k, v in options.items() if v is not None}

    def content_key(self) -> dict:
        """Fields that change the file's contents (``timeout_s`` does not)."""
        d = to_dict(self)
        d.pop("timeout_s")
        return d


def feature_config_for(spec: SynthSpec, synth_name: str) -> FeatureConfig:
    """The feature front-end a synth's models use: |rFFT| for k-osc, log-mel otherwise."""
    kind = "rfft" if synth_name == "kosc" else "logmel"
    return FeatureConfig(
        kind=kind,
        sample_rate=spec.sample_rate,
        num_samples=spec.num_samples,
        channels=spec.channels,
    )


def item_rng(seed: int, index: int, attempt: int = 0) -> np.random.Generator:
    """The generator of item ``index``: independent of chunking and worker count."""
    return np.random.default_rng([seed, index, attempt])


def rms_db(audio: np.ndarray) -> np.ndarray:
    """RMS level in dBFS per item of ``(N, C, T)`` audio."""
    rms = np.sqrt(np.mean(np.square(audio, dtype=np.float64), axis=(1, 2)))
    return 20 * np.log10(np.maximum(rms, 1e-10))


@dataclass
class Chunk:
    """One rendered work unit."""

    start: int
    params: np.ndarray  # (n, D) encoded
    native: np.ndarray  # (n, P)
    features: np.ndarray  # (n, *feature_shape)
    audio: np.ndarray | None  # (n, C, T)
    attempts: np.ndarray  # (n,) number of draws used


SynthFactory = Callable[[RenderConfig], Synth]

_WORKER_SYNTH: Synth | None = None


def _make_synth(config: RenderConfig, synth_factory: SynthFactory | None = None) -> Synth:
    if synth_factory is not None:
        return synth_factory(config)
    return create_synth(config.synth, **config.synth_options())


def _worker_init(config_dict: dict, synth_factory: SynthFactory | None = None) -> None:
    global _WORKER_SYNTH
    _WORKER_SYNTH = _make_synth(from_dict(RenderConfig, config_dict), synth_factory)


def render_chunk(
    config: RenderConfig,
    start: int,
    stop: int,
    synth: Synth | None = None,
    first_attempts: Mapping[int, int] | None = None,
) -> Chunk:
    """Render items ``start..stop-1`` (deterministic; rejection by loudness with redraws).

    ``first_attempts`` maps an item to the attempt seed of its first draw (default 0); the
    renderer uses it to skip draws that crashed or hung the synth.
    """
    synth = synth if synth is not None else _WORKER_SYNTH
    if synth is None:
        synth = create_synth(config.synth, **config.synth_options())
    spec = synth.spec
    first = first_attempts or {}
    attempts = np.array([first.get(i, 0) for i in range(start, stop)], np.int64)
    native = np.stack(
        [
            spec.sample(item_rng(config.seed, i, int(a)), 1)[0]
            for i, a in zip(range(start, stop), attempts, strict=True)
        ]
    )
    audio = synth.render(native, notes_for(spec, native))
    attempts += 1
    if config.min_rms_db is not None:
        for _ in range(1, config.max_attempts):
            quiet = np.flatnonzero(
                (rms_db(audio) < config.min_rms_db) & (attempts < config.max_attempts)
            )
            if quiet.size == 0:
                break
            redraw = np.stack(
                [
                    spec.sample(item_rng(config.seed, start + int(j), int(attempts[j])), 1)[0]
                    for j in quiet
                ]
            )
            native[quiet] = redraw
            audio[quiet] = synth.render(redraw, notes_for(spec, redraw))
            attempts[quiet] += 1
        still = np.flatnonzero(rms_db(audio) < config.min_rms_db)
        if still.size:
            log.warning("items %s stayed below %.1f dBFS after %d draws", (start + still).tolist(),
                        config.min_rms_db, config.max_attempts)  # fmt: skip
    fx = FeatureExtractor(feature_config_for(spec, config.synth))
    return Chunk(
        start=start,
        params=spec.encode(native),
        native=native.astype(np.float32),
        features=fx(audio),
        audio=audio.astype(np.float32) if config.store_audio else None,
        attempts=attempts,
    )


def _chunk_path(parts: Path, index: int) -> Path:
    return parts / f"chunk-{index:06d}.npz"


def _save_chunk(path: Path, chunk: Chunk) -> None:
    tmp = path.with_suffix(".tmp.npz")
    arrays: dict[str, Any] = {
        "params": chunk.params,
        "native": chunk.native,
        "features": chunk.features,
        "attempts": chunk.attempts,
    }
    if chunk.audio is not None:
        arrays["audio"] = chunk.audio
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _load_chunk(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


class _Progress:
    """tqdm progress bar with rate and ETA, or a log line every few seconds without tqdm."""

    def __init__(self, total: int, initial: int, desc: str) -> None:
        try:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, desc=desc, unit="item", smoothing=0.1)
        except ImportError:  # tqdm is in the train extra; fall back to log lines
            self.bar = None
        self.total, self.done, self.t0, self.last = total, initial, time.monotonic(), 0.0
        self.initial = initial

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        if now - self.last > 5 or self.done == self.total:
            rate = (self.done - self.initial) / max(now - self.t0, 1e-9)
            eta = (self.total - self.done) / max(rate, 1e-9)
            log.info("%d/%d items, %.0f items/s, ETA %.0f s", self.done, self.total, rate, eta)
            self.last = now

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _check_or_write_config(parts: Path, config: RenderConfig) -> None:
    key_path = parts / "config.json"
    wanted = config.content_key()
    if key_path.exists():
        found = json.loads(key_path.read_text())
        if found != wanted:
            diff = sorted(k for k in set(found) | set(wanted) if found.get(k) != wanted.get(k))
            raise RenderError(
                f"{parts} holds an unfinished render with different settings ({', '.join(diff)}); "
                "rerun the original command, or delete that folder to start over"
            )
    else:
        key_path.write_text(json.dumps(wanted, indent=2))


def render_dataset(
    config: RenderConfig,
    out: str | Path,
    workers: int = 1,
    synth_factory: SynthFactory | None = None,
) -> Path:
    """Render (or finish rendering) a dataset file; returns its path.

    Running the same call again after a kill continues from the finished chunks. If ``out``
    already exists and is complete with the same settings, nothing is done. Plugin synths always
    render in supervised worker processes (one per ``workers``), so a crashing plugin cannot take
    the job down.

    Args:
        config: What to render.
        out: Output ``.h5`` path.
        workers: Worker processes.
        synth_factory: Builds the synth from the config instead of the registry (a picklable,
            module-level function; it must give a synth with the spec of ``config.synth``, e.g.
            a wrapper that adds logging or faults).
    """
    out = Path(out)
    if out.exists():
        existing = read_render_config(out)
        if existing.content_key() != config.content_key():
            raise RenderError(f"{out} exists with different settings; choose another path")
        log.info("%s is already complete", out)
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = out.with_name(out.name + ".partial")
    parts.mkdir(exist_ok=True)
    _check_or_write_config(parts, config)
    n_chunks = -(-config.count // config.chunk_size)
    bounds = [(i, i * config.chunk_size, min((i + 1) * config.chunk_size, config.count))
              for i in range(n_chunks)]  # fmt: skip
    todo = [b for b in bounds if not _chunk_path(parts, b[0]).exists()]
    done_items = config.count - sum(stop - start for _, start, stop in todo)
    progress = _Progress(config.count, done_items, f"render {config.synth}")
    entry = SYNTHS.get(config.synth)
    isolate = workers > 1 or (synth_factory is None and entry is not None and entry.needs_plugin)
    try:
        if not isolate:
            synth = _make_synth(config, synth_factory)
            for index, start, stop in todo:
                _save_chunk(_chunk_path(parts, index), render_chunk(config, start, stop, synth))
                progress.update(stop - start)
        elif todo:
            _render_parallel(config, parts, todo, max(workers, 1), progress.update, synth_factory)
    finally:
        progress.close()
    _assemble(config, parts, bounds, out)
    shutil.rmtree(parts)
    return out


@dataclass(frozen=True)
class _Task:
    """Items ``start..stop-1`` of chunk ``chunk``; ``first_attempts``: (item, attempt) skips."""

    chunk: int
    start: int
    stop: int
    first_attempts: tuple[tuple[int, int], ...] = ()

    def __str__(self) -> str:
        items = (
            f"item {self.start}"
            if self.stop - self.start == 1
            else f"items {self.start}..{self.stop - 1}"
        )
        return f"chunk {self.chunk} ({items})"


def _render_task(config: RenderConfig, task: _Task) -> Chunk:
    return render_chunk(config, task.start, task.stop, first_attempts=dict(task.first_attempts))


def _render_parallel(
    config: RenderConfig,
    parts: Path,
    todo: list[tuple[int, int, int]],
    workers: int,
    on_done: Callable[[int], None],
    synth_factory: SynthFactory | None = None,
    max_retries: int = 1,
) -> None:
    """Render chunks in supervised workers; failing chunks are retried, split and redrawn."""
    bounds = {index: (start, stop) for index, start, stop in todo}
    pieces: dict[int, dict[int, Chunk]] = {}
    failures: dict[_Task, int] = {}
    budget = 20 + 4 * len(todo)
    try:
        with WorkerPool(
            workers, _worker_init, (to_dict(config), synth_factory), config.timeout_s
        ) as pool:
            for index, start, stop in todo:
                first = _Task(index, start, stop)
                pool.submit(first, _render_task, config, first)
            for result in pool.results():
                task = result.key
                assert isinstance(task, _Task)
                if result.kind == "ok":
                    done = pieces.setdefault(task.chunk, {})
                    done[task.start] = result.value
                    on_done(task.stop - task.start)
                    start, stop = bounds[task.chunk]
                    if sum(len(c.attempts) for c in done.values()) == stop - start:
                        _save_chunk(_chunk_path(parts, task.chunk), _merge(pieces.pop(task.chunk)))
                    continue
                failures[task] = failures.get(task, 0) + 1
                budget -= 1
                if budget < 0:
                    raise RenderError(
                        f"too many failed renders; last: {task}: {result.kind}: {result.error}"
                    )
                for retry in _after_failure(config, task, failures[task], result, max_retries):
                    pool.submit(retry, _render_task, config, retry)
    except WorkerInitError as err:
        raise RenderError(f"cannot start render workers for {config.synth!r}: {err}") from None


def _after_failure(
    config: RenderConfig, task: _Task, count: int, result: TaskResult, max_retries: int
) -> list[_Task]:
    """What to run after ``task`` failed ``count`` times: itself, its halves, or a redraw."""
    what = f"{result.kind}: {result.error}"
    if count <= max_retries:
        log.warning("%s failed (%s); retrying", task, what)
        return [task]
    if task.stop - task.start > 1:
        mid = (task.start + task.stop) // 2
        log.warning(
            "%s failed %d times (%s); splitting it to find the failing item", task, count, what
        )
        halves = [(task.start, mid), (mid, task.stop)]
        return [
            _Task(task.chunk, a, b, tuple((i, k) for i, k in task.first_attempts if a <= i < b))
            for a, b in halves
        ]
    item = task.start
    attempt = dict(task.first_attempts).get(item, 0) + 1
    if attempt >= config.max_attempts:
        raise RenderError(
            f"item {item} failed on {attempt} different draws ({what}); the synth seems broken"
        )
    log.warning(
        "item %d: draw %d failed %d times (%s); skipping it, redrawing with attempt seed %d",
        *(item, attempt - 1, count, what, attempt),
    )
    return [replace(task, first_attempts=((item, attempt),))]


def _merge(pieces: dict[int, Chunk]) -> Chunk:
    """Concatenate the pieces of a split chunk in item order."""
    ordered = [pieces[k] for k in sorted(pieces)]
    if len(ordered) == 1:
        return ordered[0]
    audio = None if ordered[0].audio is None else np.concatenate([c.audio for c in ordered])
    return Chunk(
        start=ordered[0].start,
        params=np.concatenate([c.params for c in ordered]),
        native=np.concatenate([c.native for c in ordered]),
        features=np.concatenate([c.features for c in ordered]),
        audio=audio,
        attempts=np.concatenate([c.attempts for c in ordered]),
    )


def _assemble(config: RenderConfig, parts: Path, bounds: list, out: Path) -> None:
    import h5py

    spec = synth_spec(config.synth, **config.synth_options())
    fconfig = feature_config_for(spec, config.synth)
    stats = RunningStats(fconfig)
    tmp = out.with_name(out.name + ".tmp")
    chunk_rows = min(config.chunk_size, config.count)
    with h5py.File(tmp, "w") as f:
        f.attrs["format"] = DATASET_FORMAT
        f.attrs["format_version"] = DATASET_FORMAT_VERSION
        f.attrs["patchflow_version"] = __version__
        f.attrs["spec"] = spec.to_json()
        f.attrs["render_config"] = json.dumps(to_dict(config))
        f.attrs["feature_config"] = json.dumps(fconfig.to_dict())
        n = config.count
        frames = fconfig.shape
        ds = {
            "params": f.create_dataset(
                "params", (n, spec.dim), "f4", chunks=(chunk_rows, spec.dim)
            ),
            "native": f.create_dataset(
                "native", (n, spec.num_params), "f4", chunks=(chunk_rows, spec.num_params)
            ),
            # contiguous, so that training can memory-map rows of a set too large to load
            "features": f.create_dataset("features", (n, *frames), "f4"),
            "attempts": f.create_dataset("attempts", (n,), "i4", chunks=(chunk_rows,)),
        }
        if config.store_audio:
            shape = (spec.channels, spec.num_samples)
            ds["audio"] = f.create_dataset(
                "audio", (n, *shape), "f4", chunks=(min(chunk_rows, 64), *shape)
            )
        for index, start, stop in bounds:
            arrays = _load_chunk(_chunk_path(parts, index))
            for name, dset in ds.items():
                dset[start:stop] = arrays[name]
            stats.update(arrays["features"])
        result = stats.result()
        f.create_dataset("stats/mean", data=result.mean)
        f.create_dataset("stats/std", data=result.std)
    os.replace(tmp, out)


def read_render_config(path: str | Path) -> RenderConfig:
    import h5py

    with h5py.File(path, "r") as f:
        return from_dict(RenderConfig, json.loads(f.attrs["render_config"]))


def iter_chunks(count: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, count, size):
        yield start, min(start + size, count)
