"""What a scoped supervisor sees of the live picture: the `Scope` the web layer
hands the hub (its own access rules, by agent and by queue id), and the figures
rebuilt for it — a window's rows of their queues, sites and outsourcers, the
summary and channel rows from their queues' counts (`scoped_figures`), the
agents by state of each row (`scoped_rows`).

Why a module of its own: the hub (`service/live.py`) builds one picture for
everyone; this is the one place that decides what of it a scope keeps, so the
rules can be read (and checked against the REST API's) in one go.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from joignable.core.kpis.figures import ratio
from joignable.core.model import AgentSpec
from joignable.service.throttles import variant_queue

FIELDS = (
    "offered", "answered", "abandoned", "short_abandons", "answered_in_sl", "waiting",
    "longest_wait", "answer_rate", "abandonment_rate", "service_level",
    "service_level_excl_short", "asa", "avg_wait", "aht", "occupancy", "volume",
)  # fmt: skip


def compact(figures: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = figures.get(name)
        out[name] = round(value, 4) if isinstance(value, float) else value
    return out


_COUNTS = ("offered", "answered", "abandoned", "short_abandons", "answered_in_sl", "waiting")


def together(members: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several queues together, rebuilt from their counts as
    `core/kpis/figures.py` defines them: counts summed, the longest wait the longest
    of all, rates divided from the sums (never averaged). ASA divides the total
    wait of the answered contacts (each queue's ASA × answered) by the answered.
    What needs a sum the snapshot does not carry (average wait, AHT, occupancy)
    is None, unless there is one member: its figures. {} when none has any yet."""
    rows = [m for m in members if m]
    if len(rows) <= 1:
        return dict(rows[0]) if rows else {}
    sums = {name: sum(r.get(name) or 0 for r in rows) for name in _COUNTS}
    volume: dict[str, int] = {}
    for row in rows:
        for key, n in (row.get("volume") or {}).items():
            volume[key] = volume.get(key, 0) + n
    waited = sum((r.get("asa") or 0.0) * (r.get("answered") or 0) for r in rows)
    offered, answered, short = sums["offered"], sums["answered"], sums["short_abandons"]
    return compact(
        {
            **sums,
            "longest_wait": max(r.get("longest_wait") or 0.0 for r in rows),
            "answer_rate": ratio(answered, offered),
            "abandonment_rate": ratio(sums["abandoned"] - short, offered - short),
            "service_level": ratio(sums["answered_in_sl"], offered),
            "service_level_excl_short": ratio(sums["answered_in_sl"], offered - short),
            "asa": ratio(waited, answered),
            "volume": dict(sorted(volume.items())),
        }
    )


def scoped_figures(
    dims: dict[str, dict[str, dict[str, Any]]],
    scope: Scope,
    queues: Collection[str],
    lines: dict[str, tuple[int, float]],
) -> dict[str, dict[str, dict[str, Any]]]:
    """One window's figures as `scope` sees them: its `queues`, sites and
    outsourcers; the summary (`center`) its queues together; a channel's row its
    queues' rows whose contacts (their `volume` in the window) are all of that
    channel, together, with its waiting contacts (`lines`: channel -> count,
    longest wait, read from the engine). A channel that shares a queue's row
    with another in the window is left out: the row cannot be split."""
    mine = {k: v for k, v in dims.get("queue", {}).items() if k in queues}
    rows: dict[str, list[dict[str, Any]]] = {}
    split: set[str] = set()
    for row in mine.values():
        volume = row.get("volume") or {}
        if len(volume) == 1:
            rows.setdefault(next(iter(volume)), []).append(row)
        else:
            split.update(volume)
    channels: dict[str, dict[str, Any]] = {}
    for channel in sorted((set(rows) | set(lines)) - split):
        figures = together(rows.get(channel, ())) or compact({})
        figures["waiting"], longest = lines.get(channel, (0, 0.0))
        figures["longest_wait"] = round(longest, 4)
        channels[channel] = figures
    return {
        "center": {"all": together(mine.values())},
        "queue": mine,
        "channel": channels,
        "site": {k: v for k, v in dims.get("site", {}).items() if scope.site(k)},
        "outsourcer": {k: v for k, v in dims.get("outsourcer", {}).items() if scope.outsourcer(k)},
    }


@dataclass(frozen=True, slots=True)
class Scope:
    """What one scoped supervisor may see, as the rules of the web layer (the
    REST API's `User.may_see_agent` and `may_see_queue`, by queue id): the hub
    applies them and has no rule of its own. A site's figures are shown to whom
    may see that site's in-house agents, an outsourcer's to whom may see that
    outsourcer's agents (with no site): those figures are made of theirs only.
    Clients with the same `key` see the same (they share one message)."""

    key: Hashable
    agent: Callable[[AgentSpec], bool]
    queue: Callable[[str], bool]

    def site(self, site: str) -> bool:
        return self.agent(AgentSpec(id="", site=site))

    def outsourcer(self, outsourcer: str) -> bool:
        return self.agent(AgentSpec(id="", outsourcer=outsourcer))

    def sees_alert(self, alert: dict[str, Any], queues: Collection[str] | None = None) -> bool:
        """Whether an alert (or an alert history row) is about something in this
        scope; `queues`, the queues in scope, spares asking the rule again."""
        kind, member = alert.get("scope"), str(alert.get("scope_id", ""))
        if str(alert.get("kind", "")).startswith("Throttle"):  # a throttle decision
            return self.sees_throttle(alert, queues)
        if kind == "queue":
            return member in queues if queues is not None else self.queue(member)
        if kind == "site":
            return self.site(member)
        if kind == "outsourcer":
            return self.outsourcer(member)
        return False  # the center's or a channel's: figures of the whole center

    def sees_throttle(
        self, throttle: dict[str, Any], queues: Collection[str] | None = None
    ) -> bool:
        """A throttle Q → S shows Q and the figures of queue Q@S: both must be in scope."""
        queue, site = str(throttle.get("queue", "")), str(throttle.get("site", ""))
        seen = queues.__contains__ if queues is not None else self.queue
        return seen(queue) and seen(variant_queue(queue, site))


def scoped_view(
    key: Hashable, *, agent: Callable[[AgentSpec], bool], queue: Callable[[str], bool]
) -> Scope:
    """The scope of a supervisor who may see the agents `agent` admits and the
    queues (by id) `queue` admits; pass it to `LiveHub.serve` / `LiveHub.view`."""
    return Scope(key, agent, queue)


def scoped_rows(
    rows: dict[str, dict[str, dict[str, int]]], scope: Scope, queues: Collection[str]
) -> dict[str, dict[str, dict[str, int]]]:
    """The agents by state of each row (`core/kpis/agent_counts.py`, counted from
    the agents `scope` may see) cut to the rows it may see, as `scoped_figures`
    does: its `queues`, the sites and outsourcers it admits, and the channels
    its agents serve."""
    return {
        "queue": {k: v for k, v in rows.get("queue", {}).items() if k in queues},
        "channel": dict(rows.get("channel", {})),
        "site": {k: v for k, v in rows.get("site", {}).items() if scope.site(k)},
        "outsourcer": {k: v for k, v in rows.get("outsourcer", {}).items() if scope.outsourcer(k)},
    }
