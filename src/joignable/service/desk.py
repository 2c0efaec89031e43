"""The agent desk: what an agent does with their presence and their contacts.

Why a use case of its own: the desk page, the REST API and (coming with the
channels) a SIP phone answering a call or a chat console must act for an
agent the same way — the agent and the contact must exist, the contact must
be the agent's, the transfer target must exist — and every action is one
engine command recorded with who asked (`by`). Before this module those
rules lived in the HTTP handlers; now every caller builds one of the frozen
inputs below and calls the matching `Desk` method, which checks, submits
through the single writer and returns once the events are durable.

What stays with the caller: who may act for whom (an agent only as
themselves, a supervisor inside their scope) — that depends on the caller's
notion of a user. What stays with the engine: whether the contact is in the
right stage (`InvalidTransition`) and the rules that need its live state
(room for a transfer, a queue taking the channel: `CommandRejected`).

Refusals: `UnknownAgent`, `UnknownContact`, `UnknownTarget` (transfer to a
queue that does not exist), `NotYourContact` (`service.refusals`).
"""

from __future__ import annotations

from dataclasses import dataclass

from joignable.core import commands as cmd
from joignable.service.contacts import ContactIndex
from joignable.service.readside import AgentCard, ReadSide
from joignable.service.refusals import (
    Acted,
    NotYourContact,
    UnknownAgent,
    UnknownContact,
    UnknownTarget,
)
from joignable.service.runner import CenterRunner


@dataclass(frozen=True, slots=True)
class LogIn:
    """Agent `agent_id` logs in, not ready unless `ready`."""

    agent_id: str
    ready: bool = False
    by: str = ""


@dataclass(frozen=True, slots=True)
class LogOut:
    """Agent `agent_id` logs out (the engine refuses while they hold contacts)."""

    agent_id: str
    by: str = ""


@dataclass(frozen=True, slots=True)
class GoReady:
    agent_id: str
    by: str = ""


@dataclass(frozen=True, slots=True)
class GoNotReady:
    """Not ready, with a reason code (break, training, …)."""

    agent_id: str
    reason: str = "break"
    by: str = ""


@dataclass(frozen=True, slots=True)
class Accept:
    """The agent takes the contact offered to them."""

    agent_id: str
    contact_id: str
    by: str = ""


@dataclass(frozen=True, slots=True)
class Decline:
    """The agent declines the offer: the contact goes back to its place in line."""

    agent_id: str
    contact_id: str
    by: str = ""


@dataclass(frozen=True, slots=True)
class Complete:
    """The conversation ended; wrap-up starts."""

    agent_id: str
    contact_id: str
    by: str = ""


@dataclass(frozen=True, slots=True)
class FinishWrapUp:
    """Close the wrap-up with a code and whether the request was resolved — of
    the agent's contact, or of their part (leg) of a contact they transferred."""

    agent_id: str
    contact_id: str
    code: str = ""
    resolved: bool | None = None
    by: str = ""


@dataclass(frozen=True, slots=True)
class Transfer:
    """Send a connected contact to queue `to_queue` (back in line) or to agent
    `to_agent`; exactly one of them is given (`ValueError` otherwise)."""

    agent_id: str
    contact_id: str
    to_queue: str = ""
    to_agent: str = ""
    by: str = ""

    def __post_init__(self) -> None:
        if bool(self.to_queue) == bool(self.to_agent):
            raise ValueError("give either to_queue or to_agent")


class Desk:
    """Agent actions through `runner`, checked against the durable state
    (`read` for agents and queues, `contacts` for contacts).

    Every method returns `Acted` once the events are durable, and raises the
    refusals of `service.refusals` (nothing submitted), the engine's
    `CommandRejected` / `InvalidTransition` and the runner's
    `RunnerUnavailable` / `StoreError`.
    """

    def __init__(self, runner: CenterRunner, read: ReadSide, contacts: ContactIndex) -> None:
        self.runner = runner
        self.read = read
        self.contacts = contacts

    async def log_in(self, action: LogIn) -> Acted:
        self._agent(action.agent_id)
        return await self._submit(
            cmd.LogIn(agent_id=action.agent_id, ready=action.ready, by=action.by)
        )

    async def log_out(self, action: LogOut) -> Acted:
        self._agent(action.agent_id)
        return await self._submit(cmd.LogOut(agent_id=action.agent_id, by=action.by))

    async def go_ready(self, action: GoReady) -> Acted:
        self._agent(action.agent_id)
        return await self._submit(cmd.SetReady(agent_id=action.agent_id, by=action.by))

    async def go_not_ready(self, action: GoNotReady) -> Acted:
        self._agent(action.agent_id)
        return await self._submit(
            cmd.SetNotReady(agent_id=action.agent_id, reason=action.reason, by=action.by)
        )

    async def accept(self, action: Accept) -> Acted:
        self._agent(action.agent_id)
        self._theirs(action.contact_id, action.agent_id)
        return await self._submit(
            cmd.Accept(contact_id=action.contact_id, agent_id=action.agent_id, by=action.by)
        )

    async def decline(self, action: Decline) -> Acted:
        self._agent(action.agent_id)
        self._theirs(action.contact_id, action.agent_id)
        return await self._submit(
            cmd.Reject(contact_id=action.contact_id, agent_id=action.agent_id, by=action.by)
        )

    async def complete(self, action: Complete) -> Acted:
        self._agent(action.agent_id)
        self._theirs(action.contact_id, action.agent_id)
        return await self._submit(
            cmd.Complete(contact_id=action.contact_id, agent_id=action.agent_id, by=action.by)
        )

    async def finish_wrap_up(self, action: FinishWrapUp) -> Acted:
        """A contact the agent transferred is no longer theirs (it may even have
        ended): closing their leg needs only the leg."""
        agent = self._agent(action.agent_id)
        if action.contact_id not in agent.wrapping_transferred:
            self._theirs(action.contact_id, action.agent_id)
        return await self._submit(
            cmd.FinishWrapUp(
                contact_id=action.contact_id,
                agent_id=action.agent_id,
                code=action.code,
                resolved=action.resolved,
                by=action.by,
            )
        )

    async def transfer(self, action: Transfer) -> Acted:
        self._agent(action.agent_id)
        self._theirs(action.contact_id, action.agent_id)
        if action.to_queue and not self.read.has_queue(action.to_queue):
            raise UnknownTarget("queue", action.to_queue)
        if action.to_agent and not self.read.has_agent(action.to_agent):
            raise UnknownAgent(action.to_agent)
        return await self._submit(
            cmd.Transfer(
                contact_id=action.contact_id,
                agent_id=action.agent_id,
                to_queue=action.to_queue,
                to_agent=action.to_agent,
                by=action.by,
            )
        )

    # ------------------------------------------------------------ checks

    def _agent(self, agent_id: str) -> AgentCard:
        card = self.read.agent(agent_id)
        if card is None:
            raise UnknownAgent(agent_id)
        return card

    def _theirs(self, contact_id: str, agent_id: str) -> None:
        """The contact exists and is with the agent (offered, connected or in
        wrap-up: which of them is the engine's to check)."""
        rec = self.contacts.get(contact_id)
        if rec is None:
            raise UnknownContact(contact_id)
        if rec.agent != agent_id:
            raise NotYourContact(contact_id, agent_id, ended=rec.state == "ended")

    async def _submit(self, command: cmd.Command) -> Acted:
        return Acted(tuple(await self.runner.submit(command)))
