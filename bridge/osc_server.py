"""OSC over UDP transport: receives datagrams, hands requests to a :class:`Scheduler`.

One thread reads datagrams (up to 65535 bytes, so an oversize datagram is decoded and refused with
an error reply rather than silently truncated). Replies go to the configured reply address
(default 127.0.0.1:9131, where the Max device listens) or, with ``reply_to_sender``, back to the
datagram's source. A sender that registered with ``/patchflow/hello <reply_port>`` gets its
replies at (its host, reply_port) instead, so several device instances, each with its own
receive port, share one server without cross-talk. On a non-loopback bind an allow-list of
client addresses is mandatory; datagrams from other addresses are dropped without a reply.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections import OrderedDict
from dataclasses import dataclass

from patchflow.bridge.errors import CODE_INTERNAL, CODE_INVALID, BridgeError
from patchflow.bridge.messages import NO_ID, ErrorReply, HelloReply, HelloRequest, Reply, Request
from patchflow.bridge.network import IpNetwork, is_allowed, is_loopback_host, parse_allow_list
from patchflow.bridge.osc_chunks import decode_chunk
from patchflow.bridge.osc_codec import (
    MAX_DATAGRAM_BYTES,
    OscEncodeError,
    decode_packet,
    encode_message,
)
from patchflow.bridge.osc_protocol import encode_reply, error_reply, parse_request, peek_request_id
from patchflow.bridge.scheduler import ReplySink, Scheduler

logger = logging.getLogger(__name__)

RECEIVE_BYTES = 65535
_MAX_LOGGED_REFUSALS = 1000
MAX_REGISTERED_SENDERS = 1024
"""Reply ports kept from hellos; beyond this the least recently active sender is forgotten."""
Address = tuple[str, int]


@dataclass(frozen=True)
class OscServerConfig:
    """OSC transport settings.

    Args:
        host: Interface to listen on.
        port: UDP port to listen on (0 picks a free one).
        reply_host: Where replies go (unless ``reply_to_sender``).
        reply_port: Reply port.
        reply_to_sender: Send replies to each datagram's source address instead.
        allow: Client addresses or networks (``"192.168.1.20"``, ``"10.0.0.0/24"``) allowed to
            send. Empty means "everyone", which is only permitted on a loopback bind.
        max_datagram_bytes: Larger datagrams are refused with an error reply.
        receive_buffer_bytes: Requested socket receive buffer (bursts of upload chunks).
    """

    host: str = "127.0.0.1"
    port: int = 9130
    reply_host: str = "127.0.0.1"
    reply_port: int = 9131
    reply_to_sender: bool = False
    allow: tuple[str, ...] = ()
    max_datagram_bytes: int = MAX_DATAGRAM_BYTES
    receive_buffer_bytes: int = 4 * 2**20


def requests_from_datagram(
    data: bytes, *, max_bytes: int = MAX_DATAGRAM_BYTES
) -> list[Request | ErrorReply]:
    """Decode a datagram into requests, or error replies for what cannot be served.

    Args:
        data: The datagram.
        max_bytes: Datagrams longer than this are decoded (to find the id) but refused.

    Returns:
        One item per message (a bundle may hold several): a request or an error reply.
    """
    if len(data) <= max_bytes:
        chunk = decode_chunk(data)  # the bulk of an upload, without a Python float per sample
        if chunk is not None:
            return [chunk]
    try:
        messages = decode_packet(data)
    except BridgeError as exc:
        return [ErrorReply(NO_ID, exc.code, exc.message)]
    if len(data) > max_bytes:
        first = messages[0] if messages else None
        request_id = peek_request_id(first) if first is not None else None
        where = f" ({first.address})" if first is not None else ""
        return [
            ErrorReply(
                NO_ID if request_id is None else request_id,
                CODE_INVALID,
                f"datagram of {len(data)} bytes{where} exceeds the {max_bytes}-byte limit",
            )
        ]
    items: list[Request | ErrorReply] = []
    for msg in messages:
        try:
            items.append(parse_request(msg))
        except BridgeError as exc:
            request_id = NO_ID if exc.request_id is None else exc.request_id
            items.append(ErrorReply(request_id, exc.code, exc.message, exc.cmd))
    return items


def encode_reply_datagrams(reply: Reply, *, max_bytes: int = MAX_DATAGRAM_BYTES) -> list[bytes]:
    """Datagrams for one reply; a reply too large for a datagram becomes an error datagram."""
    datagrams = []
    for msg in encode_reply(reply):
        try:
            datagrams.append(encode_message(msg, max_bytes=max_bytes))
        except OscEncodeError as exc:
            logger.error("cannot send %s: %s", msg.address, exc)
            request_id = msg.args[0] if msg.args and isinstance(msg.args[0], int) else NO_ID
            text = f"{CODE_INTERNAL}: reply {msg.address} does not fit in a datagram ({exc})"
            datagrams.append(encode_message(error_reply(request_id, text)))
            break
    return datagrams


class OscServer:
    """UDP transport thread.

    Args:
        scheduler: Receives every request.
        config: Transport settings.
    """

    def __init__(self, scheduler: Scheduler, config: OscServerConfig | None = None):
        self.scheduler = scheduler
        self.config = config if config is not None else OscServerConfig()
        self._allow: tuple[IpNetwork, ...] = ()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._send_lock = threading.Lock()
        self._reply_address: Address | None = None
        self._refused: set[str] = set()
        self._reply_ports: OrderedDict[Address, int] = OrderedDict()
        self._ports_lock = threading.Lock()

    @property
    def address(self) -> Address:
        """The bound (host, port)."""
        if self._sock is None:
            raise RuntimeError("OSC server is not started")
        host, port = self._sock.getsockname()[:2]
        return host, port

    def start(self) -> None:
        """Bind and start the receive thread.

        Raises:
            ValueError: A non-loopback bind without an allow-list, or a bad allow-list entry.
            OSError: If the address cannot be bound or resolved.
        """
        config = self.config
        self._allow = parse_allow_list(config.allow)
        if not self._allow and not is_loopback_host(config.host):
            raise ValueError(
                f"refusing to listen for OSC on {config.host!r}, which is not a loopback "
                "address, without an allow-list of client addresses"
            )
        family, _, _, _, sockaddr = socket.getaddrinfo(
            config.host, config.port, type=socket.SOCK_DGRAM
        )[0]
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, config.receive_buffer_bytes)
            sock.bind(sockaddr)
            sock.settimeout(0.5)
            if not config.reply_to_sender:
                info = socket.getaddrinfo(
                    config.reply_host, config.reply_port, family, socket.SOCK_DGRAM
                )[0]
                self._reply_address = (str(info[4][0]), int(info[4][1]))
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="patchflow-osc", daemon=True)
        self._thread.start()
        host, port = self.address
        logger.info("OSC listening on %s:%d", host, port)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the receive thread and close the socket."""
        self._stop.set()
        if self._thread is not None and self._sock is not None:
            self._wake()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _wake(self) -> None:
        """Unblock ``recvfrom`` with an empty datagram to ourselves."""
        assert self._sock is not None
        try:
            with socket.socket(self._sock.family, socket.SOCK_DGRAM) as waker:
                waker.sendto(b"", self._sock.getsockname())
        except OSError as exc:
            logger.debug("could not wake the OSC thread (%s); it stops within 0.5 s", exc)

    def _serve(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stop.is_set():
            try:
                data, sender = sock.recvfrom(RECEIVE_BYTES)
            except TimeoutError:
                continue
            except OSError as exc:
                if self._stop.is_set():
                    break
                logger.warning("OSC receive failed: %s", exc)
                continue
            if self._stop.is_set():
                break
            try:
                self.handle_datagram(data, sender[:2])
            except Exception:  # one bad datagram must never stop the transport
                logger.exception("unexpected error handling a datagram from %s", sender)

    def handle_datagram(self, data: bytes, sender: Address) -> None:
        """Decode one datagram and submit its requests (called on the receive thread)."""
        host, port = sender
        if not is_allowed(host, self._allow):
            if host not in self._refused and len(self._refused) < _MAX_LOGGED_REFUSALS:
                self._refused.add(host)
                logger.warning("dropping OSC datagrams from %s (not in the allow-list)", host)
            return
        client = f"osc:{host}:{port}"
        sink = self._sink_for((host, port))
        for item in requests_from_datagram(data, max_bytes=self.config.max_datagram_bytes):
            if isinstance(item, ErrorReply):
                self.scheduler.reject(sink, item)
            elif isinstance(item, HelloRequest):
                self.register(host, port, item.reply_port)
                self.scheduler.stats.count_request()
                budget_s = self.scheduler.dispatcher.search_budget_s
                self.scheduler.deliver(
                    sink, [HelloReply(item.reply_port, search_budget_s=budget_s)]
                )
            else:
                self.scheduler.submit(item, client, sink)

    def register(self, host: str, port: int, reply_port: int) -> None:
        """Send the replies to requests from ``host:port`` to ``host:reply_port`` from now on."""
        with self._ports_lock:
            self._reply_ports.pop((host, port), None)
            self._reply_ports[(host, port)] = reply_port
            while len(self._reply_ports) > MAX_REGISTERED_SENDERS:
                self._reply_ports.popitem(last=False)

    def destination(self, sender: Address) -> Address:
        """Where replies to ``sender`` go: its registered reply port, else the configured way."""
        with self._ports_lock:
            reply_port = self._reply_ports.get(sender)
            if reply_port is not None:
                self._reply_ports.move_to_end(sender)
                return sender[0], reply_port
        if self.config.reply_to_sender:
            return sender
        assert self._reply_address is not None
        return self._reply_address

    def _sink_for(self, sender: Address) -> ReplySink:
        def sink(replies: list[Reply]) -> None:
            destination = self.destination(sender)  # at send time: a hello may come later
            for reply in replies:
                datagrams = encode_reply_datagrams(reply, max_bytes=self.config.max_datagram_bytes)
                self._send(datagrams, destination)

        return sink

    def _send(self, datagrams: list[bytes], destination: Address) -> None:
        """Send one reply's datagrams back to back: replies from other threads (a search's
        improvement, a macro's result) never interleave with them."""
        sock = self._sock
        if sock is None:
            return
        with self._send_lock:
            for datagram in datagrams:
                try:
                    sock.sendto(datagram, destination)
                except OSError as exc:
                    logger.debug("OSC reply to %s failed: %s", destination, exc)
