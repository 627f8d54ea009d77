"""Declarative, versioned synthesizer parameter specs and the model's [-1, 1] encoding.

A spec lists every parameter the model predicts: its kind (continuous, discrete or categorical),
native range and unit, default, sampling distribution for dataset generation and an optional
symmetry slot ("oscillator 2 of 3") used for tokenisation. Specs are JSON files (see
``docs/spec-format.md``); :func:`load_spec` refuses a malformed one with an error naming the file,
the parameter and the field.

Encoding: a continuous or discrete parameter becomes one column in [-1, 1] (linear, or
logarithmic in the native unit when ``scale`` is ``"log"``); a categorical parameter becomes a
one-hot group of columns with values -1 and +1. Decoding clamps, rounds discrete values and takes
the argmax of each one-hot group among the choices the spec samples (a choice of weight 0 is
never decoded); parameters whose distribution is ``fixed`` always decode to their fixed value
(:meth:`SynthSpec.snap_fixed`), whatever the model put in their columns.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

SPEC_FORMAT = "patchflow-spec"
SPEC_FORMAT_VERSION = 1
KINDS = ("continuous", "discrete", "categorical")
DISTRIBUTIONS = ("uniform", "loguniform", "choice", "fixed")
NOTE_FIELDS = ("pitch", "velocity", "on_s", "off_s")


class SpecError(ValueError):
    """A spec file or dictionary is malformed; the message names the file, parameter and field."""


@dataclass(frozen=True)
class Distribution:
    """How dataset generation samples a parameter.

    Attributes:
        kind: ``uniform`` (in native units), ``loguniform`` (uniform in log of native units),
            ``choice`` (categorical/discrete, optionally weighted) or ``fixed`` (always default).
        low: Lower sampling bound in native units (defaults to the parameter minimum).
        high: Upper sampling bound in native units (defaults to the parameter maximum).
        weights: Relative weights of the choices (``choice`` only).
        p_default: Probability of taking the default value instead of sampling.
    """

    kind: str = "uniform"
    low: float | None = None
    high: float | None = None
    weights: tuple[float, ...] | None = None
    p_default: float = 0.0


@dataclass(frozen=True)
class SymmetrySlot:
    """Membership of a parameter in an interchangeable unit: ``index`` (1-based) of ``count``."""

    group: str
    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.group} {self.index} of {self.count}"


@dataclass(frozen=True)
class Param:
    """One synthesizer parameter.

    Attributes:
        name: Unique name, with the unit as a suffix where there is one (``cutoff_hz``).
        kind: ``continuous``, ``discrete`` (integer steps) or ``categorical``.
        min: Native minimum (categorical: 0).
        max: Native maximum (categorical: number of choices - 1).
        unit: Native unit (``Hz``, ``s``, ``dB``, empty when unitless).
        default: Default native value (categorical: choice index).
        choices: Names of the categorical choices.
        scale: ``linear`` or ``log`` mapping of native values to the encoded column.
        distribution: Sampling distribution for dataset generation.
        symmetry: Optional symmetry slot used by equivariant tokenisation.
        note_field: When set, the parameter is a note property (``pitch``, ``velocity``,
            ``on_s``, ``off_s``) rather than a synth control.
        plugin_name: Name of the parameter in a plugin host, when it differs from ``name``.
        raw_range: Plugin raw (normalised) values that ``min`` and ``max`` map to.
    """

    name: str
    kind: str
    min: float
    max: float
    unit: str = ""
    default: float = 0.0
    choices: tuple[str, ...] | None = None
    scale: str = "linear"
    distribution: Distribution = field(default_factory=Distribution)
    symmetry: SymmetrySlot | None = None
    note_field: str | None = None
    plugin_name: str | None = None
    raw_range: tuple[float, float] | None = None

    @property
    def width(self) -> int:
        """Number of encoded columns."""
        return len(self.choices) if self.kind == "categorical" and self.choices else 1

    def __repr__(self) -> str:
        if self.kind == "categorical":
            return f"Param({self.name!r}, categorical, choices={list(self.choices or ())})"
        unit = f" {self.unit}" if self.unit else ""
        return f"Param({self.name!r}, {self.kind}, {self.min:g}..{self.max:g}{unit})"

    def to_unit(self, native: np.ndarray) -> np.ndarray:
        """Map native values to [0, 1] (categorical: index / (n - 1))."""
        v = np.asarray(native, dtype=np.float64)
        if self.kind == "categorical":
            n = self.width
            return np.zeros_like(v) if n <= 1 else v / (n - 1)
        if self.scale == "log":
            return (np.log(v) - math.log(self.min)) / (math.log(self.max) - math.log(self.min))
        return (v - self.min) / (self.max - self.min)

    def from_unit(self, unit: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_unit` (clamped; discrete and categorical values rounded)."""
        u = np.clip(np.asarray(unit, dtype=np.float64), 0.0, 1.0)
        if self.kind == "categorical":
            return np.round(u * max(self.width - 1, 0))
        if self.scale == "log":
            v = np.exp(math.log(self.min) + u * (math.log(self.max) - math.log(self.min)))
        else:
            v = self.min + u * (self.max - self.min)
        return np.round(v) if self.kind == "discrete" else v


