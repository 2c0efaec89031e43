"""Migration throttle: even spreading, lowering on abandonment, raising in steps,
and a run through the real routing engine with simulated customers and agents."""

from __future__ import annotations

import contextlib
import heapq
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.model import AgentSpec, Capacity, Channel, ContactSpec, QueueSpec, RoutingStep
from joignable.core.routing.engine import Engine
from joignable.core.routing.lifecycle import InvalidTransition
from joignable.core.routing.throttle import (
    ThrottleController,
    ThrottleLowered,
    ThrottleRaised,
    ThrottleSettings,
    ThrottleTargetSet,
)
from joignable.sim.distributions import Exponential


@given(st.floats(min_value=0, max_value=1), st.integers(min_value=1, max_value=2000))
def test_route_spreads_the_share_evenly(share: float, n: int) -> None:
    c = ThrottleController(ThrottleSettings(queue="q", site="s", target=share), now=0)
    sent = sum(c.route() for _ in range(n))
    assert abs(sent - n * share) <= 1


def settings(**kw: float) -> ThrottleSettings:
    base = dict(queue="loans", site="lyon", target=0.4, limit=0.1, min_sample=10,
                cooldown_s=60, healthy_for_s=120, step_up=0.05, backoff=0.5)  # fmt: skip
    base.update(kw)
    return ThrottleSettings(**base)  # type: ignore[arg-type]


def feed(c: ThrottleController, t0: float, n: int, abandoned: int) -> None:
    for i in range(n):
        c.observe(t0 + i * 0.1, i < abandoned)


def test_lowers_when_abandonment_exceeds_the_limit_then_waits_for_fresh_data() -> None:
    c = ThrottleController(settings(), now=0)
    feed(c, 50, 20, 5)  # 25 %
    assert c.decide(59) == []  # cooldown since start
    (low,) = c.decide(60)
    assert isinstance(low, ThrottleLowered)
    assert (low.previous, low.share, low.sample) == (0.4, 0.2, 20)
    assert low.abandonment_rate == pytest.approx(0.25)
    # the outcomes before the change no longer count: no sample, no decision
    assert c.decide(200) == []
    feed(c, 201, 10, 5)
    (low2,) = c.decide(210)
    assert low2.share == pytest.approx(0.1)


def test_outcomes_at_the_instant_of_a_decision_are_not_judged_twice() -> None:
    c = ThrottleController(settings(cooldown_s=0, min_sample=4), now=0)
    for _ in range(4):
        c.observe(10, True)  # four abandons stamped at the same instant
    (low,) = c.decide(10)
    assert low.share == pytest.approx(0.2)
    assert c.decide(10) == []  # the same abandons do not cut the share again


def test_raises_in_steps_up_to_the_target_after_staying_healthy() -> None:
    c = ThrottleController(settings(), now=0, share=0.3)
    feed(c, 10, 30, 0)
    assert c.decide(61) == []  # healthy since 61
    assert c.decide(180) == []
    (up,) = c.decide(181)
    assert isinstance(up, ThrottleRaised) and up.share == pytest.approx(0.35)
    feed(c, 190, 30, 1)  # 3 %: healthy (<= 5 %)
    c.decide(250)
    (up2,) = c.decide(370)
    assert up2.share == pytest.approx(0.4)
    feed(c, 380, 30, 0)
    assert c.decide(1000) == [] and c.share == pytest.approx(0.4)  # never above target


def test_between_healthy_and_limit_nothing_moves() -> None:
    c = ThrottleController(settings(), now=0, share=0.2)
    feed(c, 10, 100, 8)  # 8 %: not healthy, not over the limit
    assert c.decide(100) == [] and c.decide(1000) == []


def test_target_drops_at_once_and_climbs_in_steps() -> None:
    c = ThrottleController(settings(), now=0)
    set_ = c.set_target(0.1, now=5, by="sup")
    assert isinstance(set_, ThrottleTargetSet) and set_.share == 0.1 and set_.by == "sup"
    up = c.set_target(0.5, now=6)
    assert up.share == 0.1 and c.target == 0.5
    assert c.statistics(6).target == 0.5
    with pytest.raises(ValueError):
        ThrottleSettings(queue="q", site="s", target=1.5)


