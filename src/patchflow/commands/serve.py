"""``patchflow serve``: the real-time bridge between Ableton Live and a model bundle."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

HELP = "run the real-time bridge: OSC and ZeroMQ in, parameters out as OSC and MIDI CC"

log = logging.getLogger("patchflow.serve")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="bundle name or path (default: the shipped kosc4)")
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


def run(args: argparse.Namespace) -> int:
    from patchflow.bridge.engine import OnnxEngine
    from patchflow.bridge.server import ServerConfig, run_server
    from patchflow.bundle import BundleError
    from patchflow.cli import CommandError

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
    )
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("received %s; shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        run_server(engine, config, stop)
    except (ValueError, OSError) as err:
        raise CommandError(f"cannot start the server: {err}") from None
    return 0
