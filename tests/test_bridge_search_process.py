"""The search process: the same stream as searching in process, cancellation across the pipe,
a killed child failing its search and coming back for the next, a clear error at start."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from patchflow.bridge.search_process import (
    SEARCH_NICE,
    ProcessSearcher,
    SearchProcessError,
    SearchProcessSpec,
)
from patchflow.bundle import load_bundle
from patchflow.inference import Predictor
from patchflow.search import SearchBudget, Searcher, open_renderer

SR = 16000


def sine(freq_hz: float) -> np.ndarray:
    t = np.arange(1024) / SR
    return (0.5 * np.sin(2 * np.pi * freq_hz * t))[None].astype(np.float32)


def summary(steps: list) -> list[tuple]:
    return [(s.stage, s.renders, round(s.best.score, 9), s.final) for s in steps]


def test_search_process_streams_cancels_and_survives_a_killed_child() -> None:
    budget = SearchBudget(seconds=600.0, renders=48)
    bundle = load_bundle("kosc4")
    with open_renderer(bundle.card) as renderer:
        here = Searcher(bundle.card.spec, renderer, predictor=Predictor(bundle))
        expected = list(here.run(sine(440.0), SR, budget=budget, seed=3))
    with ProcessSearcher(SearchProcessSpec("kosc4")) as searcher:
        steps = list(searcher.run(sine(440.0), SR, budget=budget, seed=3))
        assert summary(steps) == summary(expected)  # deterministic for a seed and render budget
        np.testing.assert_array_equal(steps[-1].best.native, expected[-1].best.native)
        assert len(steps[-1].candidates) == 4

        cancel = threading.Event()
        got = []
        for step in searcher.run(sine(660.0), SR, budget=SearchBudget(600.0), cancel=cancel):
            got.append(step)
            cancel.set()  # after the first answer: the child stops and ends with a final step
        assert got[-1].final and not any(s.final for s in got[:-1])

        stream = searcher.run(sine(880.0), SR, budget=SearchBudget(600.0))
        next(stream)
        searcher._proc.kill()
        with pytest.raises(SearchProcessError, match=r"died|closed"):
            list(stream)
        again = list(searcher.run(sine(440.0), SR, budget=budget, seed=3))  # a new child
        assert summary(again) == summary(expected)


def test_search_process_that_cannot_start_says_why(tmp_path) -> None:
    with pytest.raises(SearchProcessError, match="could not start"):
        ProcessSearcher(SearchProcessSpec(str(tmp_path / "no-such-bundle")))


@pytest.mark.skipif(not hasattr(os, "nice"), reason="POSIX niceness")
def test_the_search_process_runs_at_a_lower_cpu_priority() -> None:
    here = os.getpriority(os.PRIO_PROCESS, 0)
    with ProcessSearcher(SearchProcessSpec("kosc4", nice=5)) as searcher:
        assert os.getpriority(os.PRIO_PROCESS, searcher._proc.pid) == min(19, here + 5)
    assert SearchProcessSpec("kosc4").nice == SEARCH_NICE > 0


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling classes")
@pytest.mark.parametrize("idle_class", [True, False])
def test_the_search_process_runs_in_the_idle_scheduling_class(idle_class: bool) -> None:
    spec = SearchProcessSpec("kosc4", idle_class=idle_class)
    with ProcessSearcher(spec) as searcher:
        policy = os.sched_getscheduler(searcher._proc.pid)
    assert policy == (os.SCHED_IDLE if idle_class else os.sched_getscheduler(0))
