"""A live KPI book stays small: it forgets the days nobody reads any more,
without changing a figure of the day (`KpiBook.forget`, called by the live hub
at midnight), and a customer costs one dict entry per bucket.

Without these the live hub's book kept every 15-minute bucket since the server
started — and in each, every customer who tried and was reached, in two sets:
~0.97 KB per contact of a new customer (bench/soak.py grew by it all day).
"""

from __future__ import annotations

import gc
import tracemalloc

from joignable.core import commands as cmd
from joignable.core.events import Event
from joignable.core.kpis.book import DIMENSIONS, KpiBook
from joignable.core.model import AgentSpec, Capacity, Channel, ContactSpec, QueueSpec
from joignable.core.routing.engine import Engine

DAY = 86_400.0
T0 = 1_700_006_400.0  # a midnight (UTC)


def days_of_traffic(days: int) -> list[Event]:
    """Each day from 08:00, a contact every 10 minutes for 10 hours, answered
    after 30 s, talked 4 min (wrap-up 0), by one of two agents on two sites."""
    engine = Engine()
    out: list[Event] = []
    voice = frozenset({Channel.VOICE})
    out += engine.handle(cmd.ConfigureQueue(queue=QueueSpec(id="q", channels=voice, wrap_up=0)), T0)
    for agent, site in (("a", "paris"), ("b", "lyon")):
        spec = AgentSpec(id=agent, site=site, capacity=Capacity.only(Channel.VOICE))
        out += engine.handle(cmd.ConfigureAgent(agent=spec), T0)
        out += engine.handle(cmd.LogIn(agent_id=agent, ready=True), T0)
    n = 0
    for day in range(days):
        for i in range(60):
            at = T0 + day * DAY + 8 * 3600 + i * 600
            cid = f"c{n}"
            spec = ContactSpec(id=cid, channel=Channel.VOICE, queue="q", customer=f"k{n}")
            events = engine.handle(cmd.AddContact(contact=spec), at)
            out += events
            agent = engine.contacts[cid].agent
            out += engine.handle(cmd.Accept(agent_id=agent, contact_id=cid), at + 30)
            out += engine.handle(cmd.Complete(agent_id=agent, contact_id=cid), at + 270)
            n += 1
    return out


def all_figures(book: KpiBook, now: float, since: float) -> dict[str, object]:
    out: dict[str, object] = {}
    for by in (None, *DIMENSIONS):
        out[f"today {by}"] = {
            k: f.as_dict() for k, f in book.figures(now, by=by, since=since).items()
        }
        out[f"window {by}"] = {k: f.as_dict() for k, f in book.window(now, by=by).items()}
    return out


def test_forgetting_the_days_before_changes_no_figure_of_today() -> None:
    book = KpiBook()
    book.apply_all(days_of_traffic(3))
    today = T0 + 2 * DAY
    now = today + 18 * 3600 + 1
    before = all_figures(book, now, today)
    buckets = book.statistics()["buckets"]
    dropped = book.forget(min(today, now - book.settings.window_s))
    assert dropped > 0 and book.statistics()["buckets"] == buckets - dropped
    assert all_figures(book, now, today) == before
    # what is left is today's intervals only (agents logged in since midnight: 73)
    intervals = {k[2] for k in book._buckets}
    assert min(intervals) >= today and len(intervals) <= 73


def test_a_book_forgotten_every_midnight_stays_the_size_of_a_day() -> None:
    events = days_of_traffic(6)
    book = KpiBook()
    sizes = []
    day = 1
    for event in events:
        if event.at >= T0 + day * DAY:  # midnight passed: what the live hub does
            book.forget(T0 + day * DAY)
            sizes.append(book.statistics()["buckets"])
            day += 1
        book.apply(event)
    assert len(sizes) == 5 and max(sizes) == min(sizes), sizes
    # each agent's accumulators: today's and at most the day its open segment began
    assert all(len(a.accs) <= 2 * 96 for a in book._agent_time._agents.values())
    assert all(min(a.accs) >= T0 + 4 * DAY for a in book._agent_time._agents.values())


def test_a_contact_of_a_new_customer_costs_the_book_under_600_bytes() -> None:
    """Measured: ~970 bytes with the two sets, ~340 with the dict of bits (its
    interval buckets and the sliding window's minute buckets)."""
    engine = Engine()
    events: list[Event] = []
    voice = frozenset({Channel.VOICE})
    events += engine.handle(
        cmd.ConfigureQueue(queue=QueueSpec(id="q", channels=voice, wrap_up=0)), T0
    )
    spec = AgentSpec(id="a", capacity=Capacity.only(Channel.VOICE))
    events += engine.handle(cmd.ConfigureAgent(agent=spec), T0)
    events += engine.handle(cmd.LogIn(agent_id="a", ready=True), T0)
    for n in range(2000):
        at = T0 + n * 0.5
        contact = ContactSpec(id=f"c{n}", channel=Channel.VOICE, queue="q", customer=f"k{n}")
        events += engine.handle(cmd.AddContact(contact=contact), at)
        events += engine.handle(cmd.Accept(agent_id="a", contact_id=f"c{n}"), at + 0.1)
        events += engine.handle(cmd.Complete(agent_id="a", contact_id=f"c{n}"), at + 0.2)
    book = KpiBook()
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        book.apply_all(events)
        gc.collect()
        per_contact = (tracemalloc.get_traced_memory()[0] - start) / 2000
    finally:
        tracemalloc.stop()
    assert book.figures(T0 + 1000)["all"].customers_reached == 2000
    assert per_contact < 600, per_contact
