"""Searches that keep improving a match after its first answer, on their own threads.

The first answer of a match comes from the engine as always; then :class:`SearchRunner` runs a
:class:`patchflow.search.Searcher` (synth in the loop) on the matched audio and streams each
improvement to the client as an :class:`~patchflow.bridge.messages.ImprovementReply` (the note
first, as a :class:`~patchflow.bridge.messages.NoteReply`), ending with exactly one ``final``
reply. Searches never run on the engine workers, so first answers never wait behind them.

Cancellation: a newer match, macro or morph from the same client cancels its search
(:meth:`SearchRunner.cancel`, called when the request is submitted, before it is queued). After
``cancel`` returns, nothing more of that search is applied: no patch is sent or handed to the
engine, so a macro computed afterwards acts around the last patch the client received; the
cancelled search still ends its stream with a final reply that carries its candidates and the
score of that last patch, but no patch. A search whose match was overtaken before it could start
ends at once with a final reply of score :data:`~patchflow.bridge.messages.NO_SCORE`.

The searcher is injected (:data:`SearcherFactory`, one searcher per search thread), so the bridge
can be tested with a scripted searcher and served with the real one.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from patchflow.bridge.errors import CODE_INTERNAL
from patchflow.bridge.messages import (
    NO_SCORE,
    ErrorReply,
    ImprovementReply,
    NoteReply,
    Reply,
    ScoredPatch,
)
from patchflow.bridge.service import MatchResult

logger = logging.getLogger(__name__)

ReplySink = Callable[[list[Reply]], None]
Deliver = Callable[[ReplySink, list[Reply]], None]
"""Sends replies through a sink (the scheduler's ``deliver``: counts them, feeds observers)."""
Refine = Callable[[str, int, np.ndarray], object]
"""``refine(client, match_id, encoded)``: tell the engine a better patch for that match."""

_MAX_REMEMBERED_CLIENTS = 1024


class SearchBackend(Protocol):
    """What the runner needs from :class:`patchflow.search.Searcher`."""

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
        """Yield improvements (``best``, ``final``, ``note``, ``candidates``, ...), last one
        ``final``."""
        ...


SearcherFactory = Callable[[], SearchBackend]
"""Builds one searcher per search thread (called on that thread)."""
BudgetFactory = Callable[[], Any]
"""Builds the budget passed to each run (``patchflow.search.SearchBudget``)."""


@dataclass(frozen=True)
class SearchSettings:
    """How the server searches after each match.

    Args:
        budget: Zero-argument callable giving each run's budget (``SearchBudget``).
        seed: Search seed (the same sound gives the same stream for a render budget).
        top_k: Candidates in the final reply (at most 4 over OSC, by the protocol).
        threads: Searches running at once (each thread owns one searcher).
        send_note: Send the searcher's note before the first improvement (off when the engine
            already sent the note with the first answer).
    """

    budget: BudgetFactory
    seed: int = 0
    top_k: int = 4
    threads: int = 1
    send_note: bool = True


@dataclass(eq=False)
class _Search:
    client: str
    match_id: int
    seq: int
    audio: np.ndarray = field(repr=False)
    sample_rate: int
    sink: ReplySink
    cancel: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    applied_score: float = NO_SCORE  # score of the last patch the client was sent
    note_sent: bool = False


class SearchRunner:
    """Runs one search per client at a time, on ``settings.threads`` threads of its own.

    Args:
        factory: Builds a searcher (once per thread).
        settings: Budget, seed, candidates, threads.
        deliver: Sends replies through a client's sink.
        refine: Passes each applied patch to the engine (macros and morph then act around it).
    """

    def __init__(
        self,
        factory: SearcherFactory,
        settings: SearchSettings,
        *,
        deliver: Deliver,
        refine: Refine | None = None,
    ) -> None:
        if settings.threads < 1:
            raise ValueError(f"search threads must be at least 1, got {settings.threads}")
        if not 0 <= settings.top_k <= 4:
            raise ValueError(f"top_k must be 0..4, got {settings.top_k}")
        self.settings = settings
        self._factory = factory
        self._deliver = deliver
        self._refine = refine
        self._cond = threading.Condition()
        self._pending: deque[_Search] = deque()
        self._running: dict[str, _Search] = {}
        self._inputs: OrderedDict[str, tuple[int, np.ndarray, int]] = OrderedDict()
        self._cancelled_at: OrderedDict[str, int] = OrderedDict()
        self._threads: list[threading.Thread] = []
        self._stopping = False

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the search threads."""
        with self._cond:
            if self._threads:
                return
            self._stopping = False
            self._threads = [
                threading.Thread(target=self._work, name=f"patchflow-search-{k}", daemon=True)
                for k in range(self.settings.threads)
            ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Cancel every search, end the waiting ones with their final score, join the threads."""
        with self._cond:
            self._stopping = True
            running = list(self._running.values())
            waiting = list(self._pending)
            self._pending.clear()
            self._inputs.clear()
            self._cond.notify_all()
        for search in running:
            with search.lock:
                search.cancel.set()
        for search in waiting:  # every stream ends with its final score, also at shutdown
            self._finish_unstarted(search)
        for thread in self._threads:
            thread.join(timeout_s)
            if thread.is_alive():
                logger.warning("search thread %s did not stop in time", thread.name)
        with self._cond:
            self._threads = []

    def busy(self) -> int:
        """Searches running or waiting."""
        with self._cond:
            return len(self._running) + len(self._pending)

    # -- called by the engine wrapper and the scheduler ----------------------------------------

    def remember(self, client: str, match_id: int, audio: np.ndarray, sample_rate: int) -> None:
        """Keep the audio a match was computed from until :meth:`begin` (one per client)."""
        with self._cond:
            self._inputs.pop(client, None)
            self._inputs[client] = (match_id, audio, int(sample_rate))
            while len(self._inputs) > _MAX_REMEMBERED_CLIENTS:
                self._inputs.popitem(last=False)

    def forget(self, client: str, match_id: int) -> None:
        """Drop the remembered audio of a match that failed after the engine ran."""
        with self._cond:
            kept = self._inputs.get(client)
            if kept is not None and kept[0] == match_id:
                del self._inputs[client]

    def cancel(self, client: str, seq: int) -> None:
        """A request with sequence number ``seq`` from ``client`` supersedes its searches.

        Running and waiting searches of matches submitted before ``seq`` are cancelled; a match
        submitted before ``seq`` whose search has not begun yet will not begin. When this
        returns, no patch of a cancelled search is sent or applied any more.
        """
        with self._cond:
            previous = self._cancelled_at.pop(client, -1)
            self._cancelled_at[client] = max(previous, seq)
            while len(self._cancelled_at) > _MAX_REMEMBERED_CLIENTS:
                self._cancelled_at.popitem(last=False)
            running = self._running.get(client)
            dropped = [s for s in self._pending if s.client == client and s.seq < seq]
            for search in dropped:
                self._pending.remove(search)
        if running is not None and running.seq < seq:
            with running.lock:
                running.cancel.set()
        for search in dropped:
            self._finish_unstarted(search)

    def begin(self, client: str, match_id: int, sink: ReplySink, seq: int) -> None:
        """Start searching for ``client``'s match ``match_id`` (its first answer has been sent).

        Args:
            client: Client key.
            match_id: The match id.
            sink: Where the stream goes.
            seq: The match request's sequence number (see :meth:`cancel`).
        """
        with self._cond:
            kept = self._inputs.get(client)
            if kept is None or kept[0] != match_id:
                logger.warning("no audio kept for match %d of %s; not searching", match_id, client)
                return
            del self._inputs[client]
            _, audio, sample_rate = kept
            search = _Search(client, match_id, seq, audio, sample_rate, sink)
            overtaken = self._stopping or self._cancelled_at.get(client, -1) > seq
            replaced = [s for s in self._pending if s.client == client]
            if not overtaken:
                for old in replaced:
                    self._pending.remove(old)
                self._pending.append(search)
                self._cond.notify()
            running = self._running.get(client)
        if overtaken:
            self._finish_unstarted(search)
            return
        if running is not None:
            with running.lock:
                running.cancel.set()
        for old in replaced:
            self._finish_unstarted(old)

    # -- search threads -------------------------------------------------------------------------

    def _work(self) -> None:
        searcher: SearchBackend | None = None
        while True:
            with self._cond:
                search = self._next_locked()
                while search is None and not self._stopping:
                    self._cond.wait()
                    search = self._next_locked()
                if search is None:
                    return
                self._running[search.client] = search
            try:
                if searcher is None:
                    searcher = self._factory()
                self._run(searcher, search)
            except Exception:  # a searcher bug must not kill the thread or silence the stream
                logger.exception("search for match %d of %s failed", search.match_id, search.client)
                error = ErrorReply(
                    search.match_id,
                    CODE_INTERNAL,
                    "the search failed; the last patch sent stands",
                    "match",
                )
                self._send(search, [error, self._final_without_patch(search, ())])
            finally:
                with self._cond:
                    if self._running.get(search.client) is search:
                        del self._running[search.client]
                    self._cond.notify_all()

    def _next_locked(self) -> _Search | None:
        """The oldest waiting search whose client has none running."""
        if self._stopping:
            return None
        for search in self._pending:
            if search.client not in self._running:
                self._pending.remove(search)
                return search
        return None

    def _run(self, searcher: SearchBackend, search: _Search) -> None:
        settings = self.settings
        stream = searcher.run(
            search.audio,
            search.sample_rate,
            budget=settings.budget(),
            seed=settings.seed,
            cancel=search.cancel,
            top_k=settings.top_k,
        )
        last: Any = None
        for improvement in stream:
            last = improvement
            if improvement.final:
                break
            self._apply(search, improvement)
        self._finish(search, last)

    def _apply(self, search: _Search, improvement: Any) -> None:
        """Send one improvement (and the note before the first), unless cancelled."""
        with search.lock:
            if search.cancel.is_set():
                return
            replies: list[Reply] = []
            replies.extend(self._note_once(search, improvement))
            replies.append(_improvement_reply(search.match_id, improvement, final=False))
            self._hand_to_engine(search, improvement.best)
            search.applied_score = _score(improvement.best.score)
            self._send(search, replies)

    def _finish(self, search: _Search, final: Any) -> None:
        """The stream's one final reply: with the best patch, or none if cancelled."""
        with search.lock:
            candidates = _scored(final.candidates) if final is not None else ()
            if final is None or search.cancel.is_set():
                self._send(search, [self._final_without_patch(search, candidates)])
                return
            replies: list[Reply] = list(self._note_once(search, final))
            self._hand_to_engine(search, final.best)
            search.applied_score = _score(final.best.score)
            replies.append(_improvement_reply(search.match_id, final, final=True))
            self._send(search, replies)

    def _note_once(self, search: _Search, improvement: Any) -> list[Reply]:
        if search.note_sent or not self.settings.send_note:
            return []
        search.note_sent = True
        note = note_reply(search.match_id, improvement.note)
        return [] if note is None else [note]

    def _final_without_patch(
        self, search: _Search, candidates: tuple[ScoredPatch, ...]
    ) -> ImprovementReply:
        return ImprovementReply(
            request_id=search.match_id,
            params01=None,
            native=None,
            score=search.applied_score,
            final=True,
            candidates=candidates[: self.settings.top_k],
        )

    def _finish_unstarted(self, search: _Search) -> None:
        self._send(search, [self._final_without_patch(search, ())])

    def _hand_to_engine(self, search: _Search, best: Any) -> None:
        if self._refine is None:
            return
        try:
            self._refine(search.client, search.match_id, np.asarray(best.encoded, np.float32))
        except Exception:  # the stream goes on; macros then act around the first answer
            logger.exception("engine refused the refined patch of match %d", search.match_id)

    def _send(self, search: _Search, replies: list[Reply]) -> None:
        self._deliver(search.sink, replies)


def _score(value: float) -> float:
    """A score for the wire: :data:`NO_SCORE` for a patch the search could not score."""
    value = float(value)
    return value if math.isfinite(value) else NO_SCORE


def note_reply(match_id: int, note: Any) -> NoteReply | None:
    """The note message of a :class:`~patchflow.pitch.NotePlacement` (None for None)."""
    if note is None:
        return None
    detected = note.detected
    return NoteReply(
        request_id=match_id,
        midi=None if detected is None else float(detected),
        confidence=float(note.confidence),
        octaves_shifted=int(note.octaves_shifted),
    )


def _scored(candidates: Any) -> tuple[ScoredPatch, ...]:
    return tuple(
        ScoredPatch(_score(c.score), np.asarray(c.unit, np.float32).reshape(-1))
        for c in candidates or ()
    )


def _improvement_reply(match_id: int, improvement: Any, *, final: bool) -> ImprovementReply:
    best = improvement.best
    return ImprovementReply(
        request_id=match_id,
        params01=np.asarray(best.unit, np.float32).reshape(-1),
        native=np.asarray(best.native, np.float32).reshape(-1),
        score=_score(best.score),
        final=final,
        candidates=_scored(improvement.candidates) if final else (),
        stage=str(improvement.stage),
        renders=int(improvement.renders),
        elapsed_s=float(improvement.elapsed_s),
    )


class SearchingEngine:
    """An engine that hands each match's audio to a :class:`SearchRunner`.

    Delegates everything to ``inner``; :meth:`match` also remembers the audio for the search
    that starts once the first answer has been sent (only after the engine accepted it).

    Args:
        inner: The engine.
        runner: The search runner.
    """

    def __init__(self, inner: Any, runner: SearchRunner) -> None:
        self.inner = inner
        self.runner = runner
        self.model_name = inner.model_name
        self.synth_id = inner.synth_id
        self.param_names = inner.param_names
        self.sample_rate = inner.sample_rate
        self.max_seconds = inner.max_seconds
        self.min_seconds = inner.min_seconds
        self.n_macros = inner.n_macros

    def __getattr__(self, name: str) -> Any:
        """Anything else the inner engine offers (``refine``, ``bundle``, ...)."""
        return getattr(self.inner, name)

    def match(
        self, audio: np.ndarray, sample_rate: int, *, client: str, request_id: int
    ) -> MatchResult:
        result = self.inner.match(audio, sample_rate, client=client, request_id=request_id)
        self.runner.remember(client, request_id, audio, sample_rate)
        return result

    def macro(self, *, client: str, index: int, value: float) -> MatchResult:
        return self.inner.macro(client=client, index=index, value=value)

    def morph(self, *, client: str, value: float) -> MatchResult:
        return self.inner.morph(client=client, value=value)


def engine_refiner(engine: Any) -> Refine | None:
    """The engine's ``refine`` as a :data:`Refine` callback (None if it has none)."""
    refine = getattr(engine, "refine", None)
    if refine is None:
        return None

    def hand(client: str, match_id: int, encoded: np.ndarray) -> object:
        return refine(client=client, match_id=match_id, encoded=encoded)

    return hand
