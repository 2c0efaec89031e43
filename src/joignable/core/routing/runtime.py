"""Mutable runtime records owned by the engine (the single writer).

Specs (`model.py`) say what a queue or agent *is*; these records say where it
*stands* now. Only `engine.py` mutates them, and only while applying an event,
so that replaying the log rebuilds them exactly.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import NamedTuple

from ..model import AgentSpec, Channel, ContactSpec, QueueSpec, RoutingStep
from .lifecycle import ContactState, Presence, agent_activity

#: An entry in a queue's waiting line, ordered ascending = best first:
#: (-(priority - aging × entered), entered, seq, contact id).
Entry = tuple[float, float, int, str]


class Contact:
    __slots__ = (
        "agent",
        "arrived_at",
        "channel",
        "clocked",
        "customer",
        "deadline",
        "declined",
        "entered",
        "entry",
        "history",
        "id",
        "language",
        "line",
        "offer_seq",
        "overdue",
        "priority",
        "queue",
        "reqs",
        "seq",
        "since",
        "spec",
        "state",
        "step",
        "transfers",
    )

    def __init__(
        self, spec: ContactSpec, at: float, seq: int, entered: float | None = None
    ) -> None:
        self.spec = spec
        self.id = spec.id
        self.channel = spec.channel
        self.customer = spec.customer
        self.language = spec.language
        self.priority = spec.priority
        self.arrived_at = at if spec.arrived_at is None else spec.arrived_at
        self.queue = spec.queue
        self.entered = at if entered is None else entered  # place in line: entry time...
        self.seq = seq  # ...then sequence
        self.line = seq  # which line it stands in now (timers of an old line are void)
        self.since = at  # clock of the routing steps and maximum wait
        self.clocked = True  # whether that clock runs (it stops once answered)
        self.overdue = False  # its line's maximum wait passed with no action possible
        self.state = ContactState.WAITING
        self.step = 0
        self.reqs: tuple[tuple[str, int], ...] = ()
        self.agent = ""
        self.offer_seq = 0
        self.deadline = 0.0
        self.declined: set[str] = set()
        self.entry: Entry | None = None
        self.transfers = 0
        self.history: list[tuple[float, str, str]] = []

    def requirements(self, step: RoutingStep) -> tuple[tuple[str, int], ...]:
        """The contact's skills with the step's levels applied (override or add)."""
        if not step.levels:
            return self.spec.skills
        merged = dict(self.spec.skills)
        merged.update(step.levels)
        return tuple(sorted(merged.items()))

    def effective_priority(self, aging_per_s: float, now: float) -> float:
        return self.priority + aging_per_s * (now - self.entered)


_NONE: frozenset[Channel] = frozenset()


class Leg(NamedTuple):
    """An agent's wrap-up of its part of a contact it transferred: the agent
    keeps the contact's room until it closes it (or `deadline`), while the
    contact goes on elsewhere — or has already ended."""

    seq: int  # the ContactTransferred event's sequence: the leg's identity
    contact: str
    channel: Channel
    queue: str
    customer: str
    deadline: float


class Agent:
    __slots__ = (
        "budget",
        "channels",
        "connected",
        "costs",
        "counts",
        "id",
        "indexed",
        "keys",
        "languages",
        "last_offer",
        "legs",
        "limits",
        "load",
        "missed",
        "offered",
        "outsourcer",
        "presence",
        "queues",
        "reason",
        "room",
        "site",
        "skills",
        "spec",
        "stamp",
        "team",
        "wrapping",
    )

    def __init__(self, spec: AgentSpec) -> None:
        self.presence = Presence.OFFLINE
        self.reason = ""
        self.load = 0
        self.counts: dict[Channel, int] = dict.fromkeys(Channel, 0)
        self.offered: set[str] = set()
        self.connected: set[str] = set()
        self.wrapping: set[str] = set()
        self.legs: dict[int, Leg] = {}  # transfer seq -> wrap-up of a part handed on
        self.missed = 0
        self.last_offer = 0
        self.indexed: frozenset[Channel] = frozenset()
        self.stamp: dict[Channel, int] = {}
        self.configure(spec)

    def configure(self, spec: AgentSpec) -> None:
        self.spec = spec
        self.id = spec.id
        self.skills = dict(spec.skills)
        self.languages = spec.languages
        self.team = spec.team
        self.site = spec.site
        self.outsourcer = spec.outsourcer
        self.queues = spec.queues
        cap = spec.capacity
        self.budget = cap.budget
        self.limits = {ch: cap.limit(ch) for ch in Channel}
        self.costs = {ch: cap.cost(ch) for ch in Channel}
        # what it holds now, at the new costs: a contact is released at the cost
        # it has then, so the load must be charged at those costs too (a
        # capacity changed mid-call may leave it over budget until released)
        self.load = sum(self.costs[ch] * n for ch, n in self.counts.items())
        self.channels = tuple(ch for ch in Channel if self.limits[ch] > 0)
        self.room = tuple((ch, self.limits[ch], self.costs[ch]) for ch in self.channels)
        self.keys: dict[Channel, tuple[tuple[Channel, str], ...]] = {
            ch: ((ch, ""), *((ch, s) for s in sorted(self.skills))) for ch in self.channels
        }

    def has_room(self, channel: Channel) -> bool:
        return (
            self.counts[channel] < self.limits[channel]
            and self.load + self.costs[channel] <= self.budget
        )

    def open_channels(self) -> frozenset[Channel]:
        """Channels on which this agent can take one more contact now."""
        if self.presence is not Presence.READY:
            return _NONE
        counts = self.counts
        free = self.budget - self.load
        room: list[Channel] = []
        for ch, limit, cost in self.room:
            if counts[ch] < limit and cost <= free:
                room.append(ch)
        return frozenset(room) if room else _NONE

    def take(self, channel: Channel) -> None:
        self.counts[channel] += 1
        self.load += self.costs[channel]

    def release(self, channel: Channel) -> None:
        self.counts[channel] -= 1
        self.load -= self.costs[channel]

    @property
    def holding(self) -> int:
        return len(self.offered) + len(self.connected) + len(self.wrapping) + len(self.legs)

    @property
    def activity(self) -> str:
        wrapping = len(self.wrapping) + len(self.legs)
        return agent_activity(self.presence, len(self.offered), len(self.connected), wrapping).value

    def leg_of(self, contact_id: str) -> Leg | None:
        """The oldest open wrap-up of this agent's part of `contact_id`, if any."""
        for leg in self.legs.values():  # in transfer order
            if leg.contact == contact_id:
                return leg
        return None


