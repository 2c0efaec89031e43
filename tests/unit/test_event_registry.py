"""The decoder's registry is derived from the event classes: every event class
decodes under its stored kind, and the kinds stay those of old logs."""

from __future__ import annotations

from dataclasses import dataclass

from joignable.core import events
from joignable.core.codec import decode, encode
from joignable.core.events import Event, event_types

# The kinds written by logs before the registry was derived (tests/golden).
STORED_KINDS = {
    "QueueConfigured",
    "AgentConfigured",
    "QueueRemoved",
    "AgentRemoved",
    "QueueStandbySet",
    "ChannelStandbySet",
    "AgentLoggedIn",
    "AgentLoggedOut",
    "AgentPresenceChanged",
    "ContactQueued",
    "ContactStepReached",
    "ContactOffered",
    "OfferAccepted",
    "OfferDeclined",
    "AgentMissedTooMany",
    "ContactCompleted",
    "WrapUpFinished",
    "ContactTransferred",
    "ContactMoved",
    "MaxWaitPassed",
    "ContactPriorityChanged",
    "ContactEnded",
}


def test_every_event_class_of_the_module_is_registered() -> None:
    declared = {
        name
        for name, obj in vars(events).items()
        if isinstance(obj, type) and issubclass(obj, Event) and obj is not Event
    }
    registry = event_types()
    assert declared <= set(registry)
    assert all(registry[name] is getattr(events, name) for name in declared)


def test_old_stored_kinds_still_decode() -> None:
    assert set(event_types()) >= STORED_KINDS


def test_an_event_class_added_later_decodes_without_registration() -> None:
    @dataclass(frozen=True, slots=True, kw_only=True)
    class RegistryProbeHappened(Event):
        note: str

    event = RegistryProbeHappened(at=1.5, seq=7, note="x")
    kind, data = encode(event)
    assert kind == "RegistryProbeHappened"
    assert decode(kind, 1.5, 7, data) == event
