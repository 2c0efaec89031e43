"""KPIs folded from events: hand-computed figures, and the definitions of KPIS.md."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joignable.core import commands as cmd
from joignable.core.kpis.book import KpiBook, KpiSettings
from joignable.core.model import (
    AgentSpec,
    Capacity,
    Channel,
    ContactSpec,
    OverflowAction,
    QueueSpec,
)
from joignable.core.routing.engine import Engine

from .engine_helpers import center
from .test_engine_properties import build, run


def small_center() -> tuple[Engine, list]:
    e = Engine()
    log = []
    log += e.handle(cmd.ConfigureQueue(queue=QueueSpec(id="q", sl_seconds=20, wrap_up=10)), 0)
    for aid, site in (("a1", "paris"), ("a2", "lyon")):
        spec = AgentSpec(id=aid, site=site, capacity=Capacity.only(Channel.VOICE))
        log += e.handle(cmd.ConfigureAgent(agent=spec), 0)
    return e, log


def voice(cid: str, customer: str = "") -> cmd.AddContact:
    return cmd.AddContact(
        contact=ContactSpec(id=cid, channel=Channel.VOICE, queue="q", customer=customer)
    )


def test_hand_computed_day() -> None:
    e, log = small_center()
    h = e.handle
    log += h(cmd.LogIn(agent_id="a1"), 0)  # a1 ready at 0, a2 offline
    log += h(voice("c1", "alice"), 100)  # offered to a1 at once
    log += h(cmd.Accept(contact_id="c1", agent_id="a1"), 104)  # wait 4 s
    log += h(voice("c2", "bob"), 110)  # waits: a1 busy
    log += h(voice("c3", "carol"), 111)
    log += h(cmd.Abandon(contact_id="c3"), 114)  # short abandon (3 s)
    log += h(voice("c4", "dave"), 120)
    log += h(cmd.Abandon(contact_id="c4"), 160)  # abandon after 40 s
    log += h(cmd.Complete(contact_id="c1", agent_id="a1"), 200)  # talk 96 s
    log += h(cmd.FinishWrapUp(contact_id="c1", agent_id="a1", resolved=True), 210)  # wrap 10 s
    # c2 offered to a1 at 210 (waited 100 s)
    log += h(cmd.Accept(contact_id="c2", agent_id="a1"), 212)
    log += h(cmd.Complete(contact_id="c2", agent_id="a1"), 312)
    log += h(cmd.FinishWrapUp(contact_id="c2", agent_id="a1"), 322)
    book = KpiBook(KpiSettings(short_abandon_s=5))
    book.apply_all(log)
    f = book.figures(400)["all"]
    assert (f.offered, f.answered, f.abandoned, f.short_abandons) == (4, 2, 2, 1)
    assert f.answered_in_sl == 1
    assert f.service_level == pytest.approx(1 / 4)
    assert f.service_level_excl_short == pytest.approx(1 / 3)
    assert f.answer_rate == pytest.approx(2 / 4)
    assert f.abandonment_rate == pytest.approx((2 - 1) / (4 - 1))
    assert f.asa == pytest.approx((4 + 102) / 2)
    assert f.avg_wait == pytest.approx((4 + 102 + 3 + 40) / 4)
    assert f.talk_time == pytest.approx((96 + 100) / 2)
    assert f.aht == pytest.approx((96 + 10 + 100 + 10) / 2)
    assert (f.customers_tried, f.customers_reached, f.lost) == (4, 2, 2)
    assert f.reachability == pytest.approx(0.5)
    assert f.volume == {"voice": 4}
    # a1: available 0-100, reserved 100-104 (counted available), handling 104-210 (talk+wrap),
    # reserved 210-212, handling 212-322, available 322-400
    handling = (210 - 104) + (322 - 212)
    avail = 100 + 4 + 2 + (400 - 322)
    assert f.occupancy == pytest.approx(handling / (handling + avail))
    by_site = book.figures(400, by="site")
    assert by_site["paris"].answered == 2 and by_site["paris"].offered == 2
    assert set(book.figures(400, by="queue")) == {"q"}
    # intervals add up to the whole day, each contact counted once
    intervals = book.figures(400, by="interval").values()
    assert sum(x.offered for x in intervals) == f.offered
    assert sum(x.answered for x in intervals) == f.answered
    assert sum(x.abandoned for x in intervals) == f.abandoned
    # offline recomputation from the same log gives the same figures
    again = KpiBook(KpiSettings(short_abandon_s=5))
    again.apply_all(log)
    assert again.figures(400, by="interval") == book.figures(400, by="interval")


def test_waiting_and_longest_wait_are_live() -> None:
    e, log = small_center()
    log += e.handle(voice("c1"), 10)
    log += e.handle(voice("c2"), 30)
    book = KpiBook()
    book.apply_all(log)
    f = book.figures(100)["all"]
    assert f.waiting == 2 and f.longest_wait == 90
    assert f.service_level == 0.0  # offered at entry, none answered yet


def test_reachability_counts_customers_not_attempts() -> None:
    e, log = small_center()
    for i, t in enumerate((0, 60, 120)):  # three failed calls from alice
        log += e.handle(voice(f"x{i}", "alice"), t)
        log += e.handle(cmd.Abandon(contact_id=f"x{i}"), t + 30)
    log += e.handle(voice("y", "bob"), 200)
    log += e.handle(cmd.Abandon(contact_id="y"), 230)
    log += e.handle(cmd.LogIn(agent_id="a1"), 240)
    log += e.handle(voice("x3", "alice"), 300)  # answered at last
    log += e.handle(cmd.Accept(contact_id="x3", agent_id="a1"), 301)
    book = KpiBook()
    book.apply_all(log)
    f = book.figures(400)["all"]
    assert (f.customers_tried, f.customers_reached, f.lost) == (2, 1, 1)
    served = cmd.EndSelfService(
        contact_id="s1", customer="carol", channel=Channel.SMS, resolved=True
    )
    book.apply_all(e.handle(served, 410))  # an event of the log, folded like the others
    f = book.figures(420)["all"]
    assert (f.customers_tried, f.customers_reached, f.self_service) == (3, 2, 1)


def test_sliding_window_forgets_old_contacts() -> None:
    e, log = small_center()
    log += e.handle(voice("old"), 0)
    log += e.handle(cmd.Abandon(contact_id="old"), 50)
    log += e.handle(voice("new"), 2000)
    book = KpiBook(KpiSettings(window_s=900))
    book.apply_all(log)
    assert book.figures(2100)["all"].offered == 2
    win = book.window(2100)["all"]
    assert win.offered == 1 and win.abandoned == 0


def test_unknown_dimension_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dimension"):
        KpiBook().figures(0, by="planet")


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.data(), st.integers(5, 60))
def test_figures_stay_within_their_bounds(data: st.DataObject, length: int) -> None:
    engine = Engine()
    log = center(engine)
    now = 0.0
    for n in range(length):
        command, now = build(engine, data, n, now)
        log += run(engine, command, now)
    book = KpiBook()
    book.apply_all(log)
    for by in (None, "queue", "channel", "site", "outsourcer", "interval"):
        for f in book.figures(now + 1, by=by).values():
            assert f.answered + f.abandoned + f.callbacks + f.other_outcomes <= f.offered
            assert f.answered_in_sl <= f.answered
            for rate in (f.service_level, f.answer_rate, f.occupancy, f.reachability):
                assert rate is None or 0 <= rate <= 1
            assert f.lost <= f.customers_tried
    whole = book.figures(now + 1)
    if whole:
        parts = book.figures(now + 1, by="interval").values()
        for name in ("offered", "answered", "abandoned", "callbacks", "other_outcomes"):
            assert sum(getattr(x, name) for x in parts) == getattr(whole["all"], name)
        queues = book.figures(now + 1, by="queue").values()
        assert sum(x.offered for x in queues) == whole["all"].offered
        for by in ("queue", "channel", "site", "outsourcer"):  # every waiting contact once
            members = book.figures(now + 1, by=by).values()
            assert sum(x.waiting for x in members) == whole["all"].waiting
            longest = max((x.longest_wait for x in members), default=0.0)
            assert longest == whole["all"].longest_wait


def test_a_book_without_window_says_so() -> None:
    with pytest.raises(ValueError, match="no sliding window"):
        KpiBook(KpiSettings(window_s=0)).window(100)


@settings(max_examples=40, deadline=None)
@given(st.data(), st.integers(5, 50))
def test_open_agent_time_from_running_sums_equals_a_visit_of_every_agent(
    data: st.DataObject, length: int
) -> None:
    engine = Engine()
    book = KpiBook()
    book.apply_all(center(engine))
    now = 0.0
    for n in range(length):
        command, now = build(engine, data, n, now)
        book.apply_all(run(engine, command, now))
    later = now + data.draw(st.sampled_from([0, 1, 59, 600]))
    from_sums: dict = {}
    book._agent_time.add_open_time(from_sums, "all", later, None)
    visited: dict = {}
    book._agent_time.add_open_time(visited, "interval", later, None)  # visits every agent
    total = sum(a.handling for a in visited.values()), sum(a.avail for a in visited.values())
    got = (from_sums["all"].handling, from_sums["all"].avail) if from_sums else (0.0, 0.0)
    assert got == pytest.approx(total, abs=1e-6)


def test_a_callback_counts_once_and_its_handling_counts_in_aht() -> None:
    """The caller leaves the line for a callback: the request is offered once,
    reached when the callback is answered, and the callback's talk and wrap-up
    are the request's handling time (per queue, channel and interval of the call)."""
    e = Engine()
    h = e.handle
    queue = QueueSpec(
        id="q", channels=frozenset({Channel.VOICE, Channel.CALLBACK}),
        max_wait=60, on_max_wait=OverflowAction.CALLBACK, wrap_up=30,
    )  # fmt: skip
    log = h(cmd.ConfigureQueue(queue=queue), 0)
    log += h(cmd.ConfigureAgent(agent=AgentSpec(id="a1")), 0)  # voice and callbacks
    log += h(voice("c1", "alice"), 100)
    log += h(cmd.Tick(), 160)  # max wait: c1 leaves for a callback, c1-cb waits in its place
    log += h(cmd.LogIn(agent_id="a1"), 200)  # offered c1-cb at once
    log += h(cmd.Accept(contact_id="c1-cb", agent_id="a1"), 203)
    log += h(cmd.Complete(contact_id="c1-cb", agent_id="a1"), 283)  # talk 80 s
    log += h(cmd.FinishWrapUp(contact_id="c1-cb", agent_id="a1"), 295)  # wrap 12 s
    book = KpiBook(KpiSettings())
    book.apply_all(log)
    f = book.figures(400)["all"]
    assert (f.offered, f.answered, f.callbacks) == (1, 0, 1)
    assert (f.customers_tried, f.customers_reached, f.lost) == (1, 1, 0)
    assert f.talk_time == pytest.approx(80) and f.aht == pytest.approx(92)
    assert book.figures(400, by="channel")["voice"].aht == pytest.approx(92)
    assert book.statistics()["open_contacts"] == 0
    # a callback that fails after it was offered leaves no handling behind
    log2 = log + h(voice("c2", "bob"), 400) + h(cmd.Tick(), 460)
    log2 += h(cmd.Accept(contact_id="c2-cb", agent_id="a1"), 462)
    log2 += h(cmd.Abandon(contact_id="c2-cb"), 470)  # the customer hangs up: wrap-up follows
    log2 += h(cmd.FinishWrapUp(contact_id="c2-cb", agent_id="a1"), 475)
    again = KpiBook(KpiSettings())
    again.apply_all(log2)
    g = again.figures(500)["all"]
    assert (g.offered, g.callbacks, g.customers_reached) == (2, 2, 2)
    assert g.aht == pytest.approx((92 + 8 + 5) / 2)


