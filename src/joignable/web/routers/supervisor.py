"""Supervisor actions: move an agent (channels, queues, site, team, skills), put a
queue or a channel on standby, change a contact's priority, log an agent out.

Why separate from configuration: these are live moves during the day, made
in one click from the control tower; each is one command recorded with the
supervisor's name, and a restart keeps them (the configurator re-applies only
what changed in the configuration itself). A scoped supervisor acts only
inside their scope: a channel standby affects every queue, so it is for
admins and unscoped supervisors.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field, model_validator

from joignable.core import commands as cmd
from joignable.core.model import Capacity, Channel
from joignable.service.config import Id
from joignable.web.auth import User, require_role
from joignable.web.deps import agent_for, agent_view, contact_for, forbidden, queue_for, run
from joignable.web.state import Services, get_services

router = APIRouter(prefix="/api/supervisor", tags=["supervisor actions"])

supervisors = require_role("admin", "supervisor")


class MoveIn(BaseModel):
    """What to change; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    capacity: dict[Channel, Annotated[int, Field(ge=0, le=60)]] | None = None
    queues: list[Id] | None = None
    site: Id | None = None
    team: Id | None = None
    #: levels to set (1..10), or 0 to take a skill away; skills not named are kept
    skills: dict[Id, Annotated[int, Field(ge=0, le=10)]] | None = None

    @model_validator(mode="after")
    def _something(self) -> MoveIn:
        fields = (self.capacity, self.queues, self.site, self.team, self.skills)
        if all(f is None for f in fields):
            raise ValueError("give at least one of capacity, queues, site, team, skills")
        return self


class StandbyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    standby: bool


class PriorityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    priority: int = Field(ge=-1000, le=1000)


@router.post("/agents/{agent_id}/move")
async def move_agent(
    agent_id: str,
    body: MoveIn,
    user: User = Depends(supervisors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Move an agent to other channels (capacity), queues, site or team, or change
    its skills (`{"billing": 7, "support": 0}`: level 7, support taken away), live."""
    agent = agent_for(services, user, agent_id)
    read = services.read
    config = services.configurator.current
    spec = agent.spec
    if body.capacity is not None:
        spec = replace(spec, capacity=Capacity.configured(dict(body.capacity)))
    if body.queues is not None:
        unknown = [q for q in body.queues if not read.has_queue(q)]
        if unknown:
            raise HTTPException(404, f"no queue {unknown[0]!r}")
        for q in body.queues:
            queue_for(services, user, q)
        spec = replace(spec, queues=frozenset(body.queues))
    if body.site is not None:
        if body.site not in {s.id for s in config.sites}:
            raise HTTPException(404, f"no site {body.site!r}")
        spec = replace(spec, site=body.site)
    if body.team is not None:
        if body.team not in {t.id for t in config.teams}:
            raise HTTPException(404, f"no team {body.team!r}")
        spec = replace(spec, team=body.team)
    if body.skills is not None:
        unknown = [name for name in body.skills if name not in config.skills]
        if unknown:
            raise HTTPException(404, f"no skill {unknown[0]!r} in the configuration")
        skills = dict(spec.skills)
        for name, level in body.skills.items():
            if level:
                skills[name] = level
            else:
                skills.pop(name, None)
        spec = replace(spec, skills=tuple(sorted(skills.items())))
    if not user.may_see_agent(spec):
        raise forbidden(f"moving agent {agent_id} there")
    result = await run(services, cmd.ConfigureAgent(agent=spec, by=user.name))
    card = read.agent(agent_id)
    if card is not None:  # the batch is durable and folded before the caller resumes
        result["agent"] = agent_view(card)
    return result


@router.post("/agents/{agent_id}/logout")
async def log_agent_out(
    agent_id: str, user: User = Depends(supervisors), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """Log an agent out. 409 while they hold contacts."""
    agent_for(services, user, agent_id)
    return await run(services, cmd.LogOut(agent_id=agent_id, by=user.name))


@router.post("/queues/{queue_id}/standby")
async def queue_standby(
    queue_id: str,
    body: StandbyIn,
    user: User = Depends(supervisors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Put a queue on standby (its standby action applies to waiting contacts) or back."""
    queue_for(services, user, queue_id)
    command = cmd.SetQueueStandby(queue_id=queue_id, standby=body.standby, by=user.name)
    return await run(services, command)


@router.post("/channels/{channel}/standby")
async def channel_standby(
    channel: Channel,
    body: StandbyIn,
    user: User = Depends(supervisors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Put a whole channel on standby in every queue, or back (unscoped users only)."""
    if user.scoped:
        raise forbidden("a channel standby (it affects every queue)")
    command = cmd.SetChannelStandby(channel=channel, standby=body.standby, by=user.name)
    return await run(services, command)


@router.post("/contacts/{contact_id}/priority")
async def change_priority(
    contact_id: str,
    body: PriorityIn,
    user: User = Depends(supervisors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Change a contact's priority; a waiting contact moves in line at once."""
    contact_for(services, user, contact_id)
    command = cmd.ChangePriority(contact_id=contact_id, priority=body.priority, by=user.name)
    return await run(services, command)
