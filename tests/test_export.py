"""ONNX export, bundle loading and verification, PyTorch/onnxruntime parity, `patchflow match`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from patchflow.bundle import BundleError, load_bundle
from patchflow.export.bundle_writer import ExportOptions, export_model
from patchflow.features import FeatureConfig, FeatureStats
from patchflow.inference import Predictor
from patchflow.nn.models import build_model
from patchflow.spec import spec_from_dict
from patchflow.synths.kosc import kosc_spec
from patchflow.train.config import PRESETS, preset_config

TOY_PARAMS = [
    {"name": "cutoff_hz", "kind": "continuous", "min": 20, "max": 8000, "unit": "Hz",
     "scale": "log", "default": 500},
    {"name": "wave", "kind": "categorical", "choices": ["sine", "saw", "square"]},
    {"name": "osc1_level", "kind": "continuous", "min": 0, "max": 1,
     "symmetry": {"group": "osc", "index": 1, "count": 2}},
    {"name": "osc2_level", "kind": "continuous", "min": 0, "max": 1,
     "symmetry": {"group": "osc", "index": 2, "count": 2}},
]  # fmt: skip
TOY_SPEC = spec_from_dict(
    {
        "format": "patchflow-spec",
        "format_version": 1,
        "synth": "toy",
        "version": 1,
        "render": {"sample_rate": 16000, "channels": 2, "duration_s": 0.25},
        "params": TOY_PARAMS,
    }
)
TOY_FEATURES = FeatureConfig(
    kind="logmel", sample_rate=16000, num_samples=4000, channels=2, n_mels=32
)


def _tiny_model(preset: str, seed: int = 0):
    torch.manual_seed(seed)
    config = preset_config(preset, "tiny")
    if preset.startswith("ast"):
        spec, fc = TOY_SPEC, TOY_FEATURES
    else:
        spec, fc = kosc_spec(3), FeatureConfig(kind="rfft")
    model = build_model(config.model, spec, fc).eval()
    return model, config


def _export(preset: str, out, **options):
    model, _ = _tiny_model(preset)
    stats = FeatureStats.identity(model.feature_config)
    inputs = torch.randn(4, *model.feature_config.shape)
    path = export_model(
        model, out, stats=stats, inputs=inputs, options=ExportOptions(macros=4, **options)
    )
    return model, path


@pytest.fixture(scope="module")
def kosc_bundle(tmp_path_factory):
    return _export("cnf-param2tok", tmp_path_factory.mktemp("b") / "kosc-tiny")


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_exports_with_parity(preset, tmp_path):
    model, path = _export(preset, tmp_path / preset)
    bundle = load_bundle(path, prefer_gpu=False)
    card = json.loads((path / "card.json").read_text())
    assert card["preset"] is None or isinstance(card["preset"], str)
    assert card["spec"]["synth"] == model.spec.synth
    for batch in (1, 5):
        feats = torch.randn(batch, *model.feature_config.shape)
        with torch.no_grad():
            if bundle.card.model_kind == "regression":
                ref = model.predict(feats).numpy()
                got = bundle.sessions["predictor"].run(None, {"features": feats.numpy()})[0]
                np.testing.assert_allclose(got, ref, atol=1e-4, rtol=0)
                continue
            cond = model.encode(feats)
            got_cond = bundle.sessions["encoder"].run(None, {"features": feats.numpy()})[0]
            np.testing.assert_allclose(got_cond, cond.numpy(), atol=1e-4, rtol=0)
            x, t = torch.randn(batch, model.spec.dim), torch.rand(batch)
            w = torch.tensor(2.0)
            ref_v = model.guided_velocity(x, t, cond, w).numpy()
            feeds = {"x": x.numpy(), "t": t.numpy(), "cond": cond.numpy(), "w": w.numpy()}
            got_v = bundle.sessions["vector_field"].run(None, feeds)[0]
            np.testing.assert_allclose(got_v, ref_v, atol=1e-4, rtol=0)
            # a whole sample: encoder, 4 midpoint steps, guidance
            noise = (
                np.random.default_rng(0).standard_normal((batch, model.spec.dim)).astype(np.float32)
            )
            ref_x = model.sample(
                feats, steps=4, method="midpoint", cfg_scale=2.0, noise=torch.from_numpy(noise)
            )
            got_x = Predictor(bundle).sample(
                got_cond, noise, steps=4, method="midpoint", cfg_scale=2.0
            )
            np.testing.assert_allclose(
                got_x.encoded, np.clip(ref_x.numpy(), -1, 1), atol=1e-3, rtol=0
            )


def test_card_is_self_describing(kosc_bundle):
    _, path = kosc_bundle
    card = json.loads((path / "card.json").read_text())
    keys = ["format_version", "synth", "spec", "features", "stats", "sample_rate"]
    keys += ["input_samples", "solver", "macros", "training", "data_recipe", "metrics"]
    for key in [*keys, "patchflow_version"]:
        assert key in card
    assert card["sample_rate"] == 44100 and card["input_samples"] == 1024
    assert np.asarray(card["macros"]["directions"]).shape == (4, 9)
    for graph in ("encoder", "vector_field"):
        proto = onnx.load(str(path / f"{graph}.onnx"))
        meta = {p.key: p.value for p in proto.metadata_props}
        embedded = json.loads(meta["patchflow.card"])
        assert embedded["spec"] == card["spec"] and embedded["name"] == card["name"]
        dim0 = proto.graph.input[0].type.tensor_type.shape.dim[0]
        assert dim0.dim_param, "batch must stay dynamic"
    assert not list(path.glob("*.data")), "no external-data files"


def test_macro_directions_are_orthonormal(kosc_bundle):
    _, path = kosc_bundle
    d = load_bundle(path, prefer_gpu=False).card.macros.directions
    np.testing.assert_allclose(d @ d.T, np.eye(len(d)), atol=1e-5)


def _copy(path, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(path, dst)
    return dst


def test_truncated_graph_is_refused(kosc_bundle, tmp_path):
    path = _copy(kosc_bundle[1], tmp_path)
    data = (path / "vector_field.onnx").read_bytes()
    (path / "vector_field.onnx").write_bytes(data[: len(data) // 2])
    with pytest.raises(BundleError, match=r"vector_field\.onnx: checksum mismatch"):
        load_bundle(path)


def test_corrupt_graph_with_matching_checksum_is_refused(kosc_bundle, tmp_path):
    from patchflow.bundle import sha256_file

    path = _copy(kosc_bundle[1], tmp_path)
    (path / "encoder.onnx").write_bytes(b"not an onnx file at all")
    card = json.loads((path / "card.json").read_text())
    card["graphs"]["encoder"]["sha256"] = sha256_file(path / "encoder.onnx")
    (path / "card.json").write_text(json.dumps(card))
    with pytest.raises(BundleError, match=r"encoder\.onnx: onnxruntime cannot load"):
        load_bundle(path)


def test_graph_from_another_bundle_is_refused(kosc_bundle, tmp_path):
    from patchflow.bundle import sha256_file

    _, other = _export("ffn-mse", tmp_path / "other")
    path = _copy(kosc_bundle[1], tmp_path)
    shutil.copy(other / "predictor.onnx", path / "encoder.onnx")
    card = json.loads((path / "card.json").read_text())
    card["graphs"]["encoder"]["sha256"] = sha256_file(path / "encoder.onnx")
    (path / "card.json").write_text(json.dumps(card))
    with pytest.raises(BundleError, match=r"encoder\.onnx: graph inputs .* do not match"):
        load_bundle(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c.update(format_version=99), "format version 99 is not supported"),
        (lambda c: c.pop("spec"), "card field 'spec' is missing"),
        (lambda c: c["spec"]["params"][0].update(kind="fuzzy"), "field 'kind'"),
        (lambda c: c.update(model_kind="gan"), "unknown model_kind"),
        (lambda c: c["graphs"].pop("vector_field"), "lists no 'vector_field' graph"),
    ],
)
def test_mismatched_card_is_refused(kosc_bundle, tmp_path, edit, message):
    path = _copy(kosc_bundle[1], tmp_path)
    card = json.loads((path / "card.json").read_text())
    edit(card)
    (path / "card.json").write_text(json.dumps(card))
    with pytest.raises(BundleError, match=message) as err:
        load_bundle(path)
    assert "card.json" in str(err.value)


def test_unreadable_card_and_missing_bundle(kosc_bundle, tmp_path):
    path = _copy(kosc_bundle[1], tmp_path)
    (path / "card.json").write_text("{ truncated")
    with pytest.raises(BundleError, match="cannot read the card"):
        load_bundle(path)
    with pytest.raises(BundleError, match="not found"):
        load_bundle("no-such-model")


def test_serving_path_never_imports_torch(kosc_bundle):
    _, path = kosc_bundle
    code = textwrap.dedent(
        f"""
        import sys
        import numpy as np
        from patchflow.bundle import load_bundle
        from patchflow.inference import Predictor
        import patchflow.bridge.engine
        p = Predictor(load_bundle({str(path)!r}))
        t = np.arange(2048) / 48000
        out = p.predict(np.sin(2 * np.pi * 440 * t)[None], 48000)
        assert out.native.shape == (1, 9)
        heavy = [m for m in ("torch", "scipy", "h5py", "matplotlib") if m in sys.modules]
        assert not heavy, heavy
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_fused_sampler_matches_the_solver_loop(tmp_path):
    from patchflow.bundle import SolverDefaults

    _, path = _export("cnf-equivariant", tmp_path / "fused", fused=True,
                      solver=SolverDefaults(method="euler", steps=3, cfg_scale=2.5))  # fmt: skip
    bundle = load_bundle(path, prefer_gpu=False)
    assert "sampler" in bundle.sessions
    predictor = Predictor(bundle)
    assert predictor.fused_for(None, None) and not predictor.fused_for(4, "euler")
    t = np.arange(4096) / 44100
    audio = predictor.prepare(np.sin(2 * np.pi * 440 * t)[None], 44100)
    noise = predictor.noise(1, 3)
    fused, cond = predictor.sample_fused(audio, noise)
    looped = predictor.sample(predictor.encode(audio), noise)
    np.testing.assert_allclose(fused.encoded, looped.encoded, atol=1e-5)
    np.testing.assert_allclose(cond, predictor.encode(audio), atol=1e-5)
    assert fused.nfe == looped.nfe == 3
    # The unrolled steps share one copy of each weight, and the exporter's notes are gone.
    graph = onnx.load(str(path / "sampler.onnx")).graph
    blobs = [(t.data_type, tuple(t.dims), t.raw_data) for t in graph.initializer]
    assert len(set(blobs)) == len(blobs)
    assert not any(node.metadata_props or node.doc_string for node in graph.node)


