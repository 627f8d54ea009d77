"""ZeroMQ transport: a ROUTER socket whose thread hands requests to a :class:`Scheduler`.

Clients use DEALER (asynchronous, any number of requests in flight, replies matched by ``id``) or
REQ (lock-step; the empty delimiter frame is echoed). The socket runs with ``ROUTER_MANDATORY``
(a reply to a vanished client raises instead of vanishing silently; we log and drop it), bounded
high-water marks and a maximum message size. Replies computed on worker threads are passed to the
socket's thread over an inproc PAIR socket, since ZeroMQ sockets are not thread-safe.

CURVE: binding to a non-loopback TCP address requires a server secret key file and a directory of
authorised client public keys (ZAP via ``zmq.auth.thread.ThreadAuthenticator``).
:func:`generate_keys` creates both for the ``patchflow keys`` verb.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from patchflow.bridge.errors import BridgeError
from patchflow.bridge.messages import NO_ID, ErrorReply, Reply
from patchflow.bridge.network import tcp_endpoint_is_loopback
from patchflow.bridge.scheduler import ReplySink, Scheduler
from patchflow.bridge.zmq_codec import decode_request, encode_reply

logger = logging.getLogger(__name__)

_wake_ids = itertools.count()
_WAKE = b""  # a one-frame empty message on the reply pipe only wakes the socket thread


@dataclass(frozen=True)
class ZmqServerConfig:
    """ZeroMQ transport settings.

    Args:
        endpoint: Bind endpoint; ``tcp://127.0.0.1:*`` picks a free port.
        curve_secret_key: Server certificate with secret key (``server.key_secret``). Required
            for a non-loopback TCP bind; enables CURVE on any bind when given.
        curve_authorized_dir: Directory of authorised client public keys (``*.key``).
        hwm: Send and receive high-water marks, in messages.
        max_message_bytes: Largest accepted message (the peer is disconnected beyond it).
    """

    endpoint: str = "tcp://127.0.0.1:5555"
    curve_secret_key: Path | None = None
    curve_authorized_dir: Path | None = None
    hwm: int = 100
    max_message_bytes: int = 256 * 2**20


@dataclass(frozen=True)
class CurveKeyFiles:
    """Files written by :func:`generate_keys`.

    Args:
        server_public: ``server.key`` (give to clients).
        server_secret: ``server.key_secret`` (keep on the server).
        client_public: ``<client>.key``.
        client_secret: ``<client>.key_secret`` (give to that client).
        authorized_dir: ``authorized_clients/`` with a copy of the client public key.
    """

    server_public: Path
    server_secret: Path
    client_public: Path
    client_secret: Path
    authorized_dir: Path


def generate_keys(
    directory: str | Path, *, client_name: str = "client", overwrite: bool = False
) -> CurveKeyFiles:
    """Create a server key pair, one client key pair and an authorised-clients directory.

    Args:
        directory: Where to write (created if missing).
        client_name: File stem of the client certificate.
        overwrite: Replace an existing server key (otherwise refuse).

    Returns:
        The paths written. Secret key files are made readable by the owner only.

    Raises:
        FileExistsError: If a server key exists and ``overwrite`` is false.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    server_secret = directory / "server.key_secret"
    if server_secret.exists() and not overwrite:
        raise FileExistsError(f"{server_secret} exists; pass overwrite=True to replace it")
    server_public_s, server_secret_s = zmq.auth.create_certificates(str(directory), "server")
    client_public_s, client_secret_s = zmq.auth.create_certificates(str(directory), client_name)
    authorized = directory / "authorized_clients"
    authorized.mkdir(exist_ok=True)
    shutil.copy(client_public_s, authorized / Path(client_public_s).name)
    for secret in (server_secret_s, client_secret_s):
        Path(secret).chmod(0o600)
    return CurveKeyFiles(
        server_public=Path(server_public_s),
        server_secret=Path(server_secret_s),
        client_public=Path(client_public_s),
        client_secret=Path(client_secret_s),
        authorized_dir=authorized,
    )


def endpoint_is_local(endpoint: str) -> bool:
    """True for ``ipc://``, ``inproc://`` and TCP endpoints whose every host is loopback.

    ``tcp://source;destination:port`` names two hosts; both must be loopback addresses, so
    ``tcp://127.0.0.1;0.0.0.0:P`` is not local.
    """
    transport, _, _ = endpoint.partition("://")
    if transport in ("ipc", "inproc"):
        return True
    return transport == "tcp" and tcp_endpoint_is_loopback(endpoint)


