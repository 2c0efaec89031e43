"""The live hub: figures, alerts and throttles pushed to every control tower.

Why: a supervisor acts on what the screen shows, so the screen must be at
most a second behind the engine. The hub is a read model of the runner (it
sees the replay at start and every durable batch after), keeps a `KpiBook`,
the alert evaluator and the migration throttles up to date, and pushes one
compact JSON snapshot to every WebSocket client at once when something
changed — but at most every `min_interval` (250 ms; longer when a snapshot
takes long to build, so that building stays under a quarter of the time),
and at least every `heartbeat` (1 s) so waits and sliding windows move.
Figures since midnight, which move slowly and cost the most on a busy day,
are recomputed at most every `today_every` (1 s) — never older than that.

Each message carries `at` (when it was built), `seq` and `event_at` (the
newest engine event in it) and `oldest_at` (the oldest event that no earlier
message showed): `received - oldest_at` is the worst staleness of a message,
which is what the bench measures. A slow client skips snapshots; it never
makes the others wait. See docs/decisions/0007-live-figures-over-websocket.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.websockets import WebSocket, WebSocketDisconnect

from joignable.core import events as ev
from joignable.core.alerts import AlertEvaluator, AlertEvent, AlertRule
from joignable.core.kpis import KpiBook, KpiSettings
from joignable.core.lifecycle import ContactState
from joignable.core.throttle import ThrottleEvent, ThrottleSettings
from joignable.service.notify import Notifier
from joignable.service.runner import CenterRunner
from joignable.service.throttles import RECENT, ThrottleBank
from joignable.store.throttles import ThrottleHistory

log = logging.getLogger(__name__)

DIMENSIONS: tuple[tuple[str, str | None], ...] = (
    ("center", None),
    ("queue", "queue"),
    ("channel", "channel"),
    ("site", "site"),
    ("outsourcer", "outsourcer"),
)
FIELDS = (
    "offered", "answered", "abandoned", "short_abandons", "waiting", "longest_wait",
    "answer_rate", "abandonment_rate", "service_level", "service_level_excl_short",
    "asa", "avg_wait", "aht", "occupancy", "volume",
)  # fmt: skip
MAX_WAITING_LISTED = 40
MAX_AGENTS_LISTED = 300  # the tower lists this many; the counts cover every agent
RECENT_ALERTS = 30


def _compact(figures: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = figures.get(name)
        out[name] = round(value, 4) if isinstance(value, float) else value
    return out


class _Client:
    __slots__ = ("filter", "latest", "ready")

    def __init__(self, filter_: Callable[[dict[str, Any]], dict[str, Any]] | None) -> None:
        self.filter = filter_
        self.latest = ""
        self.ready = asyncio.Event()


class LiveHub:
    """Create it before `runner.start()` (it must see the replay), then `start()`."""

    def __init__(
        self,
        runner: CenterRunner,
        *,
        rules: Sequence[AlertRule] = (),
        throttles: Sequence[ThrottleSettings] = (),
        notifier: Notifier | None = None,
        kpi_settings: KpiSettings | None = None,
        timezone: str = "UTC",
        min_interval: float = 0.25,
        heartbeat: float = 1.0,
        today_every: float = 1.0,
    ) -> None:
        self.runner = runner
        self.book = KpiBook(kpi_settings)
        self.alerts = AlertEvaluator(rules)
        self.throttles = ThrottleBank(throttles, runner.clock.now())
        # throttle decisions are stored (alert_history) and taken back at start
        self.throttle_history: ThrottleHistory | None = None
        self._throttle_writes: set[asyncio.Task[None]] = set()
        if throttles:
            self.throttle_history = ThrottleHistory(runner.log.engine, runner.log.tenant)
            self._restore_throttles()
        self.notifier = notifier
        self.tz = ZoneInfo(timezone)
        self.min_interval = min_interval
        self.heartbeat = heartbeat
        # "since midnight" moves slowly: recomputed at most every `today_every` seconds
        self.today_every = today_every
        self._today: dict[str, dict[str, dict[str, Any]]] = {}
        self._today_at = float("-inf")
        self._today_since = 0.0
        self.sections: dict[str, Callable[[], Any]] = {}
        self.recent_alerts: deque[dict[str, Any]] = deque(maxlen=RECENT_ALERTS)
        self._clients: set[_Client] = set()
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._seq = 0
        self._event_at: float | None = None
        self._oldest: float | None = None
        self._last: dict[str, Any] | None = None
        self._pushes = 0
        self._build_ms = 0.0
        runner.add_read_model(self.book)
        runner.add_read_model(self.throttles)
        runner.subscribe(self._on_batch)

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._seq = self.runner.engine.seq
        self._task = asyncio.create_task(self._pusher(), name="joignable-live")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.drain_throttle_writes()

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
        for event in self.alerts.set_rules(rules, self.runner.clock.now()):
            self._alert(event)
        self._dirty.set()

    def set_throttles(self, throttles: Sequence[ThrottleSettings], *, by: str = "") -> None:
        """Replace the migration throttles (a configuration applied live): see
        `ThrottleBank.configure`; a new target is a decision, stored and told."""
        if throttles and self.throttle_history is None:
            self.throttle_history = ThrottleHistory(self.runner.log.engine, self.runner.log.tenant)
        for event in self.throttles.configure(throttles, self.runner.clock.now(), by=by):
            self._throttle_decided(event)
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), timeout=self.heartbeat)
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
        figures: dict[str, dict[str, dict[str, dict[str, Any]]]] | None = None,
        now: float | None = None,
        started: float | None = None,
    ) -> dict[str, Any]:
        """Build a snapshot (evaluating alerts and throttles) and send it to every
        client; `figures` at `now` may come ready, built since `started`."""
        started = time.perf_counter() if started is None else started
        oldest, self._oldest = self._oldest, None
        snapshot = self.snapshot(evaluate=True, figures=figures, now=now)
        snapshot["oldest_at"] = oldest
        self._last = snapshot
        self._build_ms = (time.perf_counter() - started) * 1000
        self._pushes += 1
        shared = ""
        for client in list(self._clients):
            if client.filter is None:
                shared = shared or json.dumps(snapshot, separators=(",", ":"))
                client.latest = shared
            else:
                client.latest = json.dumps(client.filter(snapshot), separators=(",", ":"))
            client.ready.set()
        return snapshot

    # ------------------------------------------------------------ the snapshot

    def midnight(self, now: float) -> float:
        local = datetime.fromtimestamp(now, self.tz)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

    def figures(self, now: float) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
        """{"sliding"|"today": {dimension: {member: figures}}}; configured queues,
        sites and outsourcers are listed even before their first contact."""
        out: dict[str, dict[str, dict[str, dict[str, Any]]]] = {"sliding": {}, "today": {}}
        for _ in self._figure_steps(now, out):
            pass
        return out

    async def figures_async(self, now: float) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
        """`figures`, handing the event loop back between dimensions, so that a
        large center's snapshot never holds requests up for its whole build."""
        out: dict[str, dict[str, dict[str, dict[str, Any]]]] = {"sliding": {}, "today": {}}
        for _ in self._figure_steps(now, out):
            await asyncio.sleep(0)
        return out

    def _figure_steps(
        self, now: float, out: dict[str, dict[str, dict[str, dict[str, Any]]]]
    ) -> Iterator[None]:
        engine = self.runner.engine
        known: dict[str, set[str]] = {
            "queue": set(engine.queues),
            "site": {a.site for a in engine.agents.values() if a.site},
            "outsourcer": {a.outsourcer for a in engine.agents.values() if a.outsourcer},
        }
        since = self.midnight(now)
        fresh_today = now - self._today_at >= self.today_every or self._today_since != since
        for name, by in DIMENSIONS:
            sliding = {k: _compact(f.as_dict()) for k, f in self.book.window(now, by=by).items()}
            yield
            if fresh_today:
                self._today[name] = {
                    k: _compact(f.as_dict())
                    for k, f in self.book.figures(now, by=by, since=since).items()
                }
                yield
            today = dict(self._today.get(name, {}))
            for member in sorted(known.get(name, ())):
                sliding.setdefault(member, {})
                today.setdefault(member, {})
            out["sliding"][name] = dict(sorted(sliding.items()))
            out["today"][name] = dict(sorted(today.items()))
        if fresh_today:
            self._today_at, self._today_since = now, since

    def agents(self) -> dict[str, Any]:
        engine = self.runner.engine
        by_state: dict[str, int] = {}
        listed: list[dict[str, Any]] = []
        for agent in sorted(engine.agents.values(), key=lambda a: a.id):
            state = agent.activity
            by_state[state] = by_state.get(state, 0) + 1
            if len(listed) >= MAX_AGENTS_LISTED:
                continue
            spec = agent.spec
            listed.append(
                {
                    "id": agent.id,
                    "name": spec.name,
                    "site": spec.site,
                    "outsourcer": spec.outsourcer,
                    "state": state,
                    "reason": agent.reason,
                    "channels": [ch.value for ch, n in spec.capacity.limits if n > 0],
                    "contacts": agent.holding,
                }
            )
        total = len(engine.agents)
        return {"by_state": dict(sorted(by_state.items())), "list": listed, "total": total}

    def waiting(self, now: float) -> list[dict[str, Any]]:
        engine = self.runner.engine
        waiting = [c for c in engine.contacts.values() if c.state is ContactState.WAITING]
        waiting.sort(key=lambda c: c.entered)
        return [
            {
                "id": c.id,
                "queue": c.queue,
                "channel": c.channel.value,
                "priority": c.priority,
                "waited": round(now - c.entered, 1),
            }
            for c in waiting[:MAX_WAITING_LISTED]
        ]

    def snapshot(
        self,
        *,
        evaluate: bool = False,
        figures: dict[str, dict[str, dict[str, dict[str, Any]]]] | None = None,
        now: float | None = None,
    ) -> dict[str, Any]:
        """The current picture. With `evaluate`, alerts and throttles decide first
        (their events are recorded and notified). `figures` computed at `now` may
        be given (the push loop builds them piecewise)."""
        if now is None or figures is None:
            now = self.runner.clock.now()
            figures = self.figures(now)
        engine = self.runner.engine
        if evaluate:
            for alert in self.alerts.evaluate(figures, now):
                self._alert(alert)
            for decision in self.throttles.decide(now):
                self._throttle_decided(decision)
        snapshot: dict[str, Any] = {
            "type": "snapshot",
            "at": now,
            "seq": engine.seq,
            "event_at": self._event_at,
            "figures": figures,
            "agents": self.agents(),
            "waiting": self.waiting(now),
            "standby": {
                "queues": sorted(q for q, s in engine.queues.items() if s.spec.standby),
                "channels": sorted(ch.value for ch in engine.channel_standby),
            },
            "alerts": {
                "active": [a.as_dict() for a in self.alerts.active()],
                "recent": list(self.recent_alerts),
            },
            "throttles": {
                "list": self.throttles.as_list(now),
                "recent": [e.as_dict() for e in self.throttles.recent],
            },
        }
        for name, provider in self.sections.items():
            snapshot[name] = provider()
        return snapshot

    def _alert(self, event: AlertEvent) -> None:
        self.recent_alerts.appendleft(event.as_dict())
        if self.notifier is not None:
            self.notifier.notify(event)

    # ------------------------------------------------------------ throttle decisions

    def _restore_throttles(self) -> None:
        """The recent decisions and each throttle's last share, from the store."""
        history = self.throttle_history
        if history is None:
            return
        try:
            decisions = set(history.decisions(RECENT))
            for controller in self.throttles.controllers.values():
                last = history.last(controller.settings.queue, controller.settings.site)
                if last is not None:
                    decisions.add(last)
        except Exception:
            log.exception("reading the stored throttle decisions failed")
            return
        self.throttles.restore(sorted(decisions, key=lambda e: (e.at, e.kind)))

    def _throttle_decided(self, event: ThrottleEvent) -> None:
        """Store a decision durably, in the background (it is already on screen)."""
        log.info("throttle %s -> %s: share %.3f -> %.3f (%s)",
                 event.queue, event.site, event.previous, event.share, event.kind)  # fmt: skip
        history = self.throttle_history
        if history is None:
            return
        try:
            task = asyncio.get_running_loop().create_task(self._record_throttle(history, event))
        except RuntimeError:  # no event loop (a synchronous caller): write now
            self._record_now(history, event)
            return
        self._throttle_writes.add(task)
        task.add_done_callback(self._throttle_writes.discard)

    async def _record_throttle(self, history: ThrottleHistory, event: ThrottleEvent) -> None:
        """Store the decision, then tell the webhooks and mailboxes (once)."""
        fresh = await asyncio.to_thread(self._record_now, history, event)
        if fresh and self.notifier is not None:
            self.notifier.notify_throttle(event)

    @staticmethod
    def _record_now(history: ThrottleHistory, event: ThrottleEvent) -> bool:
        """Whether the decision is new (True as well when storing failed: people
        must still hear of it)."""
        try:
            return history.record(event)
        except Exception:
            log.exception("storing the throttle decision %s failed", event)
            return True

    async def drain_throttle_writes(self) -> None:
        """Wait until every throttle decision made so far is stored."""
        while self._throttle_writes:
            await asyncio.gather(*list(self._throttle_writes), return_exceptions=True)

    def statistics(self) -> dict[str, Any]:
        return {
            "clients": len(self._clients),
            "pushes": self._pushes,
            "last_build_ms": round(self._build_ms, 2),
            "seq": self._seq,
            "alerts": self.alerts.statistics().active,
        }

    # ------------------------------------------------------------ WebSocket clients

    async def serve(
        self,
        websocket: WebSocket,
        view: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        """Stream snapshots to an accepted WebSocket until it closes. `view`
        narrows what this client may see (a scoped supervisor)."""
        client = _Client(view)
        self._clients.add(client)
        last = self._last or self.snapshot()
        client.latest = json.dumps(view(last) if view else last, separators=(",", ":"))
        client.ready.set()
        receiver = asyncio.create_task(self._drain(websocket))
        try:
            while not receiver.done():
                waiter = asyncio.create_task(client.ready.wait())
                await asyncio.wait({waiter, receiver}, return_when=asyncio.FIRST_COMPLETED)
                if not waiter.done():
                    waiter.cancel()
                    break
                client.ready.clear()
                await websocket.send_text(client.latest)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            self._clients.discard(client)
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiver

    @staticmethod
    async def _drain(websocket: WebSocket) -> None:
        """Read (and ignore) what the client sends, to notice when it leaves."""
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while True:
                message = await websocket.receive()
                if message.get("type") == "websocket.disconnect":
                    return


def scoped_view(
    sites: Iterable[str] = (), outsourcer: str = "", queues: Iterable[str] = ()
) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """A view restricted to a supervisor's sites or outsourcer (None: sees all).
    `queues` lists the queues the outsourcer serves (from the configuration)."""
    site_set, queue_set = set(sites), set(queues)
    if not site_set and not outsourcer:
        return None

    def keep_agent(agent: dict[str, Any]) -> bool:
        if outsourcer and agent["outsourcer"] != outsourcer:
            return False
        return not site_set or agent["site"] in site_set

    def view(snapshot: dict[str, Any]) -> dict[str, Any]:
        out = dict(snapshot)
        figures: dict[str, Any] = {}
        for window, dims in snapshot["figures"].items():
            mine = dict(dims)
            if outsourcer:
                mine["outsourcer"] = {
                    k: v for k, v in dims["outsourcer"].items() if k == outsourcer
                }
                mine["queue"] = {k: v for k, v in dims["queue"].items() if k in queue_set}
                mine.pop("center", None)
            if site_set:
                mine["site"] = {k: v for k, v in dims["site"].items() if k in site_set}
            figures[window] = mine
        out["figures"] = figures
        agents = [a for a in snapshot["agents"]["list"] if keep_agent(a)]
        by_state: dict[str, int] = {}
        for agent in agents:
            by_state[agent["state"]] = by_state.get(agent["state"], 0) + 1
        out["agents"] = {"by_state": by_state, "list": agents}
        if outsourcer:
            out["waiting"] = [w for w in snapshot["waiting"] if w["queue"] in queue_set]
            throttles = snapshot.get("throttles")
            if throttles is not None:  # only the throttles of the queues they serve
                out["throttles"] = {
                    part: [t for t in items if t["queue"] in queue_set]
                    for part, items in throttles.items()
                }
        return out

    return view