def test_int8_export_quantizes_every_graph_and_stays_close_to_float32(tmp_path):
    from patchflow.bundle import SolverDefaults

    solver = SolverDefaults(method="euler", steps=3, cfg_scale=2.0)
    _, full = _export("ast-cnf-mlp", tmp_path / "f32", fused=True, solver=solver)
    _, small = _export("ast-cnf-mlp", tmp_path / "i8", fused=True, solver=solver, weights="int8")
    card = json.loads((small / "card.json").read_text())
    assert card["quantization"]["weights"].startswith("int8")
    assert json.loads((full / "card.json").read_text())["quantization"] is None
    for graph in ("encoder", "vector_field", "sampler"):
        nodes = onnx.load(str(small / f"{graph}.onnx")).graph.node
        assert any(n.op_type == "MatMulInteger" for n in nodes), graph
        # no float matrix product with a constant weight is left behind
        weights = {t.name for t in onnx.load(str(small / f"{graph}.onnx")).graph.initializer}
        assert not [
            n.name for n in nodes if n.op_type in ("MatMul", "Gemm") and n.input[1] in weights
        ]
    a, b = (
        Predictor(load_bundle(full, prefer_gpu=False)),
        Predictor(load_bundle(small, prefer_gpu=False)),
    )
    t = np.arange(TOY_FEATURES.num_samples) / TOY_FEATURES.sample_rate
    audio = a.prepare(np.sin(2 * np.pi * 330 * t)[None], TOY_FEATURES.sample_rate)
    noise = a.noise(1, 2)
    ref, _ = a.sample_fused(audio, noise)
    got, _ = b.sample_fused(audio, noise)
    looped = b.sample(b.encode(audio), noise)
    assert 0 < np.abs(got.encoded - ref.encoded).max() < 0.1  # int8, and close to float32
    np.testing.assert_allclose(got.encoded, looped.encoded, atol=0.05)  # fused and loop agree
    with pytest.raises(ValueError, match="weights must be one of"):
        ExportOptions(weights="int4")


