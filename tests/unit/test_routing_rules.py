"""The routing rules of the ACD, one behaviour per test, in plain function calls."""

from __future__ import annotations

import pytest

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.model import (
    AgentSpec,
    Capacity,
    Channel,
    ContactSpec,
    EndReason,
    OverflowAction,
    QueueSpec,
    RoutingStep,
    Strategy,
)
from joignable.core.routing.engine import Engine, EngineSettings
from joignable.core.routing.lifecycle import ContactState, InvalidTransition

VOICE = Capacity.only(Channel.VOICE)


class Center:
    """A tiny harness: the engine, its clock, and the events so far."""

    def __init__(self, *queues: QueueSpec, settings: EngineSettings | None = None) -> None:
        self.engine = Engine(settings)
        self.now = 0.0
        self.log: list[ev.Event] = []
        for q in queues:
            self.do(cmd.ConfigureQueue(queue=q))

    def do(self, command: cmd.Command, at: float | None = None) -> list[ev.Event]:
        if at is not None:
            self.now = at
        out = self.engine.advance(self.now) + self.engine.handle(command, self.now)
        self.log += out
        return out

    def tick(self, at: float) -> list[ev.Event]:
        return self.do(cmd.Tick(), at)

    def agent(self, aid: str, ready: bool = True, **kw: object) -> None:
        kw.setdefault("capacity", VOICE)
        self.do(cmd.ConfigureAgent(agent=AgentSpec(id=aid, **kw)))  # type: ignore[arg-type]
        self.do(cmd.LogIn(agent_id=aid, ready=ready))

    def call(self, cid: str, queue: str = "q", at: float | None = None, **kw: object) -> None:
        kw.setdefault("channel", Channel.VOICE)
        self.do(cmd.AddContact(contact=ContactSpec(id=cid, queue=queue, **kw)), at)  # type: ignore[arg-type]

    def offers(self) -> list[tuple[str, str]]:
        return [(e.contact_id, e.agent_id) for e in self.log if isinstance(e, ev.ContactOffered)]

    def state(self, cid: str) -> ContactState:
        return self.engine.contacts[cid].state

    def waiting(self, queue: str = "q") -> list[str]:
        return [e[3] for e in self.engine.queues[queue].waiting]


def test_longest_idle_agent_gets_the_contact() -> None:
    c = Center(QueueSpec(id="q"))
    c.agent("a1")
    c.now = 10
    c.agent("a2")
    c.call("c1", at=20)
    assert c.offers() == [("c1", "a1")]


def test_most_skilled_and_least_occupied_strategies() -> None:
    c = Center(QueueSpec(id="q", strategy=Strategy.MOST_SKILLED))
    c.agent("a1", skills=(("billing", 3),))
    c.agent("a2", skills=(("billing", 9),))
    c.call("c1", skills=(("billing", 2),))
    assert c.offers() == [("c1", "a2")]
    d = Center(
        QueueSpec(id="q", strategy=Strategy.LEAST_OCCUPIED, channels=frozenset({Channel.CHAT}))
    )
    chat = Capacity.only(Channel.CHAT)
    d.agent("a1", capacity=chat)
    d.agent("a2", capacity=chat)
    for i in range(4):
        d.call(f"c{i}", channel=Channel.CHAT)
    assert [a for _, a in d.offers()] == ["a1", "a2", "a1", "a2"]


