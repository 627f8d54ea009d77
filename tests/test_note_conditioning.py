"""The note as conditioning (issue 16 item 2): models told the note, bundles that record it.

A toy synth with a pitch note parameter in the middle of its spec (so that putting the note back
in its column is really tested) renders a tiny dataset in the patchflow HDF5 layout; tiny
note-conditioned models train a few steps on it, export, and predict through onnxruntime.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from patchflow import cli
from patchflow.bundle import BundleError, load_bundle
from patchflow.config import to_dict
from patchflow.data.dataset import SynthDataset
from patchflow.data.render import RenderConfig
from patchflow.evaluation import predict_bundle, predict_run
from patchflow.export.bundle_writer import ExportOptions, export_run
from patchflow.features import FeatureConfig, FeatureExtractor, FeatureStats, RunningStats
from patchflow.flow.solver import ODESolver
from patchflow.inference import Prediction, Predictor
from patchflow.nn.models import FlowModel, RegressionModel, build_model
from patchflow.nn.note import NoteEmbedding
from patchflow.note_conditioning import NoteConditioning, conditioning_note
from patchflow.pitch import NotePlacement
from patchflow.spec import load_spec, spec_from_dict
from patchflow.synths.kosc import kosc_spec
from patchflow.train import provenance
from patchflow.train.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from patchflow.train.config import TrainConfig, preset_config
from patchflow.train.data import HDF5Source, open_source
from patchflow.train.loop import train

TOY_SPEC = spec_from_dict(
    {
        "format": "patchflow-spec",
        "format_version": 1,
        "synth": "toy-noted",
        "version": 1,
        "render": {"sample_rate": 16000, "channels": 1, "duration_s": 0.25},
        "params": [
            {"name": "brightness", "kind": "continuous", "min": 0, "max": 1},
            {"name": "note_pitch", "kind": "discrete", "min": 36, "max": 84, "unit": "MIDI note",
             "default": 60, "note_field": "pitch"},
            {"name": "wave", "kind": "categorical", "choices": ["sine", "square"]},
            {"name": "decay_s", "kind": "continuous", "min": 0.02, "max": 0.5, "unit": "s",
             "scale": "log", "default": 0.1},
        ],
    }
)  # fmt: skip
TOY_FEATURES = FeatureConfig(
    kind="logmel", sample_rate=16000, num_samples=4000, channels=1, n_mels=32
)
NOTE = TOY_SPEC.note_index


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _render(native: np.ndarray) -> np.ndarray:
    """Toy renders ``(N, 1, T)``: a decaying sine or square at the note, brightened."""
    t = np.arange(TOY_FEATURES.num_samples) / TOY_FEATURES.sample_rate
    out = np.empty((len(native), 1, len(t)), np.float32)
    for i, (bright, note, wave, decay) in enumerate(native):
        phase = 2 * np.pi * 440.0 * 2 ** ((round(note) - 69) / 12) * t
        tone = np.sin(phase) if wave == 0 else np.sign(np.sin(phase))
        out[i, 0] = 0.5 * (tone + bright * np.sin(3 * phase)) * np.exp(-t / decay)
    return out


def _write_dataset(path: Path, count: int = 48, native_column: bool = True) -> Path:
    native = TOY_SPEC.sample(np.random.default_rng(0), count)
    features = FeatureExtractor(TOY_FEATURES)(_render(native))
    stats = RunningStats(TOY_FEATURES)
    stats.update(features)
    result = stats.result()
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "patchflow-dataset"
        f.attrs["format_version"] = 1
        f.attrs["spec"] = TOY_SPEC.to_json()
        f.attrs["render_config"] = json.dumps(to_dict(RenderConfig(synth="toy", count=count)))
        f.attrs["feature_config"] = json.dumps(TOY_FEATURES.to_dict())
        f["params"] = TOY_SPEC.encode(native)
        if native_column:
            f["native"] = native.astype(np.float32)
        f["features"] = features
        f["stats/mean"], f["stats/std"] = result.mean, result.std
    return path


def _noted(preset: str, steps: int = 4, **changes: object) -> TrainConfig:
    config = preset_config(preset, "tiny")
    model = dataclasses.replace(config.model, note_conditioning=True, **changes)
    config = dataclasses.replace(config, model=model, steps=steps, log_every=2, checkpoint_every=4)
    return dataclasses.replace(config, val=dataclasses.replace(config.val, every=4, batch_size=8))


@pytest.fixture(scope="module")
def toy_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_dataset(tmp_path_factory.mktemp("noted") / "toy.h5")


# ------------------------------------------------------------------------------ spec and model


def test_without_note_drops_exactly_the_note_column() -> None:
    spec = TOY_SPEC
    reduced = spec.without_note()
    assert reduced.names == [n for n in spec.names if n != "note_pitch"]
    assert reduced.dim == spec.dim - 1 and reduced.note_index is None
    native = spec.sample(np.random.default_rng(1), 5)
    nc = NoteConditioning.of(spec)
    np.testing.assert_array_equal(
        nc.drop(spec.encode(native)), reduced.encode(np.delete(native, NOTE, axis=1))
    )
    # putting the note back gives the full vector again
    notes = native[:, NOTE]
    full = nc.insert(spec, nc.drop(spec.encode(native)), notes)
    np.testing.assert_allclose(full, spec.encode(native), atol=1e-6)
    with pytest.raises(ValueError, match="no pitch note parameter"):
        reduced.without_note()


@pytest.mark.parametrize("preset", ["ast-cnf-param2tok", "ast-cnf-mlp", "ast-regression"])
def test_note_conditioned_models_leave_the_note_out_of_their_parameter_space(preset: str) -> None:
    spec = load_spec("amsynth_v2")
    config = preset_config(preset, "tiny")
    plain = build_model(config.model, spec, TOY_FEATURES)
    torch.manual_seed(0)
    noted = build_model(dataclasses.replace(config.model, note_conditioning=True), spec,
                        TOY_FEATURES).eval()  # fmt: skip
    assert plain.param_spec is spec and plain.note_conditioning is None
    assert noted.spec is spec and noted.param_spec.names == spec.without_note().names
    assert "note_pitch" not in noted.param_spec.names
    feats = torch.randn(2, *TOY_FEATURES.shape)
    note = torch.tensor([60.0, -1.0])
    with torch.no_grad():
        if isinstance(noted, FlowModel):
            out = noted.sample(feats, steps=2, note=note)
            tokenizer = getattr(noted.field, "tokenizer", None)
            if tokenizer is not None:  # PARAM2TOK's assignment covers D - 1 columns
                assert tokenizer.assign.shape[-1] == spec.dim - 1
        else:
            assert isinstance(noted, RegressionModel)
            out = noted.predict(feats, note)
    assert out.shape == (2, spec.dim - 1)
    with pytest.raises(ValueError, match="no pitch note parameter"):
        build_model(dataclasses.replace(config.model, note_conditioning=True),
                    spec.without_note(), TOY_FEATURES)  # fmt: skip


def test_note_embedding_unknown_marker_and_gradients() -> None:
    torch.manual_seed(0)
    emb = NoteEmbedding(8, 36, 84)
    torch.nn.init.normal_(emb.mlp[2].weight)  # starts at zero; make the note visible
    torch.nn.init.normal_(emb.unknown)
    note = torch.tensor([36.0, 60.0, 61.0, -1.0, float("nan"), -5.0])
    out = emb(note)  # (6, 8)
    assert out.shape == (6, 8) and torch.isfinite(out).all()
    assert not torch.allclose(out[1], out[2])  # neighbouring semitones differ
    for row in (3, 4, 5):
        torch.testing.assert_close(out[row], emb.unknown.detach())
    out.sum().backward()
    grads = [p.grad for p in emb.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    cond = torch.zeros(6, 3, 8)
    torch.testing.assert_close(emb.condition(cond, note), out[:, None].expand(6, 3, 8))


def test_cfg_null_branch_is_the_learned_null_whatever_the_note() -> None:
    config = preset_config("ast-cnf-mlp", "tiny")
    model = build_model(dataclasses.replace(config.model, note_conditioning=True), TOY_SPEC,
                        TOY_FEATURES).eval()  # fmt: skip
    torch.nn.init.normal_(model.note_embed.mlp[2].weight)
    feats = torch.randn(2, *TOY_FEATURES.shape)
    x, t = torch.randn(2, model.param_spec.dim), torch.rand(2)
    with torch.no_grad():
        c60 = model.encode(feats, torch.tensor([60.0, 60.0]))
        c70 = model.encode(feats, torch.tensor([70.0, 70.0]))
        assert not torch.allclose(c60, c70)
        # w = 0 is the unconditional branch alone: the note does not reach it
        w0 = torch.tensor(0.0)
        torch.testing.assert_close(
            model.guided_velocity(x, t, c60, w0), model.guided_velocity(x, t, c70, w0)
        )


# ------------------------------------------------------------------------------ data


def test_hdf5_source_gives_rendered_notes_and_drops_the_note_column(
    toy_data: Path, tmp_path: Path
) -> None:
    kwargs = dict(batch_size=8, val_batch_size=8, val_batches=1, seed=0)
    plain = HDF5Source(toy_data, **kwargs)
    noted = HDF5Source(toy_data, note_conditioning=True, **kwargs)
    a, b = plain.train_batch(3), noted.train_batch(3)
    assert a.note is None and b.note is not None and b.note.dtype == np.float32
    np.testing.assert_array_equal(b.features, a.features)
    np.testing.assert_array_equal(b.params, np.delete(a.params, NOTE, axis=1))
    expected = np.round(TOY_SPEC.decode(a.params)[:, NOTE])
    np.testing.assert_array_equal(b.note, expected)
    # a dataset without the native column: the note is decoded from its encoded column
    bare = HDF5Source(_write_dataset(tmp_path / "bare.h5", native_column=False),
                      note_conditioning=True, **kwargs)  # fmt: skip
    np.testing.assert_array_equal(bare.train_batch(3).note, b.note)
    with pytest.raises(ValueError, match="no note parameter"):
        open_source("stream:kosc2", note_conditioning=True, **kwargs)


def test_cli_train_note_conditioning_flags(
    toy_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["train", "--preset", "ast-regression", "--size", "tiny", "--data", str(toy_data)]
    flags = ["--steps", "2", "--no-progress", "--no-tensorboard"]
    argv = [*base, "--out", str(tmp_path / "run"), *flags, "--note-dropout", "0.5"]
    assert cli.main(argv) == 0
    model = load_checkpoint(tmp_path / "run", which="last").config.model
    assert model.note_conditioning and model.note_dropout == 0.5
    kosc = ["train", "--preset", "cnf-mlp", "--size", "tiny", "--data", "stream:kosc2"]
    assert cli.main([*kosc, "--out", str(tmp_path / "k"), *flags, "--note-conditioning"]) == 2
    assert "no note parameter" in capsys.readouterr().err


# ------------------------------------------------------------------ train, export, serve


@pytest.fixture(scope="module")
def noted_runs(toy_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny note-conditioned CNF (fused sampler) and regression runs, exported."""
    root = tmp_path_factory.mktemp("noted-runs")
    bundles = {}
    for preset, fused in (("ast-cnf-mlp", True), ("ast-regression", False)):
        run = root / preset
        config = _noted(preset)
        provenance.record(run, ["train", "--preset", preset], str(toy_data), config.seed)
        result = train(config, data=str(toy_data), run_dir=run, progress=False, tensorboard=False)
        assert result.step == 4 and np.isfinite(result.best)
        options = ExportOptions(macros=2, fused=fused, macro_inputs=4)
        bundles[preset] = export_run(run, root / f"{preset}-bundle", options)
        bundles[f"{preset}-run"] = run
    return bundles


