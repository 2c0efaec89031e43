"""The read side: what pages, the tower and the API show, from durable events only.

Why: the runner mutates its engine *before* the append is durable, and rebuilds
it when the append fails; a reader of `runner.engine` can see a contact waiting
that then vanishes. `ReadSide` is a runner read model: it is fed at replay and
after each durable batch, never before, and keeps its own fold (an `Engine`
replica that only `apply`s events). It answers with frozen records tagged with
the `seq` they reflect; each call reads one moment (it runs on the event loop
between two batches). See docs/decisions/0017-read-side.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from joignable.core import events as ev
from joignable.core.model import AgentSpec, Channel, QueueSpec
from joignable.core.routing.engine import Engine, EngineStatistics
from joignable.core.routing.state import CenterState

#: Colleagues listed as transfer targets on a desk card (the API takes any agent).
MAX_TRANSFER_AGENTS = 50


@dataclass(frozen=True, slots=True)
class WaitingEntry:
    """One contact in a queue's waiting line (position 1 is served first)."""

    position: int
    id: str
    channel: str
    customer: str
    priority: int
    entered: float
    step: int


@dataclass(frozen=True, slots=True)
class WaitingLine:
    seq: int
    queue: str
    entries: tuple[WaitingEntry, ...]


@dataclass(frozen=True, slots=True)
class AgentCard:
    """An agent's definition and where it stands (what `GET /api/agents` shows)."""

    seq: int
    id: str
    spec: AgentSpec
    presence: str
    reason: str
    activity: str
    offered: tuple[str, ...]
    connected: tuple[str, ...]
    wrapping: tuple[str, ...]
    wrapping_transferred: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "id": self.id,
            "name": spec.name,
            "site": spec.site,
            "team": spec.team,
            "outsourcer": spec.outsourcer,
            "skills": dict(spec.skills),
            "languages": sorted(spec.languages),
            "queues": sorted(spec.queues),
            "capacity": {ch.value: n for ch, n in spec.capacity.limits},
            "presence": self.presence,
            "reason": self.reason,
            "activity": self.activity,
            "offered": list(self.offered),
            "connected": list(self.connected),
            "wrapping": list(self.wrapping),
            "wrapping_transferred": list(self.wrapping_transferred),
        }


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """A queue's live spec and waiting figures; `oldest_entered` is None when empty."""

    seq: int
    id: str
    spec: QueueSpec
    channel_standby: tuple[str, ...]
    waiting: int
    oldest_entered: float | None

    def longest_wait(self, now: float) -> float:
        if self.oldest_entered is None:
            return 0.0
        return round(max(0.0, now - self.oldest_entered), 3)


@dataclass(frozen=True, slots=True)
class TransferTargets:
    queues: tuple[str, ...]
    agents: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeskCard:
    """A contact on an agent's desk; `leg` > 0 is the agent's part of a contact it
    transferred (its wrap-up), and then `language`/`priority`/`entered` are unset."""

    id: str
    stage: str  # offered, connected, wrap_up
    leg: int
    channel: str
    queue: str
    customer: str
    language: str | None
    priority: int | None
    entered: float | None
    deadline: float | None
    transfer: TransferTargets | None


@dataclass(frozen=True, slots=True)
class DeskView:
    """What the desk shows of one agent; `agent` is None for an unknown agent."""

    seq: int
    agent: AgentCard | None
    cards: tuple[DeskCard, ...]


