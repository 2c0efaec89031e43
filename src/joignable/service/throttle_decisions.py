"""Migration-throttle decisions as commands and events of the single writer.

Why: a throttle's share decides where customers go, so it must be in the
event log like every other routing decision — a restart or a second process
then finds each throttle's share there, without its controller deciding
again. The live hub's `ThrottleBank` decides (at every push, or when a
configuration sets a new target); this module submits each decision as a
`RecordThrottle` command, in the order taken, hands the bank back the ones
the writer refused (their share is taken back), and tells `on_durable` of
every decision once its batch is durable — to show, record and notify it.

Old databases kept each throttle's last decision only in `alert_history`
(`store/throttles.py`). `migrate` takes it from there once, for a throttle
the log knows nothing of, and logs it: from then on the log says.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.commands import CommandRejected
from joignable.core.model import ThrottleFacts
from joignable.core.routing.throttle import ThrottleEvent, decision_of, facts_of
from joignable.service.runner import CenterRunner, RunnerUnavailable
from joignable.service.throttles import ThrottleBank
from joignable.store.throttles import ThrottleHistory

log = logging.getLogger(__name__)

OnDurable = Callable[[int, ThrottleEvent], None]


class ThrottleDecisions:
    """Submits `bank`'s decisions to `runner`; `on_durable(seq, decision)` is
    called for each logged decision of a live batch (not for the replay)."""

    def __init__(
        self, runner: CenterRunner, bank: ThrottleBank, on_durable: OnDurable | None = None
    ) -> None:
        self.runner = runner
        self.bank = bank
        self.on_durable = on_durable
        self._tasks: set[asyncio.Task[None]] = set()
        self._migrated = False
        self._told_before: set[ThrottleFacts] = set()  # migrated: told when first decided
        runner.subscribe(self._on_batch)

    def submit(self, decisions: Iterable[ThrottleEvent]) -> None:
        """Submit each decision (already taken by the bank, pending there) as a
        command, in order. Needs a running event loop."""
        decisions = list(decisions)
        if not decisions:
            return
        loop = asyncio.get_running_loop()
        for decision in decisions:
            log.info("throttle %s -> %s: share %.3f -> %.3f (%s)", decision.queue,
                     decision.site, decision.previous, decision.share, decision.kind)  # fmt: skip
            task = loop.create_task(self._submit(decision))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _submit(self, decision: ThrottleEvent) -> None:
        try:
            await self.runner.submit(cmd.RecordThrottle(decision=facts_of(decision)))
        except (CommandRejected, RunnerUnavailable) as exc:
            log.warning("throttle decision not logged, taken back: %s", exc)
            self.bank.refused(decision)
        else:
            self.bank.settled(decision)

    def _on_batch(self, events: Iterable[ev.Event]) -> None:
        if self.on_durable is None:
            return
        for event in events:
            if isinstance(event, ev.ThrottleDecided):
                if event.decision in self._told_before:
                    self._told_before.discard(event.decision)
                    continue
                try:
                    decision = decision_of(event.decision)
                except ValueError:
                    continue
                self.on_durable(event.seq, decision)

    def migrate(self, history: ThrottleHistory) -> None:
        """Once the log is replayed: a configured throttle the log holds no
        decision of takes its last decision stored in `alert_history` (a
        database written before throttle decisions were events), and that
        decision is logged. Does nothing after its first call or before the
        runner started; a store that cannot be read is only logged."""
        if self._migrated or not self.runner.started.is_set():
            return
        self._migrated = True
        logged = self.runner.engine.throttles
        taken: list[ThrottleEvent] = []
        for queue, controller in self.bank.controllers.items():
            if queue in logged:
                continue
            try:
                last = history.last(queue, controller.settings.site)
            except Exception:
                log.exception("reading the stored decisions of throttle %s failed", queue)
                continue
            if last is not None:
                controller.adopt(last)
                self.bank.recent.append(last)
                self.bank.pending[facts_of(last)] = last
                self._told_before.add(facts_of(last))
                taken.append(last)
        self.submit(taken)

    async def drain(self) -> None:
        """Wait until every decision submitted so far is logged (or refused)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
