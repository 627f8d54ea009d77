"""Property and known-answer tests for patchflow.nn: equivariance, PARAM2TOK, CFG, models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from patchflow.data.render import feature_config_for
from patchflow.data.stream import KOscStream
from patchflow.features import FeatureConfig
from patchflow.flow import IndependentCoupling
from patchflow.nn.config import EncoderConfig, FieldConfig, HeadConfig, ModelConfig
from patchflow.nn.dit import DiT
from patchflow.nn.models import FlowModel, RegressionModel, build_model
from patchflow.nn.regression import chamfer_loss, slot_index
from patchflow.nn.tokenizers import FixedTokenizer, Param2Tok
from patchflow.synths.kosc import kosc_spec
from patchflow.train.config import PRESETS, preset_config
from patchflow.train.objective import FlowObjective, RegressionObjective

torch.set_num_threads(1)

K = 4
SPEC = kosc_spec(K)
RFFT = feature_config_for(SPEC, "kosc")
LOGMEL = FeatureConfig(kind="logmel", num_samples=4410, n_mels=32)
TINY_FIELD = FieldConfig(d_model=16, depth=2, heads=2, d_ff=32)


def _randomize_zero_init(module: nn.Module, seed: int = 0) -> None:
    """Give the zero-initialised AdaLN layers random weights so that blocks are not identities."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "adaLN_modulation" in name:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))


def _osc_permutation(x: torch.Tensor, perm: list[int]) -> torch.Tensor:
    """Permute the (freq, amp, wave) triples of ``(B, 3k)`` k-osc vectors."""
    return x.reshape(len(x), 3, K)[:, :, perm].reshape(len(x), 3 * K)


def _field_inputs(seed: int = 0, batch: int = 5) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, SPEC.dim, generator=g)
    t = torch.rand(batch, generator=g)
    cond = torch.randn(batch, TINY_FIELD.depth, 8, generator=g)
    return x, t, cond


def test_fixed_tokenizer_makes_one_token_per_oscillator() -> None:
    tok = FixedTokenizer(SPEC, 16)
    assert tok.num_tokens == K
    x = torch.randn(3, SPEC.dim)
    assert tok.tokenize(x).shape == (3, K, 16)
    assert tok.detokenize(tok.tokenize(x)).shape == (3, SPEC.dim)


