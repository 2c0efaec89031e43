"""The alert history table: every alert raised or cleared, with its deliveries.

Why in the store: the history must survive restarts and sit in the same
database as the event log (one backup, PostgreSQL in production). The table
is defined on the store's shared metadata and created by migration 0003; the
primary key is the alert event's id, so the same event is never recorded
twice. Blocking calls: async callers run them in a thread.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Double,
    Engine,
    Index,
    PrimaryKeyConstraint,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from joignable.core.alerts.rules import AlertEvent
from joignable.store.db import SQLITE_BEGIN_OPTION
from joignable.store.schema import metadata

# One row per alert event (raised or cleared), created by migration 0003.
# `data` is the event as canonical JSON; `deliveries` maps each target to its
# last outcome ({"ok", "attempts", "status"}).
alert_history = Table(
    "alert_history",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("id", Text, nullable=False),
    Column("alert_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("at", Double, nullable=False),
    Column("severity", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("deliveries", Text, nullable=False),
    PrimaryKeyConstraint("tenant", "id", name="pk_alert_history"),
    Index("ix_alert_history_at", "tenant", "at"),
)


@dataclass(frozen=True, slots=True)
class Delivery:
    target: str
    ok: bool
    attempts: int
    status: str


def history_row(tenant: str, event: AlertEvent) -> dict[str, Any]:
    """The `alert_history` row of an alert event of center `tenant`."""
    return {
        "tenant": tenant,
        "id": event.id,
        "alert_id": event.alert_id,
        "kind": event.kind,
        "at": event.at,
        "severity": event.severity.value,
        "data": json.dumps(event.as_dict(), sort_keys=True, separators=(",", ":")),
        "deliveries": "{}",
    }


class AlertHistory:
    """The `alert_history` table of one center (tenant). Blocking calls: run
    them in a thread from async code."""

    def __init__(self, engine: Engine, tenant: str = "default") -> None:
        self.engine = engine
        self.tenant = tenant
        self._lock = threading.Lock()

    def record(self, event: AlertEvent) -> bool:
        """Store the event; False if an event with that id was already stored."""
        row = history_row(self.tenant, event)
        try:
            with self._lock, self.engine.begin() as conn:
                conn.execute(insert(alert_history).values(**row))
        except IntegrityError:
            return False
        return True

    def mark(self, event_id: str, delivery: Delivery) -> None:
        """Write one delivery outcome into the event's row."""
        key = (alert_history.c.tenant == self.tenant) & (alert_history.c.id == event_id)
        # read-modify-write: take the write lock first (BEGIN IMMEDIATE on SQLite),
        # and one writer at a time in this process
        with self._lock, self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                current = conn.execute(select(alert_history.c.deliveries).where(key)).scalar()
                if current is None:
                    return
                deliveries = json.loads(current)
                deliveries[delivery.target] = {
                    "ok": delivery.ok,
                    "attempts": delivery.attempts,
                    "status": delivery.status,
                }
                text = json.dumps(deliveries, sort_keys=True)
                conn.execute(update(alert_history).where(key).values(deliveries=text))

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest alert events, newest first, with their delivery outcomes."""
        query = (
            select(alert_history.c.data, alert_history.c.deliveries)
            .where(alert_history.c.tenant == self.tenant)
            .order_by(alert_history.c.at.desc(), alert_history.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [{**json.loads(data), "deliveries": json.loads(dl)} for data, dl in rows]
