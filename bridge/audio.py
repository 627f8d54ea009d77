"""Audio clips, the limits the bridge accepts, and reading audio files for ``match/file``."""

from __future__ import annotations

import logging
import math
import os
import stat
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from patchflow.bridge.errors import CODE_TIMEOUT, RequestError

logger = logging.getLogger(__name__)

AUDIO_SUFFIXES = (
    ".wav", ".wave", ".bwf", ".rf64", ".w64", ".aif", ".aiff", ".aifc", ".flac", ".ogg",
    ".oga", ".opus", ".mp3", ".caf", ".au", ".snd",
)  # fmt: skip
"""File name endings ``match/file`` accepts (anything libsndfile reads as audio)."""
MAX_PATH_CHARS_SHOWN = 120
READ_BLOCK_FRAMES = 65536


@dataclass(frozen=True)
class AudioClip:
    """Audio ready for the engine.

    Args:
        audio: (C, T) float32, C-contiguous.
        sample_rate_hz: Its sample rate.
    """

    audio: np.ndarray
    sample_rate_hz: int


@dataclass(frozen=True)
class AudioLimits:
    """Formats and sizes of audio the bridge accepts (checked before any buffer is allocated).

    Content checks (NaN/Inf, silence, too short) are the engine's.

    Besides the length, a clip's size (frames x channels) is bounded: the longest clip may have
    ``full_length_channels`` channels at the highest rate; more channels need a shorter clip or a
    lower rate. The chunked-upload quotas (:mod:`patchflow.bridge.uploads`) are sized from
    :meth:`max_samples`, so every clip these limits accept also fits an upload.

    Args:
        max_seconds: Longest clip, usually ``engine.max_seconds``.
        min_sample_rate_hz: Lowest accepted sample rate.
        max_sample_rate_hz: Highest accepted sample rate.
        max_channels: Most channels.
        full_length_channels: Channels a clip of ``max_seconds`` at ``max_sample_rate_hz`` may
            have (sets :meth:`max_samples`).
    """

    max_seconds: float
    min_sample_rate_hz: int = 8_000
    max_sample_rate_hz: int = 192_000
    max_channels: int = 8
    full_length_channels: int = 2

    def max_frames(self, sample_rate_hz: int) -> int:
        """Most frames of a clip at ``sample_rate_hz``."""
        return math.ceil(self.max_seconds * sample_rate_hz)

    def max_samples(self) -> int:
        """Most samples (frames x channels) of any accepted clip."""
        return self.max_frames(self.max_sample_rate_hz) * self.full_length_channels

    def check(self, sample_rate_hz: int, channels: int, frames: int) -> None:
        """Raise :class:`RequestError` naming the first bad value, if any."""
        if not self.min_sample_rate_hz <= sample_rate_hz <= self.max_sample_rate_hz:
            raise RequestError(
                f"sample rate {sample_rate_hz} Hz is outside "
                f"{self.min_sample_rate_hz}..{self.max_sample_rate_hz} Hz"
            )
        if not 1 <= channels <= self.max_channels:
            raise RequestError(f"channel count {channels} is outside 1..{self.max_channels}")
        if frames < 1:
            raise RequestError(f"frame count {frames} must be at least 1")
        max_frames = self.max_frames(sample_rate_hz)
        if frames > max_frames:
            raise RequestError(
                f"{frames} frames at {sample_rate_hz} Hz is {frames / sample_rate_hz:.3f} s, "
                f"longer than the {self.max_seconds:g} s limit ({max_frames} frames)"
            )
        if frames * channels > self.max_samples():
            raise RequestError(
                f"{frames} frames x {channels} channels = {frames * channels} samples is more than "
                f"the limit of {self.max_samples()} ({self.max_seconds:g} s of "
                f"{self.full_length_channels} channels at {self.max_sample_rate_hz} Hz); "
                "send fewer channels, a lower rate or a shorter clip"
            )

    def check_array(self, audio: np.ndarray, sample_rate_hz: int) -> None:
        """Check a (C, T) float32 array against the limits.

        Raises:
            RequestError: Wrong dtype or rank, or a format outside the limits.
        """
        if not isinstance(audio, np.ndarray) or audio.dtype != np.float32 or audio.ndim != 2:
            raise RequestError("audio must be a (channels, frames) float32 array")
        self.check(sample_rate_hz, audio.shape[0], audio.shape[1])


