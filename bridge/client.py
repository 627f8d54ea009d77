"""Small Python clients for the bridge (used by tests and examples).

:class:`OscClient` speaks OSC over UDP (audio goes up as a chunked upload and is resent when the
server reports missing chunks); :class:`ZmqClient` speaks the ZeroMQ protocol over a DEALER
socket (audio in one message). Both raise :class:`RemoteError` for an error reply and
:class:`TimeoutError` when no reply arrives in time.
"""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import zmq
import zmq.auth

from patchflow.bridge.errors import CODE_INCOMPLETE
from patchflow.bridge.messages import NO_ID, MacroBinding
from patchflow.bridge.osc_chunks import encode_chunk
from patchflow.bridge.osc_codec import OscMessage, decode_packet, encode_message
from patchflow.bridge.osc_protocol import (
    ADDR_ERROR,
    ADDR_INFO,
    ADDR_LATENCY,
    ADDR_MACRO,
    ADDR_MATCH_BEGIN,
    ADDR_MATCH_END,
    ADDR_MATCH_FILE,
    ADDR_MIDI_BINDINGS,
    ADDR_MIDI_LEARN,
    ADDR_MIDI_LEARNED,
    ADDR_MORPH,
    ADDR_NAMES,
    ADDR_NATIVE,
    ADDR_PARAMS,
    ADDR_PING,
    ADDR_PONG,
    MAX_CHUNK_FLOATS,
)
from patchflow.bridge.zmq_codec import ZmqReply, decode_reply, encode_request


class RemoteError(Exception):
    """The server answered with an error reply.

    Args:
        request_id: Id in the error reply (-1 when the request had no readable id).
        code: Error code (``invalid``, ``busy``, ...).
        message: The server's explanation.
    """

    def __init__(self, request_id: int, code: str, message: str):
        super().__init__(f"{code}: {message} (id {request_id})")
        self.request_id = request_id
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Pong:
    """Answer to a ping."""

    request_id: int
    model: str
    protocol_version: int


@dataclass(frozen=True)
class Info:
    """Model description (``min_seconds`` only over ZeroMQ)."""

    model: str
    synth: str
    n_params: int
    sample_rate: int
    max_seconds: float
    n_macros: int
    min_seconds: float | None = None
    search_budget_s: float | None = None  # None: a server too old to say


@dataclass(frozen=True)
class MatchReply:
    """A parameter set.

    Args:
        request_id: The match id (over OSC, macro and morph replies carry the match id).
        params01: (P,) float32 normalised values, spec order.
        native: (P,) float32 native values.
        latency_ms: Server-side latency.
    """

    request_id: int
    params01: np.ndarray
    native: np.ndarray
    latency_ms: float


def _as_int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected an int argument, got {value!r}")
    return value


def _as_float(value: object) -> float:
    if not isinstance(value, int | float):
        raise TypeError(f"expected a float argument, got {value!r}")
    return float(value)


def _split_error(text: str) -> tuple[str, str]:
    code, sep, message = text.partition(": ")
    return (code, message) if sep else ("unknown", text)


# ---------------------------------------------------------------------------------------------
# OSC


