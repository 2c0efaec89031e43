"""Events: what happened, in the past tense. The engine's state is a fold of them.

Every event carries its time `at` (seconds, from the clock the shell passed in)
and `seq`, the engine's sequence number: replaying events in `seq` order
rebuilds exactly the live state. Events are frozen and self-contained — a
replay never needs the command that caused them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import AgentSpec, AlertFacts, Channel, ContactSpec, EndReason, QueueSpec, ThrottleFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    at: float
    seq: int


# --- configuration -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueConfigured(Event):
    queue: QueueSpec
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConfigured(Event):
    """An agent was created or changed (skills, capacity, queues, team, site)."""

    agent: AgentSpec
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineConfigured(Event):
    """The center-wide routing rules changed (see `EngineSettings`)."""

    max_missed_offers: int
    missed_reason: str = "missed"
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueRemoved(Event):
    queue_id: str
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRemoved(Event):
    agent_id: str
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueStandbySet(Event):
    queue_id: str
    standby: bool
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelStandbySet(Event):
    channel: Channel
    standby: bool
    by: str = ""


# --- agents ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLoggedIn(Event):
    agent_id: str
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLoggedOut(Event):
    agent_id: str
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentPresenceChanged(Event):
    """Ready, or not ready with a reason code (break, training, missed, ...)."""

    agent_id: str
    ready: bool
    reason: str = ""
    by: str = ""


# --- contacts --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactQueued(Event):
    """A contact entered its queue (after the IVR). Its place in line is
    (`entered`, `seq`); `entered` is `at` unless it keeps an earlier place (a
    callback standing where the caller stood)."""

    contact: ContactSpec
    entered: float | None = None
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactStepReached(Event):
    """The contact waited long enough for the queue's next, wider routing step."""

    contact_id: str
    step: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactOffered(Event):
    contact_id: str
    agent_id: str
    deadline: float


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferAccepted(Event):
    contact_id: str
    agent_id: str
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferDeclined(Event):
    """Rejected by the agent, or not answered before the deadline (`timed_out`).
    The contact is back at its original place."""

    contact_id: str
    agent_id: str
    timed_out: bool = False
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentMissedTooMany(Event):
    """The agent missed the configured number of offers in a row."""

    agent_id: str
    missed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactCompleted(Event):
    """The conversation ended; the agent is in wrap-up until `deadline`."""

    contact_id: str
    agent_id: str
    deadline: float
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapUpFinished(Event):
    """The agent closed its wrap-up (with a code), or its time ran out.

    `leg` > 0: the wrap-up of the agent's part of a contact that went on after
    a transfer (the `seq` of that `ContactTransferred`); the contact goes on."""

    contact_id: str
    agent_id: str
    code: str = ""
    resolved: bool | None = None
    timed_out: bool = False
    leg: int = 0
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactTransferred(Event):
    """A connected contact was sent to another queue (back in line) or agent.

    `deadline`: the target agent's offer time-out (a transfer to an agent).
    `wrap_deadline` > 0: the transferring agent wraps up its part until then,
    keeping the contact's room (its queue's wrap-up time); 0: it is free at once."""

    contact_id: str
    from_agent: str
    to_queue: str = ""
    to_agent: str = ""
    deadline: float = 0.0
    wrap_deadline: float = 0.0
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactMoved(Event):
    """A waiting contact overflowed to another queue, keeping its place in time."""

    contact_id: str
    queue_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MaxWaitPassed(Event):
    """The queue's maximum wait passed and its action could not apply (`keep`,
    a callback already promised, no queue taking it to overflow to): the
    contact keeps its place and waits on; its line's maximum wait is spent."""

    contact_id: str
    action: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactPriorityChanged(Event):
    contact_id: str
    priority: int
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SelfServiceEnded(Event):
    """A contact was handled with no agent and never queued; the KPI book
    counts it (volume, self-service, reachability)."""

    contact_id: str
    customer: str
    channel: Channel
    resolved: bool
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRaised(Event):
    """An alert became active (decided by the live evaluator, logged by the
    single writer: a restart finds it active without evaluating again)."""

    alert: AlertFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertCleared(Event):
    """An active alert ended (recovered, or its rule changed)."""

    alert: AlertFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleDecided(Event):
    """A migration throttle's share changed (cut, raised, or a new target),
    decided by the live controller and logged by the single writer: a restart
    or a replay finds each throttle's share here without deciding again."""

    decision: ThrottleFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactEnded(Event):
    """A waiting or offered contact left: abandoned, cancelled, sent to callback,
    voicemail or a closing message."""

    contact_id: str
    reason: EndReason
    by: str = ""


# --- flows (decision 0026) ---------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowPublished(Event):
    """Flow `name`'s pointer moved to `version`; `flow` is the whole document as
    data (`core.flows.document.flow_to_data`), so a replay needs no file."""

    name: str
    version: str
    flow: dict[str, Any]
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowRolledBack(Event):
    """Flow `name`'s pointer moved back to `version` (published before)."""

    name: str
    version: str
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowSessionStarted(Event):
    """A caller entered flow `session["flow"]` on `session["version"]`; `session` is
    `Session.to_dict()` after the first walk, `actions` what the channel renders."""

    session_id: str
    channel: str
    session: dict[str, Any]
    actions: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowSessionStepped(Event):
    """A caller's input moved their session; `session` is the place after it."""

    session_id: str
    session: dict[str, Any]
    actions: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowSessionEnded(Event):
    """A caller's session ended with `outcome` (enqueued, hangup, self_service...)."""

    session_id: str
    outcome: str


def event_types() -> dict[str, type[Event]]:
    """Every event class below `Event`, by its stored kind (the class name).

    Derived from the classes themselves, so a new event cannot be forgotten
    by the decoder. Takes nothing; returns a fresh dict; raises `ValueError`
    when two event classes share a name (their stored kind would clash).
    `dataclass(slots=True)` leaves the class it replaced behind as a subclass
    until it is collected: of two same-named classes, the one with
    `__slots__` of its own is the live one.
    """
    found: dict[str, type[Event]] = {}
    pending: list[type[Event]] = list(Event.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        other = found.setdefault(cls.__name__, cls)
        if other is cls:
            continue
        mine, theirs = "__slots__" in vars(cls), "__slots__" in vars(other)
        if mine == theirs:
            raise ValueError(f"two event classes named {cls.__name__!r}")
        if mine:
            found[cls.__name__] = cls
    return found