def test_least_flexible_keeps_the_agents_of_scarce_skills_free() -> None:
    def center(strategy: Strategy) -> Center:
        c = Center(QueueSpec(id="q", strategy=strategy))
        c.agent("a1", skills=(("billing", 5), ("tech", 5)))  # the only free one with tech
        c.agent("a2", skills=(("billing", 5), ("sales", 5)))
        c.agent("a3", skills=(("sales", 5),))
        c.call("c1", skills=(("billing", 1),))
        c.call("c2", skills=(("tech", 1),))
        return c

    # longest idle spends a1 on billing, and the tech call waits
    c = center(Strategy.LONGEST_IDLE)
    assert c.offers() == [("c1", "a1")] and c.waiting() == ["c2"]
    # least flexible: a1's spare is 1/1 (tech), a2's 1/2 (sales is held by two free agents)
    c = center(Strategy.LEAST_FLEXIBLE)
    assert c.offers() == [("c1", "a2"), ("c2", "a1")] and c.waiting() == []
    # equal spare flexibility: the fewest skills, then the longest idle
    d = Center(QueueSpec(id="q", strategy=Strategy.LEAST_FLEXIBLE))
    d.agent("b1", skills=(("billing", 5), ("s1", 5), ("s2", 5)))  # 1/2 + 1/2
    d.agent("b2", skills=(("billing", 5), ("s1", 5), ("s2", 5)))
    d.agent("b3", skills=(("billing", 5), ("s3", 5)))  # 1/1, one skill fewer
    d.call("c1", skills=(("billing", 1),))
    d.call("c2", skills=(("billing", 1),))
    assert d.offers() == [("c1", "b3"), ("c2", "b1")]


def test_language_and_minimum_level_are_required() -> None:
    c = Center(QueueSpec(id="q"))
    c.agent("fr5", skills=(("billing", 5),), languages=frozenset({"fr"}))
    c.agent("en9", skills=(("billing", 9),), languages=frozenset({"en"}))
    c.call("c1", language="fr", skills=(("billing", 7),))
    assert c.offers() == [] and c.waiting() == ["c1"]
    c.call("c2", language="en", skills=(("billing", 7),))
    assert c.offers() == [("c2", "en9")]


def test_steps_widen_with_waiting_time_and_keep_the_place() -> None:
    steps = (
        RoutingStep(levels=(("billing", 7),), teams=frozenset({"A"})),
        RoutingStep(after=30, levels=(("billing", 4),)),
        RoutingStep(after=120, outsourcers=frozenset({"X"})),
    )
    c = Center(QueueSpec(id="q", steps=steps))
    c.agent("b5", team="B", skills=(("billing", 5),))
    c.call("c1", at=0)
    c.call("c2", at=1)
    assert c.offers() == []
    out = c.tick(30)
    assert [type(e).__name__ for e in out][:2] == ["ContactStepReached", "ContactOffered"]
    assert c.offers() == [("c1", "b5")]  # the first arrival, still first
    assert c.engine.contacts["c1"].entered == 0  # arrival time kept
    assert out[0].at == 30  # the step fired when it was due


def test_priority_with_aging_and_changes_apply_to_waiting_contacts() -> None:
    c = Center(QueueSpec(id="q", aging_per_s=1.0))
    c.call("old", at=0, priority=0)
    c.call("vip", at=5, priority=3)  # effective 3 + 0 at 5 s vs old 5: old leads
    assert c.waiting() == ["old", "vip"]
    c.call("vip2", at=6, priority=10)
    assert c.waiting() == ["vip2", "old", "vip"]
    c.do(cmd.ChangePriority(contact_id="vip", priority=20), at=7)
    assert c.waiting() == ["vip", "vip2", "old"]
    c.agent("a1")
    assert c.offers() == [("vip", "a1")]


def test_equal_priority_is_first_come_first_served() -> None:
    c = Center(QueueSpec(id="q"))
    for i in range(5):
        c.call(f"c{i}", at=i)
    c.agent("a1")
    assert c.offers() == [("c0", "a1")]


def test_reject_puts_the_contact_back_in_place_and_offers_the_next_agent() -> None:
    c = Center(QueueSpec(id="q"))
    c.call("c1", at=0)
    c.call("c2", at=1)
    c.agent("a1")
    c.do(cmd.Reject(contact_id="c1", agent_id="a1"), at=3)
    # a1 is free again: it gets c2 (it declined c1); c1 is first in line for anyone else
    assert c.offers() == [("c1", "a1"), ("c2", "a1")]
    assert c.waiting() == ["c1"]
    c.agent("a2")
    assert c.offers()[-1] == ("c1", "a2")


def test_offer_times_out_and_missed_offers_set_the_agent_not_ready() -> None:
    c = Center(QueueSpec(id="q", offer_timeout=20), settings=EngineSettings(max_missed_offers=2))
    c.agent("a1")
    c.call("c1", at=0)
    c.tick(20)
    assert (
        c.state("c1") is ContactState.WAITING
    )  # back in line; a1, who missed it, is not re-offered it
    out = [e for e in c.log if isinstance(e, ev.OfferDeclined)]
    assert out and out[0].timed_out and out[0].at == 20


