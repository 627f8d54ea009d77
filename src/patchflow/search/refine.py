"""CMA-ES refinement in the model's encoded [-1, 1] space, with restarts.

Only the continuous and discrete columns that the search may change are optimised (fixed
parameters and the placed note are not); categorical one-hots are taken from the run's start
candidate. Each run starts from a good candidate; when it stalls (``patience`` generations
without a relative gain of ``min_improvement``) or CMA-ES says it has converged, the next run
starts: alternately from the best patch so far and from the next of the best distinct proposals.
With ``racers`` > 1 refinement opens with a race: one run from each of the best distinct
candidates, a generation each in turn; every ``race_generations`` the worst run is dropped
until one is left (a local search from the single best proposal often sits in the wrong basin).
The searcher also tries crossovers between candidates on symmetry slots now and then (see
:class:`~patchflow.search.config.SearchConfig`): on k-osc the typical failure is one oscillator
hundreds of hertz from where it belongs, a move no local step makes; and scans of the
frequency parameters (a coarse scan over the whole range whose winner a smoothed distance
picks, then a fine scan around it scored by the real one; see ``Searcher``'s ``scan_step``);
and, on plug-in synths, sweeps of the categorical parameters (waveforms, filter type) around
the best patch, which CMA-ES leaves as its start candidate had them. A better patch from any of
these moves restarts CMA-ES around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from cmaes import CMA

from patchflow.search.config import SearchConfig
from patchflow.spec import SynthSpec

FAILED_SCORE = 1e6  # what CMA-ES is told for a candidate that could not be rendered
SEED_STREAM = 2


def search_columns(spec: SynthSpec, note_placed: bool) -> np.ndarray:
    """Encoded columns refinement may change: numeric, not fixed, not the placed note."""
    fixed = set(spec.fixed_indices)
    cols = [
        cols.start
        for j, (p, cols) in enumerate(zip(spec.params, spec.columns, strict=True))
        if p.kind != "categorical"
        and j not in fixed
        and not (note_placed and p.note_field == "pitch")
    ]
    return np.asarray(cols, dtype=np.int64)


@dataclass
class CmaRun:
    """One CMA-ES run around ``start`` (a full encoded vector) over ``columns``."""

    start: np.ndarray
    columns: np.ndarray
    optimizer: CMA
    best: float = float("inf")
    stalled: int = 0
    asked: list[np.ndarray] = field(default_factory=list)

    def ask(self) -> np.ndarray:
        """The next generation as full encoded vectors ``(population, D)``."""
        self.asked = [self.optimizer.ask() for _ in range(self.optimizer.population_size)]
        full = np.repeat(self.start[None], len(self.asked), axis=0)
        full[:, self.columns] = np.stack(self.asked)
        return full

    def tell(self, scores: np.ndarray, min_improvement: float) -> None:
        values = np.where(np.isfinite(scores), scores, FAILED_SCORE)
        self.optimizer.tell(list(zip(self.asked, values.tolist(), strict=True)))
        gen_best = float(values.min())
        if gen_best < self.best * (1.0 - min_improvement):
            self.best, self.stalled = gen_best, 0
        else:
            self.best = min(self.best, gen_best)
            self.stalled += 1

    def done(self, patience: int) -> bool:
        return self.stalled >= patience or self.optimizer.should_stop()


def step_shape(encoded: np.ndarray, columns: np.ndarray, ratio: float) -> np.ndarray:
    """Relative initial CMA-ES steps of ``columns`` from the spread of good proposals.

    Each column's step is its standard deviation across the ``encoded`` proposals ``(N, D)``
    divided by the geometric mean over the columns, clipped to ``[1/ratio, ratio]``: the
    parameters the model is sure of move little, the ones it is unsure of move more, at the
    same overall step size. ``(len(columns),)``.
    """
    spread = np.std(np.asarray(encoded, np.float64)[:, columns], axis=0) + 1e-3
    relative = spread / np.exp(np.mean(np.log(spread)))
    return np.clip(relative, 1.0 / ratio, ratio)


class Restarts:
    """Hands out CMA-ES runs for a search (see the module docstring)."""

    def __init__(
        self,
        columns: np.ndarray,
        config: SearchConfig,
        seed: int,
        shape: np.ndarray | None = None,
    ) -> None:
        self.columns = columns
        self.config = config
        self.seed = seed
        self.shape = shape  # relative initial step per column (None: the same for all)
        self.count = 0

    @property
    def population(self) -> int:
        return self.config.population or 4 + int(3 * np.log(max(2, len(self.columns))))

    def next_run(self, best: np.ndarray, starts: list[np.ndarray], best_score: float) -> CmaRun:
        """A run from the best patch (even restarts) or the next distinct proposal (odd)."""
        r = self.count
        others = starts[1:]
        from_best = r % 2 == 0 or not others
        start = best if from_best else others[(r // 2) % len(others)]
        return self.run_from(start, best_score if from_best else float("inf"))

    def run_from(self, start: np.ndarray, score: float) -> CmaRun:
        """A run around the encoded patch ``start`` whose score is ``score``."""
        r = self.count
        self.count += 1
        start = np.asarray(start, np.float64)
        mean = np.clip(start[self.columns], -1.0 + 1e-9, 1.0 - 1e-9)
        bounds = np.tile([-1.0, 1.0], (len(self.columns), 1))
        rng_seed = int(np.random.default_rng([self.seed, SEED_STREAM, r]).integers(2**31))
        optimizer = CMA(
            mean=mean,
            sigma=self.config.sigma,
            bounds=bounds,
            seed=rng_seed,
            population_size=self.population,
            cov=None if self.shape is None else np.diag(np.square(self.shape)),
        )
        return CmaRun(start=start.copy(), columns=self.columns, optimizer=optimizer, best=score)
