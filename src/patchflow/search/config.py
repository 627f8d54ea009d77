"""Search settings: how many proposals, how refinement steps and restarts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from patchflow.spec import SynthSpec

SHORT_CLIP_SAMPLES = 4096  # specs rendering this few samples (k-osc) render fast: many proposals


@dataclass(frozen=True)
class SearchConfig:
    """Settings of :class:`~patchflow.search.Searcher` (defaults suit k-osc and amsynth).

    Attributes:
        proposals: Model (or prior) proposals rendered after the one-shot answer.
        batch: Largest number of proposals rendered per batch (cancellation and budget checks
            happen between batches).
        first_proposals: Flow (CNF) samples rendered before refinement starts (``None``: all
            ``proposals``). The other samples are drawn later, in batches that double from
            ``first_proposals`` up to ``batch``, one every ``proposal_every`` CMA-ES
            generations, and one that beats the best patch restarts refinement around it. Where
            a flow sample costs several renders (k-osc renders a patch in about 0.1 ms, the flow
            samples one in 0.5 ms), drawing all of them first spends a short budget on
            proposals that refinement of the first few would beat. Free proposals (prior
            samples, a regression's jittered point estimate) are all rendered first.
        proposal_every: CMA-ES generations between two later batches of flow samples.
        prior_proposals: Prior samples rendered with a model's first proposals (model searches
            only; a safety net for targets the model is unsure about: they cost renders, no
            model call, and the better ones join the refinement race).
        proposal_temperature: Scale of the flow samples' noise (1: posterior samples; lower:
            closer to the flow from the noise's mean, less spread).
        jitter: Standard deviation, in the encoded [-1, 1] space, of the Gaussian jitter around a
            regression model's point estimate.
        sigma: Initial CMA-ES step size in the encoded space.
        population: CMA-ES population per generation (``None``: the library's default).
        patience: Generations without improvement before a CMA-ES run restarts.
        restart_pool: How many distinct best proposals take turns as restart points.
        steps: Flow solver steps (``None``: the bundle's).
        method: Flow solver method (``None``: the bundle's).
        cfg_scale: Classifier-free guidance scale (``None``: the bundle's; CNF only).
        score_first: Render and score the one-shot answer before yielding it (otherwise it is
            yielded at once with an infinite score and scored with the proposals).
        min_improvement: Relative score gain that counts as an improvement of a CMA-ES run.
        racers: CMA-ES runs that start together from the best distinct candidates (1: no race).
        race_generations: Generations each racer runs between two eliminations.
        crossover_every: After the race, every this many generations render the best patch with
            one symmetry slot (an oscillator) swapped for a slot of one of the best distinct
            candidates (0: never); a better child restarts CMA-ES around it.
        choice_every: After the race, every this many generations (and only when the best
            patch has changed since the last time) render the best patch with each categorical
            parameter that the search may change set to each of its other choices, one
            parameter at a time (0: never): CMA-ES keeps a run's categories, and a wrong
            waveform or filter type is a jump no continuous step makes. A better child restarts
            CMA-ES around it.
        crossover_pool: How many of the best distinct candidates the crossovers use (the best
            itself included).
        scan_every: After the race, every this many generations render the best patch with one
            parameter measured in ``scan_units`` set to each of ``scan_points`` values across
            its range (0: never; parameters take turns), pick the winner by a smoothed distance
            (:func:`~patchflow.search.scoring.guide_for`; the real one where there is none) and
            render ``scan_local`` values around the winner's. A better patch restarts CMA-ES
            around it. A global move: a misplaced oscillator's frequency has no basin a local
            step reaches.
        scan_points: Values per scan (an evenly spaced grid with a seeded random offset).
        scan_units: Units of the parameters scanned (``"Hz"``: frequencies).
        scan_redraw: Fraction of a scan's patches whose other parameters in the scanned
            parameter's symmetry slot are drawn from the prior (a misplaced oscillator usually
            has the wrong level and waveform too).
        scan_local: Values of the fine scan, evenly spaced within ``scan_local_width`` (encoded
            units) of the coarse winner's (0: none): on k-osc LSD rises by about 3 dB for a 1 Hz
            error, so frequencies must be placed to a fraction of a hertz.
        scan_local_width: Half-width of the fine scan in the encoded [-1, 1] space.
        rank_by_mix: Rank a multi-channel target's candidates by the MSS of the channels' mix
            (:func:`~patchflow.search.scoring.ranker_for`: half the FFTs) and render each new
            best again to score it with the real distance, which is what is reported; ``False``:
            rank by the real distance.
        proposal_steps: CNF searches: CMA-ES's initial step per parameter follows the spread of
            the better half of the flow samples rendered before refinement
            (:func:`~patchflow.search.refine.step_shape`), at the same overall ``sigma``. Off
            by default: on 32 held-out amsynth targets it ended within 0.1 MSS of even steps
            at 440 to 1100 renders (``docs/results/search_settings.jsonl``).
        proposal_steps_ratio: Largest ratio of one parameter's initial step to the mean step.
        proposal_steps_min: Fewest proposals the spread is taken from (fewer: even steps).
    """

    proposals: int = 32
    batch: int = 16
    first_proposals: int | None = None
    proposal_every: int = 10
    prior_proposals: int = 0
    proposal_temperature: float = 1.0
    jitter: float = 0.15
    sigma: float = 0.05
    population: int | None = 16
    patience: int = 20
    restart_pool: int = 4
    steps: int | None = None
    method: str | None = None
    cfg_scale: float | None = None
    score_first: bool = True
    min_improvement: float = 1e-3
    racers: int = 1
    crossover_every: int = 0
    choice_every: int = 0
    crossover_pool: int = 8
    race_generations: int = 10
    scan_every: int = 0
    scan_points: int = 128
    scan_units: tuple[str, ...] = ("Hz",)
    scan_redraw: float = 0.5
    scan_local: int = 0
    scan_local_width: float = 0.01
    rank_by_mix: bool = True
    proposal_steps: bool = False
    proposal_steps_ratio: float = 4.0
    proposal_steps_min: int = 8

    def __post_init__(self) -> None:
        if self.proposals < 0 or self.batch < 1:
            raise ValueError("proposals must be >= 0 and batch >= 1")
        if (self.first_proposals is not None and self.first_proposals < 0) or (
            self.prior_proposals < 0 or self.proposal_every < 1
        ):
            raise ValueError(
                "first_proposals and prior_proposals must be >= 0 and proposal_every >= 1"
            )
        if not 0.0 <= self.proposal_temperature <= 1.0:
            raise ValueError(
                f"proposal_temperature must be in [0, 1], got {self.proposal_temperature}"
            )
        if not self.sigma > 0 or (self.population is not None and self.population < 2):
            raise ValueError("sigma must be > 0 and population >= 2")
        if self.proposal_steps_ratio < 1.0 or self.proposal_steps_min < 2:
            raise ValueError("proposal_steps_ratio must be >= 1 and proposal_steps_min >= 2")
        if self.scan_points < 1 or self.scan_local < 0 or not 0.0 <= self.scan_redraw <= 1.0:
            raise ValueError("scan_points must be >= 1, scan_local >= 0, scan_redraw in [0, 1]")

    @classmethod
    def for_spec(cls, spec: SynthSpec, **changes: Any) -> SearchConfig:
        """Settings measured to work for this kind of synth, with ``changes`` applied.

        Fast in-process synths with short clips (k-osc: LSD reacts to a 2 Hz error) get many
        proposals and small CMA-ES steps; plug-ins (a render costs milliseconds) fewer proposals,
        drawn at temperature 0.7 (on 16 held-out amsynth targets 0.5 and 0.7 ended about 0.3 MSS
        lower than 1.0 from 100 renders on: ``docs/results/search_settings.jsonl``), larger
        steps and sweeps of their categorical parameters (see ``docs/results/search_quality.md``).
        """
        if spec.num_samples <= SHORT_CLIP_SAMPLES:
            base = cls(
                proposals=128,
                batch=64,
                first_proposals=16,
                proposal_every=10,
                sigma=0.01,
                population=16,
                patience=100_000,
                racers=4,
                race_generations=5,
                crossover_every=10,
                crossover_pool=5,
                scan_every=10,
                scan_points=256,
                scan_local=64,
            )
        else:
            base = cls(
                proposals=32,
                batch=8,
                proposal_temperature=0.7,
                sigma=0.1,
                population=12,
                patience=20,
                choice_every=5,
            )
        return replace(base, **changes)
