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

A scoped supervisor's client sees `view(snapshot, scope, filter)`: the web
layer hands over its own access rules as a `Scope` (`service/scope.py`; the
hub has none of its own), and a tower client chooses the agents listed
(`AgentFilter`). Clients of one scope with one filter share a message; the
agents and their states are read once per engine event (`Roster`, in
`service/roster.py` with the filter), each scope's agents picked once from
them and counted by state for every row once (`core/kpis/agent_counts.py`), so a
push stays a pass over the agents per scope and per filter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Collection, Hashable, Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.websockets import WebSocket, WebSocketDisconnect

from joignable.core import events as ev
from joignable.core.alerts.rules import AlertEvaluator, AlertEvent, AlertRule
from joignable.core.kpis.agent_counts import agents_by_row
from joignable.core.kpis.book import KpiBook, KpiSettings
from joignable.core.routing.lifecycle import ContactState
from joignable.core.routing.runtime import Agent, Contact
from joignable.core.routing.throttle import ThrottleEvent, ThrottleSettings
from joignable.service.decisions import AlertDecisions
from joignable.service.notify import Notifier
from joignable.service.readside import ReadSide
from joignable.service.roster import EVERYONE, AgentFilter, Roster, agent_filter
from joignable.service.runner import CenterRunner
from joignable.service.scope import FIELDS, Scope, compact, scoped_figures, scoped_rows, scoped_view
from joignable.service.throttle_decisions import ThrottleDecisions
from joignable.service.throttles import ThrottleBank
from joignable.store.throttles import ThrottleHistory

# the scope code lives in service/scope.py; these names stay importable from here
__all__ = [
    "EVERYONE", "FIELDS", "AgentFilter", "LiveHub", "Scope", "scoped_view",
]  # fmt: skip

log = logging.getLogger(__name__)

DIMENSIONS: tuple[tuple[str, str | None], ...] = (
    ("center", None),
    ("queue", "queue"),
    ("channel", "channel"),
    ("site", "site"),
    ("outsourcer", "outsourcer"),
)
#: the tower lists this many of each queue's longest-waiting contacts
MAX_WAITING_PER_QUEUE = 20
#: the tower lists this many agents (of those its filter matches, in id order);
#: the counts cover every agent the supervisor may see
MAX_AGENTS_LISTED = 300
RECENT_ALERTS = 30


