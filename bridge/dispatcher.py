"""Request dispatch: typed requests in, reply objects out. No bytes, no sockets, no threads.

Work is split in two so that transports stay responsive:

- :meth:`Dispatcher.prepare` runs on the transport thread. It answers quick requests (ping, info,
  names, upload begin/chunk), validates the rest and returns an :class:`EngineCall` for work that
  needs the engine (finishing an upload happens here, so the call carries the audio).
- :meth:`Dispatcher.run` runs an :class:`EngineCall` on a worker thread.

:meth:`Dispatcher.handle` does both in one call. None of them raises for bad input: every
:class:`~patchflow.bridge.errors.BridgeError` (and any unexpected engine failure) becomes an
:class:`~patchflow.bridge.messages.ErrorReply`.

MIDI learn: with a MIDI input attached (:meth:`Dispatcher.set_midi_input`), a learn request arms
learn mode and is answered later, when :meth:`Dispatcher.handle_midi` sees the CC that completes
it. Replies for a client other than the one whose request is being handled (the learned binding,
or the ``busy`` error of a learn that a newer one replaced) go through the ``notify`` callback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import mido
import numpy as np

from patchflow.bridge.audio import AudioClip, AudioLimits, FileAccess, shorten_path
from patchflow.bridge.errors import (
    CODE_BUSY,
    CODE_INTERNAL,
    CODE_TIMEOUT,
    BridgeError,
    RequestError,
)
from patchflow.bridge.messages import (
    LEARN_CANCELLED,
    NO_ID,
    BindingsReply,
    BindingsRequest,
    ErrorReply,
    InfoReply,
    InfoRequest,
    LearnedReply,
    LearnRequest,
    MacroRequest,
    MatchAudioRequest,
    MatchBeginRequest,
    MatchChunkRequest,
    MatchEndRequest,
    MatchFileRequest,
    MorphRequest,
    NamesReply,
    NamesRequest,
    ParamsReply,
    PingRequest,
    PongReply,
    Reply,
    Request,
)
from patchflow.bridge.midi import MacroInput, MacroLearn
from patchflow.bridge.network import client_is_remote
from patchflow.bridge.service import Engine, MatchResult
from patchflow.bridge.uploads import UploadStore

logger = logging.getLogger(__name__)

EngineRequest: TypeAlias = MatchAudioRequest | MatchFileRequest | MacroRequest | MorphRequest
Notify: TypeAlias = Callable[[str, list[Reply]], None]
"""Sends replies to a client (by client key) outside the request it is handling."""

MAX_STUCK_FILE_READS = 2
"""File reads that overstayed their timeout and still run; past this, file requests are refused."""
REMOTE_FILES_REFUSED = (
    "file paths are accepted only from this computer (loopback clients); send the audio itself "
    "(match/begin, match/chunk, match/end), or start the server with --remote-files"
)
NON_FINITE_RESULT = (
    "the model produced non-finite parameters for this audio; nothing was sent (try another "
    "clip, or a quieter one)"
)

NO_MIDI_INPUT = (
    "no MIDI input (the server runs without --midi-in, or its MIDI port could not be opened)"
)


@dataclass(frozen=True)
class EngineCall:
    """Engine work for one request, produced by :meth:`Dispatcher.prepare`.

    Args:
        client: Client key.
        request: The request (an OSC upload arrives here as a :class:`MatchAudioRequest`).
        received_s: Clock time when the request (its last datagram) arrived.
    """

    client: str
    request: EngineRequest
    received_s: float

    @property
    def slot(self) -> tuple[str, int]:
        """Queue slot: a client's matches share one slot, macros one per index, morphs one."""
        if isinstance(self.request, MacroRequest):
            return ("macro", self.request.index)
        return (self.request.cmd, 0)


@dataclass
class _ClientState:
    last_match_id: int | None = None


@dataclass(frozen=True)
class _PendingLearn:
    client: str
    request_id: int | None
    index: int


