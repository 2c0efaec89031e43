"""The sign-in guard (issue 18): a guesser is stopped, the rightful user is not."""

from __future__ import annotations

import pytest

from joignable.web.signin import (
    ADDRESS_FAILURES,
    LOCKOUT_SECONDS,
    MAX_FAILURES,
    MAX_LOCKOUT_SECONDS,
    SignInGuard,
    TooManyAttempts,
)

HOME, ATTACKER, OTHER = "10.0.0.1", "198.51.100.7", "203.0.113.9"


def _fail(guard: SignInGuard, name: str, address: str, now: float, times: int) -> None:
    for _ in range(times):
        guard.check(name, address, now)
        guard.failed(name, address, now)


def test_a_name_locked_by_a_guesser_still_signs_in_from_its_usual_address() -> None:
    guard = SignInGuard()
    guard.succeeded("ana", HOME)
    _fail(guard, "ana", ATTACKER, 100.0, MAX_FAILURES)
    with pytest.raises(TooManyAttempts):
        guard.check("ana", ATTACKER, 101.0)
    with pytest.raises(TooManyAttempts):  # a new address is refused too: the name is locked
        guard.check("ana", OTHER, 101.0)
    guard.check("ana", HOME, 101.0)  # the rightful user is not locked out


def test_a_guesser_at_the_users_address_is_still_stopped() -> None:
    guard = SignInGuard()
    guard.succeeded("ana", HOME)
    _fail(guard, "ana", HOME, 100.0, MAX_FAILURES)
    with pytest.raises(TooManyAttempts):
        guard.check("ana", HOME, 101.0)


def test_a_spray_of_names_locks_the_address() -> None:
    guard = SignInGuard()
    for i in range(ADDRESS_FAILURES):
        guard.check(f"user{i}", ATTACKER, 100.0)
        guard.failed(f"user{i}", ATTACKER, 100.0)
    with pytest.raises(TooManyAttempts) as info:
        guard.check("someone-else", ATTACKER, 100.0)
    assert info.value.retry_after == LOCKOUT_SECONDS
    guard.check("someone-else", OTHER, 100.0)  # other addresses are not affected


def test_a_slow_guesser_waits_twice_as_long_each_time() -> None:
    guard = SignInGuard()
    now, waits = 0.0, []
    for _ in range(9):
        _fail(guard, "ana", ATTACKER, now, MAX_FAILURES)
        with pytest.raises(TooManyAttempts) as info:
            guard.check("ana", ATTACKER, now)
        waits.append(info.value.retry_after)
        now += info.value.retry_after
    assert waits[:4] == [LOCKOUT_SECONDS * k for k in (1, 2, 4, 8)]
    assert waits[-1] == MAX_LOCKOUT_SECONDS


def test_failures_outside_the_window_do_not_add_up() -> None:
    guard = SignInGuard()
    for k in range(MAX_FAILURES * 3):  # one failure every 16 minutes
        guard.check("ana", ATTACKER, k * 960.0)
        guard.failed("ana", ATTACKER, k * 960.0)


def test_a_success_starts_the_count_again() -> None:
    guard = SignInGuard()
    _fail(guard, "ana", HOME, 0.0, MAX_FAILURES - 1)
    guard.succeeded("ana", HOME)
    _fail(guard, "ana", HOME, 1.0, MAX_FAILURES - 1)
    guard.check("ana", HOME, 2.0)
