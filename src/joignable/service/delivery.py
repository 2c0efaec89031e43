"""Durable alert and throttle notifications: the outbox's feed and its worker.

Why: a notification held only in memory — and its retries — was lost by a
restart. Here the event log decides what is owed: `Deliveries` is a read
model of the runner, so it sees every logged `AlertRaised`, `AlertCleared`
and `ThrottleDecided`, at the replay and after each durable batch; for each
one above the outbox's cursor it writes, in one transaction, the history
row and one outbox row per destination (`store/outbox.py`). A crash between
the log and the outbox loses nothing: the replay at the next start feeds the
events the cursor has not passed.

The worker takes due rows, marks each ``sending`` before its one attempt
and ``sent`` after it; a failure worth retrying puts the row back
``pending`` with the target's back-off (`attempts`, `next_at`,
`last_error` kept), until the target's `max_attempts`; a permanent refusal
or the last attempt marks it ``failed``. The final outcome is also written
into the history row (what `GET /api/alerts/history` shows). At start, rows
left ``sending`` and pending ones are due at once (`Outbox.resume`): a restart
resumes every delivery, and a row already sent is never sent again. The one
edge is a crash between a send and its mark: that notice goes out twice,
with the same `Idempotency-Key` / Message-ID, for the receiver to drop.

Delivery times are the wall clock's (`now`, a parameter): retries wait real
seconds, whatever clock the center runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from joignable.core import events as ev
from joignable.core.routing.throttle import decision_of
from joignable.service.decisions import alert_of
from joignable.service.notify import (
    EmailTarget,
    Notice,
    Notifier,
    WebhookTarget,
    alert_notice,
    notice_dict,
    notice_from_dict,
    throttle_notice,
)
from joignable.service.runner import CenterRunner
from joignable.store import alerts as alert_store
from joignable.store import throttles as throttle_store
from joignable.store.alerts import Delivery
from joignable.store.outbox import FAILED, PENDING, SENT, Outbox, OutboxRow, Owed

log = logging.getLogger(__name__)

BATCH = 20  # rows sent together
POLL_S = 5.0  # the longest the worker sleeps without looking at the outbox


class Deliveries:
    """Feeds `outbox` from `runner`'s log and delivers its rows through
    `notifier`'s targets. Create it before `runner.start()` (it must see the
    replay), then `start()`; `stop()` before the runner stops."""

    def __init__(
        self,
        runner: CenterRunner,
        outbox: Outbox,
        notifier: Notifier,
        *,
        now: Callable[[], float] = time.time,
        poll_s: float = POLL_S,
    ) -> None:
        self.runner = runner
        self.outbox = outbox
        self.notifier = notifier
        self.now = now
        self.poll_s = poll_s
        self._cursor = outbox.cursor()
        self._waiting: dict[int, ev.Event] = {}
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sent = self.failed = self.retried = 0
        runner.add_read_model(self)
        runner.subscribe(self._on_batch)

    # ------------------------------------------------------------ the feed

    def replay_after(self) -> int:
        """The seq after which the log must be replayed to this model: its
        outbox's cursor (a restart from a snapshot reads the log from there;
        see `service/snapshots.py`)."""
        return self._cursor

    def apply(self, event: ev.Event) -> None:
        """Read model: note an alert or throttle event the outbox has not had."""
        if event.seq > self._cursor and isinstance(
            event, ev.AlertRaised | ev.AlertCleared | ev.ThrottleDecided
        ):
            self._waiting[event.seq] = event

    async def _on_batch(self, events: Sequence[ev.Event]) -> None:
        if self._waiting:
            await self.feed()

    def _owed(self, event: ev.Event) -> Owed | None:
        tenant = self.outbox.tenant
        center = self.notifier.center
        notice: Notice
        if isinstance(event, ev.ThrottleDecided):
            try:
                decision = decision_of(event.decision)
            except ValueError:
                return None
            history = throttle_store.history_row(tenant, decision)
            notice = throttle_notice(decision, center)
        else:
            alert = alert_of(event)
            if alert is None:
                return None
            history = alert_store.history_row(tenant, alert)
            notice = alert_notice(alert, center)
        names = [t.name for t in self.notifier.webhooks]
        if notice.mail:
            names += [t.name for t in self.notifier.emails]
        return Owed(event.seq, history, notice.id, notice_dict(notice), tuple(dict.fromkeys(names)))

    async def feed(self) -> None:
        """Write the history and outbox rows of the events noted so far, then
        wake the worker. A store failure is logged; the events stay noted for
        the next batch."""
        async with self._lock:
            if not self._waiting:
                return
            noted = sorted(self._waiting.items())
            owed = [o for o in (self._owed(e) for _, e in noted) if o is not None]
            last = noted[-1][0]
            try:
                await asyncio.to_thread(self.outbox.feed, owed, last, self.now())
            except Exception:
                log.exception("writing %d notices to the outbox failed", len(owed))
                return
            for seq, _ in noted:
                self._waiting.pop(seq, None)
            self._cursor = max(self._cursor, last)
            self._wake.set()

    # ------------------------------------------------------------ the worker

    async def start(self) -> None:
        """Start the worker (it waits for the runner's replay, then resumes)."""
        if self._task is None:
            self._task = asyncio.create_task(self._work(), name="joignable-deliveries")

    async def stop(self) -> None:
        """Stop the worker; a row it was sending stays ``sending`` and is
        resumed at the next start (the at-least-once edge)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _work(self) -> None:
        await self.runner.started.wait()
        while True:
            try:
                resumed = await asyncio.to_thread(self.outbox.resume, self.now())
                break
            except Exception:
                log.exception("reading the outbox failed; trying again")
                await asyncio.sleep(self.poll_s)
        if resumed:
            log.warning("%d notices were being sent at the last stop: sent again", resumed)
        await self.feed()
        while True:
            self._wake.clear()
            await self.feed()  # what a failed write left noted
            try:
                rows = await asyncio.to_thread(self.outbox.due, self.now(), BATCH)
                if rows:
                    await asyncio.gather(*(self._send(row) for row in rows))
                    continue
                nxt = await asyncio.to_thread(self.outbox.next_due)
            except Exception:
                log.exception("the delivery worker failed; trying again")
                nxt = None
            wait = self.poll_s if nxt is None else min(self.poll_s, max(0.0, nxt - self.now()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    def _target(self, name: str) -> WebhookTarget | EmailTarget | None:
        targets: list[WebhookTarget | EmailTarget] = [*self.notifier.webhooks]
        targets.extend(self.notifier.emails)
        return next((t for t in targets if t.name == name), None)

    async def _send(self, row: OutboxRow) -> None:
        """One attempt for one row: claimed (``sending``) first, then marked."""
        attempt = await asyncio.to_thread(self.outbox.claim, row.seq, row.destination)
        if attempt is None:
            return  # not pending any more (another worker took it)
        target = self._target(row.destination)
        if target is None:
            await self._done(row, False, attempt, "destination no longer configured")
            return
        try:
            notice = notice_from_dict(row.notice)
        except ValueError as exc:
            await self._done(row, False, attempt, f"unreadable notice: {exc}")
            return
        if isinstance(target, WebhookTarget):
            ok, retry, status = await self.notifier.post_once(target, notice)
        else:
            ok, retry, status = await self.notifier.mail_once(target, notice)
        if not ok and retry and attempt < target.max_attempts:
            self.retried += 1
            log.warning("%s to %s failed (attempt %d): %s", row.notice_id, row.destination,
                        attempt, status)  # fmt: skip
            await asyncio.to_thread(
                self.outbox.finish, row.seq, row.destination, PENDING,
                now=self.now(), next_at=self.now() + target.delay(attempt), error=status,
            )  # fmt: skip
            return
        await self._done(row, ok, attempt, status)

    async def _done(self, row: OutboxRow, ok: bool, attempt: int, status: str) -> None:
        """Mark the row sent or failed, and write the outcome into its history row."""
        if ok:
            self.sent += 1
        else:
            self.failed += 1
            log.warning("%s to %s failed for good: %s", row.notice_id, row.destination, status)
        await asyncio.to_thread(
            self.outbox.finish, row.seq, row.destination, SENT if ok else FAILED,
            now=self.now(), error="" if ok else status,
        )  # fmt: skip
        if self.notifier.history is not None:
            delivery = Delivery(row.destination, ok, attempt, status)
            try:
                await asyncio.to_thread(self.notifier.history.mark, row.notice_id, delivery)
            except Exception:
                log.exception("recording the delivery of %s failed", row.notice_id)

    # ------------------------------------------------------------ reading

    def statistics(self) -> dict[str, Any]:
        """This process's counts (sent, failed, retried) and the notices waiting
        to be written to the outbox."""
        return {
            "sent": self.sent,
            "failed": self.failed,
            "retried": self.retried,
            "unfed": len(self._waiting),
        }

    def unsent(self, limit: int = 50) -> tuple[dict[str, int], list[OutboxRow]]:
        """The outbox's counts by status and its latest rows not sent (pending,
        being sent, failed). Blocking: run it in a thread."""
        return self.outbox.counts(), self.outbox.rows(unsent=True, limit=limit)
