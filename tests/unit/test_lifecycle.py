"""The lifecycle tables, walked whole, and the engine asking them.

Why: `core/routing/lifecycle.py` is where a contact's and an agent's rules
live (h11's `_state.py`); these tests walk every (state, event) pair of each
table — the legal ones allowed, every other refused with the named error —
and show that the engine refuses an agent's command in the wrong stage by
asking the table *before* it emits or changes anything: with the table
changed, the engine follows it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from joignable.core import commands as cmd
from joignable.core.commands import CommandRejected
from joignable.core.model import AgentSpec, Capacity, Channel, ContactSpec, QueueSpec
from joignable.core.routing.engine import Engine, EngineSettings
from joignable.core.routing.lifecycle import (
    CONTACT_TRANSITIONS,
    CUSTOMER_LEFT,
    IN_LINE,
    OFFER_TIMEOUT,
    PRESENCE_TRANSITIONS,
    UNANSWERED,
    WRAP_UP_TIMEOUT,
    ContactEvent,
    ContactOver,
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
from tests.unit.engine_helpers import snapshot


def test_every_contact_transition_is_allowed_and_every_other_refused() -> None:
    assert set(CONTACT_TRANSITIONS) == set(ContactState)
    for state in ContactState:
        for event in ContactEvent:
            target = CONTACT_TRANSITIONS[state].get(event)
            if target is not None:
                assert next_contact_state(state, event) is target
                continue
            with pytest.raises(InvalidTransition) as refused:
                next_contact_state(state, event)
            assert (refused.value.what, refused.value.state, refused.value.event) == (
                "contact",
                state.value,
                event.value,
            )
    assert CONTACT_TRANSITIONS[ContactState.ENDED] == {}  # it ends exactly once


def test_every_presence_transition_is_allowed_and_every_other_refused() -> None:
    assert set(PRESENCE_TRANSITIONS) == set(Presence)
    for state in Presence:
        for event in PresenceEvent:
            target = PRESENCE_TRANSITIONS[state].get(event)
            if target is not None:
                assert next_presence(state, event) is target
                continue
            with pytest.raises(InvalidTransition, match=f"agent cannot {event.value} while"):
                next_presence(state, event)


def test_the_customer_leaving_means_leave_complete_or_is_refused() -> None:
    for state in ContactState:
        meaning = CUSTOMER_LEFT.get(state)
        if meaning is None:
            with pytest.raises(ContactOver) as over:
                on_customer_left(state)
            assert isinstance(over.value, CommandRejected)  # as before it was a table
            continue
        assert on_customer_left(state) is meaning
        next_contact_state(state, meaning)  # what it means is a legal transition there
    assert set(CUSTOMER_LEFT) == {
        ContactState.WAITING,
        ContactState.OFFERED,
        ContactState.CONNECTED,
    }


def test_the_routing_sets_and_time_outs_agree_with_the_table() -> None:
    """In line: exactly where an offer can be made; unanswered: exactly where
    the contact may still leave; a time-out's event is a legal move of the
    state its timer waits in (offered, wrap-up) and of no other."""
    offerable = {s for s in ContactState if allows(s, ContactEvent.OFFER)}
    assert set(IN_LINE) == offerable == {s for s in ContactState if allows(s, ContactEvent.MOVE)}
    assert set(UNANSWERED) == {s for s in ContactState if allows(s, ContactEvent.LEAVE)}
    assert {s for s in ContactState if allows(s, OFFER_TIMEOUT)} == {ContactState.OFFERED}
    assert {s for s in ContactState if allows(s, WRAP_UP_TIMEOUT)} == {ContactState.WRAP_UP}


def test_presence_rules() -> None:
    assert may_log_out(0) and not may_log_out(1)
    assert missed_too_many(Presence.READY, 3, 3)
    assert not missed_too_many(Presence.READY, 2, 3)
    assert not missed_too_many(Presence.NOT_READY, 5, 3)
    assert not missed_too_many(Presence.READY, 9, 0)  # 0: no limit


# ---------------------------------------------------------------- the engine


def _engine_at(state: ContactState) -> Engine:
    """An engine where contact c1 is with agent a1 in `state` (OFFERED,
    CONNECTED or WRAP_UP); agent a2 is ready with room, queue q2 takes voice."""
    engine = Engine(EngineSettings())
    now = 0.0

    def do(command: cmd.Command) -> None:
        engine.handle(command, now)

    for queue in ("q", "q2"):
        do(cmd.ConfigureQueue(queue=QueueSpec(id=queue, wrap_up=30)))
    for agent in ("a1", "a2"):
        do(cmd.ConfigureAgent(agent=AgentSpec(id=agent, capacity=Capacity.only(Channel.VOICE))))
    do(cmd.LogIn(agent_id="a1", ready=True))
    do(cmd.AddContact(contact=ContactSpec(id="c1", channel=Channel.VOICE, queue="q")))
    do(cmd.LogIn(agent_id="a2", ready=True))
    if state is not ContactState.OFFERED:
        do(cmd.Accept(contact_id="c1", agent_id="a1"))
    if state is ContactState.WRAP_UP:
        do(cmd.Complete(contact_id="c1", agent_id="a1"))
    assert engine.contacts["c1"].state is state and engine.contacts["c1"].agent == "a1"
    return engine


AGENT_COMMANDS: dict[ContactEvent, Callable[[], cmd.Command]] = {
    ContactEvent.ACCEPT: lambda: cmd.Accept(contact_id="c1", agent_id="a1"),
    ContactEvent.DECLINE: lambda: cmd.Reject(contact_id="c1", agent_id="a1"),
    ContactEvent.COMPLETE: lambda: cmd.Complete(contact_id="c1", agent_id="a1"),
    ContactEvent.FINISH_WRAP_UP: lambda: cmd.FinishWrapUp(contact_id="c1", agent_id="a1"),
    ContactEvent.TRANSFER_TO_QUEUE: lambda: cmd.Transfer(
        contact_id="c1", agent_id="a1", to_queue="q2"
    ),
    ContactEvent.TRANSFER_TO_AGENT: lambda: cmd.Transfer(
        contact_id="c1", agent_id="a1", to_agent="a2"
    ),
}
HELD = (ContactState.OFFERED, ContactState.CONNECTED, ContactState.WRAP_UP)


@pytest.mark.parametrize("state", HELD, ids=lambda s: s.value)
@pytest.mark.parametrize("event", list(AGENT_COMMANDS), ids=lambda e: e.value)
def test_the_engine_takes_an_agents_command_exactly_when_the_table_does(
    state: ContactState, event: ContactEvent
) -> None:
    engine = _engine_at(state)
    before = snapshot(engine)
    if event in CONTACT_TRANSITIONS[state]:
        assert engine.handle(AGENT_COMMANDS[event](), 1.0)
        return
    with pytest.raises(InvalidTransition) as refused:
        engine.handle(AGENT_COMMANDS[event](), 1.0)
    # the refusal names the table's event: the engine asked the table
    assert (refused.value.state, refused.value.event) == (state.value, event.value)
    assert snapshot(engine) == before


def test_the_engine_follows_the_table_when_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take `transfer_to_queue` out of CONNECTED's moves: the engine refuses the
    transfer before emitting or changing anything (an engine that checked
    the stage itself would emit ContactTransferred and fail half-way)."""
    engine = _engine_at(ContactState.CONNECTED)
    moves = dict(CONTACT_TRANSITIONS[ContactState.CONNECTED])
    del moves[ContactEvent.TRANSFER_TO_QUEUE]
    monkeypatch.setitem(CONTACT_TRANSITIONS, ContactState.CONNECTED, moves)
    before = snapshot(engine)
    with pytest.raises(InvalidTransition, match="contact cannot transfer_to_queue while connected"):
        engine.handle(AGENT_COMMANDS[ContactEvent.TRANSFER_TO_QUEUE](), 1.0)
    assert snapshot(engine) == before


def test_the_engine_asks_the_table_what_the_customer_leaving_means(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = _engine_at(ContactState.WRAP_UP)
    with pytest.raises(ContactOver, match="contact cannot be abandoned while wrap_up"):
        engine.handle(cmd.Abandon(contact_id="c1"), 1.0)
    # connected: the table says COMPLETE (wrap-up follows); said LEAVE, it ends
    talking = _engine_at(ContactState.CONNECTED)
    assert type(talking.handle(cmd.Abandon(contact_id="c1"), 1.0)[0]).__name__ == (
        "ContactCompleted"
    )
    monkeypatch.setitem(CUSTOMER_LEFT, ContactState.CONNECTED, ContactEvent.LEAVE)
    talking = _engine_at(ContactState.CONNECTED)
    with pytest.raises(InvalidTransition, match="contact cannot leave while connected"):
        talking.handle(cmd.Abandon(contact_id="c1"), 1.0)
