"""Self-describing model bundles: load and verify with numpy and onnxruntime only (no torch).

A bundle is a folder::

    models/NAME/
      card.json           what the model is: spec, features, stats, solver defaults, macros, ...
      encoder.onnx        features (B, *feature_shape), standardised -> cond (B, L, d)   [cnf]
      vector_field.onnx   x (B, D), t (B,), cond (B, L, d), w () -> velocity (B, D)      [cnf]
      predictor.onnx      features (B, *feature_shape) -> params (B, D)           [regression]
      sampler.onnx        optional: features, noise, w -> params, cond for the serving
                          default's method and steps, fused into one graph          [cnf]

A note-conditioned bundle (card field ``note_conditioning``, see
:mod:`patchflow.note_conditioning`) predicts every parameter but the spec's note (D - 1 columns)
and its encoder, predictor and sampler graphs take ``note`` (B,) float32 in MIDI right after
``features`` (negative: unknown).
      frontend.npz        the frozen analysis window and mel filterbank
      README.md           how it was made (command and data recipe)

The card is also embedded in every ONNX file's ``metadata_props`` (key ``patchflow.card``) so a
stray ``.onnx`` still describes itself. :func:`load_bundle` refuses a mismatched, truncated or
corrupt bundle with a :class:`BundleError` naming the file and the problem.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from patchflow.features import FeatureConfig, FeatureExtractor, FeatureStats
from patchflow.note_conditioning import NOTE_INPUT, NoteConditioning
from patchflow.spec import SpecError, SynthSpec, spec_from_dict

log = logging.getLogger(__name__)

BUNDLE_FORMAT = "patchflow-bundle"
BUNDLE_FORMAT_VERSION = 1
CARD_METADATA_KEY = "patchflow.card"
DEFAULT_MODEL = "amsynth"  # what `patchflow match` and `serve` load without --model

# Graph I/O contract per model kind: file -> (input names, output names).
GRAPHS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "cnf": {
        "encoder": (("features",), ("cond",)),
        "vector_field": (("x", "t", "cond", "w"), ("velocity",)),
    },
    "regression": {"predictor": (("features",), ("params",))},
}
# Optional graphs: the whole sample fused for the serving default's method and step count.
OPTIONAL_GRAPHS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "cnf": {"sampler": (("features", "noise", "w"), ("params", "cond"))},
    "regression": {},
}


class BundleError(ValueError):
    """A model bundle is missing, mismatched, truncated or corrupt."""


@dataclass(frozen=True)
class SolverDefaults:
    """How the bundle is sampled unless a request says otherwise.

    ``temperature`` scales the noise of the one-shot answer (flow models): 1 samples the
    posterior, 0 integrates the flow from the noise's mean (the same answer for every seed;
    on amsynth a closer one, ``docs/results/oneshot_decoding.md``). Search proposals and
    evaluations of many samples use unscaled noise.
    """

    method: str = "midpoint"
    steps: int = 4
    cfg_scale: float = 2.0
    temperature: float = 1.0


@dataclass(frozen=True)
class MacroSpec:
    """Latent macro directions: unit vectors in the flow's noise space, ``(K, D)``."""

    directions: np.ndarray
    scale: float = 1.5
    names: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return int(self.directions.shape[0])


