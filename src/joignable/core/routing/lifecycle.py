"""Lifecycles of contacts and agents, as transition tables.

Rules (read these before the tables):

Contact
  * A contact enters WAITING in exactly one queue and ends exactly once, with a
    reason. It is always in one place: WAITING, OFFERED, CONNECTED, WRAP_UP or
    ENDED.
  * An offer that is rejected or times out puts the contact back to WAITING at
    its original place (its queue entry time is unchanged).
  * A transfer to a queue moves CONNECTED back to WAITING; a transfer to an
    agent moves CONNECTED to OFFERED. The history is kept on the contact.
  * A waiting or offered contact may be abandoned or cancelled; a connected
    contact ends through wrap-up. The customer leaving (`Abandon`) means
    LEAVE while waiting or offered and COMPLETE while connected (wrap-up
    follows); in wrap-up the conversation is already over: `ContactOver`
    (`CUSTOMER_LEFT`).
  * An agent's command on a contact is one event of the table (accept,
    decline, complete, finish_wrap_up, transfer_…): the engine asks the
    table before it emits anything (`next_contact_state`), so a command in
    the wrong stage is refused with `InvalidTransition` naming that event.

Agent presence
  * An agent is OFFLINE, READY or NOT_READY (with a reason code). Only a READY
    agent receives offers.
  * Going NOT_READY while handling contacts is allowed: no new offers, current
    contacts finish. Logging out is refused while the agent holds contacts
    (`may_log_out`).
  * An agent who lets `limit` offers in a row go unanswered while READY is
    put NOT_READY (`missed_too_many`); a limit of 0 never does.
  * What a supervisor sees (available, reserved, busy, wrap-up) is derived from
    presence and the agent's contacts: see `agent_activity`. An agent holding
    three chats at different stages is not one state of a single table.

An impossible transition raises `InvalidTransition`, never a silent change.
"""

from __future__ import annotations

from enum import StrEnum

from ..commands import CommandRejected


class InvalidTransition(Exception):
    """A command asked for a transition the lifecycle does not allow."""

    def __init__(self, what: str, state: str, event: str) -> None:
        super().__init__(f"{what} cannot {event} while {state}")
        self.what = what
        self.state = state
        self.event = event


class ContactOver(InvalidTransition, CommandRejected):
    """The customer left a contact whose conversation is already over (in
    wrap-up). Also a `CommandRejected`: callers that caught the engine's
    refusal of it before it was a lifecycle rule still do."""