class _Client:
    __slots__ = ("find", "latest", "ready", "scope", "view")

    def __init__(
        self, view: Callable[[dict[str, Any]], dict[str, Any]] | None, scope: Scope | None
    ) -> None:
        self.view = view
        self.scope = scope
        self.find = EVERYONE
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
        self._agent_ids: set[str] = set()
        self._agent_order: list[str] = []  # agent ids, sorted, while the set is the same
        self._roster: Roster | None = None
        self._waiting_at: tuple[tuple[float, int], list[Contact]] = ((float("nan"), -1), [])
        runner.add_read_model(self.book)
        runner.add_read_model(self.throttles)
        runner.subscribe(self._on_batch)

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
        shared: dict[tuple[Hashable, AgentFilter], str] = {}
        for client in list(self._clients):
            client.latest = self._message(client, snapshot, shared)
            client.ready.set()
        return snapshot

    def _message(
        self,
        client: _Client,
        snapshot: dict[str, Any],
        shared: dict[tuple[Hashable, AgentFilter], str],
    ) -> str:
        """What `client` is sent of `snapshot`; clients of the same scope with the
        same agent filter share one message (`shared`, for one snapshot)."""
        if client.view is not None:  # a picture of its own (an agent's desk)
            return json.dumps(client.view(snapshot), separators=(",", ":"))
        key = (None if client.scope is None else client.scope.key, client.find)
        text = shared.get(key)
        if text is None:
            view = self.view(snapshot, client.scope, client.find)
            text = shared[key] = json.dumps(view, separators=(",", ":"))
        return text

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
        engine = self.read.center
        known: dict[str, set[str]] = {
            "queue": set(engine.queues),
            "site": {a.site for a in engine.agents.values() if a.site},
            "outsourcer": {a.outsourcer for a in engine.agents.values() if a.outsourcer},
        }
        for queue in engine.queues.values():  # a site or outsourcer a queue names
            if queue.spec.site:
                known["site"].add(queue.spec.site)
            if queue.spec.outsourcer:
                known["outsourcer"].add(queue.spec.outsourcer)
        since = self.midnight(now)
        if since != self._today_since:  # a new day (or the first figures): older ones unread
            self.book.forget(min(since, now - self.book.settings.window_s))
        fresh_today = now - self._today_at >= self.today_every or self._today_since != since
        for name, by in DIMENSIONS:
            sliding = {k: compact(f.as_dict()) for k, f in self.book.window(now, by=by).items()}
            yield
            if fresh_today:
                self._today[name] = {
                    k: compact(f.as_dict())
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

    def _agents_by_id(self) -> Iterator[Agent]:
        """Every agent, in id order (sorted again only when the set changed)."""
        agents = self.read.center.agents
        if self._agent_ids != agents.keys():
            self._agent_ids = set(agents)
            self._agent_order = sorted(agents)
        return (agents[agent_id] for agent_id in self._agent_order)

    def _roster_now(self) -> Roster:
        """Every agent and its state, in id order, as the engine stands (kept
        until its next event: heartbeats and every view of a push share it)."""
        engine = self.read.center
        roster = self._roster
        if roster is None or roster.seq != engine.seq:
            agents = [(agent, agent.activity) for agent in self._agents_by_id()]
            roster = self._roster = Roster(engine.seq, agents)
        return roster

    def agents(self, scope: Scope | None = None, find: AgentFilter = EVERYONE) -> dict[str, Any]:
        """The agents `scope` may see (None: all): counted by state (`by_state`,
        `total`), those `find` matches counted (`matching`) and the first
        `MAX_AGENTS_LISTED` of them listed in id order (`list`, `listed_max`).
        A scope's agents are picked once per engine state, a row built once."""
        roster = self._roster_now()
        members, by_state = self._scoped_agents(roster, scope)
        matched = [m for m in members if find.matches(*m)] if find else members
        return {
            "by_state": by_state,
            "list": [roster.row(agent, state) for agent, state in matched[:MAX_AGENTS_LISTED]],
            "total": len(members),
            "matching": len(matched),
            "listed_max": MAX_AGENTS_LISTED,
            "filter": {"find": find.find, "state": find.state},
        }

    def _scoped_agents(
        self, roster: Roster, scope: Scope | None
    ) -> tuple[list[tuple[Agent, str]], dict[str, int]]:
        """The agents `scope` may see (None: all) and their count by state,
        picked once per engine state and scope."""
        key = None if scope is None else scope.key
        mine = roster.scoped.get(key)
        if mine is None:
            members = roster.agents
            if scope is not None:
                members = [(agent, state) for agent, state in members if scope.agent(agent.spec)]
            by_state: dict[str, int] = {}
            for _, state in members:
                by_state[state] = by_state.get(state, 0) + 1
            mine = roster.scoped[key] = (members, dict(sorted(by_state.items())))
        return mine

    def agent_states(self, scope: Scope | None = None) -> dict[str, dict[str, dict[str, int]]]:
        """The agents `scope` may see (None: all) by state, for each queue,
        channel, site and outsourcer (`core/kpis/agent_counts.py`), counted once per
        engine state and scope: one pass over those agents. Not yet cut to the
        rows the scope may see (`view` does)."""
        roster = self._roster_now()
        key = None if scope is None else scope.key
        rows = roster.by_row.get(key)
        if rows is None:
            members, _ = self._scoped_agents(roster, scope)
            queues = {q: s.spec.channels for q, s in self.read.center.queues.items()}
            rows = roster.by_row[key] = agents_by_row(members, queues)
        return rows

    def _waiting_contacts(self, now: float) -> list[Contact]:
        """The contacts waiting at `now`, longest first (kept while the engine and
        `now` stay the same: every client of one push reads the same list)."""
        engine = self.read.center
        at, waiting = self._waiting_at
        if at != (now, engine.seq):
            waiting = [c for c in engine.contacts.values() if c.state is ContactState.WAITING]
            waiting.sort(key=lambda c: c.entered)
            self._waiting_at = ((now, engine.seq), waiting)
        return waiting

    def waiting(self, now: float, queues: Collection[str] | None = None) -> list[dict[str, Any]]:
        """The `MAX_WAITING_PER_QUEUE` longest-waiting contacts of each queue (of
        `queues` only, when given), longest first: a pass over those waiting, cut
        short once every queue has its share."""
        listed: list[dict[str, Any]] = []
        per_queue: dict[str, int] = {}
        known = self.read.center.queues if queues is None else queues
        lines = len(known)
        full = 0
        for c in self._waiting_contacts(now):
            if full >= lines:
                break
            if c.state is not ContactState.WAITING or (
                queues is not None and c.queue not in queues
            ):
                continue
            n = per_queue.get(c.queue, 0)
            if n >= MAX_WAITING_PER_QUEUE:
                continue
            per_queue[c.queue] = n + 1
            if n + 1 == MAX_WAITING_PER_QUEUE and c.queue in known:
                full += 1
            listed.append(
                {
                    "id": c.id,
                    "queue": c.queue,
                    "channel": c.channel.value,
                    "priority": c.priority,
                    "waited": round(now - c.entered, 1),
                }
            )
        return listed

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
        engine = self.read.center
        if evaluate:
            self._restore_alerts()
            self._decide(self.alerts.evaluate(figures, now))
            self.throttle_decisions.migrate(self.throttle_history)
            self.throttle_decisions.submit(self.throttles.decide(now))
        snapshot: dict[str, Any] = {
            "type": "snapshot",
            "at": now,
            "seq": engine.seq,
            "event_at": self._event_at,
            "figures": figures,
            "agents": self.agents(),
            "agent_states": self.agent_states(),
            "waiting": self.waiting(now),
            "waiting_per_queue": MAX_WAITING_PER_QUEUE,
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

    def view(
        self, snapshot: dict[str, Any], scope: Scope | None = None, find: AgentFilter = EVERYONE
    ) -> dict[str, Any]:
        """`snapshot` as a supervisor of `scope` (None: unscoped) may see it, with
        the agents `find` matches. Agents and waiting contacts are read from the
        engine: call it right after building `snapshot` (the push does).

        In scope: the queues `scope.queue` admits, with their waiting contacts,
        standby and alerts; the sites and outsourcers `scope.site` /
        `scope.outsourcer` admit, with their alerts; the throttles whose queue
        and site queue are in scope; their agents, counted in full. The summary
        (`center`) and the channel rows are their queues' figures together
        (`service/scope.py`). Alerts on the center or a channel (the whole
        center's figures) are not shown."""
        if scope is None:
            return snapshot if not find else {**snapshot, "agents": self.agents(None, find)}
        dims_of = snapshot["figures"]
        candidates = set(self.read.center.queues)
        for dims in dims_of.values():
            candidates.update(dims.get("queue", {}))
        queues = {q for q in candidates if scope.queue(q)}
        now = snapshot["at"]
        lines: dict[str, tuple[int, float]] = {}  # channel -> waiting, longest (oldest first)
        for c in self._waiting_contacts(now):
            if c.state is ContactState.WAITING and c.queue in queues:
                n, longest = lines.get(c.channel.value, (0, max(now - c.entered, 0.0)))
                lines[c.channel.value] = (n + 1, longest)
        figures = {w: scoped_figures(dims, scope, queues, lines) for w, dims in dims_of.items()}
        out = dict(snapshot)
        out["figures"] = figures
        out["agents"] = self.agents(scope, find)
        out["agent_states"] = scoped_rows(self.agent_states(scope), scope, queues)
        out["waiting"] = self.waiting(now, queues)
        standby = snapshot["standby"]
        out["standby"] = {**standby, "queues": [q for q in standby["queues"] if q in queues]}
        alerts = snapshot["alerts"]
        out["alerts"] = {
            part: [a for a in items if scope.sees_alert(a, queues)]
            for part, items in alerts.items()
        }
        throttles = snapshot.get("throttles")
        if throttles is not None:
            out["throttles"] = {
                part: [t for t in items if scope.sees_throttle(t, queues)]
                for part, items in throttles.items()
            }
        out["scoped"] = True  # the summary and channel rows are its queues together
        return out

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
        *,
        scope: Scope | None = None,
    ) -> None:
        """Stream snapshots to an accepted WebSocket until it closes: the tower's
        (`view`), as `scope` may see it (None: unscoped), or what `view` makes of
        each snapshot. The tower's client may send ``{"type": "agents", "find":
        ..., "state": ...}`` to choose the agents listed (`AgentFilter`); the
        answer comes at once, then with every snapshot."""
        client = _Client(view, scope)
        self._clients.add(client)
        last = self._last or self.snapshot()
        client.latest = self._message(client, last, {})
        client.ready.set()
        receiver = asyncio.create_task(self._receive(websocket, client))
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

    async def _receive(self, websocket: WebSocket, client: _Client) -> None:
        """Read what the client sends (an agent filter; anything else is ignored),
        to notice when it leaves."""
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while True:
                message = await websocket.receive()
                if message.get("type") == "websocket.disconnect":
                    return
                find = agent_filter(message.get("text"))
                if find is None or client.view is not None or find == client.find:
                    continue
                client.find = find
                if self._last is not None:  # answer now, not at the next push
                    client.latest = self._message(client, self._last, {})
                    client.ready.set()