def test_share_initializers_merges_equal_weights_and_keeps_the_answer():
    from onnx import TensorProto, helper, numpy_helper

    from patchflow.export.onnx_export import share_initializers

    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    inits = [numpy_helper.from_array(w, "w_a"), numpy_helper.from_array(w.copy(), "w_b"),
             numpy_helper.from_array(w + 1, "w_c")]  # fmt: skip
    nodes = [helper.make_node("MatMul", ["x", "w_a"], ["a"]),
             helper.make_node("MatMul", ["x", "w_b"], ["b"]),
             helper.make_node("MatMul", ["x", "w_c"], ["c"]),
             helper.make_node("Sum", ["a", "b", "c"], ["y"])]  # fmt: skip
    io = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in (("x", [1, 2]),
          ("y", [1, 3]))]  # fmt: skip
    model = helper.make_model(helper.make_graph(nodes, "g", io[:1], io[1:], inits), ir_version=10,
                              opset_imports=[helper.make_opsetid("", 20)])  # fmt: skip
    x = np.array([[1.0, -2.0]], np.float32)
    want = x @ w + x @ w + x @ (w + 1)
    assert share_initializers(model) == 1
    assert [t.name for t in model.graph.initializer] == ["w_a", "w_c"]
    assert list(model.graph.node[1].input) == ["x", "w_a"]
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"x": x})[0], want)
    assert share_initializers(model) == 0


