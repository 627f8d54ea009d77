"""Torch twin of :class:`patchflow.features.FeatureExtractor`, built from the same frozen arrays."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from patchflow.features import LOG_FLOOR, FeatureConfig, FeatureExtractor


class TorchFeatures(nn.Module):
    """Audio ``(N, C, T)`` to features ``(N, *config.shape)`` on any device, differentiable."""

    window: torch.Tensor  # buffers
    mel_fb: torch.Tensor

    def __init__(self, config: FeatureConfig, arrays: dict[str, np.ndarray] | None = None) -> None:
        super().__init__()
        self.config = config
        arrays = FeatureExtractor(config).arrays() if arrays is None else arrays
        self.register_buffer("window", torch.from_numpy(np.asarray(arrays["window"], np.float32)))
        self.register_buffer("mel_fb", torch.from_numpy(np.asarray(arrays["mel_fb"], np.float32)))

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        t = self.config.num_samples
        audio = audio[..., :t]
        if audio.shape[-1] < t:
            audio = nn.functional.pad(audio, (0, t - audio.shape[-1]))  # (N, C, T)
        if self.config.kind == "rfft":
            return torch.fft.rfft(audio, dim=-1, norm="forward").abs()  # (N, C, F)
        n_fft, hop = self.config.n_fft, self.config.hop_length
        # float64 inside, like the numpy path: small mel bins make float32 log-mel drift by ~1e-5.
        padded = nn.functional.pad(audio.double(), (n_fft // 2, n_fft // 2))  # (N, C, T + n_fft)
        frames = padded.unfold(-1, n_fft, hop)  # (N, C, frames, n_fft)
        power = (
            torch.fft.rfft(frames * self.window.double(), dim=-1).abs() ** 2
        )  # (N, C, frames, F)
        mel = torch.einsum("mf,nctf->ncmt", self.mel_fb.double(), power)  # (N, C, mels, frames)
        return torch.log(mel + LOG_FLOOR).to(audio.dtype)  # (N, C, mels, frames)
