"""Chunked audio uploads (OSC ``match/begin``, ``match/chunk``, ``match/end``) and audio limits.

An upload is keyed by (client, request id) and holds ``frames * channels`` interleaved float32
samples. Chunks may arrive in any order and more than once (UDP may duplicate or reorder);
overlapping writes are fine, the last one wins. ``finish`` refuses an upload with holes but keeps
it, so the client can resend the missing chunks and end again. Unfinished uploads expire after
``timeout_s`` without activity.

Quotas: a client (one address and port) may hold at most ``max_per_client`` uploads and
``max_client_samples`` samples (by default one longest clip the audio limits accept, which is
what the model can use); beginning more drops its own oldest. Over all clients the table holds at
most ``max_total`` uploads and ``max_total_samples`` samples. When it is full, a client that holds
less than another gets room by evicting that other client's least recently active upload (its
owner is told, ``busy``), so no client, or group of clients, can lock the others out by keeping
uploads open; only when every other client holds no more than the newcomer is ``begin`` refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np

from patchflow.bridge.audio import AudioClip, AudioLimits
from patchflow.bridge.errors import CODE_BUSY, CODE_INCOMPLETE, RequestError


@dataclass(frozen=True)
class UploadLimits:
    """Bounds on the upload table.

    Args:
        timeout_s: An upload without activity for this long is dropped.
        max_per_client: Uploads one client may have open; beginning one more drops its oldest.
        max_total: Uploads open over all clients (see the module's fairness rule).
        max_total_samples: Samples held over all open uploads; None: at least ``2**25`` and
            room for two clients' full quotas.
        max_client_samples: Samples one client may hold over its open uploads; None: the
            largest clip the audio limits accept (``AudioLimits.max_samples``).
    """

    timeout_s: float = 10.0
    max_per_client: int = 4
    max_total: int = 64
    max_total_samples: int | None = None
    max_client_samples: int | None = None


EvictionListener: TypeAlias = Callable[[str, int, str], None]
"""Called with (client, upload id, reason) for an upload dropped to make room for another
client's."""


@dataclass
class _Upload:
    sample_rate_hz: int
    channels: int
    frames: int
    buffer: np.ndarray  # (frames * channels,) float32, interleaved
    filled: np.ndarray  # (frames * channels,) bool
    last_active_s: float


class UploadStore:
    """The open uploads of all clients (thread-safe).

    Args:
        audio_limits: Accepted formats and sizes.
        limits: Table bounds and timeout.
        clock: Monotonic clock in seconds (injectable for tests).
    """

    def __init__(
        self,
        audio_limits: AudioLimits,
        limits: UploadLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.audio_limits = audio_limits
        self.limits = limits if limits is not None else UploadLimits()
        lim = self.limits
        self.max_client_samples = (
            audio_limits.max_samples() if lim.max_client_samples is None else lim.max_client_samples
        )
        self.max_total_samples = (
            max(2**25, 2 * self.max_client_samples)
            if lim.max_total_samples is None
            else lim.max_total_samples
        )
        self._on_evict: EvictionListener | None = None
        self._clock = clock
        self._uploads: dict[tuple[str, int], _Upload] = {}
        self._lock = threading.Lock()

    def set_eviction_listener(self, listener: EvictionListener | None) -> None:
        """Be told of uploads evicted to make room for another client's (outside the lock)."""
        self._on_evict = listener

    def held_samples(self, client: str) -> int:
        """Samples ``client``'s open uploads hold."""
        with self._lock:
            return sum(u.buffer.size for key, u in self._uploads.items() if key[0] == client)

    def __len__(self) -> int:
        with self._lock:
            return len(self._uploads)

    def open_ids(self, client: str) -> list[int]:
        """Ids of ``client``'s open uploads, oldest activity first."""
        with self._lock:
            items = [
                (u.last_active_s, key[1]) for key, u in self._uploads.items() if key[0] == client
            ]
        return [request_id for _, request_id in sorted(items)]

    def expire(self) -> list[tuple[str, int]]:
        """Drop uploads idle for longer than the timeout.

        Returns:
            The (client, id) keys that were dropped.
        """
        with self._lock:
            return self._expire_locked()

    def _expire_locked(self) -> list[tuple[str, int]]:
        now = self._clock()
        stale = [
            key
            for key, upload in self._uploads.items()
            if now - upload.last_active_s > self.limits.timeout_s
        ]
        for key in stale:
            del self._uploads[key]
        return stale

    def begin(
        self, client: str, request_id: int, sample_rate_hz: int, channels: int, frames: int
    ) -> list[int]:
        """Open an upload (or keep it, if the same one is already open: a duplicate datagram).

        Beginning an id that is open with another format restarts it.

        Args:
            client: Client key.
            request_id: Upload / match id.
            sample_rate_hz: Sample rate of the audio.
            channels: Channel count.
            frames: Frames per channel.

        Returns:
            Ids of this client's uploads dropped to make room (oldest first; usually empty).
            Uploads of other clients evicted for it go to the eviction listener.

        Raises:
            RequestError: Bad format or size (``invalid``), or the table is full (``busy``).
        """
        self.audio_limits.check(sample_rate_hz, channels, frames)
        n_samples = frames * channels
        for quota, what in (
            (self.max_client_samples, "a client's upload quota"),
            (self.max_total_samples, "the upload table"),
        ):
            if n_samples > quota:
                raise RequestError(
                    f"{frames} frames x {channels} channels = {n_samples} samples can never fit "
                    f"{what} ({quota} samples); send a shorter clip or fewer channels"
                )
        key = (client, request_id)
        evicted: list[tuple[str, int]] = []
        try:
            with self._lock:
                return self._begin_locked(key, sample_rate_hz, channels, frames, n_samples, evicted)
        finally:
            listener = self._on_evict
            for other, other_id in evicted:
                if listener is not None:
                    listener(
                        other,
                        other_id,
                        f"upload {other_id} was dropped to make room for another client's "
                        "upload (the upload table is full and this client held the most)",
                    )

    def _begin_locked(
        self,
        key: tuple[str, int],
        sample_rate_hz: int,
        channels: int,
        frames: int,
        n_samples: int,
        evicted: list[tuple[str, int]],
    ) -> list[int]:
        client = key[0]
        self._expire_locked()
        now = self._clock()
        existing = self._uploads.get(key)
        if existing is not None:
            if (existing.sample_rate_hz, existing.channels, existing.frames) == (
                sample_rate_hz,
                channels,
                frames,
            ):
                existing.last_active_s = now
                return []
            del self._uploads[key]
        dropped = self._make_room_locked(client, n_samples, evicted)
        self._uploads[key] = _Upload(
            sample_rate_hz=sample_rate_hz,
            channels=channels,
            frames=frames,
            buffer=np.zeros(n_samples, dtype=np.float32),
            filled=np.zeros(n_samples, dtype=bool),
            last_active_s=now,
        )
        return dropped

    def _make_room_locked(
        self, client: str, n_samples: int, evicted: list[tuple[str, int]]
    ) -> list[int]:
        # This client's own quota: drop its oldest uploads first.
        mine = sorted(
            (u.last_active_s, key[1], u.buffer.size)
            for key, u in self._uploads.items()
            if key[0] == client
        )
        count, held = len(mine), sum(size for _, _, size in mine)
        to_drop: list[int] = []
        for _, old_id, size in mine:
            if count < self.limits.max_per_client and held + n_samples <= self.max_client_samples:
                break
            to_drop.append(old_id)
            count -= 1
            held -= size
        # The whole table: evict from clients that hold more than this one will.
        n_open = len(self._uploads) - len(to_drop)
        total = sum(u.buffer.size for u in self._uploads.values()) - (
            sum(size for _, old_id, size in mine if old_id in to_drop)
        )
        victims: list[tuple[str, int]] = []
        while n_open >= self.limits.max_total or total + n_samples > self.max_total_samples:
            by_count = n_open >= self.limits.max_total
            victim = self._richest_other_locked(
                client, count + 1, held + n_samples, by_count, set(victims)
            )
            if victim is None:
                if by_count:
                    raise RequestError(
                        f"{n_open} uploads are open (limit {self.limits.max_total}) and no "
                        "client holds more than this one would; try again later",
                        code=CODE_BUSY,
                    )
                raise RequestError(
                    f"open uploads hold {total} samples; {n_samples} more would exceed the limit "
                    f"of {self.max_total_samples} and no client holds more than this one would; "
                    "try again later",
                    code=CODE_BUSY,
                )
            victims.append(victim)
            n_open -= 1
            total -= self._uploads[victim].buffer.size
        for old_id in to_drop:
            del self._uploads[(client, old_id)]
        for victim in victims:
            del self._uploads[victim]
        evicted.extend(victims)
        return to_drop

    def _richest_other_locked(
        self,
        client: str,
        my_count: int,
        my_samples: int,
        by_count: bool,
        taken: set[tuple[str, int]],
    ) -> tuple[str, int] | None:
        """The least recently active upload of the client holding the most (uploads when
        ``by_count``, else samples), if that client holds more than ``my_*``."""
        counts: dict[str, int] = {}
        samples: dict[str, int] = {}
        oldest: dict[str, tuple[float, int]] = {}
        for key, upload in self._uploads.items():
            other = key[0]
            if other == client or key in taken:
                continue
            counts[other] = counts.get(other, 0) + 1
            samples[other] = samples.get(other, 0) + upload.buffer.size
            if other not in oldest or upload.last_active_s < oldest[other][0]:
                oldest[other] = (upload.last_active_s, key[1])
        if not counts:
            return None
        if by_count:
            richest = max(counts, key=lambda c: (counts[c], samples[c]))
            if counts[richest] <= my_count:
                return None
        else:
            richest = max(samples, key=lambda c: (samples[c], counts[c]))
            if samples[richest] <= my_samples:
                return None
        return (richest, oldest[richest][1])

    def _get_locked(self, client: str, request_id: int) -> _Upload:
        upload = self._uploads.get((client, request_id))
        if upload is None:
            raise RequestError(
                f"no upload in progress for id {request_id} (begin it first; unfinished uploads "
                f"expire after {self.limits.timeout_s:g} s without a chunk)"
            )
        return upload

    def add_chunk(self, client: str, request_id: int, offset: int, samples: np.ndarray) -> None:
        """Write ``samples`` at ``offset`` of the interleaved buffer (idempotent).

        Raises:
            RequestError: Unknown or expired upload, or a chunk outside the buffer.
        """
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        with self._lock:
            self._expire_locked()
            upload = self._get_locked(client, request_id)
            total = upload.buffer.size
            if samples.size == 0:
                raise RequestError(f"chunk for upload {request_id} carries no samples")
            if offset < 0 or offset + samples.size > total:
                raise RequestError(
                    f"chunk at offset {offset} with {samples.size} samples runs outside upload "
                    f"{request_id} (0..{total} = {upload.frames} frames x {upload.channels} "
                    "channels)"
                )
            upload.buffer[offset : offset + samples.size] = samples
            upload.filled[offset : offset + samples.size] = True
            upload.last_active_s = self._clock()

    def finish(self, client: str, request_id: int) -> AudioClip:
        """Close a complete upload and return its audio.

        Raises:
            RequestError: Unknown or expired upload (``invalid``), or missing samples
                (``incomplete``; the upload stays open so missing chunks can be resent).
        """
        with self._lock:
            self._expire_locked()
            upload = self._get_locked(client, request_id)
            upload.last_active_s = self._clock()
            n_missing = int(upload.filled.size - np.count_nonzero(upload.filled))
            if n_missing:
                first = int(np.argmin(upload.filled))
                raise RequestError(
                    f"upload {request_id} is missing {n_missing} of {upload.filled.size} samples "
                    f"(first missing at offset {first}); resend the missing chunks and end again",
                    code=CODE_INCOMPLETE,
                )
            del self._uploads[(client, request_id)]
        audio = np.ascontiguousarray(upload.buffer.reshape(upload.frames, upload.channels).T)
        return AudioClip(audio=audio, sample_rate_hz=upload.sample_rate_hz)
