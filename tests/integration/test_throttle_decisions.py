"""The throttle bank's decisions go through the real single writer on SQLite:
a decision is logged, told once durable and no longer pending; a decision the
writer refuses (the center stopped) is taken back — the share stays what the
log says."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from joignable.core.routing.throttle import ThrottleEvent, ThrottleSettings
from joignable.service.clock import ManualClock
from joignable.service.runner import CenterRunner
from joignable.service.throttle_decisions import ThrottleDecisions
from joignable.service.throttles import ThrottleBank
from joignable.store import EventLog

LYON = ThrottleSettings(queue="voice", site="lyon", target=0.2)


def test_logged_told_and_refused_taken_back(tmp_path: Path) -> None:
    told: list[tuple[int, ThrottleEvent]] = []

    async def run() -> None:
        with EventLog.open(f"sqlite:///{tmp_path / 'center.db'}") as log:
            runner = CenterRunner(log, ManualClock(100.0))
            bank = ThrottleBank([LYON], now=100.0)
            runner.add_read_model(bank)
            decisions = ThrottleDecisions(runner, bank, lambda seq, d: told.append((seq, d)))
            await runner.start()
            (lower,) = bank.configure([replace(LYON, target=0.1)], 110.0, by="sup")
            decisions.submit([lower])
            await decisions.drain()
            assert bank.pending == {}
            assert runner.engine.throttles["voice"].share == 0.1
            assert told == [(runner.engine.seq, lower)]
            kinds = [e.kind for e in log.read()]
            assert kinds == ["ThrottleDecided"]

            await runner.stop()
            (again,) = bank.configure([replace(LYON, target=0.05)], 120.0)
            assert bank.controllers["voice"].share == 0.05
            decisions.submit([again])
            await decisions.drain()
            assert bank.controllers["voice"].share == 0.1  # refused: what the log says
            assert bank.pending == {} and list(bank.recent) == [lower]
            assert len(told) == 1 and [e.kind for e in log.read()] == ["ThrottleDecided"]

    asyncio.run(run())
