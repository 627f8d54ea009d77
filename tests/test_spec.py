"""Spec parsing, validation errors and the [-1, 1] encoding."""

import copy
import json

import numpy as np
import pytest

from patchflow.spec import SpecError, load_spec, spec_from_dict
from patchflow.synths.kosc import kosc_spec

VALID = {
    "format": "patchflow-spec",
    "format_version": 1,
    "synth": "toy",
    "version": 3,
    "render": {"sample_rate": 22050, "channels": 2, "duration_s": 0.5},
    "params": [
        {"name": "cutoff_hz", "kind": "continuous", "min": 20, "max": 20000, "unit": "Hz",
         "scale": "log", "default": 1000, "distribution": {"type": "loguniform"}},
        {"name": "wave", "kind": "categorical", "choices": ["sine", "saw", "square"],
         "default": "saw", "distribution": {"type": "choice", "weights": [1, 2, 1]}},
        {"name": "voices", "kind": "discrete", "min": 1, "max": 8, "default": 1,
         "distribution": {"type": "choice"}},
        {"name": "attack_s", "kind": "continuous", "min": 0, "max": 2, "unit": "s",
         "default": 0.01, "distribution": {"type": "uniform", "p_default": 0.5},
         "symmetry": {"group": "env", "index": 1, "count": 2}},
    ],
}  # fmt: skip


def test_valid_spec_layout():
    spec = spec_from_dict(VALID, "toy.json")
    assert spec.names == ["cutoff_hz", "wave", "voices", "attack_s"]
    assert spec.dim == 1 + 3 + 1 + 1
    assert spec.sample_rate == 22050 and spec.channels == 2
    assert [c.start for c in spec.columns] == [0, 1, 4, 5]
    assert spec.symmetry_groups() == {"env": [[5]]}
    assert "dim=6" in repr(spec)


def test_encode_decode_round_trip():
    spec = spec_from_dict(VALID)
    native = spec.sample(np.random.default_rng(0), 500)
    x = spec.encode(native)
    assert x.shape == (500, 6) and x.min() >= -1 - 1e-6 and x.max() <= 1 + 1e-6
    # one-hot group: exactly one +1 and the rest -1
    onehot = x[:, 1:4]
    assert np.all((onehot == 1).sum(axis=1) == 1) and np.all((onehot == -1).sum(axis=1) == 2)
    back = spec.decode(x)
    np.testing.assert_allclose(back, native, rtol=1e-5, atol=1e-5)


def test_known_encodings():
    spec = spec_from_dict(VALID)
    native = np.array([[20.0, 2, 8, 1.0], [20000.0, 0, 1, 0.0]])
    x = spec.encode(native)
    np.testing.assert_allclose(x[0], [-1, -1, -1, 1, 1, 0], atol=1e-6)
    np.testing.assert_allclose(x[1], [1, 1, -1, -1, -1, -1], atol=1e-6)
    # log scale: the geometric midpoint encodes to 0
    mid = np.sqrt(20 * 20000)
    assert abs(spec.encode([[mid, 0, 1, 0]])[0, 0]) < 1e-6


def test_decode_clamps_rounds_and_argmaxes():
    spec = spec_from_dict(VALID)
    x = np.array([[5.0, 0.1, 0.7, -0.3, 0.52, -9.0]])
    native = spec.decode(x)[0]
    assert native[0] == pytest.approx(20000)  # clamped to max
    assert native[1] == 1  # argmax of the one-hot group
    assert native[2] == round(1 + (0.52 + 1) / 2 * 7)  # rounded discrete
    assert native[3] == 0.0  # clamped to min


def test_to_unit_per_parameter():
    spec = spec_from_dict(VALID)
    u = spec.to_unit([[20.0, 2, 8, 1.0]])[0]
    np.testing.assert_allclose(u, [0, 1, 1, 0.5])


