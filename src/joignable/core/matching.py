"""Routing decisions: which agent for this contact, which contact for this agent.

Two routers make the *same* decisions:

* `IndexedRouter` (production): an availability index keyed by (channel,
  skill) holding the agents with room on that channel, in the order they got
  room — so "longest idle" is the first eligible entry, usually the first one
  looked at. Waiting lines are sorted once on entry (`QueueState`), so "which
  contact for this agent" is the first eligible entry of each queue the agent
  serves.
* `ReferenceRouter` (the oracle and the naive baseline of `bench/routing.py`):
  scans every agent and every waiting contact on each decision.

Policy, shared by both:
  agent for a contact — among eligible agents with room on the contact's
  channel, by the queue's strategy; ties go to the agent who has had room the
  longest (`Agent.stamp`).
  `least_flexible` — the agent with the least *spare flexibility*: the sum,
  over the agent's skills the contact does not require, of 1 / (number of
  agents with room on the contact's channel who have that skill, the agent
  included); then the fewest skills; then longest idle. Giving the contact to
  that agent keeps free the agents whose other skills are scarce among the
  free ones, so the next contact of a scarce skill still finds someone.
  contact for an agent — among waiting contacts of queues not on standby, on
  channels not on standby, where the agent has room and is eligible: highest
  effective priority (priority + aging × wait), then earliest entry, then
  lowest sequence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .model import Channel, QueueSpec, Strategy
from .runtime import Agent, Contact, QueueState, eligible


class RoutingState(Protocol):
    """What a router reads from the engine."""

    agents: dict[str, Agent]
    contacts: dict[str, Contact]
    queues: dict[str, QueueState]
    channel_standby: set[Channel]


class Router(Protocol):
    decisions: int

    def reindex(
        self, agent: Agent, gained: frozenset[Channel], lost: frozenset[Channel], moved: bool
    ) -> None: ...

    def agent_for(self, contact: Contact, queue: QueueSpec) -> Agent | None: ...

    def contact_for(self, agent: Agent, now: float) -> Contact | None: ...


def _better_agent(strategy: Strategy, contact: Contact, a: Agent, b: Agent) -> bool:
    """Whether `a` beats `b` for `contact` under `strategy` (stamp breaks ties)."""
    ch = contact.channel
    if strategy is Strategy.MOST_SKILLED:
        sa = sum(a.skills.get(s, 0) for s, _ in contact.reqs)
        sb = sum(b.skills.get(s, 0) for s, _ in contact.reqs)
        if sa != sb:
            return sa > sb
    elif strategy is Strategy.LEAST_OCCUPIED:
        if a.load != b.load:
            return a.load < b.load
    elif strategy is Strategy.ROUND_ROBIN and a.last_offer != b.last_offer:
        return a.last_offer < b.last_offer
    return a.stamp[ch] < b.stamp[ch]


def _flex_key(
    agent: Agent, contact: Contact, room: Callable[[tuple[Channel, str]], int]
) -> tuple[float, int, int]:
    """`least_flexible` order, lowest first: spare flexibility, number of
    skills, stamp. `room(key)` is how many agents with room hold that (channel,
    skill) key; the sum runs in the agent's sorted key order in both routers, so
    the floats are the same."""
    ch = contact.channel
    reqs = contact.reqs
    spare = 0.0
    keys = agent.keys[ch]
    for i in range(1, len(keys)):  # keys[0] is (channel, ""): every agent with room
        key = keys[i]
        skill = key[1]
        for s, _ in reqs:
            if s == skill:
                break
        else:
            spare += 1.0 / room(key)
    return spare, len(keys), agent.stamp[ch]


def _better_contact(a: Contact, b: Contact, ea: float, eb: float) -> bool:
    if ea != eb:
        return ea > eb
    if a.entered != b.entered:
        return a.entered < b.entered
    return a.seq < b.seq


Bucket = dict[str, Agent]  # the agents with room under one (channel, skill) key, in order


class IndexedRouter:
    def __init__(self, state: RoutingState) -> None:
        self.state = state
        self.index: dict[tuple[Channel, str], Bucket] = {}
        self.decisions = 0
        # per agent: the `keys` it was indexed with, and the buckets of those keys
        self._buckets: dict[str, tuple[object, dict[Channel, tuple[Bucket, ...]]]] = {}

    def _buckets_of(self, agent: Agent) -> dict[Channel, tuple[Bucket, ...]]:
        """The buckets of the agent's keys, per channel (an empty bucket is no bucket)."""
        cached = self._buckets.get(agent.id)
        if cached is not None and cached[0] is agent.keys:
            return cached[1]
        index = self.index
        buckets = {
            ch: tuple(index.setdefault(key, {}) for key in keys) for ch, keys in agent.keys.items()
        }
        self._buckets[agent.id] = (agent.keys, buckets)  # new keys on reconfiguration
        return buckets

    def reindex(
        self, agent: Agent, gained: frozenset[Channel], lost: frozenset[Channel], moved: bool
    ) -> None:
        buckets = self._buckets_of(agent)
        aid = agent.id
        for ch in lost:
            for bucket in buckets[ch]:
                bucket.pop(aid, None)
        for ch in gained:
            for bucket in buckets[ch]:
                if moved:
                    bucket.pop(aid, None)
                bucket[aid] = agent

    def agent_for(self, contact: Contact, queue: QueueSpec) -> Agent | None:
        self.decisions += 1
        ch = contact.channel
        index = self.index
        pool = index.get((ch, ""))
        if not pool:
            return None
        for skill, _ in contact.reqs:  # look in the smallest bucket
            bucket = index.get((ch, skill))
            if not bucket:
                return None
            if len(bucket) < len(pool):
                pool = bucket
        strategy = queue.strategy
        if strategy is Strategy.LONGEST_IDLE:
            for agent in pool.values():
                if eligible(agent, contact, queue):
                    return agent
            return None
        if strategy is Strategy.LEAST_FLEXIBLE:
            return self._least_flexible(pool, contact, queue)
        best: Agent | None = None
        for agent in pool.values():
            if eligible(agent, contact, queue) and (
                best is None or _better_agent(strategy, contact, agent, best)
            ):
                best = agent
        return best

    def _least_flexible(
        self, pool: dict[str, Agent], contact: Contact, queue: QueueSpec
    ) -> Agent | None:
        index = self.index

        def room(key: tuple[Channel, str]) -> int:
            return len(index[key])  # the agent itself is in it: never 0

        best: Agent | None = None
        best_key = (0.0, 0, 0)
        for agent in pool.values():
            if eligible(agent, contact, queue):
                key = _flex_key(agent, contact, room)
                if best is None or key < best_key:
                    best, best_key = agent, key
        return best

    def contact_for(self, agent: Agent, now: float) -> Contact | None:
        self.decisions += 1
        state = self.state
        open_channels = agent.indexed
        if not open_channels:
            return None
        contacts = state.contacts
        standby = state.channel_standby
        best: Contact | None = None
        best_eff = 0.0
        queues = (
            [state.queues[q] for q in agent.queues if q in state.queues]
            if agent.queues
            else state.queues.values()
        )
        for qs in queues:
            spec = qs.spec
            if spec.standby or not qs.waiting:
                continue
            for entry in qs.waiting:
                c = contacts[entry[3]]
                if c.channel not in open_channels or c.channel in standby:
                    continue
                if eligible(agent, c, spec):
                    eff = c.effective_priority(spec.aging_per_s, now)
                    if best is None or _better_contact(c, best, eff, best_eff):
                        best, best_eff = c, eff
                    break
        return best


