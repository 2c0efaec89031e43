"""Agents needed now (issue 11): the tower's figure per queue is the Erlang staffing
(`core/planning/staffing.py`) for the arrival rate and handle time of the last 15
minutes, against the queue's own target — checked against the same maths on inputs
counted by hand from a known sequence of real events (a runner on SQLite, its live
hub, a manual clock), and cut to a scoped supervisor's queues and agents."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from joignable.core import commands as cmd
from joignable.core.model import AgentSpec, Capacity, Channel, ContactSpec, QueueSpec
from joignable.core.planning.needed_now import NO_AHT, NO_ARRIVALS
from joignable.core.planning.staffing import staff, traffic_erlangs
from joignable.core.routing.lifecycle import ContactState
from joignable.service.clock import ManualClock
from joignable.service.live import LiveHub, Scope
from joignable.service.runner import CenterRunner
from joignable.store import EventLog

T0 = 1_760_000_000.0
#: (talk, wrap-up) seconds of the contacts handled inside the window
HANDLED = [(30, 10), (50, 10), (20, 5), (70, 15), (40, 10)] * 3


async def a_morning(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A sales queue with traffic, an idle queue, a queue whose contacts only wait;
    returns the snapshot and a view scoped to the sales queue's outsourcer."""
    clock = ManualClock(T0)
    log = EventLog.open(url)
    runner = CenterRunner(log, clock)
    hub = LiveHub(runner)
    await runner.start()
    await hub.start()
    try:
        voice = frozenset({Channel.VOICE})
        queues = [
            QueueSpec(
                id="sales",
                channels=voice,
                sl_target=0.9,
                sl_seconds=30,
                wrap_up=120,
                outsourcer="acme",
            ),
            QueueSpec(id="idle", channels=voice),
            QueueSpec(id="later", channels=frozenset({Channel.EMAIL})),
        ]
        for spec in queues:
            await runner.submit(cmd.ConfigureQueue(queue=spec))
        agent = AgentSpec(id="a1", outsourcer="acme", capacity=Capacity.only(Channel.VOICE))
        await runner.submit(cmd.ConfigureAgent(agent=agent))
        await runner.submit(cmd.LogIn(agent_id="a1"))

        async def handle(contact_id: str, talk: float, wrap: float) -> None:
            spec = ContactSpec(id=contact_id, channel=Channel.VOICE, queue="sales")
            await runner.submit(cmd.AddContact(contact=spec))
            assert runner.engine.contacts[contact_id].state is ContactState.OFFERED
            await runner.submit(cmd.Accept(contact_id=contact_id, agent_id="a1"))
            clock.advance(talk)
            await runner.submit(cmd.Complete(contact_id=contact_id, agent_id="a1"))
            clock.advance(wrap)
            await runner.submit(cmd.FinishWrapUp(contact_id=contact_id, agent_id="a1"))

        # long before the window: neither their arrival nor their handle time counts
        await handle("old1", 300, 60)
        await handle("old2", 300, 60)
        clock.advance(1200)
        for i, (talk, wrap) in enumerate(HANDLED):
            await handle(f"c{i}", talk, wrap)
            clock.advance(2)
        # e-mails that only wait: arrivals, no handle time yet
        for i in range(3):
            spec = ContactSpec(id=f"e{i}", channel=Channel.EMAIL, queue="later")
            await runner.submit(cmd.AddContact(contact=spec))
        clock.advance(5)
        snapshot = hub.snapshot()
        acme = Scope(
            key="acme",
            agent=lambda a: a.outsourcer == "acme",
            queue=lambda q: q == "sales",
        )
        scoped = hub.view(snapshot, acme)
    finally:
        await hub.stop()
        await runner.stop()
        log.close()
    return snapshot, scoped


def test_needed_now_is_the_staffing_of_the_last_15_minutes(tmp_path: Path) -> None:
    snapshot, scoped = asyncio.run(a_morning(str(tmp_path / "center.db")))
    needed = snapshot["needed"]
    assert set(needed) == {"idle", "later", "sales"}

    # by hand: 15 arrivals in the 900-s window, mean of talk + wrap-up
    aht = sum(t + w for t, w in HANDLED) / len(HANDLED)
    expected = staff(traffic_erlangs(len(HANDLED), 900, aht), aht, service_level=0.9, threshold=30)
    sales = needed["sales"]
    assert sales["offered"] == len(HANDLED)
    assert sales["aht"] == aht and sales["aht_from"] == "measured"
    assert (sales["sl_target"], sales["sl_seconds"], sales["model"]) == (0.9, 30, "erlang_c")
    assert sales["agents"] == expected.agents
    assert expected.agents >= 2  # the sequence needs more than the one agent logged in
    assert sales["logged_in"] == 1 and sales["short"] == expected.agents - 1
    # the page reads the same snapshot as GET /api/live: the figure beside the sliding ones
    assert snapshot["figures"]["sliding"]["queue"]["sales"]["offered"] == len(HANDLED)

    # no arrivals: no figure (the tower shows "—"), and no agent may take it
    assert needed["idle"]["agents"] is None and needed["idle"]["why"] == NO_ARRIVALS
    assert needed["idle"]["short"] is None
    # arrivals but nothing handled yet (no default handle time configured): no figure
    assert needed["later"]["offered"] == 3
    assert needed["later"]["agents"] is None and needed["later"]["why"] == NO_AHT

    # acme's supervisor sees their queue only, beside the agents they see there
    assert set(scoped["needed"]) == {"sales"}
    assert scoped["needed"]["sales"]["agents"] == expected.agents
    assert scoped["needed"]["sales"]["logged_in"] == 1
