"""Chunked audio uploads (OSC ``match/begin``, ``match/chunk``, ``match/end``) and audio limits.

An upload is keyed by (client, request id) and holds ``frames * channels`` interleaved float32
samples. Chunks may arrive in any order and more than once (UDP may duplicate or reorder);
overlapping writes are fine, the last one wins. ``finish`` refuses an upload with holes but keeps
it, so the client can resend the missing chunks and end again. Unfinished uploads expire after
``timeout_s`` without activity. The number of uploads per client, in total, and the samples held
in total are bounded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from patchflow.bridge.audio import AudioClip, AudioLimits
from patchflow.bridge.errors import CODE_BUSY, CODE_INCOMPLETE, RequestError


@dataclass(frozen=True)
class UploadLimits:
    """Bounds on the upload table.

    Args:
        timeout_s: An upload without activity for this long is dropped.
        max_per_client: Uploads one client may have open; beginning one more drops its oldest.
        max_total: Uploads open over all clients; beyond that ``begin`` is refused (busy).
        max_total_samples: Samples held over all open uploads; beyond that ``begin`` is refused.
    """

    timeout_s: float = 10.0
    max_per_client: int = 4
    max_total: int = 64
    max_total_samples: int = 2**25


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
        self._clock = clock
        self._uploads: dict[tuple[str, int], _Upload] = {}
        self._lock = threading.Lock()

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

        Raises:
            RequestError: Bad format or size (``invalid``), or the table is full (``busy``).
        """
        self.audio_limits.check(sample_rate_hz, channels, frames)
        n_samples = frames * channels
        key = (client, request_id)
        with self._lock:
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
            dropped = self._make_room_locked(client, n_samples)
            self._uploads[key] = _Upload(
                sample_rate_hz=sample_rate_hz,
                channels=channels,
                frames=frames,
                buffer=np.zeros(n_samples, dtype=np.float32),
                filled=np.zeros(n_samples, dtype=bool),
                last_active_s=now,
            )
            return dropped

    def _make_room_locked(self, client: str, n_samples: int) -> list[int]:
        mine = sorted(
            (u.last_active_s, key[1]) for key, u in self._uploads.items() if key[0] == client
        )
        n_drop = max(0, len(mine) - self.limits.max_per_client + 1)
        to_drop = [old_id for _, old_id in mine[:n_drop]]
        n_open = len(self._uploads) - len(to_drop)
        if n_open >= self.limits.max_total:
            raise RequestError(
                f"{n_open} uploads are open (limit {self.limits.max_total}); try again later",
                code=CODE_BUSY,
            )
        held = sum(
            u.buffer.size
            for key, u in self._uploads.items()
            if key[0] != client or key[1] not in to_drop
        )
        if held + n_samples > self.limits.max_total_samples:
            raise RequestError(
                f"open uploads hold {held} samples; {n_samples} more would exceed the limit of "
                f"{self.limits.max_total_samples}; try again later",
                code=CODE_BUSY,
            )
        for old_id in to_drop:
            del self._uploads[(client, old_id)]
        return to_drop

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
