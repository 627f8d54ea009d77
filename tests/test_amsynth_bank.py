"""amsynth bank files: format, parser semantics, factory banks, round trip through the plug-in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from patchflow.spec import load_spec
from patchflow.synths.amsynth_bank import (
    AMSYNTH_PARAMETERS,
    MAX_PRESETS,
    BankFormatError,
    bank_values,
    format_value,
    natives_from_bank,
    read_bank,
    read_bank_through_plugin,
    write_bank,
)

FACTORY_BANKS = Path("/usr/share/amsynth/banks")
NAMES = [p.name for p in AMSYNTH_PARAMETERS]


@pytest.fixture(scope="module", params=["amsynth", "amsynth_v2"])
def spec(request):
    return load_spec(request.param)


@pytest.fixture(scope="module")
def natives(spec):
    return spec.sample(np.random.default_rng(16), 12)


def _span(name: str) -> float:
    p = AMSYNTH_PARAMETERS[NAMES.index(name)]
    return p.max - p.min


def test_file_format(tmp_path, spec, natives):
    path = tmp_path / "match.bank"
    write_bank(path, spec, list(natives[:2]), ["bright\nlead", "  "])
    lines = path.read_text().split("\n")
    assert lines[0] == "amSynth"
    assert lines[1] == "<preset> <name> bright lead"
    assert [ln.split()[1] for ln in lines[2:43]] == NAMES
    assert lines[43] == "<preset> <name> patchflow 2"
    assert lines[-2:] == ["EOF", ""]
    assert all("e" not in ln.split()[-1] for ln in lines if ln.startswith("<parameter>"))


def test_round_trip_values_and_natives(tmp_path, spec, natives):
    path = tmp_path / "match.bank"
    write_bank(path, spec, list(natives), [f"match {i}" for i in range(len(natives))])
    presets = read_bank(path)
    assert [p.name for p in presets] == [f"match {i}" for i in range(len(natives))]
    for native, preset in zip(natives, presets, strict=True):
        expected = bank_values(spec, native)
        assert set(preset.values) == set(NAMES)
        for name in NAMES:
            assert preset.values[name] == pytest.approx(expected[name], abs=2e-7 * _span(name))
        back = natives_from_bank(spec, preset)
        for j, param in enumerate(spec.params):
            if param.note_field is not None:
                continue
            if param.kind == "continuous":
                assert back[j] == pytest.approx(native[j], abs=1e-6 * (param.max - param.min))
            else:
                assert back[j] == native[j], param.name


def test_unmodelled_parameters_get_amsynth_defaults(spec, natives):
    values = bank_values(spec, natives[0])
    assert len(values) == 41
    modelled = {p.plugin_name or p.name for p in spec.params if p.note_field is None}
    for p in AMSYNTH_PARAMETERS:
        if p.name not in modelled:
            assert values[p.name] == p.default


def test_write_rejects_bad_input(tmp_path, spec, natives):
    with pytest.raises(BankFormatError, match="at most 128"):
        write_bank(tmp_path / "b", spec, [natives[0]] * (MAX_PRESETS + 1), ["x"] * 129)
    with pytest.raises(BankFormatError, match="names"):
        write_bank(tmp_path / "b", spec, list(natives[:2]), ["one"])
    with pytest.raises(BankFormatError, match="shape"):
        write_bank(tmp_path / "b", spec, [natives[0][:-1]], ["short"])


def test_reader_follows_amsynth_semantics(tmp_path):
    path = tmp_path / "edge.bank"
    path.write_text(
        "amSynth\n<preset> <name> two words  \n<parameter> osc2_pitch 3.6\n"
        "<parameter> filter_cutoff 9\n<parameter> amp_attack 1.5e-2\n"
        "<parameter> lfo_waveform -1\n<preset> <name> cut\n<parameter> osc_mix 0.5"
    )
    first, second = read_bank(path)
    assert first.name == "two words  "
    assert first.values["osc2_pitch"] == 4.0  # stepped: rounded
    assert first.values["filter_cutoff"] == 1.5  # clamped to the range
    assert first.values["amp_attack"] == pytest.approx(0.015)
    assert first.values["lfo_waveform"] == 0.0
    assert first.values["amp_sustain"] == 1.0  # missing: amsynth's default
    assert second.values["osc_mix"] == 0.0  # an unterminated last line is ignored
    (tmp_path / "bad").write_text("amsynth\n")
    with pytest.raises(BankFormatError, match="not an amsynth bank"):
        read_bank(tmp_path / "bad")
    (tmp_path / "unknown").write_text("amSynth\n<preset> <name> x\n<parameter> volume 1\n")
    with pytest.raises(BankFormatError, match="unknown amsynth parameter"):
        read_bank(tmp_path / "unknown")


def test_format_value():
    assert format_value(8.247323049865326) == "8.247323"
    assert format_value(-12.0) == "-12"
    assert format_value(1e-5) == "0.00001"
    assert format_value(-1e-9) == "0"


@pytest.mark.needs("amsynth")
def test_every_factory_bank_parses(spec):
    banks = sorted(FACTORY_BANKS.iterdir())
    assert len(banks) >= 20
    for bank in banks:
        presets = read_bank(bank)
        assert 0 < len(presets) <= MAX_PRESETS, bank
        for preset in presets:
            for p in AMSYNTH_PARAMETERS:
                assert p.min <= preset.values[p.name] <= p.max
            assert natives_from_bank(spec, preset).shape == (spec.num_params,)


@pytest.mark.amsynth
@pytest.mark.needs("amsynth")
def test_plugin_loads_written_bank(tmp_path, spec, natives):
    """Write, load with amsynth's own bank reader (VST2 programs), read the same values back."""
    from patchflow.synths.plugin import PluginSynth

    path = tmp_path / "match.bank"
    names = [f"patchflow match {i}" for i in range(len(natives))]
    write_bank(path, spec, list(natives), names)
    loaded = read_bank_through_plugin(path)
    assert [p.name for p in loaded] == names
    synth = PluginSynth(spec)
    try:
        plugin_names = {p.index: p.name for p in synth.plugin_parameters()}
        for native, preset in zip(natives, loaded, strict=True):
            expected = bank_values(spec, native)
            for name in NAMES:
                assert preset.values[name] == pytest.approx(expected[name], abs=1e-6 * _span(name))
            # the same raw values the renderer sets for this patch
            for index, raw in synth.raw_values(native).items():
                p = AMSYNTH_PARAMETERS[NAMES.index(plugin_names[index])]
                norm = (preset.values[p.name] - p.min) / (p.max - p.min)
                assert norm == pytest.approx(raw, abs=1e-6), p.name
    finally:
        synth.close()


@pytest.mark.amsynth
@pytest.mark.needs("amsynth")
def test_reader_matches_plugin_on_a_factory_bank():
    bank = FACTORY_BANKS / "BriansBank01.amSynth.bank"
    ours = read_bank(bank)
    theirs = read_bank_through_plugin(bank)
    assert [p.name for p in theirs] == [p.name for p in ours]
    for a, b in zip(ours, theirs, strict=True):
        for name in NAMES:
            assert b.values[name] == pytest.approx(a.values[name], abs=1e-6 * _span(name))
