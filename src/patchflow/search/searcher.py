"""The anytime matcher: one-shot answer, model proposals, then CMA-ES refinement.

Flow samples cost a model call each; with ``first_proposals`` set (k-osc) only a few are rendered
before refinement starts and the rest are drawn in growing batches between CMA-ES generations
(a better one restarts refinement around it), so a short budget refines good proposals instead
of waiting for all of them.

:meth:`Searcher.run` is a generator. It yields the model's one-shot answer first (stage
``"model"``), then an :class:`Improvement` each time a batch of renders finds a better patch, and
last one ``final`` improvement with the top distinct candidates: when the budget is spent, the
caller's ``cancel`` event is set, or nothing is left to try. Budget and cancellation are checked
between batches (at most one proposal batch or one CMA-ES generation runs after ``cancel``; a
plug-in pool stops handing out renders at once). For a given seed and render budget (and a time
budget that does not run out first) the search renders the same patches in the same order.

Renders are scored where they are made (:meth:`Renderer.score`): a plug-in pool's workers render
and score in parallel and send back one number per candidate; only scans, whose coarse winner
a second distance picks, bring the audio back.

Ranking and reporting: where :func:`~patchflow.search.scoring.ranker_for` gives a cheaper distance
(the MSS of a stereo target's mix), candidates are ranked by it (refinement, restarts, sweeps
work on the best by rank) and each new best by rank is rendered once more and scored with the
real distance. The search answers with the best patch by the real distance among those, and
reports that distance; without a ranker both are the real distance.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING

import numpy as np

from patchflow.inference import prepare_audio
from patchflow.note_conditioning import conditioning_note
from patchflow.search.config import SearchConfig
from patchflow.search.notes import finalize, place_target_note
from patchflow.search.proposals import Proposer
from patchflow.search.refine import CmaRun, Restarts, search_columns, step_shape
from patchflow.search.renderers import Renderer, ScoreBatch
from patchflow.search.results import Candidate, Improvement, SearchBudget
from patchflow.search.scoring import guide_for, ranker_for, scorer_for
from patchflow.spec import SynthSpec, banned_choices

if TYPE_CHECKING:
    from patchflow.inference import Predictor
    from patchflow.pitch import NotePlacement

log = logging.getLogger(__name__)

DISTINCT_UNIT = 1e-3  # candidates closer than this in every 0..1 parameter count as one
TOP_BLOCK = 64  # top_candidates looks at the best patches this many at a time
SCAN_STREAM = 3  # scan grids' offsets come from rng([seed, 3, scan number])


class Searcher:
    """Matches audio by rendering patches with the synth (see the module docstring).

    Args:
        spec: The synth spec (the model's and the renderer's).
        renderer: Renders native patches (:func:`~patchflow.search.open_renderer`).
        predictor: The model proposing patches (``None``: the spec's prior proposes).
        config: Search settings (default: :meth:`SearchConfig.for_spec`).
        clock: Seconds, for the time budget and ``elapsed_s`` (default: wall-clock
            ``time.monotonic``; a benchmark on a busy machine may pass ``time.process_time``).
    """

    def __init__(
        self,
        spec: SynthSpec,
        renderer: Renderer,
        *,
        predictor: Predictor | None = None,
        config: SearchConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec = spec
        self.renderer = renderer
        self.predictor = predictor
        self.config = config or SearchConfig.for_spec(spec)
        self.clock = clock

    def __repr__(self) -> str:
        source = "prior" if self.predictor is None else self.predictor.card.name
        return f"Searcher({self.spec.synth!r}, {source}, {self.renderer!r})"

    def run(
        self,
        audio: np.ndarray,
        sample_rate: int,
        *,
        budget: SearchBudget,
        seed: int = 0,
        cancel: threading.Event | None = None,
        top_k: int = 4,
    ) -> Iterator[Improvement]:
        """Search for ``audio`` ``(T,)`` or ``(C, T)`` at ``sample_rate`` Hz.

        Raises:
            AudioError: The audio cannot be matched (silent, empty, too short or long, ...).
        """
        return _Run(self, audio, sample_rate, budget, seed, cancel, top_k).iterate()


def _with_first(chunks: Iterator[np.ndarray], extra: np.ndarray) -> Iterator[np.ndarray]:
    """``chunks`` with ``extra`` rows appended to the first one (``extra`` alone if none)."""
    first = next(chunks, None)
    yield extra if first is None else np.concatenate([first, extra.astype(first.dtype)])
    yield from chunks


def prepare_target(audio: np.ndarray, sample_rate: int, renderer: Renderer) -> np.ndarray:
    """The target ``(C, T)`` as a search scores it: prepared like the model's input
    (:meth:`Predictor.prepare`), at the renderer's rate, channels and length."""
    return prepare_audio(
        audio,
        sample_rate,
        target_rate=renderer.sample_rate,
        channels=renderer.channels,
        num_samples=renderer.num_samples,
        min_samples=max(1, renderer.num_samples // 4),
    )[0]


class _Run:
    """The state of one search (archive of scored patches, counters, the clock)."""

    def __init__(
        self,
        searcher: Searcher,
        audio: np.ndarray,
        sample_rate: int,
        budget: SearchBudget,
        seed: int,
        cancel: threading.Event | None,
        top_k: int,
    ) -> None:
        self.clock = searcher.clock
        self.t0 = self.clock()
        self.spec, self.config, self.renderer = searcher.spec, searcher.config, searcher.renderer
        self.budget, self.seed, self.top_k = budget, seed, top_k
        self.cancel = cancel or threading.Event()
        r = self.renderer
        model_audio = (
            None if searcher.predictor is None else searcher.predictor.prepare(audio, sample_rate)
        )
        self.target = prepare_target(audio, sample_rate, r)
        self.placement: NotePlacement | None = place_target_note(
            self.spec, self.target, r.sample_rate
        )
        self.scorer = scorer_for(self.target, r.sample_rate)
        self.ranker = ranker_for(self.target, r.sample_rate) if self.config.rank_by_mix else None
        self.guide = guide_for(self.target)
        self.guide_scores = np.zeros(0)  # the guide's scores of the last evaluate(guided=True)
        note = conditioning_note(self.placement)  # told to note-conditioned bundles
        self.proposer = Proposer.for_target(self.spec, searcher.predictor, model_audio,
                                            self.config, note)  # fmt: skip
        self.natives: list[np.ndarray] = []
        self.scores: list[float] = []  # ranking distance (the ranker's, else the scorer's)
        self.reported: list[float] = []  # the scorer's distance (nan: not scored by it)
        self.best_index = -1  # best row by rank: where refinement works
        self.report_index = -1  # best row by the scorer: the answer
        self.yielded = -1  # report_index of the last improvement yielded
        self.renders = 0
        self.stage = "model"
        self.render_s = 0.0  # seconds per render in the last batch (no batch starts that can't end)
        self.pending: Iterator[np.ndarray] | None = None  # flow samples drawn during refinement
        self.proposed: list[int] = []  # archive rows of proposals (restart points)
        self.generations = 0  # CMA-ES generations rendered
        self.proposals_due = 0  # generation at which the next pending batch is rendered
        self.chosen_for = -1  # archive row of the best patch the last choice sweep started from

    # ---- bookkeeping ------------------------------------------------------------------------

    @property
    def elapsed_s(self) -> float:
        return self.clock() - self.t0

    @property
    def best_score(self) -> float:
        return self.scores[self.best_index] if self.best_index >= 0 else math.inf

    def stopped(self, batch: int = 1) -> bool:
        """Whether a batch of ``batch`` renders may not start (budget spent or cancelled)."""
        if self.cancel.is_set() or self.budget.exhausted(self.elapsed_s, self.renders):
            return True
        left = self.budget.renders_left(self.renders)
        if left is not None and left < batch:
            return True
        return self.elapsed_s + self.render_s * batch > self.budget.seconds

    def candidate(self, native: np.ndarray, score: float) -> Candidate:
        native = np.asarray(native, np.float64)
        return Candidate(
            native=native.astype(np.float32),
            unit=self.spec.to_unit(native)[0].astype(np.float32),
            encoded=self.spec.encode(native)[0],
            score=float(score),
        )

    def improvement(self, final: bool = False) -> Improvement:
        candidates = self.answers() if final else ()
        self.yielded = self.report_index
        row = self.report_index
        best = self.candidate(self.natives[row], self.reported[row])
        return Improvement(
            best=best,
            renders=self.renders,
            elapsed_s=self.elapsed_s,
            stage=self.stage,
            final=final,
            note=self.placement,
            candidates=candidates,
            scorer=self.scorer.name,
        )

    def reports(self) -> Iterator[Improvement]:
        """The answer, if it is better than the last one yielded."""
        if self.report_index >= 0 and self.report_index != self.yielded:
            yield self.improvement()

    def answers(self) -> tuple[Candidate, ...]:
        """The top ``top_k`` distinct patches by the scorer, among those it scored; the top ones
        by rank that it has not scored are rendered again for it first (in one batch, as far as
        a render budget allows)."""
        todo = [i for i in self.top_rows(self.top_k) if math.isnan(self.reported[i])]
        left = self.budget.renders_left(self.renders)
        todo = todo if left is None else todo[:left]
        if todo and not self.cancel.is_set():
            natives = np.stack([self.natives[i] for i in todo])
            again = self.renderer.score(natives, self.scorer, self.cancel).scores
            self.renders += len(todo)
            for i, score in zip(todo, again, strict=True):
                self.reported[i] = float(score)
                if score < self.reported[self.report_index]:
                    self.report_index = i
        scored = [i for i, r in enumerate(self.reported) if not math.isnan(r)]
        rows = self.top_rows(rows=scored, by_report=True)
        return tuple(self.candidate(self.natives[i], self.reported[i]) for i in rows)

    def top_candidates(
        self, k: int | None = None, rows: list[int] | None = None
    ) -> tuple[Candidate, ...]:
        """The best ``k`` (default ``top_k``) distinct patches by rank, best first, of archive
        ``rows`` (ascending; default: all)."""
        return tuple(
            self.candidate(self.natives[i], self.scores[i]) for i in self.top_rows(k, rows)
        )

    def top_rows(
        self, k: int | None = None, rows: list[int] | None = None, by_report: bool = False
    ) -> list[int]:
        """Archive rows of the best ``k`` (default ``top_k``) distinct patches, best first, of
        ``rows`` (ascending; default: all), by rank (``by_report``: by the scorer's distance)."""
        k = self.top_k if k is None else k
        if k < 1:
            return []
        scores = np.asarray(self.reported if by_report else self.scores)
        if rows is None:
            order = np.argsort(scores, kind="stable")
        else:
            order = np.asarray(rows, np.int64)[np.argsort(scores[rows], kind="stable")]
        chosen: list[int] = []
        units: dict[int, np.ndarray] = {}
        for start in range(0, len(order), TOP_BLOCK):  # 0..1 values of the best ones only
            block = order[start : start + TOP_BLOCK]
            block_units = self.spec.to_unit(np.stack([self.natives[i] for i in block]))
            units.update(zip(block.tolist(), block_units, strict=True))
            for i in block.tolist():
                if all(np.max(np.abs(units[i] - units[j])) > DISTINCT_UNIT for j in chosen):
                    chosen.append(i)
                    if len(chosen) == k:
                        break
            if len(chosen) == k:
                break
        return chosen

    def evaluate(self, encoded: np.ndarray, guided: bool = False) -> tuple[np.ndarray, bool]:
        """Render and score encoded patches ``(N, D)``; returns scores and whether one is best
        (``guided``: the guide's scores too, in ``guide_scores``)."""
        start = self.clock()
        native = finalize(self.spec, encoded, self.placement)
        ranker = self.ranker or self.scorer
        if guided:  # the audio comes back: the guide scores it too
            batch = self.renderer.render(native, self.cancel)
            scores = ScoreBatch.of(batch, ranker).scores
            guided_by = None if self.guide is None else ScoreBatch.of(batch, self.guide)
            self.guide_scores = scores.copy() if guided_by is None else guided_by.scores
        else:  # scored where it was rendered (a pool's workers)
            scores = self.renderer.score(native, ranker, self.cancel).scores
        self.renders += len(native)
        before = self.best_score
        for row, score in zip(native, scores, strict=True):
            if math.isfinite(score):
                self.keep(row, float(score), math.nan if self.ranker else float(score))
                if score < self.best_score:
                    self.best_index = len(self.scores) - 1
        improved = self.best_score < before
        if improved:
            self.confirm(self.best_index)
        self.render_s = (self.clock() - start) / max(1, len(native))
        return scores, improved

    def keep(self, native: np.ndarray, score: float, reported: float) -> None:
        """Add a patch to the archive."""
        self.natives.append(native)
        self.scores.append(score)
        self.reported.append(reported)

    def confirm(self, row: int) -> None:
        """Score archive ``row``, the new best by rank, with the scorer (rendering it again when
        it was ranked by the ranker and a render is left); it becomes the answer if better."""
        left = self.budget.renders_left(self.renders)
        if self.ranker is not None and (left is None or left > 0) and not self.cancel.is_set():
            again = self.renderer.score(self.natives[row][None], self.scorer, self.cancel)
            self.reported[row] = float(again.scores[0])
            self.renders += 1
        answer = self.reported[self.report_index] if self.report_index >= 0 else math.inf
        if self.reported[row] < answer:
            self.report_index = row

    # ---- stages -----------------------------------------------------------------------------

    def iterate(self) -> Iterator[Improvement]:
        first = self.proposer.first(self.seed)
        deferred = None
        if self.config.score_first and self.budget.renders != 0:
            self.evaluate(first)
            self.proposed.extend(range(len(self.scores)))  # a restart point too
        else:  # answer at once; the one-shot is scored with the first proposals
            self.keep_unscored(first)
            deferred = first
        if self.report_index < 0:  # the one-shot render failed: keep it, unscored
            self.keep_unscored(first)
        yield self.improvement()
        if not self.budget.one_shot:
            yield from self.proposals(deferred)
            yield from self.refine()
        yield self.improvement(final=True)

    def proposals(self, deferred: np.ndarray | None) -> Iterator[Improvement]:
        """Render the proposals (with ``first_proposals`` set, only the first flow samples: the
        rest wait in ``pending`` for :meth:`more_proposals`)."""
        c = self.config
        lazy = self.proposer.costly and c.first_proposals is not None
        first = c.first_proposals if lazy else None  # later flow batches double up to batch
        chunks = self.proposer.chunks(c.proposals, self.seed, c.batch, first, grow=lazy)
        mix = self.proposer.prior_mix(c.prior_proposals, self.seed)
        if len(mix):  # rendered with the first model proposals
            chunks = _with_first(chunks, mix)
        if deferred is not None:  # the unscored one-shot answer goes first
            chunks = itertools.chain([deferred], chunks)
            for column in (self.natives, self.scores, self.reported):
                column.pop(0)
            self.best_index = self.report_index = -1
        chunks = iter(chunks)
        if lazy:
            self.pending = chunks
        for chunk in itertools.islice(chunks, (2 if deferred is not None else 1) if lazy else None):
            chunk = chunk[: self.fitting(len(chunk))]
            if len(chunk) == 0 or self.stopped(len(chunk)):
                break
            self.stage = "proposals"
            yield from self.render_proposals(chunk)
        if self.report_index < 0 and deferred is not None:  # nothing scored: keep it unscored
            self.keep_unscored(deferred)

    def keep_unscored(self, encoded: np.ndarray) -> None:
        """Keep the one-shot answer ``(1, D)`` unscored (infinite distance) as the answer."""
        self.keep(finalize(self.spec, encoded, self.placement)[0], math.inf, math.inf)
        self.best_index = self.report_index = len(self.scores) - 1

    def render_proposals(self, chunk: np.ndarray) -> Generator[Improvement, None, bool]:
        """Render and score proposals, keep them as restart points; returns whether one is the
        new best (and yields it then)."""
        start = len(self.scores)
        _, improved = self.evaluate(chunk)
        self.proposed.extend(range(start, len(self.scores)))
        yield from self.reports()
        return improved

    def more_proposals(self) -> Generator[Improvement, None, bool]:
        """The next batch of pending flow samples, when due (every ``proposal_every`` CMA-ES
        generations, as long as any are left and the budget allows). Returns whether one of
        them is the new best."""
        if self.pending is None or self.generations < self.proposals_due or self.stopped():
            return False
        self.proposals_due = self.generations + self.config.proposal_every
        chunk = next(self.pending, None)
        if chunk is None:
            self.pending = None
            return False
        chunk = chunk[: self.fitting(len(chunk))]
        if len(chunk) == 0 or self.stopped(len(chunk)):
            return False
        self.stage = "proposals"
        return (yield from self.render_proposals(chunk))

    def fitting(self, n: int) -> int:
        """How many of ``n`` renders fit in the budget left (at least 1 while time is left)."""
        left = self.budget.renders_left(self.renders)
        n = n if left is None else min(n, left)
        if self.render_s > 0 and not math.isinf(self.budget.seconds):
            time_left = self.budget.seconds - self.elapsed_s
            n = min(n, max(1, int(time_left / self.render_s)))
        return n

    def refine(self) -> Iterator[Improvement]:
        columns = search_columns(self.spec, self.placement is not None)
        if len(columns) == 0 or not math.isfinite(self.best_score):
            while self.pending is not None:  # nothing to refine: the proposals are all there is
                self.proposals_due = self.generations
                yield from self.more_proposals()
                if self.stopped():
                    break
            return
        restarts = Restarts(columns, self.config, self.seed, self.proposal_shape(columns))
        run = yield from self.race(restarts)
        scan_columns = self.scan_columns(columns)
        generation = 0
        while not self.stopped(restarts.population):
            if (yield from self.more_proposals()):  # a better proposal: refine around it
                run = restarts.run_from(self.best_encoded(), self.best_score)
                continue
            every = self.config.scan_every
            if every and len(scan_columns) and generation % every == 0:
                column = scan_columns[(generation // every) % len(scan_columns)]
                if (yield from self.scan_step(int(column), generation // every)):
                    run = restarts.run_from(self.best_encoded(), self.best_score)
            every = self.config.crossover_every
            if every and generation and generation % every == 0:
                if (yield from self.try_children(self.crossovers())):  # a slot moved
                    run = restarts.run_from(self.best_encoded(), self.best_score)
            every = self.config.choice_every
            if every and generation % every == 0 and self.best_index != self.chosen_for:
                self.chosen_for = self.best_index
                if (yield from self.try_children(self.choice_children())):  # a category changed
                    run = restarts.run_from(self.best_encoded(), self.best_score)
            if run is None or run.done(self.config.patience):
                run = restarts.next_run(self.best_encoded(), self.restart_points(), self.best_score)
            self.stage = "refine"
            scores, _ = self.evaluate(run.ask())
            run.tell(scores, self.config.min_improvement)
            self.generations += 1
            generation += 1
            yield from self.reports()

    def proposal_shape(self, columns: np.ndarray) -> np.ndarray | None:
        """Relative CMA-ES steps of ``columns`` from the spread of the best half of the model's
        proposals rendered so far (``None``: the config does not ask for it, or too few)."""
        c = self.config
        if not c.proposal_steps or self.proposer.kind != "cnf":
            return None
        rows = sorted(self.proposed, key=lambda i: self.scores[i])
        rows = rows[: max(c.proposal_steps_min, len(rows) // 2)]
        if len(rows) < c.proposal_steps_min:
            return None
        encoded = self.spec.encode(np.stack([self.natives[i] for i in rows]))
        return step_shape(encoded, columns, c.proposal_steps_ratio)

    def scan_columns(self, columns: np.ndarray) -> np.ndarray:
        """The searched columns of parameters measured in the config's ``scan_units``."""
        units = self.config.scan_units
        scanned = {c.start for p, c in zip(self.spec.params, self.spec.columns, strict=True)
                   if p.unit in units}  # fmt: skip
        return np.asarray([c for c in columns if c in scanned], dtype=np.int64)

    def scan_step(self, column: int, count: int) -> Generator[Improvement, None, bool]:
        """A coarse scan of encoded ``column`` over its whole range, its winner picked by the
        guide (the smoothed distance), then a fine scan around the winner's value scored by the
        real distance. Returns whether the best patch improved."""
        coarse = self.scan(column, count)
        if self.stopped(len(coarse)):
            return False
        _, improved = self.evaluate(coarse, guided=True)
        centre = coarse[int(np.argmin(self.guide_scores))]  # the best itself is the last row
        c = self.config
        if c.scan_local:
            fine = np.repeat(centre[None], c.scan_local, axis=0)
            offsets = c.scan_local_width * np.linspace(-1.0, 1.0, c.scan_local)
            fine[:, column] = np.clip(centre[column] + offsets, -1.0, 1.0)
            if not self.stopped(len(fine)):
                _, better = self.evaluate(fine)
                improved = improved or better
        yield from self.reports()
        return improved

    def scan(self, column: int, count: int) -> np.ndarray:
        """The best patch with encoded ``column`` set to each of ``scan_points`` values spread
        evenly over [-1, 1] (offset by a seeded random fraction of a step); in a ``scan_redraw``
        fraction of them the other parameters of the column's symmetry slot (an oscillator's
        level and waveform) are drawn from the spec's prior. The best patch itself last.
        ``(scan_points + 1, D)``."""
        c = self.config
        rng = np.random.default_rng([self.seed, SCAN_STREAM, count])
        offset = rng.random()
        best = self.spec.encode(self.natives[self.best_index])
        children = np.repeat(best, c.scan_points, axis=0)
        slot = next((cols for slots in self.spec.symmetry_groups().values() for cols in slots
                     if column in cols), [column])  # fmt: skip
        others = np.asarray([j for j in slot if j != column], dtype=np.int64)
        redraw = rng.random(c.scan_points) < c.scan_redraw
        if len(others) and redraw.any():
            drawn = self.spec.encode(self.spec.sample(rng, c.scan_points))
            children[np.ix_(redraw, others)] = drawn[np.ix_(redraw, others)]
        children[:, column] = -1.0 + 2.0 * (np.arange(c.scan_points) + offset) / c.scan_points
        return np.concatenate([children, best]).astype(np.float32)

    def try_children(self, children: np.ndarray) -> Generator[Improvement, None, bool]:
        """Render and score encoded ``children`` ``(M, D)`` if the budget allows; returns
        whether one is the new best (and yields it then)."""
        if len(children) == 0 or self.stopped(len(children)):
            return False
        self.stage = "refine"
        _, improved = self.evaluate(children)
        yield from self.reports()
        return improved

    def choice_children(self) -> np.ndarray:
        """The best patch with one searchable categorical parameter set to another of the
        choices the spec samples, for every such parameter and choice ``(M, D)``."""
        best = self.natives[self.best_index]
        fixed = set(self.spec.fixed_indices)
        children = []
        for j, p in enumerate(self.spec.params):
            if p.kind != "categorical" or j in fixed:
                continue
            for choice in np.flatnonzero(np.isfinite(banned_choices(p))):
                if choice != round(best[j]):
                    child = best.copy()
                    child[j] = choice
                    children.append(child)
        if not children:
            return np.zeros((0, self.spec.dim), np.float32)
        return self.spec.encode(np.stack(children)).astype(np.float32)

    def crossovers(self) -> np.ndarray:
        """The best patch with one symmetry slot (an oscillator) replaced by a slot of one of the
        best distinct candidates: moves a local search cannot make. ``(M, D)``."""
        best = self.spec.encode(self.natives[self.best_index])[0]
        donors = [c.encoded for c in self.distinct_best(self.config.crossover_pool)[1:]]
        children = []
        for slots in self.spec.symmetry_groups().values():
            for target in slots:
                for donor in donors:
                    for source in slots:
                        child = best.copy()
                        child[target] = donor[source]
                        children.append(child)
        return np.asarray(children, np.float32).reshape(-1, self.spec.dim)

    def race(self, restarts: Restarts) -> Generator[Improvement, None, CmaRun | None]:
        """Runs from the best distinct candidates, in turn, the worst dropped every
        ``race_generations``; returns the winner (``None`` without a race). A pending flow
        sample that beats the best patch replaces the worst run by a run around it."""
        c = self.config
        entrants = self.distinct_best(c.racers)
        if len(entrants) < 2:
            return None
        runs = [restarts.run_from(x.encoded, x.score) for x in entrants]
        generation = 0
        while len(runs) > 1:
            for run in runs:
                if self.stopped(restarts.population):
                    return None
                self.stage = "refine"
                scores, _ = self.evaluate(run.ask())
                run.tell(scores, c.min_improvement)
                self.generations += 1
                yield from self.reports()
            generation += 1
            if (yield from self.more_proposals()):
                worst = max(range(len(runs)), key=lambda i: runs[i].best)
                runs[worst] = restarts.run_from(self.best_encoded(), self.best_score)
            if generation % c.race_generations == 0:
                runs.pop(max(range(len(runs)), key=lambda i: runs[i].best))
        return runs[0]

    def distinct_best(self, k: int) -> tuple[Candidate, ...]:
        return self.top_candidates(k)

    def restart_points(self) -> list[np.ndarray]:
        """The best distinct proposals (encoded), best first: where CMA-ES runs restart."""
        return [c.encoded for c in self.top_candidates(self.config.restart_pool, self.proposed)]

    def best_encoded(self) -> np.ndarray:
        return self.spec.encode(self.natives[self.best_index])[0]
