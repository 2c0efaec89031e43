"""The runner, clock and distributions: determinism, accounting, shifts and measures."""

from __future__ import annotations

import random
import statistics
from pathlib import Path

import pytest

from joignable.core import events as ev
from joignable.sim.clock import NORMAL, URGENT, VirtualClock
from joignable.sim.distributions import (
    Empirical,
    Exponential,
    LogNormal,
    Surge,
    piecewise_rates,
    poisson_arrivals,
)
from joignable.sim.loader import load_scenario
from joignable.sim.runner import Simulation

from .engine_helpers import check_invariants

ROOT = Path(__file__).resolve().parents[2]


def test_clock_orders_by_time_priority_sequence() -> None:
    clock = VirtualClock(100.0)
    seen: list[str] = []
    clock.schedule(105, seen.append, "late-normal-1", NORMAL)
    clock.schedule(105, seen.append, "late-urgent", URGENT)
    clock.schedule(105, seen.append, "late-normal-2", NORMAL)
    clock.schedule(50, seen.append, "past")  # runs now, never back in time
    while len(clock):
        action, arg = clock.pop()
        action(arg)
    assert seen == ["past", "late-urgent", "late-normal-1", "late-normal-2"]
    assert clock.now == 105


def test_distributions_have_their_moments() -> None:
    rng = random.Random(1)
    xs = [LogNormal(300, 0.8).sample(rng) for _ in range(40_000)]
    assert statistics.fmean(xs) == pytest.approx(300, rel=0.03)
    assert statistics.pstdev(xs) / statistics.fmean(xs) == pytest.approx(0.8, rel=0.06)
    ys = [Exponential(60).sample(rng) for _ in range(40_000)]
    assert statistics.fmean(ys) == pytest.approx(60, rel=0.03)
    assert {Empirical((1.0, 2.0)).sample(rng) for _ in range(50)} == {1.0, 2.0}


def test_poisson_arrivals_follow_rates_and_surges() -> None:
    pieces = piecewise_rates([(0, 900, 50), (900, 1800, 100)], [Surge(450, 1350, 8)])
    assert [(p.start, p.end) for p in pieces] == [(0, 450), (450, 900), (900, 1350), (1350, 1800)]
    assert [round(p.rate * 900, 6) for p in pieces] == [50, 400, 800, 100]
    counts = [len(poisson_arrivals(random.Random(s), pieces)) for s in range(200)]
    expected = 25 + 200 + 400 + 50
    assert statistics.fmean(counts) == pytest.approx(expected, rel=0.02)
    times = poisson_arrivals(random.Random(3), pieces)
    assert times == sorted(times) and times[0] >= 0 and times[-1] < 1800


class _Checked(Simulation):
    """Checks the engine's invariants after every batch of events."""

    def _dispatch(self, events: list[ev.Event]) -> None:
        super()._dispatch(events)
        self.batches = getattr(self, "batches", 0) + 1
        if self.batches % 25 == 0:
            check_invariants(self.engine)


def test_golden_scenario_keeps_engine_invariants_and_accounts_for_everyone() -> None:
    scenario = load_scenario(ROOT / "tests" / "golden" / "sim-small.yaml")
    sim = _Checked(scenario, seed=4)
    result = sim.run()
    check_invariants(sim.engine)
    f = result.book.figures(result.end)["all"]
    assert f.customers_tried == result.arrivals
    pending = f.customers_tried - f.customers_reached - f.lost
    assert 0 <= pending <= f.waiting + f.callbacks
    assert f.self_service > 0 and f.callbacks > 0 and f.answered > 0
    # shifts: everybody logged out once free after the end of the shift
    assert all(a.presence.value == "offline" for a in sim.engine.agents.values())


def test_moved_agents_take_voice_then_come_back() -> None:
    scenario = load_scenario(ROOT / "tests" / "golden" / "sim-small.yaml")
    sim = Simulation(scenario, seed=2)
    seen: list[tuple[float, str]] = []
    handle = sim.book.apply

    def spy(e: ev.Event) -> None:
        if isinstance(e, ev.AgentConfigured) and e.agent.id == "lyon-001":
            seen.append((e.at - sim.epoch, ",".join(f"{c}" for c, n in e.agent.capacity.limits)))
        handle(e)

    sim.book.apply = spy  # type: ignore[method-assign]
    sim.run()
    assert len(seen) == 3
    assert seen[1][0] >= 9 * 3600 + 35 * 60 and seen[1][1] == "callback,voice"
    assert "chat" in seen[2][1] and seen[2][0] >= 10 * 3600 + 30 * 60


@pytest.mark.slow
def test_playbook_beats_the_plain_crisis() -> None:
    crisis = load_scenario(ROOT / "examples" / "crisis-outage.yaml")
    playbook = load_scenario(ROOT / "examples" / "crisis-playbook.yaml")
    a = Simulation(crisis, seed=1).run()
    b = Simulation(playbook, seed=1).run()
    fa = a.book.figures(a.end)["all"]
    fb = b.book.figures(b.end)["all"]
    assert a.arrivals == b.arrivals  # the same customers (common random numbers)
    assert fb.reachability is not None and fa.reachability is not None
    assert fb.reachability > fa.reachability + 0.1
    assert fb.lost < 0.75 * fa.lost