def test_a_transferring_agents_wrap_up_is_handling_time_and_occupancy() -> None:
    """a1 talks 50 s, transfers to a2 and wraps up its part for 6 s; a2 talks 40 s
    and wraps up 10 s; a1's wrap-up of a second contact outlives that contact. The
    contact's handling time holds both wrap-ups; a1 is handling until its own
    wrap-up ends, not from the transfer."""
    e, log = small_center()
    h = e.handle
    log += h(cmd.LogIn(agent_id="a1"), 0)
    log += h(voice("c1", "alice"), 100)
    log += h(cmd.Accept(contact_id="c1", agent_id="a1"), 100)
    log += h(cmd.LogIn(agent_id="a2"), 120)
    log += h(cmd.Transfer(contact_id="c1", agent_id="a1", to_agent="a2"), 150)  # talk 50 s
    log += h(cmd.Accept(contact_id="c1", agent_id="a2"), 150)
    log += h(cmd.FinishWrapUp(contact_id="c1", agent_id="a1", code="handed-on"), 156)
    log += h(cmd.Complete(contact_id="c1", agent_id="a2"), 190)  # a2 talks 40 s
    log += h(cmd.FinishWrapUp(contact_id="c1", agent_id="a2", resolved=True), 200)
    book = KpiBook(KpiSettings())
    book.apply_all(log)
    f = book.figures(300)["all"]
    assert (f.offered, f.answered, f.transfer_rate) == (1, 1, 1.0)
    assert f.talk_time == pytest.approx(90)
    assert f.aht == pytest.approx(90 + 6 + 10)
    # a1: available 0-100, handling 100-156, available 156-300
    # a2: available 120-150, handling 150-200, available 200-300
    handling, avail = 56 + 50, (100 + 144) + (30 + 100)
    assert f.occupancy == pytest.approx(handling / (handling + avail))
    # a leg still open when the contact is booked is booked when it closes
    log += h(voice("c2", "bob"), 300)  # a1 is offered it
    log += h(cmd.Accept(contact_id="c2", agent_id="a1"), 300)
    log += h(cmd.Transfer(contact_id="c2", agent_id="a1", to_agent="a2"), 310)
    log += h(cmd.Accept(contact_id="c2", agent_id="a2"), 310)
    log += h(cmd.Complete(contact_id="c2", agent_id="a2"), 314)  # talk 10 + 4 s
    log += h(cmd.FinishWrapUp(contact_id="c2", agent_id="a2"), 315)  # c2 booked: wrap 1 s
    tick = h(cmd.Tick(), 320)  # a1's wrap-up of c2 times out at 320 (10 s), booked alone
    assert [(type(x).__name__, x.at) for x in tick] == [("WrapUpFinished", 320)]
    again = KpiBook(KpiSettings())
    again.apply_all(log + tick)
    g = again.figures(400)["all"]
    assert g.aht == pytest.approx((106 + (14 + 1 + 10)) / 2)