class OscClient:
    """OSC/UDP client.

    Args:
        server: (host, port) of the bridge.
        listen: Local (host, port) to bind; replies arrive here. Use the server's reply port
            (9131 by default) unless the server replies to senders, where any port works.
        timeout_s: Default reply timeout.
    """

    def __init__(
        self,
        server: tuple[str, int] = ("127.0.0.1", 9130),
        *,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        timeout_s: float = 5.0,
    ):
        self.server = server
        self.timeout_s = timeout_s
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(listen)
        self._ids = itertools.count(1)
        self._backlog: list[OscMessage] = []
        self.last_match_id: int | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The local (host, port)."""
        host, port = self._sock.getsockname()[:2]
        return host, port

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()

    def __enter__(self) -> OscClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def next_id(self) -> int:
        """A fresh request id."""
        return next(self._ids) % 2**31

    # -- raw I/O --------------------------------------------------------------------------------

    def send(self, msg: OscMessage) -> None:
        """Send one message."""
        self.send_raw(encode_message(msg))

    def send_raw(self, data: bytes) -> None:
        """Send datagram bytes as they are (upload chunks; tests use it for malformed input)."""
        self._sock.sendto(data, self.server)

    def receive(self, timeout_s: float | None = None) -> OscMessage:
        """The next message (from the backlog first).

        Raises:
            TimeoutError: If nothing arrives in time.
        """
        if self._backlog:
            return self._backlog.pop(0)
        return self._receive_one(self._deadline(timeout_s))

    def _deadline(self, timeout_s: float | None) -> float:
        return time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)

    def _receive_one(self, deadline: float) -> OscMessage:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no reply from the OSC server")
            self._sock.settimeout(remaining)
            try:
                data = self._sock.recv(65535)
            except TimeoutError:
                continue
            messages = decode_packet(data)
            if messages:
                self._backlog.extend(messages[1:])
                return messages[0]

    def wait_for(
        self, predicate: Callable[[OscMessage], bool], timeout_s: float | None = None
    ) -> OscMessage:
        """The first message matching ``predicate``; others stay in the backlog.

        Raises:
            TimeoutError: If none arrives in time.
        """
        for k, msg in enumerate(self._backlog):
            if predicate(msg):
                return self._backlog.pop(k)
        deadline = self._deadline(timeout_s)
        while True:
            msg = self._receive_one(deadline)
            if predicate(msg):
                return msg
            self._backlog.append(msg)

    def _wait_error_or(
        self, address: str, ids: tuple[int, ...], timeout_s: float | None
    ) -> OscMessage:
        def wanted(msg: OscMessage) -> bool:
            if msg.address == ADDR_ERROR:
                return bool(msg.args) and msg.args[0] in ids
            return msg.address == address and (not ids or (bool(msg.args) and msg.args[0] in ids))

        msg = self.wait_for(wanted, timeout_s)
        if msg.address == ADDR_ERROR:
            code, message = _split_error(str(msg.args[1]))
            raise RemoteError(_as_int(msg.args[0]), code, message)
        return msg

    def _wait_params(self, ids: tuple[int, ...], timeout_s: float | None) -> MatchReply:
        deadline = self._deadline(timeout_s)
        params = self._wait_error_or(ADDR_PARAMS, ids, deadline - time.monotonic())
        match_id = _as_int(params.args[0])
        native = self._wait_error_or(ADDR_NATIVE, (match_id,), deadline - time.monotonic())
        latency = self._wait_error_or(ADDR_LATENCY, (match_id,), deadline - time.monotonic())
        return MatchReply(
            request_id=match_id,
            params01=np.asarray(params.args[1:], dtype=np.float32),
            native=np.asarray(native.args[1:], dtype=np.float32),
            latency_ms=_as_float(latency.args[1]),
        )

    # -- protocol -------------------------------------------------------------------------------

    def ping(self, request_id: int | None = None, timeout_s: float | None = None) -> Pong:
        """Send ``/patchflow/ping`` and wait for the pong."""
        request_id = self.next_id() if request_id is None else request_id
        self.send(OscMessage(ADDR_PING, (request_id,)))
        msg = self._wait_error_or(ADDR_PONG, (request_id,), timeout_s)
        return Pong(_as_int(msg.args[0]), str(msg.args[1]), _as_int(msg.args[2]))

    def info(self, timeout_s: float | None = None) -> Info:
        """Send ``/patchflow/info`` and wait for the answer."""
        self.send(OscMessage(ADDR_INFO))
        a = self._wait_error_or(ADDR_INFO, (), timeout_s).args
        return Info(
            model=str(a[0]),
            synth=str(a[1]),
            n_params=_as_int(a[2]),
            sample_rate=_as_int(a[3]),
            max_seconds=_as_float(a[4]),
            n_macros=_as_int(a[5]),
            search_budget_s=_as_float(a[6]) if len(a) > 6 else None,
        )

    def names(self, timeout_s: float | None = None) -> list[str]:
        """Send ``/patchflow/names`` and wait for the parameter names."""
        self.send(OscMessage(ADDR_NAMES))
        return [str(a) for a in self._wait_error_or(ADDR_NAMES, (), timeout_s).args]

    def upload(self, request_id: int, audio: np.ndarray, sample_rate: int) -> None:
        """Send ``begin``, every chunk and ``end`` for (C, T) audio (no waiting)."""
        audio = np.asarray(audio, dtype=np.float32)
        channels, frames = audio.shape
        self.send(OscMessage(ADDR_MATCH_BEGIN, (request_id, sample_rate, channels, frames)))
        self.send_chunks(request_id, audio)
        self.send(OscMessage(ADDR_MATCH_END, (request_id,)))

    def send_chunks(self, request_id: int, audio: np.ndarray) -> None:
        """Send the interleaved samples of (C, T) audio in chunks of at most 1600 floats."""
        interleaved = np.asarray(audio, dtype=np.float32).T.reshape(-1)
        for offset in range(0, interleaved.size, MAX_CHUNK_FLOATS):
            chunk = interleaved[offset : offset + MAX_CHUNK_FLOATS]
            self.send_raw(encode_chunk(request_id, offset, chunk))

    def match(
        self,
        audio: np.ndarray,
        sample_rate: int,
        timeout_s: float | None = None,
        *,
        request_id: int | None = None,
        retries: int = 2,
    ) -> MatchReply:
        """Upload (C, T) float32 audio in chunks and wait for the match.

        If the server reports missing samples (UDP loss), the chunks are resent, up to
        ``retries`` times.
        """
        request_id = self.next_id() if request_id is None else request_id
        self.upload(request_id, audio, sample_rate)
        for attempt in range(retries + 1):
            try:
                reply = self._wait_params((request_id,), timeout_s)
                break
            except RemoteError as exc:
                if exc.code != CODE_INCOMPLETE or attempt == retries:
                    raise
                self.send_chunks(request_id, np.asarray(audio, dtype=np.float32))
                self.send(OscMessage(ADDR_MATCH_END, (request_id,)))
        self.last_match_id = reply.request_id
        return reply

    def match_file(
        self, path: str | Path, timeout_s: float | None = None, *, request_id: int | None = None
    ) -> MatchReply:
        """Ask the server to read and match an audio file (a path on the server's machine)."""
        request_id = self.next_id() if request_id is None else request_id
        self.send(OscMessage(ADDR_MATCH_FILE, (request_id, str(path))))
        reply = self._wait_params((request_id,), timeout_s)
        self.last_match_id = reply.request_id
        return reply

    def _derived_ids(self) -> tuple[int, ...]:
        return (NO_ID,) if self.last_match_id is None else (self.last_match_id, NO_ID)

    def macro(self, index: int, value: float, timeout_s: float | None = None) -> MatchReply:
        """Move macro ``index`` to ``value`` and wait for the new parameters."""
        self.send(OscMessage(ADDR_MACRO, (index, float(value))))
        return self._wait_params(self._derived_ids(), timeout_s)

    def morph(self, value: float, timeout_s: float | None = None) -> MatchReply:
        """Morph between the previous and the last match and wait for the parameters."""
        self.send(OscMessage(ADDR_MORPH, (float(value),)))
        return self._wait_params(self._derived_ids(), timeout_s)

    def _wait_unnumbered(self, address: str, timeout_s: float | None) -> OscMessage:
        """The next ``address`` message, or an error without a request id (raised)."""

        def wanted(msg: OscMessage) -> bool:
            if msg.address == ADDR_ERROR:
                return bool(msg.args) and msg.args[0] == NO_ID
            return msg.address == address

        msg = self.wait_for(wanted, timeout_s)
        if msg.address == ADDR_ERROR:
            code, message = _split_error(str(msg.args[1]))
            raise RemoteError(NO_ID, code, message)
        return msg

    def send_learn(self, index: int) -> None:
        """Send ``/patchflow/midi/learn`` without waiting (see :meth:`wait_learned`)."""
        self.send(OscMessage(ADDR_MIDI_LEARN, (int(index),)))

    def wait_learned(self, timeout_s: float | None = None) -> MacroBinding:
        """Wait for ``/patchflow/midi/learned`` (raises :class:`RemoteError` on an error reply
        without id, e.g. ``invalid: no MIDI input`` or ``busy`` for a replaced learn)."""
        a = self._wait_unnumbered(ADDR_MIDI_LEARNED, timeout_s).args
        return MacroBinding(_as_int(a[0]), _as_int(a[1]), _as_int(a[2]))

    def learn(self, index: int, timeout_s: float | None = None) -> MacroBinding:
        """Put the server's MIDI input in learn mode for macro ``index`` and wait until a CC
        has been bound (``index`` -1 cancels learning; its answer is ``MacroBinding(-1, 0, 0)``).

        Raises:
            RemoteError: ``invalid: no MIDI input``, a bad index, or ``busy`` when another learn
                replaced or cancelled this one.
            TimeoutError: If no CC arrives in time.
        """
        self.send_learn(index)
        return self.wait_learned(timeout_s)

    def bindings(self, timeout_s: float | None = None) -> list[MacroBinding]:
        """The MIDI input's macro bindings, ordered by macro index."""
        self.send(OscMessage(ADDR_MIDI_BINDINGS))
        a = [_as_int(v) for v in self._wait_unnumbered(ADDR_MIDI_BINDINGS, timeout_s).args]
        return [MacroBinding(*a[k : k + 3]) for k in range(0, len(a) - 2, 3)]


# ---------------------------------------------------------------------------------------------
# ZeroMQ


class ZmqClient:
    """ZeroMQ DEALER client.

    Args:
        endpoint: The server's endpoint.
        server_public_key: Server certificate (``server.key``) when the server uses CURVE.
        client_secret_key: This client's certificate with secret key (``client.key_secret``).
        timeout_s: Default reply timeout.
    """

    def __init__(
        self,
        endpoint: str = "tcp://127.0.0.1:5555",
        *,
        server_public_key: str | Path | None = None,
        client_secret_key: str | Path | None = None,
        timeout_s: float = 5.0,
    ):
        self.timeout_s = timeout_s
        self._ctx = zmq.Context()
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        if server_public_key is not None:
            if client_secret_key is None:
                raise ValueError("CURVE needs the client's secret key file as well")
            server_public, _ = zmq.auth.load_certificate(str(server_public_key))
            public, secret = zmq.auth.load_certificate(str(client_secret_key))
            self._sock.curve_serverkey = server_public
            self._sock.curve_publickey = public
            self._sock.curve_secretkey = secret
        self._sock.connect(endpoint)
        self._ids = itertools.count(1)
        self._backlog: list[ZmqReply] = []

    def close(self) -> None:
        """Close the socket and its context."""
        self._sock.close(linger=0)
        self._ctx.term()

    def __enter__(self) -> ZmqClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def next_id(self) -> int:
        """A fresh request id."""
        return next(self._ids)

    def send_frames(self, frames: list[bytes]) -> None:
        """Send raw frames (tests use this for malformed input)."""
        self._sock.send_multipart(frames)

    def receive(self, timeout_s: float | None = None) -> ZmqReply:
        """The next reply (from the backlog first).

        Raises:
            TimeoutError: If nothing arrives in time.
        """
        if self._backlog:
            return self._backlog.pop(0)
        return self._receive_socket(self.timeout_s if timeout_s is None else timeout_s)

    def _receive_socket(self, timeout_s: float) -> ZmqReply:
        if not self._sock.poll(int(1000 * timeout_s), zmq.POLLIN):
            raise TimeoutError("no reply from the ZeroMQ server")
        return decode_reply(self._sock.recv_multipart())

    def wait_for(self, request_id: int, timeout_s: float | None = None) -> ZmqReply:
        """The reply with ``id == request_id`` (or -1); raises :class:`RemoteError` on ok=false."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        found = next((r for r in self._backlog if r.header.get("id") == request_id), None)
        if found is not None:
            self._backlog.remove(found)
        while found is None:
            # Only the socket: a stale reply already in the backlog (e.g. to a ping that timed
            # out) must not be received again and again until the deadline never comes.
            reply = self._receive_socket(max(0.0, deadline - time.monotonic()))
            if reply.header.get("id") in (request_id, NO_ID):
                found = reply
            else:
                self._backlog.append(reply)
        if not found.header.get("ok"):
            header = found.header
            raise RemoteError(
                int(header.get("id", NO_ID)), str(header.get("code")), str(header.get("error"))
            )
        return found

    def request(
        self,
        cmd: str,
        *,
        audio: np.ndarray | None = None,
        timeout_s: float | None = None,
        **fields: Any,
    ) -> ZmqReply:
        """Send one request and wait for its reply."""
        request_id = self.next_id()
        self.send_frames(encode_request(cmd, request_id, audio=audio, **fields))
        return self.wait_for(request_id, timeout_s)

    @staticmethod
    def _match_reply(reply: ZmqReply) -> MatchReply:
        assert reply.params01 is not None and reply.native is not None
        return MatchReply(
            request_id=int(reply.header.get("match_id", reply.header["id"])),
            params01=reply.params01,
            native=reply.native,
            latency_ms=float(reply.header["latency_ms"]),
        )

    def ping(self, timeout_s: float | None = None) -> Pong:
        """Round trip a ping."""
        h = self.request("ping", timeout_s=timeout_s).header
        return Pong(int(h["id"]), str(h["model"]), int(h["protocol_version"]))

    def info(self, timeout_s: float | None = None) -> Info:
        """Model description."""
        h = self.request("info", timeout_s=timeout_s).header
        return Info(
            model=h["model"],
            synth=h["synth"],
            n_params=h["n_params"],
            sample_rate=h["sample_rate"],
            max_seconds=h["max_seconds"],
            n_macros=h["n_macros"],
            min_seconds=h["min_seconds"],
            search_budget_s=h.get("search_budget_s"),
        )

    def names(self, timeout_s: float | None = None) -> list[str]:
        """Parameter names in spec order."""
        return list(self.request("names", timeout_s=timeout_s).header["names"])

    def match(
        self, audio: np.ndarray, sample_rate: int, timeout_s: float | None = None
    ) -> MatchReply:
        """Match (C, T) float32 audio sent in one message."""
        reply = self.request("match", audio=audio, timeout_s=timeout_s, sample_rate=sample_rate)
        return self._match_reply(reply)

    def match_file(self, path: str | Path, timeout_s: float | None = None) -> MatchReply:
        """Read an audio file locally and match it."""
        data, sample_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        return self.match(np.ascontiguousarray(data.T), int(sample_rate), timeout_s)

    def macro(self, index: int, value: float, timeout_s: float | None = None) -> MatchReply:
        """Move macro ``index`` to ``value``."""
        reply = self.request("macro", timeout_s=timeout_s, index=index, value=float(value))
        return self._match_reply(reply)

    def morph(self, value: float, timeout_s: float | None = None) -> MatchReply:
        """Morph between the previous (0) and the last (1) match."""
        return self._match_reply(self.request("morph", timeout_s=timeout_s, value=float(value)))

    def learn(self, index: int, timeout_s: float | None = None) -> MacroBinding:
        """MIDI learn for macro ``index`` (-1 cancels); waits until a CC has been bound."""
        h = self.request("learn", timeout_s=timeout_s, index=int(index)).header
        return MacroBinding(int(h["index"]), int(h["channel"]), int(h["controller"]))

    def bindings(self, timeout_s: float | None = None) -> list[MacroBinding]:
        """The MIDI input's macro bindings, ordered by macro index."""
        entries = self.request("bindings", timeout_s=timeout_s).header["bindings"]
        return [
            MacroBinding(int(b["index"]), int(b["channel"]), int(b["controller"])) for b in entries
        ]
