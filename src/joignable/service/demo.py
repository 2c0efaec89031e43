"""Simulated customers and agents for the live demo, on the real runner and clock.

Why: a newcomer should see a contact center breathe — contacts arriving,
agents answering, figures moving, an alert firing when an outage hits — in
their browser within seconds of `make demo`, with nothing to plug in. This
module drives the real `CenterRunner` (so everything the tower shows went
through the real engine and the real event log) with the simulator's
distributions: Poisson arrivals per queue, customers who give up after an
exponential patience, agents who accept after a ring, talk for a lognormal
time (or transfer a share of contacts to another queue, then wrap up their
part) and wrap up. The "outage" switch multiplies the arrival rates.

One agent (`human_agent`) is left to a person on the agent desk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.model import Channel
from joignable.core.routing.lifecycle import ContactState, InvalidTransition
from joignable.service.admission import Admission, AdmissionError, Arrival
from joignable.service.runner import CenterRunner, RunnerUnavailable
from joignable.sim.distributions import Distribution, Exponential, LogNormal

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QueueTraffic:
    """Arrivals of one queue: `rate` contacts per second on `channel`."""

    queue: str
    channel: Channel
    rate: float
    talk: Distribution
    patience: Distribution


DEFAULT_TRAFFIC: tuple[QueueTraffic, ...] = (
    QueueTraffic("voice", Channel.VOICE, 0.10, LogNormal(70, 0.6), Exponential(75)),
    QueueTraffic("chat", Channel.CHAT, 0.10, LogNormal(100, 0.5), Exponential(150)),
    QueueTraffic("email", Channel.EMAIL, 0.05, LogNormal(50, 0.5), Exponential(3600)),
)


@dataclass(slots=True)
class DemoSettings:
    traffic: Sequence[QueueTraffic] = DEFAULT_TRAFFIC
    outage_multiplier: float = 4.0
    ring: tuple[float, float] = (1.0, 3.0)  # seconds before a simulated agent accepts
    wrap: tuple[float, float] = (3.0, 8.0)  # seconds of wrap-up
    reject_share: float = 0.03
    transfer_share: float = 0.05  # answered contacts an agent transfers to another queue
    human_agent: str = "p01"
    seed: int = 20240601
    skip: frozenset[str] = field(default_factory=frozenset)


class DemoTraffic:
    """Runs the simulated customers and agents until `stop()`."""

    def __init__(
        self,
        runner: CenterRunner,
        settings: DemoSettings | None = None,
        admission: Admission | None = None,
    ) -> None:
        self.runner = runner
        # every demo customer enters through the same path as the API's
        # (a migration throttle may send it to a site variant)
        self.admission = admission or Admission(runner)
        self.settings = settings or DemoSettings()
        self.rng = random.Random(self.settings.seed)
        log.info("demo traffic seed %d", self.settings.seed)
        self.outage = False
        self.arrived = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._running = False
        self._unsubscribe: Any = None
        self._changed: asyncio.Event = asyncio.Event()

    # ------------------------------------------------------------ control

    def set_outage(self, on: bool) -> None:
        """Multiply arrivals by the outage multiplier (on) or go back to normal."""
        self.outage = on
        self._changed.set()
        log.info("demo outage %s", "on" if on else "off")

    def section(self) -> dict[str, Any]:
        """What the control tower shows of the demo."""
        mult = self.settings.outage_multiplier if self.outage else 1.0
        per_min = sum(t.rate for t in self.settings.traffic) * mult * 60
        return {
            "outage": self.outage,
            "multiplier": self.settings.outage_multiplier,
            "arrivals_per_min": round(per_min, 1),
            "arrived": self.arrived,
            "human_agent": self.settings.human_agent,
        }

    async def start(self) -> None:
        self._running = True
        self._unsubscribe = self.runner.subscribe(self._react)
        engine = self.runner.engine
        for agent_id in sorted(engine.agents):
            if agent_id == self.settings.human_agent or agent_id in self.settings.skip:
                continue
            if engine.agents[agent_id].presence.value == "offline":
                await self._submit(cmd.LogIn(agent_id=agent_id, ready=True, by="demo"))
            elif engine.agents[agent_id].presence.value == "not_ready":
                await self._submit(cmd.SetReady(agent_id=agent_id, by="demo"))
        for traffic in self.settings.traffic:
            if traffic.queue in engine.queues:
                self._spawn(self._arrivals(traffic))

    async def stop(self) -> None:
        self._running = False
        if self._unsubscribe is not None:
            self._unsubscribe()
        for timer in self._timers:
            timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ------------------------------------------------------------ customers

    async def _arrivals(self, traffic: QueueTraffic) -> None:
        while self._running:
            mult = self.settings.outage_multiplier if self.outage else 1.0
            gap = self.rng.expovariate(traffic.rate * mult)
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                # an outage switched on or off starts a fresh gap at the new rate
                await asyncio.wait_for(self._changed.wait(), timeout=gap)
                continue
            self.arrived += 1
            contact_id = f"demo-{traffic.queue}-{self.arrived}"
            arrival = Arrival(
                channel=traffic.channel,
                queue=traffic.queue,
                customer=f"cust-{self.rng.randrange(100_000):05d}",
                language="fr",
                by="demo",
                contact_id=contact_id,
            )
            self._spawn(self._admit(arrival))
            self._later(traffic.patience.sample(self.rng), self._give_up, contact_id)

    async def _give_up(self, contact_id: str) -> None:
        contact = self.runner.engine.contacts.get(contact_id)
        if contact is not None and contact.state in (ContactState.WAITING, ContactState.OFFERED):
            await self._submit(cmd.Abandon(contact_id=contact_id))

    # ------------------------------------------------------------ agents

    def _react(self, events: Sequence[ev.Event]) -> None:
        human = self.settings.human_agent
        for e in events:
            if isinstance(e, ev.ContactOffered) and e.agent_id != human:
                self._later(self.rng.uniform(*self.settings.ring), self._answer, e)
            elif isinstance(e, ev.OfferAccepted) and e.agent_id != human:
                talk = self._talk(e.contact_id)
                target = self._transfer_target(e.contact_id)
                command: cmd.Command
                if target is not None and self.rng.random() < self.settings.transfer_share:
                    talk *= self.rng.uniform(0.2, 0.5)  # the agent finds it is not theirs
                    command = cmd.Transfer(
                        contact_id=e.contact_id, agent_id=e.agent_id, to_queue=target, by="demo"
                    )
                else:
                    command = cmd.Complete(contact_id=e.contact_id, agent_id=e.agent_id, by="demo")
                self._later(talk, self._submit, command)
            elif isinstance(e, ev.ContactTransferred) and e.from_agent != human and e.wrap_deadline:
                wrap = cmd.FinishWrapUp(  # the transferring agent's notes on its part
                    contact_id=e.contact_id, agent_id=e.from_agent, code="transferred", by="demo"
                )
                self._later(self.rng.uniform(*self.settings.wrap), self._submit, wrap)
            elif isinstance(e, ev.ContactCompleted) and e.agent_id != human:
                code = self.rng.choice(("resolved", "resolved", "resolved", "follow-up", "sale"))
                wrap = cmd.FinishWrapUp(
                    contact_id=e.contact_id,
                    agent_id=e.agent_id,
                    code=code,
                    resolved=code != "follow-up",
                    by="demo",
                )
                self._later(self.rng.uniform(*self.settings.wrap), self._submit, wrap)

    def _transfer_target(self, contact_id: str) -> str | None:
        """Another queue taking this contact's channel, for a first transfer."""
        engine = self.runner.engine
        contact = engine.contacts.get(contact_id)
        if contact is None or contact.transfers:
            return None
        targets = sorted(
            q
            for q, s in engine.queues.items()
            if q != contact.queue and contact.channel in s.spec.channels and not s.spec.standby
        )
        return self.rng.choice(targets) if targets else None

    def _talk(self, contact_id: str) -> float:
        contact = self.runner.engine.contacts.get(contact_id)
        for traffic in self.settings.traffic:
            if contact is not None and traffic.queue == contact.queue:
                return traffic.talk.sample(self.rng)
        return self.settings.traffic[0].talk.sample(self.rng)

    async def _answer(self, offer: ev.ContactOffered) -> None:
        if self.rng.random() < self.settings.reject_share:
            command: cmd.Command = cmd.Reject(contact_id=offer.contact_id, agent_id=offer.agent_id)
        else:
            command = cmd.Accept(contact_id=offer.contact_id, agent_id=offer.agent_id)
        await self._submit(command)

    # ------------------------------------------------------------ plumbing

    async def _submit(self, command: cmd.Command) -> None:
        # the contact may have moved on before the simulated person acted
        with contextlib.suppress(cmd.CommandRejected, InvalidTransition, RunnerUnavailable):
            await self.runner.submit(command)

    async def _admit(self, arrival: Arrival) -> None:
        # a queue the configuration removed meanwhile, or a runner stopping
        with contextlib.suppress(cmd.CommandRejected, AdmissionError, RunnerUnavailable):
            await self.admission.admit(arrival)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _later(self, delay: float, fn: Any, *args: Any) -> None:
        if not self._running:
            return
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle | None = None

        def fire() -> None:
            if handle is not None:
                self._timers.discard(handle)
            if self._running:
                self._spawn(fn(*args))

        handle = loop.call_later(delay, fire)
        self._timers.add(handle)