def contract_center() -> tuple[Engine, list]:
    """Paris's phone queue; acme's e-mail queue (an outsourcer's contract, no site);
    acme's phone line in Rabat (site and outsourcer); a chat queue of nobody's.
    p1 works in Paris on the phone; x1 works for acme (no site) on e-mail."""
    e = Engine()
    log: list = []
    for qid, channel, site, outsourcer in (
        ("voice", Channel.VOICE, "paris", None),
        ("email", Channel.EMAIL, None, "acme"),
        ("acme-voice", Channel.VOICE, "rabat", "acme"),
        ("chat", Channel.CHAT, None, None),
    ):
        spec = QueueSpec(
            id=qid,
            channels=frozenset({channel}),
            site=site,
            outsourcer=outsourcer,
            sl_seconds=3600 if channel is Channel.EMAIL else 20,
            wrap_up=0,
        )
        log += e.handle(cmd.ConfigureQueue(queue=spec), 0)
    p1 = AgentSpec(
        id="p1", site="paris", queues=frozenset({"voice"}), capacity=Capacity.only(Channel.VOICE)
    )
    x1 = AgentSpec(id="x1", outsourcer="acme", capacity=Capacity.only(Channel.EMAIL))
    for agent in (p1, x1):
        log += e.handle(cmd.ConfigureAgent(agent=agent), 0)
    return e, log