class Dispatcher:
    """Turns requests into replies by calling the engine.

    Args:
        engine: The inference engine.
        uploads: The chunked-upload table.
        clock: Monotonic clock in seconds (injectable for tests); also times the replies.
        max_clients: Per-client state is kept for this many recently seen clients.
        notify: Sends replies to another client than the requester (learned bindings, replaced
            learns); without it they are logged and dropped.
        files: Which files ``match/file`` may read (default: :class:`FileAccess`'s defaults,
            loopback clients only).
        search_budget_s: The server's search budget, told to clients in ``info`` and ``hello``
            replies (0: one answer per match, no stream).
    """

    def __init__(
        self,
        engine: Engine,
        uploads: UploadStore,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_clients: int = 1024,
        notify: Notify | None = None,
        files: FileAccess | None = None,
        search_budget_s: float = 0.0,
    ):
        self.engine = engine
        self.files = files if files is not None else FileAccess()
        self.search_budget_s = float(search_budget_s)
        self._stuck_reads = 0
        self._reads_lock = threading.Lock()
        self.uploads = uploads
        self.audio_limits: AudioLimits = uploads.audio_limits
        self._clock = clock
        self._max_clients = max_clients
        self._clients: OrderedDict[str, _ClientState] = OrderedDict()
        self._last_matched_client: str | None = None
        self._lock = threading.Lock()
        self._n_params = len(engine.param_names)
        self._notify = notify
        self._macro_learn: MacroLearn | None = None
        self._pending_learn: _PendingLearn | None = None
        self._learn_lock = threading.Lock()  # keeps learn mode and its requester in step
        uploads.set_eviction_listener(self._upload_evicted)

    # -- per-client state ---------------------------------------------------------------------

    def last_match_id(self, client: str) -> int | None:
        """Id of ``client``'s last successful match, if any."""
        with self._lock:
            state = self._clients.get(client)
            return None if state is None else state.last_match_id

    @property
    def last_matched_client(self) -> str | None:
        """The client that most recently got a match (MIDI macros apply to it)."""
        with self._lock:
            return self._last_matched_client

    def _state(self, client: str) -> _ClientState:
        with self._lock:
            state = self._clients.pop(client, None) or _ClientState()
            self._clients[client] = state
            while len(self._clients) > self._max_clients:
                self._clients.popitem(last=False)
            return state

    def _reply_id(self, request: Request, client: str) -> int:
        request_id = getattr(request, "request_id", None)
        if request_id is not None:
            return request_id
        if isinstance(request, MacroRequest | MorphRequest):
            last = self.last_match_id(client)
            return NO_ID if last is None else last
        return NO_ID

    def error(self, request: Request, client: str, code: str, message: str) -> ErrorReply:
        """An error reply for ``request`` with the id the protocol prescribes."""
        return ErrorReply(self._reply_id(request, client), code, message, request.cmd)

    # -- MIDI input ---------------------------------------------------------------------------

    def set_midi_input(self, macro_learn: MacroLearn | None) -> None:
        """Attach the bindings of an open MIDI input (None: no MIDI input; learn is refused)."""
        with self._learn_lock:
            self._macro_learn = macro_learn
            self._pending_learn = None
            if macro_learn is not None:
                macro_learn.cancel_learn()

    @property
    def has_midi_input(self) -> bool:
        """Whether a MIDI input is attached."""
        with self._learn_lock:
            return self._macro_learn is not None

    def handle_midi(self, msg: mido.Message) -> MacroInput:
        """Process one message from the MIDI input (on the MIDI thread).

        A CC that completes a learn request is answered to the requesting client (through
        ``notify``) with a :class:`LearnedReply`.

        Returns:
            The macro move to apply, and the binding learned, if any.
        """
        with self._learn_lock:
            if self._macro_learn is None:
                return MacroInput()
            result = self._macro_learn.process(msg)
            pending = None
            if result.learned is not None:
                pending, self._pending_learn = self._pending_learn, None
        if pending is not None and result.learned is not None:
            self._send(pending.client, [LearnedReply(pending.request_id, result.learned)])
        return result

    def _learn(self, request: LearnRequest, client: str) -> list[Reply]:
        n_macros = int(self.engine.n_macros)
        with self._learn_lock:
            macro_learn = self._macro_learn
            if macro_learn is None:
                raise RequestError(NO_MIDI_INPUT)
            if not -1 <= request.index < n_macros:
                raise RequestError(
                    f"macro index {request.index} is outside -1..{n_macros - 1} "
                    f"(the model has {n_macros} macros; -1 cancels learning)"
                )
            old = self._pending_learn
            if request.index == -1:
                macro_learn.cancel_learn()
                self._pending_learn = None
                outcome = "was cancelled"
                replies: list[Reply] = [LearnedReply(request.request_id, LEARN_CANCELLED)]
            else:
                macro_learn.learn(request.index)
                self._pending_learn = _PendingLearn(client, request.request_id, request.index)
                outcome = f"was replaced by a learn for macro {request.index}"
                replies = []
        if old is None:
            return replies
        request_id = NO_ID if old.request_id is None else old.request_id
        busy = ErrorReply(
            request_id, CODE_BUSY, f"MIDI learn for macro {old.index} {outcome}", "learn"
        )
        if old.client == client:  # after this request's own reply, on the same way back
            return [*replies, busy]
        self._send(old.client, [busy])
        return replies

    def _bindings(self, request: BindingsRequest) -> list[Reply]:
        with self._learn_lock:
            macro_learn = self._macro_learn
        if macro_learn is None:
            raise RequestError(NO_MIDI_INPUT)
        return [BindingsReply(request.request_id, macro_learn.binding_list())]

    def _upload_evicted(self, client: str, request_id: int, reason: str) -> None:
        self._send(client, [ErrorReply(request_id, CODE_BUSY, reason, "match")])

    def _send(self, client: str, replies: list[Reply]) -> None:
        if self._notify is None:
            logger.info("no way to send %r to %s; dropped", replies, client)
            return
        self._notify(client, replies)

    # -- the two phases -------------------------------------------------------------------------

    def handle(self, request: Request, client: str) -> list[Reply]:
        """Prepare and, if needed, run ``request`` synchronously."""
        step = self.prepare(request, client)
        return self.run(step) if isinstance(step, EngineCall) else step

    def prepare(self, request: Request, client: str) -> list[Reply] | EngineCall:
        """Quick part of a request, for the transport thread.

        Returns:
            The replies (possibly none) of a request that needs no engine work, or the
            :class:`EngineCall` to run.
        """
        self._state(client)
        try:
            return self._prepare(request, client)
        except BridgeError as exc:
            return [self.error(request, client, exc.code, exc.message)]
        except Exception:  # an engine or library bug must not stop the server
            logger.exception("internal error preparing %r from %s", request, client)
            return [self.error(request, client, CODE_INTERNAL, "internal server error")]

    def _prepare(self, request: Request, client: str) -> list[Reply] | EngineCall:
        engine = self.engine
        now = self._clock()
        if isinstance(request, PingRequest):
            return [PongReply(request.request_id, engine.model_name)]
        if isinstance(request, InfoRequest):
            return [
                InfoReply(
                    request_id=request.request_id,
                    model=engine.model_name,
                    synth=engine.synth_id,
                    n_params=self._n_params,
                    sample_rate=int(engine.sample_rate),
                    max_seconds=float(engine.max_seconds),
                    min_seconds=float(engine.min_seconds),
                    n_macros=int(engine.n_macros),
                    search_budget_s=self.search_budget_s,
                )
            ]
        if isinstance(request, NamesRequest):
            return [NamesReply(request.request_id, tuple(engine.param_names))]
        if isinstance(request, LearnRequest):
            return self._learn(request, client)
        if isinstance(request, BindingsRequest):
            return self._bindings(request)
        if isinstance(request, MatchBeginRequest):
            dropped = self.uploads.begin(
                client, request.request_id, request.sample_rate, request.channels, request.frames
            )
            limit = self.uploads.limits.max_per_client
            return [
                ErrorReply(
                    old_id,
                    CODE_BUSY,
                    f"upload {old_id} dropped: at most {limit} uploads per client may be open",
                    "match",
                )
                for old_id in dropped
            ]
        if isinstance(request, MatchChunkRequest):
            self.uploads.add_chunk(client, request.request_id, request.offset, request.samples)
            return []
        if isinstance(request, MatchEndRequest):
            clip = self.uploads.finish(client, request.request_id)
            audio_request = MatchAudioRequest(request.request_id, clip.audio, clip.sample_rate_hz)
            return EngineCall(client, audio_request, now)
        if isinstance(request, MatchAudioRequest):
            self.audio_limits.check_array(request.audio, request.sample_rate)
            return EngineCall(client, request, now)
        if isinstance(request, MatchFileRequest):
            if client_is_remote(client) and not self.files.remote:
                raise RequestError(REMOTE_FILES_REFUSED)
            return EngineCall(client, request, now)
        if isinstance(request, MacroRequest):
            n_macros = int(engine.n_macros)
            if not 0 <= request.index < n_macros:
                raise RequestError(
                    f"macro index {request.index} is outside 0..{n_macros - 1} "
                    f"(the model has {n_macros} macros)"
                )
            if not 0.0 <= request.value <= 1.0:
                raise RequestError(f"macro value {request.value} is outside 0..1")
            return EngineCall(client, request, now)
        if isinstance(request, MorphRequest):
            if not 0.0 <= request.value <= 1.0:
                raise RequestError(f"morph value {request.value} is outside 0..1")
            return EngineCall(client, request, now)
        raise RequestError(f"unsupported request type {type(request).__name__}")

    def run(self, call: EngineCall) -> list[Reply]:
        """Engine part of a request, for a worker thread."""
        request = call.request
        try:
            result = self._call_engine(call)
            self._check_result(result)
        except BridgeError as exc:
            return [self.error(request, call.client, exc.code, exc.message)]
        except Exception:  # an engine bug must not stop the server
            logger.exception("internal error running %r for %s", request, call.client)
            return [self.error(request, call.client, CODE_INTERNAL, "internal server error")]
        latency_ms = max(0.0, (self._clock() - call.received_s) * 1000.0)
        if isinstance(request, MatchAudioRequest | MatchFileRequest):
            match_id = request.request_id
            state = self._state(call.client)
            with self._lock:
                state.last_match_id = match_id
                self._last_matched_client = call.client
        else:
            last = self.last_match_id(call.client)
            match_id = last if last is not None else int(result.request_id)
        request_id = request.request_id if request.request_id is not None else match_id
        return [
            ParamsReply(
                cmd=request.cmd,
                request_id=request_id,
                match_id=match_id,
                params01=np.asarray(result.params01, dtype=np.float32),
                native=np.asarray(result.native, dtype=np.float32),
                latency_ms=latency_ms,
            )
        ]

    def _call_engine(self, call: EngineCall) -> MatchResult:
        request = call.request
        engine = self.engine
        if isinstance(request, MatchFileRequest):
            clip = self._read_file(request.path)
            return engine.match(
                clip.audio, clip.sample_rate_hz, client=call.client, request_id=request.request_id
            )
        if isinstance(request, MatchAudioRequest):
            return engine.match(
                request.audio,
                request.sample_rate,
                client=call.client,
                request_id=request.request_id,
            )
        if isinstance(request, MacroRequest):
            return engine.macro(client=call.client, index=request.index, value=request.value)
        return engine.morph(client=call.client, value=request.value)

    def _read_file(self, path: str) -> AudioClip:
        """Read a ``match/file`` path on a helper thread, waiting at most the file timeout.

        A read that overstays (a hung file system) is abandoned, so the worker, and the other
        clients queued behind it, go on; at most :data:`MAX_STUCK_FILE_READS` such reads may
        linger before file requests are refused.
        """
        files = self.files
        with self._reads_lock:
            if self._stuck_reads >= MAX_STUCK_FILE_READS:
                raise RequestError(
                    f"{self._stuck_reads} earlier file reads are still stuck; send the audio "
                    "itself, or try again later",
                    code=CODE_BUSY,
                )
        outcome: list[AudioClip | Exception] = []
        done = threading.Event()
        abandoned = threading.Event()

        def read() -> None:
            try:
                outcome.append(files.read(path, self.audio_limits))
            except Exception as exc:  # handed to the waiting worker
                outcome.append(exc)
            finally:
                with self._reads_lock:
                    done.set()
                    if abandoned.is_set():
                        self._stuck_reads -= 1

        threading.Thread(target=read, name="patchflow-file-read", daemon=True).start()
        if not done.wait(files.timeout_s + 0.5):
            with self._reads_lock:
                if not done.is_set():
                    abandoned.set()
                    self._stuck_reads += 1
            if abandoned.is_set():
                raise RequestError(
                    f"reading audio file {shorten_path(path)} took longer than "
                    f"{files.timeout_s:g} s",
                    code=CODE_TIMEOUT,
                )
        result = outcome[0]
        if isinstance(result, Exception):
            raise result
        return result

    def _check_result(self, result: MatchResult) -> None:
        for name in ("params01", "native"):
            values = getattr(result, name)
            shape = np.shape(values)
            if shape != (self._n_params,):
                raise TypeError(
                    f"engine returned {name} of shape {shape}, expected ({self._n_params},)"
                )
            if not np.all(np.isfinite(np.asarray(values, dtype=np.float64))):
                raise BridgeError(NON_FINITE_RESULT, code=CODE_INTERNAL)
