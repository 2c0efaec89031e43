"""The indexed router on its own: what it keeps about agents, and its longest-idle
scan against the oracle on a center with many agents per bucket (the property
tests' center has five agents)."""

from __future__ import annotations

import contextlib
import random

import pytest

from joignable.core import commands as cmd
from joignable.core.events import Event
from joignable.core.model import (
    AgentSpec,
    Capacity,
    Channel,
    ContactSpec,
    QueueSpec,
    RoutingStep,
)
from joignable.core.routing.engine import Engine
from joignable.core.routing.lifecycle import ContactState, InvalidTransition
from joignable.core.routing.matching import IndexedRouter, ReferenceRouter

SKILLS = ("billing", "tech", "sales", "loans")
QUEUES = (
    QueueSpec(id="plain", wrap_up=0),
    QueueSpec(
        id="widening",
        wrap_up=0,
        steps=(RoutingStep(), RoutingStep(after=20, levels=(("tech", 1),))),
    ),
    QueueSpec(
        id="team", wrap_up=0, steps=(RoutingStep(teams=frozenset({"A"})), RoutingStep(after=30))
    ),
)


def _agent(rng: random.Random, i: int) -> AgentSpec:
    own = rng.sample(SKILLS, rng.randint(1, 3))
    return AgentSpec(
        id=f"a{i:02d}",
        skills=tuple(sorted((s, rng.randint(1, 10)) for s in own)),
        languages=rng.choice([frozenset({"fr"}), frozenset({"en"}), frozenset({"fr", "en"})]),
        team=rng.choice("AB"),
        queues=rng.choice([frozenset(), frozenset(), frozenset({"plain", "team"})]),
        capacity=Capacity.only(rng.choice([Channel.VOICE, Channel.CHAT])),
    )


def _engine(router: type) -> Engine:
    engine = Engine(router=router)
    for q in QUEUES:
        engine.handle(cmd.ConfigureQueue(queue=q), 0.0)
    return engine


def test_removed_agents_leave_nothing_behind_in_the_router() -> None:
    engine = _engine(IndexedRouter)
    rng = random.Random(1)
    ids = []
    for i in range(30):
        spec = _agent(rng, i)
        engine.handle(cmd.ConfigureAgent(agent=spec), 0.0)
        engine.handle(cmd.LogIn(agent_id=spec.id), 0.0)
        ids.append(spec.id)
    router = engine.router
    assert isinstance(router, IndexedRouter)
    assert len(router._places) == 30  # every agent got room, so was placed
    for aid in ids:
        engine.handle(cmd.LogOut(agent_id=aid), 1.0)
        engine.handle(cmd.RemoveAgent(agent_id=aid), 1.0)
    assert router._places == {}
    assert not any(bucket for skills in router.index.values() for bucket in skills.values())


def _command(rng: random.Random, engine: Engine, n: int) -> cmd.Command:
    """A random step of a busy center: arrivals, answers, refusals, breaks."""
    op = rng.choice(["arrive", "arrive", "accept", "reject", "complete", "break", "back", "tick"])
    agents = sorted(engine.agents)
    by_state = {
        s: sorted(c.id for c in engine.contacts.values() if c.state is s) for s in ContactState
    }
    if op == "arrive":
        skills = rng.choice(
            [(), ((rng.choice(SKILLS), rng.randint(1, 8)),)] * 3 + [(("billing", 2), ("tech", 3))]
        )
        return cmd.AddContact(
            contact=ContactSpec(
                id=f"c{n}",
                channel=rng.choice([Channel.VOICE, Channel.CHAT]),
                queue=rng.choice(QUEUES).id,
                language=rng.choice(["", "fr", "en"]),
                skills=skills,
                priority=rng.randint(0, 2),
            )
        )
    if op in ("accept", "reject", "complete"):
        state = ContactState.CONNECTED if op == "complete" else ContactState.OFFERED
        if by_state[state]:
            c = engine.contacts[rng.choice(by_state[state])]
            kind = {"accept": cmd.Accept, "reject": cmd.Reject, "complete": cmd.Complete}[op]
            return kind(contact_id=c.id, agent_id=c.agent)
    if op == "break":
        return cmd.SetNotReady(agent_id=rng.choice(agents))
    if op == "back":
        return cmd.SetReady(agent_id=rng.choice(agents))
    return cmd.Tick()


def _run(engine: Engine, command: cmd.Command, now: float) -> list[Event]:
    out: list[Event] = engine.advance(now)
    with contextlib.suppress(cmd.CommandRejected, InvalidTransition):
        out += engine.handle(command, now)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_longest_idle_scan_decides_as_the_oracle_on_a_larger_center(seed: int) -> None:
    rng = random.Random(seed)
    live, oracle = _engine(IndexedRouter), _engine(ReferenceRouter)
    for i in range(60):
        spec = _agent(rng, i)
        for command in (cmd.ConfigureAgent(agent=spec), cmd.LogIn(agent_id=spec.id)):
            assert _run(live, command, 0.0) == _run(oracle, command, 0.0)
    now = 0.0
    for n in range(1500):
        now += rng.choice([0.0, 1.0, 5.0])
        command = _command(rng, live, n)
        assert _run(live, command, now) == _run(oracle, command, now), f"differ on {command}"
    assert live.router.decisions == oracle.router.decisions