def contact(cid: str, queue: str, channel: Channel) -> cmd.AddContact:
    return cmd.AddContact(contact=ContactSpec(id=cid, channel=channel, queue=queue))


def test_waiting_contacts_count_under_their_queues_site_and_outsourcer() -> None:
    e, log = contract_center()
    h = e.handle
    log += h(contact("c1", "voice", Channel.VOICE), 10)  # Paris, nobody's outsourcer
    log += h(contact("c2", "voice", Channel.VOICE), 30)
    log += h(contact("e1", "email", Channel.EMAIL), 50)  # acme, no site
    log += h(contact("h1", "chat", Channel.CHAT), 60)  # nobody's
    log += h(contact("v1", "acme-voice", Channel.VOICE), 70)  # Rabat and acme
    book = KpiBook()
    book.apply_all(log)
    live = {k: (f.waiting, f.longest_wait) for k, f in book.figures(100, by="site").items()}
    assert live == {"paris": (2, 90.0), "-": (2, 50.0), "rabat": (1, 30.0)}
    live = {k: (f.waiting, f.longest_wait) for k, f in book.figures(100, by="outsourcer").items()}
    assert live == {"-": (3, 90.0), "acme": (2, 50.0)}
    whole = book.figures(100)["all"]
    assert (whole.waiting, whole.longest_wait) == (5, 90.0)
    # the sliding window (the control tower's and the alerts' figures) says the same
    acme = book.window(100, by="outsourcer")["acme"]
    assert (acme.waiting, acme.longest_wait, acme.offered) == (2, 50.0, 0)
    # p1 answers c1: it leaves Paris's line and counts where p1 works (Paris)
    log += h(cmd.LogIn(agent_id="p1"), 100)
    log += h(cmd.Accept(contact_id="c1", agent_id="p1"), 105)
    book = KpiBook()
    book.apply_all(log)
    paris = book.figures(120, by="site")["paris"]
    assert (paris.waiting, paris.longest_wait, paris.offered, paris.answered) == (1, 90.0, 1, 1)
    assert book.figures(120, by="outsourcer")["-"].waiting == 2  # c2 and h1


