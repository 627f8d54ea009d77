"""Wires an engine to the transports: ``run_server(engine, config, stop_event)``.

One :class:`~patchflow.bridge.scheduler.Scheduler` (with its worker pool) is shared by the OSC and
ZeroMQ transports, each running in its own thread. Optional MIDI: every parameter reply is
mirrored to a MIDI output (only changed values are sent), and CCs from a MIDI input move macros of
the client that matched most recently; clients can put the input in learn mode (the next CC
becomes a macro's binding, written back to the ``midi_macro_map`` file when one is configured).
A status line (requests, errors, latency p50/p99) is logged every ``status_interval_s``.
With a search budget and a searcher factory, each match's first answer is followed by a stream of
improvements from a search with the synth in the loop (:mod:`patchflow.bridge.search_runner`).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mido

from patchflow.bridge.audio import AudioLimits, FileAccess
from patchflow.bridge.dispatcher import Dispatcher
from patchflow.bridge.messages import (
    ImprovementReply,
    MacroBinding,
    MacroRequest,
    ParamsReply,
    Reply,
)
from patchflow.bridge.midi import (
    MacroLearn,
    MidiKind,
    MidiParamSender,
    close_port,
    generate_mapping,
    open_midi_input,
    open_midi_output,
    read_mapping,
)
from patchflow.bridge.osc_server import OscServer, OscServerConfig
from patchflow.bridge.scheduler import Scheduler
from patchflow.bridge.search_pause import SearchPause
from patchflow.bridge.search_runner import (
    BudgetFactory,
    SearcherFactory,
    SearchingEngine,
    SearchRunner,
    SearchSettings,
    engine_refiner,
)
from patchflow.bridge.service import Engine
from patchflow.bridge.uploads import UploadLimits, UploadStore
from patchflow.bridge.zmq_server import ZmqServer, ZmqServerConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``patchflow serve`` can set.

    Args:
        osc_host: OSC listen interface.
        osc_port: OSC listen port (None disables OSC; 0 picks a free port).
        reply_host: Where OSC replies go.
        reply_port: OSC reply port.
        reply_to_sender: Send OSC replies to each datagram's source instead.
        zmq_endpoint: ZeroMQ bind endpoint (None disables ZeroMQ).
        allow: Client addresses/networks allowed over OSC (mandatory on a non-loopback bind).
        curve_secret_key: ZeroMQ server secret key file (mandatory on a non-loopback bind).
        curve_authorized_dir: Directory of authorised ZeroMQ client public keys.
        midi_out: MIDI output port name (virtual port, else an existing one); None disables it.
        midi_in: MIDI input port name for macro control; None disables it.
        midi_mapping: Parameter-to-controller mapping file; generated from the spec if None.
        midi_kind: Kind of generated mappings (``cc7``, ``cc14``, ``nrpn``).
        midi_channel: First channel of generated mappings (1..16).
        midi_macro_map: Macro bindings file (``MacroLearn.to_json`` format); CC102+ if None.
            Bindings learned over the network are written back to it (a missing file starts
            from the defaults and is created on the first learn).
        status_interval_s: Period of the status log line (None or 0 disables it).
        workers: Engine worker threads (1-2).
        request_timeout_s: Requests waiting longer than this for a worker are refused.
        max_queued: Most requests waiting for a worker over all clients.
        upload_timeout_s: Unfinished OSC uploads expire after this long without a chunk.
        search_budget_s: Seconds each match's search may run after its first answer (0: no
            search, one answer per match).
        search_renders: Render budget of each search (None: time only).
        search_top_k: Candidates in a search's final reply (0..4).
        search_threads: Searches running at once (each with its own searcher).
        search_seed: Search seed.
        files_from: Folders ``match/file`` may read besides the temp folders
            (``--files-from``).
        remote_files: Accept ``match/file`` paths from clients beyond loopback
            (``--remote-files``).
    """

    osc_host: str = "127.0.0.1"
    osc_port: int | None = 9130
    reply_host: str = "127.0.0.1"
    reply_port: int = 9131
    reply_to_sender: bool = False
    zmq_endpoint: str | None = "tcp://127.0.0.1:5555"
    allow: tuple[str, ...] = ()
    curve_secret_key: Path | None = None
    curve_authorized_dir: Path | None = None
    midi_out: str | None = None
    midi_in: str | None = None
    midi_mapping: Path | None = None
    midi_kind: MidiKind = "cc7"
    midi_channel: int = 1
    midi_macro_map: Path | None = None
    status_interval_s: float | None = 30.0
    workers: int = 1
    request_timeout_s: float = 10.0
    max_queued: int = 64
    upload_timeout_s: float = 10.0
    search_budget_s: float = 0.0
    search_renders: int | None = None
    search_top_k: int = 4
    search_threads: int = 1
    search_seed: int = 0
    files_from: tuple[Path, ...] = ()
    remote_files: bool = False


def search_budget(seconds: float, renders: int | None) -> BudgetFactory:
    """A budget factory giving :class:`patchflow.search.SearchBudget` (imported when called)."""

    def make() -> object:
        from patchflow.search import SearchBudget

        return SearchBudget(seconds=seconds, renders=renders)

    return make


