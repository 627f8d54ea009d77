"""Known-answer tests for patchflow.flow: path, couplings, ODE solvers, guidance."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from patchflow.flow import (
    METHODS,
    IndependentCoupling,
    ODESolver,
    OTCoupling,
    RectifiedPath,
    cfg_combine,
)

ORDERS = {"euler": 1, "midpoint": 2, "rk4": 4}


def test_path_endpoints_and_velocity() -> None:
    rng = np.random.default_rng(0)
    x_0, x_1 = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    t = np.array([0.0, 1.0, 0.5, 0.25, 0.75])
    s = RectifiedPath().sample(x_0=x_0, x_1=x_1, t=t)
    np.testing.assert_allclose(s.x_t[0], x_0[0])
    np.testing.assert_allclose(s.x_t[1], x_1[1])
    np.testing.assert_allclose(s.x_t[2], (x_0[2] + x_1[2]) / 2)
    np.testing.assert_allclose(s.x_t[3], 0.75 * x_0[3] + 0.25 * x_1[3])
    np.testing.assert_allclose(s.dx_t, x_1 - x_0)
    st = RectifiedPath().sample(
        x_0=torch.from_numpy(x_0), x_1=torch.from_numpy(x_1), t=torch.from_numpy(t)
    )
    np.testing.assert_allclose(st.x_t.numpy(), s.x_t)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("dim", [2, 12])
def test_ot_never_costs_more_than_identity(seed: int, dim: int) -> None:
    rng = np.random.default_rng(seed)
    x_0, x_1 = rng.normal(size=(64, dim)), rng.uniform(-1, 1, size=(64, dim))
    pair = OTCoupling().pair(x_0, x_1)
    ot_cost = np.linalg.norm(pair.x_0 - pair.x_1, axis=1).sum()
    identity_cost = np.linalg.norm(x_0 - x_1, axis=1).sum()
    assert ot_cost <= identity_cost + 1e-9
    assert sorted(pair.index.tolist()) == list(range(64))  # a permutation of the data


def test_ot_matches_brute_force_on_a_small_batch() -> None:
    rng = np.random.default_rng(3)
    x_0, x_1 = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    cost = np.linalg.norm(x_0[:, None] - x_1[None], axis=-1)
    best = min(sum(cost[i, p[i]] for i in range(6)) for p in itertools.permutations(range(6)))
    pair = OTCoupling().pair(x_0, x_1)
    assert np.linalg.norm(pair.x_0 - pair.x_1, axis=1).sum() == pytest.approx(best)


def test_couplings_reorder_attached_arrays_with_the_data() -> None:
    rng = np.random.default_rng(1)
    x_0 = rng.normal(size=(16, 4))
    x_1 = x_0[rng.permutation(16)] + 1e-3  # a shuffled near-copy: OT must undo the shuffle
    labels = np.arange(16)
    pair = OTCoupling().pair(x_0, x_1, labels, x_1 * 2)
    np.testing.assert_allclose(pair.x_1, x_0 + 1e-3)
    np.testing.assert_array_equal(pair.others[0], pair.index)
    np.testing.assert_allclose(pair.others[1], pair.x_1 * 2)
    same = IndependentCoupling().pair(x_0, x_1, labels)
    assert same.x_1 is x_1 and same.others[0] is labels


def test_ot_coupling_on_torch_tensors() -> None:
    g = torch.Generator().manual_seed(0)
    x_0, x_1 = torch.randn(32, 5, generator=g), torch.rand(32, 5, generator=g)
    feats = torch.arange(32)[:, None].float()
    pair = OTCoupling().pair(x_0, x_1, feats)
    assert isinstance(pair.x_1, torch.Tensor)
    torch.testing.assert_close(pair.x_1, x_1[torch.from_numpy(pair.index)])
    torch.testing.assert_close(pair.others[0][:, 0].long(), torch.from_numpy(pair.index))


def _linear_field(x: np.ndarray, t: np.ndarray, cond: object) -> np.ndarray:
    """dx/dt = x + t; from x(0) = 1 the solution is x(t) = 2 e^t - t - 1."""
    return x + t[:, None]


EXACT = 2 * math.e - 2


@pytest.mark.parametrize("method", METHODS)
def test_solvers_reach_their_order_of_accuracy(method: str) -> None:
    solver = ODESolver(velocity=_linear_field)
    x0 = np.ones((2, 3))
    errors = []
    for steps in (16, 32, 64):
        out = solver.sample(x_init=x0, steps=steps, method=method)
        assert out.nfe == steps * {"euler": 1, "midpoint": 2, "rk4": 4}[method]
        errors.append(abs(out.x[0, 0] - EXACT))
    for coarse, fine in itertools.pairwise(errors):
        assert math.log2(coarse / fine) == pytest.approx(ORDERS[method], abs=0.1)


def test_rk4_integrates_a_cubic_in_time_exactly() -> None:
    # The flow_matching known answer: integrating 3 t^2 from 0 to 1 adds exactly 1.
    solver = ODESolver(velocity=lambda x, t, cond: np.broadcast_to(3 * t[:, None] ** 2, x.shape))
    out = solver.sample(x_init=np.array([[1.0], [0.0]]), steps=1, method="rk4")
    np.testing.assert_allclose(out.x, [[2.0], [1.0]], atol=1e-12)


def test_solver_passes_cond_and_batch_times() -> None:
    seen = []

    def field(x: np.ndarray, t: np.ndarray, cond: np.ndarray) -> np.ndarray:
        seen.append(t.copy())
        return np.broadcast_to(cond, x.shape)

    out = ODESolver(velocity=field).sample(
        x_init=np.zeros((3, 2)), steps=4, method="euler", cond=np.array([[1.0, -2.0]])
    )
    np.testing.assert_allclose(out.x, np.tile([1.0, -2.0], (3, 1)))
    assert [s.tolist() for s in seen] == [[v] * 3 for v in (0.0, 0.25, 0.5, 0.75)]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("steps", "t_start", "t_end"), [(1, 0.0, 1.0), (3, 0.0, 1.0), (4, 0.2, 0.9)]
)
def test_evaluation_times_are_the_times_the_solver_calls(
    method: str, steps: int, t_start: float, t_end: float
) -> None:
    seen: list[float] = []

    def field(x: np.ndarray, t: np.ndarray, cond: object) -> np.ndarray:
        seen.append(float(t[0]))
        return -x

    solver = ODESolver(velocity=field)
    solver.sample(x_init=np.ones((2, 1)), steps=steps, method=method, t_start=t_start, t_end=t_end)
    times = ODESolver.evaluation_times(steps, method, t_start, t_end)
    assert times == seen  # the same floats, in call order
    assert len(times) == steps * {"euler": 1, "midpoint": 2, "rk4": 4}[method]


@pytest.mark.parametrize("method", METHODS)
def test_solver_gives_the_same_answer_on_torch_and_numpy(method: str) -> None:
    x0 = np.random.default_rng(0).normal(size=(4, 3))
    ref = ODESolver(velocity=_linear_field).sample(x_init=x0, steps=5, method=method).x

    def torch_field(x: torch.Tensor, t: torch.Tensor, cond: object) -> torch.Tensor:
        assert t.shape == (4,) and t.dtype == x.dtype
        return x + t[:, None]

    out = ODESolver(velocity=torch_field).sample(
        x_init=torch.from_numpy(x0), steps=5, method=method
    )
    np.testing.assert_allclose(out.x.numpy(), ref, rtol=1e-12)


def test_solver_refuses_unknown_methods_and_zero_steps() -> None:
    solver = ODESolver(velocity=_linear_field)
    with pytest.raises(ValueError, match="unknown ODE method"):
        solver.sample(x_init=np.ones((1, 1)), steps=2, method="heun")
    with pytest.raises(ValueError, match="steps"):
        solver.sample(x_init=np.ones((1, 1)), steps=0)


def test_cfg_combine_known_answers() -> None:
    v_c, v_u = np.array([[1.0, 2.0]]), np.array([[0.5, -1.0]])
    np.testing.assert_allclose(cfg_combine(v_cond=v_c, v_uncond=v_u, w=1.0), v_c)
    np.testing.assert_allclose(cfg_combine(v_cond=v_c, v_uncond=v_u, w=0.0), v_u)
    np.testing.assert_allclose(cfg_combine(v_cond=v_c, v_uncond=v_u, w=2.0), [[1.5, 5.0]])


def test_flow_package_never_imports_torch() -> None:
    code = (
        "import sys, numpy as np\n"
        "from patchflow.flow import ODESolver, OTCoupling, RectifiedPath, cfg_combine\n"
        "ODESolver(velocity=lambda x, t, c: -x).sample(x_init=np.ones((2, 2)), steps=3)\n"
        "OTCoupling().pair(np.zeros((3, 2)), np.ones((3, 2)))\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
