"""The bridge between the routing core and the event log.

Why: the core speaks frozen events, the store speaks `StoredEvent` rows. Every
shell (server, CLI `replay`, tests) converts through here, so there is one
encoding and one way to rebuild an engine from a log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from joignable.core.codec import decode, encode
from joignable.core.events import Event
from joignable.core.routing.engine import Engine, EngineSettings
from joignable.store import EventLog, StoredEvent


def to_stored(events: Iterable[Event]) -> list[StoredEvent]:
    """Events as the store keeps them."""
    out = []
    for event in events:
        kind, data = encode(event)
        out.append(StoredEvent(seq=event.seq, at=event.at, kind=kind, data=data))
    return out


def from_stored(rows: Iterable[StoredEvent]) -> Iterator[Event]:
    """Stored rows back to events; raises `codec.DecodeError` on a row that does not fit."""
    for row in rows:
        yield decode(row.kind, row.at, row.seq, row.data)


def rebuild(log: EventLog, settings: EngineSettings | None = None) -> Engine:
    """A fresh engine with every stored event applied, in order (crash recovery)."""
    engine = Engine(settings)
    engine.replay(from_stored(log.read()))
    return engine
