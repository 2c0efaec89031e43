"""Lookups and scope checks shared by the API routers.

Why: every route that names an agent, a queue or a contact must answer the
same way — 404 when the id is unknown, 403 when the user may not touch it —
and build its response from the same views; doing it once here keeps the
routers to what each endpoint does. The use cases an action calls (`desk`,
`supervision`, `departure`) are built here too, and `acted` maps their
refusals to statuses once for every router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

from fastapi import HTTPException

from joignable.core.codec import to_plain
from joignable.core.events import Event
from joignable.service.config import Queue
from joignable.service.contacts import ContactRecord
from joignable.service.departure import Departure
from joignable.service.desk import Desk
from joignable.service.readside import AgentCard
from joignable.service.refusals import Acted, NotYourContact, Unknown
from joignable.service.supervision import Supervision
from joignable.web.auth import User
from joignable.web.state import Services

T = TypeVar("T")


def forbidden(what: str) -> HTTPException:
    return HTTPException(403, f"{what} is outside your scope")


def agent_for(services: Services, user: User, agent_id: str) -> AgentCard:
    """The card of agent `agent_id` (durable state) if `user` may see it; 404
    unknown, 403 out of scope."""
    agent = services.read.agent(agent_id)
    if agent is None:
        raise HTTPException(404, f"no agent {agent_id!r}")
    if not user.may_see_agent(agent.spec):
        if user.role == "agent":
            raise HTTPException(403, "an agent may act only as themselves")
        raise forbidden(f"agent {agent_id}")
    return agent


def queue_config(services: Services, queue_id: str) -> Queue | None:
    return services.configurator.current.queue(queue_id)


def queue_for(services: Services, user: User, queue_id: str) -> Queue | None:
    """Check that queue `queue_id` exists and `user` may see it; return its
    configuration (None for a queue no longer configured). 404 / 403."""
    if not services.read.has_queue(queue_id):
        raise HTTPException(404, f"no queue {queue_id!r}")
    config = queue_config(services, queue_id)
    if not user.may_see_queue(config):
        raise forbidden(f"queue {queue_id}")
    return config


def contact_for(services: Services, user: User, contact_id: str) -> ContactRecord:
    """The contact record if `user` may see it: supervisors through its queue,
    agents when they handle or handled it. 404 unknown, 403 otherwise."""
    rec = services.contacts.get(contact_id)
    if rec is None:
        raise HTTPException(404, f"no contact {contact_id!r}")
    if user.role == "agent":
        handled = rec.agent == user.agent_id or any(
            h.get("agent_id") == user.agent_id or h.get("to_agent") == user.agent_id
            for h in rec.history
        )
        if not handled:
            raise HTTPException(403, f"contact {contact_id} is not one of yours")
        return rec
    if not user.may_see_queue(queue_config(services, rec.queue)):
        raise forbidden(f"contact {contact_id}")
    return rec


def agent_view(agent: AgentCard) -> dict[str, Any]:
    """An agent as the API shows it: definition and where it stands now."""
    return agent.as_dict()


def queue_view(services: Services, queue_id: str) -> dict[str, Any]:
    """A queue: live spec, configuration names and waiting figures (durable
    state). Raises `HTTPException` 404 if the queue is unknown."""
    figures = services.read.queue(queue_id)
    if figures is None:
        raise HTTPException(404, f"no queue {queue_id!r}")
    config = queue_config(services, queue_id)
    spec = to_plain(figures.spec)
    return {
        **spec,
        "name": config.name if config is not None else "",
        "outsourcer": config.outsourcer if config is not None else None,
        "channel_standby": list(figures.channel_standby),
        "waiting": figures.waiting,
        "longest_wait": figures.longest_wait(services.clock.now()),
    }


def events_out(events: Sequence[Event]) -> dict[str, Any]:
    """The response of an action: the events it caused, durable."""
    out = []
    for event in events:
        data = to_plain(event)
        data["event"] = type(event).__name__
        out.append(data)
    return {"seq": events[-1].seq if events else None, "events": out}


def desk(services: Services) -> Desk:
    """The agent-desk use cases over the app's runner and read side (built
    once, by the bootstrap)."""
    return services.desk


def supervision(services: Services) -> Supervision:
    """The supervisor's use cases over the app's runner, read side and configuration."""
    return services.supervision


def departure(services: Services) -> Departure:
    """The use case of a contact leaving (cancelled, abandoned)."""
    return services.departure


async def refusals_mapped(call: Awaitable[T]) -> T:
    """Await a use case; its refusals become HTTP errors: an unknown agent,
    contact, queue… 404, a contact that is not the agent's 409 (the engine's
    own refusals are the app's handlers', 409 / 503)."""
    try:
        return await call
    except Unknown as exc:
        raise HTTPException(404, str(exc)) from None
    except NotYourContact as exc:
        raise HTTPException(409, str(exc)) from None


async def acted(call: Awaitable[Acted]) -> dict[str, Any]:
    """Await a use case and answer `events_out` of what it did."""
    return events_out((await refusals_mapped(call)).events)
