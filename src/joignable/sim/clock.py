# Why: the simulator needs a clock it owns. Virtual time jumps from one scheduled
# happening to the next, and ties are broken deterministically on
# (time, priority, sequence) as in SimPy's event heap, so a seed gives one run.
"""A virtual clock: a heap of scheduled actions ordered by (time, priority, sequence)."""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

#: Priorities: lower runs first among actions due at the same instant.
URGENT = 0  # configuration, shift changes: before contacts at the same instant
NORMAL = 1
LATE = 2

Action = Callable[[Any], None]


class VirtualClock:
    """Holds the current virtual time and the actions scheduled after it.

    `schedule(at, action, arg, priority)` registers `action(arg)` to run at `at`;
    `pop()` advances the clock to the next action and returns it. Time never goes
    back: an action scheduled in the past runs at the current time.
    """

    __slots__ = ("_heap", "_seq", "now")

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._heap: list[tuple[float, int, int, Action, Any]] = []
        self._seq = 0

    def schedule(self, at: float, action: Action, arg: Any = None, priority: int = NORMAL) -> None:
        """Run `action(arg)` at virtual time `at` (not before `now`)."""
        self._seq += 1
        now = self.now
        heappush(self._heap, (now if now > at else at, priority, self._seq, action, arg))

    def peek(self) -> float | None:
        """When the next action is due, or None when nothing is scheduled."""
        return self._heap[0][0] if self._heap else None

    def pop(self) -> tuple[Action, Any]:
        """Advance to the next action and return it with its argument.

        Raises IndexError when nothing is scheduled.
        """
        at, _, _, action, arg = heappop(self._heap)
        self.now = at
        return action, arg

    def advance(self, to: float) -> None:
        """Move the clock forward to `to` (never back)."""
        if to > self.now:
            self.now = to

    def __len__(self) -> int:
        return len(self._heap)
