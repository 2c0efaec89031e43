"""Alembic environment of the joignable store.

Why it looks like this: migrations are run from code (``joignable.store.migrate``)
with a ``Config`` built in code and a connection that is already inside a
transaction holding the migration lock; this file only has to hand that
connection to Alembic.  When no connection is given (someone running the
``alembic`` command by hand with ``sqlalchemy.url`` set), it opens one itself,
through the store's own engine factory so the SQLite pragmas apply.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from joignable.store.db import make_engine, normalize_url
from joignable.store.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(normalize_url(config.get_main_option("sqlalchemy.url")))
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported by the joignable store")
run_migrations_online()
