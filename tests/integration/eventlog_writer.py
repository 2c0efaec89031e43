"""Writer process for the event-log durability test (not a test module).

    python eventlog_writer.py PATH BATCH

Opens the SQLite event log at PATH with the production settings (WAL,
synchronous=FULL), continues after whatever it already holds, and appends
batches of BATCH events forever.  After each append returns it prints the
last acknowledged seq on its own line, flushed: a printed seq is a promise
that the event is durable.  The test kills it with SIGKILL at a random moment.
"""

from __future__ import annotations

import sys
import time

from joignable.store import EventLog, StoredEvent


def main(path: str, batch: int) -> None:
    with EventLog.open(path, tenant="durability") as log:
        seq = log.last_seq()
        while True:
            now = time.time()
            log.append(
                [
                    StoredEvent(s, now, "ContactQueued", {"n": s, "queue": "billing"})
                    for s in range(seq + 1, seq + batch + 1)
                ]
            )
            seq += batch
            print(seq, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
