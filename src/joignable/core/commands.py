"""Commands: what someone asks the engine to do, in the imperative.

A command may be refused (`CommandRejected`, `InvalidTransition`); an accepted
command returns the events it caused. `by` names who asked, for the audit
trail ("" for the system itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import AgentSpec, AlertFacts, Channel, ContactSpec, QueueSpec, ThrottleFacts


class CommandRejected(Exception):
    """The command does not fit the current state (unknown id, not allowed)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigureQueue(Command):
    queue: QueueSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigureAgent(Command):
    agent: AgentSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigureEngine(Command):
    """Center-wide routing rules; see `EngineSettings`. Does nothing when they
    are already in force."""

    max_missed_offers: int
    missed_reason: str = "missed"


@dataclass(frozen=True, slots=True, kw_only=True)
class EndSelfService(Command):
    """A contact was handled with no agent (visual IVR, FAQ, SMS link, bot):
    `resolved` says whether the customer's need was met there. `customer`
    defaults to the contact's id."""

    contact_id: str
    channel: Channel
    resolved: bool
    customer: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RaiseAlert(Command):
    """Record an alert the live evaluator raised; nothing if already active."""

    alert: AlertFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class ClearAlert(Command):
    """Record an alert the live evaluator cleared; nothing if not active."""

    alert: AlertFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordThrottle(Command):
    """Record a migration-throttle decision; nothing if it is already the
    throttle's latest. Refused when its kind or share does not fit."""

    decision: ThrottleFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveQueue(Command):
    """Refused while a contact is in the queue or another queue overflows to it."""

    queue_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveAgent(Command):
    """Refused unless the agent is logged out and holds no contact."""

    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetQueueStandby(Command):
    queue_id: str
    standby: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SetChannelStandby(Command):
    channel: Channel
    standby: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class LogIn(Command):
    agent_id: str
    ready: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class LogOut(Command):
    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetReady(Command):
    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetNotReady(Command):
    agent_id: str
    reason: str = "break"


@dataclass(frozen=True, slots=True, kw_only=True)
class AddContact(Command):
    contact: ContactSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class Accept(Command):
    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Reject(Command):
    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Complete(Command):
    """The conversation with the customer ended; wrap-up starts."""

    contact_id: str
    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FinishWrapUp(Command):
    contact_id: str
    agent_id: str
    code: str = ""
    resolved: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer(Command):
    contact_id: str
    agent_id: str
    to_queue: str = ""
    to_agent: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangePriority(Command):
    contact_id: str
    priority: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Abandon(Command):
    """The customer left (hung up, closed the chat) before being answered."""

    contact_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancel(Command):
    """The contact is withdrawn by the system or a supervisor."""

    contact_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick(Command):
    """Nothing but the passing of time: due time-outs and step changes fire."""


# --- flows (decision 0026) ---------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishFlow(Command):
    """Point flow `flow.id` at `flow` (a `core.flows.model.Flow`, validated again by
    the core). Does nothing when that version is already the live one."""

    flow: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class RollbackFlow(Command):
    """Point flow `name` back at the version it named before its last move."""

    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StartFlowSession(Command):
    """Walk a new session of flow `name`'s live version with `context` (a
    `core.flows.engine.Context` the shell built: time, crisis flag, queue state)."""

    session_id: str
    name: str
    channel: str
    context: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class StepFlowSession(Command):
    """Give session `session_id` one caller input (`core.flows.actions.Input`). A step
    on an ended session does nothing (a late or repeated webhook is harmless)."""

    session_id: str
    input: Any
    context: Any
