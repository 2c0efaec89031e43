"""Who may try a password now: lock-outs against guessing that cannot be
turned against the rightful user.

Why not a lock per user name only: anyone could lock anyone out by typing
their name, and a slow guesser (a few tries per quarter of an hour) would go on
for ever. So failures are counted three ways, each in a sliding window:

- per (name, address): `MAX_FAILURES` wrong passwords lock that pair;
- per name: `MAX_FAILURES` from anywhere lock the name, except from the
  addresses the user has signed in from before (they keep signing in);
- per address: `ADDRESS_FAILURES` with any names lock the address (a spray of
  names costs an argon2 hash each: this caps it).

Each lock lasts `LOCKOUT_SECONDS`, doubling with every lock in a row up to
`MAX_LOCKOUT_SECONDS`; a success clears the name's and the pair's count. The
state is in memory (a restart forgets it) and bounded. Time is passed in.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import TypeVar

MAX_FAILURES = 5
FAILURE_WINDOW = 900.0
ADDRESS_FAILURES = 20
LOCKOUT_SECONDS = 60.0
MAX_LOCKOUT_SECONDS = 3600.0
KNOWN_ADDRESSES = 8  # per user: the ones they last signed in from
_MAX_ENTRIES = 100_000  # per table: memory stays bounded under a spray
K = TypeVar("K")


class TooManyAttempts(Exception):
    """Too many wrong passwords lately; retry after `retry_after` s."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed sign-ins; retry in {retry_after:.0f} s")
        self.retry_after = retry_after


@dataclass
class _Strikes:
    times: deque[float] = field(default_factory=deque)
    locks: int = 0  # locks in a row: each one twice as long
    until: float = 0.0

    def fail(self, now: float, limit: int) -> None:
        while self.times and self.times[0] <= now - FAILURE_WINDOW:
            self.times.popleft()
        self.times.append(now)
        if len(self.times) >= limit:
            self.locks += 1
            self.until = now + min(LOCKOUT_SECONDS * 2 ** (self.locks - 1), MAX_LOCKOUT_SECONDS)
            self.times.clear()


class SignInGuard:
    """Decides whether a sign-in may be tried (`check`) and learns from its
    outcome (`failed`, `succeeded`)."""

    def __init__(self) -> None:
        self._pairs: dict[tuple[str, str], _Strikes] = {}
        self._names: dict[str, _Strikes] = {}
        self._addresses: dict[str, _Strikes] = {}
        self._known: dict[str, OrderedDict[str, None]] = {}

    def check(self, name: str, address: str, now: float) -> None:
        """Raises `TooManyAttempts` if `name` may not be tried from `address` now."""
        locks = [self._addresses.get(address), self._pairs.get((name, address))]
        if address not in self._known.get(name, ()):
            locks.append(self._names.get(name))
        until = max((s.until for s in locks if s is not None), default=0.0)
        if until > now:
            raise TooManyAttempts(until - now)

    def failed(self, name: str, address: str, now: float) -> None:
        """A wrong password (or an unknown or disabled name) from `address`."""
        _strikes(self._pairs, (name, address)).fail(now, MAX_FAILURES)
        _strikes(self._names, name).fail(now, MAX_FAILURES)
        _strikes(self._addresses, address).fail(now, ADDRESS_FAILURES)

    def succeeded(self, name: str, address: str) -> None:
        """The right password: the name's counts start again; the address is known."""
        self._pairs.pop((name, address), None)
        self._names.pop(name, None)
        known = self._known.setdefault(name, OrderedDict())
        known[address] = None
        known.move_to_end(address)
        while len(known) > KNOWN_ADDRESSES:
            known.popitem(last=False)
        if len(self._known) > _MAX_ENTRIES:
            self._known.clear()


def _strikes(table: dict[K, _Strikes], key: K) -> _Strikes:
    found = table.get(key)
    if found is None:
        if len(table) > _MAX_ENTRIES:
            table.clear()
        found = table[key] = _Strikes()
    return found
