"""Supervision: the live moves a supervisor makes during the day.

Why a use case of its own: the control tower's buttons, the REST API and a
future automation (a crisis playbook putting a channel on standby) must
move an agent, put a queue or a channel on standby, change a contact's
priority or log an agent out the same way: the things named must exist, an
agent's new definition is built from the durable one, and each move is one
engine command recorded with who made it. A restart keeps the moves (the
configurator re-applies only what changed in the configuration itself).

What stays with the caller: who may move what (a scoped supervisor only
inside their scope; a channel standby affects every queue). `move_agent`
takes a `guard` that sees the agent's new definition before it is
submitted, for the caller's scope rule on where the agent is moved to.

Refusals: `UnknownAgent`, `UnknownContact`, `UnknownTarget` (queue, site,
team, skill) from `service.refusals`; the engine's own refusals pass through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.model import AgentSpec, Capacity, Channel
from joignable.service.configurator import Configurator
from joignable.service.contacts import ContactIndex
from joignable.service.readside import AgentCard, ReadSide
from joignable.service.refusals import Acted, UnknownAgent, UnknownContact, UnknownTarget
from joignable.service.runner import CenterRunner


@dataclass(frozen=True, slots=True)
class MoveAgent:
    """What to change of agent `agent_id`; None leaves it as it is. `capacity`
    is the new channel limits; `skills` sets levels (1..10) or, at 0, takes a
    skill away (skills not named are kept). At least one change is given
    (`ValueError` otherwise)."""

    agent_id: str
    capacity: tuple[tuple[Channel, int], ...] | None = None
    queues: frozenset[str] | None = None
    site: str | None = None
    team: str | None = None
    skills: tuple[tuple[str, int], ...] | None = None
    by: str = ""

    def __post_init__(self) -> None:
        fields = (self.capacity, self.queues, self.site, self.team, self.skills)
        if all(f is None for f in fields):
            raise ValueError("give at least one of capacity, queues, site, team, skills")


@dataclass(frozen=True, slots=True)
class ForceLogOut:
    """A supervisor logs agent `agent_id` out (refused while they hold contacts)."""

    agent_id: str
    by: str = ""


@dataclass(frozen=True, slots=True)
class QueueStandby:
    """Put queue `queue_id` on standby (its standby action applies to waiting
    contacts) or back."""

    queue_id: str
    standby: bool
    by: str = ""


@dataclass(frozen=True, slots=True)
class ChannelStandby:
    """Put a whole channel on standby in every queue, or back."""

    channel: Channel
    standby: bool
    by: str = ""


@dataclass(frozen=True, slots=True)
class ChangePriority:
    """A new priority for contact `contact_id`; a waiting one moves in line at once."""

    contact_id: str
    priority: int
    by: str = ""


@dataclass(frozen=True, slots=True)
class Moved:
    """An agent moved: the events, and the agent's card after them (None only
    if the agent was removed meanwhile)."""

    events: tuple[ev.Event, ...]
    agent: AgentCard | None


Guard = Callable[[AgentSpec], None]


def _no_guard(spec: AgentSpec) -> None:
    return None


class Supervision:
    """Supervisor actions through `runner`, checked against the durable state
    (`read`, `contacts`) and the configuration in force (`configurator`, for
    the sites, teams and skills an agent may be moved to).

    Every method returns once the events are durable and raises the refusals
    of `service.refusals` (nothing submitted), the engine's
    `CommandRejected` / `InvalidTransition` and the runner's
    `RunnerUnavailable` / `StoreError`.
    """

    def __init__(
        self,
        runner: CenterRunner,
        read: ReadSide,
        contacts: ContactIndex,
        configurator: Configurator,
    ) -> None:
        self.runner = runner
        self.read = read
        self.contacts = contacts
        self.configurator = configurator

    def moved_spec(self, move: MoveAgent) -> AgentSpec:
        """The agent's definition after `move` (nothing submitted). Raises
        `UnknownAgent`, `UnknownTarget` (a queue, site, team or skill that does
        not exist)."""
        card = self.read.agent(move.agent_id)
        if card is None:
            raise UnknownAgent(move.agent_id)
        config = self.configurator.current
        spec = card.spec
        if move.capacity is not None:
            spec = replace(spec, capacity=Capacity.configured(dict(move.capacity)))
        if move.queues is not None:
            for queue_id in sorted(move.queues):
                if not self.read.has_queue(queue_id):
                    raise UnknownTarget("queue", queue_id)
            spec = replace(spec, queues=frozenset(move.queues))
        if move.site is not None:
            if move.site not in {s.id for s in config.sites}:
                raise UnknownTarget("site", move.site)
            spec = replace(spec, site=move.site)
        if move.team is not None:
            if move.team not in {t.id for t in config.teams}:
                raise UnknownTarget("team", move.team)
            spec = replace(spec, team=move.team)
        if move.skills is not None:
            for name, _ in move.skills:
                if name not in config.skills:
                    raise UnknownTarget("skill", name, " in the configuration")
            skills = dict(spec.skills)
            for name, level in move.skills:
                if level:
                    skills[name] = level
                else:
                    skills.pop(name, None)
            spec = replace(spec, skills=tuple(sorted(skills.items())))
        return spec

    async def move_agent(self, move: MoveAgent, guard: Guard = _no_guard) -> Moved:
        """Move the agent live: `guard(new_spec)` is called before anything is
        submitted (it raises to refuse). Raises as `moved_spec`."""
        spec = self.moved_spec(move)
        guard(spec)
        acted = await self._submit(cmd.ConfigureAgent(agent=spec, by=move.by))
        # the batch is durable and folded before the caller resumes
        return Moved(acted.events, self.read.agent(move.agent_id))

    async def log_out(self, action: ForceLogOut) -> Acted:
        if not self.read.has_agent(action.agent_id):
            raise UnknownAgent(action.agent_id)
        return await self._submit(cmd.LogOut(agent_id=action.agent_id, by=action.by))

    async def queue_standby(self, action: QueueStandby) -> Acted:
        if not self.read.has_queue(action.queue_id):
            raise UnknownTarget("queue", action.queue_id)
        return await self._submit(
            cmd.SetQueueStandby(queue_id=action.queue_id, standby=action.standby, by=action.by)
        )

    async def channel_standby(self, action: ChannelStandby) -> Acted:
        return await self._submit(
            cmd.SetChannelStandby(channel=action.channel, standby=action.standby, by=action.by)
        )

    async def change_priority(self, action: ChangePriority) -> Acted:
        if self.contacts.get(action.contact_id) is None:
            raise UnknownContact(action.contact_id)
        return await self._submit(
            cmd.ChangePriority(contact_id=action.contact_id, priority=action.priority, by=action.by)
        )

    async def _submit(self, command: cmd.Command) -> Acted:
        return Acted(tuple(await self.runner.submit(command)))
