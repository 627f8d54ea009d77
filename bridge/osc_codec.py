"""Pure OSC 1.0 codec: datagram bytes <-> :class:`OscMessage`. No sockets, no dispatch.

Follows the OSC 1.0 specification (opensoundcontrol.org/spec-1_0):

- "The size of every OSC packet is a multiple of 4"; all numbers are big-endian.
- OSC-string: "a sequence of non-null ASCII characters followed by a null, followed by 0-3
  additional null characters to make the total number of bits a multiple of 32". We encode and
  decode UTF-8 (Max sends UTF-8 symbols), and reject non-zero padding bytes.
- A message is an address pattern, an OSC type tag string (a string beginning with ``,``) and the
  arguments. A bundle is ``#bundle``, an 8-byte time tag and size-prefixed elements.

The encoder writes only the three types the patchflow protocol uses: ``i`` (int32), ``f``
(float32) and ``s`` (string). The decoder also reads ``d h T F N b`` so that a client sending them
gets a precise error from :mod:`patchflow.bridge.osc_protocol` instead of a decode failure.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from patchflow.bridge.errors import ProtocolError

MAX_DATAGRAM_BYTES = 8192
"""Largest datagram the protocol sends or accepts (docs/protocol.md)."""

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

ENCODABLE_TAGS = "ifs"
_ENCODABLE_SET = frozenset(ENCODABLE_TAGS)
DECODABLE_TAGS = "ifsdhTFNb"
_DECODABLE_SET = frozenset(DECODABLE_TAGS)
TAG_NAMES = {
    "i": "int32",
    "f": "float32",
    "s": "string",
    "d": "float64",
    "h": "int64",
    "T": "true",
    "F": "false",
    "N": "nil",
    "b": "blob",
}

BUNDLE_TAG = b"#bundle\x00"
MAX_BUNDLE_DEPTH = 8
_FIXED_FORMATS = {"i": ("i", 4), "f": ("f", 4), "d": ("d", 8), "h": ("q", 8)}
_CONSTANT_VALUES = {"T": True, "F": False, "N": None}
_TAG_TYPES: dict[str, tuple[type, ...]] = {
    "i": (int,),
    "h": (int,),
    "f": (float,),
    "d": (float,),
    "s": (str,),
    "b": (bytes,),
}

OscArg = int | float | str | bytes | bool | None


class OscDecodeError(ProtocolError):
    """The datagram is not a valid OSC 1.0 packet; the message says where and why."""


class OscEncodeError(ValueError):
    """The message cannot be written as an OSC datagram (bad type, out of range, too large)."""


@dataclass(frozen=True)
class OscMessage:
    """One OSC message.

    Args:
        address: OSC address, starting with ``/``.
        args: Arguments. numpy scalars are converted to Python numbers on construction.
        type_tags: Type tags without the leading comma, one per argument. ``None`` infers them:
            int -> ``i`` (must fit int32), float -> ``f``, str -> ``s``; bool and None are refused
            (OSC 1.0 has no bool type in its core set; send 0/1). The decoder passes the tags it
            read, which may include ``d h T F N b``.

    Raises:
        OscEncodeError: On an invalid address, an unsupported argument type or an int outside int32.
    """

    address: str
    args: tuple[OscArg, ...] = ()
    type_tags: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.address, str) or not self.address.startswith("/"):
            raise OscEncodeError(
                f"OSC address must be a string starting with '/': {self.address!r}"
            )
        if "\x00" in self.address:
            raise OscEncodeError(f"OSC address contains a NUL character: {self.address!r}")
        args = tuple(self.args)
        if any(isinstance(a, np.generic) for a in args):
            args = tuple(_from_numpy(a) for a in args)
        object.__setattr__(self, "args", args)
        if self.type_tags is None:
            object.__setattr__(self, "type_tags", _infer_tags(args))
        else:
            _check_tags(self.type_tags, args)

    @classmethod
    def _decoded(cls, address: str, args: tuple[OscArg, ...], type_tags: str) -> OscMessage:
        """Build a message from values the decoder produced (already typed; skips checks)."""
        msg = object.__new__(cls)
        object.__setattr__(msg, "address", address)
        object.__setattr__(msg, "args", args)
        object.__setattr__(msg, "type_tags", type_tags)
        return msg


def _from_numpy(value: object) -> Any:
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _infer_tags(args: tuple[object, ...]) -> str:
    tags = []
    for k, value in enumerate(args):
        kind = type(value)  # exact types first: this loop runs for every sample of a chunk
        if kind is float:
            tags.append("f")
        elif kind is int and isinstance(value, int) and INT32_MIN <= value <= INT32_MAX:
            tags.append("i")
        elif kind is str:
            tags.append("s")
        else:
            tags.append(_infer_tag(value, k))
    return "".join(tags)


def _infer_tag(value: object, index: int) -> str:
    if isinstance(value, bool) or value is None:
        raise OscEncodeError(
            f"argument {index} is {value!r}: bool and None are not sent by this codec "
            "(send 0/1 as int32)"
        )
    if isinstance(value, int):
        if not INT32_MIN <= value <= INT32_MAX:
            raise OscEncodeError(f"argument {index} = {value} does not fit in an OSC int32")
        return "i"
    if isinstance(value, float):
        return "f"
    if isinstance(value, str):
        return "s"
    raise OscEncodeError(
        f"argument {index} has unsupported type {type(value).__name__} (use int, float or str)"
    )


def _check_tags(tags: str, args: tuple[object, ...]) -> None:
    if len(tags) != len(args):
        raise OscEncodeError(f"{len(tags)} type tags for {len(args)} arguments")
    for k, (tag, value) in enumerate(zip(tags, args, strict=True)):
        if tag not in DECODABLE_TAGS:
            raise OscEncodeError(f"argument {k} has unknown type tag {tag!r}")
        if tag in _CONSTANT_VALUES:
            ok = value is _CONSTANT_VALUES[tag]
        else:
            ok = isinstance(value, _TAG_TYPES[tag]) and not isinstance(value, bool)
        if not ok:
            raise OscEncodeError(f"argument {k} = {value!r} does not match type tag {tag!r}")


# ---------------------------------------------------------------------------------------------
# Encoding


def padded_len(n_bytes: int) -> int:
    """Length of ``n_bytes`` of string data plus its NUL terminator and padding to 4 bytes."""
    return (n_bytes // 4 + 1) * 4


def _osc_string(text: str, what: str) -> bytes:
    raw = text.encode("utf-8")
    if b"\x00" in raw:
        raise OscEncodeError(f"{what} contains a NUL character")
    return raw + b"\x00" * (padded_len(len(raw)) - len(raw))


def _encode_run(tag: str, values: list[object], first_index: int) -> bytes:
    if tag == "s":
        return b"".join(
            _osc_string(str(v), f"argument {first_index + k}") for k, v in enumerate(values)
        )
    fmt = _FIXED_FORMATS[tag][0]
    try:
        return struct.pack(f">{len(values)}{fmt}", *values)
    except (OverflowError, struct.error):
        for k, v in enumerate(values):
            try:
                struct.pack(f">{fmt}", v)
            except (OverflowError, struct.error) as exc:
                raise OscEncodeError(
                    f"argument {first_index + k} = {v!r} does not fit in {TAG_NAMES[tag]}"
                ) from exc
        raise


def encode_message(msg: OscMessage, *, max_bytes: int | None = MAX_DATAGRAM_BYTES) -> bytes:
    """Encode one message as an OSC 1.0 datagram.

    Args:
        msg: The message; its arguments must have type tags ``i``, ``f`` or ``s``.
        max_bytes: Refuse datagrams longer than this (default 8192, the protocol limit);
            ``None`` allows any size.

    Returns:
        The datagram bytes (a multiple of 4 long).

    Raises:
        OscEncodeError: On a type tag the encoder does not write, a float outside the float32
            range, or a datagram over ``max_bytes``.
    """
    tags = msg.type_tags or ""
    if not _ENCODABLE_SET.issuperset(tags):
        k, tag = next((k, t) for k, t in enumerate(tags) if t not in _ENCODABLE_SET)
        raise OscEncodeError(
            f"argument {k} has type tag {tag!r} ({TAG_NAMES.get(tag, 'unknown')}); "
            f"the encoder writes only {', '.join(ENCODABLE_TAGS)}"
        )
    parts = [_osc_string(msg.address, "address"), _osc_string("," + tags, "type tags")]
    index = 0
    for tag, group in itertools.groupby(tags):
        n = len(list(group))
        parts.append(_encode_run(tag, list(msg.args[index : index + n]), index))
        index += n
    data = b"".join(parts)
    if max_bytes is not None and len(data) > max_bytes:
        raise OscEncodeError(
            f"datagram for {msg.address} is {len(data)} bytes, over the {max_bytes}-byte limit "
            "(pass max_bytes=None to allow it)"
        )
    return data


def max_chunk_floats(
    address_len: int, *, n_leading_ints: int = 2, max_bytes: int = MAX_DATAGRAM_BYTES
) -> int:
    """Largest number of float32 arguments that fits in one datagram.

    For a message ``<address> <i>*n_leading_ints <f>*n``: address string, type tag string
    ``,ii ff...f`` and 4 bytes per argument, each string NUL-terminated and padded to 4 bytes.

    Args:
        address_len: Length of the address in bytes (without the terminating NUL).
        n_leading_ints: Number of int32 arguments before the floats (id and offset for chunks).
        max_bytes: Datagram size limit.

    Returns:
        The largest ``n`` whose datagram is at most ``max_bytes`` long (0 if none fits).
    """

    def size(n: int) -> int:
        return (
            padded_len(address_len) + padded_len(1 + n_leading_ints + n) + 4 * (n_leading_ints + n)
        )

    n = max(0, (max_bytes - padded_len(address_len) - 4 * n_leading_ints) // 5 + 4)
    while n > 0 and size(n) > max_bytes:
        n -= 1
    return n


# ---------------------------------------------------------------------------------------------
# Decoding


def _read_string(data: bytes, pos: int, what: str) -> tuple[str, int]:
    end = data.find(b"\x00", pos)
    if end < 0:
        raise OscDecodeError(f"{what} at byte {pos} is not NUL-terminated (truncated datagram?)")
    new_pos = pos + padded_len(end - pos)
    if new_pos > len(data):
        raise OscDecodeError(
            f"padding of {what} at byte {pos} runs past the end of the {len(data)}-byte datagram"
        )
    if data[end:new_pos].strip(b"\x00"):
        raise OscDecodeError(f"bad padding after {what} at byte {pos}: expected NUL bytes")
    try:
        return data[pos:end].decode("utf-8"), new_pos
    except UnicodeDecodeError as exc:
        raise OscDecodeError(f"{what} at byte {pos} is not valid UTF-8") from exc


def _read_blob(data: bytes, pos: int, index: int) -> tuple[bytes, int]:
    if pos + 4 > len(data):
        raise OscDecodeError(f"argument {index} (blob): size field truncated at byte {pos}")
    (size,) = struct.unpack_from(">i", data, pos)
    if size < 0:
        raise OscDecodeError(f"argument {index} (blob): negative size {size}")
    start = pos + 4
    new_pos = start + (size + 3) // 4 * 4
    if new_pos > len(data):
        raise OscDecodeError(
            f"argument {index} (blob): {size} bytes at byte {start} run past the end of the "
            f"{len(data)}-byte datagram"
        )
    if data[start + size : new_pos].strip(b"\x00"):
        raise OscDecodeError(f"argument {index} (blob): bad padding, expected NUL bytes")
    return data[start : start + size], new_pos


def _read_args(data: bytes, pos: int, tags: str, address: str) -> tuple[tuple[OscArg, ...], int]:
    args: list[OscArg] = []
    for tag, group in itertools.groupby(tags):
        n = len(list(group))
        index = len(args)
        if tag in _FIXED_FORMATS:
            fmt, width = _FIXED_FORMATS[tag]
            if pos + n * width > len(data):
                missing = (pos + n * width - len(data) + width - 1) // width
                raise OscDecodeError(
                    f"{address}: truncated datagram: arguments {index}..{index + n - 1} "
                    f"({TAG_NAMES[tag]}) need {n * width} bytes at byte {pos}, "
                    f"{len(data) - pos} left ({missing} argument(s) missing)"
                )
            args.extend(struct.unpack_from(f">{n}{fmt}", data, pos))
            pos += n * width
        elif tag == "s":
            for k in range(n):
                value, pos = _read_string(data, pos, f"{address}: argument {index + k} (string)")
                args.append(value)
        elif tag == "b":
            for k in range(n):
                blob, pos = _read_blob(data, pos, index + k)
                args.append(blob)
        else:  # T F N carry no data
            args.extend([_CONSTANT_VALUES[tag]] * n)
    return tuple(args), pos


def decode_message(data: bytes) -> OscMessage:
    """Decode one OSC message (not a bundle).

    Args:
        data: The datagram.

    Returns:
        The message, with the type tags it carried.

    Raises:
        OscDecodeError: With a precise reason: empty or unaligned datagram, bundle, bad address,
            missing comma, unknown type tag, truncated argument, bad padding, trailing bytes.
    """
    data = bytes(data)
    if not data:
        raise OscDecodeError("empty datagram")
    if len(data) % 4:
        raise OscDecodeError(
            f"datagram length {len(data)} is not a multiple of 4 (OSC 1.0 packets are 4-byte "
            "aligned)"
        )
    if data.startswith(BUNDLE_TAG):
        raise OscDecodeError("datagram is an OSC bundle; use decode_packet")
    if data[:1] != b"/":
        raise OscDecodeError(f"OSC address must start with '/', got {data[:8]!r}")
    address, pos = _read_string(data, 0, "address")
    if pos == len(data):
        raise OscDecodeError(f"{address}: missing type tag string (OSC 1.0 requires one)")
    if data[pos : pos + 1] != b",":
        raise OscDecodeError(
            f"{address}: type tag string must start with ',' (missing comma), got "
            f"{data[pos : pos + 4]!r}"
        )
    tag_string, pos = _read_string(data, pos, f"{address}: type tag string")
    tags = tag_string[1:]
    if not _DECODABLE_SET.issuperset(tags):
        k, tag = next((k, t) for k, t in enumerate(tags) if t not in _DECODABLE_SET)
        raise OscDecodeError(
            f"{address}: unknown OSC type tag {tag!r} for argument {k} "
            f"(decodable: {' '.join(DECODABLE_TAGS)})"
        )
    args, pos = _read_args(data, pos, tags, address)
    if pos != len(data):
        raise OscDecodeError(f"{address}: {len(data) - pos} trailing bytes after the last argument")
    return OscMessage._decoded(address, args, tags)


def _decode_bundle(data: bytes, depth: int) -> list[OscMessage]:
    if depth >= MAX_BUNDLE_DEPTH:
        raise OscDecodeError(f"bundles nested deeper than {MAX_BUNDLE_DEPTH} levels")
    if len(data) < 16:
        raise OscDecodeError(f"truncated bundle: {len(data)} bytes, the header needs 16")
    messages: list[OscMessage] = []
    pos = 16  # '#bundle\0' + 8-byte time tag (ignored: requests run as soon as they arrive)
    while pos < len(data):
        if pos + 4 > len(data):
            raise OscDecodeError(f"truncated bundle element size at byte {pos}")
        (size,) = struct.unpack_from(">i", data, pos)
        if size <= 0 or size % 4:
            raise OscDecodeError(
                f"bundle element at byte {pos} has size {size}; must be a positive multiple of 4"
            )
        element = data[pos + 4 : pos + 4 + size]
        if len(element) != size:
            raise OscDecodeError(
                f"bundle element at byte {pos} declares {size} bytes, only {len(element)} left"
            )
        if element.startswith(BUNDLE_TAG):
            messages.extend(_decode_bundle(element, depth + 1))
        else:
            messages.append(decode_message(element))
        pos += 4 + size
    return messages


def decode_packet(data: bytes) -> tuple[OscMessage, ...]:
    """Decode a datagram holding a message or a (possibly nested) bundle.

    Bundle time tags are ignored: the messages are returned in order, to be handled immediately.

    Args:
        data: The datagram.

    Returns:
        The messages it carries (one for a plain message; possibly none for an empty bundle).

    Raises:
        OscDecodeError: If the datagram or any element is malformed.
    """
    data = bytes(data)
    if data.startswith(BUNDLE_TAG):
        if len(data) % 4:
            raise OscDecodeError(f"bundle length {len(data)} is not a multiple of 4")
        return tuple(_decode_bundle(data, 0))
    return (decode_message(data),)


def encode_bundle(
    messages: list[OscMessage] | tuple[OscMessage, ...],
    *,
    max_bytes: int | None = MAX_DATAGRAM_BYTES,
) -> bytes:
    """Encode messages as one bundle with the time tag "immediately" (for tests and clients).

    Args:
        messages: The messages, in order.
        max_bytes: Datagram size limit, as for :func:`encode_message`.

    Returns:
        The bundle datagram.

    Raises:
        OscEncodeError: As :func:`encode_message`, or if the bundle exceeds ``max_bytes``.
    """
    parts = [BUNDLE_TAG, struct.pack(">II", 0, 1)]
    for msg in messages:
        element = encode_message(msg, max_bytes=None)
        parts.append(struct.pack(">i", len(element)) + element)
    data = b"".join(parts)
    if max_bytes is not None and len(data) > max_bytes:
        raise OscEncodeError(f"bundle is {len(data)} bytes, over the {max_bytes}-byte limit")
    return data
