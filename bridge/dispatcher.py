"""Request dispatch: typed requests in, reply objects out. No bytes, no sockets, no threads.

Work is split in two so that transports stay responsive:

- :meth:`Dispatcher.prepare` runs on the transport thread. It answers quick requests (ping, info,
  names, upload begin/chunk), validates the rest and returns an :class:`EngineCall` for work that
  needs the engine (finishing an upload happens here, so the call carries the audio).
- :meth:`Dispatcher.run` runs an :class:`EngineCall` on a worker thread.

:meth:`Dispatcher.handle` does both in one call. None of them raises for bad input: every
:class:`~patchflow.bridge.errors.BridgeError` (and any unexpected engine failure) becomes an
:class:`~patchflow.bridge.messages.ErrorReply`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np

from patchflow.bridge.audio import AudioLimits, read_audio_file
from patchflow.bridge.errors import CODE_BUSY, CODE_INTERNAL, BridgeError, RequestError
from patchflow.bridge.messages import (
    NO_ID,
    ErrorReply,
    InfoReply,
    InfoRequest,
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
from patchflow.bridge.service import Engine, MatchResult
from patchflow.bridge.uploads import UploadStore

logger = logging.getLogger(__name__)

EngineRequest: TypeAlias = MatchAudioRequest | MatchFileRequest | MacroRequest | MorphRequest


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


class Dispatcher:
    """Turns requests into replies by calling the engine.

    Args:
        engine: The inference engine.
        uploads: The chunked-upload table.
        clock: Monotonic clock in seconds (injectable for tests); also times the replies.
        max_clients: Per-client state is kept for this many recently seen clients.
    """

    def __init__(
        self,
        engine: Engine,
        uploads: UploadStore,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_clients: int = 1024,
    ):
        self.engine = engine
        self.uploads = uploads
        self.audio_limits: AudioLimits = uploads.audio_limits
        self._clock = clock
        self._max_clients = max_clients
        self._clients: OrderedDict[str, _ClientState] = OrderedDict()
        self._last_matched_client: str | None = None
        self._lock = threading.Lock()
        self._n_params = len(engine.param_names)

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
                )
            ]
        if isinstance(request, NamesRequest):
            return [NamesReply(request.request_id, tuple(engine.param_names))]
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
            clip = read_audio_file(request.path, self.audio_limits)
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

    def _check_result(self, result: MatchResult) -> None:
        for name in ("params01", "native"):
            shape = np.shape(getattr(result, name))
            if shape != (self._n_params,):
                raise TypeError(
                    f"engine returned {name} of shape {shape}, expected ({self._n_params},)"
                )