def test_no_agent_stays_reserved() -> None:
    c = Center(QueueSpec(id="q", offer_timeout=20), settings=EngineSettings(max_missed_offers=2))
    c.agent("a1")
    c.call("c1", at=0)
    c.call("c2", at=0)
    c.tick(20)  # c1 times out; a1 is offered c2
    c.tick(40)  # c2 times out: second miss in a row
    agent = c.engine.agents["a1"]
    assert agent.activity == "not_ready" and agent.reason == "missed"
    assert any(isinstance(e, ev.AgentMissedTooMany) for e in c.log)
    assert c.waiting() == ["c1", "c2"]
    c.do(cmd.SetReady(agent_id="a1"), at=50)  # back: gets nothing it declined...
    assert agent.activity == "available"


def test_capacity_frees_and_the_backlog_is_offered_in_the_same_step() -> None:
    c = Center(QueueSpec(id="q", wrap_up=30))
    c.agent("a1")
    c.call("c1", at=0)
    c.call("c2", at=1)
    c.do(cmd.Accept(contact_id="c1", agent_id="a1"), at=2)
    c.do(cmd.Complete(contact_id="c1", agent_id="a1"), at=60)
    assert c.engine.agents["a1"].activity == "wrap_up"
    out = c.do(cmd.FinishWrapUp(contact_id="c1", agent_id="a1", code="billing", resolved=True), 70)
    assert [type(e).__name__ for e in out] == ["WrapUpFinished", "ContactOffered"]


def test_wrap_up_times_out() -> None:
    c = Center(QueueSpec(id="q", wrap_up=30))
    c.agent("a1")
    c.call("c1", at=0)
    c.do(cmd.Accept(contact_id="c1", agent_id="a1"), at=1)
    c.do(cmd.Complete(contact_id="c1", agent_id="a1"), at=10)
    out = c.tick(40)
    assert isinstance(out[0], ev.WrapUpFinished) and out[0].timed_out and out[0].at == 40
    assert c.engine.agents["a1"].activity == "available"


def test_gaining_a_skill_reexamines_the_backlog() -> None:
    c = Center(QueueSpec(id="q"))
    c.agent("a1")
    c.call("c1", skills=(("spanish", 3),))
    assert c.offers() == []
    c.do(cmd.ConfigureAgent(agent=AgentSpec(id="a1", skills=(("spanish", 5),), capacity=VOICE)))
    assert c.offers() == [("c1", "a1")]


def test_default_capacity_voice_exclusive_three_chats_five_emails_mixed_by_weight() -> None:
    chat = Channel.CHAT
    email = Channel.EMAIL
    c = Center(QueueSpec(id="q"))
    c.agent("a1", capacity=Capacity())
    for i in range(4):
        c.call(f"chat{i}", channel=chat)
    assert len(c.offers()) == 3  # three chats at most
    agent = c.engine.agents["a1"]
    assert agent.counts[chat] == 3 and not agent.has_room(Channel.VOICE)
    d = Center(QueueSpec(id="q"))
    d.agent("a1", capacity=Capacity())
    d.call("chat", channel=chat)
    for i in range(5):
        d.call(f"mail{i}", channel=email)
    # one chat (20 units) + three e-mails (36) fit in 60; a fourth e-mail does not
    assert len(d.offers()) == 4
    d.call("voice", channel=Channel.VOICE)
    assert len(d.offers()) == 4  # voice needs the whole budget