class ZmqServer:
    """ROUTER transport thread.

    Args:
        scheduler: Receives every request.
        config: Transport settings.
    """

    def __init__(self, scheduler: Scheduler, config: ZmqServerConfig | None = None):
        self.scheduler = scheduler
        self.config = config if config is not None else ZmqServerConfig()
        self.endpoint: str | None = None
        self._ctx: zmq.Context | None = None
        self._router: zmq.Socket | None = None
        self._wake_rx: zmq.Socket | None = None
        self._wake_tx: zmq.Socket | None = None
        self._wake_lock = threading.Lock()
        self._auth: ThreadAuthenticator | None = None
        self._thread: threading.Thread | None = None
        self._thread_id: int | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        """Bind and start the socket thread.

        Raises:
            ValueError: A non-loopback bind without CURVE keys.
            zmq.ZMQError: If the endpoint cannot be bound.
        """
        config = self.config
        use_curve = config.curve_secret_key is not None
        if not endpoint_is_local(config.endpoint) and not (
            use_curve and config.curve_authorized_dir is not None
        ):
            raise ValueError(
                f"refusing to bind ZeroMQ to {config.endpoint!r}, which is not a loopback "
                "address, without CURVE: pass a server secret key file and an authorised-clients "
                "directory (see `patchflow keys`)"
            )
        if use_curve and config.curve_authorized_dir is None:
            raise ValueError("CURVE needs an authorised-clients directory as well as the key")
        ctx = zmq.Context()
        self._ctx = ctx
        try:
            router = ctx.socket(zmq.ROUTER)
            self._router = router
            router.setsockopt(zmq.LINGER, 0)
            router.setsockopt(zmq.ROUTER_MANDATORY, 1)
            router.setsockopt(zmq.SNDHWM, config.hwm)
            router.setsockopt(zmq.RCVHWM, config.hwm)
            router.setsockopt(zmq.MAXMSGSIZE, config.max_message_bytes)
            if use_curve:
                self._setup_curve(ctx, router)
            router.bind(config.endpoint)
            self.endpoint = router.getsockopt_string(zmq.LAST_ENDPOINT)
            wake_address = f"inproc://patchflow-zmq-replies-{next(_wake_ids)}"
            self._wake_rx = ctx.socket(zmq.PAIR)
            self._wake_rx.setsockopt(zmq.LINGER, 0)
            self._wake_rx.setsockopt(zmq.RCVHWM, 0)
            self._wake_rx.bind(wake_address)
            self._wake_tx = ctx.socket(zmq.PAIR)
            self._wake_tx.setsockopt(zmq.LINGER, 0)
            self._wake_tx.setsockopt(zmq.SNDHWM, 0)
            self._wake_tx.connect(wake_address)
        except (zmq.ZMQError, OSError, ValueError):
            self._close()
            raise
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="patchflow-zmq", daemon=True)
        self._thread.start()
        logger.info("ZeroMQ listening on %s%s", self.endpoint, " (CURVE)" if use_curve else "")

    def _setup_curve(self, ctx: zmq.Context, router: zmq.Socket) -> None:
        config = self.config
        assert config.curve_secret_key is not None and config.curve_authorized_dir is not None
        if not zmq.has("curve"):
            raise ValueError("this libzmq has no CURVE support")
        authorized = Path(config.curve_authorized_dir)
        if not authorized.is_dir():
            raise ValueError(f"authorised-clients directory {str(authorized)!r} does not exist")
        public, secret = zmq.auth.load_certificate(str(config.curve_secret_key))
        if secret is None:
            raise ValueError(f"{config.curve_secret_key} holds no secret key")
        self._auth = ThreadAuthenticator(ctx)
        self._auth.start()
        self._auth.configure_curve(domain="*", location=str(authorized))
        router.curve_secretkey = secret
        router.curve_publickey = public
        router.curve_server = True

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the socket thread and close everything."""
        self._stop.set()
        with self._wake_lock:
            if self._wake_tx is not None:
                self._wake_tx.send(_WAKE)
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        self._close()

    def _close(self) -> None:
        with self._wake_lock:
            for sock in (self._router, self._wake_rx, self._wake_tx):
                if sock is not None:
                    sock.close(linger=0)
            self._router = self._wake_rx = self._wake_tx = None
        if self._auth is not None:
            self._auth.stop()
            self._auth = None
        if self._ctx is not None:
            self._ctx.term()
            self._ctx = None

    # -- socket thread --------------------------------------------------------------------------

    def _serve(self) -> None:
        self._thread_id = threading.get_ident()
        router, wake_rx = self._router, self._wake_rx
        assert router is not None and wake_rx is not None
        poller = zmq.Poller()
        poller.register(router, zmq.POLLIN)
        poller.register(wake_rx, zmq.POLLIN)
        while not self._stop.is_set():
            try:
                events = dict(poller.poll(500))
                if wake_rx in events:
                    self._drain(wake_rx, self._send_to_router)
                if router in events:
                    self._drain(router, self._handle)
            except Exception:  # the transport must survive anything a client sends
                logger.exception("unexpected error in the ZeroMQ transport")

    @staticmethod
    def _drain(sock: zmq.Socket, handler: Callable[[list[bytes]], None], limit: int = 256) -> None:
        for _ in range(limit):
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            handler(frames)

    def _handle(self, frames: list[bytes]) -> None:
        identity, body = frames[0], frames[1:]
        envelope: list[bytes] = []
        if body and body[0] == b"":  # REQ client: echo the delimiter
            envelope, body = [b""], body[1:]
        client = f"zmq:{identity.hex()}"
        sink = self._sink_for([identity, *envelope])
        try:
            request = decode_request(body)
        except BridgeError as exc:
            request_id = NO_ID if exc.request_id is None else exc.request_id
            self.scheduler.reject(sink, ErrorReply(request_id, exc.code, exc.message, exc.cmd))
            return
        self.scheduler.submit(request, client, sink)

    def _sink_for(self, prefix: list[bytes]) -> ReplySink:
        def sink(replies: list[Reply]) -> None:
            for reply in replies:
                self._post([*prefix, *encode_reply(reply)])

        return sink

    def _post(self, frames: list[bytes]) -> None:
        if threading.get_ident() == self._thread_id:
            self._send_to_router(frames)
            return
        with self._wake_lock:  # the lock also orders the PAIR socket's use across threads
            if self._wake_tx is not None:
                self._wake_tx.send_multipart(frames)

    def _send_to_router(self, frames: list[bytes]) -> None:
        router = self._router
        if router is None or frames == [_WAKE]:
            return
        try:
            router.send_multipart(frames, zmq.NOBLOCK)
        except zmq.Again:
            logger.warning("reply dropped: client %s is not reading (HWM reached)", frames[0].hex())
        except zmq.ZMQError as exc:
            logger.debug("reply dropped for client %s: %s", frames[0].hex(), exc)
