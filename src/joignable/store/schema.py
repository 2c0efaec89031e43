"""Table definitions of the store, in SQLAlchemy Core.

Why Core tables and not ORM classes: the event log is append-only rows read
in order; there is no object identity, no relationship and no unit of work to
manage, and Core's executemany is what makes batched appends fast (see
docs/decisions/0002-event-log-in-sqlalchemy-core.md).

These definitions describe the schema the migrations produce; the migrations
in ``store/migrations/versions`` are what creates and upgrades a database.
A test checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Double, MetaData, PrimaryKeyConstraint, Table, Text

metadata = MetaData()

# One row per event.  ``seq`` is assigned by the engine, strictly increasing per
# tenant; the primary key makes a duplicate impossible.  ``data`` holds the
# payload as canonical JSON text (sorted keys, no spaces).
events = Table(
    "events",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", Double, nullable=False),
    Column("kind", Text, nullable=False),
    Column("data", Text, nullable=False),
    PrimaryKeyConstraint("tenant", "seq", name="pk_events"),
)

# A snapshot of a tenant's state as of event ``seq``, so that recovery can
# replay from there instead of from the first event.
snapshots = Table(
    "snapshots",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", Double, nullable=False),
    Column("data", Text, nullable=False),
    PrimaryKeyConstraint("tenant", "seq", name="pk_snapshots"),
)
