"""The small protocols the composition root wires and a test may swap.

Why: `joignable.bootstrap` builds the whole center; a test that wants to see
what the center does with time, with the log or with notifications gives it
a fake of one of these instead of a real part (trio's `Clock`/`MockClock`,
cosmicpython's fakes). Each protocol is what the center really calls, no
more: the real implementations (`store.EventLog`, `service.clock.SystemClock`,
`service.notify.Notifier`) satisfy them as they are. The channel adapter's
protocol is in `channels/base.py`, with the channels.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from sqlalchemy.engine import Engine

from joignable.core.alerts.rules import AlertEvent
from joignable.core.routing.throttle import ThrottleEvent
from joignable.service.clock import Clock
from joignable.store import StoredEvent
from joignable.store.eventlog import RowWriter

__all__ = ["AlertNotifier", "Clock", "Journal"]


class Journal(Protocol):
    """The event log as the writer and the start-up use it.

    `append` makes a batch durable (or raises `StoreError`: nothing of it is
    kept), calling each of `also` with its transaction's connection to write
    rows that must be durable exactly when the batch is (an idempotency key); `read` gives the events after `after_seq` in order; `last_seq` is
    the newest sequence number (0: empty), also the writer's probe of a
    failing store. `engine` is the SQL database the log lives in: the side
    stores (accounts, idempotency keys, alert and throttle history) keep
    their tables next to it, so one database is one center.
    """

    @property
    def tenant(self) -> str: ...

    @property
    def engine(self) -> Engine: ...

    def append(self, events: Sequence[StoredEvent], *, also: Sequence[RowWriter] = ()) -> None: ...

    def read(self, after_seq: int = 0, limit: int | None = None) -> Iterator[StoredEvent]: ...

    def last_seq(self) -> int: ...

    def close(self) -> None: ...


class AlertNotifier(Protocol):
    """Who hears of alert and throttle decisions once they are durable.

    `notify` and `notify_throttle` return at once (deliveries run in the
    background); `center` names the center in what is sent (a configuration
    applied live may rename it); `aclose(wait=False)` ends the deliveries in
    flight at shutdown.
    """

    center: str

    def notify(self, event: AlertEvent) -> None: ...

    def notify_throttle(self, event: ThrottleEvent) -> None: ...

    async def aclose(self, wait: bool = True) -> None: ...
