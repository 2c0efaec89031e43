"""The agents a control tower lists: the filter a tower client asks for, and
the roster of agents with their states that every view of one push shares
(built once per engine event by the live hub, `service/live.py`)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from joignable.core.routing.runtime import Agent

MAX_FILTER_CHARS = 100


@dataclass(frozen=True, slots=True)
class AgentFilter:
    """Which agents the tower lists: `find` found in the id, name, site,
    outsourcer or state — ignoring case and accents ("helene" finds Hélène,
    "ÉLODIE" finds Elodie) — and the state (activity) `state`; "" is any."""

    find: str = ""
    state: str = ""

    @classmethod
    def of(cls, find: object = "", state: object = "") -> AgentFilter:
        """From what a client sent (anything; strings are cut to size)."""
        f = fold(find.strip()[:MAX_FILTER_CHARS]) if isinstance(find, str) else ""
        s = state.strip()[:MAX_FILTER_CHARS] if isinstance(state, str) else ""
        return cls(f, s)

    def __bool__(self) -> bool:
        return bool(self.find or self.state)

    def matches(self, agent: Agent, state: str) -> bool:
        if self.state and state != self.state:
            return False
        if not self.find:
            return True
        spec = agent.spec
        return self.find in fold(f"{agent.id} {spec.name} {spec.site} {spec.outsourcer} {state}")


EVERYONE = AgentFilter()


def fold(text: str) -> str:
    """`text` for a search that ignores case and accents: decomposed (NFKD),
    without its combining marks, case-folded ("Hélène" → "helene", "ß" → "ss")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class Roster:
    """The agents with their states, in id order, at engine event `seq`; the
    agents of each scope (by key) and the rows built, filled as views ask."""

    __slots__ = ("agents", "by_row", "rows", "scoped", "seq")

    def __init__(self, seq: int, agents: list[tuple[Agent, str]]) -> None:
        self.seq = seq
        self.agents = agents
        self.rows: dict[str, dict[str, Any]] = {}
        self.scoped: dict[Hashable, tuple[list[tuple[Agent, str]], dict[str, int]]] = {}
        self.by_row: dict[Hashable, dict[str, dict[str, dict[str, int]]]] = {}

    def row(self, agent: Agent, state: str) -> dict[str, Any]:
        row = self.rows.get(agent.id)
        if row is None:
            row = self.rows[agent.id] = agent_row(agent, state)
        return row


def agent_filter(text: object) -> AgentFilter | None:
    """The filter a tower client asks for, or None (not such a message)."""
    if not isinstance(text, str) or len(text) > 10 * MAX_FILTER_CHARS:
        return None
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("type") != "agents":
        return None
    return AgentFilter.of(message.get("find", ""), message.get("state", ""))


def agent_row(agent: Agent, state: str) -> dict[str, Any]:
    spec = agent.spec
    return {
        "id": agent.id,
        "name": spec.name,
        "site": spec.site,
        "outsourcer": spec.outsourcer,
        "state": state,
        "reason": agent.reason,
        "channels": [ch.value for ch, n in spec.capacity.limits if n > 0],
        "queues": sorted(spec.queues),  # empty: every queue
        "contacts": agent.holding,
    }