def test_an_outsourcers_unanswered_contacts_count_under_its_queue() -> None:
    """acme's e-mail queue (no site): 8 offered, 5 answered by acme's x1 (no site),
    3 abandoned — all 8 are acme's, none is booked under outsourcer "-"."""
    e, log = contract_center()
    h = e.handle
    for i in range(8):  # e1..e8 enter at 0, 10, ..., 70; nobody logged in
        log += h(contact(f"e{i + 1}", "email", Channel.EMAIL), 10 * i)
    for cid, t in (("e6", 100), ("e7", 110), ("e8", 113)):  # waits 50, 50, 43 s
        log += h(cmd.Abandon(contact_id=cid), t)
    log += h(cmd.LogIn(agent_id="x1"), 200)  # e1..e5 offered to x1 at once
    for i in range(5):
        log += h(cmd.Accept(contact_id=f"e{i + 1}", agent_id="x1"), 201)  # waits 201..161 s
    book = KpiBook()
    book.apply_all(log)
    by_outsourcer = book.figures(300, by="outsourcer")
    assert set(by_outsourcer) == {"acme"}
    acme = by_outsourcer["acme"]
    assert (acme.offered, acme.answered, acme.abandoned, acme.short_abandons) == (8, 5, 3, 0)
    assert acme.abandonment_rate == pytest.approx(3 / 8)
    assert acme.service_level == pytest.approx(5 / 8)  # all 5 within the queue's 3,600 s
    assert acme.asa == pytest.approx((201 + 191 + 181 + 171 + 161) / 5)
    assert acme.avg_wait == pytest.approx((201 + 191 + 181 + 171 + 161 + 50 + 50 + 43) / 8)
    # no site: neither the queue nor x1 names one
    assert {k: (f.offered, f.abandoned) for k, f in book.figures(300, by="site").items()} == {
        "-": (8, 3)
    }
    win = book.window(300, by="outsourcer")["acme"]
    assert (win.offered, win.abandoned, win.abandonment_rate) == (8, 3, pytest.approx(3 / 8))


