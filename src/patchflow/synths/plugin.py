"""A synth backed by an audio plugin (VST2, VST3 or Audio Unit), rendered headless.

:class:`PluginSynth` pairs a :class:`~patchflow.spec.SynthSpec` with a loaded plugin: spec
parameters are matched to plugin parameters by name (``plugin_name`` or ``name``; exact, or as
pedalboard spells it, ``a_osc_1_pitch``), native values are mapped to the plugin's raw 0..1
values, and each parameter set is rendered with its note from a flushed plugin state, so the same
parameters and note always give the same audio (see :mod:`patchflow.synths.hosts`).

Native -> raw mapping: ``raw = raw_min + (native - min) / (max - min) * (raw_max - raw_min)``
with ``raw_range = (raw_min, raw_max)`` (default ``(0, 1)``); a categorical choice ``k`` of
``n`` maps to ``k / (n - 1)`` of the raw range. Every spec value is therefore an affine function
of the plugin's raw value, which is also what a DAW device needs to set it.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from patchflow.spec import Param, SynthSpec
from patchflow.synths.base import Closing, Note, notes_for
from patchflow.synths.hosts import (
    PluginHost,
    PluginLoadError,
    PluginParameter,
    normalize_name,
    open_plugin,
)

log = logging.getLogger(__name__)

__all__ = [
    "PluginLoadError",
    "PluginParameter",
    "PluginSpecError",
    "PluginSynth",
    "default_plugin_paths",
    "match_parameters",
    "raw_from_native",
    "resolve_plugin_path",
]

_SURGE_VST3 = {
    "linux": (
        "/usr/lib/vst3/Surge XT.vst3",
        "/usr/local/lib/vst3/Surge XT.vst3",
        "~/.vst3/Surge XT.vst3",
    ),
    "darwin": (
        "/Library/Audio/Plug-Ins/VST3/Surge XT.vst3",
        "~/Library/Audio/Plug-Ins/VST3/Surge XT.vst3",
    ),
    "win32": (
        "C:/Program Files/Common Files/VST3/Surge Synth Team/Surge XT.vst3",
        "C:/Program Files/Common Files/VST3/Surge XT.vst3",
    ),
}

# Where each shipped spec's plugin is installed by default, per platform (first existing wins).
DEFAULT_PLUGIN_PATHS: dict[str, dict[str, tuple[str, ...]]] = {
    "amsynth": {
        "linux": (
            "/usr/lib/vst/amsynth_vst.so",
            "/usr/lib/x86_64-linux-gnu/vst/amsynth_vst.so",
            "/usr/local/lib/vst/amsynth_vst.so",
            "~/.vst/amsynth_vst.so",
        ),
    },
    "surge_simple": _SURGE_VST3,
}


class PluginSpecError(ValueError):
    """A spec does not fit a plugin (missing parameters); the message names them."""


def default_plugin_paths(synth: str, platform: str | None = None) -> tuple[str, ...]:
    """Candidate install locations of a shipped spec's plugin on ``platform`` (``sys.platform``)."""
    platform = platform or sys.platform
    key = "linux" if platform.startswith("linux") else platform
    return DEFAULT_PLUGIN_PATHS.get(synth, {}).get(key, ())


def resolve_plugin_path(synth: str, plugin_path: str | Path | None = None) -> Path:
    """``plugin_path`` if given, else the first existing default location for ``synth``."""
    if plugin_path is not None:
        return Path(plugin_path).expanduser()
    candidates = [Path(p).expanduser() for p in default_plugin_paths(synth)]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    if not candidates:
        raise PluginLoadError(f"spec '{synth}' has no default plugin location; pass --plugin PATH")
    tried = ", ".join(str(c) for c in candidates)
    raise PluginLoadError(
        f"{candidates[0]}: plugin for '{synth}' not found (tried {tried}); "
        "install it or pass --plugin PATH"
    )


def match_parameters(
    spec: SynthSpec, plugin_params: Sequence[PluginParameter]
) -> tuple[dict[int, int], list[str]]:
    """Map spec parameter positions to plugin parameter indices by name.

    Note parameters (``note_field``) are skipped. Returns the mapping and the spec names that
    found no plugin parameter.
    """
    exact = {p.name: p.index for p in plugin_params}
    loose: dict[str, int] = {}
    for p in plugin_params:
        loose.setdefault(normalize_name(p.name), p.index)
        if p.label and not p.label.startswith(":"):
            loose.setdefault(normalize_name(f"{p.name} {p.label}"), p.index)
    mapping, missing = {}, []
    for j, param in enumerate(spec.params):
        if param.note_field is not None:
            continue
        wanted = param.plugin_name or param.name
        index = exact.get(wanted, loose.get(normalize_name(wanted)))
        if index is None:
            missing.append(wanted)
        else:
            mapping[j] = index
    return mapping, missing


