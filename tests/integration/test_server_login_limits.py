"""Password guessing is slowed down: after five wrong passwords for one user name
the next attempts get 429 for a minute, on the API and on the sign-in page."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from joignable.service.clock import ManualClock
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from joignable.web.auth import LOCKOUT_SECONDS, MAX_FAILURES, Auth, TooManyAttempts, hash_password

from .conftest import PASSWORD, Server


@pytest.mark.slow
def test_api_answers_429_after_too_many_wrong_passwords(sqlite_server: Server) -> None:
    with httpx.Client(base_url=sqlite_server.url) as client:
        for _ in range(MAX_FAILURES):
            r = client.post("/api/auth/token", json={"username": "sup", "password": "guess"})
            assert r.status_code == 401
        r = client.post("/api/auth/token", json={"username": "sup", "password": PASSWORD})
        assert r.status_code == 429
        assert "too many failed sign-ins" in r.json()["detail"]
        assert 0 < int(r.headers["Retry-After"]) <= LOCKOUT_SECONDS + 1
        # another user is not affected
        r = client.post("/api/auth/token", json={"username": "root", "password": PASSWORD})
        assert r.status_code == 200
        # the sign-in page says it too
        page = client.get("/login")
        csrf = page.cookies.get("joignable_csrf", "")
        r = client.post(
            "/login",
            data={"username": "sup", "password": PASSWORD, "csrf_token": csrf, "next": "/"},
        )
        assert r.status_code == 429 and "Too many failed sign-ins" in r.text


@pytest.mark.slow
def test_the_lock_lifts_after_a_minute_and_success_resets_the_count(tmp_path: Path) -> None:
    clock = ManualClock(1_760_000_000.0)
    with EventLog.open(str(tmp_path / "accounts.db")) as log:
        accounts = Accounts(log.engine)
        accounts.add_user("amel", hash_password("s3cret-pass"), "supervisor", now=clock.now())
        auth = Auth(accounts, "secret", clock, token_ttl=3600, session_ttl=3600)

        async def run() -> None:
            for _ in range(MAX_FAILURES):
                assert await auth.authenticate("amel", "wrong") is None
            with pytest.raises(TooManyAttempts):
                await auth.authenticate("amel", "s3cret-pass")
            clock.advance(LOCKOUT_SECONDS + 1)
            user = await auth.authenticate("amel", "s3cret-pass")
            assert user is not None and user.name == "amel"
            # the count starts again from zero after a success
            for _ in range(MAX_FAILURES - 1):
                assert await auth.authenticate("amel", "wrong") is None
            assert await auth.authenticate("amel", "s3cret-pass") is not None

        asyncio.run(run())