class BridgeServer:
    """The running bridge: scheduler, transports and MIDI.

    Args:
        engine: The inference engine.
        config: Settings.
        clock: Monotonic clock in seconds (injectable for tests).
        midi_output_opener: ``mido.open_output``-compatible callable (tests).
        midi_input_opener: ``mido.open_input``-compatible callable (tests).
        searcher: Builds a searcher (one per search thread); needed when
            ``config.search_budget_s`` > 0.
        budget: Builds each search's budget (default: :func:`search_budget` from the config).
        pause: Held by the scheduler's workers while they compute and send a reply (the
            searcher's :class:`~patchflow.bridge.search_pause.SearchPause`); None: no pause.
    """

    def __init__(
        self,
        engine: Engine,
        config: ServerConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        midi_output_opener: Callable[..., Any] | None = None,
        midi_input_opener: Callable[..., Any] | None = None,
        searcher: SearcherFactory | None = None,
        budget: BudgetFactory | None = None,
        pause: SearchPause | None = None,
    ):
        self.config = config if config is not None else ServerConfig()
        cfg = self.config
        self.search: SearchRunner | None = None
        if cfg.search_budget_s > 0:
            if searcher is None:
                raise ValueError("a search budget needs a searcher (the synth's renderer)")
            settings = SearchSettings(
                budget=budget or search_budget(cfg.search_budget_s, cfg.search_renders),
                seed=cfg.search_seed,
                top_k=cfg.search_top_k,
                threads=cfg.search_threads,
                send_note=getattr(engine, "note_placement", None) is None,
            )
            self.search = SearchRunner(
                searcher, settings, deliver=self._deliver, refine=engine_refiner(engine)
            )
            engine = SearchingEngine(engine, self.search)
        self.engine = engine
        self.audio_limits = AudioLimits(max_seconds=float(engine.max_seconds))
        self.uploads = UploadStore(
            self.audio_limits, UploadLimits(timeout_s=cfg.upload_timeout_s), clock
        )
        self.dispatcher = Dispatcher(
            engine,
            self.uploads,
            clock,
            notify=self._notify,
            files=FileAccess.with_extra_dirs(cfg.files_from, remote=cfg.remote_files),
            search_budget_s=cfg.search_budget_s if self.search is not None else 0.0,
        )
        self.scheduler = Scheduler(
            self.dispatcher,
            workers=cfg.workers,
            max_queued=cfg.max_queued,
            timeout_s=cfg.request_timeout_s,
            clock=clock,
            search=self.search,
            pause=pause,
        )
        self.osc: OscServer | None = None
        self.zmq: ZmqServer | None = None
        self.macro_learn = self._load_macro_learn()
        self._save_lock = threading.Lock()
        self._midi_out: Any = None
        self._midi_in: Any = None
        self._midi_output_opener = midi_output_opener
        self._midi_input_opener = midi_input_opener

    def _load_macro_learn(self) -> MacroLearn:
        n_macros = int(self.engine.n_macros)
        path = self.config.midi_macro_map
        if path is None:
            return MacroLearn.default(n_macros)
        if not Path(path).exists():
            logger.info("macro map %s does not exist yet; using the default bindings", path)
            return MacroLearn.default(n_macros)
        return MacroLearn.from_json(n_macros, json.loads(Path(path).read_text(encoding="utf-8")))

    def start(self) -> None:
        """Start the workers, the transports and MIDI; on failure everything is stopped again.

        Raises:
            ValueError: Unsafe or invalid settings (non-loopback bind without protection, bad
                MIDI mapping file).
            OSError, zmq.ZMQError: If an address cannot be bound.
        """
        cfg = self.config
        self.scheduler.start()
        if self.search is not None:
            self.search.start()
        try:
            if cfg.osc_port is not None:
                self.osc = OscServer(
                    self.scheduler,
                    OscServerConfig(
                        host=cfg.osc_host,
                        port=cfg.osc_port,
                        reply_host=cfg.reply_host,
                        reply_port=cfg.reply_port,
                        reply_to_sender=cfg.reply_to_sender,
                        allow=tuple(cfg.allow),
                    ),
                )
                self.osc.start()
            if cfg.zmq_endpoint is not None:
                max_message_bytes = self.audio_limits.max_samples() * 4 + 2**16
                self.zmq = ZmqServer(
                    self.scheduler,
                    ZmqServerConfig(
                        endpoint=cfg.zmq_endpoint,
                        curve_secret_key=cfg.curve_secret_key,
                        curve_authorized_dir=cfg.curve_authorized_dir,
                        max_message_bytes=max_message_bytes,
                    ),
                )
                self.zmq.start()
            self._start_midi()
        except BaseException:
            self.stop()
            raise

    def _start_midi(self) -> None:
        cfg = self.config
        names = list(self.engine.param_names)
        if cfg.midi_out is not None:
            if cfg.midi_mapping is not None:
                mapping = read_mapping(cfg.midi_mapping, names)
            else:
                mapping = generate_mapping(names, cfg.midi_channel, cfg.midi_kind)
            self._midi_out = open_midi_output(cfg.midi_out, opener=self._midi_output_opener)
            if self._midi_out is not None:
                sender = MidiParamSender(self._midi_out, mapping, names)
                self.scheduler.add_observer(_midi_observer(sender))
                logger.info(
                    "MIDI out %r: %d parameters (%s)", cfg.midi_out, len(mapping), cfg.midi_kind
                )
        if cfg.midi_in is not None:
            self._midi_in = open_midi_input(
                cfg.midi_in, self.handle_midi_input, opener=self._midi_input_opener
            )
            if self._midi_in is not None:
                self.dispatcher.set_midi_input(self.macro_learn)

    def handle_midi_input(self, msg: mido.Message) -> None:
        """Complete a pending learn, and turn a bound CC into a macro request for the most
        recently matched client."""
        result = self.dispatcher.handle_midi(msg)
        if result.learned is not None:
            self._save_macro_map(result.learned)
        event = result.event
        if event is None:
            return
        client = self.dispatcher.last_matched_client
        sink = self.scheduler.last_sink(client) if client is not None else None
        if client is None or sink is None:
            logger.debug("macro %d moved before any match; ignored", event.index)
            return
        self.scheduler.submit(MacroRequest(index=event.index, value=event.value), client, sink)

    def _deliver(self, sink: Callable[[list[Reply]], None], replies: list[Reply]) -> None:
        self.scheduler.deliver(sink, replies)

    def _notify(self, client: str, replies: list[Reply]) -> None:
        """Send replies to ``client`` by the way its most recent request came."""
        sink = self.scheduler.last_sink(client)
        if sink is None:
            logger.info("client %s is gone; %d reply(ies) dropped", client, len(replies))
            return
        self.scheduler.deliver(sink, replies)

    def _save_macro_map(self, learned: MacroBinding) -> None:
        path = self.config.midi_macro_map
        if path is None:
            return
        try:
            with self._save_lock:  # two quick learns: the later state is written last
                write_macro_map(Path(path), self.macro_learn)
        except OSError as exc:
            logger.warning("learned macro %d but could not write %s: %s", learned.index, path, exc)
            return
        logger.info(
            "macro %d bound to CC%d on channel %d; saved to %s",
            learned.index,
            learned.controller,
            learned.channel,
            path,
        )

    def status_line(self) -> str:
        """The periodic status line."""
        snapshot = self.scheduler.stats.snapshot()
        line = f"{snapshot.line()} queued={self.scheduler.queued()} uploads={len(self.uploads)}"
        return line if self.search is None else f"{line} searches={self.search.busy()}"

    def stop(self) -> None:
        """Stop MIDI input, searches, workers, then transports and MIDI output (safe to call
        more than once).

        Searches and workers stop while the transports are still open, so their last replies
        still go out: each search's final score, the running engine call's reply, and ``busy:
        server is shutting down`` for every queued request (and any that arrives meanwhile).
        """
        self.dispatcher.set_midi_input(None)
        close_port(self._midi_in)
        if self.search is not None:
            self.search.stop()
        self.scheduler.stop()
        for transport in (self.osc, self.zmq):
            if transport is not None:
                transport.stop()
        self.osc = self.zmq = None
        close_port(self._midi_out)
        self._midi_in = self._midi_out = None

    def __enter__(self) -> BridgeServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def write_macro_map(path: Path, macro_learn: MacroLearn) -> None:
    """Write the bindings file atomically (a temporary file in the same folder, then rename).

    Raises:
        OSError: If the file cannot be written.
    """
    text = json.dumps(macro_learn.to_json(), indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _midi_observer(sender: MidiParamSender) -> Callable[[list[Reply]], None]:
    def observe(replies: list[Reply]) -> None:
        for reply in replies:
            if isinstance(reply, ParamsReply):
                sender.send(reply.params01)
            elif isinstance(reply, ImprovementReply) and reply.params01 is not None:
                sender.send(reply.params01)  # a search's better patch moves the synth too

    return observe


def run_server(
    engine: Engine,
    config: ServerConfig,
    stop_event: threading.Event,
    *,
    searcher: SearcherFactory | None = None,
    pause: SearchPause | None = None,
) -> None:
    """Serve ``engine`` until ``stop_event`` is set, logging a status line periodically.

    Args:
        engine: The inference engine.
        config: Settings.
        stop_event: Set it (from a signal handler or another thread) to stop cleanly.
        searcher: Builds the searcher when ``config.search_budget_s`` > 0.
        pause: Stops the searcher's processes while a reply is computed (see BridgeServer).

    Raises:
        ValueError, OSError, zmq.ZMQError: If the server cannot start (nothing is left running).
    """
    server = BridgeServer(engine, config, searcher=searcher, pause=pause)
    server.start()
    interval_s = config.status_interval_s or None
    try:
        while not stop_event.wait(interval_s if interval_s else 1.0):
            server.uploads.expire()
            if interval_s:
                logger.info("status: %s", server.status_line())
    finally:
        server.stop()
        logger.info("stopped: %s", server.status_line())
