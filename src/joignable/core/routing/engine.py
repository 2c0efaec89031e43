"""The routing engine (ACD): commands and the current time in, events out.

`Engine.handle(command, now)` decides what happens and returns the events;
every event is applied through `Engine.apply`, the one place that changes
state — so replaying the log with `apply` rebuilds the live state exactly.

Time-outs (offers, wrap-up), routing-step widening and maximum waits are
timers on a heap ordered by (due, sequence), derived from events. Before each
command the timers that are due at `now` fire; the shell asks
`next_deadline()` to know when to send a `Tick`.

Decisions are event-driven: whenever an agent gains room (ready, wrap-up done,
offer declined, new skill or capacity) the best waiting contact is offered in
the same step, and whenever a contact enters a queue or reaches a wider step
the best available agent is offered it. No polling.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any

from .. import commands as cmd
from .. import events as ev
from ..flows.live import FLOW_COMMANDS
from ..model import THROTTLE_KINDS, Channel, ContactSpec, EndReason, OverflowAction, QueueSpec
from .lifecycle import (
    IN_LINE,
    ContactEvent,
    ContactState,
    InvalidTransition,
    Presence,
    PresenceEvent,
    allows,
    may_log_out,
    missed_too_many,
    next_contact_state,
    next_presence,
    on_customer_left,
)
from .matching import IndexedRouter, Router, RoutingState
from .runtime import Agent, Contact, QueueState
from .state import (
    TIMER_LEG,
    TIMER_OFFER,
    TIMER_STEP,
    TIMER_WRAP,
    CenterState,
    EngineSettings,
    EngineStatistics,
    Timer,
)

__all__ = ["Engine", "EngineSettings", "EngineStatistics", "Timer"]


class Engine(CenterState):
    """Decides: `handle(command, now)` validates, emits events and applies them."""

    def __init__(
        self,
        settings: EngineSettings | None = None,
        router: Callable[[RoutingState], Router] = IndexedRouter,
    ) -> None:
        super().__init__(router)
        self.settings = settings or EngineSettings()
        self._before = 0.0
        self._out: list[ev.Event] = []

    # ------------------------------------------------------------------ public

    def handle(self, command: cmd.Command, now: float) -> list[ev.Event]:
        """Process one command at time `now`; return the events it caused.

        Time-outs and step changes fire only on `Tick` (send one whenever
        `next_deadline()` has passed, before other commands). Raises
        `CommandRejected` or `InvalidTransition` when the command does not
        fit; then no event was emitted and the state is unchanged.
        """
        self._before = self.now
        if now > self.now:
            self.now = now  # time never goes back, even if the caller's clock does
        out = self._out = []
        try:
            handler = self._handlers[type(command)]
        except KeyError:
            raise cmd.CommandRejected(f"unknown command {type(command).__name__}") from None
        try:
            handler(self, command)
        except (cmd.CommandRejected, InvalidTransition):
            if out:  # handlers validate before they emit: a half-done command is a bug
                raise RuntimeError(f"{type(command).__name__} failed after emitting") from None
            raise
        return out

    def advance(self, now: float) -> list[ev.Event]:
        """Fire the timers due at `now` (a `Tick` if any is due); the events.

        Call it before each command: ``events = engine.advance(now) +
        engine.handle(command, now)``.
        """
        return self.handle(cmd.Tick(), now) if self.due(now) else []

    # ------------------------------------------------------------ emit helpers

    def _emit(self, event_type: type[ev.Event], **fields: Any) -> None:
        fields["at"], fields["seq"] = self.now, self.seq + 1  # a fresh dict: no merge
        event = event_type(**fields)
        self.apply(event)
        self._out.append(event)

    def _contact(self, contact_id: str) -> Contact:
        try:
            return self.contacts[contact_id]
        except KeyError:
            raise cmd.CommandRejected(f"no contact {contact_id!r} in progress") from None

    def _agent(self, agent_id: str) -> Agent:
        try:
            return self.agents[agent_id]
        except KeyError:
            raise cmd.CommandRejected(f"no agent {agent_id!r}") from None

    def _queue(self, queue_id: str) -> QueueState:
        try:
            return self.queues[queue_id]
        except KeyError:
            raise cmd.CommandRejected(f"no queue {queue_id!r}") from None

    def _held_by(self, contact: Contact, agent_id: str, event: ContactEvent) -> None:
        """The contact is with the agent and the lifecycle lets `event` happen to
        it now; raises `CommandRejected` / `InvalidTransition` otherwise."""
        if contact.agent != agent_id:
            raise cmd.CommandRejected(f"contact {contact.id} is not with agent {agent_id}")
        next_contact_state(contact.state, event)

    # ------------------------------------------------------------ decisions

    def _route_contact(self, contact: Contact) -> None:
        """Offer a waiting contact to the best eligible agent, if any."""
        qs = self.queues[contact.queue]
        if qs.spec.standby or contact.channel in self.channel_standby:
            return
        agent = self.router.agent_for(contact, qs.spec)
        if agent is not None:
            self._offer(contact, agent, qs.spec)

    def _settle(self, contact: Contact) -> None:
        """A contact moved into a queue's line (transfer, overflow): routed, or,
        when that queue or channel is on standby, given the queue's standby
        action as an arrival would be — except another overflow (no ping-pong
        between queues on standby): it then waits for the standby to end."""
        qs = self.queues[contact.queue]
        if qs.spec.standby or contact.channel in self.channel_standby:
            if qs.spec.on_standby is not OverflowAction.OVERFLOW:
                self._leave_line(contact, qs.spec.on_standby, "standby")
            return
        self._route_contact(contact)

    def _route_agent(self, agent: Agent) -> None:
        """Fill the agent's free room with the best waiting contacts."""
        while agent.indexed:
            contact = self.router.contact_for(agent, self.now)
            if contact is None:
                return
            self._offer(contact, agent, self.queues[contact.queue].spec)

    def _offer(self, contact: Contact, agent: Agent, queue: QueueSpec) -> None:
        self._emit(
            ev.ContactOffered,
            contact_id=contact.id,
            agent_id=agent.id,
            deadline=self.now + queue.timeout_for(contact.channel),
        )

    def _drain_queue(self, qs: QueueState) -> None:
        for entry in list(qs.waiting):
            c = self.contacts.get(entry[3])
            if c is not None and c.state in IN_LINE:
                self._route_contact(c)

    def _leave_line(self, contact: Contact, action: OverflowAction, reason: str) -> None:
        """Apply a queue's max-wait or standby action to a waiting contact."""
        qs = self.queues[contact.queue]
        if not self._can_leave(contact, qs, action):  # it keeps its place rather than be lost
            if reason == "max_wait" and not contact.overdue:
                self._emit(ev.MaxWaitPassed, contact_id=contact.id, action=action.value)
            return
        if action is OverflowAction.OVERFLOW:
            target = qs.spec.overflow_to or ""
            self._emit(ev.ContactMoved, contact_id=contact.id, queue_id=target, reason=reason)
            self._settle(contact)
            return
        if action is OverflowAction.CALLBACK:
            spec = contact.spec
            self._emit(ev.ContactEnded, contact_id=contact.id, reason=EndReason.CALLBACK)
            callback = ContactSpec(
                id=f"{spec.id}-cb",
                channel=Channel.CALLBACK,
                queue=contact.queue,
                customer=spec.customer,
                language=spec.language,
                skills=spec.skills,
                priority=contact.priority,
                attributes=(*spec.attributes, ("callback_of", spec.id)),
                arrived_at=contact.arrived_at,
            )
            self._emit(ev.ContactQueued, contact=callback, entered=contact.entered)
            self._route_contact(self.contacts[callback.id])  # (_can_leave: its id is free)
            return
        reason_map = {OverflowAction.VOICEMAIL: EndReason.VOICEMAIL}
        self._emit(
            ev.ContactEnded,
            contact_id=contact.id,
            reason=reason_map.get(action, EndReason.CLOSED),
        )

    def _can_leave(self, contact: Contact, qs: QueueState, action: OverflowAction) -> bool:
        """Whether `action` can take the contact out of its line: `keep` never;
        overflow to an existing other queue taking its channel; a callback from a
        queue taking callbacks, and never of a callback (a promise is not
        promised again)."""
        if action is OverflowAction.KEEP:
            return False
        if action is OverflowAction.OVERFLOW:
            target = self.queues.get(qs.spec.overflow_to or "")
            return (
                target is not None and target is not qs and contact.channel in target.spec.channels
            )
        if action is OverflowAction.CALLBACK:  # (one promise per contact id at a time)
            return (
                contact.channel is not Channel.CALLBACK
                and Channel.CALLBACK in qs.spec.channels
                and f"{contact.id}-cb" not in self.contacts
            )
        return True

    def _fire_timers(self, now: float) -> None:
        timers = self._timers
        start = self._before
        while timers and timers[0][0] <= now:
            timer = heapq.heappop(timers)
            if not self._timer_live(timer):
                continue
            due, _, kind, contact_id, token, target = timer
            self.now = max(start, due)  # an event happens when its timer was due
            if kind == TIMER_LEG:
                self._finish_leg(self.agents[contact_id], token, timed_out=True)
                continue
            c = self.contacts[contact_id]
            if kind == TIMER_OFFER:
                self._decline(c, self.agents[c.agent], timed_out=True)
            elif kind == TIMER_WRAP:
                agent = self.agents[c.agent]
                self._emit(ev.WrapUpFinished, contact_id=c.id, agent_id=agent.id, timed_out=True)
                self._route_agent(agent)
            elif kind == TIMER_STEP:
                self._emit(ev.ContactStepReached, contact_id=c.id, step=target)
                if c.state in IN_LINE:
                    self._route_contact(c)
            else:
                self._leave_line(c, self.queues[c.queue].spec.on_max_wait, "max_wait")
        self.now = max(self.now, now)

    # -------------------------------------------------------- command handlers

    def _h_configure_queue(self, c: cmd.ConfigureQueue) -> None:
        old = self.queues.get(c.queue.id)
        self._emit(ev.QueueConfigured, queue=c.queue, by=c.by)
        qs = self.queues[c.queue.id]
        if old is None or old.spec != c.queue:
            self._after_queue_change(qs, old.spec.standby if old else False)

    def _after_queue_change(self, qs: QueueState, was_standby: bool) -> None:
        if qs.spec.standby and not was_standby:
            for entry in list(qs.waiting):
                contact = self.contacts[entry[3]]
                if contact.state in IN_LINE:
                    self._leave_line(contact, qs.spec.on_standby, "standby")
        elif not qs.spec.standby:
            self._drain_queue(qs)

    def _h_configure_agent(self, c: cmd.ConfigureAgent) -> None:
        self._emit(ev.AgentConfigured, agent=c.agent, by=c.by)
        self._route_agent(self.agents[c.agent.id])

    def _h_remove_queue(self, c: cmd.RemoveQueue) -> None:
        self._queue(c.queue_id)
        busy = sum(1 for contact in self.contacts.values() if contact.queue == c.queue_id)
        if busy:
            raise cmd.CommandRejected(f"queue {c.queue_id} still has {busy} contact(s)")
        feeders = sorted(
            q
            for q, s in self.queues.items()
            if s.spec.overflow_to == c.queue_id and q != c.queue_id
        )
        if feeders:
            raise cmd.CommandRejected(f"queue {c.queue_id} is the overflow of {', '.join(feeders)}")
        self._emit(ev.QueueRemoved, queue_id=c.queue_id, by=c.by)

    def _h_configure_engine(self, c: cmd.ConfigureEngine) -> None:
        if c.max_missed_offers < 0:
            raise cmd.CommandRejected("max_missed_offers must be 0 or more")
        if not c.missed_reason:
            raise cmd.CommandRejected("missed_reason must not be empty")
        wanted = EngineSettings(c.max_missed_offers, c.missed_reason)
        if wanted == self.settings:
            return
        self._emit(
            ev.EngineConfigured,
            max_missed_offers=c.max_missed_offers,
            missed_reason=c.missed_reason,
            by=c.by,
        )

    def _h_remove_agent(self, c: cmd.RemoveAgent) -> None:
        agent = self._agent(c.agent_id)
        if agent.presence is not Presence.OFFLINE or agent.holding:
            raise cmd.CommandRejected(f"agent {agent.id} must be logged out to be removed")
        self._emit(ev.AgentRemoved, agent_id=agent.id, by=c.by)

    def _h_queue_standby(self, c: cmd.SetQueueStandby) -> None:
        qs = self._queue(c.queue_id)
        if qs.spec.standby == c.standby:
            return
        self._emit(ev.QueueStandbySet, queue_id=c.queue_id, standby=c.standby, by=c.by)
        self._after_queue_change(qs, not c.standby)

    def _h_channel_standby(self, c: cmd.SetChannelStandby) -> None:
        if (c.channel in self.channel_standby) == c.standby:
            return
        self._emit(ev.ChannelStandbySet, channel=c.channel, standby=c.standby, by=c.by)
        for qs in list(self.queues.values()):
            for entry in list(qs.waiting):
                contact = self.contacts[entry[3]]
                if contact.channel is not c.channel or contact.state not in IN_LINE:
                    continue
                if c.standby:
                    self._leave_line(contact, qs.spec.on_standby, "channel_standby")
                else:
                    self._route_contact(contact)

    def _h_log_in(self, c: cmd.LogIn) -> None:
        agent = self._agent(c.agent_id)
        next_presence(agent.presence, PresenceEvent.LOG_IN)
        self._emit(ev.AgentLoggedIn, agent_id=agent.id, by=c.by)
        if c.ready:
            self._emit(ev.AgentPresenceChanged, agent_id=agent.id, ready=True, by=c.by)
            self._route_agent(agent)

    def _h_log_out(self, c: cmd.LogOut) -> None:
        agent = self._agent(c.agent_id)
        next_presence(agent.presence, PresenceEvent.LOG_OUT)
        if not may_log_out(agent.holding):
            raise cmd.CommandRejected(f"agent {agent.id} still holds {agent.holding} contact(s)")
        self._emit(ev.AgentLoggedOut, agent_id=agent.id, by=c.by)

    def _h_ready(self, c: cmd.SetReady) -> None:
        agent = self._agent(c.agent_id)
        next_presence(agent.presence, PresenceEvent.GO_READY)
        if agent.presence is Presence.READY:
            return
        self._emit(ev.AgentPresenceChanged, agent_id=agent.id, ready=True, by=c.by)
        self._route_agent(agent)

    def _h_not_ready(self, c: cmd.SetNotReady) -> None:
        agent = self._agent(c.agent_id)
        next_presence(agent.presence, PresenceEvent.GO_NOT_READY)
        self._emit(
            ev.AgentPresenceChanged, agent_id=agent.id, ready=False, reason=c.reason, by=c.by
        )

    def _h_add_contact(self, c: cmd.AddContact) -> None:
        spec = c.contact
        if spec.id in self.contacts:
            raise cmd.CommandRejected(f"contact {spec.id!r} is already in progress")
        qs = self._queue(spec.queue)
        if spec.channel not in qs.spec.channels:
            raise cmd.CommandRejected(f"queue {spec.queue} does not take {spec.channel} contacts")
        self._emit(ev.ContactQueued, contact=spec, by=c.by)
        contact = self.contacts[spec.id]
        if qs.spec.standby or spec.channel in self.channel_standby:
            self._leave_line(contact, qs.spec.on_standby, "standby")
        else:
            self._route_contact(contact)

    def _h_accept(self, c: cmd.Accept) -> None:
        contact = self._contact(c.contact_id)
        self._held_by(contact, c.agent_id, ContactEvent.ACCEPT)
        self._emit(ev.OfferAccepted, contact_id=contact.id, agent_id=c.agent_id, by=c.by)

    def _h_reject(self, c: cmd.Reject) -> None:
        contact = self._contact(c.contact_id)
        self._held_by(contact, c.agent_id, ContactEvent.DECLINE)
        self._decline(contact, self.agents[c.agent_id], timed_out=False, by=c.by)

    def _decline(self, contact: Contact, agent: Agent, *, timed_out: bool, by: str = "") -> None:
        self._emit(
            ev.OfferDeclined, contact_id=contact.id, agent_id=agent.id, timed_out=timed_out, by=by
        )
        if missed_too_many(agent.presence, agent.missed, self.settings.max_missed_offers):
            self._emit(ev.AgentMissedTooMany, agent_id=agent.id, missed=agent.missed)
            self._emit(
                ev.AgentPresenceChanged,
                agent_id=agent.id,
                ready=False,
                reason=self.settings.missed_reason,
            )
        spec = self.queues[contact.queue].spec
        if spec.max_wait is not None and self.now - contact.since >= spec.max_wait:
            self._leave_line(contact, spec.on_max_wait, "max_wait")
        if contact.state in IN_LINE:
            self._route_contact(contact)
        self._route_agent(agent)

    def _h_complete(self, c: cmd.Complete) -> None:
        contact = self._contact(c.contact_id)
        self._held_by(contact, c.agent_id, ContactEvent.COMPLETE)
        wrap = self.queues[contact.queue].spec.wrap_up
        self._emit(
            ev.ContactCompleted,
            contact_id=contact.id,
            agent_id=c.agent_id,
            deadline=self.now + wrap,
            by=c.by,
        )
        if wrap <= 0:
            self._emit(ev.WrapUpFinished, contact_id=contact.id, agent_id=c.agent_id, by=c.by)
            self._route_agent(self.agents[c.agent_id])

    def _h_finish_wrap_up(self, c: cmd.FinishWrapUp) -> None:
        agent = self._agent(c.agent_id)
        contact = self.contacts.get(c.contact_id)
        own = (
            contact is not None
            and contact.agent == agent.id
            and allows(contact.state, ContactEvent.FINISH_WRAP_UP)
        )
        leg = None if own else agent.leg_of(c.contact_id)
        if leg is not None:  # its part of a contact it transferred
            self._finish_leg(agent, leg.seq, code=c.code, resolved=c.resolved, by=c.by)
            return
        contact = self._contact(c.contact_id)
        self._held_by(contact, c.agent_id, ContactEvent.FINISH_WRAP_UP)
        self._emit(
            ev.WrapUpFinished,
            contact_id=contact.id,
            agent_id=c.agent_id,
            code=c.code,
            resolved=c.resolved,
            by=c.by,
        )
        self._route_agent(self.agents[c.agent_id])

    def _finish_leg(
        self,
        agent: Agent,
        seq: int,
        *,
        code: str = "",
        resolved: bool | None = None,
        timed_out: bool = False,
        by: str = "",
    ) -> None:
        self._emit(
            ev.WrapUpFinished,
            contact_id=agent.legs[seq].contact,
            agent_id=agent.id,
            code=code,
            resolved=resolved,
            timed_out=timed_out,
            leg=seq,
            by=by,
        )
        self._route_agent(agent)

    def _h_transfer(self, c: cmd.Transfer) -> None:
        contact = self._contact(c.contact_id)
        to_queue = ContactEvent.TRANSFER_TO_QUEUE
        self._held_by(
            contact, c.agent_id, to_queue if c.to_queue else ContactEvent.TRANSFER_TO_AGENT
        )
        if bool(c.to_queue) == bool(c.to_agent):
            raise cmd.CommandRejected("a transfer names either a queue or an agent")
        agent = self.agents[c.agent_id]
        wrap = self.queues[contact.queue].spec.wrap_up  # the agent wraps up its part
        wrap_deadline = self.now + wrap if wrap > 0 else 0.0
        if c.to_queue:
            qs = self._queue(c.to_queue)
            if contact.channel not in qs.spec.channels:
                raise cmd.CommandRejected(f"queue {c.to_queue} does not take {contact.channel}")
            self._emit(
                ev.ContactTransferred,
                contact_id=contact.id,
                from_agent=agent.id,
                to_queue=c.to_queue,
                wrap_deadline=wrap_deadline,
                by=c.by,
            )
            self._settle(contact)
        else:
            target = self._agent(c.to_agent)
            if target.id == agent.id or contact.channel not in target.indexed:
                raise cmd.CommandRejected(
                    f"agent {c.to_agent} is not ready with room for a {contact.channel} contact"
                )
            spec = self.queues[contact.queue].spec
            self._emit(
                ev.ContactTransferred,
                contact_id=contact.id,
                from_agent=agent.id,
                to_agent=target.id,
                deadline=self.now + spec.timeout_for(contact.channel),
                wrap_deadline=wrap_deadline,
                by=c.by,
            )
        self._route_agent(agent)

    def _h_priority(self, c: cmd.ChangePriority) -> None:
        contact = self._contact(c.contact_id)
        if contact.state is ContactState.ENDED:
            raise cmd.CommandRejected(f"contact {contact.id} has ended")
        self._emit(ev.ContactPriorityChanged, contact_id=contact.id, priority=c.priority, by=c.by)

    def _h_abandon(self, c: cmd.Abandon) -> None:
        contact = self._contact(c.contact_id)
        if on_customer_left(contact.state) is ContactEvent.COMPLETE:  # hung up while talking
            self._h_complete(cmd.Complete(contact_id=contact.id, agent_id=contact.agent, by=c.by))
            return
        self._end(contact, EndReason.ABANDONED, c.by)

    def _h_cancel(self, c: cmd.Cancel) -> None:
        self._end(self._contact(c.contact_id), EndReason.CANCELLED, c.by)

    def _end(self, contact: Contact, reason: EndReason, by: str) -> None:
        next_contact_state(contact.state, ContactEvent.LEAVE)
        agent_id = contact.agent if contact.state is ContactState.OFFERED else ""
        self._emit(ev.ContactEnded, contact_id=contact.id, reason=reason, by=by)
        if agent_id:
            self._route_agent(self.agents[agent_id])

    def _h_self_service(self, c: cmd.EndSelfService) -> None:
        if not c.contact_id:
            raise cmd.CommandRejected("a self-service contact needs an id")
        if c.contact_id in self.contacts:
            raise cmd.CommandRejected(f"contact {c.contact_id} is in a queue, not in self-service")
        self._emit(
            ev.SelfServiceEnded,
            contact_id=c.contact_id,
            customer=c.customer or c.contact_id,
            channel=c.channel,
            resolved=c.resolved,
            by=c.by,
        )

    def _h_raise_alert(self, c: cmd.RaiseAlert) -> None:
        if c.alert.alert_id not in self.alerts:
            self._emit(ev.AlertRaised, alert=c.alert)

    def _h_clear_alert(self, c: cmd.ClearAlert) -> None:
        if c.alert.alert_id in self.alerts:
            self._emit(ev.AlertCleared, alert=c.alert)

    def _h_record_throttle(self, c: cmd.RecordThrottle) -> None:
        d = c.decision
        if d.kind not in THROTTLE_KINDS:
            raise cmd.CommandRejected(f"unknown throttle decision kind {d.kind!r}")
        if not d.queue or not d.site:
            raise cmd.CommandRejected("a throttle decision names its queue and site")
        for name in ("share", "previous"):
            value = getattr(d, name)
            if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                raise cmd.CommandRejected(f"throttle {d.queue}->{d.site}: {name} must be in [0, 1]")
        if self.throttles.get(d.queue) != d:
            self._emit(ev.ThrottleDecided, decision=d)

    def _h_tick(self, c: cmd.Tick) -> None:
        self._fire_timers(self.now)

    def _h_flow(self, c: cmd.Command) -> None:
        for event_type, fields in self.flows.decide(c, self.now):  # decision 0026
            self._emit(event_type, **fields)

    _handlers: dict[type[cmd.Command], Callable[[Engine, Any], None]] = {
        cmd.ConfigureEngine: _h_configure_engine,
        cmd.ConfigureQueue: _h_configure_queue,
        cmd.ConfigureAgent: _h_configure_agent,
        cmd.RemoveQueue: _h_remove_queue,
        cmd.RemoveAgent: _h_remove_agent,
        cmd.SetQueueStandby: _h_queue_standby,
        cmd.SetChannelStandby: _h_channel_standby,
        cmd.LogIn: _h_log_in,
        cmd.LogOut: _h_log_out,
        cmd.SetReady: _h_ready,
        cmd.SetNotReady: _h_not_ready,
        cmd.AddContact: _h_add_contact,
        cmd.Accept: _h_accept,
        cmd.Reject: _h_reject,
        cmd.Complete: _h_complete,
        cmd.FinishWrapUp: _h_finish_wrap_up,
        cmd.Transfer: _h_transfer,
        cmd.ChangePriority: _h_priority,
        cmd.Abandon: _h_abandon,
        cmd.Cancel: _h_cancel,
        cmd.EndSelfService: _h_self_service,
        cmd.RaiseAlert: _h_raise_alert,
        cmd.ClearAlert: _h_clear_alert,
        cmd.RecordThrottle: _h_record_throttle,
        cmd.Tick: _h_tick,
        **dict.fromkeys(FLOW_COMMANDS, _h_flow),
    }