def test_sampling_respects_distributions():
    spec = spec_from_dict(VALID)
    native = spec.sample(np.random.default_rng(1), 20000)
    assert set(np.unique(native[:, 1])) == {0, 1, 2}
    assert np.mean(native[:, 1] == 1) == pytest.approx(0.5, abs=0.02)  # weights 1:2:1
    assert np.mean(native[:, 3] == 0.01) == pytest.approx(0.5, abs=0.02)  # p_default
    assert set(np.unique(native[:, 2])) == set(range(1, 9))


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("params", 0, "kind"), "fuzzy", "kind"),
        (("params", 0, "max"), 10, "max"),
        (("params", 0, "default"), 1e9, "default"),
        (("params", 1, "choices"), [], "choices"),
        (("params", 1, "default"), "triangle", "default"),
        (("params", 2, "min"), "one", "min"),
        (("params", 3, "symmetry"), {"group": "env", "index": 3, "count": 2}, "symmetry"),
        (("params", 3, "distribution"), {"type": "gaussian"}, "distribution.type"),
        (("params", 0, "colour"), "red", "colour"),
        (("format",), "other", "format"),
    ],
)
def test_bad_specs_name_file_parameter_and_field(path, value, field):
    raw = copy.deepcopy(VALID)
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(SpecError) as err:
        spec_from_dict(raw, "bad.json")
    msg = str(err.value)
    assert msg.startswith("bad.json:") and f"field '{field}'" in msg
    if path[0] == "params":
        assert f"parameter '{VALID['params'][path[1]]['name']}'" in msg


def test_duplicate_names_refused():
    raw = copy.deepcopy(VALID)
    raw["params"].append(copy.deepcopy(raw["params"][0]))
    with pytest.raises(SpecError, match="duplicate parameter names"):
        spec_from_dict(raw, "dup.json")


def test_load_spec_from_file_and_errors(tmp_path):
    path = tmp_path / "toy.json"
    path.write_text(json.dumps(VALID))
    assert load_spec(path).synth == "toy"
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(SpecError, match=r"broken\.json: cannot read spec"):
        load_spec(tmp_path / "broken.json")
    with pytest.raises(SpecError, match="no such spec"):
        load_spec("no-such-synth")


def test_spec_json_round_trip():
    for spec in (spec_from_dict(VALID), kosc_spec(3, asymmetric=True)):
        again = spec_from_dict(json.loads(spec.to_json()))
        assert again == spec


def test_kosc_spec_layout():
    spec = kosc_spec(4)
    assert spec.dim == 12
    assert spec.names[:4] == [f"osc{i}_freq_hz" for i in range(1, 5)]
    assert spec.symmetry_groups()["osc"] == [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]
    asym = kosc_spec(4, asymmetric=True)
    assert asym.params[1].min == pytest.approx(20 + 3980 / 4)
    assert asym.params[3].max == pytest.approx(4000)


@pytest.mark.parametrize("name", ["amsynth", "surge_simple", "kosc4", "kosc8-asym"])
def test_vectorised_decode_and_to_unit_equal_the_per_parameter_maps(name):
    """SynthSpec.decode / to_unit (column arrays) agree with each Param's from_unit / to_unit."""
    if name.startswith("kosc"):
        spec = kosc_spec(int(name[4]), name.endswith("asym"))
    else:
        spec = load_spec(name)
    rng = np.random.default_rng(len(name))
    x = rng.uniform(-1.3, 1.3, (64, spec.dim))  # beyond [-1, 1]: clamping is part of the map
    native = spec.decode(x)
    for j, (p, cols) in enumerate(zip(spec.params, spec.columns, strict=True)):
        w = p.distribution.weights
        if p.distribution.kind == "fixed":  # fixed parameters stay fixed
            expected = np.full(len(x), p.default)
        elif p.kind == "categorical":  # never a choice of weight 0
            banned = 0.0 if w is None else np.where(np.asarray(w) > 0, 0.0, -np.inf)
            expected = np.argmax(x[:, cols] + banned, axis=1)
        else:
            expected = p.from_unit((x[:, cols.start] + 1.0) / 2.0)
        np.testing.assert_array_equal(native[:, j], expected, err_msg=p.name)
    unit = spec.to_unit(native)
    assert unit.shape == native.shape
    for j, p in enumerate(spec.params):
        expected = np.clip(p.to_unit(native[:, j]), 0, 1)
        np.testing.assert_allclose(unit[:, j], expected, rtol=0, atol=1e-12, err_msg=p.name)
    # encode writes float32: continuous values come back to float32 precision, the rest exactly
    np.testing.assert_allclose(spec.decode(spec.encode(native)), native, rtol=1e-5, atol=1e-3)
