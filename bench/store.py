"""Durable append throughput of the event log on SQLite.

Prints events/s for batches of 1, 100 and 1000 events (WAL, synchronous=FULL:
every batch is fsync'ed before append returns) and, as its last line, a JSON
object with ``store_events_per_s`` (batches of 1000).  Goal: >= 20,000.

    python bench/store.py [--quick]

Other bench scripts reuse the measurement: ``from store import
measure_store_events_per_s`` (bench scripts put their own folder on sys.path).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
_SRC = Path(__file__).resolve().parent.parent / "src"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(1, str(_SRC))

from joignable.store import EventLog, StoredEvent  # noqa: E402

PAYLOAD = {"contact_id": "c123", "queue": "billing", "agent_id": "a17"}
GOAL = 20_000


def measure_store_events_per_s(path: str, total: int, batch: int) -> float:
    """Append *total* events to the SQLite log at *path* in batches of *batch*
    (each batch one durable transaction) and return events per second.

    Appends after whatever the log already holds; the time counted is the
    appends only, including building the events, not opening the log.
    """
    if total < 1 or batch < 1:
        raise ValueError("total and batch must be >= 1")
    with EventLog.open(path, tenant="bench") as log:
        seq = log.last_seq()
        done = 0
        start = time.perf_counter()
        while done < total:
            n = min(batch, total - done)
            now = time.time()
            log.append(
                [StoredEvent(seq + i, now, "ContactQueued", dict(PAYLOAD)) for i in range(1, n + 1)]
            )
            seq += n
            done += n
        elapsed = time.perf_counter() - start
    return total / elapsed


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    plan = [(1, 500 if quick else 2_000), (100, 10_000 if quick else 50_000)]
    plan.append((1000, 50_000 if quick else 200_000))
    results: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="joignable-bench-") as folder:
        for batch, total in plan:
            path = os.path.join(folder, f"store-{batch}.db")
            results[batch] = rate = measure_store_events_per_s(path, total, batch)
            print(
                f"sqlite durable append, batch {batch:>5}: {rate:>10,.0f} events/s "
                f"({rate / batch:,.0f} commits/s, {total:,} events)"
            )
    figure = results[1000]
    verdict = "ok" if figure >= GOAL else "BELOW GOAL"
    print(f"goal >= {GOAL:,} durable events/s with batches of 1000: {verdict}")
    summary = {
        "store_events_per_s": round(figure),
        "store_events_per_s_batch_1": round(results[1]),
        "store_events_per_s_batch_100": round(results[100]),
        "goal": GOAL,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
