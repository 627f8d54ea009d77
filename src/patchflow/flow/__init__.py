"""Rectified-flow building blocks that only do arithmetic (numpy or torch, no torch import).

- :mod:`patchflow.flow.path`: the linear path between noise (t = 0) and data (t = 1).
- :mod:`patchflow.flow.coupling`: independent or minibatch optimal-transport pairing.
- :mod:`patchflow.flow.solver`: fixed-step ODE solvers (Euler, midpoint, RK4).
- :mod:`patchflow.flow.guidance`: classifier-free guidance combination.
"""

from patchflow.flow.coupling import COUPLINGS, CoupledBatch, IndependentCoupling, OTCoupling
from patchflow.flow.guidance import cfg_combine
from patchflow.flow.path import PathSample, RectifiedPath
from patchflow.flow.solver import METHODS, ODESolver, SolverOutput

__all__ = [
    "COUPLINGS",
    "METHODS",
    "CoupledBatch",
    "IndependentCoupling",
    "ODESolver",
    "OTCoupling",
    "PathSample",
    "RectifiedPath",
    "SolverOutput",
    "cfg_combine",
]