class ReadSide:
    """A runner read model answering the readers; see the module comment.

    It has no `reset()` on purpose: it only ever saw durable events, so when the
    store fails and the runner replays the log, it keeps its fold (readers do not
    see an empty center during the replay) and `apply` skips the events it has
    already folded (`seq` at or below its own).
    """

    def __init__(self) -> None:
        self._engine = Engine()

    # ------------------------------------------------------------ the fold

    def apply(self, event: ev.Event) -> None:
        """Fold one durable event (called by the runner, in log order)."""
        if event.seq and event.seq <= self._engine.seq:
            return
        self._engine.apply(event)
        # The replica never fires a timer (the writer does, and its events come
        # here), but applying pushes one per offer, wrap-up and step: drop those
        # void and due, as the writer's `due` does, or they pile up for ever.
        self._engine.due(event.at)

    @property
    def center(self) -> CenterState:
        """The durable fold itself, for the service read models that walk the
        whole center on every push (the live hub's roster and waiting list):
        read it, never change it. Pages and routers use the records instead
        (`tests/unit/test_layers.py`)."""
        return self._engine

    @property
    def seq(self) -> int:
        """The sequence number of the last durable event folded."""
        return self._engine.seq

    # ------------------------------------------------------------ questions

    def has_agent(self, agent_id: str) -> bool:
        return agent_id in self._engine.agents

    def has_queue(self, queue_id: str) -> bool:
        return queue_id in self._engine.queues

    def queue_ids(self) -> tuple[str, ...]:
        """The live queues' ids, sorted."""
        return tuple(sorted(self._engine.queues))

    def agent(self, agent_id: str) -> AgentCard | None:
        """The card of agent `agent_id`, or None if it is unknown."""
        agent = self._engine.agents.get(agent_id)
        if agent is None:
            return None
        return AgentCard(
            seq=self._engine.seq,
            id=agent.id,
            spec=agent.spec,
            presence=agent.presence.value,
            reason=agent.reason,
            activity=agent.activity,
            offered=tuple(sorted(agent.offered)),
            connected=tuple(sorted(agent.connected)),
            wrapping=tuple(sorted(agent.wrapping)),
            wrapping_transferred=tuple(sorted(leg.contact for leg in agent.legs.values())),
        )

    def agents(self) -> tuple[AgentCard, ...]:
        """Every agent's card, by id, at one moment."""
        cards = (self.agent(aid) for aid in sorted(self._engine.agents))
        return tuple(card for card in cards if card is not None)

    def queue(self, queue_id: str) -> QueueFigures | None:
        """A queue's figures, or None if it is unknown."""
        engine = self._engine
        qs = engine.queues.get(queue_id)
        if qs is None:
            return None
        entered = [engine.contacts[e[3]].entered for e in qs.waiting]
        return QueueFigures(
            seq=engine.seq,
            id=queue_id,
            spec=qs.spec,
            channel_standby=tuple(sorted(ch.value for ch in engine.channel_standby)),
            waiting=len(qs.waiting),
            oldest_entered=min(entered) if entered else None,
        )

    def waiting_line(self, queue_id: str) -> WaitingLine | None:
        """The contacts waiting in a queue, best placed first; None if unknown."""
        engine = self._engine
        qs = engine.queues.get(queue_id)
        if qs is None:
            return None
        entries = []
        for position, entry in enumerate(qs.waiting, start=1):
            c = engine.contacts[entry[3]]
            entries.append(
                WaitingEntry(
                    position=position,
                    id=c.id,
                    channel=c.channel.value,
                    customer=c.customer,
                    priority=c.priority,
                    entered=c.entered,
                    step=c.step,
                )
            )
        return WaitingLine(seq=engine.seq, queue=queue_id, entries=tuple(entries))

    def transfer_targets(self, agent_id: str, channel: Channel, queue: str) -> TransferTargets:
        """Where a connected contact may be transferred: the other queues taking
        its channel (not on standby), and the colleagues ready with room for it."""
        engine = self._engine
        queues = sorted(
            q
            for q, s in engine.queues.items()
            if q != queue and channel in s.spec.channels and not s.spec.standby
        )
        agents = sorted(
            a.id for a in engine.agents.values() if a.id != agent_id and channel in a.indexed
        )
        return TransferTargets(tuple(queues), tuple(agents[:MAX_TRANSFER_AGENTS]))

    def desk(self, agent_id: str) -> DeskView:
        """The desk view of agent `agent_id`: its card and its contacts."""
        engine = self._engine
        card = self.agent(agent_id)
        agent = engine.agents.get(agent_id)
        if card is None or agent is None:
            return DeskView(seq=engine.seq, agent=None, cards=())
        cards: list[DeskCard] = []
        for stage, ids in (
            ("offered", agent.offered),
            ("connected", agent.connected),
            ("wrap_up", agent.wrapping),
        ):
            for cid in sorted(ids):
                c = engine.contacts.get(cid)
                if c is None:
                    continue
                targets = None
                if stage == "connected":
                    targets = self.transfer_targets(agent_id, c.channel, c.queue)
                cards.append(
                    DeskCard(
                        id=cid,
                        stage=stage,
                        leg=0,
                        channel=c.channel.value,
                        queue=c.queue,
                        customer=c.customer,
                        language=c.language,
                        priority=c.priority,
                        entered=c.entered,
                        deadline=c.deadline,
                        transfer=targets,
                    )
                )
        for leg in agent.legs.values():
            cards.append(
                DeskCard(
                    id=leg.contact,
                    stage="wrap_up",
                    leg=leg.seq,
                    channel=leg.channel.value,
                    queue=leg.queue,
                    customer=leg.customer,
                    language=None,
                    priority=None,
                    entered=None,
                    deadline=leg.deadline,
                    transfer=None,
                )
            )
        return DeskView(seq=engine.seq, agent=card, cards=tuple(cards))

    def statistics(self, now: float) -> EngineStatistics:
        """The fold's engine statistics at `now` (waiting, agents, ended...)."""
        return self._engine.statistics(now)
