# Why: the digital twin is only worth trusting if it runs the very routing code of
# production. This runner owns a virtual clock and plays the world around the real
# `Engine`: customers arrive, wait and give up, agents log in, accept, talk and
# wrap up, supervisors apply measures — all as the engine's own commands, with a
# Tick whenever the engine's next timer is due. Every event goes to the real
# `KpiBook` (in batches, in order). There is no second routing implementation here.
"""Discrete-event simulation of a scenario on the real routing engine and KPI book."""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.flows import actions as fa
from joignable.core.flows import model as fm
from joignable.core.flows.engine import Context, QueueState
from joignable.core.kpis.book import KpiBook, KpiSettings
from joignable.core.model import AgentSpec, Channel, ContactSpec, EndReason, OverflowAction
from joignable.core.routing.engine import Engine
from joignable.core.routing.lifecycle import ContactState
from joignable.schema.flow import load_flow

from .agents import AgentWorld, _AgentPlan
from .clock import NORMAL, URGENT, VirtualClock
from .flowmodel import FlowModel, flow_queues
from .ivr import Walk, walk
from .scenario import CallbackOffer, ChannelStandby, Crisis, MoveAgents, Scenario, seconds_of_day
from .streams import Stream, build_measures, build_streams

#: Suffix of the twin queue that holds callers who will accept a callback offer.
CALLBACK_TWIN = "~callback"

_WAITING = (ContactState.WAITING, ContactState.OFFERED)
_TICK = cmd.Tick()  # commands are frozen: one Tick serves every time-out

#: How a walk through a flow ended, counted in `RunResult.extra["ivr"]` (see
#: docs/simulator.md): "enqueued" and "callback" went on to routing.
IVR_OUTCOMES = (
    "walked",
    "enqueued",
    "callback",
    "self_service_resolved",
    "self_service_unresolved",
    "abandoned",
    "hangup",
    "voicemail",
    "transferred",
    "error",
)

#: Events reach the KPI book in batches of this many, in order: nothing reads the
#: book before the run ends (self-service bookings flush the batch first), and
#: booking a run of events at once, rather than one between each engine step,
#: keeps the book's code and data warm — the whole simulation runs ~10 % faster.
BOOK_BATCH = 256


