"""The live hub: figures, alerts and throttles pushed to every control tower.

Why: a supervisor acts on what the screen shows, so the screen must be at
most a second behind the engine. The hub is a read model of the runner (it
sees the replay at start and every durable batch after), keeps a `KpiBook`,
the alert evaluator and the migration throttles up to date, and pushes one
compact JSON snapshot to every WebSocket client at once when something
changed — but at most every `min_interval` (250 ms; longer when a snapshot
takes long to build, so that building stays under a quarter of the time),
and at least every `heartbeat` (1 s) so waits and sliding windows move.

The hub holds the push loop, the snapshot and the alert and throttle
decisions; the rest is split by responsibility: the KPI figures
(`service/live_figures.py`: folded per dimension, "since midnight" at most
every `today_every`), the agents, waiting lines and scoped views
(`service/live_views.py`) and the WebSocket clients (`service/live_feed.py`).

Each message carries `at` (when it was built), `seq` and `event_at` (the
newest engine event in it) and `oldest_at` (the oldest event that no earlier
message showed): `received - oldest_at` is the worst staleness of a message,
which is what the bench measures. A slow client skips snapshots; it never
makes the others wait. See docs/decisions/0007-live-figures-over-websocket.md.

A scoped supervisor's client sees `view(snapshot, scope, filter)`: the web
layer hands over its own access rules as a `Scope` (`service/scope.py`; the
hub has none of its own), and a tower client chooses the agents listed
(`AgentFilter`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from starlette.websockets import WebSocket

from joignable.core import events as ev
from joignable.core.alerts.rules import AlertEvaluator, AlertEvent, AlertRule
from joignable.core.kpis.book import KpiBook, KpiSettings
from joignable.core.routing.throttle import ThrottleEvent, ThrottleSettings
from joignable.service.decisions import AlertDecisions
from joignable.service.live_feed import LiveFeed, OwnView
from joignable.service.live_figures import DIMENSIONS, Figures, LiveFigures
from joignable.service.live_needed import NeededNowView, with_logged_in
from joignable.service.live_status import figure_statuses
from joignable.service.live_views import MAX_AGENTS_LISTED, MAX_WAITING_PER_QUEUE, LiveViews
from joignable.service.ports import AlertNotifier
from joignable.service.readside import ReadSide
from joignable.service.roster import EVERYONE, AgentFilter
from joignable.service.runner import CenterRunner
from joignable.service.scope import FIELDS, Scope, scoped_view
from joignable.service.throttle_decisions import ThrottleDecisions
from joignable.service.throttles import ThrottleBank
from joignable.store.throttles import ThrottleHistory

# the scope code lives in service/scope.py, the views in service/live_views.py;
# these names stay importable from here
__all__ = [
    "DIMENSIONS", "EVERYONE", "FIELDS", "MAX_AGENTS_LISTED", "MAX_WAITING_PER_QUEUE",
    "AgentFilter", "LiveHub", "Scope", "scoped_view",
]  # fmt: skip

log = logging.getLogger(__name__)

RECENT_ALERTS = 30


class LiveHub:
    """Create it before `runner.start()` (it must see the replay), then `start()`."""

    def __init__(
        self,
        runner: CenterRunner,
        *,
        rules: Sequence[AlertRule] = (),
        throttles: Sequence[ThrottleSettings] = (),
        notifier: AlertNotifier | None = None,
        kpi_settings: KpiSettings | None = None,
        timezone: str = "UTC",
        min_interval: float = 0.25,
        heartbeat: float = 1.0,
        today_every: float = 1.0,
        read: ReadSide | None = None,
    ) -> None:
        self.runner = runner
        # what the hub shows of agents, contacts and queues: durable events only
        # (the runner's engine runs ahead of the disk); its own when none is given
        if read is None:
            read = ReadSide()
            runner.add_read_model(read)
        self.read = read
        self.book = KpiBook(kpi_settings)
        self.kpis = LiveFigures(self.book, read, timezone=timezone, today_every=today_every)
        self.views = LiveViews(read, lambda: self.alerts.rules)
        self.needed = NeededNowView(read, self.book.settings.window_s)
        self.feed = LiveFeed(self.views.view)
        self.alerts = AlertEvaluator(rules)
        # alert decisions go through the single writer; the log gives them back
        self.decisions = AlertDecisions(runner, self._alert)
        # throttle decisions go through the single writer too; the bank is a read
        # model (the replay gives each throttle its logged share back)
        self.throttles = ThrottleBank(throttles, runner.clock.now())
        self.throttle_decisions = ThrottleDecisions(runner, self.throttles, self._throttle_logged)
        # where databases older than ThrottleDecided kept the last shares (read once)
        self.throttle_history = ThrottleHistory(runner.log.engine, runner.log.tenant)
        self.notifier = notifier
        self.min_interval = min_interval
        self.heartbeat = heartbeat
        self.sections: dict[str, Callable[[], Any]] = {}
        self.recent_alerts: deque[dict[str, Any]] = deque(maxlen=RECENT_ALERTS)
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._seq = 0
        self._event_at: float | None = None
        self._oldest: float | None = None
        self._pushes = 0
        self._build_ms = 0.0
        runner.add_read_model(self.book)
        runner.add_read_model(self.throttles)
        runner.subscribe(self._on_batch)

    @property
    def tz(self) -> ZoneInfo:
        """The center's time zone ("since midnight" is local midnight)."""
        return self.kpis.tz

    @tz.setter
    def tz(self, zone: ZoneInfo) -> None:
        self.kpis.tz = zone

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._seq = self.read.center.seq
        self._task = asyncio.create_task(self._pusher(), name="joignable-live")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.decisions.drain()
        await self.throttle_decisions.drain()

    def add_section(self, name: str, provider: Callable[[], Any]) -> None:
        """Add `provider()`'s result to every snapshot under `name` (e.g. the demo)."""
        self.sections[name] = provider

    def poke(self) -> None:
        """Push a fresh snapshot soon (a section changed outside the engine)."""
        self._dirty.set()

    def set_rules(self, rules: Sequence[AlertRule]) -> None:
        """Replace the alert rules (a configuration applied live): unchanged
        rules keep their state; alerts of changed or removed rules are cleared
        ("rule changed"), recorded and told like any other."""
        self._restore_alerts()
        self._decide(self.alerts.set_rules(rules, self.runner.clock.now()))
        self._dirty.set()

    def set_throttles(self, throttles: Sequence[ThrottleSettings], *, by: str = "") -> None:
        """Replace the migration throttles (a configuration applied live): see
        `ThrottleBank.configure`; a new target is a decision, logged and told."""
        self.throttle_decisions.migrate(self.throttle_history)
        now = self.runner.clock.now()
        self.throttle_decisions.submit(self.throttles.configure(throttles, now, by=by))
        self._dirty.set()

    # ------------------------------------------------------------ the push loop

    def _on_batch(self, events: Sequence[ev.Event]) -> None:
        if not events:
            return
        if self._oldest is None:
            self._oldest = events[0].at
        self._seq = events[-1].seq
        self._event_at = events[-1].at
        self._dirty.set()

    async def _pusher(self) -> None:
        await self.runner.started.wait()  # the replay runs in a thread: not before
        last = 0.0
        while True:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a
            # cancellation arriving as the event is set, and stop() would hang
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.heartbeat):
                    await self._dirty.wait()
            # never spend more than about a quarter of the time building snapshots
            gap = max(self.min_interval, 3.0 * self._build_ms / 1000)
            pause = last + gap - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            self._dirty.clear()
            last = time.monotonic()
            try:
                started = time.perf_counter()
                now = self.runner.clock.now()
                figures = await self.figures_async(now)
                self.push(figures=figures, now=now, started=started)
            except Exception:
                log.exception("building the live snapshot failed")

    def push(
        self,
        *,
        figures: Figures | None = None,
        now: float | None = None,
        started: float | None = None,
    ) -> dict[str, Any]:
        """Build a snapshot (evaluating alerts and throttles) and send it to every
        client; `figures` at `now` may come ready, built since `started`."""
        started = time.perf_counter() if started is None else started
        oldest, self._oldest = self._oldest, None
        snapshot = self.snapshot(evaluate=True, figures=figures, now=now)
        snapshot["oldest_at"] = oldest
        self._build_ms = (time.perf_counter() - started) * 1000
        self._pushes += 1
        self.feed.publish(snapshot)
        return snapshot

    # ------------------------------------------------------------ the snapshot

    def midnight(self, now: float) -> float:
        """The last local midnight before `now` (`LiveFigures.midnight`)."""
        return self.kpis.midnight(now)

    def figures(self, now: float) -> Figures:
        """The KPI figures at `now` (`LiveFigures.figures`)."""
        return self.kpis.figures(now)

    async def figures_async(self, now: float) -> Figures:
        """The KPI figures at `now`, built piecewise (`LiveFigures.figures_async`)."""
        return await self.kpis.figures_async(now)

    def agents(self, scope: Scope | None = None, find: AgentFilter = EVERYONE) -> dict[str, Any]:
        """The agents listed and counted for `scope` (`LiveViews.agents`)."""
        return self.views.agents(scope, find)

    def agent_states(self, scope: Scope | None = None) -> dict[str, dict[str, dict[str, int]]]:
        """The agents by state for every row (`LiveViews.agent_states`)."""
        return self.views.agent_states(scope)

    def waiting(self, now: float, queues: Collection[str] | None = None) -> list[dict[str, Any]]:
        """The longest-waiting contacts of each queue (`LiveViews.waiting`)."""
        return self.views.waiting(now, queues)

    def snapshot(
        self,
        *,
        evaluate: bool = False,
        figures: Figures | None = None,
        now: float | None = None,
    ) -> dict[str, Any]:
        """The current picture. With `evaluate`, alerts and throttles decide first
        (their events are recorded and notified). `figures` computed at `now` may
        be given (the push loop builds them piecewise). Each active alert carries
        its figure as these `figures` hold it (`value_now`, the number its row
        shows) and since when it holds (`since`, `held_s`)."""
        if now is None or figures is None:
            now = self.runner.clock.now()
            figures = self.figures(now)
        engine = self.read.center
        if evaluate:
            self._restore_alerts()
            self._decide(self.alerts.evaluate(figures, now))
            self.throttle_decisions.migrate(self.throttle_history)
            self.throttle_decisions.submit(self.throttles.decide(now))
        agent_states = self.agent_states()
        active = self.alerts.active_now(figures, now)
        snapshot: dict[str, Any] = {
            "type": "snapshot",
            "at": now,
            "seq": engine.seq,
            "event_at": self._event_at,
            "figures": figures,
            "agents": self.agents(),
            "agent_states": agent_states,
            "needed": with_logged_in(
                self.needed.of(figures["sliding"].get("queue", {})), agent_states["queue"]
            ),
            "waiting": self.waiting(now),
            "waiting_per_queue": MAX_WAITING_PER_QUEUE,
            "standby": {
                "queues": sorted(q for q, s in engine.queues.items() if s.spec.standby),
                "channels": sorted(ch.value for ch in engine.channel_standby),
            },
            "alerts": {
                "active": active,
                "recent": list(self.recent_alerts),
            },
            # each figure's ok / warning / critical (service/live_status.py)
            "statuses": figure_statuses(figures, self.read, self.alerts.rules, active),
            "throttles": {
                "list": self.throttles.as_list(now),
                "recent": [e.as_dict() for e in self.throttles.recent],
            },
        }
        for name, provider in self.sections.items():
            snapshot[name] = provider()
        return snapshot

    async def alerts_now(self) -> list[dict[str, Any]]:
        """The active alerts at the clock's `now`, each with its figure now
        (`value_now`, from the figures a push at `now` would show), `window`,
        `since` and `held_s` (`AlertEvaluator.active_now`); decides nothing."""
        now = self.runner.clock.now()
        return self.alerts.active_now(await self.figures_async(now), now)

    def view(
        self, snapshot: dict[str, Any], scope: Scope | None = None, find: AgentFilter = EVERYONE
    ) -> dict[str, Any]:
        """`snapshot` as a supervisor of `scope` may see it (`LiveViews.view`):
        call it right after building `snapshot` (the push does)."""
        return self.views.view(snapshot, scope, find)

    def _restore_alerts(self) -> None:
        """Once the log is replayed, the alerts it holds active are the evaluator's."""
        self.decisions.restore(self.alerts)

    def _decide(self, events: Sequence[AlertEvent]) -> None:
        """Submit alert decisions to the single writer; `_alert` sees them once logged."""
        if events:
            self.decisions.submit(events)

    def _alert(self, event: AlertEvent) -> None:
        """An alert decision is durable: shown, recorded and notified."""
        self.recent_alerts.appendleft(event.as_dict())
        if self.notifier is not None:
            self.notifier.notify(event)
        self._dirty.set()

    # ------------------------------------------------------------ throttle decisions

    def _throttle_logged(self, seq: int, event: ThrottleEvent) -> None:
        """A throttle decision is durable: told (the bank shows it already)."""
        if self.notifier is not None:
            self.notifier.notify_throttle(event)
        self._dirty.set()

    def statistics(self) -> dict[str, Any]:
        return {
            "clients": len(self.feed),
            "pushes": self._pushes,
            "last_build_ms": round(self._build_ms, 2),
            "seq": self._seq,
            "alerts": self.alerts.statistics().active,
        }

    # ------------------------------------------------------------ WebSocket clients

    async def serve(
        self,
        websocket: WebSocket,
        view: OwnView | None = None,
        *,
        scope: Scope | None = None,
    ) -> None:
        """Stream snapshots to an accepted WebSocket until it closes (`LiveFeed.serve`):
        the tower's, as `scope` may see it (None: unscoped), or what `view` makes
        of each snapshot."""
        first = self.feed.last or self.snapshot()
        await self.feed.serve(websocket, first, view, scope=scope)