def eligible(agent: Agent, contact: Contact, queue: QueueSpec) -> bool:
    """Whether `agent` may be offered `contact` at the contact's current step.

    Room on the channel is not checked here (the availability index holds only
    agents with room); everything else is: queue membership, language, skills
    with minimum levels, the step's team / site / outsourcer scope, and agents
    who already declined this contact.
    """
    if agent.queues and contact.queue not in agent.queues:
        return False
    if contact.language and contact.language not in agent.languages:
        return False
    skills = agent.skills
    for skill, level in contact.reqs:
        if skills.get(skill, 0) < level:
            return False
    step = queue.steps[contact.step]
    if step.teams and agent.team not in step.teams:
        return False
    if step.sites and agent.site not in step.sites:
        return False
    if step.outsourcers and agent.outsourcer not in step.outsourcers:
        return False
    return not (contact.declined and agent.id in contact.declined)


class QueueState:
    __slots__ = ("spec", "waiting")

    def __init__(self, spec: QueueSpec) -> None:
        self.spec = spec
        self.waiting: list[Entry] = []

    def add(self, contact: Contact) -> None:
        aging = self.spec.aging_per_s
        entry: Entry = (
            -(contact.priority - aging * contact.entered),
            contact.entered,
            contact.seq,
            contact.id,
        )
        contact.entry = entry
        insort(self.waiting, entry)

    def remove(self, contact: Contact) -> None:
        entry = contact.entry
        if entry is None:
            return
        i = bisect_left(self.waiting, entry)
        if i < len(self.waiting) and self.waiting[i] == entry:
            del self.waiting[i]
        contact.entry = None
