"""Pausing the search processes while a first answer (or a macro, or a morph) is computed.

The search processes already run at the lowest CPU priority (``nice`` +10 and Linux's
``SCHED_IDLE``, :class:`~patchflow.bridge.search_process.SearchProcessSpec`), so a first answer
never waits for a CPU. That is not the whole cost: on a small machine the two "cores" are often
two hardware threads of one physical core, and a search running on the sibling thread (or
filling the shared caches) still slows the first answer by a millisecond or more
(``docs/first-answer.md``). So while the scheduler runs interactive work it holds a
:class:`SearchPause`, which stops every search process group (``SIGSTOP``) and lets them go on
afterwards (``SIGCONT``); holds from several worker threads are counted, and the groups are
stopped once and resumed when the last hold ends. A search loses only the time it was stopped
(its budget is wall-clock time, so it does a little less work per second of budget).

POSIX only: elsewhere (no ``SIGSTOP``) a hold does nothing.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

logger = logging.getLogger(__name__)

_CAN_STOP = hasattr(signal, "SIGSTOP") and hasattr(os, "killpg")


class SearchPause:
    """A counted hold that stops the registered process groups while it is held.

    Use it as a context manager (``with pause: ...``) around interactive work. Process groups
    are added by their owners (:class:`~patchflow.bridge.search_process.ProcessSearcher`) once
    their processes run, and discarded before those processes are stopped for good or reaped
    (a discarded group is resumed if it was stopped).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holds = 0
        self._groups: set[int] = set()
        self.pauses = 0  # how many times the groups were stopped (for status and tests)

    def __repr__(self) -> str:
        state = "held" if self._holds else "free"
        return f"SearchPause({state}, {len(self._groups)} group(s), paused {self.pauses} times)"

    @property
    def held(self) -> bool:
        """Whether the groups are stopped now."""
        return self._holds > 0

    def add(self, pgid: int) -> None:
        """Stop process group ``pgid`` whenever the pause is held (now too, if it is)."""
        with self._lock:
            self._groups.add(pgid)
            if self._holds:
                _signal(pgid, "SIGSTOP")

    def discard(self, pgid: int) -> None:
        """Forget ``pgid`` (resuming it if it is stopped); call it before the group's leader is
        joined, so a stopped group can still finish, and so no signal reaches a reused id."""
        with self._lock:
            if pgid in self._groups:
                self._groups.discard(pgid)
                if self._holds:
                    _signal(pgid, "SIGCONT")

    def __enter__(self) -> SearchPause:
        with self._lock:
            self._holds += 1
            if self._holds == 1 and self._groups:
                self.pauses += 1
                for pgid in self._groups:
                    _signal(pgid, "SIGSTOP")
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._holds -= 1
            if self._holds == 0:
                for pgid in self._groups:
                    _signal(pgid, "SIGCONT")


def _signal(pgid: int, name: str) -> None:
    if not _CAN_STOP:
        return
    try:
        os.killpg(pgid, getattr(signal, name))
    except ProcessLookupError:  # the group has just exited; its owner will discard it
        pass
    except OSError as exc:  # e.g. permissions: never let a pause fail a first answer
        logger.debug("%s to process group %d failed: %s", name, pgid, exc)
