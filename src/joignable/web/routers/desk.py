"""The agent desk: an agent's state, current offers and contacts, live.

Why: an agent needs one page to go ready, see an offer ring, accept or reject
it, end the conversation and close the wrap-up with a code. The page is
server-rendered; `static/desk.js` listens to `/desk/ws` (the live hub, viewed
through this agent's eyes: only their own state and contacts) and sends the
agent actions to the REST API with the session's CSRF token. A connected
contact can be transferred to another queue or to a colleague ready for it;
the agent then wraps up its own part (a "leg", with a code) while the contact
goes on.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, WebSocket
from fastapi.responses import HTMLResponse

from joignable.core.model import Channel
from joignable.core.routing.engine import Engine
from joignable.web.auth import CSRF_COOKIE, User, require_role
from joignable.web.routers.tower import hub_of
from joignable.web.state import Services, get_services

router = APIRouter()
agent_page = require_role("agent", "admin", "supervisor", page=True)
agent_api = require_role("agent", "admin", "supervisor")

#: Colleagues listed as transfer targets on a card (the API takes any agent).
MAX_TRANSFER_AGENTS = 50

#: Wrap-up codes offered on the desk (free text is accepted by the API too).
WRAP_CODES = ("resolved", "follow-up", "information", "complaint", "sale", "other")


def desk_state(engine: Engine, agent_id: str, now: float) -> dict[str, Any]:
    """What the desk shows of one agent, from the engine's live state."""
    agent = engine.agents.get(agent_id)
    if agent is None:
        return {"type": "desk", "agent": None, "at": now, "seq": engine.seq}
    contacts = []
    for stage, ids in (
        ("offered", agent.offered),
        ("connected", agent.connected),
        ("wrap_up", agent.wrapping),
    ):
        for cid in sorted(ids):
            c = engine.contacts.get(cid)
            if c is None:
                continue
            card = {
                "id": cid,
                "stage": stage,
                "leg": 0,
                "channel": c.channel.value,
                "queue": c.queue,
                "customer": c.customer,
                "language": c.language,
                "priority": c.priority,
                "waited": round(now - c.entered, 1),
                "deadline": c.deadline,
                "remaining": round(max(0.0, c.deadline - now), 1) if c.deadline else None,
            }
            if stage == "connected":
                card["transfer"] = transfer_targets(engine, agent_id, c.channel, c.queue)
            contacts.append(card)
    for leg in agent.legs.values():  # its part of contacts it transferred
        contacts.append(
            {
                "id": leg.contact,
                "stage": "wrap_up",
                "leg": leg.seq,
                "channel": leg.channel.value,
                "queue": leg.queue,
                "customer": leg.customer,
                "deadline": leg.deadline,
                "remaining": round(max(0.0, leg.deadline - now), 1),
            }
        )
    spec = agent.spec
    return {
        "type": "desk",
        "at": now,
        "seq": engine.seq,
        "agent": {
            "id": agent.id,
            "name": spec.name,
            "site": spec.site,
            "presence": agent.presence.value,
            "state": agent.activity,
            "reason": agent.reason,
            "channels": [ch.value for ch, n in spec.capacity.limits if n > 0],
        },
        "contacts": contacts,
    }


def transfer_targets(
    engine: Engine, agent_id: str, channel: Channel, queue: str
) -> dict[str, list[str]]:
    """Where a connected contact may be transferred: the other queues taking its
    channel (not on standby), and the colleagues ready with room for it now."""
    queues = sorted(
        q
        for q, s in engine.queues.items()
        if q != queue and channel in s.spec.channels and not s.spec.standby
    )
    agents = sorted(
        a.id for a in engine.agents.values() if a.id != agent_id and channel in a.indexed
    )
    return {"queues": queues, "agents": agents[:MAX_TRANSFER_AGENTS]}


@router.get("/desk", include_in_schema=False)
async def desk_page(
    request: Request, agent: str = "", user: User = Depends(agent_page)
) -> HTMLResponse:
    """The agent desk. Agents see their own; a supervisor may open `?agent=ID`."""
    agent_id = user.agent_id if user.role == "agent" else (agent or user.agent_id)
    templates = request.app.state.templates
    context = {
        "user": user,
        "agent_id": agent_id,
        "csrf_token": request.cookies.get(CSRF_COOKIE, ""),
        "codes": WRAP_CODES,
    }
    return templates.TemplateResponse(request, "desk.html", context)  # type: ignore[no-any-return]


@router.websocket("/desk/ws")
async def desk_feed(
    websocket: WebSocket,
    user: User = Depends(agent_api),
    services: Services = Depends(get_services),
) -> None:
    """An agent's live state (session cookie or bearer token). Agents get their
    own; a supervisor names the agent with `?agent=ID`."""
    wanted = websocket.query_params.get("agent", "")
    agent_id = user.agent_id if user.role == "agent" else (wanted or user.agent_id)
    runner, clock = services.runner, services.clock

    def view(snapshot: dict[str, Any]) -> dict[str, Any]:
        return desk_state(runner.engine, agent_id, clock.now())

    await websocket.accept()
    await hub_of(websocket).serve(websocket, view)
