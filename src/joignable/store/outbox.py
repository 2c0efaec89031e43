"""The notification outbox: one row per (logged alert or throttle event, destination).

Why a table: an alert e-mail or webhook that was only in memory was lost by
a restart, and a retry loop in memory died with it. Each notice the center
owes is a row, written in the same transaction as the decision's history
row (`alert_history`) and the feed's cursor, so a crash leaves either all
three or none; the delivery worker (`service/delivery.py`) takes due rows,
sends and marks them.

* Key `(tenant, seq, destination)`: `seq` is the logged event's, the
  destination ``webhook <url>`` or ``email <recipients>``; an insert that
  meets an existing key does nothing, so a replay or a second write of the
  same event makes no second row.
* `status`: ``pending`` (due at `next_at`), ``sending`` (claimed by the
  worker: marked *before* the send), ``sent`` (marked after), ``failed``
  (refused for good, or out of attempts). `attempts` counts the sends
  started, `last_error` the last failure.
* `outbox_cursor`: the highest event seq the feed has handled; at start the
  feed writes the rows of the logged events above it (a crash between the
  log and the outbox loses no notice). Migration 0005 sets it to each
  existing center's last seq, so an older database does not tell its whole
  history again.

At-least-once edge: a crash between a send and its "sent" mark leaves the
row ``sending``; at start (`resume`) it is pending again and is sent a second
time, with the same `Idempotency-Key` / Message-ID (both derived from the
notice id), so that a receiver can tell it is the same notice. Blocking
calls: async callers run them in a thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Double,
    Engine,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from joignable.store.alerts import alert_history
from joignable.store.db import SQLITE_BEGIN_OPTION
from joignable.store.schema import metadata

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"

notice_outbox = Table(
    "notice_outbox",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("destination", Text, nullable=False),
    Column("notice_id", Text, nullable=False),
    Column("notice", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", Double, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("sent_at", Double, nullable=True),
    PrimaryKeyConstraint("tenant", "seq", "destination", name="pk_notice_outbox"),
    Index("ix_notice_outbox_due", "tenant", "status", "next_at"),
)

outbox_cursor = Table(
    "outbox_cursor",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant", name="pk_outbox_cursor"),
)


@dataclass(frozen=True, slots=True)
class Owed:
    """What the feed writes for one logged event: its `alert_history` row and
    the notice (a JSON-ready dict) owed to each of `destinations`."""

    seq: int
    history: dict[str, Any]
    notice_id: str
    notice: dict[str, Any]
    destinations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    seq: int
    destination: str
    notice_id: str
    notice: dict[str, Any]
    status: str
    attempts: int
    next_at: float
    last_error: str
    created_at: float
    sent_at: float | None

    def about(self) -> dict[str, Any]:
        """What the notice tells of: the alert's or the throttle decision's fields."""
        payload = self.notice.get("payload")
        return payload if isinstance(payload, dict) else {}

    def as_dict(self) -> dict[str, Any]:
        """The row as an API shows it (the notice by its id, kind and subject)."""
        return {
            "seq": self.seq,
            "destination": self.destination,
            "notice_id": self.notice_id,
            "kind": self.notice.get("kind", ""),
            "subject": self.notice.get("subject", ""),
            "status": self.status,
            "attempts": self.attempts,
            "next_at": self.next_at,
            "last_error": self.last_error,
            "created_at": self.created_at,
            "sent_at": self.sent_at,
        }


def _insert_new(conn: Connection, table: Table, row: dict[str, Any]) -> bool:
    """Insert `row` unless its key exists; whether it was inserted."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    key = next(iter(table.primary_key.columns))
    statement = dialect.insert(table).values(**row).on_conflict_do_nothing().returning(key)
    # RETURNING, not rowcount: psycopg does not count a row this statement skipped
    return conn.execute(statement).first() is not None


