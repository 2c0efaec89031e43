"""Housekeeping of the server's own tables: expired tokens and sessions, and
idempotency keys past their window, deleted on a timer.

Why: neither table may grow for ever (a key per keyed arrival, a token per
sign-in), and an idempotency key is a promise for a stated window only — a
retry after it makes a new contact (docs/server.md). The timer reads the
clock it is given; each pass is one short transaction per table, in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from joignable.service.clock import Clock
from joignable.store.accounts import Accounts

log = logging.getLogger(__name__)

#: How long a client may retry with the same idempotency key (as Stripe's API).
KEY_WINDOW_S = 24 * 3600.0
EVERY_S = 600.0


@dataclass(frozen=True, slots=True)
class Purged:
    """What one pass deleted."""

    tokens: int
    keys: int


class Housekeeping:
    """Purges expired tokens and idempotency keys older than `key_window_s`,
    at start and then every `every_s` seconds while started."""

    def __init__(
        self,
        accounts: Accounts,
        clock: Clock,
        *,
        key_window_s: float = KEY_WINDOW_S,
        every_s: float = EVERY_S,
    ) -> None:
        self.accounts = accounts
        self.clock = clock
        self.key_window_s = key_window_s
        self.every_s = every_s
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> Purged:
        """One pass; returns what it deleted. Raises `StoreError` if the
        database does not answer."""
        now = self.clock.now()
        tokens = await asyncio.to_thread(self.accounts.purge_tokens, now)
        keys = await asyncio.to_thread(self.accounts.purge_keys, now - self.key_window_s)
        if tokens or keys:
            log.info("purged %d expired token(s), %d idempotency key(s)", tokens, keys)
        return Purged(tokens, keys)

    async def start(self) -> None:
        """Start the timer (its first pass runs at once)."""
        self._task = asyncio.create_task(self._loop(), name="joignable-housekeeping")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # a store outage: the next pass tries again
                log.warning("housekeeping pass failed: %s", exc)
            await asyncio.sleep(self.every_s)
