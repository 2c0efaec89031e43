# Why: agents in a simulated day follow a plan — shift start and end, breaks,
# being moved to another channel by a supervisor — while the engine decides what
# they may do *now* (an agent holding a call finishes it before a break or a
# log-out). This mixin keeps that plan and sends the engine the presence commands
# that bring each agent in line with it, as soon as the agent is free.
"""Agent shifts, breaks and moves for the simulation runner."""

from __future__ import annotations

from collections.abc import Callable

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.model import AgentSpec, Channel
from joignable.core.routing.engine import Engine
from joignable.core.routing.lifecycle import Presence

from .clock import VirtualClock
from .scenario import Scenario


class _AgentPlan:
    __slots__ = ("base", "draining", "group", "on_break", "on_shift", "pending")

    def __init__(self, group: str, base: AgentSpec) -> None:
        self.group = group
        self.base = base
        self.on_shift = False
        self.on_break = False
        self.pending: AgentSpec | None = None  # a new spec waiting for the agent to be free
        self.draining = False


class AgentWorld:
    """The agents' side of the simulation (mixed into `Simulation`)."""

    s: Scenario
    clock: VirtualClock
    engine: Engine
    interval: float
    plans: dict[str, _AgentPlan]
    watch: set[str]
    ready: dict[str, float]
    ready_seconds: dict[float, float]
    _syncing: bool

    _do: Callable[[cmd.Command, float], None]  # the runner's: send a command, dispatch events
    _with_twins: Callable[[AgentSpec], AgentSpec]

    def _on_presence(self, e: ev.AgentPresenceChanged) -> None:
        if e.ready:
            self.ready.setdefault(e.agent_id, e.at)
        else:
            self._unready(e.agent_id, e.at)

    def _on_logged_out(self, e: ev.AgentLoggedOut) -> None:
        self._unready(e.agent_id, e.at)

    def _unready(self, aid: str, at: float) -> None:
        since = self.ready.pop(aid, None)
        if since is not None:
            self._book_ready(since, at)

    def _book_ready(self, since: float, until: float) -> None:
        t, step = since, self.interval
        while t < until:
            start = (t // step) * step
            end = min(until, start + step)
            self.ready_seconds[start] = self.ready_seconds.get(start, 0.0) + end - t
            t = end

    def _shift(self, arg: tuple[str, bool]) -> None:
        aid, on = arg
        self.plans[aid].on_shift = on
        self._sync(aid)

    def _break(self, arg: tuple[str, bool]) -> None:
        aid, on = arg
        self.plans[aid].on_break = on
        self._sync(aid)

    def _move(self, arg: tuple[list[str], dict[Channel, int] | None]) -> None:
        ids, capacity = arg
        for aid in ids:
            plan = self.plans[aid]
            group = self.s.agents[plan.group]
            plan.pending = self._with_twins(group.build(aid, capacity))
            self._sync(aid)

    def _standby(self, arg: tuple[Channel, bool]) -> None:
        channel, on = arg
        self._do(cmd.SetChannelStandby(channel=channel, standby=on), self.clock.now)

    def _sync(self, aid: str) -> None:
        """Bring the agent's presence in the engine to what its plan wants now."""
        if self._syncing:
            return
        self._syncing = True
        try:
            self._sync_one(aid)
        finally:
            self._syncing = False
        plan, agent = self.plans[aid], self.engine.agents[aid]
        if plan.pending is None and (plan.on_shift or agent.presence is Presence.OFFLINE):
            self.watch.discard(aid)
        else:
            self.watch.add(aid)

    def _sync_one(self, aid: str) -> None:
        plan = self.plans[aid]
        agent = self.engine.agents[aid]
        now = self.clock.now
        if plan.pending is not None:
            if agent.holding == 0:
                spec, plan.pending = plan.pending, None
                self._do(cmd.ConfigureAgent(agent=spec), now)
            elif agent.presence is Presence.READY:
                self._do(cmd.SetNotReady(agent_id=aid, reason="moving"), now)
                return
        if not plan.on_shift:
            if agent.presence is Presence.READY:
                self._do(cmd.SetNotReady(agent_id=aid, reason="end_of_shift"), now)
            if agent.presence is not Presence.OFFLINE and agent.holding == 0:
                self._do(cmd.LogOut(agent_id=aid), now)
        elif plan.on_break or plan.pending is not None:
            if agent.presence is Presence.READY:
                self._do(cmd.SetNotReady(agent_id=aid, reason="break"), now)
            elif agent.presence is Presence.OFFLINE:
                self._do(cmd.LogIn(agent_id=aid, ready=False), now)
        elif agent.presence is Presence.OFFLINE:
            self._do(cmd.LogIn(agent_id=aid, ready=True), now)
        elif agent.presence is Presence.NOT_READY:
            self._do(cmd.SetReady(agent_id=aid), now)
