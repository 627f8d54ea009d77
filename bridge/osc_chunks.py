"""Array codec for ``/patchflow/match/chunk``, the one bulk message of the OSC protocol.

A second of audio is about 28 chunk datagrams of up to 1600 floats. Going through
:class:`~patchflow.bridge.osc_codec.OscMessage` builds a Python object per sample on each side,
which made a chunked upload cost more than the match itself. These two functions move the
samples between bytes and a float32 array with numpy instead (``benchmarks/osc_chunk_codec.py``
times both ways).

They are exact shortcuts, not a second protocol: :func:`encode_chunk` writes the bytes that
:func:`~patchflow.bridge.osc_codec.encode_message` writes for the same message, and
:func:`decode_chunk` accepts only a well-formed chunk (address, ``,ii`` then ``f`` or ``i``
sample tags, 1..1600 samples, NUL padding, exact length, id and offset in range) and returns
what :func:`~patchflow.bridge.osc_protocol.parse_request` returns for it. Int samples are taken
as the protocol takes them (Max sends whole-number samples, the zeros of silence above all, as
int atoms). Anything else (a string among the samples, a bundle, a malformed datagram) gives
``None``, and the general decoder handles it, with its precise error messages.
"""

from __future__ import annotations

import struct

import numpy as np

from patchflow.bridge.messages import MatchChunkRequest
from patchflow.bridge.osc_codec import INT32_MAX, INT32_MIN, OscEncodeError, padded_len
from patchflow.bridge.osc_protocol import ADDR_MATCH_CHUNK, MAX_CHUNK_FLOATS

_ADDRESS = ADDR_MATCH_CHUNK.encode("ascii")
_ADDRESS_FIELD = _ADDRESS.ljust(padded_len(len(_ADDRESS)), b"\x00")
_TAGS_AT = len(_ADDRESS_FIELD)
_BIG_ENDIAN_F32 = np.dtype(">f4")
_BIG_ENDIAN_I32 = np.dtype(">i4")


def _tag_field(n_floats: int) -> bytes:
    tags = b",ii" + b"f" * n_floats
    return tags.ljust(padded_len(len(tags)), b"\x00")


def encode_chunk(request_id: int, offset: int, samples: np.ndarray) -> bytes:
    """Encode ``/patchflow/match/chunk <id> <offset> <float>...`` as an OSC datagram.

    Args:
        request_id: Upload id (int32).
        offset: Index of the first sample in the upload's interleaved buffer (int32).
        samples: 1 to 1600 samples; cast to float32 (and sent as ``f``).

    Returns:
        The datagram, byte for byte what ``encode_message`` gives for the same message.

    Raises:
        OscEncodeError: On an id or offset outside int32, or a sample count outside 1..1600.
    """
    floats = np.asarray(samples, dtype=_BIG_ENDIAN_F32).reshape(-1)
    if not 1 <= floats.size <= MAX_CHUNK_FLOATS:
        raise OscEncodeError(f"a chunk carries 1 to {MAX_CHUNK_FLOATS} samples, got {floats.size}")
    for name, value in (("request_id", request_id), ("offset", offset)):
        if not INT32_MIN <= value <= INT32_MAX:
            raise OscEncodeError(f"{name} = {value} does not fit in an OSC int32")
    head = struct.pack(">ii", request_id, offset)
    return b"".join((_ADDRESS_FIELD, _tag_field(floats.size), head, floats.tobytes()))


def decode_chunk(data: bytes) -> MatchChunkRequest | None:
    """Decode a well-formed chunk datagram straight to a request.

    Args:
        data: A datagram.

    Returns:
        The request (samples as a native float32 array), or ``None`` when ``data`` is anything
        but a well-formed chunk whose id and offset are in range (the caller then takes the
        general path, which serves it or names what is wrong).
    """
    if not data.startswith(_ADDRESS_FIELD) or data[_TAGS_AT : _TAGS_AT + 3] != b",ii":
        return None
    end = data.find(b"\x00", _TAGS_AT)
    n_floats = end - _TAGS_AT - 3
    if end < 0 or not 1 <= n_floats <= MAX_CHUNK_FLOATS:
        return None
    n_ints = n_floats - data.count(b"f", _TAGS_AT + 3, end)
    if n_ints and data.count(b"i", _TAGS_AT + 3, end) != n_ints:
        return None
    pos = _TAGS_AT + padded_len(3 + n_floats)
    if len(data) != pos + 8 + 4 * n_floats or data[end:pos].strip(b"\x00"):
        return None
    request_id, offset = struct.unpack_from(">ii", data, pos)
    if request_id < 0 or offset < 0:
        return None
    raw = np.frombuffer(data, _BIG_ENDIAN_F32, n_floats, pos + 8)
    samples = raw.astype(np.float32)
    if n_ints:
        is_int = np.frombuffer(data, np.uint8, n_floats, _TAGS_AT + 3) == ord("i")
        samples[is_int] = raw.view(_BIG_ENDIAN_I32)[is_int]
    return MatchChunkRequest(request_id=request_id, offset=offset, samples=samples)
