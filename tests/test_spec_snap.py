"""Fixed parameters stay fixed: every decode path gives the spec's fixed values.

``SynthSpec.decode`` (hence ``Prediction.from_encoded``, evaluation, the bridge and the search)
returns parameters whose distribution is ``fixed`` at their fixed value, and never a categorical
choice of weight 0; ``snap_fixed``, ``snap_fixed_encoded``, ``note_index`` and ``with_note`` are
checked on the shipped specs and on the specs embedded in the shipped model cards. With amsynth,
a decoded patch renders identically whatever was played before (portamento, sync, volume
smoothing and noise waveforms are what made renders depend on history).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from patchflow.inference import Prediction
from patchflow.spec import SynthSpec, load_spec, make_params, shipped_specs, spec_from_dict
from patchflow.synths.kosc import kosc_spec

MODELS = Path(__file__).resolve().parents[1] / "models"
CARDS = sorted(MODELS.glob("*/card.json"))
AMSYNTH_FIXED = {"osc2_sync", "master_vol", "portamento_time", "portamento_mode", "keyboard_mode"}
# spec v2 samples sync (docs/amsynth-spec-v2.md); the shipped models use it
AMSYNTH_V2_FIXED = AMSYNTH_FIXED - {"osc2_sync"}


def all_specs() -> list[tuple[str, SynthSpec]]:
    specs = [(name, load_spec(name)) for name in shipped_specs()]
    for card in CARDS:
        raw = json.loads(card.read_text())["spec"]
        specs.append((f"card:{card.parent.name}", spec_from_dict(raw, str(card))))
    return [*specs, ("kosc4", kosc_spec(4))]


SPECS = all_specs()


def fixed_values(spec: SynthSpec, n: int) -> np.ndarray:
    """The fixed parameters' values, ``(n, F)``."""
    return np.tile([spec.params[j].default for j in spec.fixed_indices], (n, 1))


def fixed_columns(spec: SynthSpec) -> list[int]:
    return [
        c for j in spec.fixed_indices for c in range(spec.columns[j].start, spec.columns[j].stop)
    ]


def test_the_shipped_amsynth_specs_fix_what_makes_renders_depend_on_history() -> None:
    v1, v2 = {"amsynth"}, {"amsynth_v2", "card:amsynth", "card:amsynth-regression"}
    assert {name for name, _ in SPECS} >= v1 | v2
    for name, spec in SPECS:
        if name in v1 | v2:
            want = AMSYNTH_FIXED if name in v1 else AMSYNTH_V2_FIXED
            assert {spec.names[j] for j in spec.fixed_indices} == want, name


@pytest.mark.parametrize(("name", "spec"), SPECS, ids=[n for n, _ in SPECS])
def test_decode_of_random_encodings_gives_the_fixed_values(name: str, spec: SynthSpec) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.5, 1.5, (256, spec.dim))
    native = spec.decode(x)
    fixed = spec.fixed_indices
    np.testing.assert_array_equal(native[:, fixed], fixed_values(spec, 256))
    # the other parameters decode as before: junk in the fixed columns changes nothing
    junk = x.copy()
    cols = fixed_columns(spec)
    junk[:, cols] = rng.uniform(-1, 1, (256, len(cols)))
    np.testing.assert_array_equal(spec.decode(junk), native)
    # every decoded value is one the spec can sample (ranges, and no choice of weight 0)
    for j, p in enumerate(spec.params):
        assert np.all((native[:, j] >= p.min) & (native[:, j] <= p.max)), p.name
        w = p.distribution.weights
        if p.kind == "categorical" and p.distribution.kind == "choice" and w is not None:
            never = [k for k, weight in enumerate(w) if weight == 0]
            assert not np.isin(native[:, j], never).any(), p.name


@pytest.mark.parametrize(("name", "spec"), SPECS, ids=[n for n, _ in SPECS])
def test_snap_fixed_and_snap_fixed_encoded(name: str, spec: SynthSpec) -> None:
    rng = np.random.default_rng(1)
    native = spec.sample(rng, 32)
    assert np.array_equal(spec.snap_fixed(native), native)  # samples already obey the spec
    moved = native.copy()
    for j in spec.fixed_indices:
        p = spec.params[j]
        moved[:, j] = p.max if p.default != p.max else p.min
    snapped = spec.snap_fixed(moved)
    np.testing.assert_array_equal(snapped, native)
    assert not np.array_equal(moved, native) or not spec.fixed_indices  # the input is untouched
    np.testing.assert_array_equal(spec.snap_fixed(moved[0]), native[0])  # one patch, (P,)
    assert spec.snap_fixed(moved.astype(np.float32)).dtype == np.float32
    x = rng.uniform(-1, 1, (32, spec.dim)).astype(np.float32)
    sx = spec.snap_fixed_encoded(x)
    assert sx.dtype == np.float32 and sx.shape == x.shape
    np.testing.assert_array_equal(spec.decode(sx), spec.decode(x))
    cols = fixed_columns(spec)
    np.testing.assert_allclose(spec.encode(spec.decode(sx))[:, cols], sx[:, cols], atol=1e-6)


