"""The Python client's own behaviour (no server needed)."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from patchflow.bridge.client import ZmqClient


def test_stale_reply_in_backlog_does_not_hang_a_wait():
    # A reply to an earlier request that timed out sits in the backlog; waiting for another id
    # must still time out (it used to spin on the backlog forever).
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there
    with ZmqClient(f"tcp://127.0.0.1:{port}", timeout_s=0.2) as client:
        stale = SimpleNamespace(header={"id": 7, "ok": True})
        client._backlog.append(stale)
        with pytest.raises(TimeoutError):
            client.wait_for(8)
        assert client._backlog == [stale]
