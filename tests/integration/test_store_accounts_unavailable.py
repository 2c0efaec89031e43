"""The server's own tables (users, tokens, idempotency keys, the applied
configuration, secrets) answer a database that does not answer with the same
`StoreError` as the event log, so every route says 503 + Retry-After instead
of leaking a driver error; a constraint stays the caller's own answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from joignable.store import EventLog, StoreError
from joignable.store.accounts import Accounts, UserExists
from joignable.store.db import make_engine

CALLS: dict[str, Callable[[Accounts], Any]] = {
    "add_user": lambda a: a.add_user("ann", "h", "agent", now=1.0),
    "get_user": lambda a: a.get_user("ann"),
    "list_users": lambda a: a.list_users(),
    "count_users": lambda a: a.count_users(),
    "set_password": lambda a: a.set_password("ann", "h2"),
    "add_token": lambda a: a.add_token("t", "ann", "api", now=1.0, ttl=60.0),
    "token_user": lambda a: a.token_user("t", "api", 1.0),
    "purge_tokens": lambda a: a.purge_tokens(1.0),
    "get_key": lambda a: a.get_key("k"),
    "claim_key": lambda a: a.claim_key("k", "c1", "f", 1.0),
    "mark_key_done": lambda a: a.mark_key_done("k"),
    "load_config": lambda a: a.load_config(),
    "save_config": lambda a: a.save_config({}, by="ann", now=1.0),
    "secret": lambda a: a.secret("session"),
}

UNREACHABLE = {
    "sqlite": lambda tmp: f"sqlite:///{tmp}/no-such-dir/center.db",
    "postgresql": lambda tmp: "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
}


@pytest.mark.parametrize("backend", sorted(UNREACHABLE))
@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_database_that_does_not_answer_is_a_store_error(
    tmp_path: Path, backend: str, call: str
) -> None:
    accounts = Accounts(make_engine(UNREACHABLE[backend](tmp_path)))
    with pytest.raises(StoreError, match="does not answer"):
        CALLS[call](accounts)


def test_a_constraint_is_still_the_callers_answer(tmp_path: Path) -> None:
    with EventLog.open(f"sqlite:///{tmp_path}/center.db", create=True) as log:
        accounts = Accounts(log.engine)
        accounts.add_user("ann", "h", "agent", now=1.0)
        with pytest.raises(UserExists):
            accounts.add_user("ann", "h", "agent", now=2.0)
        first = accounts.claim_key("k", "c1", "f", 1.0)
        again = accounts.claim_key("k", "c2", "g", 2.0)
        assert (first.contact_id, again.contact_id) == ("c1", "c1")