def test_an_unanswered_contact_counts_at_its_queues_site_and_outsourcer_or_dash() -> None:
    e, log = contract_center()
    h = e.handle
    for cid, queue, channel in (
        ("v1", "acme-voice", Channel.VOICE),  # site rabat, outsourcer acme
        ("c1", "voice", Channel.VOICE),  # site paris, no outsourcer
        ("h1", "chat", Channel.CHAT),  # neither
    ):
        log += h(contact(cid, queue, channel), 0)
        log += h(cmd.Abandon(contact_id=cid), 60)
    book = KpiBook()
    book.apply_all(log)
    sites = {k: (f.offered, f.abandoned) for k, f in book.figures(100, by="site").items()}
    assert sites == {"rabat": (1, 1), "paris": (1, 1), "-": (1, 1)}
    outsourcers = book.figures(100, by="outsourcer")
    assert {k: (f.offered, f.abandoned) for k, f in outsourcers.items()} == {
        "acme": (1, 1),
        "-": (2, 2),
    }
    assert outsourcers["acme"].abandonment_rate == 1.0


def test_a_transferred_contact_called_back_from_its_second_queue_is_handled() -> None:
    e = Engine()
    h = e.handle
    log = h(cmd.ConfigureQueue(queue=QueueSpec(id="q", wrap_up=0)), 0)
    second = QueueSpec(
        id="experts", channels=frozenset({Channel.VOICE, Channel.CALLBACK}), wrap_up=0,
        max_wait=60, on_max_wait=OverflowAction.CALLBACK,
    )  # fmt: skip
    log += h(cmd.ConfigureQueue(queue=second), 0)
    log += h(cmd.ConfigureAgent(agent=AgentSpec(id="a1", queues=frozenset({"q"}))), 0)
    log += h(cmd.ConfigureAgent(agent=AgentSpec(id="a2", queues=frozenset({"experts"}))), 0)
    log += h(cmd.LogIn(agent_id="a1"), 0)
    log += h(voice("c1", "alice"), 10)
    log += h(cmd.Accept(contact_id="c1", agent_id="a1"), 10)
    log += h(cmd.Transfer(contact_id="c1", agent_id="a1", to_queue="experts"), 40)
    log += h(cmd.Tick(), 100)  # nobody in experts: max wait → callback
    log += h(cmd.LogIn(agent_id="a2"), 200)  # offered c1-cb
    log += h(cmd.Accept(contact_id="c1-cb", agent_id="a2"), 200)
    log += h(cmd.Complete(contact_id="c1-cb", agent_id="a2"), 260)  # no wrap-up in experts
    book = KpiBook(KpiSettings())
    book.apply_all(log)
    f = book.figures(400)["all"]
    assert (f.answered, f.customers_reached) == (1, 1)
    assert f.aht == pytest.approx(60)  # the callback's talk (it was not booked at all)
