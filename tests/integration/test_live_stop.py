"""The live hub stops even when a snapshot was asked for just before: Python
3.11's `asyncio.wait_for` swallows a cancellation that arrives as the awaited
event is set, which left `stop()` (and a server's shutdown, or a start-up
that fails after the configuration was applied) waiting forever."""

from __future__ import annotations

import asyncio
from pathlib import Path

from joignable.service.live import LiveHub
from joignable.service.runner import CenterRunner
from joignable.store import EventLog


def test_stop_right_after_a_poke_returns(tmp_path: Path) -> None:
    async def run() -> None:
        with EventLog.open(f"sqlite:///{tmp_path / 'live.db'}") as log:
            runner = CenterRunner(log)
            hub = LiveHub(runner, heartbeat=30.0)
            await runner.start()
            await hub.start()
            try:
                for _ in range(3):  # the pusher is waiting for something to change
                    await asyncio.sleep(0)
                pusher = hub._task
                assert pusher is not None
                hub.poke()
                stopping = asyncio.ensure_future(hub.stop())
                await asyncio.wait({stopping}, timeout=10)  # a sanity limit, no cancel
                assert stopping.done() and pusher.done()  # its cancellation not lost
            finally:
                await runner.stop()

    asyncio.run(run())
