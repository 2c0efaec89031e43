"""Data access for the server's own tables: users, tokens and sessions,
idempotency keys, the applied center configuration, secrets.

Why a separate module: the event log stays append-only and generic; these are
small mutable tables the web layer needs. Same database, same engine (pass
`EventLog.engine`); every method is a short transaction, blocking, so async
callers run it in a thread. Tables are defined on the store's shared metadata
and created by migration 0002.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Double,
    Engine,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    Table,
    Text,
    delete,
    false,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from joignable.store.eventlog import RowWriter, StoreError
from joignable.store.schema import metadata

users = Table(
    "users",
    metadata,
    Column("name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("sites", Text, nullable=False),  # JSON list of site ids ([] = all)
    Column("outsourcer", Text, nullable=False),  # "" = not scoped to an outsourcer
    Column("agent_id", Text, nullable=False),  # the agent an agent user acts as
    Column("created_at", Double, nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=false()),  # migration 0004
    PrimaryKeyConstraint("name", name="pk_users"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", Text, nullable=False),
    Column("user_name", Text, nullable=False),
    Column("kind", Text, nullable=False),  # "api" (bearer) or "session" (cookie)
    Column("created_at", Double, nullable=False),
    Column("expires_at", Double, nullable=False),
    PrimaryKeyConstraint("token_hash", name="pk_api_tokens"),
    ForeignKeyConstraint(
        ["user_name"], ["users.name"], name="fk_api_tokens_user", ondelete="CASCADE"
    ),
    Index("ix_api_tokens_user", "user_name"),
    Index("ix_api_tokens_expires", "expires_at"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("contact_id", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("done", Boolean, nullable=False),
    PrimaryKeyConstraint("tenant", "key", name="pk_idempotency_keys"),
    Index("ix_idempotency_keys_created", "tenant", "created_at"),
)

center_config = Table(
    "center_config",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("document", Text, nullable=False),
    Column("updated_at", Double, nullable=False),
    Column("updated_by", Text, nullable=False),
    PrimaryKeyConstraint("tenant", name="pk_center_config"),
)

server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", Text, nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("name", name="pk_server_secrets"),
)


class UserExists(Exception):
    """A user with that name already exists."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    name: str
    password_hash: str
    role: str
    sites: tuple[str, ...]
    outsourcer: str
    agent_id: str
    created_at: float
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    key: str
    contact_id: str
    fingerprint: str
    done: bool


@dataclass(frozen=True, slots=True)
class StoredConfig:
    document: dict[str, Any]
    updated_at: float
    updated_by: str


def _user(row: Any) -> UserRecord:
    return UserRecord(
        name=row.name,
        password_hash=row.password_hash,
        role=row.role,
        sites=tuple(json.loads(row.sites)),
        outsourcer=row.outsourcer,
        agent_id=row.agent_id,
        created_at=row.created_at,
        disabled=bool(row.disabled),
    )


