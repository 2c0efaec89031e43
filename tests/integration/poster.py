"""A client of the outage tests: posts arrivals one after the other with
idempotency keys and retries each on 503 until it is acknowledged, counting
what it saw. The outage tests compare what it was told with what the log holds."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx


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
