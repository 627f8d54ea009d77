"""Training and validation batches from an on-the-fly k-osc stream or an HDF5 dataset.

Batch ``s`` of a run depends only on ``(seed, s)``, so a resumed run sees exactly the batches it
would have seen without the interruption. Features are standardised with the dataset's
statistics (stream: :meth:`KOscStream.estimate_stats`). With ``sort_slots`` the symmetry slots of
every parameter vector are sorted by their first column (k-osc: whole oscillators by frequency),
the canonical ordering of the paper's "Sort" baseline; the audio is unchanged because the
slots are interchangeable. (The reference sorts only the frequencies and re-renders; both give a
canonical, valid parameter set.)

With ``note_conditioning`` (HDF5 datasets of specs with a pitch note parameter) every batch also
carries the note each item was rendered at (from the dataset's ``native`` column, rounded as
rendering does) and its ``params`` leave the note's column out: the model is told the note and
predicts the rest.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from patchflow.features import FeatureConfig, FeatureStats
from patchflow.metrics.kosc import linear_assignment_cost, log_spectral_distance, parameter_mse
from patchflow.note_conditioning import NoteConditioning
from patchflow.spec import SynthSpec
from patchflow.synths.kosc import KOsc

log = logging.getLogger(__name__)

STREAM_RE = re.compile(r"^stream:kosc(\d+)(-asym)?$")
IN_MEMORY_MAX_BYTES = 1 << 30  # HDF5 features up to 1 GiB are loaded; larger ones are mapped


def _feature_rows(path: Path, feats: Any) -> np.ndarray | Any:
    """The features as an array: loaded when small, memory-mapped when large and stored
    contiguously (as ``patchflow dataset render`` writes them; processes that train on the
    same file then share one copy in the page cache), else the h5py dataset, read per batch
    (slow for random batches of a chunked dataset)."""
    if feats.size * feats.dtype.itemsize <= IN_MEMORY_MAX_BYTES:
        return feats[()]
    offset = feats.id.get_offset()
    if feats.chunks is None and feats.compression is None and offset is not None:
        return np.memmap(path, dtype=feats.dtype, mode="r", offset=offset, shape=feats.shape)
    log.warning(
        "%s: features are %.1f GB in a chunked dataset; reading random batches from it is "
        "slow (re-render with this version of patchflow to store them contiguously)",
        path,
        feats.size * feats.dtype.itemsize / 1e9,
    )
    return feats


@dataclass
class DataBatch:
    """One batch.

    Attributes:
        params: Encoded parameters in [-1, 1], shape ``(B, D)``, float32.
        features: Standardised features, shape ``(B, *feature_shape)``, float32.
        audio: Target audio ``(B, C, T)`` for the audio metric (validation only), or ``None``.
        note: The MIDI note each item was rendered at ``(B,)``, float32, for note-conditioned
            models (their ``params`` then leave the note's column out), else ``None``.
    """

    params: np.ndarray
    features: np.ndarray
    audio: np.ndarray | None = None
    note: np.ndarray | None = None


class DataSource(Protocol):
    """What the training loop needs from the data."""

    spec: SynthSpec
    feature_config: FeatureConfig
    stats: FeatureStats
    metric_name: str

    def train_batch(self, step: int) -> DataBatch: ...

    def val_batches(self) -> list[DataBatch]: ...

    def metrics(self, pred: np.ndarray, batch: DataBatch) -> dict[str, float]: ...


def check_sortable(spec: SynthSpec) -> None:
    """Refuse slot sorting where slots are not interchangeable (e.g. asymmetric k-osc)."""
    groups = spec.symmetry_groups()
    if not groups:
        raise ValueError(f"spec '{spec.synth}' has no symmetry slots to sort")
    owner = {
        c: p
        for p, sl in zip(spec.params, spec.columns, strict=True)
        for c in range(sl.start, sl.stop)
    }

    def key(slot: list[int]) -> list[tuple]:
        return [(owner[c].kind, owner[c].min, owner[c].max, owner[c].scale) for c in slot]

    for slots in groups.values():
        if any(key(s) != key(slots[0]) for s in slots[1:]):
            raise ValueError(
                f"spec '{spec.synth}': symmetry slots have different ranges, so sorting "
                "them would change the sound (use a symmetric variant)"
            )


def sort_slots(params: np.ndarray, spec: SynthSpec) -> np.ndarray:
    """Sort each symmetry group's slots by their first column, per row: ``(B, D) -> (B, D)``."""
    out = params.copy()
    for slots in spec.symmetry_groups().values():
        index = np.asarray(slots)  # (S, W)
        order = np.argsort(params[:, index[:, 0]], axis=1, kind="stable")  # (B, S)
        src = index[order]  # (B, S, W)
        out[:, index.ravel()] = np.take_along_axis(params, src.reshape(len(params), -1), axis=1)
    return out


class _KOscMetrics:
    """Audio metric for k-osc data: LSD of re-rendered predictions (plus parameter metrics)."""

    renderer: KOsc | None
    metric_name: str

    def metrics(self, pred: np.ndarray, batch: DataBatch) -> dict[str, float]:
        out = {"param_mse": float(parameter_mse(pred, batch.params).mean())}
        if self.renderer is not None and batch.audio is not None:
            audio = self.renderer.render_encoded(pred)
            out["lsd_db"] = float(log_spectral_distance(audio, batch.audio).mean())
            lac = linear_assignment_cost(pred, batch.params, self.renderer.k)
            out["assignment_mse"] = float(lac.mean())
        return out


class StreamSource(_KOscMetrics):
    """``stream:koscK`` / ``stream:koscK-asym``: every batch rendered on the fly."""

    def __init__(
        self,
        k: int,
        asymmetric: bool,
        *,
        batch_size: int,
        val_batch_size: int,
        val_batches: int,
        seed: int,
        sort: bool = False,
        note_conditioning: bool = False,
    ) -> None:
        from patchflow.data.stream import KOscStream

        if note_conditioning:
            raise ValueError("k-osc streams have no note parameter to condition on")

        self.train_stream = KOscStream(k, asymmetric, batch_size, seed)
        self.val_stream = KOscStream(k, asymmetric, val_batch_size, seed)
        self.spec, self.feature_config = self.train_stream.spec, self.train_stream.feature_config
        self.renderer, self.metric_name = self.train_stream.synth, "lsd_db"
        self.sort, self.num_val = sort, val_batches
        if sort:
            check_sortable(self.spec)
        self.stats = self.train_stream.estimate_stats()
        self._val: list[DataBatch] | None = None

    def __repr__(self) -> str:
        return f"StreamSource({self.train_stream!r})"

    def _prepare(self, params: np.ndarray, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        params = sort_slots(params, self.spec) if self.sort else params
        return params.astype(np.float32), self.stats.apply(features)

    def train_batch(self, step: int) -> DataBatch:
        b = self.train_stream.batch(step, split=0)
        return DataBatch(*self._prepare(b.params, b.features))

    def val_batches(self) -> list[DataBatch]:
        if self._val is None:
            batches = [self.val_stream.batch(i, split=1) for i in range(self.num_val)]
            self._val = [DataBatch(*self._prepare(b.params, b.features), b.audio) for b in batches]
        return self._val


class HDF5Source(_KOscMetrics):
    """A rendered dataset (``patchflow dataset render``); the last items are held out."""

    def __init__(
        self,
        path: str | Path,
        *,
        batch_size: int,
        val_batch_size: int,
        val_batches: int,
        seed: int,
        sort: bool = False,
        note_conditioning: bool = False,
    ) -> None:
        import h5py

        from patchflow.data.dataset import SynthDataset

        meta = SynthDataset.load(path, limit=0, with_audio=False)
        self.path, self.spec, self.feature_config = meta.path, meta.spec, meta.feature_config
        self.stats, self.seed, self.batch_size, self.sort = meta.stats, seed, batch_size, sort
        if sort:
            check_sortable(self.spec)
        self.note_conditioning = NoteConditioning.of(self.spec) if note_conditioning else None
        rc = meta.render_config
        self.renderer = KOsc(rc.k, rc.asymmetric) if rc.synth == "kosc" else None
        # best.pt: k-osc by the re-rendered audio; plugin synths by the validation objective (a
        # sampled CNF's parameter error rises as its samples spread over equivalent patches, so
        # it picked early checkpoints that sound worse; for regression it is the same MSE)
        self.metric_name = "lsd_db" if self.renderer is not None else "loss"
        self._file = h5py.File(self.path, "r")
        self.params = self._file["params"][()]
        self.notes: np.ndarray | None = None
        if self.note_conditioning is not None:
            nc = self.note_conditioning
            if "native" in self._file:
                self.notes = nc.notes_from_native(self._file["native"][()])
            else:  # datasets written without native values: decode the note's column
                self.notes = nc.notes_from_encoded(self.params, self.spec)
        n = len(self.params)
        n_val = min(val_batches * val_batch_size, max(n // 5, 1))
        if n - n_val < batch_size:
            raise ValueError(
                f"{self.path}: {n} items leave {n - n_val} for training, fewer than a batch of "
                f"{batch_size}; render more items or lower the batch size"
            )
        self.num_train, self.val_batch_size = n - n_val, val_batch_size
        self.features = _feature_rows(Path(self.path), self._file["features"])
        self._perms: OrderedDict[int, np.ndarray] = OrderedDict()
        self._val: list[DataBatch] | None = None

    def __repr__(self) -> str:
        return f"HDF5Source({str(self.path)!r}, {self.num_train} train items)"

    def _rows(self, index: np.ndarray, audio: bool = False) -> DataBatch:
        if isinstance(self.features, np.ndarray):  # loaded or memory-mapped
            feats = np.asarray(self.features[index])
        else:  # h5py wants increasing indices
            uniq, inverse = np.unique(index, return_inverse=True)
            feats = self.features[uniq][inverse]
        params = self.params[index]
        params = sort_slots(params, self.spec) if self.sort else params
        wave = None
        if audio and self.renderer is not None:
            wave = self.renderer.render_encoded(params)
        notes = None
        if self.note_conditioning is not None and self.notes is not None:
            params, notes = self.note_conditioning.drop(params), self.notes[index]
        return DataBatch(params.astype(np.float32), self.stats.apply(feats), wave, notes)

    def _perm(self, epoch: int) -> np.ndarray:
        if epoch not in self._perms:
            self._perms[epoch] = np.random.default_rng([self.seed, 7, epoch]).permutation(
                self.num_train
            )
            while len(self._perms) > 2:
                self._perms.popitem(last=False)
        return self._perms[epoch]

    def train_batch(self, step: int) -> DataBatch:
        g = step * self.batch_size + np.arange(self.batch_size)  # global sample numbers
        epochs, pos = np.divmod(g, self.num_train)
        index = np.array([self._perm(int(e))[p] for e, p in zip(epochs, pos, strict=True)])
        return self._rows(index)

    def val_batches(self) -> list[DataBatch]:
        if self._val is None:
            self._val = []
            n = len(self.params)
            for start in range(self.num_train, n, self.val_batch_size):
                index = np.arange(start, min(start + self.val_batch_size, n))
                self._val.append(self._rows(index, audio=True))
        return self._val

    def close(self) -> None:
        self._file.close()


def open_source(
    data: str,
    *,
    batch_size: int,
    val_batch_size: int,
    val_batches: int,
    seed: int,
    sort: bool = False,
    note_conditioning: bool = False,
) -> DataSource:
    """Open ``stream:koscK[-asym]`` or an HDF5 dataset path (``note_conditioning``: batches
    carry the rendered note and leave the note's column out of ``params``)."""
    kwargs: dict[str, Any] = dict(
        batch_size=batch_size,
        val_batch_size=val_batch_size,
        val_batches=val_batches,
        seed=seed,
        sort=sort,
        note_conditioning=note_conditioning,
    )
    if data.startswith("stream:"):
        m = STREAM_RE.match(data)
        if m is None or int(m.group(1)) < 1:
            raise ValueError(f"unknown stream {data!r}; use stream:koscK or stream:koscK-asym")
        return StreamSource(int(m.group(1)), m.group(2) is not None, **kwargs)
    return HDF5Source(data, **kwargs)


class Prefetcher:
    """Computes ``make(step)`` for the next ``depth`` steps in one background thread.

    Batches depend only on the step, so prefetching never changes what the loop sees.
    """

    def __init__(self, make: Callable[[int], DataBatch], stop: int, depth: int = 2) -> None:
        self.make, self.stop, self.depth = make, stop, depth
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch")
        self.pending: dict[int, Future[DataBatch]] = {}

    def get(self, step: int) -> DataBatch:
        for s in range(step, min(step + self.depth + 1, self.stop)):
            if s not in self.pending:
                self.pending[s] = self.pool.submit(self.make, s)
        for s in [s for s in self.pending if s < step]:
            self.pending.pop(s).cancel()
        future = self.pending.pop(step, None)
        return future.result() if future is not None else self.make(step)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
