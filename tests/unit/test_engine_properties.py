"""Invariants of the routing engine over random command sequences (hypothesis).

Each sequence runs on the indexed engine and on the reference engine that scans
everything: their events must be identical (so the index decides exactly as the
plain policy: strategy, FCFS, aging). After every command the invariants hold,
and replaying the events (through the codec) rebuilds the very same state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from joignable.core import commands as cmd
from joignable.core.commands import CommandRejected
from joignable.core.events import ContactOffered
from joignable.core.model import Channel, ContactSpec
from joignable.core.routing.engine import Engine
from joignable.core.routing.lifecycle import ContactState, InvalidTransition
from joignable.core.routing.matching import ReferenceRouter

from .engine_helpers import (
    AGENTS,
    QUEUES,
    center,
    check_invariants,
    check_offer,
    lifecycle_ids,
    roundtrip,
    snapshot,
)

OPS = [
    "arrive",
    "arrive",
    "arrive",
    "accept",
    "accept",
    "reject",
    "complete",
    "complete",
    "wrap",
    "wrap_leg",
    "abandon",
    "transfer",
    "priority",
    "ready",
    "not_ready",
    "login",
    "logout",
    "standby",
    "channel_standby",
    "skills",
    "remove",
    "tick",
    "tick",
]


def build(engine: Engine, data: st.DataObject, n: int, now: float) -> tuple[cmd.Command, float]:
    op = data.draw(st.sampled_from(OPS))
    pick = data.draw(st.integers(0, 10_000))
    agents = sorted(engine.agents) or ["a1"]
    contacts = sorted(engine.contacts)
    agent = agents[pick % len(agents)]
    contact = contacts[pick % len(contacts)] if contacts else "none"
    c = engine.contacts.get(contact)
    by_state = lambda s: sorted(x.id for x in engine.contacts.values() if x.state is s)  # noqa: E731
    dt = data.draw(st.sampled_from([0, 0, 1, 5, 20, 31, 90]))
    now += dt
    if op == "arrive":
        queue = QUEUES[pick % len(QUEUES)]
        channel = sorted(queue.channels)[pick % len(queue.channels)]
        skills = data.draw(
            st.sampled_from([(), (("billing", 3),), (("tech", 2),), (("sales", 1),)])
        )
        spec = ContactSpec(
            id=f"c{n}",
            channel=channel,
            queue=queue.id,
            language=data.draw(st.sampled_from(["", "fr", "en", "de"])),
            skills=skills,
            priority=data.draw(st.integers(0, 3)),
        )
        return cmd.AddContact(contact=spec), now
    if op in ("accept", "reject"):
        offered = by_state(ContactState.OFFERED)
        if offered:
            x = engine.contacts[offered[pick % len(offered)]]
            kind = cmd.Accept if op == "accept" else cmd.Reject
            return kind(contact_id=x.id, agent_id=x.agent), now
    if op == "complete":
        connected = by_state(ContactState.CONNECTED)
        if connected:
            x = engine.contacts[connected[pick % len(connected)]]
            return cmd.Complete(contact_id=x.id, agent_id=x.agent), now
    if op == "wrap":
        wrapping = by_state(ContactState.WRAP_UP)
        if wrapping:
            x = engine.contacts[wrapping[pick % len(wrapping)]]
            return cmd.FinishWrapUp(
                contact_id=x.id, agent_id=x.agent, code="ok", resolved=True
            ), now
    if op == "wrap_leg":  # an agent closes its part of a contact it transferred
        legs = sorted(
            (a.id, leg.contact) for a in engine.agents.values() for leg in a.legs.values()
        )
        if legs:
            aid, cid = legs[pick % len(legs)]
            return cmd.FinishWrapUp(contact_id=cid, agent_id=aid, code="handed-on"), now
    if op == "abandon" and c is not None:
        return cmd.Abandon(contact_id=c.id), now
    if op == "transfer":
        connected = by_state(ContactState.CONNECTED)
        if connected:
            x = engine.contacts[connected[pick % len(connected)]]
            if pick % 2:
                return cmd.Transfer(contact_id=x.id, agent_id=x.agent, to_queue="sales"), now
            return cmd.Transfer(contact_id=x.id, agent_id=x.agent, to_agent=agent), now
    if op == "priority" and c is not None:
        return cmd.ChangePriority(contact_id=c.id, priority=pick % 7), now
    if op == "ready":
        return cmd.SetReady(agent_id=agent), now
    if op == "not_ready":
        return cmd.SetNotReady(agent_id=agent, reason="break"), now
    if op == "login":
        return cmd.LogIn(agent_id=agent), now
    if op == "logout":
        return cmd.LogOut(agent_id=agent), now
    if op == "standby":
        q = QUEUES[pick % len(QUEUES)].id
        if q not in engine.queues:  # removed: configure it again
            return cmd.ConfigureQueue(queue=QUEUES[pick % len(QUEUES)]), now
        return cmd.SetQueueStandby(queue_id=q, standby=not engine.queues[q].spec.standby), now
    if op == "remove":
        if pick % 2:
            return cmd.RemoveAgent(agent_id=agent), now
        return cmd.RemoveQueue(queue_id=QUEUES[pick % len(QUEUES)].id), now
    if op == "channel_standby":
        ch = [Channel.VOICE, Channel.CHAT][pick % 2]
        return cmd.SetChannelStandby(channel=ch, standby=ch not in engine.channel_standby), now
    if op == "skills":
        spec = AGENTS[pick % len(AGENTS)]
        level = 1 + pick % 10
        new = dataclasses.replace(spec, skills=(*spec.skills, ("sales", level)))
        new = dataclasses.replace(new, skills=tuple(sorted(dict(new.skills).items())))
        return cmd.ConfigureAgent(agent=new), now
    return cmd.Tick(), now


def run(engine: Engine, command: cmd.Command, now: float) -> list:
    out = engine.advance(now)
    with contextlib.suppress(CommandRejected, InvalidTransition):
        out += engine.handle(command, now)
    return out


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.integers(5, 80))
def test_random_sequences_keep_every_invariant(data: st.DataObject, length: int) -> None:
    live = Engine()
    oracle = Engine(router=ReferenceRouter)
    log = center(live)
    center(oracle)
    now = 0.0
    for n in range(length):
        command, now = build(live, data, n, now)
        events = run(live, command, now)
        assert run(oracle, command, now) == events, f"decisions differ on {command}"
        check_invariants(live)
        log += events
    # replay through the codec: the same state, offers all legitimate
    replayed = Engine()
    for event in roundtrip(log):
        if isinstance(event, ContactOffered):
            check_offer(replayed, event)
        replayed.apply(event)
    assert snapshot(replayed) == snapshot(live)
    # nothing lost: every queued contact is in progress or ended with a reason
    queued, ended = lifecycle_ids(log)
    assert queued - ended == set(live.contacts)
    assert sum(live.ended.values()) == len(ended)
    # sequence numbers are gap-free and time never goes back
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert all(a.at <= b.at for a, b in itertools.pairwise(log))
