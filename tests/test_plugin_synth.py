"""Real renders of the amsynth VST2 through DawDreamer (Debian package ``amsynth``).

Needs ``/usr/lib/vst/amsynth_vst.so`` and dawdreamer (a required part in CI, see
tests/conftest.py). One plugin instance is shared by the module (loading takes about half a
second).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from patchflow.cli import main
from patchflow.data.render import (
    RenderConfig,
    _check_or_write_config,
    _chunk_path,
    _save_chunk,
    item_rng,
    render_chunk,
    render_dataset,
    rms_db,
)
from patchflow.spec import load_spec, spec_from_dict
from patchflow.synths.hosts import PluginLoadError
from patchflow.synths.plugin import PluginSpecError, PluginSynth
from patchflow.synths.plugin_spec import check_spec, draft_spec

AMSYNTH = Path("/usr/lib/vst/amsynth_vst.so")
pytestmark = [pytest.mark.amsynth, pytest.mark.needs("amsynth")]

AMSYNTH_PARAMS = {
    "amp_attack", "amp_decay", "amp_sustain", "amp_release", "osc1_waveform", "filter_attack",
    "filter_decay", "filter_sustain", "filter_release", "filter_resonance", "filter_env_amount",
    "filter_cutoff", "osc2_detune", "osc2_waveform", "master_vol", "lfo_freq", "lfo_waveform",
    "osc2_range", "osc_mix", "freq_mod_amount", "filter_mod_amount", "amp_mod_amount",
    "osc_mix_mode", "osc1_pulsewidth", "osc2_pulsewidth", "reverb_roomsize", "reverb_damp",
    "reverb_wet", "reverb_width", "distortion_crunch", "osc2_sync", "portamento_time",
    "keyboard_mode", "osc2_pitch", "filter_type", "filter_slope", "freq_mod_osc",
    "filter_kbd_track", "filter_vel_sens", "amp_vel_sens", "portamento_mode",
}  # fmt: skip


@pytest.fixture(scope="module")
def spec():
    return load_spec("amsynth")


@pytest.fixture(scope="module")
def synth(spec):
    s = PluginSynth(spec)
    yield s
    s.close()


def test_with_block_closes_the_plugin_once(spec):
    """``with`` releases the plug-in on the way out; a closed synth refuses to render."""
    with PluginSynth(spec) as s:
        cleanup = s.host._tmp.name
        assert s.render(spec.sample(np.random.default_rng(0), 1)).shape[0] == 1
        assert Path(cleanup).exists()
    assert not Path(cleanup).exists(), "the host's temporary folder is removed"
    s.close()  # closing again does nothing
    with pytest.raises(RuntimeError, match="closed"):
        s.render(spec.sample(np.random.default_rng(0), 1))


def test_plugin_parameters_are_listed(synth):
    params = synth.plugin_parameters()
    assert len(params) == 41
    assert {p.name for p in params} == AMSYNTH_PARAMS
    by_name = {p.name: p for p in params}
    assert by_name["master_vol"].default_raw == pytest.approx(0.67)
    assert by_name["osc1_waveform"].text == "2"  # saw, the default waveform
    assert synth.backend == "dawdreamer"


def test_shipped_spec_checks_clean(spec, synth):
    report = check_spec(spec, synth.host)
    assert report.ok, report.problems
    assert len(report.rows) == 41 and not report.warnings
    assert "osc2_range" in report.table()


def test_spec_check_finds_missing_and_miscounted_parameters(spec, synth):
    raw = spec.to_dict()
    params = {p["name"]: p for p in raw["params"]}
    params["amp_attack"]["plugin_name"] = "amp_atack"
    params["filter_type"]["choices"] = ["low pass", "high pass", "band pass", "notch"]
    params["filter_type"]["distribution"] = {"type": "choice"}
    params["osc2_range"]["raw_range"] = [0.0, 1.5]
    report = check_spec(spec_from_dict(raw, "broken"), synth.host)
    problems = " | ".join(report.problems)
    assert not report.ok
    assert "amp_atack" in problems
    assert "filter_type" in problems and "5 steps" in problems
    assert "osc2_range" in problems and "leaves 0..1" in problems


def test_cli_spec_check_and_init(tmp_path, capsys):
    assert main(["spec", "check", "--spec", "amsynth"]) == 0
    assert "0 problems" in capsys.readouterr().out
    out = tmp_path / "draft.json"
    assert main(["spec", "init", "--plugin", str(AMSYNTH), "--out", str(out)]) == 0
    draft = spec_from_dict(json.loads(out.read_text()), str(out))
    assert draft.num_params == 41
    kinds = {p.name: p.kind for p in draft.params}
    assert kinds["osc1_waveform"] == "categorical" and kinds["filter_cutoff"] == "continuous"
    assert main(["spec", "check", "--spec", str(out), "--plugin", str(AMSYNTH)]) == 0


def test_draft_guesses_stepped_parameters(synth):
    draft = {p["name"]: p for p in draft_spec(synth.host, "amsynth_draft")["params"]}
    assert draft["filter_type"]["choices"] == ["0", "1", "2", "3", "4"]
    assert len(draft["lfo_waveform"]["choices"]) == 7
    assert draft["osc2_detune"]["kind"] == "continuous"


def test_native_values_reach_the_plugin(spec, synth):
    """Known answers through the plugin's own display text (amsynth's laws)."""
    row = spec.defaults()
    row[spec.index("osc2_range")] = 1.0  # octaves -> factor 2^1
    row[spec.index("filter_type")] = 2.0  # band pass
    row[spec.index("amp_attack")] = 0.5  # seconds 0.5^3 + 0.0005
    row[spec.index("osc2_pitch")] = -7.0  # semitones
    raw = synth.raw_values(row)
    index = {p.name: p.index for p in synth.plugin_parameters()}
    text = {name: synth.host.text_for(index[name], raw[index[name]]) for name in index}
    assert text["osc2_range"] == "2"
    assert text["filter_type"] == "2"
    assert float(text["amp_attack"]) == pytest.approx(0.1255, rel=1e-4)
    assert text["osc2_pitch"] == "-7"
    assert text["master_vol"] == "0.4489"  # fixed default 0.67, gain 0.67^2


def test_default_patch_renders_stereo_audio(spec, synth):
    audio = synth.render(spec.defaults()[None])
    assert audio.shape == (1, 2, 44100) and audio.dtype == np.float32
    assert rms_db(audio)[0] > -30
    assert np.all(np.isfinite(audio))


def test_same_patch_renders_the_same_after_other_patches(spec, synth):
    """Reset and tail flushing make renders independent of what was played before.

    Most renders are bit-identical; amsynth keeps some filter state below its silence threshold,
    which leaves differences of at most a few 1e-6 (about -110 dBFS).
    """
    patches = spec.sample(np.random.default_rng(11), 6)
    patches[:, spec.index("lfo_waveform")] = 2  # triangle: amsynth keeps the saw shapes' polarity
    patches[:, spec.index("amp_mod_amount")] = 0.5
    first = synth.render(patches)
    others = spec.sample(np.random.default_rng(12), 4)
    others[:, spec.index("amp_release")] = 2.5  # 15 s release tails
    others[:, spec.index("reverb_wet")] = 1.0
    others[:, spec.index("lfo_waveform")] = [5, 6, 5, 1]  # sawtooth up and down
    synth.render(others)
    again = synth.render(patches[::-1])[::-1]
    np.testing.assert_allclose(again, first, rtol=0, atol=1e-5)
    assert np.std(rms_db(first)) > 1.0  # the patches really differ


def test_sampled_patches_are_mostly_audible(spec, synth):
    audio = synth.render(spec.sample(np.random.default_rng(5), 24))
    assert np.mean(rms_db(audio) < -50) <= 0.1
    assert np.max(np.abs(audio)) < 1.0


def test_quiet_renders_are_redrawn(spec, synth):
    config = RenderConfig(
        synth="amsynth", count=6, min_rms_db=-13.0, max_attempts=6, store_audio=True
    )
    chunk = render_chunk(config, 0, 6, synth)
    level = rms_db(chunk.audio)
    assert chunk.attempts.max() > 1
    assert np.all((level >= -13.0) | (chunk.attempts == 6))
    for i in np.flatnonzero(chunk.attempts > 1):  # the kept draw is the item's last attempt seed
        want = spec.sample(item_rng(0, int(i), int(chunk.attempts[i]) - 1), 1)[0]
        np.testing.assert_allclose(chunk.native[i], want, rtol=1e-6)


def test_dataset_render_cli_end_to_end(tmp_path, spec, synth):
    out = tmp_path / "amsynth.h5"
    argv = ["dataset", "render", "--synth", "amsynth", "--count", "8", "--workers", "2",
            "--chunk-size", "4", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    with h5py.File(out, "r") as f:
        assert json.loads(f.attrs["feature_config"])["kind"] == "logmel"
        assert f["features"].shape == (8, 2, 128, 101)
        assert f["params"].shape == (8, spec.dim)
        native, features = f["native"][:], f["features"][:]
        config = RenderConfig(**json.loads(f.attrs["render_config"]))
    assert config.min_rms_db == -50.0
    want = render_chunk(config, 4, 8, synth)  # same items rendered here, in this process
    np.testing.assert_array_equal(native[4:], want.native)
    np.testing.assert_allclose(features[4:], want.features, atol=1e-3)


def test_render_resumes_from_finished_chunks(tmp_path, synth):
    config = RenderConfig(synth="amsynth", count=4, chunk_size=2, min_rms_db=-50.0)
    out = tmp_path / "resumed.h5"
    parts = out.with_name(out.name + ".partial")
    parts.mkdir()
    _check_or_write_config(parts, config)
    done = render_chunk(config, 0, 2, synth)
    done.attempts[:] = 9  # a marker: a re-render would overwrite it
    _save_chunk(_chunk_path(parts, 0), done)
    render_dataset(config, out, workers=1)
    with h5py.File(out, "r") as f:
        attempts, native = f["attempts"][:], f["native"][:]
    assert list(attempts[:2]) == [9, 9]
    np.testing.assert_array_equal(native[2:], render_chunk(config, 2, 4, synth).native)
    assert not parts.exists()


def test_unloadable_plugin_error_names_path_and_backend(tmp_path, spec):
    bogus = tmp_path / "bogus_vst.so"
    bogus.write_text("not a plugin")
    with pytest.raises(
        PluginLoadError, match=r"bogus_vst\.so: dawdreamer could not load the plugin"
    ):
        PluginSynth(spec, plugin_path=bogus)
    with pytest.raises(PluginLoadError, match="no such file"):
        PluginSynth(spec, plugin_path=tmp_path / "missing.so")


def test_spec_naming_unknown_parameters_is_refused(spec):
    raw = spec.to_dict()
    raw["params"][0]["plugin_name"] = "osc_one_waveform"
    with pytest.raises(PluginSpecError, match="osc_one_waveform"):
        PluginSynth(spec_from_dict(raw, "renamed"))


def test_live_params_fixture_matches_the_plugin(tmp_path: Path) -> None:
    """The device tests' view of amsynth in Live is the real plug-in's parameter list."""
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "amsynth.json"
    script = repo / "scripts" / "live_params_fixture.py"
    done = subprocess.run(
        [sys.executable, str(script), "--synth", "amsynth", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    fresh = json.loads(out.read_text())
    committed = json.loads((repo / "max_for_live/testing/live_params/amsynth.json").read_text())
    assert fresh == committed
    assert {p["name"] for p in committed["parameters"]} == AMSYNTH_PARAMS
