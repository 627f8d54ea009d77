"""``patchflow serve``: the real-time bridge between Ableton Live and a model bundle."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import logging
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from patchflow.bundle import DEFAULT_MODEL
from patchflow.machine import limit_blas_threads

HELP = "run the real-time bridge: OSC and ZeroMQ in, parameters out as OSC and MIDI CC"

log = logging.getLogger("patchflow.serve")

DEFAULT_BUDGET_S = 1.0
"""Seconds each match keeps improving after its first answer unless ``--budget-s`` says
otherwise: the first answer in milliseconds, a close match within a second or two."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"bundle name or path (default: the shipped {DEFAULT_MODEL}; --model kosc4: the k-osc "
        "toy synth)",
    )
    parser.add_argument("--osc-host", default="127.0.0.1",
                        help="OSC listen address (non-loopback needs --allow)")  # fmt: skip
    parser.add_argument("--osc-port", type=int, default=9130, help="OSC listen port")
    parser.add_argument("--no-osc", action="store_true", help="disable OSC")
    parser.add_argument("--reply-host", default="127.0.0.1", help="where OSC replies go")
    parser.add_argument("--reply-port", type=int, default=9131, help="OSC reply port")
    parser.add_argument("--reply-to-sender", action="store_true",
                        help="reply to each datagram's source address instead")  # fmt: skip
    parser.add_argument("--zmq", default="tcp://127.0.0.1:5555",
                        help="ZeroMQ ROUTER endpoint (non-loopback needs CURVE keys)")  # fmt: skip
    parser.add_argument("--no-zmq", action="store_true", help="disable ZeroMQ")
    parser.add_argument("--allow", action="append", default=[], metavar="ADDR",
                        help="OSC client address or network allowed (repeatable)")  # fmt: skip
    parser.add_argument(
        "--curve-keys",
        type=Path,
        help="folder written by `patchflow keys` (server.key_secret, authorized_clients/)",
    )
    parser.add_argument(
        "--files-from",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="folder whose audio files match/file may read, besides the temp folders (repeatable)",
    )
    parser.add_argument(
        "--remote-files",
        action="store_true",
        help="accept match/file paths from clients beyond loopback too",
    )
    parser.add_argument("--midi-out", help="MIDI output port name (virtual where supported)")
    parser.add_argument("--midi-in", help="MIDI input port whose CCs drive the macros")
    parser.add_argument("--midi-mapping", type=Path, help="parameter-to-controller mapping file")
    parser.add_argument("--midi-kind", choices=["cc7", "cc14", "nrpn"], default="cc7",
                        help="kind of generated mapping")  # fmt: skip
    parser.add_argument("--midi-channel", type=int, default=1, help="MIDI channel (1-16)")
    parser.add_argument("--midi-macro-map", type=Path, help="macro CC bindings file")
    parser.add_argument("--steps", type=int, help="solver steps (default: the bundle's)")
    parser.add_argument("--method", choices=["euler", "midpoint", "rk4"], help="ODE method")
    parser.add_argument("--cfg", type=float, help="guidance scale (default: the bundle's)")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime threads per session")
    parser.add_argument(
        "--workers", type=int, default=1, choices=[1, 2], help="engine worker threads"
    )
    parser.add_argument("--status-interval", type=float, default=30.0,
                        help="seconds between status lines (0: off)")  # fmt: skip
    search = parser.add_argument_group("search after the first answer (synth in the loop)")
    search.add_argument(
        "--budget-s",
        type=float,
        default=None,
        help="seconds each match keeps improving after its first answer, streamed to the "
        f"client (default {DEFAULT_BUDGET_S:g}; 0: no search, one answer per match; a plug-in "
        "synth that cannot be loaded also gives one answer per match)",
    )
    search.add_argument(
        "--search-renders",
        type=int,
        help="render budget per search (with enough seconds: deterministic)",
    )
    search.add_argument(
        "--search-workers",
        type=int,
        default=1,
        help="plug-in render processes of the search process (k-osc renders in it directly)",
    )
    search.add_argument(
        "--plugin",
        help="the synth plug-in to render with, the same as in Live (default: its usual place)",
    )
    search.add_argument(
        "--top",
        type=int,
        default=4,
        choices=range(5),
        metavar="K",
        help="candidates sent when a search ends (0..4)",
    )