class Accounts:
    """The server tables of one database; `tenant` scopes keys and config."""

    def __init__(self, engine: Engine, tenant: str = "default") -> None:
        self.engine = engine
        self.tenant = tenant

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A write transaction; the database gone away is a `StoreError`."""
        with _unavailable(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A read connection; the database gone away is a `StoreError`."""
        with _unavailable(), self.engine.connect() as conn:
            yield conn

    # -- users -----------------------------------------------------------------

    def add_user(
        self,
        name: str,
        password_hash: str,
        role: str,
        *,
        sites: tuple[str, ...] = (),
        outsourcer: str = "",
        agent_id: str = "",
        now: float,
    ) -> UserRecord:
        """Create a user; raises `UserExists` if the name is taken."""
        row = {
            "name": name,
            "password_hash": password_hash,
            "role": role,
            "sites": json.dumps(sorted(sites)),
            "outsourcer": outsourcer,
            "agent_id": agent_id,
            "created_at": now,
        }
        try:
            with self._begin() as conn:
                conn.execute(users.insert(), row)
        except IntegrityError:
            raise UserExists(f"user {name!r} already exists") from None
        return UserRecord(
            name, password_hash, role, tuple(sorted(sites)), outsourcer, agent_id, now
        )

    def set_password(self, name: str, password_hash: str) -> bool:
        """Replace a user's password hash and end every token and session of
        theirs in the same transaction; False if there is no such user."""
        with self._begin() as conn:
            result = conn.execute(
                update(users).where(users.c.name == name).values(password_hash=password_hash)
            )
            conn.execute(delete(api_tokens).where(api_tokens.c.user_name == name))
        return bool(result.rowcount)

    def set_disabled(self, name: str, disabled: bool) -> bool:
        """Disable a user (their tokens and sessions end in the same
        transaction; signing in is refused) or enable them again; False if
        there is no such user."""
        with self._begin() as conn:
            result = conn.execute(
                update(users).where(users.c.name == name).values(disabled=disabled)
            )
            if disabled:
                conn.execute(delete(api_tokens).where(api_tokens.c.user_name == name))
        return bool(result.rowcount)

    def delete_user(self, name: str) -> bool:
        """Delete a user with their tokens and sessions; False if there is none."""
        with self._begin() as conn:
            conn.execute(delete(api_tokens).where(api_tokens.c.user_name == name))
            result = conn.execute(delete(users).where(users.c.name == name))
        return bool(result.rowcount)

    def get_user(self, name: str) -> UserRecord | None:
        with self._connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        return _user(row) if row is not None else None

    def list_users(self) -> list[UserRecord]:
        with self._connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.name)).all()
        return [_user(r) for r in rows]

    def count_users(self) -> int:
        return len(self.list_users())

    # -- tokens and sessions -----------------------------------------------------

    def add_token(self, token_hash: str, user: str, kind: str, *, now: float, ttl: float) -> None:
        """Store a token (by its hash) valid for `ttl` seconds from `now`."""
        with self._begin() as conn:
            conn.execute(
                api_tokens.insert(),
                {
                    "token_hash": token_hash,
                    "user_name": user,
                    "kind": kind,
                    "created_at": now,
                    "expires_at": now + ttl,
                },
            )

    def token_user(self, token_hash: str, kind: str, now: float) -> tuple[UserRecord, float] | None:
        """(the user, expiry) of a valid, unexpired token of `kind`, or None."""
        query = (
            select(users, api_tokens.c.expires_at)
            .join(api_tokens, api_tokens.c.user_name == users.c.name)
            .where(
                api_tokens.c.token_hash == token_hash,
                api_tokens.c.kind == kind,
                api_tokens.c.expires_at > now,
                users.c.disabled.is_(False),
            )
        )
        with self._connect() as conn:
            row = conn.execute(query).first()
        return (_user(row), float(row.expires_at)) if row is not None else None

    def delete_token(self, token_hash: str) -> None:
        with self._begin() as conn:
            conn.execute(delete(api_tokens).where(api_tokens.c.token_hash == token_hash))

    def purge_tokens(self, now: float) -> int:
        """Delete expired tokens; return how many."""
        with self._begin() as conn:
            result = conn.execute(delete(api_tokens).where(api_tokens.c.expires_at <= now))
        return int(result.rowcount or 0)

    # -- idempotency keys -----------------------------------------------------------

    def get_key(self, key: str) -> IdempotencyRecord | None:
        t = idempotency_keys.c
        with self._connect() as conn:
            row = conn.execute(
                select(t.key, t.contact_id, t.fingerprint, t.done).where(
                    t.tenant == self.tenant, t.key == key
                )
            ).first()
        if row is None:
            return None
        return IdempotencyRecord(row.key, row.contact_id, row.fingerprint, bool(row.done))

    def claim_key(
        self, key: str, contact_id: str, fingerprint: str, now: float
    ) -> IdempotencyRecord:
        """Record `key` → `contact_id` (not yet done); if the key exists already,
        return the existing record instead."""
        row = self._key_row(key, contact_id, fingerprint, now, done=False)
        try:
            with self._begin() as conn:
                conn.execute(idempotency_keys.insert(), row)
        except IntegrityError:
            existing = self.get_key(key)
            if existing is None:  # deleted in between: try once more
                return self.claim_key(key, contact_id, fingerprint, now)
            return existing
        return IdempotencyRecord(key, contact_id, fingerprint, False)

    def _key_row(
        self, key: str, contact_id: str, fingerprint: str, now: float, *, done: bool
    ) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "key": key,
            "contact_id": contact_id,
            "fingerprint": fingerprint,
            "created_at": now,
            "done": done,
        }

    def purge_keys(self, before: float) -> int:
        """Delete this tenant's idempotency keys created before `before`; return
        how many. A retry with a purged key makes a new contact."""
        t = idempotency_keys.c
        with self._begin() as conn:
            result = conn.execute(
                delete(idempotency_keys).where(t.tenant == self.tenant, t.created_at < before)
            )
        return int(result.rowcount or 0)

    def key_writer(self, key: str, contact_id: str, fingerprint: str, now: float) -> RowWriter:
        """A writer of `key` → `contact_id` (done) for the event log's append
        (`EventLog.append(also=...)`): the key becomes durable in the very
        transaction of its contact. A key already there is left as it is."""
        row = self._key_row(key, contact_id, fingerprint, now, done=True)

        def write(conn: Connection) -> None:
            if conn.dialect.name == "postgresql":
                statement: Any = pg_insert(idempotency_keys).on_conflict_do_nothing()
            else:
                statement = sqlite_insert(idempotency_keys).on_conflict_do_nothing()
            conn.execute(statement, row)

        return write

    def mark_key_done(self, key: str) -> None:
        t = idempotency_keys.c
        with self._begin() as conn:
            conn.execute(
                update(idempotency_keys)
                .where(t.tenant == self.tenant, t.key == key)
                .values(done=True)
            )

    # -- center configuration --------------------------------------------------------

    def load_config(self) -> StoredConfig | None:
        """The configuration last applied to this tenant, or None."""
        t = center_config.c
        with self._connect() as conn:
            row = conn.execute(select(center_config).where(t.tenant == self.tenant)).first()
        if row is None:
            return None
        return StoredConfig(json.loads(row.document), row.updated_at, row.updated_by)

    def save_config(self, document: dict[str, Any], *, by: str, now: float) -> None:
        """Replace the stored configuration of this tenant."""
        text = json.dumps(document, sort_keys=True, separators=(",", ":"))
        t = center_config.c
        with self._begin() as conn:
            done = conn.execute(
                update(center_config)
                .where(t.tenant == self.tenant)
                .values(document=text, updated_at=now, updated_by=by)
            )
            if not done.rowcount:
                conn.execute(
                    center_config.insert(),
                    {"tenant": self.tenant, "document": text, "updated_at": now, "updated_by": by},
                )

    # -- secrets -----------------------------------------------------------------------

    def secret(self, name: str) -> str:
        """The secret called `name`, generated (32 random bytes) and stored at first use."""
        query = select(server_secrets.c.value).where(server_secrets.c.name == name)
        with self._connect() as conn:
            value = conn.execute(query).scalar_one_or_none()
        if value is not None:
            return str(value)
        try:
            with self._begin() as conn:
                conn.execute(
                    server_secrets.insert(), {"name": name, "value": secrets.token_urlsafe(32)}
                )
        except IntegrityError:
            pass  # another process made it first
        with self._connect() as conn:
            return str(conn.execute(query).scalar_one())


@contextmanager
def _unavailable() -> Iterator[None]:
    """Any database failure but a constraint (which callers turn into their own
    answer: a taken name, a claimed key) becomes a `StoreError`, which the
    server answers 503 with Retry-After like an event log that does not answer."""
    try:
        yield
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise StoreError(f"the database does not answer: {cause}") from exc
