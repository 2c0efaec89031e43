"""The state of a contact center as a fold of its events (the "evolve" half).

`CenterState.apply(event)` is the one place where the routing state changes;
the engine (`engine.py`, the "decide" half) emits events and applies them
through it, and a replay applies stored events through it too — which is why
a replayed state equals the live one. Timers (offer and wrap-up time-outs,
routing-step widening, maximum waits) are part of that state: applying an
event pushes the timers it implies.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from .. import events as ev
from ..flows.live import FLOW_EVENTS, LiveFlows
from ..model import AlertFacts, Channel, EndReason, QueueSpec, ThrottleFacts
from .lifecycle import (
    CONTACT_TRANSITIONS,
    IN_LINE,
    OFFER_TIMEOUT,
    UNANSWERED,
    WRAP_UP_TIMEOUT,
    ContactEvent,
    PresenceEvent,
    next_contact_state,
    next_presence,
)
from .matching import IndexedRouter, Router, RoutingState
from .runtime import Agent, Contact, Leg, QueueState


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Center-wide rules. `max_missed_offers`: offers declined or timed out in a
    row before the agent is set not ready with reason "missed" (0: never).
    Part of the state: an `EngineConfigured` event changes them."""

    max_missed_offers: int = 3
    missed_reason: str = "missed"


class Timer(NamedTuple):
    """A pending time-out, ordered on the heap by (due, stamp). Being a tuple,
    it sorts, compares and unpacks as the bare tuples it replaced."""

    due: float
    stamp: int  # push order, breaks ties between timers due together
    kind: int  # one of the TIMER_* kinds below
    contact_id: str  # the agent's id for TIMER_LEG
    token: int  # what must still hold for the timer to act (offer, line, leg)
    target: int  # the routing step a TIMER_STEP leads to (0 otherwise)


# Timer kinds: offer time-out, wrap-up time-out, next routing step, maximum wait,
# wrap-up time-out of a transferring agent's part (its timer names the agent)
TIMER_OFFER, TIMER_WRAP, TIMER_STEP, TIMER_MAX_WAIT, TIMER_LEG = 0, 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class EngineStatistics:
    seq: int
    waiting: dict[str, int]
    longest_wait: dict[str, float]
    agents: dict[str, int]
    contacts_in_progress: int
    ended: dict[str, int]
    decisions: int
    timers: int
    channel_standby: tuple[str, ...] = field(default_factory=tuple)