def test_transfer_to_queue_and_to_agent_keep_the_history() -> None:
    c = Center(QueueSpec(id="q"), QueueSpec(id="experts"))
    c.agent("a1", queues=frozenset({"q"}))
    c.agent("a2", queues=frozenset({"experts"}))
    c.call("c1")
    c.do(cmd.Accept(contact_id="c1", agent_id="a1"), at=1)
    c.do(cmd.Transfer(contact_id="c1", agent_id="a1", to_queue="experts"), at=5)
    assert c.offers()[-1] == ("c1", "a2")
    c.do(cmd.Accept(contact_id="c1", agent_id="a2"), at=6)
    assert c.engine.agents["a1"].activity == "wrap_up"  # its part, after the transfer
    c.do(cmd.FinishWrapUp(contact_id="c1", agent_id="a1", code="handed-on"), at=7)
    c.do(cmd.Transfer(contact_id="c1", agent_id="a2", to_agent="a1"), at=8)
    contact = c.engine.contacts["c1"]
    assert contact.state is ContactState.OFFERED and contact.agent == "a1"
    assert contact.transfers == 2
    assert [h[1] for h in contact.history] == [
        "queued",
        "offered",
        "connected",
        "transferred",
        "offered",
        "connected",
        "transferred",
        "offered",
    ]


def test_a_declined_transfer_waits_in_a_line_whose_steps_widen_again() -> None:
    """Answered, transferred to an agent who declines: the contact is back in its
    queue at its place, and its routing steps and maximum wait run again from the
    decline (like a move), instead of waiting for ever at the first step."""
    steps = (RoutingStep(teams=frozenset({"A"})), RoutingStep(after=30))
    c = Center(QueueSpec(id="q", steps=steps, max_wait=600, on_max_wait=OverflowAction.CLOSE))
    c.agent("a1", team="A")
    c.agent("b1", team="B")
    c.call("c1")
    assert c.offers() == [("c1", "a1")]
    c.do(cmd.Accept(contact_id="c1", agent_id="a1"), at=1)
    c.do(cmd.Transfer(contact_id="c1", agent_id="a1", to_agent="b1"), at=50)
    c.do(cmd.SetNotReady(agent_id="a1"), at=50)
    c.do(cmd.Reject(contact_id="c1", agent_id="b1"), at=52)
    assert c.state("c1") is ContactState.WAITING  # team A only, and a1 is not ready
    c.tick(81)
    assert c.engine.contacts["c1"].step == 0  # 30 s counted from the decline
    c.tick(82)
    assert c.engine.contacts["c1"].step == 1
    assert c.offers()[-1] == ("c1", "b1")  # anyone now (a new step clears the refusals)
    c.do(cmd.Reject(contact_id="c1", agent_id="b1"), at=83)
    c.do(cmd.SetNotReady(agent_id="b1"), at=83)
    c.tick(651)
    assert c.state("c1") is ContactState.WAITING
    c.tick(652)  # the maximum wait runs again from the decline too
    assert "c1" not in c.engine.contacts and c.engine.ended == {EndReason.CLOSED.value: 1}


def test_standby_queue_overflows_waiting_contacts_and_stops_offers() -> None:
    q = QueueSpec(id="q", on_standby=OverflowAction.OVERFLOW, overflow_to="backup")
    c = Center(q, QueueSpec(id="backup"))
    c.call("c1", at=0)
    c.do(cmd.SetQueueStandby(queue_id="q", standby=True), at=5)
    assert c.waiting("backup") == ["c1"] and c.waiting("q") == []
    c.do(cmd.SetQueueStandby(queue_id="q", standby=False), at=6)
    c.agent("a1", queues=frozenset({"q"}))
    c.call("c2", at=7)
    assert c.offers() == [("c2", "a1")]


def test_channel_standby_keeps_contacts_in_place_and_resumes() -> None:
    c = Center(QueueSpec(id="q", channels=frozenset({Channel.EMAIL})))
    c.do(cmd.SetChannelStandby(channel=Channel.EMAIL, standby=True))
    c.agent("a1", capacity=Capacity.only(Channel.EMAIL))
    c.call("m1", channel=Channel.EMAIL)
    assert c.offers() == [] and c.waiting() == ["m1"]
    c.do(cmd.SetChannelStandby(channel=Channel.EMAIL, standby=False))
    assert c.offers() == [("m1", "a1")]