@pytest.mark.parametrize("preset", ["ast-cnf-mlp", "ast-regression"])
def test_checkpoint_keeps_the_note_config(noted_runs: dict[str, Path], preset: str) -> None:
    ckpt = load_checkpoint(noted_runs[f"{preset}-run"])
    assert ckpt.config.model.note_conditioning and ckpt.config.model.note_dropout == 0.2
    assert ckpt.spec.names == TOY_SPEC.names  # the full spec is recorded
    assert ckpt.model.note_conditioning == NoteConditioning.of(TOY_SPEC)
    assert ckpt.model.param_spec.dim == TOY_SPEC.dim - 1


@pytest.mark.parametrize("preset", ["ast-cnf-mlp", "ast-regression"])
def test_note_conditioned_bundle_predicts_full_spec_patches_at_the_given_note(
    noted_runs: dict[str, Path], preset: str
) -> None:
    bundle = load_bundle(noted_runs[preset], prefer_gpu=False)
    card = bundle.card
    assert card.note_conditioning == NoteConditioning.of(TOY_SPEC)
    assert card.raw["note_conditioning"]["param"] == "note_pitch"
    assert card.raw["note_conditioning"]["unknown"] == -1.0
    assert card.model_dim == TOY_SPEC.dim - 1
    first = "encoder" if card.model_kind == "cnf" else "predictor"
    names = [i.name for i in bundle.sessions[first].get_inputs()]
    assert names == ["features", "note"]
    if "sampler" in bundle.sessions:
        names = [i.name for i in bundle.sessions["sampler"].get_inputs()]
        assert names == ["features", "note", "noise", "w"]
    if card.macros is not None:
        assert card.macros.directions.shape[1] == TOY_SPEC.dim - 1
    predictor = Predictor(bundle)
    assert predictor.noise(1).shape == (1, TOY_SPEC.dim - 1)
    audio = _render(np.array([[0.3, 57, 1, 0.2]]))[0]
    for note, played in ((57.0, 57.0), (80.0, 80.0), (None, 60.0), (float("nan"), 60.0)):
        pred = predictor.predict(audio, 16000, seed=3, note=note)
        assert pred.native.shape == (1, TOY_SPEC.num_params)
        assert pred.encoded.shape == (1, TOY_SPEC.dim)
        assert pred.native[0, NOTE] == played
    # the note changes what the model hears (its conditioning)
    prepared = predictor.prepare(audio, 16000)
    assert not np.allclose(predictor.encode(prepared, 40.0), predictor.encode(prepared, 80.0))
    np.testing.assert_array_equal(
        predictor.encode(prepared, None), predictor.encode(prepared, -1.0)
    )
    with pytest.raises(ValueError, match="outside the model's range"):
        predictor.predict(audio, 16000, note=20.0)