class CenterState:
    """Queues, agents, contacts, standby and timers; changed only by `apply`."""

    def __init__(self, router: Callable[[RoutingState], Router] = IndexedRouter) -> None:
        self.agents: dict[str, Agent] = {}
        self.contacts: dict[str, Contact] = {}
        self.queues: dict[str, QueueState] = {}
        self.channel_standby: set[Channel] = set()
        self.settings = EngineSettings()
        self.alerts: dict[str, AlertFacts] = {}  # active alerts, by alert id
        self.throttles: dict[str, ThrottleFacts] = {}  # latest throttle decision, by queue
        self.ended: dict[str, int] = {}
        self.router: Router = router(self)
        self.seq = 0
        self.now = 0.0
        self._stamp = 0
        self._timers: list[Timer] = []
        self.flows = LiveFlows()  # published flows and callers in them (core/flows/live.py)
        self._apply = self._appliers()

    # ------------------------------------------------------------------ reading

    def due(self, now: float) -> bool:
        """Whether a timer that would act is due at `now` (then send a `Tick` first).

        Asked before every command, so it looks only at timers due by `now`:
        void ones among them are dropped, later ones are not examined.
        """
        timers = self._timers
        while timers and timers[0][0] <= now:
            if self._timer_live(timers[0]):
                return True
            heapq.heappop(timers)
        return False

    def next_deadline(self) -> float | None:
        """When the next timer that would still act is due, or None.

        Timers made void (an offer accepted, a wrap-up finished early) are
        dropped from the head of the heap here, so shells never wake for them.
        """
        timers = self._timers
        while timers and not self._timer_live(timers[0]):
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def replay(self, events: Iterable[ev.Event]) -> None:
        """Apply stored events in order (crash recovery, read models)."""
        for event in events:
            self.apply(event)

    def apply(self, event: ev.Event) -> None:
        """Apply one event to the state. The only place state changes."""
        self.seq = event.seq
        if event.at > self.now:
            self.now = event.at
        self._apply[type(event)](event)

    def statistics(self, now: float | None = None) -> EngineStatistics:
        now = self.now if now is None else now
        waiting = {q: len(s.waiting) for q, s in self.queues.items()}
        longest: dict[str, float] = {}
        for q, s in self.queues.items():
            if s.waiting:
                longest[q] = max(now - self.contacts[e[3]].entered for e in s.waiting)
        agents: dict[str, int] = {}
        for a in self.agents.values():
            agents[a.activity] = agents.get(a.activity, 0) + 1
        return EngineStatistics(
            seq=self.seq,
            waiting=waiting,
            longest_wait=longest,
            agents=agents,
            contacts_in_progress=len(self.contacts),
            ended=dict(self.ended),
            decisions=self.router.decisions,
            timers=len(self._timers),
            channel_standby=tuple(sorted(self.channel_standby)),
        )

    # ------------------------------------------------------------- timers

    def _push(self, due: float, kind: int, contact_id: str, token: int, target: int = 0) -> None:
        self._stamp += 1
        heapq.heappush(self._timers, Timer(due, self._stamp, kind, contact_id, token, target))

    def _timer_live(self, timer: Timer) -> bool:
        """Whether a timer would still act. A timer's effect always makes its own
        condition false, so firing it late, or twice, changes nothing."""
        _, _, kind, contact_id, token, target = timer
        if kind == TIMER_LEG:  # (contact_id is the agent's id here)
            agent = self.agents.get(contact_id)
            return agent is not None and token in agent.legs
        c = self.contacts.get(contact_id)
        if c is None:
            return False
        if kind == TIMER_OFFER:
            return OFFER_TIMEOUT in CONTACT_TRANSITIONS[c.state] and c.offer_seq == token
        if kind == TIMER_WRAP:
            return WRAP_UP_TIMEOUT in CONTACT_TRANSITIONS[c.state] and c.offer_seq == token
        if kind == TIMER_STEP:
            return c.line == token and c.step + 1 == target and c.state in UNANSWERED
        return c.line == token and c.state in IN_LINE and not c.overdue

    def pending_timers(self) -> list[Timer]:
        """The timers that would still act, in firing order."""
        return sorted(t for t in self._timers if self._timer_live(t))

    # ------------------------------------------------------- event appliers

    def _appliers(self) -> dict[type[ev.Event], Callable[[Any], None]]:
        return {
            ev.EngineConfigured: self._a_engine,
            ev.QueueConfigured: self._a_queue,
            ev.AgentConfigured: self._a_agent,
            ev.QueueRemoved: self._a_queue_removed,
            ev.AgentRemoved: self._a_agent_removed,
            ev.QueueStandbySet: self._a_queue_standby,
            ev.ChannelStandbySet: self._a_channel_standby,
            ev.AgentLoggedIn: self._a_logged_in,
            ev.AgentLoggedOut: self._a_logged_out,
            ev.AgentPresenceChanged: self._a_presence,
            ev.ContactQueued: self._a_queued,
            ev.ContactStepReached: self._a_step,
            ev.ContactOffered: self._a_offered,
            ev.OfferAccepted: self._a_accepted,
            ev.OfferDeclined: self._a_declined,
            ev.AgentMissedTooMany: self._a_missed,
            ev.ContactCompleted: self._a_completed,
            ev.WrapUpFinished: self._a_wrapped,
            ev.ContactTransferred: self._a_transferred,
            ev.ContactMoved: self._a_moved,
            ev.MaxWaitPassed: self._a_overdue,
            ev.ContactPriorityChanged: self._a_priority,
            ev.ContactEnded: self._a_ended,
            ev.SelfServiceEnded: self._a_nothing,
            ev.AlertRaised: self._a_alert_raised,
            ev.AlertCleared: self._a_alert_cleared,
            ev.ThrottleDecided: self._a_throttle,
            **{t: self.flows.apply for t in FLOW_EVENTS},  # decision 0026
        }

    def _refresh(self, agent: Agent, offered: Channel | None = None) -> None:
        """Recompute on which channels the agent has room; update the index.

        After an offer on a channel where the agent still has room (chats,
        e-mails), the agent goes to the back of that channel's line: longest
        idle means longest since the last offer there.
        """
        new = agent.open_channels()
        old = agent.indexed
        moved = offered is not None and offered in new
        if new == old and not moved:
            return
        gained = new - old if new and old else new
        if offered is not None and moved:
            gained = gained | {offered}
        lost = old - new if old and new else old
        for ch in sorted(gained) if len(gained) > 1 else gained:  # stamps in channel order
            self._stamp += 1
            agent.stamp[ch] = self._stamp
        agent.indexed = new
        self.router.reindex(agent, gained, lost, moved)

    def _a_nothing(self, e: ev.Event) -> None:
        """An event the routing state does not hold (only its `seq` counts)."""

    def _a_alert_raised(self, e: ev.AlertRaised) -> None:
        self.alerts[e.alert.alert_id] = e.alert

    def _a_alert_cleared(self, e: ev.AlertCleared) -> None:
        self.alerts.pop(e.alert.alert_id, None)

    def _a_throttle(self, e: ev.ThrottleDecided) -> None:
        self.throttles[e.decision.queue] = e.decision

    def _a_engine(self, e: ev.EngineConfigured) -> None:
        self.settings = EngineSettings(e.max_missed_offers, e.missed_reason)

    def _a_queue(self, e: ev.QueueConfigured) -> None:
        qs = self.queues.get(e.queue.id)
        if qs is None:
            self.queues[e.queue.id] = QueueState(e.queue)
            return
        old = qs.spec
        qs.spec = e.queue
        if old.aging_per_s != e.queue.aging_per_s:  # re-sort the line under the new aging
            contacts = [self.contacts[x[3]] for x in qs.waiting]
            qs.waiting = []
            for contact in contacts:
                qs.add(contact)
        if len(old.steps) != len(e.queue.steps):
            for entry in qs.waiting:
                contact = self.contacts[entry[3]]
                contact.step = min(contact.step, len(e.queue.steps) - 1)
        for entry in qs.waiting:
            contact = self.contacts[entry[3]]
            contact.reqs = contact.requirements(e.queue.steps[contact.step])

    def _a_agent(self, e: ev.AgentConfigured) -> None:
        agent = self.agents.get(e.agent.id)
        if agent is None:
            self.agents[e.agent.id] = Agent(e.agent)
            return
        lost = agent.indexed
        agent.indexed = frozenset()
        self.router.reindex(agent, frozenset(), lost, False)
        agent.configure(e.agent)
        self._refresh(agent)

    def _a_queue_removed(self, e: ev.QueueRemoved) -> None:
        del self.queues[e.queue_id]

    def _a_agent_removed(self, e: ev.AgentRemoved) -> None:
        agent = self.agents.pop(e.agent_id)
        self.router.reindex(agent, frozenset(), agent.indexed, False)  # offline: nothing left
        self.router.forget(agent.id)

    def _a_queue_standby(self, e: ev.QueueStandbySet) -> None:
        qs = self.queues[e.queue_id]
        qs.spec = _replace_standby(qs.spec, e.standby)

    def _a_channel_standby(self, e: ev.ChannelStandbySet) -> None:
        if e.standby:
            self.channel_standby.add(e.channel)
        else:
            self.channel_standby.discard(e.channel)

    def _a_logged_in(self, e: ev.AgentLoggedIn) -> None:
        agent = self.agents[e.agent_id]
        agent.presence = next_presence(agent.presence, PresenceEvent.LOG_IN)
        agent.reason = "logged_in"
        agent.missed = 0

    def _a_logged_out(self, e: ev.AgentLoggedOut) -> None:
        agent = self.agents[e.agent_id]
        agent.presence = next_presence(agent.presence, PresenceEvent.LOG_OUT)
        agent.reason = ""
        self._refresh(agent)

    def _a_presence(self, e: ev.AgentPresenceChanged) -> None:
        agent = self.agents[e.agent_id]
        event = PresenceEvent.GO_READY if e.ready else PresenceEvent.GO_NOT_READY
        agent.presence = next_presence(agent.presence, event)
        agent.reason = "" if e.ready else e.reason
        if e.ready:
            agent.missed = 0
        self._refresh(agent)

    def _enter_line(self, contact: Contact) -> None:
        qs = self.queues[contact.queue]
        spec = qs.spec
        contact.reqs = contact.requirements(spec.steps[contact.step])
        qs.add(contact)
        contact.clocked = True
        contact.overdue = False
        if contact.step + 1 < len(spec.steps):
            nxt = spec.steps[contact.step + 1]
            self._push(
                contact.since + nxt.after, TIMER_STEP, contact.id, contact.line, contact.step + 1
            )
        if spec.max_wait is not None and contact.step == 0:
            self._push(contact.since + spec.max_wait, TIMER_MAX_WAIT, contact.id, contact.line)

    def _a_queued(self, e: ev.ContactQueued) -> None:
        contact = Contact(e.contact, e.at, e.seq, e.entered)
        self.contacts[contact.id] = contact
        contact.history.append((e.at, "queued", contact.queue))
        self._enter_line(contact)

    def _a_step(self, e: ev.ContactStepReached) -> None:
        contact = self.contacts[e.contact_id]
        qs = self.queues[contact.queue]
        contact.step = min(e.step, len(qs.spec.steps) - 1)
        contact.reqs = contact.requirements(qs.spec.steps[contact.step])
        contact.declined.clear()
        contact.history.append((e.at, "step", str(contact.step)))
        if contact.step + 1 < len(qs.spec.steps):
            nxt = qs.spec.steps[contact.step + 1]
            self._push(
                contact.since + nxt.after, TIMER_STEP, contact.id, contact.line, contact.step + 1
            )

    def _a_offered(self, e: ev.ContactOffered) -> None:
        contact = self.contacts[e.contact_id]
        agent = self.agents[e.agent_id]
        contact.state = next_contact_state(contact.state, ContactEvent.OFFER)
        self.queues[contact.queue].remove(contact)
        self._hand_to(contact, agent, e)

    def _hand_to(self, contact: Contact, agent: Agent, e: ev.Event) -> None:
        contact.agent = agent.id
        contact.offer_seq = e.seq
        contact.deadline = getattr(e, "deadline", 0.0)
        contact.history.append((e.at, "offered", agent.id))
        agent.offered.add(contact.id)
        agent.take(contact.channel)
        agent.last_offer = e.seq
        self._refresh(agent, offered=contact.channel)
        self._push(contact.deadline, TIMER_OFFER, contact.id, e.seq)

    def _a_accepted(self, e: ev.OfferAccepted) -> None:
        contact = self.contacts[e.contact_id]
        agent = self.agents[e.agent_id]
        contact.state = next_contact_state(contact.state, ContactEvent.ACCEPT)
        contact.history.append((e.at, "connected", agent.id))
        # answered: the routing-step and maximum-wait clocks of its line stop for good
        # (a timer's condition must never come back true once it was popped without effect)
        contact.line = e.seq
        contact.clocked = False
        agent.offered.discard(contact.id)
        agent.connected.add(contact.id)
        agent.missed = 0

    def _release(self, contact: Contact, agent: Agent) -> None:
        agent.offered.discard(contact.id)
        agent.connected.discard(contact.id)
        agent.wrapping.discard(contact.id)
        agent.release(contact.channel)
        contact.agent = ""
        self._refresh(agent)

    def _a_declined(self, e: ev.OfferDeclined) -> None:
        contact = self.contacts[e.contact_id]
        agent = self.agents[e.agent_id]
        contact.state = next_contact_state(contact.state, ContactEvent.DECLINE)
        contact.history.append((e.at, "timed_out" if e.timed_out else "rejected", agent.id))
        contact.declined.add(agent.id)
        agent.missed += 1
        self._release(contact, agent)
        if contact.clocked:
            self.queues[contact.queue].add(contact)  # same entry: back at its original place
        else:  # answered, then a direct transfer declined: a new line, in the same place,
            contact.since = e.at  # whose steps and maximum wait run from now (like a move)
            contact.line = e.seq
            self._enter_line(contact)

    def _a_missed(self, e: ev.AgentMissedTooMany) -> None:
        self.agents[e.agent_id].missed = 0

    def _a_completed(self, e: ev.ContactCompleted) -> None:
        contact = self.contacts[e.contact_id]
        agent = self.agents[e.agent_id]
        contact.state = next_contact_state(contact.state, ContactEvent.COMPLETE)
        contact.history.append((e.at, "completed", agent.id))
        agent.connected.discard(contact.id)
        agent.wrapping.add(contact.id)
        contact.offer_seq = e.seq
        if e.deadline > e.at:
            self._push(e.deadline, TIMER_WRAP, contact.id, e.seq)

    def _a_wrapped(self, e: ev.WrapUpFinished) -> None:
        agent = self.agents[e.agent_id]
        if e.leg:  # the agent's part of a contact handed on: its room is free again
            leg = agent.legs.pop(e.leg)
            agent.release(leg.channel)
            self._refresh(agent)
            return
        contact = self.contacts[e.contact_id]
        contact.state = next_contact_state(contact.state, ContactEvent.FINISH_WRAP_UP)
        self._release(contact, agent)
        self._forget(contact, EndReason.COMPLETED)

    def _a_transferred(self, e: ev.ContactTransferred) -> None:
        contact = self.contacts[e.contact_id]
        agent = self.agents[e.from_agent]
        contact.transfers += 1
        contact.declined.clear()
        if e.wrap_deadline > e.at:  # the agent wraps up its part, keeping the room
            agent.connected.discard(contact.id)
            contact.agent = ""
            agent.legs[e.seq] = Leg(
                e.seq, contact.id, contact.channel, contact.queue, contact.customer, e.wrap_deadline
            )
            self._push(e.wrap_deadline, TIMER_LEG, agent.id, e.seq)
        if e.to_queue:
            contact.state = next_contact_state(contact.state, ContactEvent.TRANSFER_TO_QUEUE)
            if contact.agent:
                self._release(contact, agent)
            contact.history.append((e.at, "transferred", e.to_queue))
            contact.queue = e.to_queue
            contact.entered = contact.since = e.at
            contact.seq = contact.line = e.seq
            contact.step = 0
            self._enter_line(contact)
        else:
            contact.state = next_contact_state(contact.state, ContactEvent.TRANSFER_TO_AGENT)
            if contact.agent:
                self._release(contact, agent)
            contact.history.append((e.at, "transferred", e.to_agent))
            self._hand_to(contact, self.agents[e.to_agent], e)

    def _a_moved(self, e: ev.ContactMoved) -> None:
        contact = self.contacts[e.contact_id]
        contact.state = next_contact_state(contact.state, ContactEvent.MOVE)
        self.queues[contact.queue].remove(contact)
        contact.history.append((e.at, "moved", e.queue_id))
        contact.queue = e.queue_id
        contact.since = e.at  # steps and max wait restart; the place (entered) is kept
        contact.line = e.seq
        contact.step = 0
        self._enter_line(contact)

    def _a_overdue(self, e: ev.MaxWaitPassed) -> None:
        contact = self.contacts[e.contact_id]
        contact.overdue = True
        contact.history.append((e.at, "max_wait", e.action))

    def _a_priority(self, e: ev.ContactPriorityChanged) -> None:
        contact = self.contacts[e.contact_id]
        contact.priority = e.priority
        contact.history.append((e.at, "priority", str(e.priority)))
        if contact.entry is not None:
            qs = self.queues[contact.queue]
            qs.remove(contact)
            qs.add(contact)

    def _a_ended(self, e: ev.ContactEnded) -> None:
        contact = self.contacts[e.contact_id]
        contact.state = next_contact_state(contact.state, ContactEvent.LEAVE)
        self.queues[contact.queue].remove(contact)
        if contact.agent:
            self._release(contact, self.agents[contact.agent])
        self._forget(contact, e.reason)

    def _forget(self, contact: Contact, reason: EndReason) -> None:
        del self.contacts[contact.id]
        key = reason.value
        self.ended[key] = self.ended.get(key, 0) + 1


def _replace_standby(spec: QueueSpec, standby: bool) -> QueueSpec:
    return replace(spec, standby=standby)
