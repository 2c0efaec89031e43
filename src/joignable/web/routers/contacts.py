"""Contacts through the API: create (idempotent), read with history, list a
queue's waiting line, cancel, abandon.

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

import asyncio
import hashlib
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from joignable.core import commands as cmd
from joignable.core.model import Channel, ContactSpec
from joignable.queue_schema import Level
from joignable.service.config import Id
from joignable.service.throttles import ThrottleBank, arrival_queue
from joignable.web.auth import User, require_role
from joignable.web.deps import contact_for, queue_for, run
from joignable.web.state import Services, get_services

router = APIRouter(tags=["contacts"])

supervisors = require_role("admin", "supervisor")
anyone = require_role("admin", "supervisor", "agent")


class ContactIn(BaseModel):
    """An inbound contact entering a queue (after the IVR)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    channel: Channel
    queue: Id
    customer: Annotated[str, StringConstraints(max_length=200)] = ""
    language: Annotated[str, StringConstraints(pattern=r"^([A-Za-z-]{2,16})?$")] = ""
    skills: dict[Id, Level] = {}
    priority: int = Field(0, ge=-1000, le=1000)
    attributes: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=64)],
        Annotated[str, StringConstraints(max_length=500)],
    ] = Field(default_factory=dict, max_length=32)


class _KeyLocks:
    """One asyncio lock per idempotency key being served (no double submit)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def take(self, key: str) -> asyncio.Lock:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        return lock

    def release(self, key: str) -> None:
        lock, users = self._locks[key]
        if users <= 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)


def _locks(request: Request) -> _KeyLocks:
    locks: _KeyLocks | None = getattr(request.app.state, "idempotency_locks", None)
    if locks is None:
        locks = request.app.state.idempotency_locks = _KeyLocks()
    return locks


THROTTLED_FROM = "throttled_from"


def _spec(contact_id: str, body: ContactIn, queue: str | None = None) -> ContactSpec:
    """The contact to add; `queue` (when not the one asked for) is where a
    migration throttle sends it, noted in the attribute `throttled_from`."""
    attributes = dict(body.attributes)
    if queue is not None and queue != body.queue:
        attributes[THROTTLED_FROM] = body.queue
    return ContactSpec(
        id=contact_id,
        channel=body.channel,
        queue=queue or body.queue,
        customer=body.customer,
        language=body.language,
        skills=tuple(sorted(body.skills.items())),
        priority=body.priority,
        attributes=tuple(sorted(attributes.items())),
    )


def _route(request: Request, services: Services, body: ContactIn) -> str:
    """The queue the new contact enters (a migration throttle may send it to
    its site variant): see `service.throttles.arrival_queue`."""
    hub = getattr(request.app.state, "live", None)
    bank: ThrottleBank | None = getattr(hub, "throttles", None)
    return arrival_queue(bank, services.runner.engine.queues, body.queue, body.channel)


@router.post("/api/contacts", status_code=201)
async def create_contact(
    body: ContactIn,
    request: Request,
    response: Response,
    idempotency_key: Annotated[
        str | None,
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
    new_id = f"c-{uuid.uuid4().hex[:20]}"
    if idempotency_key is None:
        spec = _spec(new_id, body, _route(request, services, body))
        await run(services, cmd.AddContact(contact=spec, by=user.name))
        return _out(services, new_id, body)
    fingerprint = hashlib.sha256(
        json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()
    locks = _locks(request)
    lock = locks.take(idempotency_key)
    try:
        async with lock:
            accounts, now = services.accounts, services.clock.now()
            rec = await asyncio.to_thread(accounts.get_key, idempotency_key)
            if rec is None:
                rec = await asyncio.to_thread(
                    accounts.claim_key, idempotency_key, new_id, fingerprint, now
                )
            if rec.fingerprint != fingerprint:
                raise HTTPException(
                    422, "Idempotency-Key was already used with a different request body"
                )
            if services.contacts.get(rec.contact_id) is not None or rec.done:
                if not rec.done:
                    await asyncio.to_thread(accounts.mark_key_done, idempotency_key)
                response.status_code = 200
                response.headers["Idempotent-Replayed"] = "true"
                return _out(services, rec.contact_id, body)
            spec = _spec(rec.contact_id, body, _route(request, services, body))
            await run(services, cmd.AddContact(contact=spec, by=user.name))
            await asyncio.to_thread(accounts.mark_key_done, idempotency_key)
            return _out(services, rec.contact_id, body)
    finally:
        locks.release(idempotency_key)


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
    return await run(services, cmd.Cancel(contact_id=contact_id, by=user.name))


@router.post("/api/contacts/{contact_id}/abandon")
async def abandon(
    contact_id: str, user: User = Depends(supervisors), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """The customer left (hung up, closed the chat); a connected contact goes to wrap-up."""
    contact_for(services, user, contact_id)
    return await run(services, cmd.Abandon(contact_id=contact_id, by=user.name))