def shorten_path(path: str, max_chars: int = MAX_PATH_CHARS_SHOWN) -> str:
    """``path`` quoted once, its middle cut so that it stays under ``max_chars`` characters.

    Error messages quote the path with this, so that a long path never pushes the reason out
    of a size-limited error reply.
    """
    quoted = repr(path)
    if len(quoted) <= max_chars:
        return quoted
    keep = max(4, (max_chars - 5) // 2)
    return f"{quoted[:keep]}...{quoted[-keep:]}"


def default_file_dirs() -> tuple[Path, ...]:
    """Folders ``match/file`` reads from by default: the system temp folder, and the folder
    the Max device writes its captures to (``/tmp`` on macOS, the public documents folder on
    Windows)."""
    dirs = [Path(tempfile.gettempdir())]
    if os.name == "nt":
        dirs.append(Path(os.environ.get("PUBLIC", "C:/Users/Public")) / "Documents")
    else:
        dirs.append(Path("/tmp"))
    return tuple(dirs)


class FileAccess:
    """Which audio files ``match/file`` may read, and how long and how much it may read.

    A path is read only when it resolves (symbolic links followed) to a regular file with an
    audio ending under one of ``dirs``. Everything else gets the same reply, which does not
    tell a missing file from an unreadable or non-audio one (the reason is logged).

    Args:
        dirs: Allowed folders (default: :func:`default_file_dirs`).
        remote: Accept file paths from clients beyond loopback too.
        timeout_s: Longest time reading one file may take.
    """

    def __init__(
        self,
        dirs: Sequence[str | Path] | None = None,
        *,
        remote: bool = False,
        timeout_s: float = 5.0,
    ) -> None:
        chosen = default_file_dirs() if dirs is None else tuple(Path(d) for d in dirs)
        resolved: list[Path] = []
        for folder in chosen:
            real = Path(os.path.realpath(folder))
            if real not in resolved:
                resolved.append(real)
        self.dirs: tuple[Path, ...] = tuple(resolved)
        self.remote = remote
        self.timeout_s = timeout_s

    @classmethod
    def with_extra_dirs(cls, extra: Sequence[str | Path], *, remote: bool = False) -> FileAccess:
        """The default folders plus ``extra`` (``patchflow serve --files-from``)."""
        return cls((*default_file_dirs(), *extra), remote=remote)

    def __repr__(self) -> str:
        dirs = ", ".join(str(d) for d in self.dirs)
        return f"FileAccess([{dirs}], remote={self.remote}, timeout_s={self.timeout_s:g})"

    def refusal(self, path: str) -> RequestError:
        """The one reply for every file that cannot be read."""
        dirs = ", ".join(str(d) for d in self.dirs) or "none"
        return RequestError(
            f"cannot read that file: {shorten_path(path)} (match/file reads audio files "
            f"({', '.join(s.lstrip('.') for s in AUDIO_SUFFIXES[:8])}, ...) under the server's "
            f"allowed folders: {dirs}; start the server with --files-from DIR for others, "
            "or send the audio itself)"
        )

    def resolve(self, path: str) -> Path:
        """The real path of an allowed audio file.

        Raises:
            RequestError: The uniform refusal, if ``path`` is not allowed.
        """
        if not path or "\x00" in path:
            raise self._refuse(path, "empty path or NUL character")
        real = Path(os.path.realpath(path))
        if real.suffix.lower() not in AUDIO_SUFFIXES:
            raise self._refuse(path, f"{real.suffix!r} is not an audio file ending")
        if not any(real.is_relative_to(folder) for folder in self.dirs):
            raise self._refuse(path, f"{real} is outside the allowed folders")
        return real

    def _refuse(self, path: str, reason: str) -> RequestError:
        logger.info("match/file %s refused: %s", shorten_path(path), reason)
        return self.refusal(path)

    def read(self, path: str, limits: AudioLimits, deadline_s: float | None = None) -> AudioClip:
        """Read an allowed audio file, bounded in size and time.

        Only a regular file is opened (without blocking, so a FIFO or device cannot stall the
        reader); its header is checked against ``limits`` before the samples are read, in
        blocks, into one (C, T) buffer.

        Args:
            path: File path; relative paths are relative to the server's working directory.
            limits: Accepted formats and sizes.
            deadline_s: ``time.monotonic()`` value by which the read must finish (default:
                ``timeout_s`` from now).

        Returns:
            The clip, (C, T) float32.

        Raises:
            RequestError: The uniform refusal (not allowed, missing, not a regular file, not
                audio), a ``timeout``, or the clip is outside ``limits``.
        """
        deadline_s = time.monotonic() + self.timeout_s if deadline_s is None else deadline_s
        real = self.resolve(path)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        flags |= getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(real, flags)
        except OSError as exc:
            raise self._refuse(path, f"cannot open: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise self._refuse(path, "not a regular file")
            max_bytes = limits.max_samples() * 8 + 2**20  # 64-bit samples plus headers
            if info.st_size > max_bytes:
                raise self._refuse(path, f"{info.st_size} bytes (limit {max_bytes})")
            return self._decode(handle, path, limits, deadline_s)

    def _decode(
        self, handle: object, path: str, limits: AudioLimits, deadline_s: float
    ) -> AudioClip:
        try:
            sound = soundfile.SoundFile(handle)
        except (RuntimeError, OSError, ValueError, TypeError) as exc:
            raise self._refuse(path, f"not audio ({exc})") from None
        with sound:
            sample_rate_hz, channels, frames = (
                int(sound.samplerate),
                int(sound.channels),
                int(sound.frames),
            )
            try:
                limits.check(sample_rate_hz, channels, frames)
            except RequestError as exc:
                raise RequestError(f"audio file {shorten_path(path)}: {exc.message}") from None
            audio = np.empty((channels, frames), dtype=np.float32)
            done = 0
            try:
                while done < frames:
                    if time.monotonic() > deadline_s:
                        raise RequestError(
                            f"reading audio file {shorten_path(path)} took longer than "
                            f"{self.timeout_s:g} s",
                            code=CODE_TIMEOUT,
                        )
                    n_frames = min(READ_BLOCK_FRAMES, frames - done)
                    block = sound.read(n_frames, dtype="float32", always_2d=True)
                    if block.shape[0] == 0:
                        break
                    audio[:, done : done + block.shape[0]] = block.T
                    done += block.shape[0]
            except (RuntimeError, OSError, ValueError, TypeError) as exc:
                raise self._refuse(path, f"decoding failed ({exc})") from None
        if done == 0:
            raise self._refuse(path, "no samples")
        return AudioClip(audio=np.ascontiguousarray(audio[:, :done]), sample_rate_hz=sample_rate_hz)


def read_audio_file(path: str, limits: AudioLimits, access: FileAccess | None = None) -> AudioClip:
    """Read an allowed audio file from the server's file system (see :class:`FileAccess`).

    Args:
        path: File path.
        limits: Accepted formats and sizes.
        access: Allowed folders and bounds (default: :class:`FileAccess` with its defaults).

    Raises:
        RequestError: If the file may not or cannot be read, or is outside the limits.
    """
    return (access if access is not None else FileAccess()).read(path, limits)