@pytest.mark.parametrize("perm", [[1, 0, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]])
def test_fixed_tokenizer_dit_is_permutation_equivariant(perm: list[int]) -> None:
    torch.manual_seed(0)
    field = DiT(TINY_FIELD, FixedTokenizer(SPEC, 16), d_cond=8).eval()
    _randomize_zero_init(field)
    x, t, cond = _field_inputs()
    with torch.no_grad():
        out = field(x, t, cond)
        out_perm = field(_osc_permutation(x, perm), t, cond)
        # The backbone alone: permuting input tokens permutes output tokens.
        h = field.tokenizer.tokenize(x)
        c = field.c_embedder(t, cond)
        h_out, h_perm = h, h[:, perm]
        for i, block in enumerate(field.blocks):
            h_out, h_perm = block(h_out, c[:, i]), block(h_perm, c[:, i])
    assert out.abs().max() > 0.1  # not a trivial field
    torch.testing.assert_close(out_perm, _osc_permutation(out, perm), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(h_perm, h_out[:, perm], atol=1e-5, rtol=1e-5)


def test_param2tok_is_invariant_to_parameter_permutations_at_a_constant_init() -> None:
    torch.manual_seed(0)
    field = DiT(TINY_FIELD, Param2Tok(SPEC.dim, K, 16), d_cond=8).eval()
    _randomize_zero_init(field)
    x, t, cond = _field_inputs()
    perm = torch.randperm(SPEC.dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out = field(x, t, cond)
        out_perm = field(x[:, perm], t, cond)
        scale = out.abs().max()
        assert scale > 0.05
        # Any permutation of all 3k parameters commutes with the field up to the 1e-4 init noise.
        assert (out_perm - out[:, perm]).abs().max() < 1e-2 * scale
        # The test is sensitive: breaking the symmetric initialisation breaks the invariance.
        field.tokenizer.z_in.add_(0.3 * torch.randn_like(field.tokenizer.z_in))
        broken = field(x[:, perm], t, cond) - field(x, t, cond)[:, perm]
    assert broken.abs().max() > 0.05 * scale


def test_param2tok_uniform_init_gives_each_parameter_its_own_output() -> None:
    """Rows of A are distributions over the parameters, and the outputs differ per column."""
    torch.manual_seed(0)
    tok = Param2Tok(SPEC.dim, K, 16, assign_init="uniform")
    a = tok.assign.detach()
    assert (a >= 0).all()
    torch.testing.assert_close(a.sum(dim=1), torch.ones(K))
    constant = Param2Tok(SPEC.dim, K, 16)
    assert constant.assign_init == "constant"
    x = torch.full((2, SPEC.dim), 0.3)  # the same value in every column
    h = torch.randn(2, K, 16)  # any token states
    with torch.no_grad():
        for t, spread in ((tok, 1e-3), (constant, None)):
            out = t.detokenize(h + t.tokenize(x))  # (2, n)
            column_spread = (out - out.mean(dim=1, keepdim=True)).abs().max()
            if spread is None:  # symmetric start: every column the same up to the noise
                assert column_spread < 1e-2 * out.abs().max()
            else:
                assert column_spread > spread


def test_param2tok_rejects_an_unknown_assignment_init() -> None:
    with pytest.raises(ValueError, match="assign_init"):
        Param2Tok(6, 3, 8, assign_init="random")


def test_param2tok_penalty_is_the_mean_absolute_assignment() -> None:
    tok = Param2Tok(6, 3, 8)
    with torch.no_grad():
        tok.assign.copy_(torch.arange(18.0).reshape(3, 6) - 9)
    assert float(tok.penalty().detach()) == pytest.approx(np.abs(np.arange(18.0) - 9).mean())


def _tiny_flow(
    tokenizer: str = "param2tok", kind: str = "dit", time_encoding: str = "scalar"
) -> FlowModel:
    torch.manual_seed(0)
    config = ModelConfig(
        encoder=EncoderConfig(d_out=8, channels=(4, 4), hidden=16),
        vector_field=FieldConfig(
            kind=kind,
            tokenizer=tokenizer,
            d_model=16,
            depth=2,
            heads=2,
            d_ff=32,
            time_encoding=time_encoding,
            d_time=8,
        ),
    )
    model = build_model(config, SPEC, RFFT)
    assert isinstance(model, FlowModel)
    _randomize_zero_init(model)
    return model.eval()


@pytest.mark.parametrize(
    ("tokenizer", "kind"), [("fixed", "dit"), ("param2tok", "dit"), ("fixed", "mlp")]
)
def test_cfg_with_w_one_equals_the_conditional_field(tokenizer: str, kind: str) -> None:
    model = _tiny_flow(tokenizer, kind)
    x = torch.randn(3, SPEC.dim)
    t = torch.tensor([0.1, 0.5, 0.9])
    with torch.no_grad():
        cond = model.encode(torch.randn(3, *RFFT.shape))
        v_c = model.velocity(x, t, cond)
        v_u = model.velocity(x, t, model.null_cond.expand_as(cond))
        torch.testing.assert_close(model.guided_velocity(x, t, cond, torch.tensor(1.0)), v_c)
        torch.testing.assert_close(model.guided_velocity(x, t, cond, torch.tensor(0.0)), v_u)
        guided = model.guided_velocity(x, t, cond, torch.tensor(2.0))
    assert not torch.allclose(v_c, v_u)  # guidance makes a difference
    torch.testing.assert_close(guided, v_u + 2.0 * (v_c - v_u))


FIELDS = [
    ("fixed", "dit", "scalar"),
    ("param2tok", "dit", "sinusoidal"),
    ("fixed", "mlp", "scalar"),
]
FIELDS += [("fixed", "mlp", "sinusoidal")]


@pytest.mark.parametrize(("tokenizer", "kind", "time_encoding"), FIELDS)
def test_grid_modulation_is_the_modulation_at_every_time(
    tokenizer: str, kind: str, time_encoding: str
) -> None:
    field = _tiny_flow(tokenizer, kind, time_encoding).field
    times = torch.tensor([0.0, 0.25, 0.6, 1.0])
    cond = torch.randn(3, 2, 8)
    with torch.no_grad():
        grid = field.grid_modulation(times, cond)  # (E, R, depth, M)
        assert grid.shape[:3] == (4, 3, 2)
        for e, t in enumerate(times):
            each = field.modulation(t.expand(3), cond)  # (R, depth, M)
            torch.testing.assert_close(grid[e], each, atol=1e-6, rtol=1e-5)
        x = torch.randn(3, SPEC.dim)
        t = torch.full((3,), 0.6)
        torch.testing.assert_close(field.forward_modulated(x, grid[2]), field(x, t, cond))


@pytest.mark.parametrize("method", ["euler", "midpoint", "rk4"])
@pytest.mark.parametrize(("tokenizer", "kind", "time_encoding"), FIELDS)
def test_fused_sampler_graph_equals_the_solver_loop(
    method: str, tokenizer: str, kind: str, time_encoding: str
) -> None:
    from patchflow.export.graphs import SamplerGraph

    model = _tiny_flow(tokenizer, kind, time_encoding)
    features = torch.randn(2, *RFFT.shape)
    noise = torch.randn(2, SPEC.dim)
    with torch.no_grad():
        loop = model.sample(features, steps=3, method=method, cfg_scale=1.5, noise=noise)
        fused, cond = SamplerGraph(model, 3, method)(features, noise, torch.tensor(1.5))
    torch.testing.assert_close(fused, loop, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(cond, model.encode(features))


def test_drop_cond_replaces_only_the_dropped_rows() -> None:
    model = _tiny_flow()
    cond = torch.randn(3, 2, 8)
    out = model.drop_cond(cond, torch.tensor([False, True, False]))
    torch.testing.assert_close(out[[0, 2]], cond[[0, 2]])
    torch.testing.assert_close(out[1], model.null_cond)


def test_sample_is_deterministic_given_the_noise() -> None:
    model = _tiny_flow()
    features = torch.randn(2, *RFFT.shape)
    noise = torch.randn(2, SPEC.dim)
    a = model.sample(features, steps=3, method="midpoint", cfg_scale=2.0, noise=noise)
    b = model.sample(features, steps=3, method="midpoint", cfg_scale=2.0, noise=noise.clone())
    assert a.shape == (2, SPEC.dim)
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds_at_tiny_size(name: str) -> None:
    config = preset_config(name, "tiny")
    features = LOGMEL if config.model.encoder.kind == "ast" else RFFT
    model = build_model(config.model, SPEC, features).eval()
    x = torch.randn(2, *features.shape)
    with torch.no_grad():
        if config.model.kind == "cnf":
            assert isinstance(model, FlowModel)
            cond = model.encode(x)
            assert cond.shape[:2] == (2, config.model.vector_field.depth)
            assert model.null_cond.shape == cond.shape[1:]
            assert model.velocity(torch.randn(2, SPEC.dim), torch.rand(2), cond).shape == (
                2,
                SPEC.dim,
            )
            assert model.sample(x, steps=2, method="euler").shape == (2, SPEC.dim)
        else:
            assert isinstance(model, RegressionModel)
            pred = model.predict(x)
            assert pred.shape == (2, SPEC.dim) and pred.abs().max() <= 1.0


def test_encoders_refuse_the_wrong_features() -> None:
    with pytest.raises(ValueError, match="needs 'logmel'"):
        build_model(preset_config("ast-cnf-mlp", "tiny").model, SPEC, RFFT)
    with pytest.raises(ValueError, match="needs 'rfft'"):
        build_model(preset_config("cnf-mlp", "tiny").model, SPEC, LOGMEL)


def test_chamfer_loss_known_answers() -> None:
    groups = slot_index(SPEC)
    target = torch.randn(3, SPEC.dim)
    permuted = _osc_permutation(target, [2, 0, 3, 1])
    assert float(chamfer_loss(permuted, target, groups)) == pytest.approx(0.0, abs=1e-12)
    # One of k far-apart oscillators off by (1, 0, 0): it stays the nearest neighbour both ways,
    # so each direction averages 1 / k over the k tokens.
    sep = target.clone()
    sep[:, :K] = torch.tensor([-10.0, 0.0, 10.0, 20.0])  # far-apart oscillators
    shifted = sep.clone()
    shifted[:, 0] += 1.0
    assert float(chamfer_loss(shifted, sep, groups)) == pytest.approx(2.0 / K)
    mse = nn.functional.mse_loss(permuted, target)
    assert mse > 0.1  # while the plain MSE is not permutation invariant


def _tiny_batch(k: int = 1) -> tuple[KOscStream, torch.Tensor, torch.Tensor]:
    stream = KOscStream(k=k, batch_size=2, seed=0)
    batch = stream.batch(0)
    stats = stream.estimate_stats(2)
    params = torch.from_numpy(batch.params).repeat(32, 1)
    features = torch.from_numpy(stats.apply(batch.features)).repeat(32, 1, 1)
    return stream, params, features


def test_a_tiny_flow_model_overfits_a_tiny_batch() -> None:
    # k = 1 has no symmetry, so each clip determines its parameters and the optimal flow loss is 0.
    stream, params, features = _tiny_batch(k=1)
    torch.manual_seed(0)
    config = ModelConfig(
        encoder=EncoderConfig(d_out=32, channels=(4, 8), hidden=32),
        vector_field=FieldConfig(tokenizer="param2tok", d_model=32, depth=2, heads=2, d_ff=64),
        cfg_dropout=0.0,
    )
    model = build_model(config, stream.spec, stream.feature_config)
    objective = FlowObjective(IndependentCoupling(), cfg_dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for step in range(150):
        out = objective(model, params, features, torch.Generator().manual_seed(step))
        optimizer.zero_grad()
        out.total.backward()
        optimizer.step()
        losses.append(float(out.parts["flow_mse"]))
    model.eval()
    pred = model.sample(
        features[:2], steps=10, cfg_scale=1.0, generator=torch.Generator().manual_seed(1)
    )
    assert np.mean(losses[-10:]) < 0.3 * np.mean(losses[:5])
    assert float(((pred - params[:2]) ** 2).mean()) < 0.05  # random guesses score about 0.67


def test_a_tiny_regression_model_overfits_a_tiny_batch() -> None:
    stream, params, features = _tiny_batch(k=2)
    torch.manual_seed(0)
    config = ModelConfig(
        kind="regression",
        encoder=EncoderConfig(d_out=32, channels=(4, 8), hidden=32),
        head=HeadConfig(width=32, blocks=1, loss="mse"),
    )
    model = build_model(config, stream.spec, stream.feature_config)
    objective = RegressionObjective()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(100):
        out = objective(model, params, features, torch.Generator().manual_seed(step))
        optimizer.zero_grad()
        out.total.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        assert float(nn.functional.mse_loss(model.predict(features), params)) < 1e-3
