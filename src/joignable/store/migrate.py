"""Create and upgrade the store's schema with the Alembic migrations shipped in
this package.

Why in code: ``EventLog.open`` upgrades the schema itself, so an embedded
install needs no ``alembic.ini`` and no separate step.  Two processes may open
the same database at once, so the upgrade runs inside one transaction that
first takes a lock — ``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped
advisory lock on PostgreSQL — and the second process then finds the schema
already at head.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from joignable.store.db import SQLITE_BEGIN_OPTION

# Arbitrary, fixed key for pg_advisory_xact_lock ("joignable" in a bigint).
_PG_MIGRATION_LOCK = 0x6A6F69676E61626C


def migrations_dir() -> str:
    """Absolute path of the migrations folder inside the installed package."""
    return str(resources.files("joignable.store") / "migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` built in code (no ``alembic.ini``); *connection*,
    when given, is the one the migrations run on."""
    config = Config()
    config.set_main_option("script_location", migrations_dir())
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision shipped with this version of joignable."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; ``None`` for an empty database."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind *engine* to *revision*, under a lock.
    Idempotent: a database already there is left untouched."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            command.upgrade(alembic_config(conn), revision)
