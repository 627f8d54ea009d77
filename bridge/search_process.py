"""A searcher that runs in a child process, so searches never hold the server's GIL.

The bridge's first answers run on worker threads; a search on a thread of the same process
(CMA-ES bookkeeping, scoring, k-osc rendering) competes with them for the GIL, and each of a
first answer's few Python steps can wait a whole switch interval behind it. :class:`ProcessSearcher`
has the same ``run`` as :class:`patchflow.search.Searcher` (what
:class:`~patchflow.bridge.search_runner.SearchRunner` needs) but runs the search in a child
process that loads its own copy of the bundle and opens its own renderer (plug-in synths then
render in that child's worker processes). Improvements come back over a pipe; cancelling the
caller's event cancels the child's search. A child that dies fails its running search (the
runner reports it) and is started again for the next one.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from patchflow.bridge.search_pause import SearchPause

logger = logging.getLogger(__name__)

POLL_S = 0.02
"""How often a waiting ``run`` checks its cancel event and the child's health."""

SEARCH_NICE = 10
"""Default niceness increment of the search process (see :class:`SearchProcessSpec`)."""


@dataclass(frozen=True)
class SearchProcessSpec:
    """What the child process builds its searcher from (picklable).

    Args:
        bundle: Bundle name or path (the server's model).
        plugin_path: The plug-in to render with (None: the synth's usual place; k-osc: unused).
        workers: Plug-in render worker processes.
        threads: onnxruntime threads of the child's model sessions.
        nice: How much lower the child's CPU priority is than the server's (POSIX ``nice``
            increment; its render workers inherit it; 0: the same): where the cores are
            few, a first answer then takes the CPU from a running search instead of sharing it.
        idle_class: Also put the child (and so its render workers) in Linux's ``SCHED_IDLE``
            class, where it runs only on CPU time that no ordinary process wants: a waking
            first answer preempts it at once instead of waiting out its time slice. Ignored
            where the platform has no such class.
    """

    bundle: str
    plugin_path: str | None = None
    workers: int = 1
    threads: int = 1
    nice: int = SEARCH_NICE
    idle_class: bool = True


class SearchProcessError(RuntimeError):
    """The search process could not start, died, or its search failed."""


