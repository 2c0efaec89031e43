"""The demo's simulated customers and agents on a real runner and SQLite log,
sped up: contacts arrive, are answered, wrapped up — and some are transferred,
their first agent then closing its own part — and nothing is left stuck."""

from __future__ import annotations

import asyncio
from pathlib import Path

from joignable.core import events as ev
from joignable.core.model import Channel
from joignable.journal import from_stored
from joignable.service.config import changes, load
from joignable.service.demo import DemoSettings, DemoTraffic, QueueTraffic
from joignable.service.runner import CenterRunner
from joignable.sim.distributions import Exponential, LogNormal
from joignable.store import EventLog
from tests.integration.conftest import CENTER_YAML

FAST = (
    QueueTraffic("voice", Channel.VOICE, 8.0,
                 LogNormal(0.3, 0.3), Exponential(30)),
)  # fmt: skip


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
