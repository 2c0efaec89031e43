"""Short garbage-collection pauses for a long-running server.

Why: the engine, the KPI book and the event fan-out keep hundreds of thousands
of small long-lived objects. CPython's full collections walk all of them: with
2,500 agents and a few thousand contacts a full collection took 100–230 ms, about
once a second under load — that was the p99 of arrival → offer. So:

* young collections run every 5,000 allocations rather than 700 (a request
  makes many short-lived objects);
* every `freeze_every` seconds (2), survivors move to the permanent generation
  (`gc.freeze()`), after a young-generation collection; full collections then
  only walk what was allocated since;
* every `full_every` seconds (600), everything is thawed and collected once, so that
  cyclic garbage frozen by chance (an object in flight at a freeze) is freed:
  one pause every ten minutes instead of one a second.

See docs/decisions/0011-frozen-heap-for-short-gc-pauses.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HeapStatistics:
    freezes: int
    full_collections: int
    frozen_objects: int
    last_full_ms: float


class HeapKeeper:
    def __init__(self, freeze_every: float = 2.0, full_every: float = 600.0) -> None:
        if freeze_every <= 0 or full_every < freeze_every:
            raise ValueError("need 0 < freeze_every <= full_every")
        self.freeze_every = freeze_every
        self.full_every = full_every
        self._task: asyncio.Task[None] | None = None
        self._freezes = 0
        self._fulls = 0
        self._last_full_ms = 0.0
        self._thresholds = gc.get_threshold()

    async def start(self) -> None:
        """Collect once, freeze what is there (the replayed state), keep going."""
        self._thresholds = gc.get_threshold()
        gc.set_threshold(5_000, 10, 10)  # fewer young collections: a request makes many objects
        self._full()
        self._freeze()
        self._task = asyncio.create_task(self._loop(), name="joignable-heap")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        gc.set_threshold(*self._thresholds)
        gc.unfreeze()

    def statistics(self) -> HeapStatistics:
        return HeapStatistics(
            freezes=self._freezes,
            full_collections=self._fulls,
            frozen_objects=gc.get_freeze_count(),
            last_full_ms=round(self._last_full_ms, 2),
        )

    async def _loop(self) -> None:
        since_full = 0.0
        while True:
            await asyncio.sleep(self.freeze_every)
            since_full += self.freeze_every
            if since_full >= self.full_every:
                since_full = 0.0
                self._full()
            self._freeze()

    def _freeze(self) -> None:
        gc.collect(1)  # young cyclic garbage goes first, not into the freezer
        gc.freeze()
        self._freezes += 1

    def _full(self) -> None:
        started = time.perf_counter()
        gc.unfreeze()
        gc.collect()
        self._fulls += 1
        self._last_full_ms = (time.perf_counter() - started) * 1000
