"""Who tried and who was reached: the shared bookings give the same counts as a
visit of every customer, and hold a day of customers in a fraction of the memory."""

from __future__ import annotations

import dataclasses
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from joignable.core import commands as cmd
from joignable.core.kpis.book import KpiBook, KpiSettings
from joignable.core.routing.engine import Engine

from .engine_helpers import center
from .test_engine_properties import build, run
from .test_kpis import small_center, voice

PEOPLE = ("customers_tried", "customers_reached", "lost")


def people(f: object) -> tuple[int, int, int]:
    return tuple(getattr(f, name) for name in PEOPLE)  # type: ignore[return-value]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.integers(5, 60))
def test_customers_since_midnight_equal_a_visit_of_every_customer(
    data: st.DataObject, length: int
) -> None:
    """The interval figures count customers from the shared bookings; a window
    longer than the whole run counts them from each minute's own customer map
    (the former way). Customers come back (a pool of five) on any queue and
    channel, so one customer is booked across intervals, queues and sites."""
    engine = Engine()
    book = KpiBook(KpiSettings(window_s=10_000_000))
    book.apply_all(center(engine))
    now = 0.0
    for n in range(length):
        command, now = build(engine, data, n, now)
        if isinstance(command, cmd.AddContact):
            who = data.draw(st.sampled_from(["ann", "bo", "cy", "di", "ed"]))
            command = cmd.AddContact(contact=dataclasses.replace(command.contact, customer=who))
        book.apply_all(run(engine, command, now))
    for by in (None, "queue", "channel", "site", "outsourcer"):
        shared = {k: people(f) for k, f in book.figures(now + 1, by=by).items()}
        visited = {k: people(f) for k, f in book.window(now + 1, by=by).items()}
        assert shared == visited, by


def test_a_customer_booked_in_a_forgotten_interval_and_a_kept_one_counts_once() -> None:
    e, log = small_center()
    log += e.handle(voice("x1", "alice"), 0)  # interval 0: alice and bob give up
    log += e.handle(cmd.Abandon(contact_id="x1"), 30)
    log += e.handle(voice("y1", "bob"), 40)
    log += e.handle(cmd.Abandon(contact_id="y1"), 50)
    log += e.handle(cmd.LogIn(agent_id="a1"), 1000)
    log += e.handle(voice("x2", "alice"), 1000)  # interval 900: alice is answered
    log += e.handle(cmd.Accept(contact_id="x2", agent_id="a1"), 1001)
    book = KpiBook()
    book.apply_all(log)
    assert people(book.figures(1100)["all"]) == (2, 1, 1)  # bob lost
    assert people(book.figures(1100, since=900)["all"]) == (1, 1, 0)
    assert book.forget(900) == 6  # interval 0: all, interval, queue, channel, site, outsourcer
    assert people(book.figures(1100)["all"]) == (1, 1, 0)
    assert book.statistics()["customers"] == 1  # bob is gone, alice kept


def test_a_customer_lost_then_calling_again_is_pending_not_lost() -> None:
    e, log = small_center()
    log += e.handle(voice("x1", "alice"), 0)
    log += e.handle(cmd.Abandon(contact_id="x1"), 30)
    book = KpiBook()
    book.apply_all(log)
    assert people(book.figures(40)["all"]) == (1, 0, 1)
    book.apply_all(e.handle(voice("x2", "alice"), 50))  # she tries again: waiting
    assert people(book.figures(60)["all"]) == (1, 0, 0)
    book.apply_all(e.handle(cmd.Abandon(contact_id="x2"), 70))
    assert people(book.figures(80)["all"]) == (1, 0, 1)


@pytest.mark.slow
def test_a_day_of_new_customers_costs_little_memory_each() -> None:
    """A live book's memory per new customer of the day, the customer's id string
    (about 60 bytes here) included: 234 bytes with a customer map per accumulator,
    133 with the shared bookings (one dict entry per customer), a budget of 160."""

    def grown(n: int) -> int:
        e, log = small_center()
        book = KpiBook(KpiSettings(window_s=900))
        book.apply_all(log + e.handle(cmd.LogIn(agent_id="a1"), 0))
        tracemalloc.start()
        for i in range(n):
            t = 3600 + i * 0.5
            book.apply_all(e.handle(voice(f"c{i}", f"customer-{i}"), t))
            book.apply_all(e.handle(cmd.Accept(contact_id=f"c{i}", agent_id="a1"), t))
            book.apply_all(e.handle(cmd.Complete(contact_id=f"c{i}", agent_id="a1"), t))
            book.apply_all(e.handle(cmd.FinishWrapUp(contact_id=f"c{i}", agent_id="a1"), t))
        book.apply_all(e.advance(3600 + n * 0.5 + 3 * 900))  # the window has moved on
        book.figures(3600 + n * 0.5 + 3 * 900)
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return size

    per_customer = (grown(12_000) - grown(2_000)) / 10_000
    assert per_customer < 160, per_customer