@pytest.mark.parametrize(("name", "spec"), SPECS, ids=[n for n, _ in SPECS])
def test_prediction_from_encoded_has_the_fixed_values(name: str, spec: SynthSpec) -> None:
    x = np.random.default_rng(2).uniform(-1.2, 1.2, (8, spec.dim)).astype(np.float32)
    pred = Prediction.from_encoded(spec, x, nfe=4)
    fixed = spec.fixed_indices
    np.testing.assert_allclose(pred.native[:, fixed], fixed_values(spec, 8), rtol=1e-6)
    np.testing.assert_allclose(pred.native, spec.decode(pred.encoded), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(pred.unit, spec.to_unit(pred.native), atol=1e-6)
    assert np.all(np.abs(pred.encoded) <= 1.0)


def test_note_index_and_with_note() -> None:
    spec = load_spec("amsynth")
    j = spec.note_index
    assert j is not None and spec.names[j] == "note_pitch"
    assert kosc_spec(4).note_index is None
    native = spec.sample(np.random.default_rng(3), 4)
    played = spec.with_note(native, 52.4)  # a discrete note is rounded
    assert np.all(played[:, j] == 52.0)
    np.testing.assert_array_equal(np.delete(played, j, axis=1), np.delete(native, j, axis=1))
    assert not np.all(native[:, j] == 52.0)  # the input is untouched
    one = spec.with_note(native[0].astype(np.float32), 72)
    assert one.shape == (spec.num_params,) and one.dtype == np.float32 and one[j] == 72
    with pytest.raises(ValueError, match="outside"):
        spec.with_note(native, 84)
    with pytest.raises(ValueError, match="no pitch note"):
        kosc_spec(4).with_note(np.zeros(12), 60)
    with pytest.raises(ValueError, match="parameters"):
        spec.with_note(np.zeros(3), 60)


def test_a_spec_without_fixed_or_banned_choices_decodes_as_before() -> None:
    params = make_params(
        [
            {"name": "wave", "kind": "categorical", "choices": ["a", "b", "c"],
             "distribution": {"type": "choice", "weights": [1, 0, 1]}},
            {"name": "gain", "kind": "continuous", "min": 0.0, "max": 1.0, "default": 0.5,
             "distribution": {"type": "fixed"}},
            {"name": "cut", "kind": "continuous", "min": 0.0, "max": 2.0},
        ]
    )  # fmt: skip
    spec = SynthSpec("toy", 1, params)
    # "b" (weight 0) is never decoded, gain is fixed at 0.5, cut decodes linearly
    native = spec.decode(np.array([[-1.0, 1.0, 0.2, 0.9, 0.0], [0.5, -1.0, 0.1, -0.9, 1.0]]))
    np.testing.assert_allclose(native, [[2.0, 0.5, 1.0], [0.0, 0.5, 2.0]])
    assert spec.fixed_indices == [1]
    # a choice of weight 0 that is the default, drawn with p_default, can be decoded
    mode = make_params(
        [{"name": "mode", "kind": "categorical", "choices": ["x", "y", "z"], "default": "x",
          "distribution": {"type": "choice", "weights": [0, 1, 0], "p_default": 0.2}}]
    )  # fmt: skip
    np.testing.assert_array_equal(
        SynthSpec("toy2", 1, mode).decode([[1.0, -1.0, -1.0], [-1.0, -0.5, 1.0]])[:, 0], [0, 1]
    )


# ------------------------------------------------------------------------------ real amsynth


@pytest.mark.amsynth
@pytest.mark.needs("amsynth")
def test_amsynth_decoded_patches_render_the_same_whatever_was_played_before() -> None:
    from patchflow.synths.base import notes_for
    from patchflow.synths.registry import create_synth

    synth = create_synth("amsynth")
    spec = synth.spec

    def render(patch: np.ndarray) -> np.ndarray:
        return synth.render(patch[None], notes_for(spec, patch[None]))[0]

    try:
        rng = np.random.default_rng(4)
        targets = spec.decode(rng.uniform(-1, 1, (3, spec.dim)))
        history = spec.decode(rng.uniform(-1, 1, (3, spec.dim)))
        history[:, spec.index("portamento_time")] = 0.9  # what an unsnapped decode gave
        history[:, spec.index("osc2_sync")] = 1.0
        history[:, spec.index("master_vol")] = 1.0
        history[:, spec.note_index] = [48, 72, 55]
        for target in targets:
            first = render(target)
            assert np.sqrt(np.mean(first**2)) > 1e-4
            for before in history:
                render(before)
                np.testing.assert_allclose(render(target), first, atol=1e-5)
        # the control: the same patch with portamento, as an unsnapped decode could give it,
        # depends on the note played before
        glide = targets[0].copy()
        glide[spec.index("portamento_time")] = 0.9
        render(history[0])
        after_low = render(glide)
        render(history[1])
        after_high = render(glide)
        assert np.abs(after_low - after_high).max() > 0.01
    finally:
        synth.close()
