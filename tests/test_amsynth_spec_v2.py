"""Spec v2 for amsynth: same parameters as v1, wider sampling, a reason for every fixed one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from patchflow.spec import SPEC_DIR, load_spec


@pytest.fixture(scope="module")
def v1():
    return load_spec("amsynth")


@pytest.fixture(scope="module")
def v2():
    return load_spec("amsynth_v2")


def test_same_parameters_as_v1(v1, v2):
    assert (v2.synth, v2.version) == ("amsynth", 2)
    assert v2.names == v1.names and v2.dim == v1.dim
    for a, b in zip(v1.params, v2.params, strict=True):
        assert (a.kind, a.choices, a.default, a.plugin_name, a.raw_range) == (
            b.kind, b.choices, b.default, b.plugin_name, b.raw_range,
        ), a.name  # fmt: skip
        if a.note_field is None:
            assert (a.min, a.max) == (b.min, b.max), a.name
    assert (v2.sample_rate, v2.channels, v2.duration_s) == (v1.sample_rate, 2, 1.0)


def test_note_range_and_coverage(v2):
    x = v2.sample(np.random.default_rng(0), 4000)
    for j, p in enumerate(v2.params):
        assert np.all((x[:, j] >= p.min) & (x[:, j] <= p.max)), p.name
    notes = x[:, v2.note_index]
    assert notes.min() == 24 and notes.max() == 96
    for name, count in (("osc1_waveform", 5), ("osc2_waveform", 5), ("lfo_waveform", 7),
                        ("osc2_sync", 2), ("filter_type", 5), ("osc2_range", 8)):  # fmt: skip
        assert len(np.unique(x[:, v2.index(name)])) == count, name
    assert x[:, v2.index("amp_attack")].max() > 1.2  # slow attacks (> 1.7 s)
    for name in ("reverb_wet", "distortion_crunch", "osc_mix_mode"):
        assert np.mean(x[:, v2.index(name)] > 0.1) > 0.25, name


def test_fixed_only_where_history_matters(v2):
    fixed = {p.name for p in v2.params if p.distribution.kind == "fixed"}
    assert fixed == {"master_vol", "portamento_time", "portamento_mode", "keyboard_mode"}
    raw = json.loads((SPEC_DIR / "amsynth_v2.json").read_text())
    for entry in raw["params"]:
        if entry["name"] in fixed:  # each fixed parameter says why
            assert entry["description"].startswith("fixed"), entry["name"]
            assert "previous" in entry["description"] or "portamento" in entry["description"]


@pytest.mark.amsynth
@pytest.mark.needs("amsynth")
def test_v2_checks_clean_against_the_plugin(v2):
    from patchflow.synths.plugin import PluginSynth
    from patchflow.synths.plugin_spec import check_spec

    synth = PluginSynth(v2)
    try:
        report = check_spec(v2, synth.host)
    finally:
        synth.close()
    assert report.ok, report.problems
    assert len(report.rows) == 41 and not report.warnings
