"""Supervised worker processes: a crash or a hang costs only the task that caused it.

Each worker is its own spawned process, initialised once (e.g. to load a plugin) and fed one task
at a time through a pipe. The parent watches every worker: a task that raises comes back as an
``error``, a worker that dies mid-task (segfault, ``os._exit``) comes back as a ``crash`` and a
task running longer than ``timeout_s`` has its worker killed and comes back as a ``hang``. Dead
workers are replaced; the other workers keep running undisturbed (unlike
:class:`concurrent.futures.ProcessPoolExecutor`, where one dead worker breaks the whole pool).

Workers start with ``env`` in their environment, by default one BLAS/OpenMP thread each
(:data:`SINGLE_THREADED`): N workers then use N cores. Without it each worker's numpy starts a
thread per core, and a search's two amsynth workers scoring their renders on a 2-core machine
spent their time contending for the cores instead of rendering.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

log = logging.getLogger(__name__)

KINDS = ("ok", "error", "crash", "hang")
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_ENVIRON_LOCK = threading.Lock()  # a worker's environment is set around its start


@contextmanager
def _environment(changes: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``changes`` inside (a spawned child inherits it), then as it was."""
    with _ENVIRON_LOCK:
        saved = {key: os.environ.get(key) for key in changes}
        os.environ.update(changes)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


class WorkerInitError(RuntimeError):
    """Workers cannot start: the initializer raised, or workers keep dying before any task."""


@dataclass
class TaskResult:
    """Outcome of one task: ``kind`` is ``ok`` (``value`` holds the result) or a failure."""

    key: Hashable
    kind: str
    value: Any = None
    error: str = ""


@dataclass
class _Worker:
    process: Any
    conn: Connection
    task: tuple[Hashable, Callable, tuple] | None = None
    started: float = 0.0
    ready: bool = False


def _die_with_parent() -> None:
    """Linux: have the kernel kill this worker when the parent dies (e.g. a killed render)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _worker_main(conn: Connection, initializer: Callable | None, initargs: tuple) -> None:
    _die_with_parent()
    try:
        if initializer is not None:
            initializer(*initargs)
    except Exception as err:  # reported to the parent, which raises WorkerInitError
        conn.send(("init_error", None, f"{type(err).__name__}: {err}"))
        return
    conn.send(("ready", None, None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if message is None:
            return
        key, fn, args = message
        try:
            reply = ("ok", key, fn(*args))
        except Exception as err:  # the task's failure is the parent's to handle
            reply = ("error", key, f"{type(err).__name__}: {err}")
        try:
            conn.send(reply)
        except OSError:  # the parent is gone
            return


class WorkerPool:
    """A fixed number of supervised worker processes (see the module docstring).

    Args:
        workers: Number of worker processes.
        initializer: Called once in each new worker with ``initargs``.
        initargs: Arguments of ``initializer`` (picklable).
        timeout_s: Seconds after which a running task counts as hung.
        max_init_deaths: Workers that may die before finishing their start-up in a row before
            :class:`WorkerInitError` is raised.
        env: Environment variables set in every worker (default :data:`SINGLE_THREADED`).
    """

    def __init__(
        self,
        workers: int,
        initializer: Callable | None = None,
        initargs: tuple = (),
        timeout_s: float = 600.0,
        max_init_deaths: int = 3,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        self._env = dict(SINGLE_THREADED if env is None else env)
        self._initializer, self._initargs = initializer, initargs
        self.timeout_s = float(timeout_s)
        self._max_init_deaths = max_init_deaths
        self._init_deaths = 0
        self._queue: deque[tuple[Hashable, Callable, tuple]] = deque()
        self._workers = [self._start() for _ in range(max(1, workers))]

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_worker_main, args=(child, self._initializer, self._initargs), daemon=True
        )
        with _environment(self._env):
            process.start()
        child.close()
        return _Worker(process, parent)

    def submit(self, key: Hashable, fn: Callable, *args: Any) -> None:
        """Queue ``fn(*args)`` (picklable, module-level ``fn``) under ``key``."""
        self._queue.append((key, fn, args))

    @property
    def pending(self) -> int:
        """Tasks queued or running."""
        return len(self._queue) + sum(w.task is not None for w in self._workers)

    def results(self) -> Iterator[TaskResult]:
        """Yield results as tasks finish, until nothing is pending (``submit`` may add more)."""
        while self.pending:
            self._dispatch()
            running = [w for w in self._workers if w.task is not None]
            deadline = min((w.started + self.timeout_s for w in running), default=None)
            wait_s = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
            handles = [w.conn for w in self._workers] + [w.process.sentinel for w in self._workers]
            wait(handles, timeout=wait_s)
            for index, worker in enumerate(self._workers):
                result = self._poll(index, worker)
                if result is not None:
                    yield result

    def _dispatch(self) -> None:
        for worker in self._workers:
            if worker.ready and worker.task is None and self._queue:
                worker.task = self._queue.popleft()
                worker.started = time.monotonic()
                worker.conn.send(worker.task)

    def _poll(self, index: int, worker: _Worker) -> TaskResult | None:
        message = None
        if worker.conn.poll():
            try:
                message = worker.conn.recv()
            except (EOFError, OSError):
                message = None
        if message is not None:
            kind, key, payload = message
            if kind == "init_error":
                raise WorkerInitError(f"worker start-up failed: {payload}")
            if kind == "ready":
                worker.ready = True
                self._init_deaths = 0
                return None
            worker.task = None
            self._dispatch()
            return TaskResult(
                key,
                kind,
                value=payload if kind == "ok" else None,
                error="" if kind == "ok" else str(payload),
            )
        if not worker.process.is_alive():
            return self._replace(
                index, worker, "crash", f"worker died (exit code {worker.process.exitcode})"
            )
        if worker.task is not None and time.monotonic() - worker.started > self.timeout_s:
            worker.process.kill()
            worker.process.join()
            return self._replace(
                index, worker, "hang", f"no result within {self.timeout_s:g} s; worker killed"
            )
        return None

    def _replace(self, index: int, worker: _Worker, kind: str, error: str) -> TaskResult | None:
        task = worker.task
        worker.conn.close()
        worker.process.join()
        if task is None and not worker.ready:
            self._init_deaths += 1
            if self._init_deaths >= self._max_init_deaths:
                raise WorkerInitError(f"{self._init_deaths} workers died while starting ({error})")
        self._workers[index] = self._start()
        if task is None:
            return None
        log.debug("task %s: %s: %s", task[0], kind, error)
        return TaskResult(task[0], kind, error=error)

    def close(self) -> None:
        """Stop all workers (idle ones politely, busy ones by force)."""
        for worker in self._workers:
            try:
                if worker.task is None and worker.process.is_alive():
                    worker.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for worker in self._workers:
            worker.process.join(timeout=5.0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._workers = []
        self._queue.clear()
