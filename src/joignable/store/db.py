"""Database URLs and engines for the store.

Why this module exists: the event log must behave the same on SQLite (the
embedded default) and on PostgreSQL (production).  Everything that differs
between the two — URL spelling, SQLite's per-connection pragmas, SQLite's
transaction control — is settled here, once, so the rest of the store is
written against plain SQLAlchemy Core.

SQLite settings, applied to *every* new DBAPI connection by a ``connect``
event (pragmas are per connection, so setting them once is not enough):

- ``journal_mode=WAL``: readers never block the writer and the writer never
  blocks readers; a commit appends to the WAL instead of rewriting pages.
- ``synchronous=FULL``: the WAL is fsync'ed at every commit, so a commit that
  returned survives a power cut, not only a process crash.
- ``busy_timeout``: a second process waits for the write lock instead of
  failing at once with "database is locked".
- ``foreign_keys=ON``: SQLite ignores foreign keys unless told otherwise.

The sqlite3 driver's own transaction handling ("legacy transaction control")
does not BEGIN before SELECT or DDL; we switch it off and emit BEGIN ourselves
(SQLAlchemy's documented recipe), so that a transaction means the same thing
as on PostgreSQL.  A connection carrying the execution option
``sqlite_begin="IMMEDIATE"`` takes the write lock at BEGIN: a writer that reads
(``max(seq)``) before it writes then can never fail half-way with
SQLITE_BUSY_SNAPSHOT.
"""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import StaticPool

ENV_VAR = "JOIGNABLE_DATABASE_URL"
DEFAULT_URL = "sqlite:///joignable.db"
BUSY_TIMEOUT_MS = 10_000

# Execution option read by the ``begin`` hook below (SQLite only).
SQLITE_BEGIN_OPTION = "sqlite_begin"
_SQLITE_BEGIN_MODES = {"DEFERRED", "IMMEDIATE", "EXCLUSIVE"}


def database_url(explicit: str | None = None) -> str:
    """The database URL to use: *explicit*, else ``$JOIGNABLE_DATABASE_URL``, else
    ``sqlite:///joignable.db``.  The result is normalized by :func:`normalize_url`
    (a plain path becomes a SQLite URL, ``postgresql://`` gets the psycopg driver).
    An empty string counts as "not given".
    """
    if explicit:
        return normalize_url(explicit)
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return normalize_url(env)
    return DEFAULT_URL


def normalize_url(url: str | None) -> str:
    """Turn what a user may type into a SQLAlchemy URL string.

    - ``None`` or ``""`` → ``sqlite:///joignable.db``;
    - a plain path (no ``://``) → ``sqlite:///<path>`` (``:memory:`` is allowed);
    - ``postgresql://`` or ``postgres://`` → ``postgresql+psycopg://`` (psycopg 3);
    - any other URL is returned unchanged.
    """
    if not url:
        return DEFAULT_URL
    if url == ":memory:":
        return "sqlite:///:memory:"
    if "://" not in url:
        return URL.create("sqlite", database=url).render_as_string(hide_password=False)
    scheme, rest = url.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return url


def redact(url: str) -> str:
    """*url* with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL: show nothing of it rather than a secret
        return "<unparseable database URL>"


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A SQLAlchemy engine for *url* (already normalized), with the SQLite
    pragmas and transaction hooks installed when it is SQLite."""
    sa_url = make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(sa_url, **kwargs)

    memory = sa_url.database in (None, "", ":memory:")
    if memory:
        # One shared connection, or every pooled connection sees its own empty db.
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    engine = create_engine(sa_url, **kwargs)
    _install_sqlite_hooks(engine, memory=memory)
    return engine


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the database file to WAL.  The mode is stored in the file, so this
    is a read on every connection but the first.  Switching a fresh file takes
    an exclusive lock and SQLite reports "database is locked" at once, without
    waiting on busy_timeout, when another connection is doing the same: retry
    for up to busy_timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            return
        try:
            mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)
            continue
        if mode != "wal":
            raise sqlite3.OperationalError(f"cannot put the database in WAL mode (got {mode!r})")
        return


def _install_sqlite_hooks(engine: Engine, *, memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if not memory:
                _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = str(conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")).upper()
        if mode not in _SQLITE_BEGIN_MODES:
            raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")