def run(args: argparse.Namespace) -> int:
    import zmq

    from patchflow.bridge.engine import OnnxEngine
    from patchflow.bridge.server import ServerConfig, run_server
    from patchflow.bundle import BundleError
    from patchflow.cli import CommandError

    check_network_settings(args)
    limit_blas_threads()  # small products only; idle BLAS threads would spin on the cores
    budget_s = DEFAULT_BUDGET_S if args.budget_s is None else args.budget_s
    if not budget_s >= 0:
        raise CommandError(f"--budget-s must be 0 or more seconds, got {budget_s:g}")
    for folder in args.files_from:
        if not Path(folder).is_dir():
            raise CommandError(f"--files-from {folder}: no such folder")
    try:
        engine = OnnxEngine(args.model, steps=args.steps, method=args.method, cfg_scale=args.cfg,
                            threads=args.threads)  # fmt: skip
    except BundleError as err:
        raise CommandError(str(err)) from None
    warm_ms = engine.warm_up()
    log.info("loaded %r; warm-up match %.1f ms", engine, warm_ms)
    keys = args.curve_keys
    config = ServerConfig(
        osc_host=args.osc_host,
        osc_port=None if args.no_osc else args.osc_port,
        reply_host=args.reply_host,
        reply_port=args.reply_port,
        reply_to_sender=args.reply_to_sender,
        zmq_endpoint=None if args.no_zmq else args.zmq,
        allow=tuple(args.allow),
        curve_secret_key=keys / "server.key_secret" if keys else None,
        curve_authorized_dir=keys / "authorized_clients" if keys else None,
        midi_out=args.midi_out,
        midi_in=args.midi_in,
        midi_mapping=args.midi_mapping,
        midi_kind=args.midi_kind,
        midi_channel=args.midi_channel,
        midi_macro_map=args.midi_macro_map,
        status_interval_s=args.status_interval or None,
        workers=args.workers,
        search_budget_s=budget_s,
        search_renders=args.search_renders,
        search_top_k=args.top,
        files_from=tuple(args.files_from),
        remote_files=args.remote_files,
    )
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("received %s; shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    with _searcher(args, engine, budget_s) as (searcher, pause):
        if searcher is None and config.search_budget_s > 0:
            config = dataclasses.replace(config, search_budget_s=0.0)
        try:
            run_server(engine, config, stop, searcher=searcher, pause=pause)
        except (ValueError, OSError) as err:
            raise CommandError(f"cannot start the server: {start_error(args, err)}") from None
        except zmq.ZMQError as err:
            raise CommandError(
                f"cannot start the server: ZeroMQ cannot bind {args.zmq!r}: {err} (a busy port "
                "or a malformed endpoint; choose another with --zmq, e.g. tcp://127.0.0.1:5556)"
            ) from None
    return 0


def check_network_settings(args: argparse.Namespace) -> None:
    """Refuse unsafe endpoints and warn about wide allow-lists, before the model loads.

    Raises:
        CommandError: A bad ``--allow`` entry, or a ZeroMQ endpoint naming a non-loopback host
            (also inside the ``tcp://source;destination:port`` form) without ``--curve-keys``.
    """
    from patchflow.bridge.network import (
        broad_networks,
        endpoint_hosts,
        parse_allow_list,
        tcp_endpoint_is_loopback,
    )
    from patchflow.cli import CommandError

    try:
        networks = parse_allow_list(args.allow)
    except ValueError as err:
        raise CommandError(str(err)) from None
    for network in broad_networks(networks):
        log.warning(
            "--allow %s lets a large part of the network (or the whole Internet) send "
            "requests; allow only the addresses of your own computers",
            network,
        )
    endpoint = None if args.no_zmq else args.zmq
    if endpoint is not None and args.curve_keys is None and len(endpoint_hosts(endpoint)) > 1:
        if not tcp_endpoint_is_loopback(endpoint):
            raise CommandError(
                f"refusing to bind ZeroMQ to {endpoint!r}: it names a host that is not a "
                "loopback address; use --curve-keys to serve the network"
            )


def start_error(args: argparse.Namespace, err: Exception) -> str:
    """What went wrong starting the server, naming the OSC port when it is the busy one."""
    if isinstance(err, OSError) and err.errno in (errno.EADDRINUSE, errno.EACCES):
        what = "is already in use" if err.errno == errno.EADDRINUSE else "may not be used"
        return (
            f"OSC port {args.osc_host}:{args.osc_port} {what} ({err.strerror}); stop the "
            "other program or choose another port with --osc-port"
        )
    return str(err)


def search_unavailable(card: Any, plugin_path: str | None) -> str | None:
    """Why a search could not render this bundle's synth here, from a quick look (no process
    started): None for k-osc (rendered in process) and for a plug-in that is where it should be.

    Args:
        card: The bundle's card.
        plugin_path: ``--plugin`` (None: the card's, else the synth's usual places).
    """
    if card.synth_id == "kosc":
        return None
    from patchflow.synths.plugin import PluginLoadError, resolve_plugin_path

    options = dict(card.synth_options)
    chosen = plugin_path or options.get("plugin") or options.get("plugin_path")
    try:
        path = resolve_plugin_path(card.spec.synth, chosen)
    except PluginLoadError as err:
        return str(err)
    if not path.exists():
        return f"{path}: no such plug-in file"
    return None


def _one_answer_per_match(card: Any, reason: str) -> None:
    log.warning(
        "searching after the first answer needs the %s plug-in, which cannot be used here (%s); "
        "serving one answer per match (install the plug-in or pass --plugin PATH; --budget-s 0 "
        "asks for one answer per match without this warning)",
        card.spec.synth,
        reason,
    )


@contextlib.contextmanager
def _searcher(args: argparse.Namespace, engine: Any, budget_s: float) -> Iterator[tuple[Any, Any]]:
    """The searcher factory when ``budget_s`` > 0: one search process (its own copy of the
    model and its own synth), stopped at the end, and the pause that stops it while the server
    computes a reply. ``(None, None)`` (one answer per match, with a warning) when the search
    cannot render the synth: a plug-in that is not installed or cannot load."""
    from patchflow.cli import CommandError

    if not budget_s > 0:
        yield None, None
        return
    from patchflow.bridge.search_pause import SearchPause
    from patchflow.bridge.search_process import (
        ProcessSearcher,
        SearchProcessError,
        SearchProcessSpec,
    )

    if args.search_workers < 1:
        raise CommandError(f"--search-workers must be at least 1, got {args.search_workers}")
    card = engine.bundle.card
    reason = search_unavailable(card, args.plugin)
    if reason is not None:
        _one_answer_per_match(card, reason)
        yield None, None
        return
    spec = SearchProcessSpec(
        bundle=str(engine.bundle.path),
        plugin_path=args.plugin,
        workers=args.search_workers,
        threads=args.threads,
    )
    pause = SearchPause()
    try:
        searcher = ProcessSearcher(spec, pause=pause)
    except SearchProcessError as err:
        _one_answer_per_match(card, str(err))
        yield None, None
        return
    log.info("searching %.3g s after each first answer in %r", budget_s, searcher)
    try:
        yield (lambda: searcher), pause
    finally:
        searcher.close()