@dataclass(frozen=True)
class _Layout:
    """Column arrays for vectorised :meth:`SynthSpec.decode` / :meth:`SynthSpec.to_unit`.

    ``num_*``: continuous and discrete parameters (their spec index, encoded column and range,
    the range in log units where ``scale`` is log); ``cat_*``: categorical ones (their index and
    ``n - 1``, infinite for a single choice so that it maps to 0), then their one-hot columns;
    ``fixed_*``: parameters with a ``fixed`` distribution (their index and native value), then
    their encoded columns and the encoded fixed values there; ``cat_banned``: per one-hot
    group, 0 for a choice the spec samples and -inf for one of weight 0.
    """

    num_idx: np.ndarray
    num_cols: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    log: np.ndarray
    discrete: np.ndarray
    cat_idx: np.ndarray
    cat_span: np.ndarray
    categorical: tuple[tuple[int, slice], ...]
    cat_banned: tuple[np.ndarray, ...]
    fixed_idx: np.ndarray
    fixed_values: np.ndarray
    fixed_cols: np.ndarray
    fixed_encoded: np.ndarray

    @classmethod
    def of(cls, spec: SynthSpec) -> _Layout:
        num = [
            (j, cols.start, p)
            for j, (p, cols) in enumerate(zip(spec.params, spec.columns, strict=True))
            if p.kind != "categorical"
        ]
        cat = [
            (j, cols, p)
            for j, (p, cols) in enumerate(zip(spec.params, spec.columns, strict=True))
            if p.kind == "categorical"
        ]
        is_log = np.array([p.scale == "log" for _, _, p in num], dtype=bool)
        fixed = [j for j, p in enumerate(spec.params) if p.distribution.kind == "fixed"]
        fixed_values = np.array([spec.params[j].default for j in fixed], dtype=np.float64)
        columns = spec.columns
        fixed_cols = [c for j in fixed for c in range(columns[j].start, columns[j].stop)]
        encoded_defaults = spec.encode(spec.defaults())[0].astype(np.float64)
        lo = [math.log(p.min) if p.scale == "log" else p.min for _, _, p in num]
        hi = [math.log(p.max) if p.scale == "log" else p.max for _, _, p in num]
        return cls(
            num_idx=np.array([j for j, _, _ in num], dtype=np.int64),
            num_cols=np.array([c for _, c, _ in num], dtype=np.int64),
            lo=np.array(lo, dtype=np.float64),
            hi=np.array(hi, dtype=np.float64),
            log=is_log,
            discrete=np.array([p.kind == "discrete" for _, _, p in num], dtype=bool),
            cat_idx=np.array([j for j, _, _ in cat], dtype=np.int64),
            cat_span=np.array([p.width - 1 if p.width > 1 else np.inf for *_, p in cat]),
            categorical=tuple((j, cols) for j, cols, _ in cat),
            cat_banned=tuple(banned_choices(p) for *_, p in cat),
            fixed_idx=np.array(fixed, dtype=np.int64),
            fixed_values=fixed_values,
            fixed_cols=np.array(fixed_cols, dtype=np.int64),
            fixed_encoded=encoded_defaults[fixed_cols],
        )