class Outbox:
    """The outbox of one center (tenant)."""

    def __init__(self, engine: Engine, tenant: str = "default") -> None:
        self.engine = engine
        self.tenant = tenant
        self._lock = threading.Lock()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction (the write lock first on SQLite), one writer at a
        time in this process."""
        with self._lock, self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                yield conn

    def _key(self, seq: int, destination: str) -> Any:
        t = notice_outbox.c
        return (t.tenant == self.tenant) & (t.seq == seq) & (t.destination == destination)

    def cursor(self) -> int:
        """The highest event seq the feed has handled (0: none)."""
        query = select(outbox_cursor.c.seq).where(outbox_cursor.c.tenant == self.tenant)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def feed(self, owed: Sequence[Owed], cursor: int, now: float) -> int:
        """In one transaction: each event's history row and, when that row is
        new (an event already recorded was already told), one pending row per
        destination; then the cursor moves to `cursor`. Returns the outbox rows
        written; an event fed twice writes nothing the second time."""
        written = 0
        with self._write() as conn:
            for item in owed:
                if not _insert_new(conn, alert_history, item.history):
                    continue
                text = json.dumps(item.notice, sort_keys=True, separators=(",", ":"))
                for destination in item.destinations:
                    row = {
                        "tenant": self.tenant, "seq": item.seq, "destination": destination,
                        "notice_id": item.notice_id, "notice": text, "status": PENDING,
                        "attempts": 0, "next_at": now, "last_error": "", "created_at": now,
                        "sent_at": None,
                    }  # fmt: skip
                    written += _insert_new(conn, notice_outbox, row)
            c = outbox_cursor.c
            current = conn.execute(select(c.seq).where(c.tenant == self.tenant)).scalar()
            if current is None:
                conn.execute(outbox_cursor.insert().values(tenant=self.tenant, seq=cursor))
            elif cursor > current:
                conn.execute(
                    update(outbox_cursor).where(c.tenant == self.tenant).values(seq=cursor)
                )
        return written

    def resume(self, now: float) -> int:
        """At start: rows left ``sending`` by a stop or a crash (maybe sent,
        maybe not: the at-least-once edge) are pending again, and every pending
        row is due now. Returns how many were left ``sending``."""
        t = notice_outbox.c
        mine = t.tenant == self.tenant
        with self._write() as conn:
            left = conn.execute(
                update(notice_outbox).where(mine & (t.status == SENDING)).values(status=PENDING)
            ).rowcount
            conn.execute(
                update(notice_outbox)
                .where(mine & (t.status == PENDING) & (t.next_at > now))
                .values(next_at=now)
            )
        return int(left)

    def due(self, now: float, limit: int = 20) -> list[OutboxRow]:
        """The pending rows due at `now`, the longest due first."""
        t = notice_outbox.c
        query = (
            select(notice_outbox)
            .where((t.tenant == self.tenant) & (t.status == PENDING) & (t.next_at <= now))
            .order_by(t.next_at, t.seq, t.destination)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query).mappings()]

    def next_due(self) -> float | None:
        """When the next pending row is due (None: nothing pending)."""
        t = notice_outbox.c
        query = select(func.min(t.next_at)).where((t.tenant == self.tenant) & (t.status == PENDING))
        with self.engine.connect() as conn:
            value = conn.execute(query).scalar()
        return None if value is None else float(value)

    def claim(self, seq: int, destination: str) -> int | None:
        """Mark a pending row ``sending`` before its send; the attempt number it
        now has, or None when it is not pending (another worker took it)."""
        t = notice_outbox.c
        with self._write() as conn:
            claimed = conn.execute(
                update(notice_outbox)
                .where(self._key(seq, destination) & (t.status == PENDING))
                .values(status=SENDING, attempts=t.attempts + 1)
            ).rowcount
            if claimed != 1:
                return None
            attempts = conn.execute(select(t.attempts).where(self._key(seq, destination)))
            return int(attempts.scalar_one())

    def finish(
        self,
        seq: int,
        destination: str,
        status: str,
        *,
        now: float,
        next_at: float | None = None,
        error: str = "",
    ) -> None:
        """After a send: ``sent``, ``failed`` (with `error`), or ``pending`` again
        at `next_at` (a retry, with `error`)."""
        if status not in (SENT, FAILED, PENDING):
            raise ValueError(f"unknown outbox status {status!r}")
        values: dict[str, Any] = {"status": status}
        if status == SENT:
            values["sent_at"] = now
        else:
            values["last_error"] = error[:1000]
        if status == PENDING:
            values["next_at"] = now if next_at is None else next_at
        with self._write() as conn:
            conn.execute(update(notice_outbox).where(self._key(seq, destination)).values(**values))

    def rows(self, *, unsent: bool = False, limit: int = 100) -> list[OutboxRow]:
        """The latest rows, newest event first; `unsent`: only those not sent."""
        t = notice_outbox.c
        where = t.tenant == self.tenant
        if unsent:
            where = where & (t.status != SENT)
        query = select(notice_outbox).where(where).order_by(t.seq.desc(), t.destination)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query.limit(limit)).mappings()]

    def counts(self) -> dict[str, int]:
        """How many rows are in each status."""
        t = notice_outbox.c
        query = select(t.status, func.count()).where(t.tenant == self.tenant).group_by(t.status)
        with self.engine.connect() as conn:
            found = {str(s): int(n) for s, n in conn.execute(query).all()}
        return {status: found.get(status, 0) for status in (PENDING, SENDING, SENT, FAILED)}


def _row(r: Any) -> OutboxRow:
    return OutboxRow(
        seq=int(r["seq"]),
        destination=str(r["destination"]),
        notice_id=str(r["notice_id"]),
        notice=json.loads(r["notice"]),
        status=str(r["status"]),
        attempts=int(r["attempts"]),
        next_at=float(r["next_at"]),
        last_error=str(r["last_error"]),
        created_at=float(r["created_at"]),
        sent_at=None if r["sent_at"] is None else float(r["sent_at"]),
    )
