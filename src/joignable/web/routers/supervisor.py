"""Supervisor actions: move an agent (channels, queues, site, team, skills), put a
queue or a channel on standby, change a contact's priority, log an agent out.

Why separate from configuration: these are live moves during the day, made
in one click from the control tower; each is one command recorded with the
supervisor's name, and a restart keeps them (the configurator re-applies only
what changed in the configuration itself). A scoped supervisor acts only
inside their scope: a channel standby affects every queue, so it is for
admins and unscoped supervisors.

The handlers only translate: each builds the input of a `service.supervision`
use case (which checks what the move names exists and submits the command);
the scope checks stay here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, model_validator

from joignable.core.model import AgentSpec, Channel
from joignable.service import supervision as s
from joignable.service.config import Id
from joignable.web.auth import User, require_role
from joignable.web.deps import (
    acted,
    agent_for,
    agent_view,
    contact_for,
    events_out,
    forbidden,
    queue_for,
    refusals_mapped,
    supervision,
)
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
    agent_for(services, user, agent_id)
    for q in body.queues or ():
        queue_for(services, user, q)
    move = s.MoveAgent(
        agent_id,
        capacity=tuple(body.capacity.items()) if body.capacity is not None else None,
        queues=frozenset(body.queues) if body.queues is not None else None,
        site=body.site,
        team=body.team,
        skills=tuple(body.skills.items()) if body.skills is not None else None,
        by=user.name,
    )

    def in_scope(spec: AgentSpec) -> None:
        if not user.may_see_agent(spec):
            raise forbidden(f"moving agent {agent_id} there")

    moved = await refusals_mapped(supervision(services).move_agent(move, in_scope))
    result = events_out(moved.events)
    if moved.agent is not None:
        result["agent"] = agent_view(moved.agent)
    return result


@router.post("/agents/{agent_id}/logout")
async def log_agent_out(
    agent_id: str, user: User = Depends(supervisors), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """Log an agent out. 409 while they hold contacts."""
    agent_for(services, user, agent_id)
    return await acted(supervision(services).log_out(s.ForceLogOut(agent_id, by=user.name)))


@router.post("/queues/{queue_id}/standby")
async def queue_standby(
    queue_id: str,
    body: StandbyIn,
    user: User = Depends(supervisors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Put a queue on standby (its standby action applies to waiting contacts) or back."""
    queue_for(services, user, queue_id)
    action = s.QueueStandby(queue_id, body.standby, by=user.name)
    return await acted(supervision(services).queue_standby(action))


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
    action = s.ChannelStandby(channel, body.standby, by=user.name)
    return await acted(supervision(services).channel_standby(action))


@router.post("/contacts/{contact_id}/priority")
async def change_priority(
    contact_id: str,
    body: PriorityIn,
    user: User = Depends(supervisors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Change a contact's priority; a waiting contact moves in line at once.
    The answer says where it now stands: `position` (1 is served first) of
    `waiting` in `queue` (no position once it is no longer waiting)."""
    record = contact_for(services, user, contact_id)
    action = s.ChangePriority(contact_id, body.priority, by=user.name)
    out = await acted(supervision(services).change_priority(action))
    line = services.read.waiting_line(record.queue)
    entries = line.entries if line is not None else ()
    found = [e.position for e in entries if e.id == contact_id]
    return {
        **out,
        "queue": record.queue,
        "position": found[0] if found else None,
        "waiting": len(entries),
    }
