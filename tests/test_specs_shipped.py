"""The shipped plugin specs parse, have the documented shape and sample valid values."""

from __future__ import annotations

import numpy as np
import pytest

from patchflow.spec import load_spec, shipped_specs, spec_from_dict
from patchflow.synths.base import notes_for
from patchflow.synths.plugin import raw_from_native


@pytest.fixture(scope="module", params=["amsynth", "surge_simple"])
def spec(request):
    return load_spec(request.param)


def test_plugin_specs_are_shipped():
    assert {"amsynth", "surge_simple"} <= set(shipped_specs())


def test_amsynth_shape():
    spec = load_spec("amsynth")
    synth_params = [p for p in spec.params if p.note_field is None]
    assert len(synth_params) == 41 and spec.num_params == 42
    assert [p.note_field for p in spec.params if p.note_field] == ["pitch"]
    assert spec.dim == 67
    assert (spec.sample_rate, spec.channels, spec.duration_s) == (44100, 2, 1.0)
    kinds = {p.name: p.kind for p in spec.params}
    for name in ("osc1_waveform", "osc2_waveform", "lfo_waveform", "filter_type", "filter_slope",
                 "keyboard_mode", "portamento_mode", "osc2_sync", "freq_mod_osc"):  # fmt: skip
        assert kinds[name] == "categorical", name
    assert kinds["osc2_range"] == kinds["osc2_pitch"] == "discrete"
    assert spec.params[spec.index("master_vol")].distribution.kind == "fixed"


def test_surge_simple_shape():
    spec = load_spec("surge_simple")
    assert spec.num_params == spec.dim == 92
    assert sum(p.note_field is None for p in spec.params) == 89
    assert sorted(p.note_field for p in spec.params if p.note_field) == ["off_s", "on_s", "pitch"]
    assert all(p.kind == "continuous" for p in spec.params if p.note_field is None)
    assert all(
        p.plugin_name and p.plugin_name.startswith("a_") for p in spec.params if not p.note_field
    )
    assert (spec.sample_rate, spec.channels, spec.duration_s) == (44100, 2, 4.0)
    groups = spec.symmetry_groups()
    assert [len(slot) for slot in groups["osc"]] == [16, 16, 16]
    assert [len(slot) for slot in groups["filter"]] == [12, 12]
    assert spec.params[spec.index("lfo1_amplitude")].distribution.p_default == 0.67
    assert spec.params[spec.index("amp_eg_attack")].max == 0.77


def test_symmetry_slots_are_interchangeable(spec):
    """Every slot of a group holds the same kinds of parameters, in the same order and ranges."""
    by_group: dict[str, dict[int, list]] = {}
    for p in spec.params:
        if p.symmetry is not None:
            slots = by_group.setdefault(p.symmetry.group, {})
            slots.setdefault(p.symmetry.index, []).append(p)
    assert by_group
    for group, slots in by_group.items():
        counts = {p.symmetry.count for ps in slots.values() for p in ps}
        assert counts == {len(slots)} and sorted(slots) == list(range(1, len(slots) + 1)), group
        signature = [
            [(p.kind, p.min, p.max, p.choices, p.scale, p.raw_range) for p in ps]
            for ps in slots.values()
        ]
        assert all(s == signature[0] for s in signature), group


def test_samples_are_valid(spec):
    rng = np.random.default_rng(0)
    x = spec.sample(rng, 2000)
    for j, p in enumerate(spec.params):
        col = x[:, j]
        assert np.all((col >= p.min) & (col <= p.max)), p.name
        d = p.distribution
        if d.kind == "fixed":
            assert np.all(col == p.default), p.name
        if p.kind in ("categorical", "discrete"):
            assert np.all(col == np.round(col)), p.name
        if d.kind == "choice" and d.weights is not None:
            drawn = set((col - (0 if p.kind == "categorical" else p.min)).astype(int))
            never = {k for k, w in enumerate(d.weights) if w == 0}
            assert not drawn & never, p.name
        if d.kind != "fixed" and d.p_default < 1:
            assert len(np.unique(col)) > 1, p.name
        raw = raw_from_native(p, col)
        assert np.all((raw >= 0) & (raw <= 1)), p.name
    decoded = spec.decode(spec.encode(x))
    np.testing.assert_allclose(decoded, x, atol=1e-5)
    notes = notes_for(spec, x[:50])
    assert all(0 <= n.on_s <= n.off_s for n in notes)
    assert all(48 <= n.pitch <= 72 and n.velocity == 100 for n in notes)


def test_specs_round_trip_through_json(spec):
    again = spec_from_dict(spec.to_dict(), "round trip")
    assert again.names == spec.names and again.dim == spec.dim
    assert again.symmetry_groups() == spec.symmetry_groups()
    np.testing.assert_array_equal(again.defaults(), spec.defaults())


def test_amsynth_noise_waveforms_are_never_sampled():
    spec = load_spec("amsynth")
    x = spec.sample(np.random.default_rng(1), 3000)
    for name in ("osc1_waveform", "osc2_waveform"):
        assert set(x[:, spec.index(name)]) == {0.0, 1.0, 2.0}
    assert set(x[:, spec.index("lfo_waveform")]) == {0.0, 1.0, 2.0, 5.0, 6.0}
