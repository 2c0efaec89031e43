"""Contacts through the API: create (idempotent), read with history, list a
queue's waiting line, cancel, abandon.

The handler only translates: `ContactIn` becomes an `Arrival` and
`service.admission.Admission` does the rest (the scope check stays here).

Why idempotency keys: a channel adapter or an integration that times out
will retry; with the same `Idempotency-Key` it must get the same contact, not
a second customer in line. The key is bound to a contact id *before* the
contact is created, so a crash between the two only means the retry creates
it (once); a key reused with a different body is refused with 422.

Migration throttles: a contact for a throttled queue Q may be sent to Q's
site variant `Q@S` instead (the live hub's `ThrottleBank` decides, spreading
the share evenly); the contact then carries the attribute
`throttled_from: Q`, and the response names the queue asked for
(`requested_queue`) and the one it went to (`queue`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from joignable.core.model import Channel
from joignable.schema.fields import Level
from joignable.schema.text import FreeText, SafeName
from joignable.service.admission import Arrival, KeyReused, UnknownQueue
from joignable.service.config import Id
from joignable.service.departure import Leave
from joignable.web.auth import User, require_role
from joignable.web.deps import acted, contact_for, departure, queue_for
from joignable.web.state import Services, get_services

router = APIRouter(tags=["contacts"])

supervisors = require_role("admin", "supervisor")
anyone = require_role("admin", "supervisor", "agent")


class ContactIn(BaseModel):
    """An inbound contact entering a queue (after the IVR)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    channel: Channel
    queue: Id
    customer: Annotated[SafeName, StringConstraints(max_length=200)] = ""
    language: Annotated[str, StringConstraints(pattern=r"^([A-Za-z-]{2,16})?$")] = ""
    skills: dict[Id, Level] = {}
    priority: int = Field(0, ge=-1000, le=1000)
    attributes: dict[
        Annotated[SafeName, StringConstraints(min_length=1, max_length=64)],
        Annotated[FreeText, StringConstraints(max_length=500)],
    ] = Field(default_factory=dict, max_length=32)


def _arrival(body: ContactIn, key: str | None, by: str) -> Arrival:
    return Arrival(
        channel=body.channel,
        queue=body.queue,
        customer=body.customer,
        skills=tuple(sorted(body.skills.items())),
        language=body.language,
        priority=body.priority,
        attributes=tuple(sorted(body.attributes.items())),
        idempotency_key=key,
        by=by,
    )


@router.post("/api/contacts", status_code=201)
async def create_contact(
    body: ContactIn,
    response: Response,
    idempotency_key: Annotated[
        SafeName | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            description="Retrying with the same key returns the same contact (200).",
        ),
    ] = None,
    user: User = Depends(supervisors),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Put an inbound contact of any channel in a queue; 201 once it is durable.
    404 unknown queue, 409 if the queue does not take the channel, 422 when an
    idempotency key is reused with another body. A migration throttle on the
    queue may send it to the queue's site variant: `queue` in the response is
    where it went, `requested_queue` the queue asked for."""
    queue_for(services, user, body.queue)
    try:
        admitted = await services.admission.admit(_arrival(body, idempotency_key, user.name))
    except UnknownQueue as exc:
        raise HTTPException(404, str(exc)) from None
    except KeyReused as exc:
        raise HTTPException(422, str(exc)) from None
    if admitted.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return _out(services, admitted.contact_id, body)


def _out(services: Services, contact_id: str, body: ContactIn) -> dict[str, Any]:
    rec = services.contacts.get(contact_id)
    if rec is None:  # ended long ago and no longer indexed
        return {"id": contact_id, "state": "unknown", "history": [], "requested_queue": body.queue}
    return {**rec.as_dict(), "requested_queue": body.queue}


@router.get("/api/contacts/{contact_id}")
async def get_contact(
    contact_id: str, user: User = Depends(anyone), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """A contact with its history (every event, with who caused it)."""
    return contact_for(services, user, contact_id).as_dict()


@router.get("/api/queues/{queue_id}/waiting")
async def waiting(
    queue_id: str, user: User = Depends(supervisors), services: Services = Depends(get_services)
) -> list[dict[str, Any]]:
    """The contacts waiting in a queue, best placed first."""
    queue_for(services, user, queue_id)
    line = services.read.waiting_line(queue_id)
    if line is None:
        raise HTTPException(404, f"no queue {queue_id!r}")
    now = services.clock.now()
    return [
        {
            "position": e.position,
            "id": e.id,
            "channel": e.channel,
            "customer": e.customer,
            "priority": e.priority,
            "entered": e.entered,
            "waited": round(max(0.0, now - e.entered), 3),
            "step": e.step,
        }
        for e in line.entries
    ]


@router.post("/api/contacts/{contact_id}/cancel")
async def cancel(
    contact_id: str, user: User = Depends(supervisors), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """Withdraw a waiting or offered contact. 409 if it is connected or ended."""
    contact_for(services, user, contact_id)
    return await acted(departure(services).leave(Leave(contact_id, abandoned=False, by=user.name)))


@router.post("/api/contacts/{contact_id}/abandon")
async def abandon(
    contact_id: str, user: User = Depends(supervisors), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """The customer left (hung up, closed the chat); a connected contact goes to wrap-up."""
    contact_for(services, user, contact_id)
    return await acted(departure(services).leave(Leave(contact_id, abandoned=True, by=user.name)))