@pytest.mark.parametrize("method", ["euler", "midpoint"])
def test_iobinding_sample_equals_the_plain_session_run(kosc_bundle, method):
    """The GPU path's IOBinding code (conditioning bound once as an OrtValue, outputs copied
    back) runs here with the CPU as the device: it must give the plain run's answer."""
    _, path = kosc_bundle
    bundle = load_bundle(path, prefer_gpu=False)
    plain, bound = Predictor(bundle), Predictor(bundle, io_binding=True)
    assert not plain.io_binding and bound.io_binding and bound.device == "cpu"
    rng = np.random.default_rng(5)
    audio = plain.prepare(rng.uniform(-0.5, 0.5, (1, 8000)).astype(np.float32), 16000)
    cond = plain.encode(np.concatenate([audio, audio[:, :, ::-1]]))
    noise = plain.noise(2, 11)
    want = plain.sample(cond, noise, steps=3, method=method, cfg_scale=2.0)
    got = bound.sample(cond, noise, steps=3, method=method, cfg_scale=2.0)
    np.testing.assert_array_equal(got.encoded, want.encoded)
    assert got.nfe == want.nfe


def test_unusable_cuda_falls_back_to_the_cpu_and_says_so_once(kosc_bundle, monkeypatch, caplog):
    """As with onnxruntime-gpu on a machine without a working CUDA: the first session comes up
    on the CPU, the rest are not asked for CUDA again, and one warning says so."""
    import warnings

    import patchflow.bundle as bundle_module

    _, path = kosc_bundle
    asked: list[list[str]] = []
    real_session = bundle_module._session

    def session(gpath, providers, threads):
        asked.append(list(providers))
        with warnings.catch_warnings():  # this CPU build's own note that it has no CUDA
            warnings.simplefilter("ignore")
            return real_session(gpath, providers, threads)

    wanted = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr(bundle_module, "available_providers", lambda prefer_gpu=True: wanted)
    monkeypatch.setattr(bundle_module, "_session", session)
    with caplog.at_level("WARNING", logger="patchflow.bundle"):
        bundle = load_bundle(path)
    assert asked[0] == wanted
    assert all(p == ["CPUExecutionProvider"] for p in asked[1:]) and len(asked) >= 2
    warned = [r for r in caplog.records if "CUDA was requested" in r.getMessage()]
    assert len(warned) == 1 and "on the CPU" in warned[0].getMessage()
    assert bundle.providers == ["CPUExecutionProvider"]
    assert not Predictor(bundle).io_binding