@dataclass(frozen=True)
class SynthSpec:
    """A synthesizer's parameter spec: the contract between data, model, bundle and device."""

    synth: str
    version: int
    params: tuple[Param, ...]
    description: str = ""
    sample_rate: int = 44100
    channels: int = 1
    duration_s: float = 1.0
    note: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpecError(f"spec '{self.synth}': duplicate parameter names {dupes}")

    def __repr__(self) -> str:
        return (
            f"SynthSpec({self.synth!r} v{self.version}, {len(self.params)} params, "
            f"dim={self.dim}, {self.sample_rate} Hz, {self.channels} ch, {self.duration_s:g} s)"
        )

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    @property
    def num_params(self) -> int:
        return len(self.params)

    @cached_property
    def dim(self) -> int:
        """Width of the encoded vector (computed once: decoding reads it often)."""
        return sum(p.width for p in self.params)

    @property
    def num_samples(self) -> int:
        return round(self.sample_rate * self.duration_s)

    @property
    def columns(self) -> list[slice]:
        """Encoded column slice of each parameter, in spec order."""
        out, start = [], 0
        for p in self.params:
            out.append(slice(start, start + p.width))
            start += p.width
        return out

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"spec '{self.synth}' has no parameter {name!r}") from None

    def encode(self, native: np.ndarray) -> np.ndarray:
        """Native values ``(N, P)`` (categorical as index) to the model's vector ``(N, D)``."""
        native = np.atleast_2d(np.asarray(native, dtype=np.float64))
        if native.shape[-1] != self.num_params:
            raise ValueError(f"expected {self.num_params} parameters, got {native.shape[-1]}")
        out = np.empty((native.shape[0], self.dim), dtype=np.float32)
        for j, (p, cols) in enumerate(zip(self.params, self.columns, strict=True)):
            if p.kind == "categorical":
                idx = np.clip(np.round(native[:, j]), 0, p.width - 1).astype(np.int64)
                out[:, cols] = -1.0
                out[np.arange(len(idx)), cols.start + idx] = 1.0
            else:
                out[:, cols.start] = 2.0 * p.to_unit(native[:, j]) - 1.0
        return out

    def decode(self, encoded: np.ndarray) -> np.ndarray:
        """Model vector ``(N, D)`` to native values ``(N, P)`` (clamp; round; argmax; fixed).

        Parameters with a ``fixed`` distribution come out at their fixed value whatever their
        columns hold, and a categorical parameter never takes a choice its distribution gives
        weight 0 (amsynth's noise waveforms), so a decoded patch is one the spec can sample and
        renders the same whatever was played before.
        """
        x = np.atleast_2d(np.asarray(encoded, dtype=np.float64))
        if x.shape[-1] != self.dim:
            raise ValueError(f"expected encoded width {self.dim}, got {x.shape[-1]}")
        lay = self._layout
        out = np.empty((x.shape[0], self.num_params), dtype=np.float64)
        u = np.clip((x[:, lay.num_cols] + 1.0) / 2.0, 0.0, 1.0)  # (N, P_num)
        v = lay.lo + u * (lay.hi - lay.lo)  # linear, or log of the native value
        v[:, lay.log] = np.exp(v[:, lay.log])
        v[:, lay.discrete] = np.round(v[:, lay.discrete])
        out[:, lay.num_idx] = v
        for (j, cols), banned in zip(lay.categorical, lay.cat_banned, strict=True):
            out[:, j] = np.argmax(x[:, cols] + banned, axis=1)
        out[:, lay.fixed_idx] = lay.fixed_values
        return out

    @property
    def fixed_indices(self) -> list[int]:
        """Spec indices of the parameters whose distribution is ``fixed``."""
        return [int(j) for j in self._layout.fixed_idx]

    def snap_fixed(self, native: np.ndarray) -> np.ndarray:
        """A copy of native values ``(..., P)`` with every fixed parameter at its fixed value.

        Floating inputs keep their dtype; anything else comes back as float64.
        """
        out = _float_copy(native)
        if out.shape[-1:] != (self.num_params,):
            raise ValueError(f"expected {self.num_params} parameters, got shape {out.shape}")
        lay = self._layout
        out[..., lay.fixed_idx] = lay.fixed_values
        return out

    def snap_fixed_encoded(self, encoded: np.ndarray) -> np.ndarray:
        """A copy of model vectors ``(..., D)`` with the fixed parameters' columns at their values.

        ``decode`` already ignores those columns; this keeps a stored vector consistent with the
        patch it decodes to (``encode(decode(x))`` agrees with ``x`` there).
        """
        out = _float_copy(encoded)
        if out.shape[-1:] != (self.dim,):
            raise ValueError(f"expected encoded width {self.dim}, got shape {out.shape}")
        lay = self._layout
        out[..., lay.fixed_cols] = lay.fixed_encoded
        return out

    @property
    def note_index(self) -> int | None:
        """Spec index of the parameter that sets the played note (``note_field`` "pitch")."""
        for j, p in enumerate(self.params):
            if p.note_field == "pitch":
                return j
        return None

    def with_note(self, native: np.ndarray, note: float) -> np.ndarray:
        """A copy of native values ``(..., P)`` that play MIDI ``note`` (rounded if discrete).

        Raises:
            ValueError: If the spec has no pitch note parameter, or ``note`` is outside its range.
        """
        j = self.note_index
        if j is None:
            raise ValueError(f"spec '{self.synth}' has no pitch note parameter")
        p = self.params[j]
        value = float(round(note)) if p.kind == "discrete" else float(note)
        if not (math.isfinite(value) and p.min <= value <= p.max):
            raise ValueError(f"note {note} is outside {p.name}'s range {p.min:g}..{p.max:g}")
        out = _float_copy(native)
        if out.shape[-1:] != (self.num_params,):
            raise ValueError(f"expected {self.num_params} parameters, got shape {out.shape}")
        out[..., j] = value
        return out

    def without_note(self) -> SynthSpec:
        """The spec without its pitch note parameter: what a note-conditioned model predicts.

        The other parameters keep their order, so the encoded vector is the full one with the
        note's columns taken out.

        Raises:
            ValueError: If the spec has no pitch note parameter.
        """
        j = self.note_index
        if j is None:
            raise ValueError(f"spec '{self.synth}' has no pitch note parameter")
        params = self.params[:j] + self.params[j + 1 :]
        return replace(self, params=params)

    def to_unit(self, native: np.ndarray) -> np.ndarray:
        """Native values ``(N, P)`` to one 0..1 value per parameter (the bridge's ``params``)."""
        native = np.atleast_2d(np.asarray(native, dtype=np.float64))
        lay = self._layout
        v = native[:, lay.num_idx].copy()  # (N, P_num)
        v[:, lay.log] = np.log(v[:, lay.log])
        out = np.empty_like(native)
        out[:, lay.num_idx] = (v - lay.lo) / (lay.hi - lay.lo)
        out[:, lay.cat_idx] = native[:, lay.cat_idx] / lay.cat_span
        return np.clip(out, 0, 1)

    @cached_property
    def _layout(self) -> _Layout:
        return _Layout.of(self)

    def defaults(self) -> np.ndarray:
        return np.array([p.default for p in self.params], dtype=np.float64)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` native parameter sets ``(n, P)`` from the spec's distributions."""
        out = np.empty((n, self.num_params), dtype=np.float64)
        for j, p in enumerate(self.params):
            out[:, j] = _sample_param(p, rng, n)
        return out

    def symmetry_groups(self) -> dict[str, list[list[int]]]:
        """Encoded column indices per symmetry group and slot: ``{group: [slot1_cols, ...]}``."""
        groups: dict[str, dict[int, list[int]]] = {}
        for p, cols in zip(self.params, self.columns, strict=True):
            if p.symmetry is not None:
                slots = groups.setdefault(p.symmetry.group, {})
                slots.setdefault(p.symmetry.index, []).extend(range(cols.start, cols.stop))
        return {g: [slots[i] for i in sorted(slots)] for g, slots in groups.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SPEC_FORMAT,
            "format_version": SPEC_FORMAT_VERSION,
            "synth": self.synth,
            "version": self.version,
            "description": self.description,
            "render": {
                "sample_rate": self.sample_rate,
                "channels": self.channels,
                "duration_s": self.duration_s,
            },
            "note": dict(self.note),
            "params": [_param_to_dict(p) for p in self.params],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def banned_choices(p: Param) -> np.ndarray:
    """0 for each choice of a categorical parameter its distribution samples, -inf for the rest."""
    d = p.distribution
    banned = np.zeros(p.width)
    if d.kind == "choice" and d.weights is not None and len(d.weights) == p.width:
        banned[np.asarray(d.weights) <= 0] = -np.inf
    if d.p_default > 0:  # the default is sampled whatever its weight
        banned[int(p.default)] = 0.0
    if d.kind == "fixed" or not np.isfinite(banned).any():
        banned[:] = 0.0  # fixed ones are snapped anyway; never ban every choice
    return banned


def _float_copy(values: np.ndarray) -> np.ndarray:
    a = np.asarray(values)
    return np.array(a, dtype=a.dtype if a.dtype.kind == "f" else np.float64, copy=True)


def _sample_param(p: Param, rng: np.random.Generator, n: int) -> np.ndarray:
    d = p.distribution
    if d.kind == "fixed":
        return np.full(n, p.default)
    if d.kind == "choice":
        count = p.width if p.kind == "categorical" else round(p.max - p.min) + 1
        w = np.ones(count) if d.weights is None else np.asarray(d.weights, dtype=np.float64)
        values = rng.choice(count, size=n, p=w / w.sum()).astype(np.float64)
        values = values if p.kind == "categorical" else p.min + values
    else:
        lo = p.min if d.low is None else d.low
        hi = p.max if d.high is None else d.high
        u = rng.random(n)
        if d.kind == "loguniform":
            values = np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        else:
            values = lo + u * (hi - lo)
        if p.kind == "discrete":
            values = np.round(values)
    if d.p_default > 0:
        values = np.where(rng.random(n) < d.p_default, p.default, values)
    return values


def _param_to_dict(p: Param) -> dict[str, Any]:
    d: dict[str, Any] = {"name": p.name, "kind": p.kind}
    if p.kind == "categorical":
        d["choices"] = list(p.choices or ())
    else:
        d.update({"min": p.min, "max": p.max, "unit": p.unit})
        if p.scale != "linear":
            d["scale"] = p.scale
    d["default"] = p.choices[int(p.default)] if p.kind == "categorical" and p.choices else p.default
    dist: dict[str, Any] = {"type": p.distribution.kind}
    for key in ("low", "high", "weights"):
        value = getattr(p.distribution, key)
        if value is not None:
            dist[key] = list(value) if key == "weights" else value
    if p.distribution.p_default:
        dist["p_default"] = p.distribution.p_default
    d["distribution"] = dist
    if p.symmetry is not None:
        d["symmetry"] = {
            "group": p.symmetry.group,
            "index": p.symmetry.index,
            "count": p.symmetry.count,
        }
    if p.note_field is not None:
        d["note_field"] = p.note_field
    if p.plugin_name is not None:
        d["plugin_name"] = p.plugin_name
    if p.raw_range is not None:
        d["raw_range"] = list(p.raw_range)
    return d


# --------------------------------------------------------------------------------------------
# Parsing and validation
# --------------------------------------------------------------------------------------------


class _Ctx:
    """Builds error messages naming the source, the parameter and the field."""

    def __init__(self, source: str, param: str | None = None) -> None:
        self.source, self.param = source, param

    def fail(self, fieldname: str, problem: str) -> SpecError:
        where = f"parameter '{self.param}'" if self.param is not None else "spec"
        return SpecError(f"{self.source}: {where}: field '{fieldname}': {problem}")


def _number(ctx: _Ctx, d: Mapping[str, Any], key: str, default: float | None = None) -> float:
    if key not in d:
        if default is None:
            raise ctx.fail(key, "is required")
        return default
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ctx.fail(key, f"must be a finite number, got {value!r}")
    return float(value)


def _parse_distribution(ctx: _Ctx, raw: Any, kind: str) -> Distribution:
    if raw is None:
        return Distribution(kind="choice" if kind == "categorical" else "uniform")
    if not isinstance(raw, Mapping):
        raise ctx.fail("distribution", f"must be an object, got {raw!r}")
    dkind = raw.get("type", "uniform")
    if dkind not in DISTRIBUTIONS:
        raise ctx.fail("distribution.type", f"must be one of {DISTRIBUTIONS}, got {dkind!r}")
    if kind == "categorical" and dkind not in ("choice", "fixed"):
        raise ctx.fail("distribution.type", "categorical parameters need 'choice' or 'fixed'")
    weights = raw.get("weights")
    if weights is not None:
        ok = isinstance(weights, list) and all(
            isinstance(w, int | float) and not isinstance(w, bool) and w >= 0 for w in weights
        )
        if not ok or not sum(weights) > 0:
            raise ctx.fail("distribution.weights", "must be a list of non-negative numbers")
        weights = tuple(float(w) for w in weights)
    p_default = _number(ctx, raw, "p_default", 0.0)
    if not 0 <= p_default <= 1:
        raise ctx.fail("distribution.p_default", f"must be in [0, 1], got {p_default}")
    low = _number(ctx, raw, "low") if "low" in raw else None
    high = _number(ctx, raw, "high") if "high" in raw else None
    return Distribution(dkind, low, high, weights, p_default)


def parse_param(raw: Any, source: str, position: int) -> Param:
    """Validate one parameter dictionary from a spec file."""
    if not isinstance(raw, Mapping):
        raise _Ctx(source, f"#{position}").fail("(entry)", f"must be an object, got {raw!r}")
    name = raw.get("name")
    ctx = _Ctx(source, name if isinstance(name, str) else f"#{position}")
    if not isinstance(name, str) or not name.strip():
        raise ctx.fail("name", f"must be a non-empty string, got {name!r}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ctx.fail("kind", f"must be one of {KINDS}, got {kind!r}")
    known = {
        "name", "kind", "min", "max", "unit", "default", "choices", "scale", "distribution",
        "symmetry", "note_field", "plugin_name", "raw_range", "description",
    }  # fmt: skip
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ctx.fail(unknown[0], "is not a known field")
    choices = None
    if kind == "categorical":
        choices = raw.get("choices")
        if not (isinstance(choices, list) and choices and all(isinstance(c, str) for c in choices)):
            raise ctx.fail("choices", "categorical parameters need a non-empty list of names")
        if len(set(choices)) != len(choices):
            raise ctx.fail("choices", "choice names must be unique")
        lo, hi = 0.0, float(len(choices) - 1)
        default_raw = raw.get("default", choices[0])
        if default_raw not in choices:
            raise ctx.fail("default", f"must be one of the choices, got {default_raw!r}")
        default = float(choices.index(default_raw))
    else:
        lo, hi = _number(ctx, raw, "min"), _number(ctx, raw, "max")
        if not lo < hi:
            raise ctx.fail("max", f"must be greater than min ({lo}), got {hi}")
        default = _number(ctx, raw, "default", lo)
        if not lo <= default <= hi:
            raise ctx.fail("default", f"must lie in [{lo}, {hi}], got {default}")
    scale = raw.get("scale", "linear")
    if scale not in ("linear", "log"):
        raise ctx.fail("scale", f"must be 'linear' or 'log', got {scale!r}")
    if scale == "log" and lo <= 0:
        raise ctx.fail("scale", "a log scale needs min > 0")
    unit = raw.get("unit", "")
    if not isinstance(unit, str):
        raise ctx.fail("unit", f"must be a string, got {unit!r}")
    symmetry = None
    if raw.get("symmetry") is not None:
        s = raw["symmetry"]
        ok = isinstance(s, Mapping) and isinstance(s.get("group"), str)
        ok = ok and all(
            isinstance(s.get(k), int) and not isinstance(s.get(k), bool) for k in ("index", "count")
        )
        if not ok or not 1 <= s["index"] <= s["count"]:
            raise ctx.fail("symmetry", "needs {group: str, index: 1..count, count: int}")
        symmetry = SymmetrySlot(s["group"], s["index"], s["count"])
    note_field = raw.get("note_field")
    if note_field is not None and note_field not in NOTE_FIELDS:
        raise ctx.fail("note_field", f"must be one of {NOTE_FIELDS}, got {note_field!r}")
    raw_range = raw.get("raw_range")
    if raw_range is not None:
        if not (isinstance(raw_range, list) and len(raw_range) == 2):
            raise ctx.fail("raw_range", "must be [raw_min, raw_max]")
        raw_range = (float(raw_range[0]), float(raw_range[1]))
    plugin_name = raw.get("plugin_name")
    if plugin_name is not None and not isinstance(plugin_name, str):
        raise ctx.fail("plugin_name", "must be a string")
    return Param(
        name=name,
        kind=kind,
        min=lo,
        max=hi,
        unit=unit,
        default=default,
        choices=tuple(choices) if choices else None,
        scale=scale,
        distribution=_parse_distribution(ctx, raw.get("distribution"), kind),
        symmetry=symmetry,
        note_field=note_field,
        plugin_name=plugin_name,
        raw_range=raw_range,
    )


def spec_from_dict(raw: Any, source: str = "<dict>") -> SynthSpec:
    """Validate and build a :class:`SynthSpec` from its JSON dictionary."""
    ctx = _Ctx(source)
    if not isinstance(raw, Mapping):
        raise ctx.fail("(root)", "must be a JSON object")
    if raw.get("format") != SPEC_FORMAT:
        raise ctx.fail("format", f"must be {SPEC_FORMAT!r}, got {raw.get('format')!r}")
    if raw.get("format_version") != SPEC_FORMAT_VERSION:
        raise ctx.fail("format_version", f"unsupported {raw.get('format_version')!r}")
    synth = raw.get("synth")
    if not isinstance(synth, str) or not synth:
        raise ctx.fail("synth", "must be a non-empty string")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ctx.fail("version", f"must be an integer, got {version!r}")
    params = raw.get("params")
    if not isinstance(params, list) or not params:
        raise ctx.fail("params", "must be a non-empty list")
    render = raw.get("render", {})
    if not isinstance(render, Mapping):
        raise ctx.fail("render", "must be an object")
    rctx = _Ctx(source)
    sample_rate = int(_number(rctx, render, "sample_rate", 44100))
    channels = int(_number(rctx, render, "channels", 1))
    duration_s = _number(rctx, render, "duration_s", 1.0)
    if sample_rate <= 0 or channels <= 0 or duration_s <= 0:
        raise ctx.fail("render", "sample_rate, channels and duration_s must be positive")
    note = raw.get("note", {})
    if not isinstance(note, Mapping) or any(k not in NOTE_FIELDS for k in note):
        raise ctx.fail("note", f"must be an object with keys among {NOTE_FIELDS}")
    parsed = tuple(parse_param(p, source, i) for i, p in enumerate(params))
    try:
        return SynthSpec(
            synth=synth,
            version=version,
            params=parsed,
            description=str(raw.get("description", "")),
            sample_rate=sample_rate,
            channels=channels,
            duration_s=duration_s,
            note={k: float(v) for k, v in note.items()},
        )
    except SpecError as err:
        raise SpecError(f"{source}: {err}") from None


SPEC_DIR = Path(__file__).parent / "specs"


def load_spec(name_or_path: str | Path) -> SynthSpec:
    """Load a spec by shipped name (``amsynth``) or from a JSON file path."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = SPEC_DIR / f"{name_or_path}.json"
    if not path.is_file():
        shipped = sorted(p.stem for p in SPEC_DIR.glob("*.json"))
        raise SpecError(f"{name_or_path}: no such spec file (shipped specs: {shipped})")
    try:
        raw = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SpecError(f"{path}: cannot read spec: {err}") from None
    return spec_from_dict(raw, str(path))


def shipped_specs() -> list[str]:
    return sorted(p.stem for p in SPEC_DIR.glob("*.json"))


def make_params(entries: Sequence[Mapping[str, Any]], source: str = "<code>") -> tuple[Param, ...]:
    """Build parameters from dictionaries (validated like a file)."""
    return tuple(parse_param(e, source, i) for i, e in enumerate(entries))