class ContactState(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"
    WRAP_UP = "wrap_up"
    ENDED = "ended"


class ContactEvent(StrEnum):
    OFFER = "offer"
    ACCEPT = "accept"
    DECLINE = "decline"  # rejected or timed out: back in place
    COMPLETE = "complete"
    FINISH_WRAP_UP = "finish_wrap_up"
    TRANSFER_TO_QUEUE = "transfer_to_queue"
    TRANSFER_TO_AGENT = "transfer_to_agent"
    MOVE = "move"  # overflow to another queue while waiting
    LEAVE = "leave"  # abandoned, cancelled, callback, voicemail, closed


CONTACT_TRANSITIONS: dict[ContactState, dict[ContactEvent, ContactState]] = {
    ContactState.WAITING: {
        ContactEvent.OFFER: ContactState.OFFERED,
        ContactEvent.MOVE: ContactState.WAITING,
        ContactEvent.LEAVE: ContactState.ENDED,
    },
    ContactState.OFFERED: {
        ContactEvent.ACCEPT: ContactState.CONNECTED,
        ContactEvent.DECLINE: ContactState.WAITING,
        ContactEvent.LEAVE: ContactState.ENDED,
    },
    ContactState.CONNECTED: {
        ContactEvent.COMPLETE: ContactState.WRAP_UP,
        ContactEvent.TRANSFER_TO_QUEUE: ContactState.WAITING,
        ContactEvent.TRANSFER_TO_AGENT: ContactState.OFFERED,
    },
    ContactState.WRAP_UP: {
        ContactEvent.FINISH_WRAP_UP: ContactState.ENDED,
    },
    ContactState.ENDED: {},
}


#: Where the contact stands for the routing rules: IN_LINE, it is in its
#: queue's waiting line (it may be offered, moved by an overflow, taken out
#: by a standby or its maximum wait); UNANSWERED, no agent has it yet (its
#: routing steps still widen; it may leave). Checked against the table by
#: tests/unit/test_lifecycle.py: the states allowing OFFER, and LEAVE.
IN_LINE: frozenset[ContactState] = frozenset({ContactState.WAITING})
UNANSWERED: frozenset[ContactState] = frozenset({ContactState.WAITING, ContactState.OFFERED})

#: What a time-out does: an offer not answered in time is declined, a wrap-up
#: not closed in time is finished. A time-out acts only while the table still
#: allows its event (else the contact moved on and the timer is stale).
OFFER_TIMEOUT = ContactEvent.DECLINE
WRAP_UP_TIMEOUT = ContactEvent.FINISH_WRAP_UP

#: What the customer leaving (an `Abandon`) does to the contact in each state;
#: a state not listed refuses it (`on_customer_left`).
CUSTOMER_LEFT: dict[ContactState, ContactEvent] = {
    ContactState.WAITING: ContactEvent.LEAVE,
    ContactState.OFFERED: ContactEvent.LEAVE,
    ContactState.CONNECTED: ContactEvent.COMPLETE,  # the conversation is over: wrap-up
}


class Presence(StrEnum):
    OFFLINE = "offline"
    READY = "ready"
    NOT_READY = "not_ready"


class PresenceEvent(StrEnum):
    LOG_IN = "log_in"
    LOG_OUT = "log_out"
    GO_READY = "go_ready"
    GO_NOT_READY = "go_not_ready"


PRESENCE_TRANSITIONS: dict[Presence, dict[PresenceEvent, Presence]] = {
    Presence.OFFLINE: {
        PresenceEvent.LOG_IN: Presence.NOT_READY,
    },
    Presence.READY: {
        PresenceEvent.GO_NOT_READY: Presence.NOT_READY,
        PresenceEvent.LOG_OUT: Presence.OFFLINE,
        PresenceEvent.GO_READY: Presence.READY,
    },
    Presence.NOT_READY: {
        PresenceEvent.GO_READY: Presence.READY,
        PresenceEvent.GO_NOT_READY: Presence.NOT_READY,  # change of reason code
        PresenceEvent.LOG_OUT: Presence.OFFLINE,
    },
}


class AgentActivity(StrEnum):
    """The agent state a supervisor sees."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    RESERVED = "reserved"
    BUSY = "busy"
    WRAP_UP = "wrap_up"
    NOT_READY = "not_ready"


def next_contact_state(state: ContactState, event: ContactEvent) -> ContactState:
    """The state after `event`; raises `InvalidTransition` if not allowed."""
    try:
        return CONTACT_TRANSITIONS[state][event]
    except KeyError:
        raise InvalidTransition("contact", state.value, event.value) from None


def allows(state: ContactState, event: ContactEvent) -> bool:
    """Whether the contact lifecycle lets `event` happen in `state`."""
    return event in CONTACT_TRANSITIONS[state]


def on_customer_left(state: ContactState) -> ContactEvent:
    """The contact event the customer leaving means in `state` (LEAVE or
    COMPLETE); raises `ContactOver` in wrap-up or once ended."""
    try:
        return CUSTOMER_LEFT[state]
    except KeyError:
        raise ContactOver("contact", state.value, "be abandoned") from None


def next_presence(state: Presence, event: PresenceEvent) -> Presence:
    """The presence after `event`; raises `InvalidTransition` if not allowed."""
    try:
        return PRESENCE_TRANSITIONS[state][event]
    except KeyError:
        raise InvalidTransition("agent", state.value, event.value) from None


def may_log_out(holding: int) -> bool:
    """Whether an agent holding `holding` contacts (offered, connected, in
    wrap-up, or legs of transferred ones) may log out: only with none."""
    return holding == 0


def missed_too_many(presence: Presence, missed: int, limit: int) -> bool:
    """Whether an agent who has now missed `missed` offers in a row must go
    NOT_READY: a `limit` above 0 reached while READY."""
    return 0 < limit <= missed and presence is Presence.READY


def agent_activity(
    presence: Presence, offered: int, connected: int, wrapping: int
) -> AgentActivity:
    """Derive what a supervisor sees from presence and the agent's contacts.

    Busy wins over wrap-up, which wins over reserved: an agent talking to one
    customer while a chat is offered is busy.
    """
    if presence is Presence.OFFLINE:
        return AgentActivity.OFFLINE
    if connected:
        return AgentActivity.BUSY
    if wrapping:
        return AgentActivity.WRAP_UP
    if offered:
        return AgentActivity.RESERVED
    if presence is Presence.NOT_READY:
        return AgentActivity.NOT_READY
    return AgentActivity.AVAILABLE


def mermaid(table: dict[ContactState, dict[ContactEvent, ContactState]] | None = None) -> str:
    """A Mermaid state diagram of the contact lifecycle, for the docs."""
    table = table or CONTACT_TRANSITIONS
    lines = ["stateDiagram-v2", "    [*] --> waiting"]
    for state, moves in table.items():
        for event, target in moves.items():
            lines.append(f"    {state.value} --> {target.value}: {event.value}")
    lines.append("    ended --> [*]")
    return "\n".join(lines)
