"""The demo's simulated customers and agents on a real runner and SQLite log,
sped up: contacts arrive, are answered, wrapped up — and some are transferred,
their first agent then closing its own part — and nothing is left stuck."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from joignable.core import events as ev
from joignable.core.model import Channel
from joignable.core.routing.throttle import ThrottleSettings
from joignable.journal import from_stored
from joignable.service.admission import Admission
from joignable.service.config import changes, load
from joignable.service.demo import DemoSettings, DemoTraffic, QueueTraffic
from joignable.service.runner import CenterRunner
from joignable.service.throttles import ThrottleBank
from joignable.sim.distributions import Exponential, LogNormal
from joignable.store import EventLog
from tests.integration.conftest import CENTER_YAML

FAST = (
    QueueTraffic("voice", Channel.VOICE, 8.0,
                 LogNormal(0.3, 0.3), Exponential(30)),
)  # fmt: skip


@pytest.mark.slow
def test_demo_agents_answer_transfer_and_wrap_up(tmp_path: Path) -> None:
    async def main() -> list[ev.Event]:
        with EventLog.open(str(tmp_path / "demo.db")) as log:
            runner = CenterRunner(log)
            await runner.start()
            for command in changes(None, load(CENTER_YAML), runner.engine):
                await runner.submit(command)
            settings = DemoSettings(
                traffic=FAST, ring=(0.01, 0.05), wrap=(0.01, 0.05), transfer_share=0.5, seed=3
            )
            traffic = DemoTraffic(runner, settings)
            await traffic.start()
            await asyncio.sleep(2.5)
            await traffic.stop()
            await asyncio.sleep(0.3)  # what was in flight lands
            events = list(from_stored(log.read()))
            await runner.stop()
        return events

    events = asyncio.run(main())
    queued = [e for e in events if isinstance(e, ev.ContactQueued)]
    transfers = [e for e in events if isinstance(e, ev.ContactTransferred)]
    legs = [e for e in events if isinstance(e, ev.WrapUpFinished) and e.leg]
    done = [e for e in events if isinstance(e, ev.WrapUpFinished) and not e.leg]
    assert len(queued) > 5 and done, "the demo did not run"
    assert transfers and all(t.to_queue == "voice@lyon" or t.to_queue == "voice" for t in transfers)
    assert all(t.by == "demo" and t.wrap_deadline > t.at for t in transfers)
    assert legs and all(leg.code == "transferred" and not leg.timed_out for leg in legs)
    assert {(leg.agent_id, leg.leg) for leg in legs} <= {(t.from_agent, t.seq) for t in transfers}


@pytest.mark.slow
def test_demo_customers_enter_through_admission_and_its_throttles(tmp_path: Path) -> None:
    bank = ThrottleBank([ThrottleSettings(queue="voice", site="lyon", target=0.5)], now=0.0)

    async def main() -> list[ev.Event]:
        with EventLog.open(str(tmp_path / "demo.db")) as log:
            runner = CenterRunner(log)
            await runner.start()
            for command in changes(None, load(CENTER_YAML), runner.engine):
                await runner.submit(command)
            settings = DemoSettings(traffic=FAST, ring=(0.01, 0.05), wrap=(0.01, 0.05), seed=5)
            traffic = DemoTraffic(runner, settings, Admission(runner, throttles=lambda: bank))
            await traffic.start()
            await asyncio.sleep(1.0)
            await traffic.stop()
            await asyncio.sleep(0.2)
            events = list(from_stored(log.read()))
            await runner.stop()
        return events

    queued = [e.contact for e in asyncio.run(main()) if isinstance(e, ev.ContactQueued)]
    sent = [c for c in queued if c.queue == "voice@lyon"]
    assert queued and sent, "no demo arrival went through the throttle"
    assert all(("throttled_from", "voice") in c.attributes for c in sent)