def test_max_wait_offers_a_callback_that_keeps_the_place() -> None:
    q = QueueSpec(
        id="q",
        channels=frozenset({Channel.VOICE, Channel.CALLBACK}),
        max_wait=300,
        on_max_wait=OverflowAction.CALLBACK,
    )
    c = Center(q)
    c.call("c1", at=0, customer="alice")
    c.call("c2", at=100)
    c.tick(300)
    assert c.engine.ended == {"callback": 1}
    cb = c.engine.contacts["c1-cb"]
    assert cb.channel is Channel.CALLBACK and cb.arrived_at == 0 and cb.customer == "alice"
    assert c.waiting() == ["c1-cb", "c2"]  # the callback stands where the caller stood


def test_abandon_of_a_connected_call_completes_it() -> None:
    c = Center(QueueSpec(id="q", wrap_up=10))
    c.agent("a1")
    c.call("c1")
    c.do(cmd.Accept(contact_id="c1", agent_id="a1"), at=1)
    c.do(cmd.Abandon(contact_id="c1"), at=50)
    assert c.state("c1") is ContactState.WRAP_UP


def test_refusals_are_named_and_change_nothing() -> None:
    c = Center(QueueSpec(id="q"))
    c.agent("a1")
    seq = c.engine.seq
    with pytest.raises(cmd.CommandRejected, match="no contact 'nope'"):
        c.do(cmd.Accept(contact_id="nope", agent_id="a1"))
    with pytest.raises(cmd.CommandRejected, match="no queue 'elsewhere'"):
        c.call("c1", queue="elsewhere")
    c.call("c1")
    with pytest.raises(InvalidTransition, match="contact cannot"):
        c.do(cmd.Complete(contact_id="c1", agent_id="a1"))
    with pytest.raises(cmd.CommandRejected, match="still holds"):
        c.do(cmd.LogOut(agent_id="a1"))
    with pytest.raises(InvalidTransition, match="agent cannot log_in while ready"):
        c.do(cmd.LogIn(agent_id="a1"))
    assert c.engine.seq == seq + 2  # only the accepted AddContact emitted events


def test_same_commands_same_events() -> None:
    def run() -> list[ev.Event]:
        c = Center(QueueSpec(id="q", aging_per_s=0.5))
        c.agent("a1")
        c.agent("a2")
        for i in range(20):
            c.call(f"c{i}", at=i, priority=i % 3)
        c.tick(100)
        return c.log

    assert run() == run()


def test_ended_contacts_carry_their_reason() -> None:
    c = Center(QueueSpec(id="q"))
    c.call("c1")
    c.do(cmd.Cancel(contact_id="c1", by="supervisor:amel"))
    ended = [e for e in c.log if isinstance(e, ev.ContactEnded)]
    assert ended[0].reason is EndReason.CANCELLED and ended[0].by == "supervisor:amel"


def test_every_agent_action_records_who_did_it() -> None:
    c = Center(QueueSpec(id="q", wrap_up=30))
    c.agent("a1")
    c.call("c1")
    c.do(cmd.Accept(contact_id="c1", agent_id="a1", by="agent:a1"), at=1)
    c.do(cmd.Complete(contact_id="c1", agent_id="a1", by="agent:a1"), at=9)
    c.do(cmd.FinishWrapUp(contact_id="c1", agent_id="a1", by="supervisor:amel"), at=12)
    c.call("c2", at=13)
    c.do(cmd.Reject(contact_id="c2", agent_id="a1", by="agent:a1"), at=14)
    kinds = (ev.OfferAccepted, ev.ContactCompleted, ev.WrapUpFinished, ev.OfferDeclined)
    who = [(type(e).__name__, e.by) for e in c.log if isinstance(e, kinds)]
    assert who == [
        ("OfferAccepted", "agent:a1"),
        ("ContactCompleted", "agent:a1"),
        ("WrapUpFinished", "supervisor:amel"),
        ("OfferDeclined", "agent:a1"),
    ]


