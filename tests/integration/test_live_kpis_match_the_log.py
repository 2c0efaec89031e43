"""The live figures equal the figures recomputed offline from the event log.

A runner with its live hub handles a morning of traffic on a manual clock
(arrivals, offers, answers, abandons, wrap-ups, a transfer, a callback, agents
coming and going); then the stored events are read back from the database and
folded into a fresh KPI book: every figure, per every dimension, over the whole
day and over the sliding window, is the same as the live one — on SQLite and
on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from pathlib import Path

import pytest

from joignable.core import commands as cmd
from joignable.core.commands import CommandRejected
from joignable.core.kpis.book import KpiBook
from joignable.core.model import (
    AgentSpec,
    Capacity,
    Channel,
    ContactSpec,
    OverflowAction,
    QueueSpec,
)
from joignable.core.routing.lifecycle import ContactState, InvalidTransition
from joignable.journal import from_stored
from joignable.service.clock import ManualClock
from joignable.service.live import LiveHub
from joignable.service.runner import CenterRunner
from joignable.store import EventLog

DIMENSIONS = (None, "queue", "channel", "site", "outsourcer", "interval")


async def morning(url: str, seed: int) -> tuple[dict, dict, float]:
    clock = ManualClock(1_760_000_000.0)
    log = EventLog.open(url)
    runner = CenterRunner(log, clock)
    hub = LiveHub(runner)
    await runner.start()
    await hub.start()
    rng = random.Random(seed)

    async def do(command: cmd.Command) -> None:
        with contextlib.suppress(CommandRejected, InvalidTransition):
            await runner.submit(command)

    try:
        await do(
            cmd.ConfigureQueue(
                queue=QueueSpec(
                    id="billing",
                    channels=frozenset({Channel.VOICE, Channel.CALLBACK}),
                    wrap_up=20,
                    max_wait=240,
                    on_max_wait=OverflowAction.CALLBACK,
                )
            )
        )
        await do(cmd.ConfigureQueue(queue=QueueSpec(id="web", channels=frozenset({Channel.CHAT}))))
        for i in range(6):
            site, outsourcer = [("paris", ""), ("lyon", ""), ("lyon", "acme")][i % 3]
            capacity = Capacity.only(Channel.VOICE, Channel.CALLBACK) if i < 4 else Capacity()
            spec = AgentSpec(id=f"a{i}", site=site, outsourcer=outsourcer, capacity=capacity)
            await do(cmd.ConfigureAgent(agent=spec))
            await do(cmd.LogIn(agent_id=spec.id))
        for n in range(300):
            clock.advance(rng.choice([1, 3, 7, 20]))
            engine = runner.engine
            r = rng.random()
            if r < 0.45:
                channel = rng.choice([Channel.VOICE, Channel.VOICE, Channel.CHAT])
                queue = "web" if channel is Channel.CHAT else "billing"
                customer = f"k{rng.randint(1, 120)}"
                spec = ContactSpec(id=f"c{n}", channel=channel, queue=queue, customer=customer)
                await do(cmd.AddContact(contact=spec))
                continue
            for c in sorted(engine.contacts.values(), key=lambda c: c.id):
                p = rng.random()
                if c.state is ContactState.WAITING and p < 0.04:
                    await do(cmd.Abandon(contact_id=c.id))
                elif c.state is ContactState.OFFERED and p < 0.9:
                    await do(cmd.Accept(contact_id=c.id, agent_id=c.agent))
                elif c.state is ContactState.CONNECTED and p < 0.01:
                    await do(cmd.Transfer(contact_id=c.id, agent_id=c.agent, to_queue="billing"))
                elif c.state is ContactState.CONNECTED and p < 0.3:
                    await do(cmd.Complete(contact_id=c.id, agent_id=c.agent))
                elif c.state is ContactState.WRAP_UP and p < 0.5:
                    await do(cmd.FinishWrapUp(contact_id=c.id, agent_id=c.agent, resolved=p < 0.4))
            if r > 0.95:
                agent = f"a{rng.randint(0, 5)}"
                await do(cmd.SetNotReady(agent_id=agent, reason="break"))
                clock.advance(30)
                await do(cmd.SetReady(agent_id=agent))
        now = clock.advance(5)
        await do(cmd.Tick())
        live = {
            "day": {by: hub.book.figures(now, by=by) for by in DIMENSIONS},
            "window": {by: hub.book.window(now, by=by) for by in DIMENSIONS if by != "interval"},
        }
    finally:
        await hub.stop()
        await runner.stop()
        log.close()
    with EventLog.open(url, create=False) as stored:
        offline_book = KpiBook()
        offline_book.apply_all(from_stored(stored.read()))
    offline = {
        "day": {by: offline_book.figures(now, by=by) for by in DIMENSIONS},
        "window": {by: offline_book.window(now, by=by) for by in DIMENSIONS if by != "interval"},
    }
    return live, offline, now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "center.db")
    return str(request.getfixturevalue("postgres_database_url"))


@pytest.mark.slow
def test_live_figures_equal_the_ones_recomputed_from_the_log(log_url: str) -> None:
    live, offline, _ = asyncio.run(morning(log_url, seed=11))
    assert live == offline
    day = live["day"][None]["all"]
    # the morning really exercised the figures compared
    assert day.offered > 50 and day.answered > 20 and day.abandoned > 5
    assert day.occupancy is not None and day.aht is not None
    assert set(live["day"]["site"]) >= {"paris", "lyon"}
    assert set(live["day"]["outsourcer"]) >= {"acme"}