class Center:
    """Voice traffic of queue `loans` split between the main site and `lyon` by
    the throttle, run through the real engine on a virtual clock."""

    def __init__(self, controller: ThrottleController, seed: int) -> None:
        self.rng = random.Random(seed)
        self.c = controller
        self.engine = Engine()
        self.heap: list[tuple[float, int, str, str]] = []
        self.n = 0
        self.events: list[object] = []
        self.site_of: dict[str, str] = {}
        self.lyon_outcomes: list[tuple[float, bool]] = []
        for qid, site in (("loans", "main"), ("loans@lyon", "lyon")):
            self.do(cmd.ConfigureQueue(queue=QueueSpec(
                id=qid, steps=(RoutingStep(sites=frozenset({site})),), wrap_up=5, offer_timeout=20,
            )), 0)  # fmt: skip
        staff = [("main", 40), ("lyon", 3)]
        for site, count in staff:
            for i in range(count):
                agent = AgentSpec(id=f"{site}{i}", site=site, capacity=Capacity.only(Channel.VOICE))
                self.do(cmd.ConfigureAgent(agent=agent), 0)
                self.do(cmd.LogIn(agent_id=agent.id), 0)

    def at(self, t: float, what: str, ref: str) -> None:
        self.n += 1
        heapq.heappush(self.heap, (t, self.n, what, ref))

    def do(self, command: cmd.Command, now: float) -> None:
        if self.engine.due(now):
            self.react(self.engine.handle(cmd.Tick(), now), now)
        # the contact may have moved on before the simulated person acted
        with contextlib.suppress(cmd.CommandRejected, InvalidTransition):
            self.react(self.engine.handle(command, now), now)

    def react(self, events: list[ev.Event], now: float) -> None:
        for e in events:
            if isinstance(e, ev.ContactOffered):
                self.at(now + 2, "accept", f"{e.contact_id} {e.agent_id}")
            elif isinstance(e, ev.OfferAccepted):
                self.at(
                    now + Exponential(60).sample(self.rng),
                    "complete",
                    f"{e.contact_id} {e.agent_id}",
                )
                if self.site_of[e.contact_id] == "lyon":
                    self.c.observe(now, False)
                    self.lyon_outcomes.append((now, False))
            elif (
                isinstance(e, ev.ContactEnded)
                and e.reason == "abandoned"
                and self.site_of[e.contact_id] == "lyon"
            ):
                self.c.observe(now, True)
                self.lyon_outcomes.append((now, True))

    def run(self, until: float, rate: float) -> None:
        t = 0.0
        while True:
            t += self.rng.expovariate(rate)
            if t >= until:
                break
            self.at(t, "arrive", "")
        for k in range(10, int(until), 10):
            self.at(float(k), "decide", "")
        while self.heap:
            now, _, what, ref = heapq.heappop(self.heap)
            if what == "arrive":
                cid = f"c{self.n}"
                site = "lyon" if self.c.route() else "main"
                self.site_of[cid] = site
                queue = "loans@lyon" if site == "lyon" else "loans"
                spec = ContactSpec(id=cid, channel=Channel.VOICE, queue=queue, arrived_at=now)
                self.do(cmd.AddContact(contact=spec), now)
                self.at(now + 6 + Exponential(60).sample(self.rng), "abandon", cid)
            elif what == "abandon":
                contact = self.engine.contacts.get(ref)
                if contact is not None and contact.state in ("waiting", "offered"):
                    self.do(cmd.Abandon(contact_id=ref), now)
            elif what == "accept":
                cid, aid = ref.split()
                self.do(cmd.Accept(contact_id=cid, agent_id=aid), now)
            elif what == "complete":
                cid, aid = ref.split()
                self.do(cmd.Complete(contact_id=cid, agent_id=aid), now)
            elif what == "decide":
                self.events.extend(self.c.decide(now))


def abandonment(outcomes: list[tuple[float, bool]], start: float, end: float) -> float:
    window = [gone for at, gone in outcomes if start <= at < end]
    return sum(window) / len(window)


@pytest.mark.slow
def test_throttle_protects_an_understaffed_site_through_the_engine() -> None:
    # lyon: 3 agents x 1/60 s = 0.05 contacts/s; asked for 40 % of 0.4/s = 0.16/s.
    controller = ThrottleController(
        ThrottleSettings(queue="loans", site="lyon", target=0.4, limit=0.15, min_sample=15,
                         window_s=600, cooldown_s=120, healthy_for_s=300, step_up=0.02),
        now=0,
    )  # fmt: skip
    center = Center(controller, seed=7)
    center.run(until=4 * 3600, rate=0.4)

    kinds = [type(e) for e in center.events]
    assert kinds[0] is ThrottleLowered
    assert ThrottleRaised in kinds  # it probed back up when lyon recovered
    times = [e.at for e in center.events]  # type: ignore[attr-defined]
    assert times == sorted(times)
    assert abandonment(center.lyon_outcomes, 0, 900) > 0.15  # the overload at the start
    assert abandonment(center.lyon_outcomes, 3600, 4 * 3600) < 0.15  # kept under the limit
    assert 0.0 < controller.share < 0.3
    stats = controller.statistics(4 * 3600)
    assert stats.routed_to_site < stats.routed * 0.3
    assert center.engine.statistics().ended.get("abandoned", 0) > 0


def test_same_seed_same_decisions() -> None:
    def run() -> list[object]:
        c = ThrottleController(settings(target=0.5, min_sample=10), now=0)
        center = Center(c, seed=3)
        center.run(until=1800, rate=0.4)
        return center.events

    first = run()
    assert first and first == run()
