"""Migration throttle decisions, kept in the `alert_history` table.

Why that table: a throttle decision (the share sent to a site lowered,
raised, or a new target) is something a supervisor must be able to look up
long after the control tower showed it, next to the alerts that explain it
(S's abandonment crossing its limit). Rows of kind `ThrottleLowered`,
`ThrottleRaised` and `ThrottleTargetSet` sit in `alert_history` (migration
0003; no table of their own) with:

* `id` ``throttle-<Q>-><S>-<kind>-<at in ms>`` (the same decision is never
  stored twice), `alert_id` ``throttle:<Q>-><S>`` (one per throttle),
  `severity` ``warning`` for a cut and ``info`` otherwise, `deliveries` the
  outcomes of its webhook and e-mail notifications (`service/notify.py`);
* `data`: the event's fields (`queue`, `site`, `share`, `previous`, and
  `abandonment_rate` and `sample`, or `target` and `by`) plus the fields
  every history row has (`id`, `kind`, `alert_id`, `at`, `severity`,
  `title`, `scope` ``queue``, `scope_id` Q, `metric` ``throttle_share``,
  `value` the new share), so `GET /api/alerts/history` lists them with the
  alerts.

These rows are the decisions' *history* (what `GET /api/alerts/history`
lists, with delivery outcomes); the shares themselves are in the event log
(`ThrottleDecided`, docs/decisions/0023-throttle-decisions-and-outbox.md).
A database written before that kept the shares only here: `last` is read
once at start, for a throttle the log knows nothing of, and that decision is
then logged (`service/throttle_decisions.py`). Blocking calls: async callers
run them in a thread.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from joignable.core.routing.throttle import (
    ThrottleEvent,
    ThrottleLowered,
    ThrottleRaised,
    ThrottleTargetSet,
)
from joignable.store.alerts import alert_history

KINDS: dict[str, type[ThrottleEvent]] = {
    cls.__name__: cls for cls in (ThrottleLowered, ThrottleRaised, ThrottleTargetSet)
}


def throttle_id(queue: str, site: str) -> str:
    """The `alert_id` shared by every decision of throttle `queue` → `site`."""
    return f"throttle:{queue}->{site}"


def describe(event: ThrottleEvent) -> str:
    """One line for people: what changed and why."""
    change = f"share {event.previous:.0%} → {event.share:.0%}"
    where = f"{event.queue} → {event.site}"
    if isinstance(event, ThrottleLowered):
        why = f"abandonment {event.abandonment_rate:.0%} over {event.sample} contacts"
        return f"Throttle {where} lowered: {change} ({why})"
    if isinstance(event, ThrottleRaised):
        why = f"healthy, abandonment {event.abandonment_rate:.0%} over {event.sample} contacts"
        return f"Throttle {where} raised: {change} ({why})"
    if isinstance(event, ThrottleTargetSet):
        by = f" by {event.by}" if event.by else ""
        return f"Throttle {where} target set to {event.target:.0%}{by}: {change}"
    return f"Throttle {where}: {change}"


def as_row_data(event: ThrottleEvent) -> dict[str, Any]:
    """The `data` of the event's row (see the module comment)."""
    return {
        **event.as_dict(),
        "id": f"throttle-{event.queue}->{event.site}-{event.kind}-{round(event.at * 1000)}",
        "alert_id": throttle_id(event.queue, event.site),
        "severity": "warning" if isinstance(event, ThrottleLowered) else "info",
        "title": describe(event),
        "scope": "queue",
        "scope_id": event.queue,
        "metric": "throttle_share",
        "value": event.share,
    }


def from_row_data(data: dict[str, Any]) -> ThrottleEvent | None:
    """The decision stored in a row's `data` (None: not a throttle decision)."""
    cls = KINDS.get(str(data.get("kind")))
    if cls is None:
        return None
    fields = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
    try:
        return cls(**fields)
    except TypeError:
        return None  # written by a version with other fields


def history_row(tenant: str, event: ThrottleEvent) -> dict[str, Any]:
    """The `alert_history` row of a throttle decision of center `tenant`."""
    data = as_row_data(event)
    return {
        "tenant": tenant,
        "id": data["id"],
        "alert_id": data["alert_id"],
        "kind": event.kind,
        "at": event.at,
        "severity": data["severity"],
        "data": json.dumps(data, sort_keys=True, separators=(",", ":")),
        "deliveries": "{}",
    }


class ThrottleHistory:
    """The throttle decisions of one center (tenant) in `alert_history`."""

    def __init__(self, engine: Engine, tenant: str = "default") -> None:
        self.engine = engine
        self.tenant = tenant
        self._lock = threading.Lock()

    def record(self, event: ThrottleEvent) -> bool:
        """Store the decision; False if it was already stored."""
        row = history_row(self.tenant, event)
        try:
            with self._lock, self.engine.begin() as conn:
                conn.execute(insert(alert_history).values(**row))
        except IntegrityError:
            return False
        return True

    def decisions(self, limit: int = 100) -> list[ThrottleEvent]:
        """The latest `limit` decisions, oldest first."""
        t = alert_history.c
        query = (
            select(t.data)
            .where((t.tenant == self.tenant) & t.kind.in_(list(KINDS)))
            .order_by(t.at.desc(), t.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).scalars().all()
        out = [from_row_data(json.loads(text)) for text in reversed(rows)]
        return [e for e in out if e is not None]

    def last(self, queue: str, site: str) -> ThrottleEvent | None:
        """The latest decision of throttle `queue` → `site`, if any."""
        t = alert_history.c
        query = (
            select(t.data)
            .where((t.tenant == self.tenant) & (t.alert_id == throttle_id(queue, site)))
            .order_by(t.at.desc(), t.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            text = conn.execute(query).scalar()
        return None if text is None else from_row_data(json.loads(text))
