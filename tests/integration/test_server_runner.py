"""The single writer on a real event log (SQLite; group commit and restart on
PostgreSQL too): group commit, refusals, timers (manual and real clock),
subscribers, recovery, store failure."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.model import AgentSpec, Capacity, Channel, ContactSpec, QueueSpec
from joignable.service.clock import ManualClock, SystemClock
from joignable.service.contacts import ContactIndex
from joignable.service.runner import CenterRunner, RunnerUnavailable
from joignable.store import EventLog, StoreError


def _setup(offer_timeout: float = 5.0) -> list[cmd.Command]:
    return [
        cmd.ConfigureQueue(
            queue=QueueSpec(
                id="q", channels=frozenset({Channel.VOICE}), offer_timeout=offer_timeout
            )
        ),
        cmd.ConfigureAgent(agent=AgentSpec(id="a", capacity=Capacity.only(Channel.VOICE))),
    ]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "a.db")
    return str(request.getfixturevalue("postgres_database_url"))


def _contact(i: int) -> cmd.AddContact:
    return cmd.AddContact(contact=ContactSpec(id=f"c{i}", channel=Channel.VOICE, queue="q"))


def test_concurrent_commands_are_group_committed(log_url: str) -> None:
    async def main() -> None:
        with EventLog.open(log_url) as log:
            runner = CenterRunner(log, ManualClock())
            await runner.start()
            for c in _setup():
                await runner.submit(c)
            results = await asyncio.gather(*(runner.submit(_contact(i)) for i in range(300)))
            assert all(isinstance(r[0], ev.ContactQueued) for r in results)
            stats = runner.statistics()
            assert stats.batches < 100 and stats.largest_batch > 3  # many commands per fsync
            assert log.count() == stats.events == runner.engine.seq
            waiting = [e[3] for e in runner.engine.queues["q"].waiting]
            assert waiting == [f"c{i}" for i in range(300)]  # submission order kept
            await runner.stop()

    asyncio.run(main())


def test_refused_command_writes_nothing_and_spares_its_batch(tmp_path: Path) -> None:
    async def main() -> None:
        with EventLog.open(str(tmp_path / "a.db")) as log:
            runner = CenterRunner(log, ManualClock())
            await runner.start()
            for c in _setup():
                await runner.submit(c)
            before = log.count()
            outcomes = await asyncio.gather(
                runner.submit(_contact(1)),
                runner.submit(cmd.Accept(contact_id="nope", agent_id="a")),
                runner.submit(_contact(2)),
                return_exceptions=True,
            )
            assert isinstance(outcomes[1], cmd.CommandRejected)
            assert "nope" in str(outcomes[1])
            assert log.count() == before + 2
            await runner.stop()
            with pytest.raises(RunnerUnavailable):
                await runner.submit(_contact(3))

    asyncio.run(main())


def test_time_outs_fire_on_the_manual_clock_and_by_themselves(tmp_path: Path) -> None:
    async def main() -> None:
        clock = ManualClock()
        with EventLog.open(str(tmp_path / "a.db")) as log:
            runner = CenterRunner(log, clock)
            seen: list[ev.Event] = []

            def collect(batch: Sequence[ev.Event]) -> None:
                seen.extend(batch)

            runner.subscribe(collect)
            await runner.start()
            for c in _setup(offer_timeout=5):
                await runner.submit(c)
            await runner.submit(cmd.LogIn(agent_id="a", ready=True))
            offered = await runner.submit(_contact(1))
            assert isinstance(offered[-1], ev.ContactOffered)
            clock.advance(6)
            await runner.submit(cmd.Tick())
            assert any(isinstance(e, ev.OfferDeclined) and e.timed_out for e in seen)
            assert [e.seq for e in seen] == list(range(1, len(seen) + 1))
            await runner.stop()

        with EventLog.open(str(tmp_path / "b.db")) as log:
            runner = CenterRunner(log, SystemClock())
            declined = asyncio.Event()
            runner.subscribe(
                lambda batch: (
                    declined.set() if any(isinstance(e, ev.OfferDeclined) for e in batch) else None
                )
            )
            await runner.start()
            for c in _setup(offer_timeout=0.2):
                await runner.submit(c)
            await runner.submit(cmd.LogIn(agent_id="a", ready=True))
            await runner.submit(_contact(1))
            await asyncio.wait_for(declined.wait(), timeout=5)  # the timer woke the writer
            await runner.stop()

    asyncio.run(main())


def test_restart_rebuilds_engine_and_read_models(log_url: str) -> None:
    async def main() -> None:
        with EventLog.open(log_url) as log:
            runner = CenterRunner(log, ManualClock())
            await runner.start()
            for c in _setup():
                await runner.submit(c)
            for i in range(5):
                await runner.submit(_contact(i))
            await runner.submit(cmd.ChangePriority(contact_id="c3", priority=9, by="sup"))
            await runner.submit(cmd.LogIn(agent_id="a", ready=False))
            await runner.submit(cmd.SetNotReady(agent_id="a", reason="lunch"))
            order = [e[3] for e in runner.engine.queues["q"].waiting]
            await runner.stop()
        with EventLog.open(log_url) as log:
            index = ContactIndex()
            runner = CenterRunner(log, ManualClock(), read_models=[index])
            await runner.start()
            assert (
                [e[3] for e in runner.engine.queues["q"].waiting]
                == order
                == [
                    "c3",
                    "c0",
                    "c1",
                    "c2",
                    "c4",
                ]
            )
            assert runner.engine.agents["a"].reason == "lunch"
            record = index.get("c3")
            assert record is not None and record.priority == 9
            assert record.history[-1]["by"] == "sup"
            assert runner.statistics().replayed == log.count()
            await runner.stop()

    asyncio.run(main())


def test_store_failure_refuses_the_batch_and_rebuilds_from_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        with EventLog.open(str(tmp_path / "a.db")) as log:
            index = ContactIndex()
            runner = CenterRunner(log, ManualClock(), read_models=[index])
            await runner.start()
            for c in _setup():
                await runner.submit(c)
            real_append = log.append

            def broken(events: object) -> None:
                raise StoreError("disk full")

            monkeypatch.setattr(log, "append", broken)
            with pytest.raises(RunnerUnavailable, match="disk full"):
                await runner.submit(_contact(1))
            assert "c1" not in runner.engine.contacts  # memory did not run ahead of disk
            assert index.get("c1") is None
            monkeypatch.setattr(log, "append", real_append)
            await runner.submit(_contact(2))
            assert runner.statistics().store_failures == 1
            assert log.last_seq() == runner.engine.seq
            await runner.stop()

    asyncio.run(main())