def test_removing_queues_and_agents_only_when_nothing_depends_on_them() -> None:
    c = Center(
        QueueSpec(id="q"),
        QueueSpec(id="old", on_standby=OverflowAction.OVERFLOW, overflow_to="q"),
    )
    c.agent("a1")
    c.call("c1", queue="old")
    with pytest.raises(cmd.CommandRejected, match="still has 1 contact"):
        c.do(cmd.RemoveQueue(queue_id="old"))
    with pytest.raises(cmd.CommandRejected, match="is the overflow of old"):
        c.do(cmd.RemoveQueue(queue_id="q"))
    with pytest.raises(cmd.CommandRejected, match="must be logged out"):
        c.do(cmd.RemoveAgent(agent_id="a1"))
    c.do(cmd.Accept(contact_id="c1", agent_id="a1"))
    c.do(cmd.Complete(contact_id="c1", agent_id="a1"))
    c.do(cmd.FinishWrapUp(contact_id="c1", agent_id="a1"))
    c.do(cmd.LogOut(agent_id="a1"))
    c.do(cmd.RemoveQueue(queue_id="old", by="admin"))
    c.do(cmd.RemoveAgent(agent_id="a1", by="admin"))
    assert "old" not in c.engine.queues and "a1" not in c.engine.agents
    removed = [e for e in c.log if isinstance(e, ev.QueueRemoved | ev.AgentRemoved)]
    assert [e.by for e in removed] == ["admin", "admin"]
    c.call("c2")  # the rest goes on: nobody left to answer, the contact waits
    assert c.waiting() == ["c2"]


def test_a_transferring_agent_wraps_up_its_part_before_the_next_contact() -> None:
    """After a transfer the agent keeps the contact's room for its own wrap-up
    (the queue's wrap-up time): the next call waits for it, and gets it as soon
    as it closes that wrap-up — or when the time runs out by itself."""
    c = Center(QueueSpec(id="q", wrap_up=30), QueueSpec(id="experts", wrap_up=0))
    c.agent("a1", queues=frozenset({"q"}))
    c.agent("a2", queues=frozenset({"experts"}))
    c.call("c1")
    c.do(cmd.Accept(contact_id="c1", agent_id="a1"), at=1)
    out = c.do(cmd.Transfer(contact_id="c1", agent_id="a1", to_queue="experts"), at=5)
    transferred = next(e for e in out if isinstance(e, ev.ContactTransferred))
    assert transferred.wrap_deadline == 35
    a1 = c.engine.agents["a1"]
    assert a1.activity == "wrap_up" and list(a1.legs) == [transferred.seq]
    c.call("c2", at=6)
    assert c.waiting() == ["c2"]  # a1 is wrapping up its part of c1
    out = c.do(cmd.FinishWrapUp(contact_id="c1", agent_id="a1", code="handed-on"), at=9)
    closed = out[0]
    assert isinstance(closed, ev.WrapUpFinished) and closed.leg == transferred.seq
    assert closed.code == "handed-on" and not closed.timed_out
    assert c.offers()[-1] == ("c2", "a1") and not a1.legs
    assert c.state("c1") is ContactState.OFFERED  # c1 went on to a2 meanwhile
    # a second transfer: the time runs out by itself, even once the contact ended
    c.do(cmd.Accept(contact_id="c2", agent_id="a1"), at=10)
    c.do(cmd.Transfer(contact_id="c2", agent_id="a1", to_queue="experts"), at=12)
    c.do(cmd.Abandon(contact_id="c2"), at=13)
    assert "c2" not in c.engine.contacts and a1.activity == "wrap_up"
    c.do(cmd.Accept(contact_id="c1", agent_id="a2"), at=14)
    assert c.engine.next_deadline() == 42  # 12 + 30
    out = c.tick(50)
    assert [(type(e), e.at, e.timed_out, e.leg > 0) for e in out] == [
        (ev.WrapUpFinished, 42, True, True)
    ]
    assert a1.activity == "available" and a1.holding == 0


def test_no_wrap_up_after_a_transfer_from_a_queue_without_wrap_up() -> None:
    c = Center(QueueSpec(id="q", wrap_up=0), QueueSpec(id="experts"))
    c.agent("a1", queues=frozenset({"q"}))
    c.call("c1")
    c.do(cmd.Accept(contact_id="c1", agent_id="a1"), at=1)
    out = c.do(cmd.Transfer(contact_id="c1", agent_id="a1", to_queue="experts"), at=5)
    assert next(e for e in out if isinstance(e, ev.ContactTransferred)).wrap_deadline == 0
    assert c.engine.agents["a1"].activity == "available"
    with pytest.raises(cmd.CommandRejected):  # nothing left to wrap up
        c.do(cmd.FinishWrapUp(contact_id="c1", agent_id="a1"), at=6)


