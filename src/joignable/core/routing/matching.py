"""Routing decisions: which agent for this contact, which contact for this agent.

Two routers make the *same* decisions:

* `IndexedRouter` (production): an availability index keyed by (channel,
  skill) holding the agents with room on that channel, in the order they got
  room — so "longest idle" is the first eligible entry, usually the first one
  looked at (an entry carries the agent's level, languages and queues, so
  the scan need not read the agent itself). Waiting lines are sorted once on
  entry (`QueueState`), so "which contact for this agent" is the first
  eligible entry of each queue the agent serves.
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
from typing import NamedTuple, Protocol

from ..model import Channel, QueueSpec, Strategy
from .runtime import Agent, Contact, QueueState, eligible

# The strategies as constants: a member read off its enum class costs a lookup
# through the metaclass every time (some 70 ns on CPython 3.11).
_MOST_SKILLED = Strategy.MOST_SKILLED
_LEAST_OCCUPIED = Strategy.LEAST_OCCUPIED
_ROUND_ROBIN = Strategy.ROUND_ROBIN
_LONGEST_IDLE = Strategy.LONGEST_IDLE
_LEAST_FLEXIBLE = Strategy.LEAST_FLEXIBLE


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

    def forget(self, agent_id: str) -> None: ...

    def agent_for(self, contact: Contact, queue: QueueSpec) -> Agent | None: ...

    def contact_for(self, agent: Agent, now: float) -> Contact | None: ...


def _better_agent(strategy: Strategy, contact: Contact, a: Agent, b: Agent) -> bool:
    """Whether `a` beats `b` for `contact` under `strategy` (stamp breaks ties)."""
    ch = contact.channel
    if strategy is _MOST_SKILLED:
        sa = sum(a.skills.get(s, 0) for s, _ in contact.reqs)
        sb = sum(b.skills.get(s, 0) for s, _ in contact.reqs)
        if sa != sb:
            return sa > sb
    elif strategy is _LEAST_OCCUPIED:
        if a.load != b.load:
            return a.load < b.load
    elif strategy is _ROUND_ROBIN and a.last_offer != b.last_offer:
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


class Entry(NamedTuple):
    """An agent in a bucket, beside copies of what a longest-idle scan tests, so
    that the scan reads one small record per agent it looks at, rather than the
    agent, its set of languages and its dict of skills (on a large center those
    are rarely in the CPU cache). Made once per configuration of the agent."""

    agent: Agent
    level: int  # the agent's level in the bucket's skill (0 in a channel's "" bucket)
    languages: frozenset[str]  # one object per distinct set (`IndexedRouter._languages`)
    queues: frozenset[str]  # empty: every queue (then always `_EVERY_QUEUE`)


Bucket = dict[str, Entry]  # the agents with room under one (channel, skill) key, in order
Places = dict[Channel, tuple[tuple[Bucket, Entry], ...]]  # an agent's buckets and entries

_EVERY_QUEUE: frozenset[str] = frozenset()


def _first_eligible(pool: Bucket, skill: str, contact: Contact, queue: QueueSpec) -> Agent | None:
    """The first agent of `pool`, the bucket of `skill`, that `eligible` accepts.

    For the usual contact — needing that one skill, at a step without team /
    site / outsourcer scope, declined by nobody — `eligible` comes down to the
    queue, the language and the level in that skill, all three in the entries;
    any other contact is tested by `eligible` itself.
    """
    reqs = contact.reqs
    step = queue.steps[contact.step]
    if (
        len(reqs) != 1
        or reqs[0][0] != skill
        or step.teams
        or step.sites
        or step.outsourcers
        or contact.declined
    ):
        for entry in pool.values():
            if eligible(entry.agent, contact, queue):
                return entry.agent
        return None
    level = reqs[0][1]
    language = contact.language
    queue_id = contact.queue
    for entry in pool.values():  # by index: a field name is looked up at every read
        if (
            entry[1] >= level
            and (not language or language in entry[2])
            and (not entry[3] or queue_id in entry[3])
        ):
            return entry[0]
    return None


class IndexedRouter:
    def __init__(self, state: RoutingState) -> None:
        self.state = state
        # channel -> skill ("": every agent with room on the channel) -> bucket
        self.index: dict[Channel, dict[str, Bucket]] = {}
        self.decisions = 0
        # per agent: the `keys` its places were made for, and those places
        self._places: dict[str, tuple[object, Places]] = {}
        # each distinct set of agents' languages once (a handful on a center)
        self._languages: dict[frozenset[str], frozenset[str]] = {}

    def _places_of(self, agent: Agent) -> Places:
        """The agent's buckets and its entry in each, per channel (an empty
        bucket is no bucket); made anew when the agent is reconfigured."""
        cached = self._places.get(agent.id)
        if cached is not None and cached[0] is agent.keys:
            return cached[1]
        languages = self._languages.setdefault(agent.languages, agent.languages)
        queues = agent.queues or _EVERY_QUEUE
        places = {
            ch: tuple(
                (
                    self._bucket(ch, skill),
                    Entry(agent, agent.skills.get(skill, 0), languages, queues),
                )
                for _, skill in keys
            )
            for ch, keys in agent.keys.items()
        }
        self._places[agent.id] = (agent.keys, places)
        return places

    def _bucket(self, ch: Channel, skill: str) -> Bucket:
        return self.index.setdefault(ch, {}).setdefault(skill, {})

    def reindex(
        self, agent: Agent, gained: frozenset[Channel], lost: frozenset[Channel], moved: bool
    ) -> None:
        places = self._places_of(agent)
        aid = agent.id
        for ch in lost:
            for bucket, _ in places[ch]:
                bucket.pop(aid, None)
        for ch in gained:
            for bucket, entry in places[ch]:
                if moved:
                    bucket.pop(aid, None)
                bucket[aid] = entry

    def forget(self, agent_id: str) -> None:
        """Drop the places of an agent removed from the configuration (once it
        has left the index)."""
        self._places.pop(agent_id, None)

    def _pool(self, contact: Contact) -> tuple[Bucket | None, str]:
        """The smallest bucket that holds every agent with room who has the
        contact's skills (None or empty: nobody), and its skill. A skill's
        bucket is part of the channel's ("") bucket, in the same order, so with
        skills required the channel's bucket is never needed."""
        skills = self.index.get(contact.channel)
        if skills is None:
            return None, ""
        pool: Bucket | None = None
        pool_skill = ""
        for skill, _ in contact.reqs:
            bucket = skills.get(skill)
            if not bucket:
                return None, ""
            if pool is None or len(bucket) < len(pool):
                pool, pool_skill = bucket, skill
        return (skills.get("") if pool is None else pool), pool_skill

    def agent_for(self, contact: Contact, queue: QueueSpec) -> Agent | None:
        self.decisions += 1
        pool, skill = self._pool(contact)
        if not pool:
            return None
        strategy = queue.strategy
        if strategy is _LONGEST_IDLE:
            return _first_eligible(pool, skill, contact, queue)
        if strategy is _LEAST_FLEXIBLE:
            return self._least_flexible(pool, contact, queue)
        best: Agent | None = None
        for entry in pool.values():
            agent = entry.agent
            if eligible(agent, contact, queue) and (
                best is None or _better_agent(strategy, contact, agent, best)
            ):
                best = agent
        return best

    def _least_flexible(self, pool: Bucket, contact: Contact, queue: QueueSpec) -> Agent | None:
        skills = self.index[contact.channel]

        def room(key: tuple[Channel, str]) -> int:
            return len(skills[key[1]])  # the agent itself is in it: never 0

        best: Agent | None = None
        best_key = (0.0, 0, 0)
        for entry in pool.values():
            agent = entry.agent
            if eligible(agent, contact, queue):
                key = _flex_key(agent, contact, room)
                if best is None or key < best_key:
                    best, best_key = agent, key
        return best

    def contact_for(self, agent: Agent, now: float) -> Contact | None:
        self.decisions += 1
        if not agent.indexed:
            return None
        state = self.state
        best: Contact | None = None
        best_eff = 0.0
        queues = (
            [state.queues[q] for q in agent.queues if q in state.queues]
            if agent.queues
            else state.queues.values()
        )
        for qs in queues:
            if not qs.waiting or qs.spec.standby:  # most lines are empty: test that first
                continue
            c = self._first_in_line(qs, agent)
            if c is not None:
                eff = c.effective_priority(qs.spec.aging_per_s, now)
                if best is None or _better_contact(c, best, eff, best_eff):
                    best, best_eff = c, eff
        return best

    def _first_in_line(self, qs: QueueState, agent: Agent) -> Contact | None:
        """The first contact of the line that the agent has room for and may take."""
        contacts = self.state.contacts
        standby = self.state.channel_standby
        open_channels = agent.indexed
        spec = qs.spec
        for entry in qs.waiting:
            c = contacts[entry[3]]
            if c.channel not in open_channels or c.channel in standby:
                continue
            if eligible(agent, c, spec):
                return c
        return None


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

    def forget(self, agent_id: str) -> None:
        return None

    def agent_for(self, contact: Contact, queue: QueueSpec) -> Agent | None:
        self.decisions += 1
        if queue.strategy is _LEAST_FLEXIBLE:
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
