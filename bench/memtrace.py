"""Where a long-running server's memory goes: run inside the server process by
`bench/soak.py --trace FILE`, to find what grows while the backlog does not.

A daemon thread waits out the warm-up, takes a `tracemalloc` snapshot and a
count of live objects by type (`gc`), then every `every` seconds writes to
FILE what grew since: the top allocation sites (by file and line, a few
frames deep) and the object types whose count rose most. Bench only: tracing
slows the server, so the figures of a traced soak are not the soak's.
"""

from __future__ import annotations

import gc
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path

FRAMES = 3
TOP = 25


def _types() -> Counter[str]:
    return Counter(type(o).__qualname__ for o in gc.get_objects())


def _report(out: Path, started: float, base: tracemalloc.Snapshot, types: Counter[str]) -> None:
    gc.collect()
    snap = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    now_types = _types()
    lines = [f"=== {time.monotonic() - started:.0f} s since the baseline"]
    for stat in snap.compare_to(base, "traceback")[:TOP]:
        if stat.size_diff <= 0:
            continue
        lines.append(f"{stat.size_diff / 1024:+10.1f} KiB {stat.count_diff:+8d} blocks")
        lines.extend(f"      {frame.filename}:{frame.lineno}" for frame in stat.traceback)
    grown = sorted(((now_types[k] - types.get(k, 0), k) for k in now_types), reverse=True)
    lines.append("--- object types grown most (count now - count at baseline)")
    lines.extend(f"{n:+9d} {name}" for n, name in grown[:TOP] if n > 0)
    with out.open("a") as file:
        file.write("\n".join(lines) + "\n")


def start(out: Path, warmup: float, every: float) -> None:
    """Trace allocations from now; after `warmup` seconds take the baseline,
    then append a growth report to `out` every `every` seconds (forever, in a
    daemon thread: it ends with the process)."""
    tracemalloc.start(FRAMES)

    def loop() -> None:
        time.sleep(warmup)
        gc.collect()
        base = tracemalloc.take_snapshot()
        types = _types()
        started = time.monotonic()
        out.write_text(f"baseline after {warmup:.0f} s of warm-up\n")
        while True:
            time.sleep(every)
            _report(out, started, base, types)

    threading.Thread(target=loop, name="memtrace", daemon=True).start()
