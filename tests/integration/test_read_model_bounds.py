"""Read models stay bounded on a long run: what bench/soak.py found growing.

The contact index kept every ended contact's history as a list of dicts
(~1.4 KB each) for the last 200,000 ended contacts: a soak at 10 arrivals/s
grew by ~50 MB an hour from it alone. Now an ended contact's history is one
compact text, and how many ended contacts stay readable is a setting. And the
live hub's KPI book kept every 15-minute bucket since the start (with every
customer who tried in it): it now forgets, at midnight, the days it no longer
shows. And the read side's replica of the engine, which never fires a timer,
kept every timer it was ever given (~140 bytes per contact, for ever).
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from pathlib import Path

import pytest

from joignable.core import commands as cmd
from joignable.core.events import Event
from joignable.core.model import AgentSpec, Capacity, Channel, ContactSpec, QueueSpec
from joignable.core.routing.engine import Engine
from joignable.service.clock import ManualClock
from joignable.service.contacts import DEFAULT_KEEP_ENDED, ContactIndex
from joignable.service.live import LiveHub
from joignable.service.readside import ReadSide
from joignable.service.runner import CenterRunner
from joignable.store import EventLog
from joignable.web.state import Settings

from .conftest import add_users, start_server

T0 = 1_700_000_000.0


def lifecycles(n: int, first: int = 0) -> list[Event]:
    """The events of `n` contacts each queued, offered, accepted and completed
    (wrap-up 0: they end), from a real engine (a queue and an agent first)."""
    engine = Engine()
    now = T0
    out: list[Event] = []

    def run(command: cmd.Command) -> None:
        nonlocal now
        now += 0.5
        out.extend(engine.handle(command, now))

    voice = frozenset({Channel.VOICE})
    run(cmd.ConfigureQueue(queue=QueueSpec(id="q", channels=voice, wrap_up=0)))
    run(cmd.ConfigureAgent(agent=AgentSpec(id="a", capacity=Capacity.only(Channel.VOICE))))
    run(cmd.LogIn(agent_id="a", ready=True))
    for i in range(first, first + n):
        cid = f"c-{i:020d}"
        spec = ContactSpec(id=cid, channel=Channel.VOICE, queue="q", customer=f"k{i}")
        run(cmd.AddContact(contact=spec))
        run(cmd.Accept(agent_id="a", contact_id=cid))
        run(cmd.Complete(agent_id="a", contact_id=cid))
    return out


def test_an_ended_contact_keeps_its_whole_history_in_one_compact_text() -> None:
    index = ContactIndex()
    events = lifecycles(1)
    for event in events[:-1]:  # all but the wrap-up's end
        index.apply(event)
    rec = index.get("c-" + "0" * 20)
    assert rec is not None and rec.state in ("connected", "wrap_up")
    before = [dict(h) for h in rec.history]
    index.apply(events[-1])
    ended = index.get("c-" + "0" * 20)
    assert ended is not None and ended.state == "ended"
    assert isinstance(ended._history, str)  # frozen: no list of dicts kept
    assert ended.history[: len(before)] == before
    assert [h["event"] for h in ended.history] == [
        "ContactQueued", "ContactOffered", "OfferAccepted", "ContactCompleted", "WrapUpFinished",
    ]  # fmt: skip
    assert ended.as_dict()["history"] == ended.history


@pytest.mark.slow
def test_ended_contacts_weigh_under_a_kilobyte_each() -> None:
    """Kept as lists of dicts they weighed ~1,450 bytes each (measured)."""
    events = lifecycles(1000)
    warm = ContactIndex()
    for event in events:  # the strings of the events exist anyway: count what the index adds
        warm.apply(event)
    index = ContactIndex()
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for event in events:
            index.apply(event)
        gc.collect()
        per_contact = (tracemalloc.get_traced_memory()[0] - start) / 1000
    finally:
        tracemalloc.stop()
    assert len(index) == 1000
    assert per_contact < 1000, per_contact


def test_the_read_side_keeps_no_timer_the_writer_made_void() -> None:
    read = ReadSide()
    events = lifecycles(1000)
    for event in events:
        read.apply(event)
    # each contact's offer time-out (20 s) is void once accepted; those of the
    # last 20 s are not due yet (a contact every 1.5 s here); it held ~2,000
    assert read.statistics(events[-1].at).timers <= 70
    assert read.center.contacts == {}


def test_the_index_keeps_only_the_most_recent_ended_contacts() -> None:
    index = ContactIndex(keep_ended=100)
    for event in lifecycles(1000):
        index.apply(event)
    assert len(index) == 100
    assert index.get(f"c-{999:020d}") is not None
    assert index.get(f"c-{899:020d}") is None
    assert Settings(database_url="sqlite://").keep_ended_contacts == DEFAULT_KEEP_ENDED <= 10_000


@pytest.mark.slow
def test_the_server_shows_as_many_ended_contacts_as_its_setting_says(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    add_users(url)
    server = start_server(url, keep_ended_contacts=2)
    try:
        sup = server.client("sup")
        ids = []
        for i in range(4):
            body = {"channel": "voice", "queue": "voice", "customer": f"k{i}"}
            r = sup.post("/api/contacts", json=body)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
            assert sup.post(f"/api/contacts/{ids[-1]}/cancel").status_code == 200
        assert [sup.get(f"/api/contacts/{cid}").status_code for cid in ids] == [404, 404, 200, 200]
        assert sup.get(f"/api/contacts/{ids[-1]}").json()["state"] == "ended"
    finally:
        server.stop()


def test_the_live_hub_forgets_the_figures_of_past_days(tmp_path: Path) -> None:
    async def main() -> None:
        clock = ManualClock(1_700_006_400.0 + 8 * 3600)  # a day at 08:00 UTC
        with EventLog.open(str(tmp_path / "hub.db")) as log:
            runner = CenterRunner(log, clock)
            hub = LiveHub(runner)
            await runner.start()
            voice = frozenset({Channel.VOICE})
            await runner.submit(cmd.ConfigureQueue(queue=QueueSpec(id="q", channels=voice)))
            sizes = []
            for day in range(4):
                for i in range(40):  # one contact every 15 minutes, cancelled at once
                    spec = ContactSpec(id=f"c{day}-{i}", channel=Channel.VOICE, queue="q")
                    await runner.submit(cmd.AddContact(contact=spec))
                    await runner.submit(cmd.Cancel(contact_id=spec.id))
                    clock.advance(900)
                    hub.figures(clock.now())
                sizes.append(hub.book.statistics()["buckets"])
                clock.advance(86_400 - 40 * 900)
            await runner.stop()
        assert sizes[0] > 0 and max(sizes[1:]) <= sizes[0] + 2, sizes

    asyncio.run(main())