def test_a_callback_waits_until_made_and_is_never_promised_again() -> None:
    """Max wait → callback: the callback waits in the same queue for an agent who
    takes calls (callbacks follow voice in a configured capacity); when the
    maximum wait passes again it keeps its place — it is not re-promised."""
    queue = QueueSpec(
        id="q", channels=frozenset({Channel.VOICE}), max_wait=60,
        on_max_wait=OverflowAction.CALLBACK,
    )  # fmt: skip
    from joignable.schema.queue import QueueRules

    rules = QueueRules(channels=[Channel.VOICE], max_wait=60, on_max_wait=OverflowAction.CALLBACK)
    assert rules.spec("q").channels == {Channel.VOICE, Channel.CALLBACK}
    c = Center(rules.spec("q"))
    c.call("c1", at=0)
    c.tick(61)
    assert list(c.engine.contacts) == ["c1-cb"] and c.waiting() == ["c1-cb"]
    out = c.tick(200)
    assert [(type(e), e.action) for e in out] == [(ev.MaxWaitPassed, "callback")]
    assert c.waiting() == ["c1-cb"] and c.engine.next_deadline() is None
    c.tick(2000)
    assert list(c.engine.contacts) == ["c1-cb"]  # still one promise, still waiting
    c.agent("a1", capacity=Capacity.configured({Channel.VOICE: 1}))
    assert c.offers() == [("c1-cb", "a1")]
    # a queue that cannot take callbacks keeps the caller waiting, not lost
    d = Center(queue)
    d.call("c1", at=0)
    out = d.tick(61)
    assert [type(e) for e in out] == [ev.MaxWaitPassed] and d.waiting() == ["c1"]


def test_overflow_to_a_queue_that_cannot_take_the_contact_keeps_it_in_line() -> None:
    c = Center(
        QueueSpec(
            id="q", max_wait=30, on_max_wait=OverflowAction.OVERFLOW, overflow_to="chat-only"
        ),
        QueueSpec(id="chat-only", channels=frozenset({Channel.CHAT})),
    )
    c.call("c1", at=0)
    out = c.tick(31)
    assert [(type(e), e.action) for e in out] == [(ev.MaxWaitPassed, "overflow")]
    assert c.waiting() == ["c1"] and c.engine.contacts["c1"].history[-1][1:] == (
        "max_wait",
        "overflow",
    )
    c.agent("a1")
    assert c.offers() == [("c1", "a1")]


def test_offer_time_out_per_channel() -> None:
    """An e-mail may ring longer than a call: `offer_timeouts` per channel, the
    queue's `offer_timeout` for the others (from the shared queue schema)."""
    from joignable.schema.queue import QueueRules

    rules = QueueRules(
        channels=[Channel.VOICE, Channel.EMAIL], offer_timeout=20, offer_timeouts={"email": 120}
    )
    c = Center(rules.spec("q"))
    c.agent("a1", capacity=Capacity.only(Channel.VOICE))
    c.agent("a2", capacity=Capacity.only(Channel.EMAIL))
    c.call("v1", at=5)
    c.call("e1", channel=Channel.EMAIL, at=5)
    deadlines = {e.contact_id: e.deadline for e in c.log if isinstance(e, ev.ContactOffered)}
    assert deadlines == {"v1": 25, "e1": 125}
    c.tick(30)
    assert c.state("v1") is ContactState.WAITING and c.state("e1") is ContactState.OFFERED
    with pytest.raises(ValueError, match="greater than 0"):
        QueueRules(channels=[Channel.EMAIL], offer_timeouts={"email": 0})


