"""A read model of contacts and their history, fed from the event stream.

Why: the engine forgets a contact as soon as it ends (its state must stay
small), but the API shows a contact with its whole history, ended or not, and
idempotent creation must know whether a contact was ever created. This index
is rebuilt from the log at start and kept up to date with every durable batch;
it keeps every contact in progress and the most recent ended ones, their
history compacted to one text each (a soak showed ~1.4 KB per ended contact
kept as dicts, so a busy day's 200,000 weighed ~300 MB).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from joignable.core import events as ev
from joignable.core.codec import to_plain

#: ended contacts kept (~0.8 KB each): about 15 minutes of a very busy center
DEFAULT_KEEP_ENDED = 10_000


@dataclass(slots=True)
class ContactRecord:
    """Where a contact stands and what happened to it, oldest first."""

    id: str
    channel: str
    queue: str
    customer: str
    priority: int
    arrived_at: float
    state: str = "waiting"
    agent: str = ""
    end_reason: str = ""
    wrap_up_code: str = ""
    resolved: bool | None = None
    #: the events, oldest first: a list while the contact is in progress, one
    #: compact JSON text once it ended (a tenth of the memory; see `freeze`)
    _history: list[dict[str, Any]] | str = field(default_factory=list, repr=False)

    @property
    def history(self) -> list[dict[str, Any]]:
        """What happened to the contact, oldest first (a new list once it ended)."""
        if isinstance(self._history, str):
            return list(json.loads(self._history))
        return self._history

    def freeze(self) -> None:
        """The contact ended: keep its history as one compact text from now on."""
        if not isinstance(self._history, str):
            self._history = json.dumps(self._history, separators=(",", ":"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "queue": self.queue,
            "customer": self.customer,
            "priority": self.priority,
            "arrived_at": self.arrived_at,
            "state": self.state,
            "agent": self.agent,
            "end_reason": self.end_reason,
            "wrap_up_code": self.wrap_up_code,
            "resolved": self.resolved,
            "history": list(self.history),
        }


class ContactIndex:
    """Contacts by id. `apply(event)` is called in log order, once per event."""

    def __init__(self, keep_ended: int = DEFAULT_KEEP_ENDED) -> None:
        self.keep_ended = keep_ended
        self._live: dict[str, ContactRecord] = {}
        self._ended: OrderedDict[str, ContactRecord] = OrderedDict()

    def reset(self) -> None:
        """Forget everything (before a replay from the log)."""
        self._live.clear()
        self._ended.clear()

    def get(self, contact_id: str) -> ContactRecord | None:
        """The record of `contact_id`, or None if unknown (or evicted long ago)."""
        return self._live.get(contact_id) or self._ended.get(contact_id)

    def __len__(self) -> int:
        return len(self._live) + len(self._ended)

    def apply(self, event: ev.Event) -> None:
        """Fold one event into the index (events about agents only are ignored)."""
        if isinstance(event, ev.ContactQueued):
            spec = event.contact
            rec = ContactRecord(
                id=spec.id,
                channel=spec.channel.value,
                queue=spec.queue,
                customer=spec.customer,
                priority=spec.priority,
                arrived_at=spec.arrived_at or event.at,
            )
            self._ended.pop(spec.id, None)
            self._live[spec.id] = rec
            self._note(rec, event)
            return
        contact_id = getattr(event, "contact_id", None)
        if contact_id is None:
            return
        live = self._live.get(contact_id)
        if live is None:
            return
        self._note(live, event)
        self._fold(live, event)

    def _fold(self, rec: ContactRecord, event: ev.Event) -> None:
        if isinstance(event, ev.ContactOffered):
            rec.state, rec.agent = "offered", event.agent_id
        elif isinstance(event, ev.OfferAccepted):
            rec.state = "connected"
        elif isinstance(event, ev.OfferDeclined):
            rec.state, rec.agent = "waiting", ""
        elif isinstance(event, ev.ContactCompleted):
            rec.state = "wrap_up"
        elif isinstance(event, ev.WrapUpFinished):
            if event.leg:  # the transferring agent closed its part: noted, goes on
                return
            rec.wrap_up_code, rec.resolved = event.code, event.resolved
            self._end(rec, "completed")
        elif isinstance(event, ev.ContactTransferred):
            if event.to_queue:
                rec.state, rec.agent, rec.queue = "waiting", "", event.to_queue
            else:
                rec.state, rec.agent = "offered", event.to_agent
        elif isinstance(event, ev.ContactMoved):
            rec.queue = event.queue_id
        elif isinstance(event, ev.ContactPriorityChanged):
            rec.priority = event.priority
        elif isinstance(event, ev.ContactEnded):
            self._end(rec, event.reason.value)

    def _end(self, rec: ContactRecord, reason: str) -> None:
        rec.state, rec.agent, rec.end_reason = "ended", "", reason
        self._live.pop(rec.id, None)
        rec.freeze()
        self._ended[rec.id] = rec
        while len(self._ended) > self.keep_ended:
            self._ended.popitem(last=False)

    @staticmethod
    def _note(rec: ContactRecord, event: ev.Event) -> None:
        data = to_plain(event)
        data.pop("contact", None)
        data.pop("contact_id", None)
        entry = {"event": type(event).__name__, **data}
        rec.history.append(entry)
