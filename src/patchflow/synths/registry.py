"""Registered synths: name -> constructor and spec, used by the CLI and the dataset renderer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from patchflow.spec import SynthSpec, load_spec
from patchflow.synths.base import Synth
from patchflow.synths.kosc import KOsc


@dataclass(frozen=True)
class SynthEntry:
    """How to build a synth and what it is."""

    description: str
    factory: Callable[..., Synth]
    needs_plugin: bool = False


def _plugin_synth(spec: str, plugin: str | None = None, **kwargs: Any) -> Synth:
    from patchflow.synths.plugin import PluginSynth  # plugin hosts are an optional extra

    return PluginSynth(load_spec(spec), plugin_path=plugin, **kwargs)


SYNTHS: dict[str, SynthEntry] = {
    "kosc": SynthEntry("built-in k oscillators (paper sec. 4.1); options k, asymmetric", KOsc),
    "amsynth": SynthEntry(
        "amsynth VST2 via DawDreamer (/usr/lib/vst/amsynth_vst.so)",
        lambda plugin=None, **kw: _plugin_synth("amsynth", plugin, **kw),
        needs_plugin=True,
    ),
    "amsynth_v2": SynthEntry(
        "amsynth, spec v2: notes 24-96, all waveforms, sync, effects (docs/amsynth-spec-v2.md)",
        lambda plugin=None, **kw: _plugin_synth("amsynth_v2", plugin, **kw),
        needs_plugin=True,
    ),
    "surge_simple": SynthEntry(
        "Surge XT 'Simple' (VST3 via pedalboard; bring your own Surge XT)",
        lambda plugin=None, **kw: _plugin_synth("surge_simple", plugin, **kw),
        needs_plugin=True,
    ),
}


def create_synth(name: str, **options: Any) -> Synth:
    """Build a registered synth, e.g. ``create_synth("kosc", k=8, asymmetric=True)``."""
    if name not in SYNTHS:
        raise KeyError(f"unknown synth {name!r}; registered: {sorted(SYNTHS)}")
    return SYNTHS[name].factory(**options)


def synth_spec(name: str, **options: Any) -> SynthSpec:
    """The spec of a registered synth without loading any plugin."""
    if name == "kosc":
        from patchflow.synths.kosc import kosc_spec

        return kosc_spec(options.get("k", 4), options.get("asymmetric", False))
    return load_spec(name)