class ProcessSearcher:
    """``Searcher.run`` in a child process (see the module docstring).

    Args:
        spec: How the child builds its searcher.
        start_timeout_s: How long the child may take to load the bundle and open the synth.
        pause: Stops the child and its render workers while it is held (the child leads its own
            process group, which the pause signals): what the server holds while it computes a
            first answer (:mod:`patchflow.bridge.search_pause`).

    Raises:
        SearchProcessError: If the child cannot start (bad bundle, missing plug-in).
    """

    def __init__(
        self,
        spec: SearchProcessSpec,
        *,
        start_timeout_s: float = 120.0,
        pause: SearchPause | None = None,
    ) -> None:
        self.spec = spec
        self.start_timeout_s = start_timeout_s
        self.pause = pause
        self._ctx = multiprocessing.get_context("spawn")
        self._jobs = itertools.count(1)
        self._proc: Any = None
        self._conn: Connection | None = None
        self._start()

    def __repr__(self) -> str:
        pid = None if self._proc is None else self._proc.pid
        return f"ProcessSearcher({self.spec.bundle!r}, pid={pid})"

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=_child_main, args=(child, self.spec), name="patchflow-search", daemon=False
        )
        proc.start()
        child.close()
        if not parent.poll(self.start_timeout_s):
            proc.terminate()
            raise SearchProcessError(
                f"the search process did not start in {self.start_timeout_s} s"
            )
        try:
            message = parent.recv()
        except EOFError:
            proc.join(5)
            raise SearchProcessError(
                f"the search process exited at start (code {proc.exitcode})"
            ) from None
        if message[0] != "ready":
            proc.join(5)
            raise SearchProcessError(f"the search process could not start: {message[1]}")
        self._proc, self._conn = proc, parent
        if self.pause is not None and proc.pid is not None:
            self.pause.add(proc.pid)  # the child made itself the leader of its own group

    def run(
        self,
        audio: np.ndarray,
        sample_rate: int,
        *,
        budget: Any,
        seed: int = 0,
        cancel: threading.Event | None = None,
        top_k: int = 4,
    ) -> Iterator[Any]:
        """Yield the child's improvements for ``audio``, the last one ``final``.

        Raises:
            SearchProcessError: The child died or its search raised.
        """
        if self._proc is None or not self._proc.is_alive():
            logger.warning("the search process is gone; starting it again")
            self._discard()
            self._start()
        job = next(self._jobs)
        self._send(
            ("run", job, np.asarray(audio, np.float32), int(sample_rate), budget, seed, top_k)
        )
        cancel_sent = False
        while True:
            if cancel is not None and cancel.is_set() and not cancel_sent:
                self._send(("cancel", job))
                cancel_sent = True
            message = self._poll()
            if message is None:
                continue
            kind, job_id, *rest = message
            if job_id != job:
                continue  # left over from a search whose caller stopped listening
            if kind == "step":
                yield rest[0]
            elif kind == "end":
                return
            else:
                raise SearchProcessError(f"the search failed in the search process: {rest[0]}")

    def _send(self, message: tuple) -> None:
        assert self._conn is not None
        try:
            self._conn.send(message)
        except OSError as exc:
            self._discard()  # the next run starts a new child
            raise SearchProcessError(f"the search process is gone ({exc})") from None

    def _poll(self) -> tuple | None:
        """The child's next message, or None after ``POLL_S`` without one."""
        conn, proc = self._conn, self._proc
        assert conn is not None and proc is not None
        try:
            if conn.poll(POLL_S):
                return conn.recv()
        except (EOFError, OSError):
            self._discard()
            raise SearchProcessError("the search process closed its pipe (it died)") from None
        if not proc.is_alive():
            code = proc.exitcode
            self._discard()
            raise SearchProcessError(f"the search process died (exit code {code})")
        return None

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the child (it cancels a running search first)."""
        self._unpause()
        if self._conn is not None:
            try:
                self._conn.send(("stop", 0))
            except (OSError, ValueError):
                pass  # already gone
        if self._proc is not None:
            self._proc.join(timeout_s)
            if self._proc.is_alive():
                logger.warning("the search process did not stop; terminating it")
                self._proc.terminate()
                self._proc.join(timeout_s)
        self._close_quietly()

    def _discard(self) -> None:
        """Forget a dead or broken child (killed if it still runs)."""
        self._unpause()
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(5)
        self._close_quietly()

    def _unpause(self) -> None:
        """Take the child out of the pause (resumed if stopped) before it is stopped or reaped."""
        if self.pause is not None and self._proc is not None and self._proc.pid is not None:
            self.pause.discard(self._proc.pid)

    def _close_quietly(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = self._proc = None

    def __enter__(self) -> ProcessSearcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# The child process


def _child_main(conn: Connection, spec: SearchProcessSpec) -> None:
    """Build the searcher, then run jobs until told to stop (or the parent goes away)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's; it stops us
    if hasattr(os, "setpgid"):  # our own process group, with the render workers: what a
        os.setpgid(0, 0)  # SearchPause stops and resumes as one
    if spec.nice and hasattr(os, "nice"):  # before the render workers start: they inherit it
        os.nice(spec.nice)
    if spec.idle_class and hasattr(os, "SCHED_IDLE"):  # Linux; inherited the same way
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    from patchflow.bundle import load_bundle
    from patchflow.inference import Predictor
    from patchflow.machine import limit_blas_threads
    from patchflow.search import Searcher, open_renderer

    limit_blas_threads()  # before the render workers start: they inherit it

    try:
        bundle = load_bundle(spec.bundle, threads=spec.threads)
        renderer = open_renderer(bundle.card, workers=spec.workers, plugin_path=spec.plugin_path)
    except Exception as exc:  # reported to the parent, which refuses to start
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    with renderer:
        searcher = Searcher(bundle.card.spec, renderer, predictor=Predictor(bundle))
        conn.send(("ready", 0))
        _serve_jobs(conn, searcher)


def _serve_jobs(conn: Connection, searcher: Any) -> None:
    jobs: queue.Queue[tuple | None] = queue.Queue()
    cancels: dict[int, threading.Event] = {}
    lock = threading.Lock()

    def read() -> None:  # a thread: cancels must arrive while a search runs
        while True:
            try:
                kind, job, *rest = conn.recv()
            except (EOFError, OSError):
                kind, job, rest = "stop", 0, []
            with lock:
                if kind == "run":
                    cancels[job] = threading.Event()
                    jobs.put((job, *rest))
                elif kind == "cancel" and job in cancels:
                    cancels[job].set()
                elif kind == "stop":
                    for event in cancels.values():
                        event.set()
                    jobs.put(None)
                    return

    threading.Thread(target=read, name="patchflow-search-pipe", daemon=True).start()
    while (item := jobs.get()) is not None:
        job, audio, sample_rate, budget, seed, top_k = item
        with lock:
            cancel = cancels[job]
        try:
            for step in searcher.run(
                audio, sample_rate, budget=budget, seed=seed, cancel=cancel, top_k=top_k
            ):
                conn.send(("step", job, step))
            conn.send(("end", job))
        except (BrokenPipeError, EOFError):
            return
        except Exception as exc:  # one bad input must not end the process
            conn.send(("error", job, f"{type(exc).__name__}: {exc}"))
        finally:
            with lock:
                cancels.pop(job, None)