class ReferenceRouter:
    """Scans everything on every decision: the oracle for tests, the naive
    baseline for benchmarks. Same policy as `IndexedRouter`."""

    def __init__(self, state: RoutingState) -> None:
        self.state = state
        self.decisions = 0

    def reindex(
        self, agent: Agent, gained: frozenset[Channel], lost: frozenset[Channel], moved: bool
    ) -> None:
        return None

    def agent_for(self, contact: Contact, queue: QueueSpec) -> Agent | None:
        self.decisions += 1
        if queue.strategy is Strategy.LEAST_FLEXIBLE:
            return self._least_flexible(contact, queue)
        best: Agent | None = None
        for agent in self.state.agents.values():
            if contact.channel not in agent.indexed or not eligible(agent, contact, queue):
                continue
            if best is None or _better_agent(queue.strategy, contact, agent, best):
                best = agent
        return best

    def _least_flexible(self, contact: Contact, queue: QueueSpec) -> Agent | None:
        ch = contact.channel
        counts: dict[tuple[Channel, str], int] = {}
        for a in self.state.agents.values():
            if ch in a.indexed:
                for s in a.skills:
                    counts[ch, s] = counts.get((ch, s), 0) + 1
        best: Agent | None = None
        best_key = (0.0, 0, 0)
        for agent in self.state.agents.values():
            if ch not in agent.indexed or not eligible(agent, contact, queue):
                continue
            key = _flex_key(agent, contact, counts.__getitem__)
            if best is None or key < best_key:
                best, best_key = agent, key
        return best

    def contact_for(self, agent: Agent, now: float) -> Contact | None:
        self.decisions += 1
        state = self.state
        best: Contact | None = None
        best_eff = 0.0
        for c in state.contacts.values():
            if c.entry is None:  # not waiting
                continue
            qs = state.queues[c.queue]
            if qs.spec.standby or c.channel in state.channel_standby:
                continue
            if c.channel not in agent.indexed or not eligible(agent, c, qs.spec):
                continue
            eff = c.effective_priority(qs.spec.aging_per_s, now)
            if best is None or _better_contact(c, best, eff, best_eff):
                best, best_eff = c, eff
        return best
