"""Readers see only durable batches: a refused append never shows.

The runner changes its engine before the append is durable; while the append
runs (in a thread), the event loop keeps serving requests. Here the store
fails in the middle of a stream of contacts, and *during* the failing append
(the moment the engine holds the refused contact and the disk does not) the
test asks the API over real HTTP, the read side and the tower's snapshot: neither shows it. Before
the read side, `GET /api/queues/voice/waiting` read `runner.engine` and did.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from tests.integration.conftest import Server


class _FailingLog:
    """The server's event log, whose `append` fails while `fail` is set; while
    it fails it looks at what the readers show (an HTTP client of its own)."""

    def __init__(self, inner: Any, server: Server) -> None:
        self._inner = inner
        self.server = server
        self.fail = False
        self.seen: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def append(self, events: Sequence[Any]) -> None:
        if not self.fail:
            self._inner.append(events)
            return
        token = self.server.client("root").headers["Authorization"]
        with httpx.Client(base_url=self.server.url, timeout=30) as client:
            client.headers["Authorization"] = token
            line = self.server.services.read.waiting_line("voice")
            tower = self.server.services.live.snapshot()
            self.seen.append(
                {
                    "api_waiting": [
                        c["id"] for c in client.get("/api/queues/voice/waiting").json()
                    ],
                    "api_queue": client.get("/api/queues/voice").json()["waiting"],
                    "api_offered": sorted(
                        c for a in client.get("/api/agents").json() for c in a["offered"]
                    ),
                    "read_waiting": [e.id for e in line.entries],
                    "read_seq": line.seq,
                    "tower_waiting": [c["id"] for c in tower["waiting"] if c["queue"] == "voice"],
                    "tower_seq": tower["seq"],
                }
            )
        raise OSError("disk full (test)")


def _waiting(root: httpx.Client) -> list[str]:
    r = root.get("/api/queues/voice/waiting")
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()]


def test_a_refused_batch_is_never_seen_by_readers(sqlite_server: Server) -> None:
    root = sqlite_server.client("root")
    runner = sqlite_server.services.runner
    failing = _FailingLog(runner.log, sqlite_server)
    runner.log = failing
    body = {"channel": "voice", "queue": "voice", "customer": "c"}
    accepted = []
    for _ in range(3):
        r = root.post("/api/contacts", json=body)
        assert r.status_code == 201, r.text
        accepted.append(r.json()["id"])
    seq_before = sqlite_server.services.read.seq
    failing.fail = True
    for _ in range(2):
        r = root.post("/api/contacts", json=body)
        assert r.status_code == 503, r.text
    failing.fail = False
    r = root.post("/api/contacts", json=body)
    assert r.status_code == 201, r.text
    accepted.append(r.json()["id"])

    assert len(failing.seen) == 2  # the readers were asked during each failing append
    for seen in failing.seen:
        assert seen["api_waiting"] == accepted[:3]
        assert seen["api_queue"] == 3
        assert seen["api_offered"] == []
        assert seen["read_waiting"] == accepted[:3]
        assert seen["read_seq"] == seq_before
        assert seen["tower_waiting"] == accepted[:3]
        assert seen["tower_seq"] == seq_before
    assert _waiting(root) == accepted
    assert runner.statistics().store_failures == 2
