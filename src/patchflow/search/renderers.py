"""Renderers: native parameter sets in, audio out, for a search.

- :class:`SynthRenderer` renders in this process with any :class:`~patchflow.synths.base.Synth`
  (k-osc renders a whole batch in one vectorised call).
- :class:`PoolRenderer` renders in supervised worker processes, each owning one synth instance
  (one loaded plug-in); a worker that crashes or hangs is replaced and its candidate retried
  once, then dropped (``ok`` false), never the search.

``render`` returns audio; ``score`` returns each render's distance to a search's target (a
:class:`~patchflow.search.scoring.Scorer`). A pool's workers score their own renders, so scoring
runs beside rendering and only a number per candidate crosses the pipe (on amsynth the
multi-scale spectral distance of a 1 s clip costs about as much CPU as rendering it).

:func:`open_renderer` picks the right one for a bundle's card or a spec. Renderers are context
managers; :meth:`close` releases workers and plug-ins.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from patchflow.data.workers import WorkerInitError, WorkerPool
from patchflow.search.scoring import Scorer
from patchflow.spec import SynthSpec
from patchflow.synths.base import Note, Synth, notes_for

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0  # a 1 s note rendering longer than this is a hung plug-in


@dataclass(frozen=True)
class RenderBatch:
    """Audio of a batch: ``audio`` ``(N, C, T)`` float32 and ``ok`` ``(N,)`` (false: dropped)."""

    audio: np.ndarray
    ok: np.ndarray


@dataclass(frozen=True)
class ScoreBatch:
    """Scores of a batch: ``scores`` ``(N,)`` (``inf`` where not rendered) and ``ok`` ``(N,)``."""

    scores: np.ndarray
    ok: np.ndarray

    @classmethod
    def of(cls, batch: RenderBatch, scorer: Scorer) -> ScoreBatch:
        """Score the rendered rows of ``batch``."""
        scores = np.full(len(batch.ok), np.inf)
        if batch.ok.any():
            scores[batch.ok] = scorer(batch.audio[batch.ok])
        return cls(scores, batch.ok.copy())


class Renderer(Protocol):
    """What a search renders with (see the module docstring)."""

    spec: SynthSpec
    sample_rate: int
    channels: int
    num_samples: int
    workers: int

    def render(self, native: np.ndarray, cancel: threading.Event | None = None) -> RenderBatch:
        """Render native parameter sets ``(N, P)``; rows not rendered come back with ``ok`` false
        (a failed render, or ``cancel`` set before it started)."""
        ...

    def score(
        self, native: np.ndarray, scorer: Scorer, cancel: threading.Event | None = None
    ) -> ScoreBatch:
        """Render ``(N, P)`` and score each render with ``scorer`` (rows not rendered: ``inf``,
        ``ok`` false)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Renderer: ...

    def __exit__(self, *exc: object) -> None: ...


