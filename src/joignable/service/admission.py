"""Admission: how a customer's contact enters the center, whatever brought it.

Why a use case of its own: the API, the live demo's customers and (coming
with the IVR) a flow's outcome must all admit a contact the same way —
idempotency, migration-throttle routing, the contact durable before it is
acknowledged. Before this module that logic lived in the HTTP handler and
the demo bypassed it; now every way in builds an `Arrival` and calls
`Admission.admit`.

Idempotency: a channel adapter that times out retries; with the same key it
gets the same contact. The key row is written in the very transaction that
makes the contact durable (`CenterRunner.submit(also=...)`): both or neither,
one commit per batch of arrivals instead of two more per arrival (keyed
arrivals no longer fall as clients multiply). Concurrent requests with one
key wait on a per-key lock, so the second finds the first's key. A key
reused with a different arrival is refused (`KeyReused`).

Migration throttles: a contact for a throttled queue Q may be sent to Q's
site variant `Q@S` (`service.throttles.arrival_queue`); it then carries the
attribute `throttled_from: Q`, and `Admitted` names both queues.

An IVR flow's outcome (a later issue) will produce an `Arrival` with the
queue the flow chose and the attributes it collected; nothing else changes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from joignable.core import commands as cmd
from joignable.core.model import Channel, ContactSpec
from joignable.service.clock import Clock
from joignable.service.contacts import ContactIndex
from joignable.service.runner import CenterRunner
from joignable.service.throttles import ThrottleBank, arrival_queue
from joignable.store.accounts import Accounts
from joignable.store.eventlog import RowWriter

THROTTLED_FROM = "throttled_from"
IDENTIFIER_PREFIX = "customer."  # identifiers become attributes `customer.<kind>`


class AdmissionError(Exception):
    """An arrival the center refuses (the web layer maps each to a status)."""


class UnknownQueue(AdmissionError):
    """The queue asked for is not configured (HTTP 404)."""


class KeyReused(AdmissionError):
    """The idempotency key was already used with another arrival (HTTP 422)."""


# A queue that does not take the channel is refused by the engine itself
# (`CommandRejected`, HTTP 409); admission lets that error through unchanged.


@dataclass(frozen=True, slots=True)
class Arrival:
    """A contact asking to enter `queue` on `channel`.

    `customer` is the customer id; `identifiers` further ways to know them
    (("phone", "+33…"), ("email", "…")), kept on the contact as attributes
    `customer.<kind>`. `skills` and `attributes` are (name, value) pairs.
    `contact_id` None: a fresh id is drawn. `idempotency_key` None: no retry
    protection. `by` is who admitted it (a user, "demo", a flow).
    """

    channel: Channel
    queue: str
    customer: str = ""
    identifiers: tuple[tuple[str, str], ...] = ()
    skills: tuple[tuple[str, int], ...] = ()
    language: str = ""
    priority: int = 0
    attributes: tuple[tuple[str, str], ...] = ()
    idempotency_key: str | None = None
    by: str = ""
    contact_id: str | None = None

    def fingerprint(self) -> str:
        """A digest of what the arrival asks (not the key, id or author): a
        retry with the same key must ask the same."""
        body = {
            "channel": self.channel.value,
            "queue": self.queue,
            "customer": self.customer,
            "identifiers": sorted(self.identifiers),
            "skills": sorted(self.skills),
            "language": self.language,
            "priority": self.priority,
            "attributes": sorted(self.attributes),
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Admitted:
    """The outcome: the contact `contact_id` is durable in `queue` (which may
    be a throttle's site variant of `requested_queue`); `replayed` when an
    idempotent retry found it already admitted."""

    contact_id: str
    queue: str
    requested_queue: str
    replayed: bool = False


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


class Admission:
    """Admits arrivals into the center through `runner`.

    `accounts` and `clock` hold idempotency keys (needed only for arrivals
    with a key); `contacts` tells a retry whether its contact exists (default:
    the engine's live contacts); `throttles` returns the live throttle bank,
    or None when there is none.
    """

    def __init__(
        self,
        runner: CenterRunner,
        *,
        accounts: Accounts | None = None,
        clock: Clock | None = None,
        contacts: ContactIndex | None = None,
        throttles: Callable[[], ThrottleBank | None] = lambda: None,
    ) -> None:
        self.runner = runner
        self.accounts = accounts
        self.clock = clock
        self.contacts = contacts
        self.throttles = throttles
        self._locks = _KeyLocks()

    async def admit(self, arrival: Arrival) -> Admitted:
        """Make the arrival a durable contact and return where it went.

        Raises `UnknownQueue`, `KeyReused`, the engine's `CommandRejected`
        (channel not taken, id already used) and the runner's errors
        (`RunnerUnavailable`, `StoreError`); `ValueError` for an arrival with
        a key on an admission without accounts.
        """
        if arrival.queue not in self.runner.engine.queues:
            raise UnknownQueue(f"no queue {arrival.queue!r}")
        new_id = arrival.contact_id or f"c-{uuid.uuid4().hex[:20]}"
        key = arrival.idempotency_key
        if key is None:
            return await self._add(new_id, arrival)
        accounts, clock = self.accounts, self.clock
        if accounts is None or clock is None:
            raise ValueError("idempotency keys need an admission with accounts and a clock")
        fingerprint = arrival.fingerprint()
        lock = self._locks.take(key)
        try:
            async with lock:
                rec = await asyncio.to_thread(accounts.get_key, key)
                if rec is None:  # the key is written with the contact: one commit
                    writer = accounts.key_writer(key, new_id, fingerprint, clock.now())
                    return await self._add(new_id, arrival, also=writer)
                if rec.fingerprint != fingerprint:
                    raise KeyReused(
                        "Idempotency-Key was already used with a different request body"
                    )
                if self._exists(rec.contact_id) or rec.done:
                    return Admitted(
                        rec.contact_id,
                        self._queue_of(rec.contact_id, arrival),
                        arrival.queue,
                        replayed=True,
                    )
                # claimed by an older version (key first, contact after) whose
                # contact never became durable: add it now under the claimed id
                admitted = await self._add(rec.contact_id, arrival)
                await asyncio.to_thread(accounts.mark_key_done, key)
                return admitted
        finally:
            self._locks.release(key)

    def _exists(self, contact_id: str) -> bool:
        if self.contacts is not None:
            return self.contacts.get(contact_id) is not None
        return contact_id in self.runner.engine.contacts

    def _queue_of(self, contact_id: str, arrival: Arrival) -> str:
        if self.contacts is not None:
            rec = self.contacts.get(contact_id)
            if rec is not None:
                return rec.queue
        contact = self.runner.engine.contacts.get(contact_id)
        return contact.queue if contact is not None else arrival.queue

    async def _add(
        self, contact_id: str, arrival: Arrival, *, also: RowWriter | None = None
    ) -> Admitted:
        queue = arrival_queue(
            self.throttles(), self.runner.engine.queues, arrival.queue, arrival.channel
        )
        await self.runner.submit(
            cmd.AddContact(contact=contact_spec(contact_id, arrival, queue), by=arrival.by),
            also=also,
        )
        return Admitted(contact_id, queue, arrival.queue)


def contact_spec(contact_id: str, arrival: Arrival, queue: str) -> ContactSpec:
    """The contact to add for `arrival` entering `queue`; a queue other than
    the one asked for (a throttle's choice) is noted in `throttled_from`."""
    attributes = dict(arrival.attributes)
    for kind, value in arrival.identifiers:
        attributes[IDENTIFIER_PREFIX + kind] = value
    if queue != arrival.queue:
        attributes[THROTTLED_FROM] = arrival.queue
    return ContactSpec(
        id=contact_id,
        channel=arrival.channel,
        queue=queue,
        customer=arrival.customer,
        language=arrival.language,
        skills=tuple(sorted(arrival.skills)),
        priority=arrival.priority,
        attributes=tuple(sorted(attributes.items())),
    )
