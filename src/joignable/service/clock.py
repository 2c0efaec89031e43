"""Time for the shell, as a small protocol (the trio `Clock` / `MockClock` idea).

Why: the routing core never reads a clock; the runner asks a `Clock` for `now`
and passes it in. Production uses the system clock; tests use a `ManualClock`
they move by hand, so time-outs fire exactly when a test says so.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch (virtual or real)."""
        ...


class SystemClock:
    """The wall clock (`time.time()`); never goes back as seen by the engine,
    which keeps the latest time it was given."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to; for tests."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by `seconds` (>= 0); return the new time."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self._now += seconds
        return self._now

    def set(self, when: float) -> None:
        """Jump to `when`, which must not be earlier than now."""
        if when < self._now:
            raise ValueError("a clock does not go back")
        self._now = float(when)
