"""Real-time request scheduling shared by all transports.

Transports hand every decoded request to :meth:`Scheduler.submit` together with a *sink* (a
callable that sends replies back the way the request came). The scheduler:

- answers quick requests at once, on the transport thread (:meth:`Dispatcher.prepare`);
- runs engine work on one small pool of worker threads (``workers``, 1-2) shared by all
  transports;
- keeps at most one request per client in flight. While one runs, later work waits in per-client
  *slots*: one slot for matches (depth 1, latest wins: the superseded match gets a ``busy`` error),
  one per macro index (coalesced, latest value wins, no error: the newer reply covers it) and one
  for morphs (coalesced likewise). Slots run in arrival order;
- bounds the queued (not running) work over all clients: past ``max_queued`` the oldest queued
  request is dropped with a ``busy`` error instead of letting the queue grow;
- refuses work that waited longer than ``timeout_s`` before a worker took it (``timeout`` error).
  A running engine call cannot be interrupted; its reply is sent when it finishes;
- at :meth:`Scheduler.stop`, answers every queued request with ``busy: server is shutting down``
  (and any request submitted while stopping), and lets the running calls finish and reply;
- sends a match's note (:class:`~patchflow.bridge.messages.NoteReply`) right after its first
  answer when the engine places notes (synths with a note parameter);
- with a :class:`~patchflow.bridge.search_runner.SearchRunner` attached, starts a match's search
  once its first answer has been sent, and cancels a client's search when a newer match, macro
  or morph of that client is submitted (before it is queued). Searches run on the runner's own
  threads, never on the workers;
- holds ``pause`` (a :class:`~patchflow.bridge.search_pause.SearchPause`) while a worker computes
  and sends a reply, so the search processes stand still meanwhile.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from patchflow.bridge.dispatcher import Dispatcher, EngineCall
from patchflow.bridge.errors import CODE_BUSY, CODE_TIMEOUT
from patchflow.bridge.messages import ErrorReply, ParamsReply, Reply, Request
from patchflow.bridge.search_runner import SearchRunner, note_reply
from patchflow.bridge.stats import Stats

logger = logging.getLogger(__name__)

ReplySink = Callable[[list[Reply]], None]
"""Sends replies to the client a request came from; called from any thread."""

_MAX_REMEMBERED_SINKS = 1024
_CANCELS_SEARCH = frozenset({"match", "macro", "morph"})
SHUTTING_DOWN = "server is shutting down"
"""Reason of the ``busy`` error for requests queued, or submitted, while the server stops."""


@dataclass(eq=False)
class _Job:
    call: EngineCall
    sink: ReplySink
    seq: int


@dataclass(eq=False)
class _ClientQueue:
    active: _Job | None = None  # in the ready queue or running
    running: bool = False
    pending: OrderedDict[tuple[str, int], _Job] = field(default_factory=OrderedDict)


class Scheduler:
    """Queues engine work per client and runs it on a shared worker pool.

    Args:
        dispatcher: Turns requests into replies.
        workers: Worker threads calling the engine (1 or 2 is sensible on small machines).
        max_queued: Most requests waiting (not running) over all clients.
        timeout_s: Requests that waited longer than this before starting are refused.
        clock: Monotonic clock in seconds; must be the dispatcher's clock.
        stats: Counters for the status line (a fresh one when omitted).
        search: Searches to start after each match's first answer (None: no search).
        pause: Held while a worker runs engine work and sends its replies (a
            :class:`~patchflow.bridge.search_pause.SearchPause` stops the search processes
            meanwhile); None: nothing is held.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        workers: int = 1,
        max_queued: int = 64,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        stats: Stats | None = None,
        search: SearchRunner | None = None,
        pause: AbstractContextManager[object] | None = None,
    ):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if max_queued < 1:
            raise ValueError(f"max_queued must be at least 1, got {max_queued}")
        self.dispatcher = dispatcher
        self.workers = workers
        self.max_queued = max_queued
        self.timeout_s = timeout_s
        self.stats = stats if stats is not None else Stats()
        self.search = search
        self.pause = pause if pause is not None else nullcontext()
        self._clock = clock
        self._cond = threading.Condition()
        self._clients: dict[str, _ClientQueue] = {}
        self._ready: deque[_Job] = deque()
        self._seq = itertools.count()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._observers: list[Callable[[list[Reply]], None]] = []
        self._sinks: OrderedDict[str, ReplySink] = OrderedDict()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker threads."""
        with self._cond:
            if self._threads:
                return
            self._stopping = False
            for k in range(self.workers):
                thread = threading.Thread(
                    target=self._work, name=f"patchflow-worker-{k}", daemon=True
                )
                self._threads.append(thread)
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the workers after their current call.

        Queued work is not run: each queued request is answered with a ``busy: server is
        shutting down`` error (its own id) at once. A running engine call finishes and its
        reply is sent; the transports must still be open until this returns.
        """
        with self._cond:
            self._stopping = True
            dropped = list(self._ready)
            for queue in self._clients.values():
                dropped.extend(queue.pending.values())
                queue.pending.clear()
            self._ready.clear()
            self._cond.notify_all()
        dropped.sort(key=lambda job: job.seq)
        for job in dropped:
            self._drop(job, SHUTTING_DOWN)
        if dropped:
            logger.info("answered %d queued request(s) with %r", len(dropped), SHUTTING_DOWN)
        for thread in self._threads:
            thread.join(timeout_s)
            if thread.is_alive():
                logger.warning("worker %s still busy in the engine at shutdown", thread.name)
        with self._cond:
            self._threads = []
            self._ready.clear()
            self._clients.clear()

    def __enter__(self) -> Scheduler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- submission -----------------------------------------------------------------------------

    def queued(self) -> int:
        """Requests waiting for a worker (not counting running ones)."""
        with self._cond:
            return self._queued_locked()

    def _queued_locked(self) -> int:
        return len(self._ready) + sum(len(q.pending) for q in self._clients.values())

    def add_observer(self, observer: Callable[[list[Reply]], None]) -> None:
        """Also pass every batch of replies to ``observer`` (e.g. the MIDI output)."""
        self._observers.append(observer)

    def last_sink(self, client: str) -> ReplySink | None:
        """The sink of ``client``'s most recent request (to send it replies it did not ask
        for, e.g. for a macro moved on a MIDI controller)."""
        with self._cond:
            return self._sinks.get(client)

    def deliver(self, sink: ReplySink, replies: list[Reply]) -> None:
        """Count and send replies; a failing sink or observer is logged, never raised."""
        if not replies:
            return
        self.stats.count_replies(replies)
        for target in (*self._observers, sink):  # observers (MIDI) first: the synth moves ASAP
            try:
                target(replies)
            except Exception:  # a transport failure must not kill a worker or transport thread
                logger.exception("passing %d reply(ies) to %r failed", len(replies), target)

    def reject(self, sink: ReplySink, error: ErrorReply) -> None:
        """Count a request the transport could not decode, and send its error reply."""
        self.stats.count_request()
        self.deliver(sink, [error])

    def submit(self, request: Request, client: str, sink: ReplySink) -> None:
        """Handle one request from ``client``; replies go to ``sink`` (now or later).

        Never raises for bad input.
        """
        self.stats.count_request()
        with self._cond:
            self._sinks.pop(client, None)
            self._sinks[client] = sink
            while len(self._sinks) > _MAX_REMEMBERED_SINKS:
                self._sinks.popitem(last=False)
        step = self.dispatcher.prepare(request, client)
        if not isinstance(step, EngineCall):
            self.deliver(sink, step)
            return
        dropped: list[tuple[_Job, str]] = []
        seq = next(self._seq)
        if self.search is not None and step.request.cmd in _CANCELS_SEARCH:
            self.search.cancel(client, seq)  # before queueing: its search can't be the victim
        with self._cond:
            if self._stopping or not self._threads:
                reason = SHUTTING_DOWN if self._stopping else "server is not running"
                dropped.append((_Job(step, sink, -1), reason))
            else:
                dropped.extend(self._enqueue_locked(_Job(step, sink, seq)))
                self._cond.notify()
        for job, reason in dropped:
            self._drop(job, reason)

    def _enqueue_locked(self, job: _Job) -> list[tuple[_Job, str]]:
        dropped: list[tuple[_Job, str]] = []
        queue = self._clients.setdefault(job.call.client, _ClientQueue())
        if queue.active is None:
            queue.active = job
            self._ready.append(job)
        else:
            slot = job.call.slot
            old = queue.pending.pop(slot, None)
            if old is not None and job.call.request.cmd == "match":
                new_id = job.call.request.request_id
                dropped.append((old, f"superseded by a newer match (id {new_id}) from this client"))
            queue.pending[slot] = job
        while self._queued_locked() > self.max_queued:
            victim = self._oldest_queued_locked()
            self._remove_queued_locked(victim)
            dropped.append((victim, f"more than {self.max_queued} requests are queued"))
        return dropped

    def _oldest_queued_locked(self) -> _Job:
        candidates = list(self._ready)
        for queue in self._clients.values():
            candidates.extend(queue.pending.values())
        return min(candidates, key=lambda job: job.seq)

    def _remove_queued_locked(self, job: _Job) -> None:
        queue = self._clients[job.call.client]
        if queue.active is job:
            self._ready.remove(job)
            queue.active = None
            self._promote_locked(job.call.client, queue)
        else:
            del queue.pending[job.call.slot]

    def _promote_locked(self, client: str, queue: _ClientQueue) -> None:
        if queue.pending:
            _, job = queue.pending.popitem(last=False)
            queue.active = job
            self._ready.append(job)
            self._cond.notify()
        else:
            self._clients.pop(client, None)

    def _drop(self, job: _Job, reason: str) -> None:
        request = job.call.request
        error = self.dispatcher.error(request, job.call.client, CODE_BUSY, reason)
        self.deliver(job.sink, [error])

    # -- workers --------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._ready and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                job = self._ready.popleft()
                queue = self._clients[job.call.client]
                queue.running = True
            with self.pause:  # searches wait while a first answer (or a knob) is computed
                replies = self._run(job)
                self.deliver(job.sink, replies)
            if job.call.request.cmd == "match":
                self._after_match(job, replies)
            with self._cond:
                queue.running = False
                queue.active = None
                if not self._stopping:
                    self._promote_locked(job.call.client, queue)

    def _after_match(self, job: _Job, replies: list[Reply]) -> None:
        """After a match's first answer has gone out: its note, then its search (or forget the
        audio kept for a search when the match failed)."""
        client = job.call.client
        match_id = getattr(job.call.request, "request_id", None)
        if match_id is None:
            return
        answered = any(isinstance(r, ParamsReply) and r.cmd == "match" for r in replies)
        if answered:
            placement_of = getattr(self.dispatcher.engine, "note_placement", None)
            if placement_of is not None:
                note = note_reply(match_id, placement_of(client=client, match_id=match_id))
                if note is not None:
                    self.deliver(job.sink, [note])
        if self.search is None:
            return
        if answered:
            self.search.begin(client, match_id, job.sink, job.seq)
        else:
            self.search.forget(client, match_id)

    def _run(self, job: _Job) -> list[Reply]:
        waited_s = self._clock() - job.call.received_s
        if waited_s > self.timeout_s:
            message = f"waited {waited_s:.1f} s in the queue (limit {self.timeout_s:g} s)"
            return [self.dispatcher.error(job.call.request, job.call.client, CODE_TIMEOUT, message)]
        return self.dispatcher.run(job.call)