class _Closing:
    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the synth."""

    def render(self, native: np.ndarray, cancel: threading.Event | None = None) -> RenderBatch:
        raise NotImplementedError

    def score(
        self, native: np.ndarray, scorer: Scorer, cancel: threading.Event | None = None
    ) -> ScoreBatch:
        """Render in this process, then score (see :class:`Renderer`)."""
        return ScoreBatch.of(self.render(native, cancel), scorer)


class SynthRenderer(_Closing):
    """Renders in this process with ``synth`` (one batch call per render).

    Args:
        synth: Any synth; its ``close()`` (if any) is called by :meth:`close`.
    """

    workers = 1

    def __init__(self, synth: Synth) -> None:
        self.synth = synth
        self.spec = synth.spec
        self.sample_rate = synth.sample_rate
        self.channels = synth.channels
        self.num_samples = synth.num_samples

    def __repr__(self) -> str:
        return f"SynthRenderer({self.synth!r})"

    def render(self, native: np.ndarray, cancel: threading.Event | None = None) -> RenderBatch:
        native = np.atleast_2d(native)
        audio = self.synth.render(native, notes_for(self.spec, native))
        return RenderBatch(audio.astype(np.float32, copy=False), np.ones(len(native), bool))

    def close(self) -> None:
        close = getattr(self.synth, "close", None)
        if close is not None:
            close()


# Worker side: each worker process owns one synth, built once by the pool's initializer.
_WORKER_SYNTH: Synth | None = None


def _init_worker(factory: Callable[..., Synth], kwargs: dict[str, Any]) -> None:
    global _WORKER_SYNTH
    _WORKER_SYNTH = factory(**kwargs)


def _render_one(native: np.ndarray, note: Note) -> np.ndarray:
    if _WORKER_SYNTH is None:
        raise RuntimeError("worker has no synth")
    return _WORKER_SYNTH.render(native[None], [note])[0]


def _score_one(native: np.ndarray, note: Note, scorer: Scorer, shape: tuple[int, int]) -> float:
    """Render one candidate and score it in the worker (``shape``: the target's ``(C, T)``)."""
    audio = fit_audio(_render_one(native, note), *shape)
    return float(scorer(audio[None])[0])


def fit_audio(audio: np.ndarray, channels: int, num_samples: int) -> np.ndarray:
    """``audio`` ``(C', T')`` cropped or zero-padded to ``(channels, num_samples)`` float32."""
    audio = np.asarray(audio, np.float32)
    out = np.zeros((channels, num_samples), np.float32)
    n = min(num_samples, audio.shape[-1])
    out[: min(channels, audio.shape[0]), :n] = audio[:channels, :n]
    return out


def _worker_pid() -> int:
    return os.getpid()


def _plugin_synth(spec: SynthSpec, plugin_path: str | None, **options: Any) -> Synth:
    from patchflow.synths.plugin import PluginSynth

    return PluginSynth(spec, plugin_path=plugin_path, **options)


def _registered_synth(synth_id: str, **options: Any) -> Synth:
    from patchflow.synths.registry import create_synth

    return create_synth(synth_id, **options)


class PoolRenderer(_Closing):
    """Renders in ``workers`` supervised processes, one candidate per task.

    Args:
        spec: The spec the synth renders (notes come from it).
        factory: Module-level callable building the synth in each worker.
        kwargs: Its keyword arguments (picklable).
        workers: Worker processes (each one synth instance).
        timeout_s: A render running longer counts as hung: its worker is killed and replaced.
        retries: How often a candidate whose worker crashed or hung is tried again.
        sample_rate: Render rate of the synth (default: the spec's).
        num_samples: Render length of the synth (default: the spec's).
    """

    def __init__(
        self,
        spec: SynthSpec,
        factory: Callable[..., Synth],
        kwargs: dict[str, Any],
        *,
        workers: int = 1,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retries: int = 1,
        sample_rate: int | None = None,
        num_samples: int | None = None,
    ) -> None:
        self.spec = spec
        self.sample_rate = int(sample_rate or spec.sample_rate)
        self.channels = spec.channels
        self.num_samples = int(num_samples or spec.num_samples)
        self.workers = max(1, int(workers))
        self.retries = int(retries)
        self.failures = 0  # renders that crashed, hung or raised (retried or dropped)
        self._pool = WorkerPool(
            self.workers, initializer=_init_worker, initargs=(factory, kwargs), timeout_s=timeout_s
        )
        self._batches = 0

    def __repr__(self) -> str:
        return f"PoolRenderer({self.spec.synth!r}, {self.workers} workers)"

    @classmethod
    def for_synth(
        cls, spec: SynthSpec, synth_id: str, *, workers: int = 1, **options: Any
    ) -> PoolRenderer:
        """Workers that each build the registered synth ``synth_id`` with ``options``."""
        return cls(spec, _registered_synth, {"synth_id": synth_id, **options}, workers=workers)

    def wait_ready(self, max_rounds: int = 8) -> None:
        """Block until every worker has built its synth (loaded its plug-in), so that a search's
        clock does not run while plug-ins load. Raises ``WorkerInitError`` if they cannot."""
        seen: set[int] = set()
        for _ in range(max_rounds):
            for k in range(self.workers):
                self._pool.submit(("ready", k), _worker_pid)
            seen.update(r.value for r in self._pool.results() if r.kind == "ok")
            if len(seen) >= self.workers:
                return

    def render(self, native: np.ndarray, cancel: threading.Event | None = None) -> RenderBatch:
        native = np.atleast_2d(np.asarray(native, np.float64))
        audio = np.zeros((len(native), self.channels, self.num_samples), np.float32)

        def keep(i: int, value: np.ndarray) -> None:
            audio[i] = fit_audio(value, self.channels, self.num_samples)

        return RenderBatch(audio, self._map(native, cancel, _render_one, (), keep))

    def score(
        self, native: np.ndarray, scorer: Scorer, cancel: threading.Event | None = None
    ) -> ScoreBatch:
        native = np.atleast_2d(np.asarray(native, np.float64))
        scores = np.full(len(native), np.inf)
        extra = (scorer, (self.channels, self.num_samples))
        ok = self._map(native, cancel, _score_one, extra, scores.__setitem__)
        return ScoreBatch(scores, ok)

    def _map(
        self,
        native: np.ndarray,
        cancel: threading.Event | None,
        task: Callable[..., Any],
        extra: tuple[Any, ...],
        store: Callable[[int, Any], None],
    ) -> np.ndarray:
        """Run ``task(native[i], note_i, *extra)`` for every row in the workers, at most one per
        worker at a time (so ``cancel`` stops handing out work at once); ``store(i, value)``
        keeps each result. Returns which rows succeeded ``(N,)``."""
        notes = notes_for(self.spec, native)
        ok = np.zeros(len(native), bool)
        todo = deque(range(len(native)))
        tries = [0] * len(native)
        self._batches += 1
        in_flight = 0

        def submit() -> None:
            nonlocal in_flight
            while in_flight < self.workers and todo and not (cancel and cancel.is_set()):
                i = todo.popleft()
                tries[i] += 1
                self._pool.submit((self._batches, i, tries[i]), task, native[i], notes[i], *extra)
                in_flight += 1

        submit()
        while in_flight:
            try:
                for result in self._pool.results():
                    in_flight -= 1
                    _, i, _ = cast(tuple[int, int, int], result.key)
                    if result.kind == "ok":
                        store(i, result.value)
                        ok[i] = True
                    else:
                        self.failures += 1
                        if tries[i] <= self.retries:
                            todo.appendleft(i)
                    submit()
            except OSError as err:  # a task sent to a worker that died while idle: the pool
                log.debug("render pool: %s; the dead worker is being replaced", err)
                # reports that task as a crash on its next poll, so keep collecting.
        return ok

    def close(self) -> None:
        self._pool.close()


def _kosc_options(spec: SynthSpec) -> dict[str, Any]:
    return {"k": spec.num_params // 3, "asymmetric": spec.synth.endswith("-asym")}


def open_renderer(
    card_or_spec: Any,
    *,
    workers: int = 1,
    plugin_path: str | Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Renderer:
    """The renderer for a bundle's card (:class:`~patchflow.bundle.Card`) or a spec.

    k-osc renders in process (vectorised, in float32:
    :func:`~patchflow.synths.kosc.mixed_oscillators`); plug-in synths render in ``workers``
    processes that each load the plug-in once (``plugin_path``: default install location when
    ``None``); it returns when they have.

    Raises:
        PluginLoadError: The plug-in cannot be found.
    """
    if isinstance(card_or_spec, SynthSpec):
        spec = card_or_spec
        synth_id = "kosc" if spec.synth.startswith("kosc") else spec.synth
        options: dict[str, Any] = _kosc_options(spec) if synth_id == "kosc" else {}
    else:
        spec = card_or_spec.spec
        synth_id, options = card_or_spec.synth_id, dict(card_or_spec.synth_options)
    if synth_id == "kosc":
        from patchflow.synths.kosc import KOsc

        return SynthRenderer(KOsc(**{**_kosc_options(spec), **options, "fast": True}))
    from patchflow.synths.plugin import PluginLoadError, resolve_plugin_path

    card_plugin = options.pop("plugin", None) or options.pop("plugin_path", None)
    path = resolve_plugin_path(spec.synth, plugin_path or card_plugin)
    rate, duration = options.pop("sample_rate", None), options.pop("duration_s", None)
    render_spec = dataclasses.replace(
        spec,
        sample_rate=int(rate or spec.sample_rate),
        duration_s=float(duration or spec.duration_s),
    )
    renderer = PoolRenderer(
        render_spec,
        _plugin_synth,
        {"spec": render_spec, "plugin_path": str(path), **options},
        workers=workers,
        timeout_s=timeout_s,
    )
    try:
        renderer.wait_ready()
    except WorkerInitError as err:
        renderer.close()
        raise PluginLoadError(f"{path}: render workers cannot load the plug-in: {err}") from None
    return renderer
