"""Audio clips, the limits the bridge accepts, and reading audio files for ``match/file``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import soundfile

from patchflow.bridge.errors import RequestError


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

    Args:
        max_seconds: Longest clip, usually ``engine.max_seconds``.
        min_sample_rate_hz: Lowest accepted sample rate.
        max_sample_rate_hz: Highest accepted sample rate.
        max_channels: Most channels.
    """

    max_seconds: float
    min_sample_rate_hz: int = 8_000
    max_sample_rate_hz: int = 192_000
    max_channels: int = 8

    def max_frames(self, sample_rate_hz: int) -> int:
        """Most frames of a clip at ``sample_rate_hz``."""
        return math.ceil(self.max_seconds * sample_rate_hz)

    def max_samples(self) -> int:
        """Most interleaved samples of any accepted clip (highest rate, most channels)."""
        return self.max_frames(self.max_sample_rate_hz) * self.max_channels

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

    def check_array(self, audio: np.ndarray, sample_rate_hz: int) -> None:
        """Check a (C, T) float32 array against the limits.

        Raises:
            RequestError: Wrong dtype or rank, or a format outside the limits.
        """
        if not isinstance(audio, np.ndarray) or audio.dtype != np.float32 or audio.ndim != 2:
            raise RequestError("audio must be a (channels, frames) float32 array")
        self.check(sample_rate_hz, audio.shape[0], audio.shape[1])


def read_audio_file(path: str, limits: AudioLimits) -> AudioClip:
    """Read an audio file from the server's file system (any format libsndfile reads).

    The header is checked against ``limits`` before the samples are read.

    Args:
        path: File path; relative paths are relative to the server's working directory.
        limits: Accepted formats and sizes.

    Returns:
        The clip, (C, T) float32.

    Raises:
        RequestError: If the file cannot be opened or decoded, or is outside the limits.
    """
    try:
        info = soundfile.info(path)
    except (RuntimeError, OSError, ValueError, TypeError) as exc:
        raise RequestError(f"cannot read audio file {path!r}: {exc}") from exc
    try:
        limits.check(int(info.samplerate), int(info.channels), int(info.frames))
    except RequestError as exc:
        raise RequestError(f"audio file {path!r}: {exc.message}") from exc
    try:
        data, sample_rate_hz = soundfile.read(path, dtype="float32", always_2d=True)
    except (RuntimeError, OSError, ValueError, TypeError) as exc:
        raise RequestError(f"cannot read audio file {path!r}: {exc}") from exc
    return AudioClip(audio=np.ascontiguousarray(data.T), sample_rate_hz=int(sample_rate_hz))
