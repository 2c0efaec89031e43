"""A client of the outage tests: posts arrivals one after the other with
idempotency keys and retries each on 503 until it is acknowledged, counting
what it saw. The outage tests compare what it was told with what the log holds."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

from joignable.store import EventLog


@dataclass
class Poster:
    """Posts arrivals one after the other, each retried with its key until 201."""

    client: httpx.Client
    stop: threading.Event = field(default_factory=threading.Event)
    acknowledged: list[str] = field(default_factory=list)
    refused: int = 0
    retry_after: set[str] = field(default_factory=set)
    other: list[str] = field(default_factory=list)

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            key = f"outage-{i}"
            body = {"channel": "chat", "queue": "chat", "customer": f"web-{i}"}
            while True:
                try:
                    r = self.client.post(
                        "/api/contacts", json=body, headers={"Idempotency-Key": key}
                    )
                except httpx.HTTPError as exc:
                    self.other.append(repr(exc))
                    time.sleep(0.05)
                    continue
                if r.status_code == 201:
                    self.acknowledged.append(r.json()["id"])
                    break
                if r.status_code == 503:
                    self.refused += 1
                    self.retry_after.add(r.headers.get("Retry-After", ""))
                    time.sleep(0.05)  # shorter than Retry-After: the test wants figures
                    continue
                self.other.append(f"{r.status_code} {r.text[:200]}")
                return
            i += 1

    def check_log(self, url: str, outage: str) -> None:
        """What the log at `url` holds against what this poster was told: every
        acknowledged contact there, in the order acknowledged, none twice, and
        the 503s said when to retry. Prints the figures under `outage`."""
        assert self.retry_after == {"2"}
        with EventLog.open(url) as log:
            queued = [e.data["contact"]["id"] for e in log.read() if e.kind == "ContactQueued"]
        found = [c for c in queued if c in set(self.acknowledged)]
        duplicates = len(queued) - len(set(queued))
        print(
            f"\n{outage}: acknowledged={len(self.acknowledged)} found={len(set(found))} "
            f"duplicates={duplicates} 503s_seen={self.refused} transport_errors={len(self.other)}"
        )
        assert not self.other, self.other
        assert duplicates == 0
        assert found == self.acknowledged  # all there, in the order acknowledged
