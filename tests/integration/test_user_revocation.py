"""Ending access (issue 18): a changed password, a disabled or deleted user end
their tokens and sessions at once — a running server stops accepting them
within its 2 s token cache, with the `joignable user` CLI as the operator runs
it on the same database — and the housekeeping purges expired tokens and
idempotency keys past their window."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from joignable.cli import app
from joignable.service.clock import ManualClock
from joignable.service.housekeeping import Housekeeping
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from tests.integration.conftest import PASSWORD, add_users, start_server


def _token(base: str, user: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(f"{base}/api/auth/token", json={"username": user, "password": password})


def _refused_soon(base: str, token: str) -> None:
    """The token is refused within a few seconds (the server's cache is 2 s)."""
    deadline = time.monotonic() + 10
    while True:
        r = httpx.get(f"{base}/api/agents", headers={"Authorization": f"Bearer {token}"})
        if r.status_code == 401:
            return
        assert r.status_code == 200, r.text
        assert time.monotonic() < deadline, "the token still works"
        time.sleep(0.2)


@pytest.mark.slow
def test_password_disable_and_delete_end_access(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'users.db'}"
    add_users(db)
    server = start_server(db)
    run = CliRunner().invoke
    try:
        base = server.url
        sup = _token(base, "sup").json()["access_token"]
        root = _token(base, "root").json()["access_token"]
        assert httpx.get(
            f"{base}/api/agents", headers={"Authorization": f"Bearer {sup}"}
        ).is_success

        changed = run(app, ["user", "password", "sup", "--password", "new-pass-1", "--db", db])
        assert changed.exit_code == 0 and "tokens and sessions ended" in changed.output
        _refused_soon(base, sup)
        assert _token(base, "sup").status_code == 401  # the old password no longer works
        assert _token(base, "sup", "new-pass-1").status_code == 200

        assert run(app, ["user", "disable", "root", "--db", db]).exit_code == 0
        _refused_soon(base, root)
        assert _token(base, "root").status_code == 401  # the right password, refused
        assert (
            "root\tadmin\tscope=-\tagent=-\tdisabled"
            in run(app, ["user", "list", "--db", db]).output
        )
        assert run(app, ["user", "enable", "root", "--db", db]).exit_code == 0
        assert _token(base, "root").status_code == 200

        p01 = _token(base, "p01").json()["access_token"]
        assert run(app, ["user", "delete", "p01", "--db", db], input="n\n").exit_code == 2
        assert run(app, ["user", "delete", "p01", "--yes", "--db", db]).exit_code == 0
        _refused_soon(base, p01)
        assert _token(base, "p01").status_code == 401
        missing = run(app, ["user", "delete", "p01", "--yes", "--db", db])
        assert missing.exit_code == 2 and "no user 'p01'" in missing.output
        assert run(app, ["user", "disable", "nobody", "--db", db]).exit_code == 2
    finally:
        server.stop()


def test_every_kind_of_token_ends_with_the_password(tmp_path: Path) -> None:
    with EventLog.open(f"sqlite:///{tmp_path / 'a.db'}", create=True) as log:
        accounts = Accounts(log.engine)
        accounts.add_user("ann", "h", "agent", now=0.0)
        accounts.add_user("bob", "h", "agent", now=0.0)
        for kind in ("api", "session"):
            accounts.add_token(f"ann-{kind}", "ann", kind, now=0.0, ttl=100.0)
            accounts.add_token(f"bob-{kind}", "bob", kind, now=0.0, ttl=100.0)
        assert accounts.set_password("ann", "h2")
        assert accounts.token_user("ann-api", "api", 1.0) is None
        assert accounts.token_user("ann-session", "session", 1.0) is None
        assert accounts.token_user("bob-session", "session", 1.0) is not None  # others kept
        assert accounts.set_disabled("bob", True)
        assert accounts.token_user("bob-api", "api", 1.0) is None
        record = accounts.get_user("bob")
        assert record is not None and record.disabled


def test_housekeeping_purges_expired_tokens_and_old_keys(tmp_path: Path) -> None:
    with EventLog.open(f"sqlite:///{tmp_path / 'h.db'}", create=True) as log:
        accounts = Accounts(log.engine)
        accounts.add_user("ann", "h", "agent", now=0.0)
        accounts.add_token("old", "ann", "api", now=0.0, ttl=10.0)
        accounts.add_token("live", "ann", "api", now=0.0, ttl=1000.0)
        accounts.claim_key("k-old", "c1", "f", 0.0)
        accounts.claim_key("k-new", "c2", "f", 500.0)
        clock = ManualClock(start=600.0)
        keeper = Housekeeping(accounts, clock, key_window_s=200.0)
        purged = asyncio.run(keeper.run_once())
        assert (purged.tokens, purged.keys) == (1, 1)
        assert accounts.get_key("k-old") is None and accounts.get_key("k-new") is not None
        assert accounts.token_user("live", "api", 600.0) is not None
        assert asyncio.run(keeper.run_once()) == type(purged)(0, 0)  # nothing left to purge
