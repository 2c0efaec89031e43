"""Durable storage: the event log (source of truth), snapshots, migrations.

SQLite by default, PostgreSQL in production, same code (see docs/storage.md).
"""

# every module defining tables, so that `schema.metadata` describes the whole
# database (the migrations are checked against it) whatever was imported first
from joignable.store import accounts, alerts, outbox  # noqa: F401
from joignable.store.db import database_url, normalize_url
from joignable.store.eventlog import (
    EventLog,
    EventLogStatistics,
    SequenceConflict,
    Snapshot,
    StoredEvent,
    StoreError,
)

__all__ = [
    "EventLog",
    "EventLogStatistics",
    "SequenceConflict",
    "Snapshot",
    "StoreError",
    "StoredEvent",
    "database_url",
    "normalize_url",
]