@dataclass(frozen=True)
class Card:
    """The parsed ``card.json``."""

    raw: dict[str, Any]
    name: str
    model_kind: str
    synth_id: str
    synth_options: dict[str, Any]
    spec: SynthSpec
    feature_config: FeatureConfig
    stats: FeatureStats
    solver: SolverDefaults
    macros: MacroSpec | None
    metrics: dict[str, Any] = field(default_factory=dict)
    note_conditioning: NoteConditioning | None = None

    @property
    def model_dim(self) -> int:
        """Width of the model's own vectors (its noise and raw outputs): the spec's encoded
        width, less the note's column for a note-conditioned model."""
        return self.spec.dim - (1 if self.note_conditioning is not None else 0)

    def graph_io(self, graph: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Input and output names of ``graph`` for this card (``note`` after ``features`` in
        the first graph of a note-conditioned model)."""
        contract = {**GRAPHS[self.model_kind], **OPTIONAL_GRAPHS[self.model_kind]}
        inputs, outputs = contract[graph]
        if self.note_conditioning is not None and inputs[:1] == ("features",):
            inputs = ("features", NOTE_INPUT, *inputs[1:])
        return inputs, outputs

    @property
    def sample_rate(self) -> int:
        return self.feature_config.sample_rate

    @property
    def input_samples(self) -> int:
        return self.feature_config.num_samples


@dataclass
class Bundle:
    """A verified bundle: its card, onnxruntime sessions and the numpy feature extractor."""

    path: Path
    card: Card
    sessions: dict[str, Any]
    extractor: FeatureExtractor
    providers: list[str]

    def __repr__(self) -> str:
        c = self.card
        return (
            f"Bundle({c.name!r}, {c.model_kind}, synth={c.synth_id}, {c.spec.num_params} params, "
            f"{c.feature_config.kind}{c.feature_config.shape}, providers={self.providers})"
        )

    @property
    def name(self) -> str:
        return self.card.name

    def features(self, audio: np.ndarray) -> np.ndarray:
        """Audio ``(N, C, T)`` at the model's rate and channels to standardised features."""
        return self.card.stats.apply(self.extractor(audio))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundle_search_paths() -> list[Path]:
    """Where named models are looked up: ``$PATCHFLOW_MODELS``, the shipped ``models/``, cwd."""
    import os

    paths = []
    if os.environ.get("PATCHFLOW_MODELS"):
        paths.append(Path(os.environ["PATCHFLOW_MODELS"]))
    try:
        from importlib.resources import files

        paths.append(Path(str(files("patchflow.zoo"))))
    except (ModuleNotFoundError, TypeError):  # running from a checkout without the mapping
        pass
    paths.append(Path(__file__).resolve().parents[2] / "models")
    paths.append(Path.cwd() / "models")
    return paths


def resolve_bundle(name_or_path: str | Path | None) -> Path:
    """A bundle folder from a path or a model name (``None``: the default model)."""
    name = DEFAULT_MODEL if name_or_path is None else str(name_or_path)
    path = Path(name)
    if (path / "card.json").is_file():
        return path
    if path.exists():
        raise BundleError(f"{path}: not a model bundle (no card.json)")
    for root in bundle_search_paths():
        if (root / name / "card.json").is_file():
            return root / name
    searched = ", ".join(str(p) for p in bundle_search_paths())
    raise BundleError(f"model {name!r} not found (searched {searched})")


def parse_card(raw: Any, source: str) -> Card:
    """Validate a card dictionary."""

    def need(key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in raw:
            raise BundleError(f"{source}: card field {key!r} is missing")
        if not isinstance(raw[key], kind):
            raise BundleError(f"{source}: card field {key!r} has the wrong type")
        return raw[key]

    if not isinstance(raw, dict):
        raise BundleError(f"{source}: the card is not a JSON object")
    if raw.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{source}: not a patchflow bundle card (format {raw.get('format')!r})")
    if raw.get("format_version") != BUNDLE_FORMAT_VERSION:
        raise BundleError(
            f"{source}: bundle format version {raw.get('format_version')!r} is not supported "
            f"(this patchflow reads version {BUNDLE_FORMAT_VERSION})"
        )
    kind = need("model_kind", str)
    if kind not in GRAPHS:
        raise BundleError(f"{source}: unknown model_kind {kind!r}")
    try:
        spec = spec_from_dict(need("spec", dict), f"{source}:spec")
        feature_config = FeatureConfig.from_dict(need("features", dict))
        stats = FeatureStats.from_dict(need("stats", dict))
    except (SpecError, TypeError, KeyError, ValueError) as err:
        raise BundleError(f"{source}: {err}") from None
    c, *_ = feature_config.shape
    if stats.mean.shape[0] != c or stats.mean.shape != stats.std.shape:
        raise BundleError(f"{source}: standardisation statistics do not fit the feature shape")
    solver = SolverDefaults(**need("solver", dict))
    if not 0.0 <= solver.temperature <= 1.0:
        raise BundleError(
            f"{source}: solver temperature must be in [0, 1], got {solver.temperature}"
        )
    note_conditioning = None
    if raw.get("note_conditioning") is not None:
        try:
            note_conditioning = NoteConditioning.from_dict(raw["note_conditioning"], spec)
        except ValueError as err:
            raise BundleError(f"{source}: {err}") from None
    dim = spec.dim - (1 if note_conditioning is not None else 0)
    macros = None
    if raw.get("macros"):
        m = raw["macros"]
        directions = np.asarray(m["directions"], np.float32)
        if directions.ndim != 2 or directions.shape[1] != dim:
            raise BundleError(f"{source}: macro directions must be (K, {dim})")
        macros = MacroSpec(directions, float(m.get("scale", 1.5)), tuple(m.get("names", ())))
    synth = need("synth", dict)
    return Card(
        raw=raw,
        name=need("name", str),
        model_kind=kind,
        synth_id=str(synth.get("id")),
        synth_options=dict(synth.get("options", {})),
        spec=spec,
        feature_config=feature_config,
        stats=stats,
        solver=solver,
        macros=macros,
        metrics=dict(raw.get("metrics", {})),
        note_conditioning=note_conditioning,
    )


def available_providers(prefer_gpu: bool = True) -> list[str]:
    """onnxruntime providers to ask for: CUDA first when the build has it, then CPU."""
    import onnxruntime as ort

    have = ort.get_available_providers()
    wanted = ["CUDAExecutionProvider"] if prefer_gpu and "CUDAExecutionProvider" in have else []
    return [*wanted, "CPUExecutionProvider"]


def _session(path: Path, providers: Sequence[str], threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # a missing CUDA library is reported once by us, not by ORT
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=list(providers))
    except Exception as err:  # onnxruntime raises its own exception types for corrupt graphs
        raise BundleError(f"{path}: onnxruntime cannot load the graph: {err}") from None


def _check_io(
    path: Path, session: Any, inputs: tuple[str, ...], outputs: tuple[str, ...], card: dict
) -> None:
    got_in = tuple(i.name for i in session.get_inputs())
    got_out = tuple(o.name for o in session.get_outputs())
    if got_in != inputs or got_out != outputs:
        raise BundleError(
            f"{path}: graph inputs {got_in} / outputs {got_out} do not match the bundle "
            f"contract {inputs} / {outputs}"
        )
    declared = card.get("inputs", {})
    for inp in session.get_inputs():
        want = declared.get(inp.name)
        if want is None:
            continue
        got = [d if isinstance(d, int) else "dynamic" for d in inp.shape]
        want_norm = [d if isinstance(d, int) else "dynamic" for d in want]
        if got != want_norm:
            raise BundleError(f"{path}: input {inp.name!r} has shape {inp.shape}, card says {want}")
    meta = session.get_modelmeta().custom_metadata_map.get(CARD_METADATA_KEY)
    if meta is None:
        raise BundleError(f"{path}: the graph carries no {CARD_METADATA_KEY} metadata")


def load_bundle(
    name_or_path: str | Path | None = None, *, prefer_gpu: bool = True, threads: int = 1
) -> Bundle:
    """Load and verify a bundle (default: the shipped default model).

    Checks the card's format and fields, every graph file's SHA-256 (truncation, corruption),
    that onnxruntime can load it, its input and output names and declared shapes, and that the
    card embedded in the graph names the same model and spec.
    """
    path = resolve_bundle(name_or_path)
    card_path = path / "card.json"
    try:
        raw = json.loads(card_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BundleError(f"{card_path}: cannot read the card: {err}") from None
    card = parse_card(raw, str(card_path))
    providers = available_providers(prefer_gpu)
    graphs = raw.get("graphs", {})
    sessions = {}
    names = [
        *GRAPHS[card.model_kind],
        *(g for g in OPTIONAL_GRAPHS[card.model_kind] if g in graphs),
    ]
    wanted = {g: card.graph_io(g) for g in names}
    for graph, (inputs, outputs) in wanted.items():
        entry = graphs.get(graph)
        if not isinstance(entry, dict) or "file" not in entry or "sha256" not in entry:
            raise BundleError(f"{card_path}: card lists no {graph!r} graph")
        gpath = path / entry["file"]
        if not gpath.is_file():
            raise BundleError(f"{gpath}: missing graph file")
        if sha256_file(gpath) != entry["sha256"]:
            raise BundleError(
                f"{gpath}: checksum mismatch (file truncated, corrupt or from another export)"
            )
        session = _session(gpath, providers, threads)
        if providers[0] not in session.get_providers():  # CUDA asked for, not usable: say it
            log.warning(
                "CUDA was requested but is not usable here; running %s on the CPU", card.name
            )
            providers = ["CPUExecutionProvider"]  # once, not again for every graph
        _check_io(gpath, session, inputs, outputs, entry)
        embedded = json.loads(session.get_modelmeta().custom_metadata_map[CARD_METADATA_KEY])
        if embedded.get("name") != card.name or embedded.get("spec") != raw.get("spec"):
            raise BundleError(f"{gpath}: embedded card names another model or spec than card.json")
        sessions[graph] = session
    frontend = path / "frontend.npz"
    extractor = FeatureExtractor(card.feature_config)
    if frontend.is_file():
        try:
            with np.load(frontend) as z:
                extractor.window = z["window"].astype(np.float32)
                extractor.mel_fb = z["mel_fb"].astype(np.float32)
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
            raise BundleError(
                f"{frontend}: cannot read the frozen front-end (file truncated or corrupt: "
                f"{type(err).__name__}: {err}); re-export or re-copy the bundle"
            ) from None
        if extractor.window.shape != (card.feature_config.n_fft,):
            raise BundleError(f"{frontend}: window length does not match the feature config")
    used = list(next(iter(sessions.values())).get_providers())
    return Bundle(path=path, card=card, sessions=sessions, extractor=extractor, providers=used)
