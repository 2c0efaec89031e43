"""Departure: a contact leaves the center before an agent finishes it.

Why a use case of its own: a customer hangs up, closes the chat window or a
supervisor withdraws a contact; the REST API does it today, a voice or chat
adapter will tomorrow, and both must do it the same way: the contact must
exist, and it is one engine command recorded with who asked.

`abandon`: the customer left — a waiting or offered contact ends
(abandoned), a connected one goes to wrap-up. `cancel`: withdrawn — a
waiting or offered contact ends (cancelled); a connected or ended one is the
lifecycle's `InvalidTransition`. Refusal: `UnknownContact`.
"""

from __future__ import annotations

from dataclasses import dataclass

from joignable.core import commands as cmd
from joignable.service.contacts import ContactIndex
from joignable.service.refusals import Acted, UnknownContact
from joignable.service.runner import CenterRunner


@dataclass(frozen=True, slots=True)
class Leave:
    """Contact `contact_id` leaves: `abandoned` by the customer, else cancelled."""

    contact_id: str
    abandoned: bool
    by: str = ""


class Departure:
    """Contacts leaving through `runner`; `contacts` (durable) says which exist."""

    def __init__(self, runner: CenterRunner, contacts: ContactIndex) -> None:
        self.runner = runner
        self.contacts = contacts

    async def leave(self, action: Leave) -> Acted:
        """End (or, connected and abandoned, wrap up) the contact; `Acted` once
        durable. Raises `UnknownContact`, the engine's `CommandRejected` /
        `InvalidTransition`, the runner's `RunnerUnavailable` / `StoreError`."""
        if self.contacts.get(action.contact_id) is None:
            raise UnknownContact(action.contact_id)
        command: cmd.Command
        if action.abandoned:
            command = cmd.Abandon(contact_id=action.contact_id, by=action.by)
        else:
            command = cmd.Cancel(contact_id=action.contact_id, by=action.by)
        return Acted(tuple(await self.runner.submit(command)))
