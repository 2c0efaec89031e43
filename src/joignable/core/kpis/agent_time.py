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

from ..routing.lifecycle import Presence as P
from ..routing.lifecycle import agent_activity
from .figures import Acc

UNASSIGNED = "-"
Dims = tuple[tuple[str, str], ...]


class _Agent:
    """One agent as occupancy sees it: presence, contact counts, where it works,
    and its open segment (since when, counted as what)."""

    __slots__ = ("accs", "busy", "category", "dims", "offered", "presence", "rows", "since")

    def __init__(self, where: tuple[str, str], at: float) -> None:
        self.presence = P.OFFLINE
        self.offered = 0
        self.busy = 0
        self.since = at
        self.category: str | None = None
        self.place(where)

    def place(self, where: tuple[str, str]) -> None:
        site, outsourcer = where
        self.dims: Dims = (("all", "all"), ("site", site), ("outsourcer", outsourcer))
        self.accs: dict[float, tuple[Acc, ...]] = {}  # interval -> where its time goes
        self.rows: tuple[list[float], ...] | None = None  # its rows of the running sums


def _category(a: _Agent) -> str | None:
    """How an agent's time counts for occupancy: "handling" (a connected contact
    or wrap-up), "available" (ready and idle, or reserved by an offer), or None
    (not ready, offline)."""
    presence = a.presence
    if presence is P.OFFLINE:
        return None
    if a.busy:
        return "handling"
    if presence is P.READY or a.offered:
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
        self._agents: dict[str, _Agent] = {}
        # open segments: per (dim, key) [n handling, Σ since, n available, Σ since]
        self._open_sums: dict[tuple[str, str], list[float]] = {}
        self._flushed = float("-inf")

    def configure(self, agent_id: str, site: str, outsourcer: str, at: float) -> None:
        """An agent was defined or moved (what came before stays where it was)."""
        where = (site or UNASSIGNED, outsourcer or UNASSIGNED)
        a = self._agents.get(agent_id)
        if a is None:
            self.where[agent_id] = where
            self._agents[agent_id] = _Agent(where, at)
            return
        if self.where[agent_id] != where:
            category = a.category
            self._close_segment(a, at)
            self.where[agent_id] = where
            a.place(where)
            self._open_segment(a, category, at)

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
        a = self._agents.get(agent_id)
        if a is None:
            return
        if presence is not None:
            a.presence = presence
        a.offered += offered
        a.busy += busy
        category = _category(a)
        if category != a.category:
            self._switch(a, category, at)

    def flush(self, t: float) -> None:
        """Book every open segment up to `t` (once a minute for live books), so
        that open segments never start before the last flush."""
        for a in self._agents.values():
            category = a.category
            if category is not None and a.since < t:
                self._switch(a, category, t)
        self._flushed = t

    def forget(self, before: float) -> None:
        """Drop each agent's accumulators of intervals starting before `before`
        (the book dropped their figures; a segment booked there later gets new ones)."""
        for a in self._agents.values():
            if any(interval < before for interval in a.accs):
                a.accs = {i: accs for i, accs in a.accs.items() if i >= before}

    def activities(self) -> dict[str, str]:
        """Each known agent's activity."""
        return {
            agent_id: agent_activity(a.presence, a.offered, a.busy, 0).value
            for agent_id, a in self._agents.items()
        }

    def _count_open(self, a: _Agent, sign: int) -> None:
        """Count (sign +1) or uncount (-1) the agent's open segment in the running
        sums that give open agent time without visiting every agent."""
        if a.category is None:
            return
        i = 0 if a.category == "handling" else 2
        rows = a.rows
        if rows is None:  # the agent's first open segment where it is
            sums = self._open_sums
            rows = a.rows = tuple(sums.setdefault(key, [0.0, 0.0, 0.0, 0.0]) for key in a.dims)
        since = a.since
        for row in rows:
            row[i] += sign
            row[i + 1] += sign * since

    def _open_segment(self, a: _Agent, category: str | None, since: float) -> None:
        a.category = category
        a.since = since
        self._count_open(a, +1)

    def _close_segment(self, a: _Agent, until: float) -> None:
        self._book_agent_time(a, until)
        self._count_open(a, -1)

    def _switch(self, a: _Agent, category: str | None, at: float) -> None:
        """The agent's open segment ends at `at` (booked); one of `category` opens."""
        self._close_segment(a, at)
        self._open_segment(a, category, at)

    def _book_agent_time(self, a: _Agent, until: float) -> None:
        """Book the agent's open segment, from its start to `until`."""
        since = a.since
        if a.category is None or until <= since:
            return
        handling = a.category == "handling"
        step = self.interval_s
        cache = a.accs
        t = since
        while t < until:  # split across interval boundaries
            interval = (t // step) * step
            end = min(until, interval + step)
            span = end - t
            accs = cache.get(interval)
            if accs is None:
                accs = cache[interval] = self._accs(interval, a.dims)
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
        for agent_id, a in self._agents.items():
            category = a.category
            since = a.since
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