@dataclass
class RunResult:
    """One replication: the KPI book and what the runner measured beside it."""

    book: KpiBook
    epoch: float
    end: float
    ready_seconds: dict[float, float]  # interval start → agent-seconds ready (any activity)
    arrivals: int = 0
    commands: int = 0
    events: int = 0
    self_service: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class Simulation(AgentWorld):
    """One replication of a scenario. `run()` returns a RunResult.

    `seed` and `replication` name every random stream (arrivals, patience, handle
    and wrap times per traffic line), so two scenarios run with the same seed see
    the same customers wherever their traffic is the same.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int = 1,
        replication: int = 0,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        self.s = scenario
        self.seed = seed
        self.rep = replication
        self.progress = progress
        self.epoch = scenario.epoch()
        self.t_open = self.epoch + seconds_of_day(scenario.open)
        self.t_close = self.epoch + seconds_of_day(scenario.close)
        self.t_end = self.t_close + scenario.drain_minutes * 60.0
        self.interval = scenario.interval_minutes * 60.0
        self.clock = VirtualClock(self.epoch)
        self.engine = Engine()
        self.book = KpiBook(
            KpiSettings(
                interval_s=self.interval,
                short_abandon_s=scenario.short_abandon_seconds,
                sl_seconds=scenario.sl_seconds,
                window_s=0,  # reports read whole intervals; no live sliding window
            )
        )
        self.streams = build_streams(scenario, self.epoch)
        self.measures = build_measures(scenario, self.epoch)
        self.twins: set[str] = set()
        self.plans: dict[str, _AgentPlan] = {}
        self.watch: set[str] = set()  # agents waiting to be free (log out, change spec)
        self.info: dict[str, tuple[float, float, float]] = {}  # contact → handle, wrap, ring
        self.ready: dict[str, float] = {}  # ready agent → since
        self.ready_seconds: dict[float, float] = {}
        self.n_commands = self.n_events = self.n_arrivals = self.n_self = 0
        self._unbooked: list[ev.Event] = []  # for the KPI book, not applied yet
        self._quiet_at: float | None = None  # no timer due then, and no command since
        self._syncing = False
        self.flows: dict[int, tuple[fm.Flow, fm.Flow | None, FlowModel]] = {}
        loaded: dict[str, fm.Flow] = {}

        def load(file: str) -> fm.Flow:
            if file not in loaded:
                loaded[file] = load_flow(file)
            return loaded[file]

        for stream in self.streams:
            f = next((f for f in scenario.flows if f.covers(stream.queue, stream.channel)), None)
            if f is not None:
                crisis_flow = load(f.crisis_file) if f.crisis_file else None
                self.flows[stream.index] = (load(f.file), crisis_flow, f)
        self.crises = [
            (
                self.epoch + seconds_of_day(m.at),
                self.epoch + seconds_of_day(m.until) if m.until else math.inf,
                m.message,
            )
            for m in scenario.measures
            if isinstance(m, Crisis)
        ]
        self.flow_rngs: dict[int, random.Random] = {}  # the callers' answers, per stream
        self.ivr: dict[str, int] = dict.fromkeys(IVR_OUTCOMES, 0)
        self.ivr_seconds = 0.0
        self._handlers: dict[type[ev.Event], Callable[[Any], None]] = {
            ev.ContactOffered: self._on_offered,
            ev.OfferAccepted: self._on_accepted,
            ev.ContactCompleted: self._on_completed,
            ev.ContactQueued: self._on_queued,
            ev.ContactEnded: self._on_ended,
            ev.WrapUpFinished: self._on_wrapped,
            ev.AgentPresenceChanged: self._on_presence,
            ev.AgentLoggedOut: self._on_logged_out,
        }

    # ------------------------------------------------------------------ setup

    def _rng(self, purpose: str, index: int) -> random.Random:
        return random.Random(f"{self.seed}:{self.rep}:{purpose}:{index}")

    def _setup(self) -> None:
        start = self.epoch
        callback_queues = {
            q
            for m in self.s.measures
            if isinstance(m, CallbackOffer)
            for q in (m.queues or list(self.s.queues))
        }
        for qid, q in self.s.queues.items():
            spec = q.build(qid)
            self._do(cmd.ConfigureQueue(queue=spec), start)
            if qid in callback_queues:  # the same queue, with the engine's own callback rule
                twin = dataclasses.replace(
                    spec,
                    id=qid + CALLBACK_TWIN,
                    channels=spec.channels | {Channel.CALLBACK},
                    on_max_wait=OverflowAction.CALLBACK,
                )
                self.twins.add(twin.id)
                self._do(cmd.ConfigureQueue(queue=twin), start)
        for gid, g in self.s.agents.items():
            shift = g.shift
            breaks = [(seconds_of_day(b.at), b.minutes * 60.0) for b in shift.breaks]
            for i in range(g.count):
                aid = f"{gid}-{i + 1:03d}"
                agent = self._with_twins(g.build(aid))
                self.plans[aid] = _AgentPlan(gid, agent)
                self._do(cmd.ConfigureAgent(agent=agent), start)
                at = self.epoch + seconds_of_day(shift.start)
                self.clock.schedule(at, self._shift, (aid, True), URGENT)
                self.clock.schedule(
                    self.epoch + seconds_of_day(shift.end), self._shift, (aid, False)
                )
                lag = (i % max(1, len(breaks) * 4)) * shift.stagger_minutes * 60.0
                for b_at, length in breaks:
                    self.clock.schedule(self.epoch + b_at + lag, self._break, (aid, True), URGENT)
                    self.clock.schedule(self.epoch + b_at + lag + length, self._break, (aid, False))
        for m in self.s.measures:
            at = self.epoch + seconds_of_day(m.at)
            until = self.epoch + seconds_of_day(m.until) if m.until else None
            if isinstance(m, ChannelStandby):
                self.clock.schedule(at, self._standby, (m.channel, True), URGENT)
                if until is not None:
                    self.clock.schedule(until, self._standby, (m.channel, False), URGENT)
            elif isinstance(m, MoveAgents):
                group = self.s.agents[m.group]
                ids = [a for a, p in self.plans.items() if p.group == m.group][: m.count]
                self.clock.schedule(at, self._move, (ids, dict(m.capacity)), URGENT)
                if until is not None:
                    self.clock.schedule(until, self._move, (ids, group.capacity), URGENT)
        for stream in self.streams:
            times = stream.arrivals(self._rng("arrivals", stream.index))
            rngs = [self._rng(p, stream.index) for p in ("choice", "patience", "handle", "wrap")]
            self._next_arrival((stream, times, 0, rngs))

    def _with_twins(self, spec: AgentSpec) -> AgentSpec:
        if not spec.queues or not self.twins:
            return spec
        extra = {q + CALLBACK_TWIN for q in spec.queues} & self.twins
        return dataclasses.replace(spec, queues=spec.queues | extra)

    # ----------------------------------------------------------------- engine

    def _do(self, command: cmd.Command, now: float) -> None:
        engine = self.engine
        if now != self._quiet_at and engine.due(now):
            self._dispatch(engine.handle(_TICK, now))
        self._quiet_at = None
        self.n_commands += 1
        self._dispatch(engine.handle(command, now))

    def _dispatch(self, events: list[ev.Event]) -> None:
        unbooked = self._unbooked
        if self.twins:
            for e in events:
                seen = self._untwin(e)
                if seen is not None:
                    unbooked.append(seen)
        else:
            unbooked.extend(events)
        if len(unbooked) >= BOOK_BATCH:
            self._book_events()
        handlers = self._handlers
        self.n_events += len(events)
        for e in events:
            h = handlers.get(type(e))
            if h is not None:
                h(e)
        if self.watch and not self._syncing:
            for aid in list(self.watch):
                self._sync(aid)

    def _self_service(self, now: float, cid: str, channel: Channel, resolved: bool) -> None:
        """A contact resolved (or not) with no agent: an event of the engine's log
        that the KPI book folds. Counted in `self_service`, not in `commands` or
        `events`, which stay those of routing (reports compare across versions)."""
        self.n_self += 1
        command = cmd.EndSelfService(contact_id=cid, channel=channel, resolved=resolved)
        self._unbooked.extend(self.engine.handle(command, now))

    def _book_events(self) -> None:
        """Apply the events not booked yet to the KPI book, in order."""
        apply = self.book.apply
        for e in self._unbooked:
            apply(e)
        self._unbooked.clear()

    def _untwin(self, e: ev.Event) -> ev.Event | None:
        """The KPI book sees a twin queue's contacts in the queue they belong to."""
        if isinstance(e, ev.QueueConfigured):
            return None if e.queue.id in self.twins else e
        if not isinstance(e, ev.ContactQueued):
            return e
        q = e.contact.queue
        if q not in self.twins:
            return e
        contact = dataclasses.replace(e.contact, queue=q[: -len(CALLBACK_TWIN)])
        return dataclasses.replace(e, contact=contact)

    # ------------------------------------------------------------- contacts

    def _next_arrival(self, state: tuple[Stream, list[float], int, list[random.Random]]) -> None:
        stream, times, i, rngs = state
        if i < len(times):
            self.clock.schedule(times[i], self._arrive, (stream, times, i, rngs))

    def _arrive(self, state: tuple[Stream, list[float], int, list[random.Random]]) -> None:
        stream, times, i, rngs = state
        self._next_arrival((stream, times, i + 1, rngs))
        now = times[i]
        self.n_arrivals += 1
        choice, r_pat, r_handle, r_wrap = rngs
        draw = choice.random
        u_ivr, u_link, u_success, u_cb = draw(), draw(), draw(), draw()
        patience = stream.patience.sample(r_pat) if stream.patience is not None else math.inf
        handle = stream.handle.sample(r_handle)
        wrap = stream.wrap.sample(r_wrap)
        cid = f"c{self.n_arrivals}"
        queue, channel = stream.queue, stream.channel
        flow = self.flows.get(stream.index)
        if flow is not None:
            self._walk(now, cid, stream, flow, (patience, handle, wrap, u_cb))
            return
        m = self.measures
        if m.ivr and u_ivr < m.ivr_share(now, queue, channel):
            self._self_service(now, cid, channel, resolved=True)
            return
        share, success = m.link(now, queue, channel) if m.self_service else (0.0, 0.0)
        if u_link < share:
            self._self_service(now, cid, channel, resolved=u_success < success)
            return
        spec = ContactSpec(
            id=cid,
            channel=channel,
            queue=queue,
            customer=cid,
            language=stream.language,
            skills=stream.skills,
            priority=stream.priority,
            arrived_at=now,
        )
        self._enter(now, spec, stream, (patience, handle, wrap, u_cb))

    def _enter(
        self,
        now: float,
        spec: ContactSpec,
        stream: Stream,
        draws: tuple[float, float, float, float],
    ) -> None:
        """Add the contact `spec` to routing at `now`, with the playbook's callback
        offer and patience measures, and schedule its abandon."""
        patience, handle, wrap, u_cb = draws
        cid, queue, channel, m = spec.id, spec.queue, spec.channel, self.measures
        offer = m.callback_offer(now, queue, channel) if m.callback else None
        if offer is not None and u_cb < offer[1]:
            spec = dataclasses.replace(spec, queue=queue + CALLBACK_TWIN)
        for w, factor in stream.patience_factors:
            if w.covers(now, queue, channel):
                patience *= factor
        if m.promised:
            patience *= m.patience_factor(now, queue, channel)
        self.info[cid] = (handle, wrap, stream.ring)
        if offer is not None and spec.queue != queue:
            twin = self.engine.queues[spec.queue].spec
            if twin.max_wait != offer[0]:  # the offer delay of the measure in force
                self._do(
                    cmd.ConfigureQueue(queue=dataclasses.replace(twin, max_wait=offer[0])), now
                )
        self._do(cmd.AddContact(contact=spec), now)
        if patience < math.inf:
            self.clock.schedule(now + patience, self._abandon, cid)

    # ------------------------------------------------------------------ flows

    def _crisis(self, t: float) -> str | None:
        """The crisis message at `t` ("" for a flag with no message), None: no crisis."""
        crisis = [msg for start, end, msg in self.crises if start <= t < end]
        return crisis[-1] if crisis else None

    def _context(self, stream: Stream, cid: str, flow: fm.Flow, model: FlowModel) -> Any:
        """The engine's context at simulated time t, for one caller: the crisis flag
        then, the queues' state now (read once, when the caller arrives)."""
        queues = {name: self._queue_state(model.queue(name), stream) for name in flow_queues(flow)}
        caller = {"number": f"+33{self.seed % 10}{int(cid[1:]):08d}", "id": cid}

        def context(t: float) -> Context:
            crisis = self._crisis(t)
            return Context(
                now=t,
                language=stream.language or None,
                crisis=crisis is not None,
                crisis_message=crisis or "",
                queues=queues,
                caller=caller,
            )

        return context

    def _queue_state(self, queue: str, stream: Stream) -> QueueState:
        """What a flow may branch on about `queue`, from the engine's state: contacts
        waiting, ready agents with room on the stream's channel, and an estimated
        wait of (waiting + 1) × the mean handle time / the ready agents serving it."""
        engine = self.engine
        waiting = sum(
            len(engine.queues[q].waiting)
            for q in (queue, queue + CALLBACK_TWIN)
            if q in engine.queues
        )
        serving = [
            a
            for aid in self.ready
            if (a := engine.agents.get(aid)) is not None
            and (not a.spec.queues or queue in a.spec.queues)
        ]
        free = sum(1 for a in serving if stream.channel in a.open_channels())
        if free and not waiting:
            return QueueState(waiting=0, agents=free, wait=0.0)
        mean = float(getattr(stream.handle, "mean", 0.0) or 0.0)
        wait = (waiting + 1) * mean / len(serving) if serving else math.inf
        return QueueState(waiting=waiting, agents=free, wait=wait)

    def _walk(
        self,
        now: float,
        cid: str,
        stream: Stream,
        f: tuple[fm.Flow, fm.Flow | None, FlowModel],
        draws: tuple[float, float, float, float],
    ) -> None:
        """Walk the caller through the flow now (the crisis version while the crisis
        flag is set) and schedule what its outcome decides at the time the caller
        leaves the IVR."""
        normal, crisis_flow, model = f
        flow = crisis_flow if crisis_flow is not None and self._crisis(now) is not None else normal
        rng = self.flow_rngs.setdefault(stream.index, self._rng("flow", stream.index))
        w = walk(flow, now, self._context(stream, cid, flow, model), model.callers, rng)
        self.ivr["walked"] += 1
        self.ivr_seconds += w.end - now
        self.clock.schedule(w.end, self._leave_ivr, (now, cid, stream, model, w, draws))

    def _leave_ivr(
        self,
        arg: tuple[float, str, Stream, FlowModel, Walk, tuple[float, float, float, float]],
    ) -> None:
        arrived, cid, stream, model, w, draws = arg
        now, channel = self.clock.now, stream.channel
        if w.outcome == "self_service":
            key = "self_service_resolved" if w.resolved else "self_service_unresolved"
            self.ivr[key] += 1
            self._self_service(now, cid, channel, resolved=w.resolved)
            return
        if w.enqueue is None or w.outcome not in ("enqueued", "callback"):
            self.ivr[w.outcome if w.outcome in self.ivr else "error"] += 1
            return
        self.ivr[w.outcome] += 1
        spec = self._flow_contact(arrived, cid, stream, model, w.enqueue)
        if spec.channel is Channel.CALLBACK:  # called back: no caller on the line to give up
            draws = (math.inf, *draws[1:])
        self._enter(now, spec, stream, draws)

    def _flow_contact(
        self, arrived: float, cid: str, stream: Stream, model: FlowModel, e: fa.Enqueue
    ) -> ContactSpec:
        """The contact the flow's `Enqueue` hands to routing: its queue and skills
        named as the scenario's, its priority (else the stream's), its variables as
        attributes; a callback when the queue takes callbacks."""
        queue = model.queue(e.queue)
        levels = dict(self.s.queues[queue].skills) if queue != stream.queue else dict(stream.skills)
        for skill in e.skills:
            levels.setdefault(model.skills.get(skill, skill), 1)
        q_spec = self.engine.queues[queue].spec
        channel = (
            Channel.CALLBACK
            if e.callback and Channel.CALLBACK in q_spec.channels
            else stream.channel
        )
        return ContactSpec(
            id=cid,
            channel=channel,
            queue=queue,
            customer=cid,
            language=stream.language,
            skills=tuple(sorted(levels.items())),
            priority=e.priority or stream.priority,
            attributes=e.attributes,
            arrived_at=arrived,
        )

    def _abandon(self, cid: str) -> None:
        c = self.engine.contacts.get(cid)
        if c is not None and c.state in _WAITING:
            self._do(cmd.Abandon(contact_id=cid), self.clock.now)

    def _accept(self, arg: tuple[str, str]) -> None:
        cid, aid = arg
        c = self.engine.contacts.get(cid)
        if c is not None and c.state is ContactState.OFFERED and c.agent == aid:
            self._do(cmd.Accept(contact_id=cid, agent_id=aid), self.clock.now)

    def _complete(self, arg: tuple[str, str]) -> None:
        cid, aid = arg
        c = self.engine.contacts.get(cid)
        if c is not None and c.state is ContactState.CONNECTED and c.agent == aid:
            self._do(cmd.Complete(contact_id=cid, agent_id=aid), self.clock.now)

    def _finish(self, arg: tuple[str, str]) -> None:
        cid, aid = arg
        c = self.engine.contacts.get(cid)
        if c is not None and c.state is ContactState.WRAP_UP and c.agent == aid:
            self._do(cmd.FinishWrapUp(contact_id=cid, agent_id=aid, resolved=True), self.clock.now)

    def _on_offered(self, e: ev.ContactOffered) -> None:
        ring = self.info.get(e.contact_id, (0.0, 0.0, 0.0))[2]
        self.clock.schedule(e.at + ring, self._accept, (e.contact_id, e.agent_id))

    def _on_accepted(self, e: ev.OfferAccepted) -> None:
        handle = self.info.get(e.contact_id, (0.0, 0.0, 0.0))[0]
        self.clock.schedule(e.at + handle, self._complete, (e.contact_id, e.agent_id))

    def _on_completed(self, e: ev.ContactCompleted) -> None:
        wrap = self.info.get(e.contact_id, (0.0, 0.0, 0.0))[1]
        if e.deadline > e.at and e.at + wrap < e.deadline:
            self.clock.schedule(e.at + wrap, self._finish, (e.contact_id, e.agent_id))

    def _on_queued(self, e: ev.ContactQueued) -> None:
        if not e.contact.attributes:
            return
        origin = dict(e.contact.attributes).get("callback_of")
        if origin is not None and origin in self.info:
            self.info[e.contact.id] = self.info.pop(origin)

    def _on_ended(self, e: ev.ContactEnded) -> None:
        if e.reason is not EndReason.CALLBACK:
            self.info.pop(e.contact_id, None)

    def _on_wrapped(self, e: ev.WrapUpFinished) -> None:
        if not e.leg:
            self.info.pop(e.contact_id, None)

    # ------------------------------------------------------------------- run

    def run(self) -> RunResult:
        """Simulate from midnight to close + drain; return the replication's result."""
        self._setup()
        clock, engine, end, progress = self.clock, self.engine, self.t_end, self.progress
        peek, pop, due = clock.peek, clock.pop, engine.due
        span = max(1.0, end - self.epoch)
        report_every, n = 2000, 0
        while True:
            t = peek()
            horizon = end if t is None or t > end else t
            if due(horizon):  # a timer acts before the next action (or the end)
                deadline = engine.next_deadline()
                assert deadline is not None
                clock.advance(deadline)
                self._dispatch(engine.handle(_TICK, clock.now))
                continue
            if t is None or t > end:
                break
            self._quiet_at = t  # the action's first command needs no second look
            action, arg = pop()
            action(arg)
            self._quiet_at = None
            n += 1
            if progress is not None and n % report_every == 0:
                progress(min(1.0, (clock.now - self.epoch) / span))
        clock.advance(end)
        self._book_events()
        for aid, since in list(self.ready.items()):
            self._book_ready(since, end)
            self.ready[aid] = end
        if self.progress is not None:
            self.progress(1.0)
        return RunResult(
            book=self.book,
            epoch=self.epoch,
            end=end,
            ready_seconds=dict(self.ready_seconds),
            arrivals=self.n_arrivals,
            commands=self.n_commands,
            events=self.n_events,
            self_service=self.n_self,
            extra={"ivr": {**self.ivr, "ivr_seconds": self.ivr_seconds}} if self.flows else {},
        )


def simulate(scenario: Scenario, seed: int = 1, replication: int = 0) -> RunResult:
    """Run one replication of `scenario`."""
    return Simulation(scenario, seed, replication).run()


__all__ = ["CALLBACK_TWIN", "IVR_OUTCOMES", "NORMAL", "RunResult", "Simulation", "simulate"]