def test_fused_and_stepwise_sampling_agree_with_a_note(noted_runs: dict[str, Path]) -> None:
    predictor = Predictor(load_bundle(noted_runs["ast-cnf-mlp"], prefer_gpu=False))
    assert predictor.fused_for(None, None)
    prepared = predictor.prepare(_render(np.array([[0.5, 62, 0, 0.1]]))[0], 16000)
    noise = predictor.noise(1, 5)
    fused, cond = predictor.sample_fused(prepared, noise, note=62.0)
    stepwise = predictor.sample(predictor.encode(prepared, 62.0), noise, note=62.0)
    np.testing.assert_allclose(fused.encoded, stepwise.encoded, atol=1e-4)
    np.testing.assert_allclose(cond, predictor.encode(prepared, 62.0), atol=1e-5)
    assert fused.native[0, NOTE] == 62.0


def _edited_copy(bundle: Path, copy: Path, edit: Callable[[dict], object]) -> Path:
    """A copy of ``bundle`` whose card ``edit`` changed."""
    shutil.copytree(bundle, copy)
    card = json.loads((copy / "card.json").read_text())
    edit(card)
    (copy / "card.json").write_text(json.dumps(card))
    return copy


def test_card_with_a_wrong_note_entry_is_refused(
    noted_runs: dict[str, Path], tmp_path: Path
) -> None:
    def wrong(card: dict) -> None:
        card["note_conditioning"]["param"] = "brightness"

    copy = _edited_copy(noted_runs["ast-regression"], tmp_path / "bad", wrong)
    with pytest.raises(BundleError, match="note_conditioning"):
        load_bundle(copy, prefer_gpu=False)


