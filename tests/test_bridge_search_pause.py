"""SearchPause: real search processes stopped (``SIGSTOP``) while a hold is held, resumed after.

Process states are read from ``/proc`` (Linux); waits poll until the kernel has delivered the
signal, with a timeout that only guards liveness. Nothing here is timed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from patchflow.bridge.search_pause import SearchPause
from patchflow.bridge.search_process import ProcessSearcher, SearchProcessSpec
from patchflow.search import SearchBudget

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="process states from Linux's /proc"
)
LIVENESS_S = 30.0


def state(pid: int) -> str:
    """The process's state letter (``T``: stopped)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2]


def cpu_ticks(pid: int) -> int:
    """User and system CPU time the process has used, in clock ticks."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def descendants(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(k) for k in (task / "children").read_text().split()]
    return kids + [g for k in kids for g in descendants(k)]


def wait_until(check, what: str) -> None:
    deadline = time.monotonic() + LIVENESS_S
    while not check():
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.005)


def stopped(pids: list[int]) -> bool:
    return all(state(p) == "T" for p in pids)


def running(pids: list[int]) -> bool:
    return not any(state(p) == "T" for p in pids)


@pytest.fixture
def searching() -> Iterator[tuple[ProcessSearcher, SearchPause, threading.Event, list]]:
    """A k-osc search process with a pause, running an endless search on a thread."""
    pause = SearchPause()
    searcher = ProcessSearcher(SearchProcessSpec("kosc4"), pause=pause)
    cancel, steps = threading.Event(), []
    audio = (0.5 * np.sin(2 * np.pi * 440 * np.arange(1024) / 16000))[None].astype(np.float32)

    def search() -> None:
        steps.extend(searcher.run(audio, 16000, budget=SearchBudget(seconds=600.0), cancel=cancel))

    thread = threading.Thread(target=search, daemon=True)
    thread.start()
    wait_until(lambda: steps, "searched")
    try:
        yield searcher, pause, cancel, steps
    finally:
        cancel.set()
        thread.join(LIVENESS_S)
        searcher.close()


def test_held_pause_stops_the_search_and_the_last_release_resumes_it(searching) -> None:
    searcher, pause, cancel, steps = searching
    pid = searcher._proc.pid
    assert os.getpgid(pid) == pid  # the child leads its own group: the server is not in it
    assert os.getpgid(0) != pid
    with pause:
        wait_until(lambda: stopped([pid]), "stopped")
        assert pause.held
        with pause:  # a second worker's hold
            assert stopped([pid])
        assert stopped([pid])  # one hold is still held
        assert state(os.getpid()) != "T"  # this process was never touched
        used = cpu_ticks(pid)
    wait_until(lambda: running([pid]), "resumed")
    assert not pause.held and pause.pauses == 1
    wait_until(lambda: cpu_ticks(pid) > used, "searched again")
    cancel.set()
    wait_until(lambda: steps[-1].final, "finished")  # the search ends normally after pauses


def test_holds_from_threads_are_counted(searching) -> None:
    searcher, pause, _, _ = searching
    pid = searcher._proc.pid
    entered, release = threading.Barrier(3), threading.Event()

    def worker() -> None:
        with pause:
            entered.wait(LIVENESS_S)
            release.wait(LIVENESS_S)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    entered.wait(LIVENESS_S)
    wait_until(lambda: stopped([pid]), "stopped")
    release.set()
    for t in threads:
        t.join(LIVENESS_S)
    wait_until(lambda: running([pid]), "resumed")
    assert pause.pauses == 1


def test_closing_a_paused_searcher_resumes_it_first(searching) -> None:
    searcher, pause, cancel, _ = searching
    pid = searcher._proc.pid
    with pause:
        wait_until(lambda: stopped([pid]), "stopped")
        cancel.set()
        searcher.close()  # a stopped child could not read "stop": close takes it out first
        assert searcher._proc is None
        assert not Path(f"/proc/{pid}").exists() or state(pid) == "Z"
    assert repr(pause).startswith("SearchPause(free, 0 group(s)")


@pytest.mark.needs("amsynth")
def test_render_workers_are_in_the_group_and_stop_with_it() -> None:
    pause = SearchPause()
    spec = SearchProcessSpec("amsynth", workers=2)
    with ProcessSearcher(spec, pause=pause) as searcher:
        pid = searcher._proc.pid
        workers = descendants(pid)
        assert len(workers) >= 2
        assert {os.getpgid(p) for p in workers} == {pid}
        with pause:
            wait_until(lambda: stopped([pid, *workers]), "stopped")
        wait_until(lambda: running([pid, *workers]), "resumed")


def test_a_pause_without_groups_does_nothing() -> None:
    pause = SearchPause()
    with pause:
        assert pause.held
    assert pause.pauses == 0 and not pause.held


def test_a_server_killed_while_its_search_is_stopped_leaves_no_search_behind() -> None:
    """SIGKILL (no clean-up) of a process holding the pause: the stopped search group is
    orphaned, so the kernel sends it SIGHUP and SIGCONT, and it goes away."""
    import subprocess
    import sys

    code = (
        "import time\n"
        "from patchflow.bridge.search_pause import SearchPause\n"
        "from patchflow.bridge.search_process import ProcessSearcher, SearchProcessSpec\n"
        "pause = SearchPause()\n"
        "searcher = ProcessSearcher(SearchProcessSpec('kosc4'), pause=pause)\n"
        "pause.__enter__()\n"
        "print(searcher._proc.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        child = int(server.stdout.readline())
        wait_until(lambda: stopped([child]), "stopped")
    finally:
        server.kill()
        server.wait(LIVENESS_S)
    wait_until(lambda: not Path(f"/proc/{child}").exists() or state(child) == "Z", "gone")