def test_a_capacity_changed_mid_contact_releases_what_it_charged() -> None:
    """An agent's capacity changes while it holds a chat: the load is charged at
    the new costs, so releasing the chat brings it back to 0 (it went negative,
    and the agent was then offered more than its budget)."""
    q = QueueSpec(id="q", wrap_up=0)
    c = Center(q)
    chats = Capacity.of({Channel.CHAT: 3, Channel.EMAIL: 5})
    c.agent("a1", capacity=chats)
    c.call("c1", channel=Channel.CHAT)
    c.do(cmd.Accept(contact_id="c1", agent_id="a1"), at=1)
    a1 = c.engine.agents["a1"]
    one_chat = Capacity.of({Channel.CHAT: 1, Channel.EMAIL: 5})
    c.do(cmd.ConfigureAgent(agent=AgentSpec(id="a1", capacity=one_chat)), at=2)
    assert a1.load == a1.budget and not a1.indexed  # full: one chat at its new cost
    c.do(cmd.Complete(contact_id="c1", agent_id="a1"), at=3)
    assert a1.load == 0
    c.do(cmd.ConfigureAgent(agent=AgentSpec(id="a1", capacity=chats)), at=4)
    for i in range(8):
        c.call(f"m{i}", channel=Channel.EMAIL if i < 6 else Channel.CHAT, at=5)
    assert a1.load <= a1.budget and a1.load == sum(a1.costs[ch] * n for ch, n in a1.counts.items())


def test_a_contact_whose_callback_id_is_taken_keeps_its_place() -> None:
    """X was called back (X-cb waits); a new X reaches its maximum wait: it is
    not ended as called back without a callback (it was lost), it waits on."""
    from joignable.schema.queue import QueueRules

    rules = QueueRules(channels=[Channel.VOICE], max_wait=60, on_max_wait=OverflowAction.CALLBACK)
    c = Center(rules.spec("q"))
    c.call("X", at=0)
    c.tick(61)
    assert list(c.engine.contacts) == ["X-cb"]
    c.call("X", at=100)
    out = c.tick(161)
    passed = [(e.contact_id, e.action) for e in out if isinstance(e, ev.MaxWaitPassed)]
    assert passed == [("X-cb", "callback"), ("X", "callback")] and len(out) == 2
    assert sorted(c.engine.contacts) == ["X", "X-cb"] and c.engine.ended == {"callback": 1}


def test_a_contact_moved_into_a_queue_on_standby_gets_its_standby_action() -> None:
    """Transferred or overflowed into a queue on standby, a contact gets that
    queue's standby action as an arrival would (it used to wait unrouted);
    an overflow action there is not chained: it waits for the standby to end."""
    experts = QueueSpec(
        id="experts", channels=frozenset({Channel.VOICE, Channel.CALLBACK}),
        on_standby=OverflowAction.CALLBACK, standby=True,
    )  # fmt: skip
    c = Center(QueueSpec(id="q", wrap_up=0), experts)
    c.agent("a1", queues=frozenset({"q"}))
    c.call("c1")
    c.do(cmd.Accept(contact_id="c1", agent_id="a1"), at=1)
    c.do(cmd.Transfer(contact_id="c1", agent_id="a1", to_queue="experts"), at=5)
    assert list(c.engine.contacts) == ["c1-cb"] and c.engine.ended == {"callback": 1}
    # overflow into a standby queue whose own standby action is an overflow: it waits
    d = Center(
        QueueSpec(id="q", max_wait=30, on_max_wait=OverflowAction.OVERFLOW, overflow_to="b"),
        QueueSpec(id="b", standby=True, on_standby=OverflowAction.OVERFLOW, overflow_to="q"),
    )
    d.call("c1", at=0)
    d.tick(31)
    assert d.waiting("b") == ["c1"] and d.waiting("q") == []
    d.do(cmd.SetQueueStandby(queue_id="b", standby=False), at=40)
    d.agent("a1")
    assert d.offers() == [("c1", "a1")]


def test_pending_timers_are_named_timers() -> None:
    from joignable.core.routing.state import TIMER_OFFER, Timer

    c = Center(QueueSpec(id="q"))
    c.agent("a1")
    c.call("c1", at=5)
    offers = [t for t in c.engine.pending_timers() if t.kind == TIMER_OFFER]
    assert len(offers) == 1
    timer = offers[0]
    assert isinstance(timer, Timer)
    assert timer.contact_id == "c1" and timer.due > 5
    assert timer.token == c.engine.contacts["c1"].offer_seq
