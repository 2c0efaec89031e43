"""The durable event log: the source of truth of a contact center.

Why it is shaped like this: the routing core assigns every event a per-tenant
sequence number and must not acknowledge anything to the outside world before
the event is on disk.  So ``append`` takes a whole batch, writes it in one
transaction and returns only once that transaction is committed; a sequence
number already taken makes the whole batch fail (``SequenceConflict``) — two
writers for one tenant is a bug to stop on, never something to merge.
Reading is keyset pagination on the primary key ``(tenant, seq)``: any number
of events streams in bounded memory, without holding a connection or a read
lock between batches.

The same code runs on SQLite and PostgreSQL; the differences live in
``store/db.py``.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from joignable.store import migrate
from joignable.store.db import SQLITE_BEGIN_OPTION, make_engine, normalize_url, redact
from joignable.store.schema import events as events_table
from joignable.store.schema import snapshots as snapshots_table

READ_BATCH = 2_000


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event as the store keeps it (the routing core serializes to this)."""

    seq: int  # per-tenant sequence number, strictly increasing, assigned by the engine
    at: float  # event time, seconds since the Unix epoch (virtual or real clock)
    kind: str  # event class name, e.g. "ContactQueued"
    data: dict[str, Any]  # JSON-serializable payload


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A tenant's state as of event ``seq`` (the payload is the caller's)."""

    seq: int
    at: float
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventLogStatistics:
    """What one ``EventLog`` object has done since it was opened."""

    tenant: str
    backend: str  # "sqlite" or "postgresql"
    events_appended: int
    batches_appended: int
    conflicts: int
    last_seq: int  # highest seq known to this object (read at open, then appended)


#: Writes more rows in the transaction of an append (see `EventLog.append`).
RowWriter = Callable[[Connection], None]


class StoreError(Exception):
    """The store could not do what was asked (database unreachable, schema
    missing, payload not JSON, log closed...)."""


class SequenceConflict(StoreError):
    """A batch reused or went back on a sequence number; nothing of it was written."""


def encode_data(data: dict[str, Any]) -> str:
    """Canonical JSON text of a payload: sorted keys, no spaces, no NaN.
    Raises `ValueError` on a non-finite number or a lone surrogate in a key or
    string (JSON escapes it, but it has no UTF-8 and PostgreSQL refuses it)."""
    _refuse_lone_surrogates(data)
    return json.dumps(data, separators=(",", ":"), sort_keys=True, allow_nan=False)


def _refuse_lone_surrogates(value: Any) -> None:
    if isinstance(value, str):
        value.encode("utf-8")  # UnicodeEncodeError (a ValueError) on a lone surrogate
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_lone_surrogates(key)
            _refuse_lone_surrogates(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_lone_surrogates(item)


class EventLog:
    """Append-only, per-tenant event log on SQLite or PostgreSQL.

    Open it with :meth:`EventLog.open`; it is a context manager.  Methods are
    safe to call from several threads (each call takes its own pooled
    connection); ``append`` blocks until the batch is durable, so async
    callers run it in a thread.
    """

    def __init__(self, engine: Engine, *, tenant: str, url: str) -> None:
        self._engine = engine
        self._tenant = tenant
        self._url = url
        self._sqlite = engine.dialect.name == "sqlite"
        self._lock = threading.Lock()
        self._closed = False
        self._events_appended = 0
        self._batches_appended = 0
        self._conflicts = 0
        self._last_seq = 0

    # -- opening and closing -------------------------------------------------

    @classmethod
    def open(
        cls, url: str | None = None, *, tenant: str = "default", create: bool = True
    ) -> EventLog:
        """Open the event log of *tenant* in the database at *url*.

        *url* is a SQLAlchemy URL (``sqlite:///path``, ``postgresql+psycopg://…``;
        ``postgresql://`` is accepted) or a plain SQLite file path; ``None``
        means ``joignable.db`` in the current folder.  The environment is not
        read here: use :func:`joignable.store.db.database_url` for that.

        With *create* (the default) the schema is created or upgraded by the
        packaged Alembic migrations; without it the database must already be at
        the current schema.  Raises :class:`StoreError` when the database cannot
        be reached or its schema is missing or out of date.
        """
        if not isinstance(tenant, str) or not tenant:
            raise ValueError("tenant must be a non-empty string")
        normalized = normalize_url(url)
        if not create:
            _require_existing_sqlite_file(normalized)
        engine = make_engine(normalized)
        try:
            with _open_errors(normalized):
                if create:
                    migrate.upgrade(engine)
                else:
                    _require_schema_at_head(engine, normalized)
                log = cls(engine, tenant=tenant, url=normalized)
                log._last_seq = log.last_seq()
        except BaseException:
            engine.dispose()
            raise
        return log

    def close(self) -> None:
        """Release the database connections.  Closing twice is harmless."""
        if not self._closed:
            self._closed = True
            self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<EventLog {redact(self._url)} tenant={self._tenant!r} {state}>"

    @property
    def tenant(self) -> str:
        return self._tenant

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return redact(self._url)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (pragmas and hooks installed), for read models
        and tests that need to look at the database directly."""
        return self._engine

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    # -- writing ---------------------------------------------------------------

    def append(self, events: Sequence[StoredEvent], *, also: Sequence[RowWriter] = ()) -> None:
        """Write *events* in one transaction; return once it is committed.

        Each of *also* is called with the transaction's connection after the
        events are inserted, to write rows that must be durable exactly when
        these events are (an arrival's idempotency key): one commit, one fsync.

        The batch must be in strictly increasing ``seq`` order and start past
        every seq already in the log.  Otherwise :class:`SequenceConflict` is
        raised and nothing of the batch is written.  Raises :class:`StoreError`
        when a payload is not JSON-serializable (again writing nothing) or the
        database fails.  An empty batch does nothing.
        """
        self._check_open()
        if not events:
            return
        try:
            rows = self._rows(events)
            first, last = rows[0]["seq"], rows[-1]["seq"]
            with self._connection(write=True) as conn, conn.begin():
                stored_max = self._max_seq(conn)
                if first <= stored_max:
                    raise SequenceConflict(
                        f"tenant {self._tenant!r}: batch starts at seq {first} "
                        f"but the log already holds seq {stored_max}"
                    )
                conn.execute(events_table.insert(), rows)
                for write in also:
                    write(conn)
        except SequenceConflict:
            self._count_conflict()
            raise
        except IntegrityError as exc:
            self._count_conflict()
            raise SequenceConflict(
                f"tenant {self._tenant!r}: seq {first}..{last} collides with stored events"
            ) from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"appending seq {first}..{last} failed: {exc}") from exc
        with self._lock:
            self._events_appended += len(rows)
            self._batches_appended += 1
            self._last_seq = max(self._last_seq, last)

    def _rows(self, events: Sequence[StoredEvent]) -> list[dict[str, Any]]:
        """Validate and encode a batch before any database work."""
        rows: list[dict[str, Any]] = []
        previous = 0
        for event in events:
            seq = event.seq
            if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
                raise StoreError(f"seq must be a positive integer, got {seq!r}")
            if seq <= previous:
                raise SequenceConflict(
                    f"tenant {self._tenant!r}: batch is not strictly increasing "
                    f"(seq {seq} after {previous})"
                )
            previous = seq
            at = float(event.at)
            if not math.isfinite(at):
                raise StoreError(f"seq {seq}: event time must be finite, got {event.at!r}")
            try:
                data = encode_data(event.data)
            except (TypeError, ValueError) as exc:
                raise StoreError(f"seq {seq} ({event.kind}): data is not JSON: {exc}") from exc
            rows.append(
                {"tenant": self._tenant, "seq": seq, "at": at, "kind": event.kind, "data": data}
            )
        return rows

    def _count_conflict(self) -> None:
        with self._lock:
            self._conflicts += 1

    # -- reading ---------------------------------------------------------------

    def read(self, after_seq: int = 0, limit: int | None = None) -> Iterator[StoredEvent]:
        """Events with ``seq > after_seq`` in seq order, at most *limit* of them.

        Streams in batches of a few thousand rows, each fetched with its own
        short query, so memory stays bounded whatever the log's size and
        events appended while iterating are seen if they are past the cursor.
        """
        self._check_open()
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        return self._read(after_seq, limit)

    def _read(self, after_seq: int, limit: int | None) -> Iterator[StoredEvent]:
        cursor = after_seq
        remaining = limit
        t = events_table.c
        while remaining is None or remaining > 0:
            size = READ_BATCH if remaining is None else min(READ_BATCH, remaining)
            query = (
                select(t.seq, t.at, t.kind, t.data)
                .where(t.tenant == self._tenant, t.seq > cursor)
                .order_by(t.seq)
                .limit(size)
            )
            with _store_errors("reading events"), self._connection() as conn:
                rows = conn.execute(query).all()
            for seq, at, kind, data in rows:
                yield StoredEvent(seq=seq, at=at, kind=kind, data=json.loads(data))
            if len(rows) < size:
                return
            cursor = rows[-1].seq
            if remaining is not None:
                remaining -= len(rows)

    def last_seq(self) -> int:
        """The highest seq stored for this tenant, 0 when there is none."""
        self._check_open()
        with _store_errors("reading last seq"), self._connection() as conn:
            return self._max_seq(conn)

    def count(self) -> int:
        """How many events this tenant's log holds."""
        self._check_open()
        query = select(func.count()).select_from(events_table)
        query = query.where(events_table.c.tenant == self._tenant)
        with _store_errors("counting events"), self._connection() as conn:
            return int(conn.execute(query).scalar_one())

    def tenants(self) -> dict[str, int]:
        """Every center (tenant) this database holds events for, with its count."""
        self._check_open()
        t = events_table.c
        query = select(t.tenant, func.count()).group_by(t.tenant).order_by(t.tenant)
        with _store_errors("listing tenants"), self._connection() as conn:
            return {str(name): int(n) for name, n in conn.execute(query)}

    def _max_seq(self, conn: Connection) -> int:
        query = select(func.max(events_table.c.seq)).where(events_table.c.tenant == self._tenant)
        value = conn.execute(query).scalar_one()
        return int(value) if value is not None else 0

    # -- snapshots -------------------------------------------------------------

    def save_snapshot(self, seq: int, at: float, data: dict[str, Any]) -> None:
        """Store a snapshot of the state as of event *seq* (durable on return).
        Raises :class:`SequenceConflict` if a snapshot at that seq exists."""
        self._check_open()
        try:
            encoded = encode_data(data)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"snapshot at seq {seq}: data is not JSON: {exc}") from exc
        row = {"tenant": self._tenant, "seq": seq, "at": float(at), "data": encoded}
        try:
            with self._connection(write=True) as conn, conn.begin():
                conn.execute(snapshots_table.insert(), row)
        except IntegrityError as exc:
            raise SequenceConflict(f"a snapshot at seq {seq} already exists") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"saving snapshot at seq {seq} failed: {exc}") from exc

    def latest_snapshot(self) -> Snapshot | None:
        """The snapshot with the highest seq, or ``None``."""
        self._check_open()
        t = snapshots_table.c
        query = (
            select(t.seq, t.at, t.data)
            .where(t.tenant == self._tenant)
            .order_by(t.seq.desc())
            .limit(1)
        )
        with _store_errors("reading snapshot"), self._connection() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return Snapshot(seq=row.seq, at=row.at, data=json.loads(row.data))

    def prune_snapshots(self, keep: int) -> int:
        """Delete all but the *keep* newest snapshots; how many were deleted."""
        self._check_open()
        if keep < 1:
            raise ValueError("keep must be >= 1")
        t = snapshots_table.c
        newest = select(t.seq).where(t.tenant == self._tenant).order_by(t.seq.desc()).limit(keep)
        with _store_errors("pruning snapshots"), self._connection(write=True) as conn:
            with conn.begin():
                seqs = conn.execute(newest).scalars().all()
                if len(seqs) < keep:
                    return 0
                result = conn.execute(
                    snapshots_table.delete().where(t.tenant == self._tenant, t.seq < seqs[-1])
                )
            return int(result.rowcount or 0)

    # -- introspection -----------------------------------------------------------

    def statistics(self) -> EventLogStatistics:
        """A frozen snapshot of this object's counters (no database access)."""
        with self._lock:
            return EventLogStatistics(
                tenant=self._tenant,
                backend=self.backend,
                events_appended=self._events_appended,
                batches_appended=self._batches_appended,
                conflicts=self._conflicts,
                last_seq=self._last_seq,
            )

    # -- helpers -----------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the event log is closed")

    def _connection(self, *, write: bool = False) -> Connection:
        conn = self._engine.connect()
        if write and self._sqlite:
            # Take SQLite's write lock at BEGIN (see store/db.py).
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        return conn


@contextmanager
def _store_errors(action: str) -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        raise StoreError(f"{action} failed: {exc}") from exc


@contextmanager
def _open_errors(url: str) -> Iterator[None]:
    """A database that cannot be opened as one line: which (password masked) and
    why — the driver's reason, without SQLAlchemy's statement and help link."""
    try:
        yield
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc.__cause__ or exc
        reason = " ".join(line.strip() for line in str(cause).splitlines() if line.strip())
        raise StoreError(f"cannot open the database {redact(url)}: {reason}") from exc


def _require_existing_sqlite_file(url: str) -> None:
    """With ``create=False``, do not let SQLite create an empty file."""
    sa_url = make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        return
    path = sa_url.database
    if path and path != ":memory:" and not os.path.exists(path):
        raise StoreError(f"no database at {path} (open it with create=True to create one)")


def _require_schema_at_head(engine: Engine, url: str) -> None:
    head = migrate.head_revision()
    with engine.connect() as conn:
        current = migrate.current_revision(conn)
    if current != head:
        raise StoreError(
            f"database {redact(url)} is at schema revision {current or 'none'}, "
            f"this joignable needs {head}: open it with create=True to upgrade"
        )
