"""Cost of one ``/patchflow/match/chunk`` datagram: the general OSC codec against the array codec.

Per chunk of ``--floats`` samples, the median over ``--repeats`` timed rounds of ``--calls``
calls each (timed in alternation, so VM drift hits both paths alike):

- client side: build the :class:`OscMessage` and ``encode_message`` it, against ``encode_chunk``;
- server side: ``decode_packet`` + ``parse_request`` (the general path), against
  ``requests_from_datagram`` (the path the server takes, which tries ``decode_chunk`` first);
  once with float samples only, once with every tenth sample an int zero (as Max sends the
  digital silence of a captured clip).

Usage: python benchmarks/osc_chunk_codec.py [--floats 1600] [--calls 200] [--repeats 15]
Writes OUT/osc_chunk_codec.{json,md}. Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from patchflow.bridge.osc_chunks import encode_chunk
from patchflow.bridge.osc_codec import OscMessage, decode_packet, encode_message
from patchflow.bridge.osc_protocol import ADDR_MATCH_CHUNK, MAX_CHUNK_FLOATS, parse_request
from patchflow.bridge.osc_server import requests_from_datagram
from patchflow.machine import cpu_name


def _time_us(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def measure(n_floats: int, calls: int, repeats: int) -> dict[str, dict[str, float]]:
    """Median microseconds per chunk for each path, timed in alternating rounds."""
    samples = np.random.default_rng(0).standard_normal(n_floats).astype(np.float32)
    with_ints: list[float | int] = samples.tolist()
    with_ints[::10] = [0] * len(with_ints[::10])
    datagrams = {
        "decode + parse (server)": encode_chunk(3, 1600, samples),
        "decode + parse (server), int zeros": encode_message(
            OscMessage(ADDR_MATCH_CHUNK, (3, 1600, *with_ints))
        ),
    }

    def general_decode(datagram: bytes) -> object:
        return [parse_request(msg) for msg in decode_packet(datagram)]

    pairs: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "encode (client)": (
            lambda: encode_message(OscMessage(ADDR_MATCH_CHUNK, (3, 1600, *samples.tolist()))),
            lambda: encode_chunk(3, 1600, samples),
        ),
    }
    for name, datagram in datagrams.items():
        pairs[name] = (
            functools.partial(general_decode, datagram),
            functools.partial(requests_from_datagram, datagram),
        )
    result = {}
    for name, (general, array) in pairs.items():
        general()
        array()
        times: dict[str, list[float]] = {"general": [], "array": []}
        for _ in range(repeats):
            times["general"].append(_time_us(general, calls))
            times["array"].append(_time_us(array, calls))
        g, a = (float(np.median(times[k])) for k in ("general", "array"))
        result[name] = {"general_us": round(g, 2), "array_us": round(a, 2),
                        "speedup": round(g / a, 1)}  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--floats", type=int, default=MAX_CHUNK_FLOATS, help="samples per chunk")
    parser.add_argument("--calls", type=int, default=200, help="calls per timed round")
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds per path")
    parser.add_argument("--out", type=Path, default=Path("docs/results"))
    args = parser.parse_args()
    if not 1 <= args.floats <= MAX_CHUNK_FLOATS:
        parser.error(f"--floats must be 1..{MAX_CHUNK_FLOATS}")
    result = {
        "command": f"python benchmarks/osc_chunk_codec.py --floats {args.floats} "
        f"--calls {args.calls} --repeats {args.repeats}",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "cpu": f"{cpu_name()}, {os.cpu_count()} cores",
        "floats_per_chunk": args.floats,
        "per_chunk": measure(args.floats, args.calls, args.repeats),
    }
    print(json.dumps(result, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "osc_chunk_codec.json").write_text(json.dumps(result, indent=2))
    rows = "\n".join(
        f"| {side} | {r['general_us']:.1f} | {r['array_us']:.1f} | {r['speedup']:.1f}x |"
        for side, r in result["per_chunk"].items()
    )
    (args.out / "osc_chunk_codec.md").write_text(
        f"# OSC chunk codec\n\nCommand: `{result['command']}`\n\n"
        f"- Date: {result['date']}\n- CPU: {result['cpu']}\n"
        f"- One `/patchflow/match/chunk` datagram of {args.floats} float32 samples; median of "
        f"{args.repeats} rounds of {args.calls} calls, the two paths in alternation. "
        "*int zeros*: every tenth sample an int 0, as Max sends digital silence.\n\n"
        "| per chunk | general codec us | array codec us | speedup |\n|---|---|---|---|\n"
        f"{rows}\n"
    )


if __name__ == "__main__":
    main()
