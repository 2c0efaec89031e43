"""Helpers for engine tests: a small center, a state snapshot, invariant checks."""

from __future__ import annotations

import json
from typing import Any

from joignable.core import commands as cmd
from joignable.core.codec import decode, encode
from joignable.core.events import ContactEnded, ContactOffered, ContactQueued, Event, WrapUpFinished
from joignable.core.model import (
    AgentSpec,
    Capacity,
    Channel,
    OverflowAction,
    QueueSpec,
    RoutingStep,
    Strategy,
)
from joignable.core.routing.engine import Engine
from joignable.core.routing.lifecycle import ContactState, Presence

QUEUES = [
    QueueSpec(
        id="billing",
        channels=frozenset({Channel.VOICE, Channel.CALLBACK}),
        steps=(
            RoutingStep(levels=(("billing", 7),), teams=frozenset({"A"})),
            RoutingStep(after=30, levels=(("billing", 4),)),
            RoutingStep(after=120, outsourcers=frozenset({"", "X"})),
        ),
        aging_per_s=0.5,
        max_wait=300,
        on_max_wait=OverflowAction.CALLBACK,
        offer_timeout=20,
        wrap_up=15,
    ),
    QueueSpec(
        id="support",
        channels=frozenset({Channel.CHAT, Channel.EMAIL, Channel.VOICE}),
        strategy=Strategy.LEAST_OCCUPIED,
        offer_timeout=30,
        wrap_up=0,
        on_standby=OverflowAction.OVERFLOW,
        overflow_to="sales",
    ),
    QueueSpec(
        id="sales",
        channels=frozenset(Channel),
        strategy=Strategy.LEAST_FLEXIBLE,
        aging_per_s=1.0,
        wrap_up=5,
    ),
    QueueSpec(
        id="loans",
        channels=frozenset({Channel.VOICE, Channel.EMAIL}),
        steps=(RoutingStep(levels=(("billing", 2),)), RoutingStep(after=60)),
        strategy=Strategy.MOST_SKILLED,
        wrap_up=10,
    ),
    QueueSpec(
        id="retention",
        channels=frozenset({Channel.VOICE, Channel.CHAT}),
        strategy=Strategy.ROUND_ROBIN,
        aging_per_s=0.5,
        max_wait=120,
        on_max_wait=OverflowAction.VOICEMAIL,
        wrap_up=0,
    ),
]

AGENTS = [
    AgentSpec(id="a1", skills=(("billing", 8),), languages=frozenset({"fr", "en"}), team="A"),
    AgentSpec(id="a2", skills=(("billing", 5), ("tech", 3)), languages=frozenset({"fr"}), team="B"),
    AgentSpec(
        id="a3",
        skills=(("tech", 7),),
        languages=frozenset({"en"}),
        team="B",
        capacity=Capacity.only(Channel.CHAT, Channel.EMAIL),
    ),
    AgentSpec(
        id="a4",
        skills=(("billing", 9), ("tech", 9)),
        languages=frozenset({"fr", "en"}),
        outsourcer="X",
        site="s2",
    ),
    AgentSpec(
        id="a5",
        skills=(("sales", 6),),
        languages=frozenset({"fr"}),
        team="A",
        queues=frozenset({"sales", "support"}),
    ),
]


def center(engine: Engine, now: float = 0.0) -> list[Event]:
    out: list[Event] = []
    for q in QUEUES:
        out += engine.handle(cmd.ConfigureQueue(queue=q), now)
    for a in AGENTS:
        out += engine.handle(cmd.ConfigureAgent(agent=a), now)
    return out


def roundtrip(events: list[Event]) -> list[Event]:
    """Events through the codec and JSON, as the store does."""
    back = []
    for e in events:
        kind, data = encode(e)
        text = json.dumps(data, sort_keys=True)
        back.append(decode(kind, e.at, e.seq, json.loads(text)))
    return back


