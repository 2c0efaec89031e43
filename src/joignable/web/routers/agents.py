"""Agent actions: log in and out, ready / not ready, accept or reject an offer,
complete, wrap up, transfer.

Why each is its own endpoint: each is one command of the engine, recorded
with who asked (`by`). An agent may act only as themselves; a supervisor may
act for an agent of their scope, an admin for anyone (the audit trail then
names the supervisor).

The handlers only translate: each builds the input of a `service.desk` use
case (which checks the agent, the contact and the transfer target and
submits the command); the scope check stays here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from joignable.schema.text import SafeName
from joignable.service import desk as d
from joignable.service.config import Id
from joignable.web.auth import User, require_role
from joignable.web.deps import acted, agent_for, desk
from joignable.web.state import Services, get_services

router = APIRouter(prefix="/api/agents/{agent_id}", tags=["agent actions"])

actors = require_role("admin", "supervisor", "agent")
Code = Annotated[SafeName, StringConstraints(max_length=64)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_Body):
    ready: bool = False


class NotReadyIn(_Body):
    reason: Annotated[SafeName, StringConstraints(min_length=1, max_length=64)] = "break"


class WrapUpIn(_Body):
    code: Code = ""
    resolved: bool | None = None


class TransferIn(_Body):
    to_queue: Id | None = None
    to_agent: Id | None = None

    @model_validator(mode="after")
    def _one_target(self) -> TransferIn:
        if (self.to_queue is None) == (self.to_agent is None):
            raise ValueError("give either to_queue or to_agent")
        return self


@router.post("/login")
async def log_in(
    agent_id: str,
    body: LoginIn | None = None,
    user: User = Depends(actors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Log the agent in (not ready unless `ready`). 409 if already logged in."""
    agent_for(services, user, agent_id)
    ready = body.ready if body is not None else False
    return await acted(desk(services).log_in(d.LogIn(agent_id, ready=ready, by=user.name)))


@router.post("/logout")
async def log_out(
    agent_id: str, user: User = Depends(actors), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """Log the agent out. 409 while they hold contacts."""
    agent_for(services, user, agent_id)
    return await acted(desk(services).log_out(d.LogOut(agent_id, by=user.name)))


@router.post("/ready")
async def ready(
    agent_id: str, user: User = Depends(actors), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """Ready for offers."""
    agent_for(services, user, agent_id)
    return await acted(desk(services).go_ready(d.GoReady(agent_id, by=user.name)))


@router.post("/not-ready")
async def not_ready(
    agent_id: str,
    body: NotReadyIn | None = None,
    user: User = Depends(actors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Not ready, with a reason code (break, training, ...)."""
    agent_for(services, user, agent_id)
    reason = body.reason if body is not None else "break"
    action = d.GoNotReady(agent_id, reason=reason, by=user.name)
    return await acted(desk(services).go_not_ready(action))


@router.post("/offers/{contact_id}/accept")
async def accept(
    agent_id: str,
    contact_id: str,
    user: User = Depends(actors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Accept the offered contact. 409 if it is not offered to this agent."""
    agent_for(services, user, agent_id)
    return await acted(desk(services).accept(d.Accept(agent_id, contact_id, by=user.name)))


@router.post("/offers/{contact_id}/reject")
async def reject(
    agent_id: str,
    contact_id: str,
    user: User = Depends(actors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Decline the offer: the contact goes back to its place in line."""
    agent_for(services, user, agent_id)
    return await acted(desk(services).decline(d.Decline(agent_id, contact_id, by=user.name)))


@router.post("/contacts/{contact_id}/complete")
async def complete(
    agent_id: str,
    contact_id: str,
    user: User = Depends(actors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """The conversation ended; wrap-up starts."""
    agent_for(services, user, agent_id)
    return await acted(desk(services).complete(d.Complete(agent_id, contact_id, by=user.name)))


@router.post("/contacts/{contact_id}/wrap-up")
async def wrap_up(
    agent_id: str,
    contact_id: str,
    body: WrapUpIn | None = None,
    user: User = Depends(actors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Finish wrap-up with a code and whether the request was resolved — or the
    wrap-up of the agent's part of a contact it transferred (`resolved` is then
    the next agent's to say; it is recorded as given)."""
    agent_for(services, user, agent_id)
    body = body or WrapUpIn()
    action = d.FinishWrapUp(
        agent_id, contact_id, code=body.code, resolved=body.resolved, by=user.name
    )
    return await acted(desk(services).finish_wrap_up(action))


@router.post("/contacts/{contact_id}/transfer")
async def transfer(
    agent_id: str,
    contact_id: str,
    body: TransferIn,
    user: User = Depends(actors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Send a connected contact to another queue (back in line) or to an agent."""
    agent_for(services, user, agent_id)
    action = d.Transfer(
        agent_id,
        contact_id,
        to_queue=body.to_queue or "",
        to_agent=body.to_agent or "",
        by=user.name,
    )
    return await acted(desk(services).transfer(action))
