"""Reading rendered HDF5 datasets (layout in ``docs/dataset-format.md``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from patchflow.config import from_dict
from patchflow.data.render import DATASET_FORMAT, RenderConfig
from patchflow.features import FeatureConfig, FeatureStats
from patchflow.spec import SynthSpec, spec_from_dict


class DatasetError(ValueError):
    """A dataset file is missing, unreadable or not a patchflow dataset."""


@dataclass
class SynthDataset:
    """A rendered dataset loaded into memory.

    Attributes:
        path: The HDF5 file.
        spec: The synth's parameter spec.
        render_config: How it was generated (synth, seed, count, ...).
        feature_config: The feature front-end used.
        stats: Per-bin feature standardisation statistics.
        params: Encoded parameters ``(N, D)`` in [-1, 1].
        features: Unstandardised features ``(N, *feature_shape)``.
        audio: Rendered audio ``(N, C, T)`` when stored, else ``None``.
    """

    path: Path
    spec: SynthSpec
    render_config: RenderConfig
    feature_config: FeatureConfig
    stats: FeatureStats
    params: np.ndarray
    features: np.ndarray
    audio: np.ndarray | None

    def __len__(self) -> int:
        return len(self.params)

    def __repr__(self) -> str:
        return (
            f"SynthDataset({str(self.path)!r}, {len(self)} items, synth={self.spec.synth}, "
            f"features={self.feature_config.kind}{self.feature_config.shape})"
        )

    @classmethod
    def load(
        cls, path: str | Path, limit: int | None = None, with_audio: bool = True
    ) -> SynthDataset:
        import h5py

        path = Path(path)
        if not path.is_file():
            raise DatasetError(f"{path}: no such dataset file")
        try:
            with h5py.File(path, "r") as f:
                if f.attrs.get("format") != DATASET_FORMAT:
                    raise DatasetError(
                        f"{path}: not a patchflow dataset (format attribute missing)"
                    )
                sl = slice(0, limit)
                spec = spec_from_dict(json.loads(f.attrs["spec"]), f"{path}:spec")
                return cls(
                    path=path,
                    spec=spec,
                    render_config=from_dict(RenderConfig, json.loads(f.attrs["render_config"])),
                    feature_config=FeatureConfig.from_dict(json.loads(f.attrs["feature_config"])),
                    stats=FeatureStats(f["stats/mean"][()], f["stats/std"][()]),
                    params=f["params"][sl],
                    features=f["features"][sl],
                    audio=f["audio"][sl] if with_audio and "audio" in f else None,
                )
        except OSError as err:
            raise DatasetError(f"{path}: cannot read HDF5 file: {err}") from None
