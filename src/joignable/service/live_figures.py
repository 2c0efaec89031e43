"""The control tower's KPI figures, folded from the live hub's `KpiBook`.

Why a module of its own: the figures are the costly part of a snapshot on a
busy day and have rules of their own — every dimension (center, queue,
channel, site, outsourcer), configured members listed before their first
contact, "since midnight" in the center's time zone recomputed at most every
`today_every` seconds, and a build that hands the event loop back between
dimensions so that requests are never held up for a whole build. The hub
(`service/live.py`) asks for them once per push; nothing here sends anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from joignable.core.kpis.book import KpiBook
from joignable.service.readside import ReadSide
from joignable.service.scope import compact

#: {"5m"|"sliding"|"today": {dimension: {member: figures}}}
Figures = dict[str, dict[str, dict[str, dict[str, Any]]]]

#: the short window (seconds), read from the sliding window's per-minute buckets
SHORT_S = 300.0
#: the windows of a snapshot, shortest first ("sliding": the book's 15 min)
WINDOWS: tuple[str, ...] = ("5m", "sliding", "today")

DIMENSIONS: tuple[tuple[str, str | None], ...] = (
    ("center", None),
    ("queue", "queue"),
    ("channel", "channel"),
    ("site", "site"),
    ("outsourcer", "outsourcer"),
)


class LiveFigures:
    """The figures of `book` for the members `read` knows, in `timezone`."""

    def __init__(
        self, book: KpiBook, read: ReadSide, *, timezone: str = "UTC", today_every: float = 1.0
    ) -> None:
        self.book = book
        self.read = read
        self.tz = ZoneInfo(timezone)
        # "since midnight" moves slowly: recomputed at most every `today_every` seconds
        self.today_every = today_every
        self._today: dict[str, dict[str, dict[str, Any]]] = {}
        self._today_at = float("-inf")
        self._today_since = 0.0

    def midnight(self, now: float) -> float:
        """The last local midnight before `now` (a timestamp), in the center's zone."""
        local = datetime.fromtimestamp(now, self.tz)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

    def figures(self, now: float) -> Figures:
        """{"5m"|"sliding"|"today": {dimension: {member: figures}}}; configured
        queues, sites and outsourcers are listed even before their first contact."""
        out: Figures = {w: {} for w in WINDOWS}
        for _ in self._steps(now, out):
            pass
        return out

    async def figures_async(self, now: float) -> Figures:
        """`figures`, handing the event loop back between dimensions, so that a
        large center's snapshot never holds requests up for its whole build."""
        out: Figures = {w: {} for w in WINDOWS}
        for _ in self._steps(now, out):
            await asyncio.sleep(0)
        return out

    def _steps(self, now: float, out: Figures) -> Iterator[None]:
        engine = self.read.center
        known: dict[str, set[str]] = {
            "queue": set(engine.queues),
            "site": {a.site for a in engine.agents.values() if a.site},
            "outsourcer": {a.outsourcer for a in engine.agents.values() if a.outsourcer},
        }
        for queue in engine.queues.values():  # a site or outsourcer a queue names
            if queue.spec.site:
                known["site"].add(queue.spec.site)
            if queue.spec.outsourcer:
                known["outsourcer"].add(queue.spec.outsourcer)
        since = self.midnight(now)
        if since != self._today_since:  # a new day (or the first figures): older ones unread
            self.book.forget(min(since, now - self.book.settings.window_s))
        fresh_today = now - self._today_at >= self.today_every or self._today_since != since
        for name, by in DIMENSIONS:
            sliding = {k: compact(f.as_dict()) for k, f in self.book.window(now, by=by).items()}
            short_s = min(SHORT_S, self.book.settings.window_s)
            short = {
                k: compact(f.as_dict())
                for k, f in self.book.window(now, by=by, span_s=short_s).items()
            }
            yield
            if fresh_today:
                self._today[name] = {
                    k: compact(f.as_dict())
                    for k, f in self.book.figures(now, by=by, since=since).items()
                }
                yield
            today = dict(self._today.get(name, {}))
            for member in sorted(known.get(name, ())):
                short.setdefault(member, {})
                sliding.setdefault(member, {})
                today.setdefault(member, {})
            out["5m"][name] = dict(sorted(short.items()))
            out["sliding"][name] = dict(sorted(sliding.items()))
            out["today"][name] = dict(sorted(today.items()))
        if fresh_today:
            self._today_at, self._today_since = now, since