def raw_from_native(param: Param, native: np.ndarray | float) -> np.ndarray:
    """The plugin raw value (clipped to 0..1) of native values of ``param``."""
    v = np.asarray(native, dtype=np.float64)
    lo, hi = param.raw_range or (0.0, 1.0)
    if param.kind == "categorical":
        n = param.width
        u = np.zeros_like(v) if n <= 1 else np.clip(np.round(v), 0, n - 1) / (n - 1)
    else:
        u = (v - param.min) / (param.max - param.min)
    return np.clip(lo + u * (hi - lo), 0.0, 1.0)


class PluginSynth(Closing):
    """Renders parameter sets of a spec through a plugin.

    Args:
        spec: The synth spec (parameters, render settings, default note).
        plugin_path: Plugin file; ``None`` uses the spec's default install location.
        backend: ``"dawdreamer"``, ``"pedalboard"`` or ``None`` (by file type).
        sample_rate: Override the spec's sample rate (Hz).
        duration_s: Override the spec's render duration (s).
        block_size: Processing block size in samples.
        flush_s: Seconds of silence rendered between renders (backend default when ``None``).
        preset: Preset file applied once after loading (e.g. the Surge "Simple" routing).

    Raises:
        PluginLoadError: The plugin cannot be loaded (message: path, backend and reason).
        PluginSpecError: Spec parameters are missing from the plugin.
    """

    def __init__(
        self,
        spec: SynthSpec,
        plugin_path: str | Path | None = None,
        backend: str | None = None,
        sample_rate: int | None = None,
        duration_s: float | None = None,
        block_size: int = 512,
        flush_s: float | None = None,
        preset: str | Path | None = None,
    ) -> None:
        if sample_rate is not None or duration_s is not None:
            spec = dataclasses.replace(
                spec,
                sample_rate=int(sample_rate or spec.sample_rate),
                duration_s=float(duration_s or spec.duration_s),
            )
        self.spec = spec
        self.sample_rate = spec.sample_rate
        self.channels = spec.channels
        self.num_samples = spec.num_samples
        self.plugin_path = resolve_plugin_path(spec.synth, plugin_path)
        self.host: PluginHost = open_plugin(
            self.plugin_path, backend, self.sample_rate, block_size, flush_s, preset
        )
        self._closed = False
        self._mapping, missing = match_parameters(spec, self.host.parameters())
        if missing:
            names = [p.name for p in self.host.parameters()]
            hints = {m: difflib.get_close_matches(m, names, n=1) for m in missing}
            listed = ", ".join(f"{m} (closest: {h[0]})" if h else m for m, h in hints.items())
            self.host.close()
            raise PluginSpecError(
                f"{self.plugin_path}: spec '{spec.synth}' names parameters the plugin lacks: "
                f"{listed}; run `patchflow spec check` for a full report"
            )

    def __repr__(self) -> str:
        where = f"{self.plugin_path}, {self.host.backend}"
        audio = f"{self.sample_rate} Hz, {self.channels} ch, {self.num_samples} samples"
        return f"PluginSynth({self.spec.synth!r}, {where}, {audio})"

    @property
    def backend(self) -> str:
        return self.host.backend

    def plugin_parameters(self) -> list[PluginParameter]:
        """The plugin's parameters: index, name, raw default, display text, label, steps."""
        return self.host.parameters()

    def raw_values(self, native: np.ndarray) -> dict[int, float]:
        """Plugin raw values ``{plugin index: raw}`` of one native parameter set ``(P,)``."""
        native = np.asarray(native, dtype=np.float64)
        return {
            index: float(raw_from_native(self.spec.params[j], native[j]))
            for j, index in self._mapping.items()
        }

    def render(self, params: np.ndarray, notes: Sequence[Note] | None = None) -> np.ndarray:
        """Render native parameter sets ``(N, P)``; returns float32 ``(N, channels, T)``."""
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        params = np.atleast_2d(np.asarray(params, dtype=np.float64))
        if params.shape[1] != self.spec.num_params:
            raise ValueError(f"expected {self.spec.num_params} parameters, got {params.shape[1]}")
        notes = notes_for(self.spec, params) if notes is None else list(notes)
        if len(notes) != len(params):
            raise ValueError(f"got {len(notes)} notes for {len(params)} parameter sets")
        out = np.empty((len(params), self.channels, self.num_samples), dtype=np.float32)
        for i, (row, note) in enumerate(zip(params, notes, strict=True)):
            out[i] = self._channels(
                self.host.render(self.raw_values(row), [note], self.num_samples)
            )
        return out

    def _channels(self, audio: np.ndarray) -> np.ndarray:
        if audio.shape[0] == self.channels:
            return audio
        if self.channels == 1:
            return audio.mean(axis=0, keepdims=True)
        return np.resize(audio, (self.channels, audio.shape[1]))

    def close(self) -> None:
        """Release the plug-in; calling it again does nothing."""
        if not self._closed:
            self._closed = True
            self.host.close()