def snapshot(engine: Engine) -> dict[str, Any]:
    return {
        "seq": engine.seq,
        "standby": sorted(engine.channel_standby),
        "ended": dict(engine.ended),
        "timers": engine.pending_timers(),
        "queues": {q: (s.spec, list(s.waiting)) for q, s in engine.queues.items()},
        "agents": {
            a.id: (
                a.spec,
                a.presence,
                a.reason,
                a.load,
                dict(a.counts),
                sorted(a.offered),
                sorted(a.connected),
                sorted(a.wrapping),
                sorted(a.legs.items()),
                a.missed,
                dict(a.stamp),
                sorted(a.indexed),
                a.last_offer,
            )
            for a in engine.agents.values()
        },
        "contacts": {
            c.id: (
                c.state,
                c.queue,
                c.agent,
                c.step,
                c.priority,
                c.entered,
                c.since,
                c.seq,
                c.line,
                sorted(c.declined),
                c.entry,
                c.offer_seq,
                c.deadline,
                c.transfers,
                list(c.history),
            )
            for c in engine.contacts.values()
        },
    }


def check_invariants(engine: Engine) -> None:
    """Capacity, one place per contact, and no idle agent beside an eligible contact."""
    from joignable.core.routing.runtime import eligible

    waiting_ids: dict[str, int] = {}
    for qs in engine.queues.values():
        for entry in qs.waiting:
            waiting_ids[entry[3]] = waiting_ids.get(entry[3], 0) + 1
    held: dict[str, tuple[str, str]] = {}
    for a in engine.agents.values():
        assert a.load <= a.budget, f"{a.id} over budget"
        for ch in Channel:
            assert a.counts[ch] <= a.limits[ch], f"{a.id} over capacity on {ch}"
        assert a.load == sum(a.costs[ch] * a.counts[ch] for ch in Channel)
        assert a.holding == sum(a.counts.values())
        for where, ids in (
            ("offered", a.offered),
            ("connected", a.connected),
            ("wrap_up", a.wrapping),
        ):
            for cid in ids:
                assert cid not in held, f"{cid} held twice"
                held[cid] = (a.id, where)
        assert a.indexed == a.open_channels()
    for cid, n in waiting_ids.items():
        assert n == 1, f"{cid} waits in {n} places"
    for c in engine.contacts.values():
        if c.state is ContactState.WAITING:
            assert waiting_ids.get(c.id) == 1 and c.id not in held and not c.agent
        else:
            assert c.id not in waiting_ids
            expected = {
                ContactState.OFFERED: "offered",
                ContactState.CONNECTED: "connected",
                ContactState.WRAP_UP: "wrap_up",
            }[c.state]
            assert held.get(c.id) == (c.agent, expected), (c.id, c.state, held.get(c.id))
    assert set(waiting_ids) | set(held) == set(engine.contacts)
    # work conservation: no agent with room beside a waiting contact it may take
    for c in engine.contacts.values():
        if c.state is not ContactState.WAITING:
            continue
        qs = engine.queues[c.queue]
        if qs.spec.standby or c.channel in engine.channel_standby:
            continue
        for a in engine.agents.values():
            if a.presence is Presence.READY and c.channel in a.indexed:
                assert not eligible(a, c, qs.spec), f"{a.id} idle beside eligible {c.id}"


def check_offer(engine: Engine, event: ContactOffered) -> None:
    """Before applying an offer: the agent may take it (skills, level, language, room)."""
    c = engine.contacts[event.contact_id]
    a = engine.agents[event.agent_id]
    assert a.presence is Presence.READY
    assert a.has_room(c.channel)
    assert not c.language or c.language in a.languages
    for skill, level in c.reqs:
        assert a.skills.get(skill, 0) >= level, (a.id, c.id, skill)
    step = engine.queues[c.queue].spec.steps[c.step]
    assert not step.teams or a.team in step.teams
    assert not step.outsourcers or a.outsourcer in step.outsourcers


def lifecycle_ids(events: list[Event]) -> tuple[set[str], set[str]]:
    queued = {e.contact.id for e in events if isinstance(e, ContactQueued)}
    ended = {
        e.contact_id
        for e in events
        if isinstance(e, ContactEnded) or (isinstance(e, WrapUpFinished) and not e.leg)
    }
    return queued, ended
