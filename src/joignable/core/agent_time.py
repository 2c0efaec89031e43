"""Agent time for occupancy: how long each agent handled contacts or was available.

Why a module of its own: occupancy needs every agent's time split by category
(handling a contact or wrapping up / available or reserved / neither) and by
15-minute interval, site and outsourcer; and a live control tower needs the
time of segments still open without visiting 2,500 agents four times a second.
Segments are booked when an agent's category changes (and, for live books,
flushed once a minute); open segments are kept as running sums per key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .figures import Acc
from .lifecycle import Presence as P
from .lifecycle import agent_activity

UNASSIGNED = "-"
Dims = tuple[tuple[str, str], ...]


def _category(st: list[Any]) -> str | None:
    """How an agent's time counts for occupancy: "handling" (a connected contact
    or wrap-up), "available" (ready and idle, or reserved by an offer), or None
    (not ready, offline)."""
    presence, offered, busy, _ = st
    if presence is P.OFFLINE:
        return None
    if busy:
        return "handling"
    if presence is P.READY or offered:
        return "available"
    return None


class AgentTime:
    """Each agent's presence, offered and busy counts, and the time they add up to.

    `accs(interval, dims)` gives the accumulators an agent's time goes to.
    """

    def __init__(self, interval_s: float, accs: Callable[[float, Dims], tuple[Acc, ...]]) -> None:
        self.interval_s = interval_s
        self._accs = accs
        self.where: dict[str, tuple[str, str]] = {}  # id -> (site, outsourcer)
        self.state: dict[str, list[Any]] = {}  # id -> [presence, offered, busy, since]
        self._agent_accs: dict[tuple[str, float], tuple[Acc, ...]] = {}
        # open segments: per (dim, key) [n handling, Σ since, n available, Σ since]
        self._open_sums: dict[tuple[str, str], list[float]] = {}
        self._agent_rows: dict[str, tuple[list[float], ...]] = {}  # id -> its rows of those
        self._flushed = float("-inf")

    def configure(self, agent_id: str, site: str, outsourcer: str, at: float) -> None:
        """An agent was defined or moved (what came before stays where it was)."""
        where = (site or UNASSIGNED, outsourcer or UNASSIGNED)
        st = self.state.get(agent_id)
        if st is None:
            self.where[agent_id] = where
            self.state[agent_id] = [P.OFFLINE, 0, 0, at]
            return
        if self.where[agent_id] != where:
            category = _category(st)
            self._close_segment(agent_id, st, category, at)
            self._agent_accs = {k: v for k, v in self._agent_accs.items() if k[0] != agent_id}
            self._agent_rows.pop(agent_id, None)
            self.where[agent_id] = where
            self._open_segment(agent_id, category, at, +1)

    def set(
        self,
        agent_id: str,
        at: float,
        presence: P | None = None,
        offered: int = 0,
        busy: int = 0,
    ) -> None:
        """Change an agent's presence or contact counts; when the category of its
        time (handling / available / neither) changes, book the segment that ends."""
        st = self.state.get(agent_id)
        if st is None:
            return
        before = _category(st)
        if presence is not None:
            st[0] = presence
        st[1] += offered
        st[2] += busy
        after = _category(st)
        if after != before:
            self._close_segment(agent_id, st, before, at)
            self._open_segment(agent_id, after, at, +1)

    def flush(self, t: float) -> None:
        """Book every open segment up to `t` (once a minute for live books), so
        that open segments never start before the last flush."""
        for agent_id, st in self.state.items():
            category = _category(st)
            if category is not None and st[3] < t:
                self._close_segment(agent_id, st, category, t)
                self._open_segment(agent_id, category, t, +1)
        self._flushed = t

    def activities(self) -> dict[str, str]:
        """Each known agent's activity."""
        return {
            agent_id: agent_activity(st[0], st[1], st[2], 0).value
            for agent_id, st in self.state.items()
        }

    def _agent_keys(self, agent_id: str) -> tuple[tuple[str, str], ...]:
        site, outsourcer = self.where[agent_id]
        return (("all", "all"), ("site", site), ("outsourcer", outsourcer))

    def _open_segment(self, agent_id: str, category: str | None, since: float, sign: int) -> None:
        """Count (sign +1) or uncount (-1) an open segment in the running sums
        that give open agent time without visiting every agent."""
        if sign > 0:
            self.state[agent_id][3] = since
        if category is None:
            return
        i = 0 if category == "handling" else 2
        rows = self._agent_rows.get(agent_id)
        if rows is None:  # the agent's first open segment where it is
            sums = self._open_sums
            rows = self._agent_rows[agent_id] = tuple(
                sums.setdefault(key, [0.0, 0.0, 0.0, 0.0]) for key in self._agent_keys(agent_id)
            )
        for row in rows:
            row[i] += sign
            row[i + 1] += sign * since

    def _close_segment(
        self, agent_id: str, st: list[Any], category: str | None, until: float
    ) -> None:
        self._book_agent_time(agent_id, category, st[3], until)
        self._open_segment(agent_id, category, st[3], -1)

    def _book_agent_time(
        self, agent_id: str, category: str | None, since: float, until: float
    ) -> None:
        if category is None or until <= since:
            return
        handling = category == "handling"
        step = self.interval_s
        cache = self._agent_accs
        t = since
        while t < until:  # split across interval boundaries
            interval = (t // step) * step
            end = min(until, interval + step)
            span = end - t
            accs = cache.get((agent_id, interval))
            if accs is None:
                site, outsourcer = self.where[agent_id]
                dims = (("all", "all"), ("site", site), ("outsourcer", outsourcer))
                accs = cache[(agent_id, interval)] = self._accs(interval, dims)
            if handling:
                for acc in accs:
                    acc.handling += span
            else:
                for acc in accs:
                    acc.avail += span
            t = end

    def add_open_time(
        self, accs: dict[str, Acc], dim: str, now: float, first: float | None
    ) -> None:
        """Add the time of each agent's current, not yet booked, segment, from
        `first` on."""
        if dim in ("all", "site", "outsourcer") and (first is None or first <= self._flushed):
            for (d, key), (n_h, s_h, n_a, s_a) in self._open_sums.items():
                if d == dim and (n_h or n_a):
                    acc = accs.get(key)
                    if acc is None:
                        acc = accs[key] = Acc()
                    acc.handling += max(0.0, n_h * now - s_h)
                    acc.avail += max(0.0, n_a * now - s_a)
            return
        if dim not in ("all", "site", "outsourcer", "interval"):
            return
        step = self.interval_s
        for agent_id, st in self.state.items():
            category = _category(st)
            since = st[3]
            if category is None or now <= since:
                continue
            t = since if first is None else max(since, first)
            site, outsourcer = self.where[agent_id]
            while t < now:
                interval = (t // step) * step
                end = now if dim != "interval" else min(now, interval + step)
                key = {
                    "all": "all",
                    "site": site,
                    "outsourcer": outsourcer,
                    "interval": str(int(interval)),
                }[dim]
                acc = accs.get(key)
                if acc is None:
                    acc = accs[key] = Acc()
                if category == "handling":
                    acc.handling += end - t
                else:
                    acc.avail += end - t
                t = end
