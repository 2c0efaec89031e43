"""The center configuration through the API: the whole document, queues, agents.

Why: supervisors and admins change the center live — a PUT validates the new
version like the YAML file (422 naming the field), then the configurator sends
only the Configure commands it needs, each an event recorded with who did it,
and announces it to its listeners (the composition root's: the control
tower's alert rules, throttles and time zone follow, `bootstrap.Container`). A new version that drops queues or agents is refused (409, listing
them) unless `?remove=true`: a configuration never wipes a center by accident.
Scoped supervisors read only their part; only admins write.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from joignable.service.config import Agent, CenterConfig, Queue, validate
from joignable.service.configurator import Applied, RemovalNotAllowed
from joignable.web.auth import User, require_role
from joignable.web.deps import agent_for, agent_view, queue_for, queue_view
from joignable.web.state import Services, get_services

router = APIRouter(tags=["configuration"])

readers = require_role("admin", "supervisor")
admins = require_role("admin")


async def _apply(
    request: Request, services: Services, config: CenterConfig, by: str, remove: bool = False
) -> dict[str, Any]:
    """Apply (the configurator announces it); 409 listing the queues and agents that would be
    removed (nothing changed) unless `remove`."""
    try:
        result: Applied = await services.configurator.apply(config, by=by, allow_removal=remove)
    except RemovalNotAllowed as exc:
        raise HTTPException(
            409,
            {
                "message": f"{exc}: nothing was changed; repeat with ?remove=true",
                "would_remove": {"queues": list(exc.queues), "agents": list(exc.agents)},
            },
        ) from None
    return {
        "commands": result.commands,
        "events": result.events,
        "kept": list(result.kept),
        "removed": list(result.removed),
    }


def _visible(config: CenterConfig, user: User, services: Services) -> dict[str, Any]:
    document = config.model_dump(mode="json")
    if user.role == "admin" or not user.scoped:
        return document
    read = services.read
    document["queues"] = [q.model_dump(mode="json") for q in config.queues if user.may_see_queue(q)]
    document["agents"] = [
        a.model_dump(mode="json")
        for a in config.agents
        if (card := read.agent(a.id)) is not None and user.may_see_agent(card.spec)
    ]
    return document


@router.get("/api/config")
async def get_config(
    user: User = Depends(readers), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """The configuration applied last (a scoped supervisor sees their queues and agents)."""
    return _visible(services.configurator.current, user, services)


@router.put("/api/config")
async def put_config(
    request: Request,
    config: CenterConfig,
    remove: Annotated[
        bool, Query(description="Allow removing the queues and agents the new version drops.")
    ] = False,
    user: User = Depends(admins),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Replace the configuration and apply it live (queues, agents, alert rules,
    throttles). 422 names a field that does not fit; 409 lists the queues and
    agents it would remove unless `?remove=true` (the reply lists `removed`)."""
    checked = validate(config.model_dump(mode="json"))
    return await _apply(request, services, checked, user.name, remove)


@router.get("/api/queues")
async def list_queues(
    user: User = Depends(readers), services: Services = Depends(get_services)
) -> list[dict[str, Any]]:
    """Queues the user may see, with their live figures."""
    current = services.configurator.current
    return [
        queue_view(services, qid)
        for qid in services.read.queue_ids()
        if user.may_see_queue(current.queue(qid))
    ]


@router.get("/api/queues/{queue_id}")
async def get_queue(
    queue_id: str, user: User = Depends(readers), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """One queue. 404 if unknown, 403 outside the user's scope."""
    queue_for(services, user, queue_id)
    return queue_view(services, queue_id)


@router.put("/api/queues/{queue_id}")
async def put_queue(
    request: Request,
    queue_id: str,
    queue: Queue,
    user: User = Depends(admins),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Create or replace one queue of the configuration and apply it live."""
    if queue.id != queue_id:
        raise _id_mismatch(queue.id, queue_id)
    current = services.configurator.current
    queues = [q for q in current.queues if q.id != queue_id] + [queue]
    new = validate({**current.model_dump(mode="json"), "queues": _dump(queues)})
    return await _apply(request, services, new, user.name)


@router.get("/api/agents")
async def list_agents(
    user: User = Depends(readers), services: Services = Depends(get_services)
) -> list[dict[str, Any]]:
    """Agents the user may see, with their live state."""
    return [agent_view(card) for card in services.read.agents() if user.may_see_agent(card.spec)]


@router.get("/api/agents/{agent_id}")
async def get_agent(
    agent_id: str,
    user: User = Depends(require_role("admin", "supervisor", "agent")),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """One agent with its live state (an agent may read only themselves)."""
    return agent_view(agent_for(services, user, agent_id))


@router.put("/api/agents/{agent_id}")
async def put_agent(
    request: Request,
    agent_id: str,
    agent: Agent,
    user: User = Depends(admins),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Create or replace one agent of the configuration and apply it live."""
    if agent.id != agent_id:
        raise _id_mismatch(agent.id, agent_id)
    current = services.configurator.current
    agents = [a for a in current.agents if a.id != agent_id] + [agent]
    new = validate({**current.model_dump(mode="json"), "agents": _dump(agents)})
    return await _apply(request, services, new, user.name)


def _dump(items: list[Queue] | list[Agent]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in items]


def _id_mismatch(body_id: str, path_id: str) -> HTTPException:
    """The 422 for a body whose id is not the path's, shaped like FastAPI's own
    validation errors (the schema documents 422 as that list)."""
    msg = f"body id {body_id!r} does not match the path {path_id!r}"
    return HTTPException(422, [{"loc": ["body", "id"], "msg": msg, "type": "value_error"}])
