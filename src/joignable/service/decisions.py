"""Alert decisions as commands and events of the single writer.

Why: the live hub evaluates alerts on its figures, but what it decides must
be in the event log like every other decision, so that a restart or a second
process finds the same alerts active without evaluating again. This module
turns the evaluator's `AlertRaised` / `AlertCleared` into `RaiseAlert` /
`ClearAlert` commands, submits them in order, and turns the durable events
back into the evaluator's types for the history, the notifier and the tower.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.alerts.rules import (
    AlertCleared,
    AlertEvaluator,
    AlertEvent,
    AlertRaised,
    ScopeKind,
    Severity,
)
from joignable.core.commands import CommandRejected
from joignable.core.model import AlertFacts
from joignable.service.runner import CenterRunner, RunnerUnavailable

log = logging.getLogger(__name__)


def facts_of(event: AlertEvent) -> AlertFacts:
    """The plain facts of an evaluator's alert event, for a command."""
    raised_at, reason = (
        (event.raised_at, event.reason) if isinstance(event, AlertCleared) else (None, "")
    )
    return AlertFacts(
        id=event.id,
        alert_id=event.alert_id,
        at=event.at,
        rule_id=event.rule_id,
        metric=event.metric,
        scope=event.scope.value,
        scope_id=event.scope_id,
        severity=event.severity.value,
        value=event.value,
        threshold=event.threshold,
        title=event.title,
        contract=event.contract,
        raised_at=raised_at,
        reason=reason,
    )


def command_of(event: AlertEvent) -> cmd.Command:
    """`RaiseAlert` or `ClearAlert` for an evaluator's alert event."""
    if isinstance(event, AlertCleared):
        return cmd.ClearAlert(alert=facts_of(event))
    return cmd.RaiseAlert(alert=facts_of(event))


def raised_of(facts: AlertFacts) -> AlertRaised:
    """The evaluator's `AlertRaised` for logged facts. Raises `ValueError` on a
    scope or severity this version does not know."""
    return AlertRaised(
        id=facts.id,
        alert_id=facts.alert_id,
        at=facts.at,
        rule_id=facts.rule_id,
        metric=facts.metric,
        scope=ScopeKind(facts.scope),
        scope_id=facts.scope_id,
        severity=Severity(facts.severity),
        value=facts.value,
        threshold=facts.threshold,
        title=facts.title,
        contract=facts.contract,
    )


def alert_of(event: ev.Event) -> AlertEvent | None:
    """The evaluator's alert event for a logged `AlertRaised` / `AlertCleared`,
    None for any other event."""
    if isinstance(event, ev.AlertRaised):
        return raised_of(event.alert)
    if isinstance(event, ev.AlertCleared):
        f = event.alert
        raised = raised_of(f)
        return AlertCleared(
            id=f.id,
            alert_id=f.alert_id,
            at=f.at,
            rule_id=f.rule_id,
            metric=f.metric,
            scope=raised.scope,
            scope_id=f.scope_id,
            severity=raised.severity,
            value=f.value,
            threshold=f.threshold,
            title=f.title,
            contract=f.contract,
            raised_at=f.at if f.raised_at is None else f.raised_at,
            reason=f.reason or "recovered",
        )
    return None


def active_alerts(runner: CenterRunner) -> list[AlertRaised]:
    """The alerts the log holds active, oldest first."""
    return sorted(
        (raised_of(f) for f in runner.engine.alerts.values()), key=lambda a: (a.at, a.alert_id)
    )


class AlertDecisions:
    """Submits alert decisions to the runner, in the order they were taken, and
    hands their durable events to `on_durable`."""

    def __init__(self, runner: CenterRunner, on_durable: Callable[[AlertEvent], None]) -> None:
        self.runner = runner
        self.on_durable = on_durable
        self._tasks: set[asyncio.Task[None]] = set()
        self._restored = False
        runner.subscribe(self._on_batch)

    def restore(self, evaluator: AlertEvaluator) -> None:
        """Once the log is replayed: the alerts it holds active are the
        evaluator's again (no re-evaluation, same ids); an alert whose rule is
        gone is cleared, and that decision submitted. Does nothing before the
        runner started or after the first time. Needs a running loop when
        there is something to clear."""
        if self._restored or not self.runner.started.is_set():
            return
        self._restored = True
        cleared = evaluator.restore(active_alerts(self.runner), self.runner.clock.now())
        if cleared:
            self.submit(cleared)

    def submit(self, events: Iterable[AlertEvent]) -> None:
        """Submit each decision as a command (in order: the runner's queue is
        FIFO and each task enqueues on its first step). Needs a running loop."""
        loop = asyncio.get_running_loop()
        for event in events:
            task = loop.create_task(self._submit(command_of(event)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _submit(self, command: cmd.Command) -> None:
        try:
            await self.runner.submit(command)
        except (CommandRejected, RunnerUnavailable) as exc:  # told, not lost silently
            log.warning("alert decision not logged: %s", exc)

    def _on_batch(self, events: Iterable[ev.Event]) -> None:
        for event in events:
            alert = alert_of(event)
            if alert is not None:
                self.on_durable(alert)

    async def drain(self) -> None:
        """Wait until every decision submitted so far is logged (or refused)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
