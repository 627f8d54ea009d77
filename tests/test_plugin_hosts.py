"""Plugin host helpers that need no plugin: names, backends, paths, native -> raw mapping."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from patchflow.spec import load_spec, make_params, spec_from_dict
from patchflow.synths.hosts import (
    PluginLoadError,
    PluginParameter,
    backend_for,
    normalize_name,
    open_plugin,
)
from patchflow.synths.plugin import (
    PluginSynth,
    default_plugin_paths,
    match_parameters,
    raw_from_native,
    resolve_plugin_path,
)


def test_normalize_name_matches_pedalboard_spelling():
    assert normalize_name("A Osc 1 Pitch") == "a_osc_1_pitch"
    assert normalize_name("  FX A1 -- Delay Time ") == "fx_a1_delay_time"
    assert normalize_name("C#") == "c_sharp"


def test_backend_by_file_type():
    assert backend_for("/usr/lib/vst/amsynth_vst.so") == "dawdreamer"
    assert backend_for("C:/VST/synth.dll") == "dawdreamer"
    assert backend_for("/Library/Audio/Plug-Ins/Components/X.component") == "pedalboard"
    assert backend_for("/usr/lib/vst3/Surge XT.vst3", "dawdreamer") == "dawdreamer"
    with pytest.raises(PluginLoadError, match="unknown backend"):
        backend_for("x.so", "juce")


def test_default_plugin_paths_per_platform():
    assert default_plugin_paths("amsynth", "linux")[0] == "/usr/lib/vst/amsynth_vst.so"
    assert default_plugin_paths("surge_simple", "darwin")[0].endswith("VST3/Surge XT.vst3")
    assert default_plugin_paths("surge_simple", "win32")
    assert default_plugin_paths("kosc", "linux") == ()
    with pytest.raises(PluginLoadError, match="no default plugin location"):
        resolve_plugin_path("my_synth")


def test_missing_plugin_file_names_path_and_backend(tmp_path):
    with pytest.raises(
        PluginLoadError, match=r"nothing\.vst3: .* could not load the plugin: no such file"
    ):
        open_plugin(tmp_path / "nothing.vst3")


def test_raw_from_native_known_answers():
    cont, disc, cat, ranged = make_params([
        {"name": "cutoff", "kind": "continuous", "min": -0.5, "max": 1.5},
        {"name": "octave", "kind": "discrete", "min": -3, "max": 4},
        {"name": "wave", "kind": "categorical", "choices": ["a", "b", "c", "d", "e"]},
        {"name": "attack", "kind": "continuous", "min": 0.0, "max": 0.77, "raw_range": [0.0, 0.77]},
    ])  # fmt: skip
    np.testing.assert_allclose(raw_from_native(cont, [-0.5, 0.5, 1.5, 9.0]), [0, 0.5, 1, 1])
    np.testing.assert_allclose(raw_from_native(disc, [-3, 1, 4]), [0, 4 / 7, 1])
    np.testing.assert_allclose(raw_from_native(cat, [0, 2, 4, 2.4]), [0, 0.5, 1, 0.5])
    np.testing.assert_allclose(raw_from_native(ranged, [0.0, 0.5, 0.77]), [0, 0.5, 0.77])


def test_match_parameters_by_exact_or_pedalboard_name():
    spec = load_spec("surge_simple")
    plugin = [
        PluginParameter(i, f"A {name.removeprefix('a_').replace('_', ' ').title()}", 0.0, "")
        for i, name in enumerate(p.plugin_name for p in spec.params if p.plugin_name)
    ]
    mapping, missing = match_parameters(spec, plugin[:-1])
    assert len(mapping) == 88 and len(missing) == 1
    assert missing == [spec.params[88].plugin_name]
    assert mapping == {j: j for j in range(88)}


class _FakeParameter:
    def __init__(self, name: str, raw: float) -> None:
        self.name, self.raw_value, self.label, self.num_steps = name, raw, "", 0

    @property
    def string_value(self) -> str:
        return self.get_text_for_raw_value(self.raw_value)

    def get_text_for_raw_value(self, raw: float) -> str:
        return f"{raw:.2f}"


class _FakeInstrument:
    """Stands in for a pedalboard VST3 instrument: its output encodes what it was sent."""

    is_instrument = True

    def __init__(self) -> None:
        self._parameters = [_FakeParameter("A Osc 1 Pitch", 0.5), _FakeParameter("Volume", 0.8)]
        self.calls: list[dict] = []

    def process(self, messages, duration, sample_rate, num_channels, buffer_size, reset):
        self.calls.append({"messages": list(messages), "duration": duration, "reset": reset})
        n = round(duration * sample_rate)
        level = self._parameters[0].raw_value * self._parameters[1].raw_value
        return np.full((num_channels, n), level, np.float32)


def test_pedalboard_host_flow_with_a_fake_plugin(tmp_path, monkeypatch):
    fake = _FakeInstrument()
    module = types.SimpleNamespace(load_plugin=lambda path: fake)
    monkeypatch.setitem(sys.modules, "pedalboard", module)
    plugin = tmp_path / "Fake.vst3"
    plugin.mkdir()
    spec = spec_from_dict({
        "format": "patchflow-spec", "format_version": 1, "synth": "fake", "version": 1,
        "render": {"sample_rate": 1000, "channels": 2, "duration_s": 0.5},
        "params": [
            {"name": "pitch", "kind": "continuous", "min": -1, "max": 1,
             "plugin_name": "a_osc_1_pitch"},
            {"name": "note", "kind": "discrete", "min": 48, "max": 72, "note_field": "pitch"},
        ],
    })  # fmt: skip
    synth = PluginSynth(spec, plugin_path=plugin)
    assert synth.backend == "pedalboard"
    audio = synth.render(np.array([[1.0, 50.0], [-1.0, 60.0]]))
    assert audio.shape == (2, 2, 500)
    np.testing.assert_allclose(audio[:, 0, 0], [0.8, 0.0])  # raw 1.0 and 0.0 times volume 0.8
    flush, note = fake.calls[-2], fake.calls[-1]
    assert flush["reset"] and not note["reset"]
    assert flush["messages"][0] == (bytes([0xB0, 120, 0]), 0.0)  # All Sound Off
    assert note["messages"] == [(bytes([0x90, 60, 100]), 0.0), (bytes([0x80, 60, 0]), 0.375)]
