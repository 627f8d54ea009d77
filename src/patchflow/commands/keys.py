"""``patchflow keys``: ZeroMQ CURVE keys for serving beyond localhost."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "create ZeroMQ CURVE keys (server pair, one client pair, authorised-clients folder)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="folder to write the keys to")
    parser.add_argument("--client", default="client", help="client certificate name")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing server key")


def run(args: argparse.Namespace) -> int:
    from patchflow.bridge.zmq_server import generate_keys
    from patchflow.cli import CommandError

    try:
        files = generate_keys(args.dir, client_name=args.client, overwrite=args.overwrite)
    except FileExistsError as err:
        raise CommandError(str(err)) from None
    print(f"server public key (give to clients): {files.server_public}")
    print(f"server secret key (keep on the server): {files.server_secret}")
    print(f"client key pair: {files.client_public}, {files.client_secret}")
    print(f"authorised clients: {files.authorized_dir}")
    print(f"serve with: patchflow serve --zmq tcp://0.0.0.0:5555 --curve-keys {args.dir}")
    return 0
