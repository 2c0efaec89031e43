"""Password guessing is slowed down: after five wrong passwords for one user name
the next attempts get 429 for a minute, on the API and on the sign-in page —
but not from the addresses the user signs in from; a spray of names locks the
address; passwords are hashed on one thread and a burst beyond the queue is shed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from joignable.service.clock import ManualClock
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from joignable.web.auth import MAX_WAITING_SIGN_INS, Auth, hash_password
from joignable.web.signin import ADDRESS_FAILURES, LOCKOUT_SECONDS, MAX_FAILURES, TooManyAttempts

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


def _from(server: Server, address: str) -> httpx.Client:
    """A client whose requests leave from `address` (any 127.x.y.z is loopback)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.url, transport=transport)


@pytest.mark.slow
def test_a_guesser_cannot_lock_the_rightful_user_out(sqlite_server: Server) -> None:
    def sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> int:
        r = client.post("/api/auth/token", json={"username": name, "password": password})
        return r.status_code

    with (
        _from(sqlite_server, "127.0.0.1") as home,
        _from(sqlite_server, "127.0.0.2") as guesser,
        _from(sqlite_server, "127.0.0.3") as sprayer,
    ):
        assert sign_in(home, "sup") == 200  # sup's usual address
        for _ in range(MAX_FAILURES):
            assert sign_in(guesser, "sup", "guess") == 401
        assert sign_in(guesser, "sup") == 429  # even the right password, from there
        assert sign_in(home, "sup") == 200  # sup is not locked out
        for i in range(ADDRESS_FAILURES):
            assert sign_in(sprayer, f"nobody-{i}", "guess") == 401
        assert sign_in(sprayer, "root") == 429  # the address is locked for every name
        assert sign_in(home, "root") == 200


def test_passwords_are_checked_one_at_a_time_and_a_burst_is_shed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """argon2 runs on one thread (a burst of sign-ins takes one core, the
    other calls keep the rest); past MAX_WAITING_SIGN_INS waiting, 429 at once."""
    import threading
    import time

    from joignable.web import auth as auth_module

    running, most = 0, 0
    lock = threading.Lock()
    real = auth_module.verify_password

    def slow_verify(stored: str, password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return real(stored, password)

    monkeypatch.setattr(auth_module, "verify_password", slow_verify)
    with EventLog.open(str(tmp_path / "accounts.db")) as log:
        accounts = Accounts(log.engine)
        accounts.add_user("amel", hash_password("s3cret-pass"), "supervisor", now=0.0)
        auth = Auth(accounts, "secret", ManualClock(), token_ttl=3600, session_ttl=3600)

        async def one(i: int) -> str:
            try:
                user = await auth.authenticate("amel", "s3cret-pass", f"10.0.{i}.1")
            except TooManyAttempts:
                return "shed"
            return "ok" if user is not None else "refused"

        async def burst() -> list[str]:
            return await asyncio.gather(*(one(i) for i in range(MAX_WAITING_SIGN_INS + 8)))

        outcomes = asyncio.run(burst())
    assert most == 1
    assert outcomes.count("ok") == MAX_WAITING_SIGN_INS
    assert outcomes.count("shed") == 8
