"""Search streaming through the bridge: real loopback sockets, a fake engine, a scripted searcher.

The searcher yields a known list of improvements and can be held (on an event) after its first
one, so cancellation and "first answers never wait behind a search" are checked by the order of
events, never by timing; timeouts only guard liveness.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest
from bridge_fakes import FakeEngine, tone

from patchflow.bridge.client import OscClient, ZmqClient
from patchflow.bridge.osc_codec import OscMessage
from patchflow.bridge.search_pause import SearchPause
from patchflow.bridge.server import BridgeServer, ServerConfig
from patchflow.bridge.zmq_codec import ZmqReply, encode_request
from patchflow.pitch import NotePlacement
from patchflow.search import Candidate, Improvement

TIMEOUT_S = 10.0  # liveness only
N_PARAMS = 6
STEPS = 3  # non-final improvements per scripted search
NOTE = NotePlacement(note=60, detected=59.75, octaves_shifted=-1, confidence=0.875)

SEARCHING = ServerConfig(
    osc_port=0,
    reply_to_sender=True,
    zmq_endpoint="tcp://127.0.0.1:*",
    status_interval_s=None,
    search_budget_s=1.0,
)


def patch(peak: float, step: int) -> Candidate:
    """The scripted patch of a step: value 0 identifies the client (its audio's peak)."""
    unit = np.full(N_PARAMS, 0.1 * (step + 1), np.float32)
    unit[0] = peak
    return Candidate(native=100 * unit, unit=unit, encoded=2 * unit - 1, score=1.0 / (step + 1))


class RefiningEngine(FakeEngine):
    """The fake engine, recording the refined patches the search hands it."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        super().__init__(N_PARAMS, gate)
        self.refined: list[tuple[str, int, np.ndarray]] = []

    def refine(self, *, client: str, match_id: int, encoded: np.ndarray) -> bool:
        self.refined.append((client, match_id, np.asarray(encoded)))
        return True


@dataclass
class ScriptedSearcher:
    """Yields ``STEPS`` improvements and a final one; run number ``k`` in ``hold_runs`` waits
    after its first improvement until ``release`` or its cancel event is set."""

    hold_runs: set[int] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    held: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    runs: int = 0
    cancelled: list[bool] = field(default_factory=list)

    def run(
        self,
        audio: np.ndarray,
        sample_rate: int,
        *,
        budget: object,
        seed: int = 0,
        cancel: threading.Event | None = None,
        top_k: int = 4,
    ) -> Iterator[Improvement]:
        assert cancel is not None
        run, self.runs = self.runs, self.runs + 1
        peak = round(float(np.max(np.abs(audio))), 3)
        for step in range(STEPS):
            if cancel.is_set():
                break
            yield Improvement(patch(peak, step), 16 * step, 0.01 * step, "proposals", False, NOTE)
            if step == 0 and run in self.hold_runs:
                self.held.release()
                while not (self.release.is_set() or cancel.is_set()):
                    cancel.wait(0.01)
        self.cancelled.append(cancel.is_set())
        candidates = tuple(patch(peak, STEPS - 1 - k) for k in range(min(top_k, 2)))
        yield Improvement(patch(peak, STEPS - 1), 64, 0.5, "refine", True, NOTE, candidates)


def start_server(engine: FakeEngine, searcher: ScriptedSearcher) -> BridgeServer:
    server = BridgeServer(engine, SEARCHING, searcher=lambda: searcher, budget=lambda: None)
    server.start()
    return server


@pytest.fixture
def searcher() -> ScriptedSearcher:
    return ScriptedSearcher()


@pytest.fixture
def engine() -> RefiningEngine:
    return RefiningEngine()


@pytest.fixture
def server(engine: RefiningEngine, searcher: ScriptedSearcher) -> Iterator[BridgeServer]:
    running = start_server(engine, searcher)
    yield running
    searcher.release.set()
    running.stop()


def osc_client(server: BridgeServer) -> OscClient:
    assert server.osc is not None
    return OscClient(server.osc.address, timeout_s=TIMEOUT_S)


def until_final(client: OscClient, match_id: int) -> list[OscMessage]:
    """Every message of ``match_id`` up to its final score (other ids stay in the backlog)."""
    got = []
    while True:
        msg = client.wait_for(lambda m: bool(m.args) and m.args[0] == match_id, TIMEOUT_S)
        got.append(msg)
        if msg.address == "/patchflow/score" and msg.args[2] == 1:
            return got


def addresses(messages: list[OscMessage]) -> list[str]:
    return [m.address.removeprefix("/patchflow/") for m in messages]


# =============================================================================================
# OSC


def test_osc_stream_arrives_in_order_with_one_id(server, engine, searcher) -> None:
    with osc_client(server) as client:
        client.upload(7, tone(0.5), 16000)
        got = until_final(client, 7)
    step = ["params", "native", "score"]
    final = ["params", "native", "candidate", "candidate", "score"]
    assert addresses(got) == ["params", "native", "latency", "note", *step * STEPS, *final]
    assert all(m.args[0] == 7 for m in got)
    note = got[3]
    assert note.args == (7, 59.75, 0.875, -1)
    scores = [m.args[1:] for m in got if m.address == "/patchflow/score"]
    assert scores == [(1.0, 0), (0.5, 0), (pytest.approx(1 / 3), 0), (pytest.approx(1 / 3), 1)]
    streamed = [m for m in got if m.address == "/patchflow/params"][1:]
    for k, msg in enumerate(streamed):
        np.testing.assert_allclose(msg.args[1:], patch(0.5, min(k, STEPS - 1)).unit, atol=1e-6)
    ranks = [m.args[1:3] for m in got if m.address == "/patchflow/candidate"]
    assert ranks == [(0, pytest.approx(1 / 3)), (1, 0.5)]
    # every applied patch went to the engine, in order (macros act around the last one)
    assert [int(match_id) for _, match_id, _ in engine.refined] == [7] * (STEPS + 1)
    np.testing.assert_allclose(engine.refined[-1][2], patch(0.5, STEPS - 1).encoded)
    assert searcher.cancelled == [False]


def test_newer_match_cancels_the_running_search(server, engine, searcher) -> None:
    searcher.hold_runs = {0}
    with osc_client(server) as client:
        client.upload(1, tone(0.5), 16000)
        assert searcher.held.acquire(timeout=TIMEOUT_S)
        client.upload(2, tone(0.25), 16000)
        first = until_final(client, 1)
        second = until_final(client, 2)
    # match 1: first answer, one improvement, then (cancelled) candidates and a final score
    # without a patch; its score is the last patch the client got
    assert addresses(first) == [
        "params", "native", "latency", "note", "params", "native", "score",
        "candidate", "candidate", "score",
    ]  # fmt: skip
    assert first[-1].args[1:] == (1.0, 1)
    assert addresses(second)[:3] == ["params", "native", "latency"]
    assert second[-1].address == "/patchflow/score" and second[-1].args[2] == 1
    assert second[0].args[1] == pytest.approx(0.25, abs=2e-3)
    assert searcher.cancelled == [True, False]
    assert [match_id for _, match_id, _ in engine.refined] == [1] + [2] * (STEPS + 1)


def test_macro_cancels_and_nothing_is_applied_after_it(server, engine, searcher) -> None:
    searcher.hold_runs = {0}
    with osc_client(server) as client:
        client.upload(3, tone(0.5), 16000)
        assert searcher.held.acquire(timeout=TIMEOUT_S)
        before = [client.receive(TIMEOUT_S) for _ in range(7)]  # answer, note, one improvement
        client.send(OscMessage("/patchflow/macro", (1, 0.75)))
        after = until_final(client, 3)
        while "latency" not in addresses(after):  # the macro's reply came after the final score
            after.append(client.wait_for(lambda m: bool(m.args) and m.args[0] == 3, TIMEOUT_S))
    assert addresses(before)[-3:] == ["params", "native", "score"]
    # after the macro: its own result and the cancelled search's final, which has no patch
    macro = [m for m in after if m.address == "/patchflow/params"]
    assert len(macro) == 1 and macro[0].args[2] == pytest.approx(0.75)
    assert sorted(addresses(after)) == sorted(
        ["params", "native", "latency", "candidate", "candidate", "score"]
    )
    # each reply's messages arrive together, whichever thread sent them
    macro_at = addresses(after).index("params")
    assert addresses(after)[macro_at : macro_at + 3] == ["params", "native", "latency"]
    assert [match_id for _, match_id, _ in engine.refined] == [3]  # only what the client got


def test_knob_moved_before_the_search_began_stops_it_from_starting(searcher) -> None:
    gate = threading.Event()
    engine = RefiningEngine(gate)
    server = start_server(engine, searcher)
    try:
        with osc_client(server) as client:
            client.upload(4, tone(0.5), 16000)
            assert engine.entered.acquire(timeout=TIMEOUT_S)  # the match is in the engine
            client.send(OscMessage("/patchflow/macro", (0, 0.25)))
            client.ping()  # barrier: the macro has been submitted (and cancelled the search)
            gate.set()
            stream = until_final(client, 4)
            macro = client.wait_for(lambda m: m.address == "/patchflow/params", TIMEOUT_S)
    finally:
        server.stop()
    assert addresses(stream) == ["params", "native", "latency", "score"]
    assert stream[-1].args[1:] == (-1.0, 1)
    assert macro.args[0] == 4 and macro.args[1] == pytest.approx(0.25)
    assert searcher.runs == 0 and engine.refined == []


def test_first_answer_does_not_wait_for_another_clients_search(server, searcher) -> None:
    searcher.hold_runs = {0}
    with osc_client(server) as a, osc_client(server) as b:
        a.upload(1, tone(0.5), 16000)
        assert searcher.held.acquire(timeout=TIMEOUT_S)  # a's search is running, held
        answer = b.match(tone(0.25), 16000, request_id=1)
        assert answer.params01[0] == pytest.approx(0.25, abs=2e-3)
        assert searcher.cancelled == []  # a's search is still held: b did not wait for it
        searcher.release.set()
        a_stream = until_final(a, 1)
        b_stream = until_final(b, 1)
    assert a_stream[-1].args[1:] == (pytest.approx(1 / 3), 1)
    b_params = [m.args[1] for m in b_stream if m.address == "/patchflow/params"]
    assert b_params == [pytest.approx(0.25, abs=2e-3)] * (STEPS + 1)  # only b's own patches
    assert searcher.cancelled == [False, False]


def test_budget_zero_keeps_todays_single_answer(engine) -> None:
    config = ServerConfig(osc_port=0, reply_to_sender=True, zmq_endpoint=None)
    with BridgeServer(engine, config) as server, osc_client(server) as client:
        assert server.search is None
        client.match(tone(0.5), 16000, request_id=9)
        client.ping()
        assert client._backlog == []  # nothing but the three result datagrams and the pong


def test_search_budget_without_a_searcher_is_refused(engine) -> None:
    with pytest.raises(ValueError, match="needs a searcher"):
        BridgeServer(engine, SEARCHING)


# =============================================================================================
# ZeroMQ


def zmq_until_final(client: ZmqClient, request_id: int) -> list[ZmqReply]:
    got = []
    while not (got and got[-1].header.get("final")):
        reply = client.receive(TIMEOUT_S)
        assert reply.header["id"] == request_id, reply.header
        got.append(reply)
    return got


def test_zmq_stream_arrives_in_order_with_one_id(server) -> None:
    assert server.zmq is not None and server.zmq.endpoint is not None
    with ZmqClient(server.zmq.endpoint, timeout_s=TIMEOUT_S) as client:
        client.send_frames(encode_request("match", 5, audio=tone(0.5), sample_rate=16000))
        got = zmq_until_final(client, 5)
    first, note, *steps, final = got
    assert "latency_ms" in first.header and "score" not in first.header
    assert note.header["note"] == {"midi": 59.75, "confidence": 0.875, "octaves_shifted": -1}
    assert note.params01 is None
    assert [s.header["score"] for s in steps] == [1.0, 0.5, pytest.approx(1 / 3)]
    assert [s.header["final"] for s in steps] == [False] * STEPS
    assert all("candidates" not in s.header for s in steps)
    assert final.header["final"] is True and final.header["match_id"] == 5
    assert [c["score"] for c in final.header["candidates"]] == [pytest.approx(1 / 3), 0.5]
    np.testing.assert_allclose(final.header["candidates"][1]["params"], patch(0.5, 1).unit)
    assert final.params01 is not None
    np.testing.assert_allclose(final.params01, patch(0.5, STEPS - 1).unit)


def test_midi_out_follows_the_streamed_patches(searcher) -> None:
    class Port:
        def __init__(self) -> None:
            self.sent: list = []

        def send(self, msg) -> None:
            self.sent.append(msg)

        def close(self) -> None:
            pass

    port = Port()
    config = ServerConfig(
        osc_port=0,
        reply_to_sender=True,
        zmq_endpoint=None,
        status_interval_s=None,
        search_budget_s=1.0,
        midi_out="patchflow",
    )
    with (
        BridgeServer(
            RefiningEngine(),
            config,
            searcher=lambda: searcher,
            budget=lambda: None,
            midi_output_opener=lambda name, virtual=False: port,
        ) as server,
        osc_client(server) as client,
    ):
        client.upload(8, tone(0.5), 16000)
        until_final(client, 8)
    last = {msg.control: msg.value for msg in port.sent}  # the last value of each controller
    final = patch(0.5, STEPS - 1).unit
    assert [last[c] for c in (1, 2, 3, 4, 5, 7)] == [int(np.floor(v * 127 + 0.5)) for v in final]


class NotingEngine(RefiningEngine):
    """An engine that places notes (as the real one does for synths with a note parameter)."""

    def note_placement(self, *, client: str, match_id: int) -> NotePlacement | None:
        return NotePlacement(note=57, detected=57.25, octaves_shifted=1, confidence=0.5)


def test_an_engine_note_comes_once_with_the_first_answer(searcher) -> None:
    server = start_server(NotingEngine(), searcher)
    try:
        with osc_client(server) as client:
            client.upload(6, tone(0.5), 16000)
            got = until_final(client, 6)
    finally:
        server.stop()
    assert addresses(got)[:4] == ["params", "native", "latency", "note"]
    assert addresses(got).count("note") == 1  # the searcher's note is not sent again
    assert got[3].args == (6, 57.25, 0.5, 1)


def test_an_engine_note_comes_without_search_too() -> None:
    config = ServerConfig(osc_port=0, reply_to_sender=True, zmq_endpoint=None)
    with BridgeServer(NotingEngine(), config) as server, osc_client(server) as client:
        client.upload(2, tone(0.5), 16000)
        got = [client.receive(TIMEOUT_S) for _ in range(4)]
        client.ping()
        assert client._backlog == []
    assert addresses(got) == ["params", "native", "latency", "note"]


class PauseWatchingEngine(RefiningEngine):
    """Records, at each match and macro, whether the server's search pause was held."""

    def __init__(self, pause: SearchPause) -> None:
        super().__init__()
        self.pause, self.held_in_calls = pause, []

    def match(self, audio, sample_rate, *, client, request_id):  # type: ignore[no-untyped-def]
        self.held_in_calls.append(("match", self.pause.held))
        return super().match(audio, sample_rate, client=client, request_id=request_id)

    def macro(self, *, client, index, value):  # type: ignore[no-untyped-def]
        self.held_in_calls.append(("macro", self.pause.held))
        return super().macro(client=client, index=index, value=value)


def test_searches_are_paused_while_the_server_answers(searcher) -> None:
    pause = SearchPause()
    engine = PauseWatchingEngine(pause)
    held_while_searching = []
    run = searcher.run

    def watched_run(*args, **kwargs):  # type: ignore[no-untyped-def]
        for step in run(*args, **kwargs):
            held_while_searching.append(pause.held)
            yield step

    searcher.run = watched_run  # type: ignore[method-assign]
    server = BridgeServer(
        engine, SEARCHING, searcher=lambda: searcher, budget=lambda: None, pause=pause
    )
    server.start()
    try:
        with osc_client(server) as client:
            client.upload(9, tone(0.5), 16000)
            until_final(client, 9)
            client.send(OscMessage("/patchflow/macro", (1, 0.25)))
            client.wait_for(lambda m: m.address == "/patchflow/latency", TIMEOUT_S)
    finally:
        server.stop()
    assert engine.held_in_calls == [("match", True), ("macro", True)]
    assert held_while_searching and not any(held_while_searching)
    assert not pause.held


def test_zmq_newer_match_cancels_the_running_search(server, searcher) -> None:
    searcher.hold_runs = {0}
    assert server.zmq is not None and server.zmq.endpoint is not None
    with ZmqClient(server.zmq.endpoint, timeout_s=TIMEOUT_S) as client:
        client.send_frames(encode_request("match", 1, audio=tone(0.5), sample_rate=16000))
        assert searcher.held.acquire(timeout=TIMEOUT_S)
        client.send_frames(encode_request("match", 2, audio=tone(0.25), sample_rate=16000))
        replies = []
        while not any(r.header["id"] == 2 and r.header.get("final") for r in replies):
            replies.append(client.receive(TIMEOUT_S))
    first = [r for r in replies if r.header["id"] == 1]
    # first answer, note, one improvement, then the final header alone (no patch frames)
    assert [r.params01 is not None for r in first] == [True, False, True, False]
    assert first[-1].header["final"] is True and first[-1].header["score"] == 1.0
    assert len(first[-1].header["candidates"]) == 2
    assert searcher.cancelled == [True, False]
