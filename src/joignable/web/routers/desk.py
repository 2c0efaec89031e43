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

from fastapi import APIRouter, Depends, HTTPException, Query, Request, WebSocket, WebSocketException
from fastapi.responses import RedirectResponse, Response
from starlette.status import WS_1008_POLICY_VIOLATION

from joignable.service.readside import ReadSide
from joignable.web.auth import CSRF_COOKIE, PageRefused, User, require_role
from joignable.web.deps import agent_for
from joignable.web.state import Services, get_services, services_of, templates

router = APIRouter(tags=["agent desk"])
agent_page = require_role("agent", "admin", "supervisor", page=True)
agent_api = require_role("agent", "admin", "supervisor")

#: Wrap-up codes offered on the desk (free text is accepted by the API too).
WRAP_CODES = ("resolved", "follow-up", "information", "complaint", "sale", "other")


def desk_state(read: ReadSide, agent_id: str, now: float) -> dict[str, Any]:
    """What the desk shows of one agent, from the read side (durable state)."""
    view = read.desk(agent_id)
    agent = view.agent
    if agent is None:
        return {"type": "desk", "agent": None, "at": now, "seq": view.seq}
    contacts = []
    for card in view.cards:
        out: dict[str, Any] = {
            "id": card.id,
            "stage": card.stage,
            "leg": card.leg,
            "channel": card.channel,
            "queue": card.queue,
            "customer": card.customer,
        }
        if card.leg == 0:
            assert card.entered is not None
            out["language"] = card.language
            out["priority"] = card.priority
            out["waited"] = round(now - card.entered, 1)
        out["deadline"] = card.deadline
        out["remaining"] = round(max(0.0, card.deadline - now), 1) if card.deadline else None
        if card.transfer is not None:
            out["transfer"] = {
                "queues": list(card.transfer.queues),
                "agents": list(card.transfer.agents),
            }
        contacts.append(out)
    spec = agent.spec
    return {
        "type": "desk",
        "at": now,
        "seq": view.seq,
        "agent": {
            "id": agent.id,
            "name": spec.name,
            "site": spec.site,
            "presence": agent.presence,
            "state": agent.activity,
            "reason": agent.reason,
            "channels": [ch.value for ch, n in spec.capacity.limits if n > 0],
        },
        "contacts": contacts,
    }


@router.get("/desk", include_in_schema=False)
async def desk_page(
    request: Request, agent: str = "", user: User = Depends(agent_page)
) -> Response:
    """The agent desk. Agents see their own; a supervisor opens `?agent=ID`
    (an agent of their scope) and without one goes to the tower; an unknown or
    out-of-scope agent gets a page saying so (404 / 403), not an empty desk."""
    agent_id = user.agent_id if user.role == "agent" else (agent or user.agent_id)
    if not agent_id:
        return RedirectResponse("/tower", status_code=303)
    try:
        agent_for(services_of(request), user, agent_id)
    except HTTPException as exc:
        raise PageRefused(
            user, f"{exc.detail[:1].upper()}{exc.detail[1:]}.", exc.status_code
        ) from None
    context = {
        "user": user,
        "agent_id": agent_id,
        "csrf_token": request.cookies.get(CSRF_COOKIE, ""),
        "codes": WRAP_CODES,
    }
    return templates().TemplateResponse(request, "desk.html", context)


@router.websocket("/desk/ws")
async def desk_feed(
    websocket: WebSocket,
    agent: str = Query("", max_length=200, description="the agent to watch (supervisors)"),
    user: User = Depends(agent_api),
    services: Services = Depends(get_services),
) -> None:
    """An agent's live state (session cookie or bearer token). Agents get their
    own; a supervisor names the agent with `?agent=ID`. The very scope rules of
    `GET /api/agents/{id}` apply: an unknown agent, another agent's feed asked
    by an agent, or one outside a supervisor's scope refuses the handshake
    (HTTP 403), before anything is sent."""
    agent_id = agent or user.agent_id
    try:
        agent_for(services, user, agent_id)
    except HTTPException as exc:
        raise WebSocketException(WS_1008_POLICY_VIOLATION, str(exc.detail)) from None
    read, clock = services.read, services.clock

    def view(snapshot: dict[str, Any]) -> dict[str, Any]:
        return desk_state(read, agent_id, clock.now())

    await websocket.accept()
    await services.live.serve(websocket, view)