def test_conditioning_note_from_a_placement() -> None:
    assert conditioning_note(None) is None
    assert conditioning_note(NotePlacement(60, None, 0, 0.0)) is None  # unpitched: unknown
    assert conditioning_note(NotePlacement(50, 38.2, 1, 0.9)) == 50.0


# ------------------------------------------------------------------------------ old bundles


def test_checkpoint_from_before_note_conditioning_loads_unchanged(tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = preset_config("cnf-mlp", "tiny")
    model = build_model(config.model, kosc_spec(2), FeatureConfig()).eval()
    stats_config = FeatureConfig()
    save_checkpoint(tmp_path / "best.pt", model=model,
                    optimizer=torch.optim.SGD(model.parameters(), lr=0.1), step=0, config=config,
                    stats=FeatureStats.identity(stats_config), metrics={}, state={})  # fmt: skip
    payload = read_checkpoint(tmp_path / "best.pt")
    for key in ("note_conditioning", "note_dropout"):  # as written before these fields existed
        del payload["config"]["model"][key]
    torch.save(payload, tmp_path / "best.pt")
    ckpt = load_checkpoint(tmp_path)
    assert not ckpt.config.model.note_conditioning and ckpt.model.note_conditioning is None
    feats = torch.randn(2, *stats_config.shape)
    noise = torch.randn(2, kosc_spec(2).dim)
    with torch.no_grad():
        torch.testing.assert_close(
            ckpt.model.sample(feats, steps=2, noise=noise),
            model.sample(feats, steps=2, noise=noise, note=torch.tensor([60.0, 61.0])),
        )


@pytest.mark.parametrize("name", ["amsynth", "amsynth-regression"])
def test_shipped_amsynth_bundles_are_given_the_note(name: str) -> None:
    card = load_bundle(name, prefer_gpu=False).card
    assert card.note_conditioning is not None and card.spec.version == 2
    assert card.model_dim == card.spec.dim - 1  # the note column is an input, not an output
    assert (card.note_conditioning.min_midi, card.note_conditioning.max_midi) == (24.0, 96.0)


def test_shipped_bundles_without_note_conditioning_are_unchanged() -> None:
    bundle = load_bundle("kosc4", prefer_gpu=False)  # the amsynth bundles are note-conditioned
    card = bundle.card
    assert card.note_conditioning is None and "note_conditioning" not in card.raw
    assert card.model_dim == card.spec.dim
    assert [i.name for i in bundle.sessions["encoder"].get_inputs()] == ["features"]
    predictor = Predictor(bundle)
    rng = np.random.default_rng(0)
    audio = (0.3 * np.sin(2 * np.pi * 220 * np.arange(card.input_samples) / card.sample_rate)
             + 0.01 * rng.standard_normal(card.input_samples)).astype(np.float32)  # fmt: skip
    prepared = predictor.prepare(audio, card.sample_rate)
    # the path as it was before note conditioning: raw sessions, the solver, decoding
    feats = bundle.features(prepared)
    cond = bundle.sessions["encoder"].run(None, {"features": feats})[0]
    noise = np.random.default_rng(7).standard_normal((1, card.spec.dim)).astype(np.float32)
    s = card.solver
    w = np.asarray(s.cfg_scale, np.float32)

    def velocity(x: np.ndarray, t: np.ndarray, c: np.ndarray) -> np.ndarray:
        feeds = {"x": x.astype(np.float32), "t": t.astype(np.float32), "cond": c, "w": w}
        return bundle.sessions["vector_field"].run(None, feeds)[0]

    out = ODESolver(velocity=velocity).sample(x_init=noise, steps=s.steps, method=s.method,
                                              cond=cond)  # fmt: skip
    expected = Prediction.from_encoded(card.spec, out.x, out.nfe)
    np.testing.assert_array_equal(predictor.noise(1, 7), noise)
    for note in (None, 50.0):  # the note argument is ignored by old bundles
        got = predictor.sample(predictor.encode(prepared, note), noise, note=note)
        np.testing.assert_array_equal(got.encoded, expected.encoded)
        np.testing.assert_array_equal(got.native, expected.native)
        fused, _ = predictor.sample_fused(prepared, noise, note=note)
        ref, _ = predictor.sample_fused(prepared, noise)
        np.testing.assert_array_equal(fused.native, ref.native)


def test_bridge_engine_serves_a_note_conditioned_bundle(noted_runs: dict[str, Path]) -> None:
    """The engine tells the model the detected note and places it in the patch; macros and
    morph work on the model's (D - 1)-wide noise."""
    from patchflow.bridge.engine import OnnxEngine

    engine = OnnxEngine(load_bundle(noted_runs["ast-cnf-mlp"], prefer_gpu=False))
    a = _render(np.array([[0.3, 57, 1, 0.2]]))[0, 0]
    b = _render(np.array([[0.8, 64, 0, 0.1]]))[0, 0]
    first = engine.match(a, 16000, client="c", request_id=1)
    engine.match(b, 16000, client="c", request_id=2)
    assert first.native.shape == (TOY_SPEC.num_params,)
    assert first.native[NOTE] == 57.0  # the detected note
    prepared = engine.predictor.prepare(a, 16000)
    cond = engine.predictor.encode(prepared, 57.0)
    told = engine.predictor.sample(cond, engine.predictor.noise(1), note=57.0)
    np.testing.assert_allclose(first.params01, told.unit[0], atol=1e-5)
    moved = engine.macro(client="c", index=0, value=0.9)
    morphed = engine.morph(client="c", value=0.3)
    for result in (moved, morphed):
        assert result.params01.shape == (TOY_SPEC.num_params,)
        assert np.all(np.isfinite(result.native))


def test_engine_measures_the_pitch_beside_the_features_with_the_same_answer() -> None:
    """The shipped amsynth engine's match (pitch on a helper thread while the features are
    computed) gives exactly the sequential computation, also with matches on several threads."""
    from concurrent.futures import ThreadPoolExecutor

    from patchflow.bridge.engine import OnnxEngine
    from patchflow.pitch import estimate_pitch, place_note

    engine = OnnxEngine("amsynth", threads=1)
    rate = engine.sample_rate
    t = np.arange(rate) / rate
    notes = (45.0, 57.0, 62.0, 69.0)
    clips = [
        (0.3 * np.sin(2 * np.pi * 440.0 * 2 ** ((n - 69) / 12) * t)).astype(np.float32)
        for n in notes
    ]
    predictor = engine.predictor
    expected = []
    for clip in clips:
        prepared = predictor.prepare(clip, rate)
        placement = place_note(estimate_pitch(prepared[0], rate), engine.bundle.card.spec)
        prediction, _ = predictor.sample_fused(
            prepared, predictor.answer_noise(0), engine.cfg_scale, conditioning_note(placement)
        )
        expected.append(engine._with_note(prediction, placement))
    note_index = engine.bundle.card.spec.note_index
    assert [float(p.native[0, note_index]) for p in expected] == list(notes)

    def match(k: int) -> np.ndarray:
        return engine.match(clips[k % 4], rate, client=f"c{k}", request_id=k).params01

    for k in range(4):
        np.testing.assert_array_equal(match(k), expected[k].unit[0])
    with ThreadPoolExecutor(4) as pool:
        for k, got in enumerate(pool.map(match, range(16))):
            np.testing.assert_array_equal(got, expected[k % 4].unit[0])
    in_line = OnnxEngine(engine.bundle, pitch_beside_features=False)
    got = in_line.match(clips[1], rate, client="c", request_id=1).params01
    np.testing.assert_array_equal(got, expected[1].unit[0])


class _ToySynth:
    """The toy renders as a :class:`patchflow.synths.base.Synth` (for a search)."""

    spec = TOY_SPEC
    sample_rate = TOY_FEATURES.sample_rate
    channels = 1
    num_samples = TOY_FEATURES.num_samples

    def render(self, params: np.ndarray, notes: object = None) -> np.ndarray:
        return _render(np.atleast_2d(params))

    def close(self) -> None: ...


@pytest.mark.parametrize("preset", ["ast-cnf-mlp", "ast-regression"])
def test_search_feeds_the_detected_note_to_a_note_conditioned_bundle(
    noted_runs: dict[str, Path], preset: str
) -> None:
    from patchflow.search import SearchBudget, Searcher
    from patchflow.search.renderers import SynthRenderer

    predictor = Predictor(load_bundle(noted_runs[preset], prefer_gpu=False))
    target = _render(np.array([[0.3, 57, 1, 0.2]]))[0]
    with SynthRenderer(_ToySynth()) as renderer:
        searcher = Searcher(TOY_SPEC, renderer, predictor=predictor)
        steps = list(searcher.run(target, 16000, budget=SearchBudget(seconds=60, renders=24)))
    final = steps[-1]
    assert final.final and final.note is not None and final.note.note == 57
    assert final.best.native.shape == (TOY_SPEC.num_params,)
    assert final.best.native[NOTE] == 57.0
    assert np.isfinite(final.best.score)


@pytest.mark.parametrize("preset", ["ast-cnf-mlp", "ast-regression"])
def test_evaluation_predicts_full_spec_patches_at_the_dataset_notes(
    noted_runs: dict[str, Path], toy_data: Path, preset: str
) -> None:
    data = SynthDataset.load(toy_data)
    notes = NoteConditioning.of(TOY_SPEC).notes_from_encoded(data.params, TOY_SPEC)
    played = np.round(TOY_SPEC.decode(data.params)[:, NOTE])
    np.testing.assert_array_equal(notes, played)
    ckpt = load_checkpoint(noted_runs[f"{preset}-run"])
    by_run = predict_run(
        ckpt, data.features, steps=2, method="euler", cfg_scale=1.0, notes=notes, batch_size=16
    )
    audio = _render(TOY_SPEC.decode(data.params))
    by_bundle = predict_bundle(
        load_bundle(noted_runs[preset], prefer_gpu=False), audio, notes=notes, batch_size=16
    )
    for predictions in (by_run, by_bundle):
        assert predictions.encoded.shape == (len(notes), TOY_SPEC.dim)
        np.testing.assert_array_equal(TOY_SPEC.decode(predictions.encoded)[:, NOTE], notes)
    unknown = predict_bundle(load_bundle(noted_runs[preset], prefer_gpu=False), audio[:4])
    assert np.all(TOY_SPEC.decode(unknown.encoded)[:, NOTE] == 60)


# ------------------------------------------------------------------------------ warm start


def _encoder_weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    prefixes = ("encoder.", "note_embed.")
    return {k: v.clone() for k, v in model.state_dict().items() if k.startswith(prefixes)}


def test_cnf_encoder_starts_from_a_regression_run_and_stays_frozen_for_n_steps(
    noted_runs: dict[str, Path], toy_data: Path, tmp_path: Path
) -> None:
    source = noted_runs["ast-regression-run"]
    wanted = _encoder_weights(load_checkpoint(source).model)  # its EMA weights
    config = dataclasses.replace(
        _noted("ast-cnf-mlp", steps=2), init_encoder=str(source), freeze_encoder_steps=2
    )
    train(config, data=str(toy_data), run_dir=tmp_path / "a", progress=False, tensorboard=False)
    after = read_checkpoint(tmp_path / "a" / "last.pt")["model"]
    layers = after["encoder.queries"].shape[1]  # one query token per field layer ...
    assert layers == config.model.vector_field.depth and wanted["encoder.queries"].shape[1] == 1
    for key, value in wanted.items():
        if key == "encoder.queries":  # ... each a copy of the regression's one token
            value = value.expand(-1, layers, -1)
        elif key == "encoder.pos_embed":
            value = torch.cat([value[:, :1].expand(-1, layers, -1), value[:, 1:]], dim=1)
        if key.startswith("encoder."):  # frozen: exactly the regression's
            torch.testing.assert_close(after[key], value, rtol=0, atol=0)
    provenance.record(tmp_path / "a", ["train", "--init-encoder", str(source)], str(toy_data), 999)
    bundle = export_run(tmp_path / "a", tmp_path / "bundle", ExportOptions(macros=0))
    card = json.loads((bundle / "card.json").read_text())["training"]
    assert card["encoder_from"]["run"] == str(source) and card["encoder_from"]["frozen_steps"] == 2
    assert "--preset ast-regression" in card["encoder_from"]["commands"][-1]
    fresh = build_model(config.model, TOY_SPEC, TOY_FEATURES)
    assert any(not torch.equal(after[k], v) for k, v in fresh.state_dict().items()
               if k.startswith("field."))  # fmt: skip
    # unfrozen after step N: two more steps move the encoder; resuming needs no source run
    moved = shutil.copytree(source, tmp_path / "gone")
    longer = dataclasses.replace(config, steps=4, init_encoder=str(moved))
    train(longer, data=str(toy_data), run_dir=tmp_path / "b", progress=False, tensorboard=False,
          time_limit_s=0.0)  # fmt: skip
    shutil.rmtree(moved)
    train(longer, data=str(toy_data), run_dir=tmp_path / "b", progress=False, tensorboard=False)
    end = read_checkpoint(tmp_path / "b" / "last.pt")
    assert end["step"] == 4
    assert any(not torch.equal(end["model"][k], wanted[k]) for k in wanted
               if k.startswith("encoder."))  # fmt: skip


def test_warm_start_refuses_an_encoder_of_another_shape_or_other_features(
    noted_runs: dict[str, Path], toy_data: Path, tmp_path: Path
) -> None:
    from patchflow.train.checkpoint import CheckpointError
    from patchflow.train.warm_start import warm_start_encoder

    source = noted_runs["ast-regression-run"]
    config = _noted("ast-cnf-mlp")
    stats = load_checkpoint(source).stats
    wider = dataclasses.replace(config.model.encoder, d_model=24, d_ff=48)
    model = build_model(dataclasses.replace(config.model, encoder=wider), TOY_SPEC, TOY_FEATURES)
    with pytest.raises(CheckpointError, match="another shape"):
        warm_start_encoder(model, source, TOY_FEATURES, stats)
    model = build_model(config.model, TOY_SPEC, TOY_FEATURES)
    other = FeatureStats(stats.mean + 1.0, stats.std)
    with pytest.raises(CheckpointError, match="other statistics"):
        warm_start_encoder(model, source, TOY_FEATURES, other)
    with pytest.raises(CheckpointError, match="other features"):
        warm_start_encoder(model, source, dataclasses.replace(TOY_FEATURES, n_mels=16), stats)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        warm_start_encoder(model, tmp_path / "nothing.pt", TOY_FEATURES, stats)
    with pytest.raises(ValueError, match="needs init_encoder"):
        dataclasses.replace(config, freeze_encoder_steps=3)


# ------------------------------------------------------------------------------ temperature


def test_a_zero_temperature_bundle_gives_one_answer_whatever_the_seed(
    noted_runs: dict[str, Path], tmp_path: Path
) -> None:
    card = json.loads((noted_runs["ast-cnf-mlp"] / "card.json").read_text())
    assert card["solver"]["temperature"] == 1.0  # exported by default as before
    copy = _edited_copy(noted_runs["ast-cnf-mlp"], tmp_path / "cold",
                        lambda card: card["solver"].update(temperature=0.0))  # fmt: skip
    audio = _render(np.array([[0.3, 57, 1, 0.2]]))[0]
    warm = Predictor(load_bundle(noted_runs["ast-cnf-mlp"], prefer_gpu=False))
    cold = Predictor(load_bundle(copy, prefer_gpu=False))
    a, b = (warm.predict(audio, 16000, seed=s, note=57.0).encoded for s in (1, 2))
    assert not np.allclose(a, b)  # temperature 1: the seed draws another posterior sample
    a, b = (cold.predict(audio, 16000, seed=s, note=57.0).encoded for s in (1, 2))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(cold.answer_noise(5), np.zeros((1, TOY_SPEC.dim - 1)))
    # the zero-noise answer is the flow integrated from the noise's mean
    prepared = cold.prepare(audio, 16000)
    zero = cold.sample(cold.encode(prepared, 57.0), np.zeros((1, TOY_SPEC.dim - 1)), note=57.0)
    np.testing.assert_allclose(a, zero.encoded, atol=1e-4)
    hot = _edited_copy(copy, tmp_path / "hot", lambda card: card["solver"].update(temperature=1.5))
    with pytest.raises(BundleError, match="temperature must be in"):
        load_bundle(hot, prefer_gpu=False)
