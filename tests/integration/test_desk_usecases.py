"""The agent-desk, supervision and departure use cases on a real runner over
SQLite, without HTTP: a SIP adapter or a chat console will call them as the
API does, so their rules — what must exist, whose contact it is, what the
engine still refuses — are checked here, each refusal with nothing written."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from joignable.core import events as ev
from joignable.core.commands import CommandRejected
from joignable.core.model import Channel
from joignable.core.routing.lifecycle import InvalidTransition
from joignable.service import desk as d
from joignable.service import supervision as s
from joignable.service.admission import Admission, Arrival
from joignable.service.clock import ManualClock
from joignable.service.config import load
from joignable.service.configurator import Configurator
from joignable.service.contacts import ContactIndex
from joignable.service.departure import Departure, Leave
from joignable.service.readside import ReadSide
from joignable.service.refusals import NotYourContact, UnknownAgent, UnknownContact, UnknownTarget
from joignable.service.runner import CenterRunner
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from tests.integration.conftest import CENTER_YAML


@dataclass
class Center:
    runner: CenterRunner
    desk: d.Desk
    supervision: s.Supervision
    departure: Departure
    admission: Admission
    contacts: ContactIndex

    async def contact(self, queue: str = "voice", channel: Channel = Channel.VOICE) -> str:
        return (await self.admission.admit(Arrival(channel, queue, by="test"))).contact_id

    async def refused(self, error: type[Exception], call: Awaitable[object]) -> None:
        """`call` raises `error` and nothing reaches the log."""
        before = self.runner.engine.seq
        with pytest.raises(error):
            await call
        assert self.runner.engine.seq == before


Scenario = Callable[[Center], Awaitable[None]]


def _run(tmp_path: Path, scenario: Scenario) -> None:
    async def main() -> None:
        with EventLog.open(str(tmp_path / "desk.db")) as log:
            runner = CenterRunner(log, ManualClock())
            read, contacts = ReadSide(), ContactIndex()
            runner.add_read_model(read)
            runner.add_read_model(contacts)
            await runner.start()
            try:
                configurator = Configurator(runner, Accounts(log.engine, log.tenant))
                await configurator.start(load(CENTER_YAML))
                center = Center(
                    runner,
                    d.Desk(runner, read, contacts),
                    s.Supervision(runner, read, contacts, configurator),
                    Departure(runner, contacts),
                    Admission(runner),
                    contacts,
                )
                await scenario(center)
            finally:
                await runner.stop()

    asyncio.run(main())


def _kinds(events: tuple[ev.Event, ...]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_an_agent_answers_transfers_and_wraps_up_through_the_desk(tmp_path: Path) -> None:
    async def scenario(c: Center) -> None:
        desk = c.desk
        login = await desk.log_in(d.LogIn("p01", ready=True, by="p01"))
        assert _kinds(login.events) == ["AgentLoggedIn", "AgentPresenceChanged"]
        assert login.seq == login.events[-1].seq
        contact = await c.contact()
        assert c.contacts.get(contact).agent == "p01"  # type: ignore[union-attr]
        accepted = await desk.accept(d.Accept("p01", contact, by="p01"))
        assert _kinds(accepted.events) == ["OfferAccepted"]
        await desk.log_in(d.LogIn("p02", by="p02"))
        await desk.go_ready(d.GoReady("p02", by="p02"))
        moved = await desk.transfer(d.Transfer("p01", contact, to_agent="p02", by="p01"))
        assert _kinds(moved.events)[0] == "ContactTransferred"
        await desk.accept(d.Accept("p02", contact, by="p02"))
        # p01's part (a leg): the contact is no longer theirs, the leg is
        leg = await desk.finish_wrap_up(d.FinishWrapUp("p01", contact, code="sale", by="p01"))
        assert isinstance(leg.events[0], ev.WrapUpFinished) and leg.events[0].leg
        await desk.complete(d.Complete("p02", contact, by="p02"))
        done = await desk.finish_wrap_up(
            d.FinishWrapUp("p02", contact, code="resolved", resolved=True, by="p02")
        )
        assert _kinds(done.events)[0] == "WrapUpFinished"
        assert c.contacts.get(contact).state == "ended"  # type: ignore[union-attr]
        await desk.go_not_ready(d.GoNotReady("p02", reason="training", by="p02"))
        assert c.desk.read.agent("p02").reason == "training"  # type: ignore[union-attr]
        out = await desk.log_out(d.LogOut("p02", by="p02"))
        assert _kinds(out.events) == ["AgentLoggedOut"]

    _run(tmp_path, scenario)


def test_the_desk_refuses_what_is_not_the_agents(tmp_path: Path) -> None:
    async def scenario(c: Center) -> None:
        desk = c.desk
        await c.refused(UnknownAgent, desk.log_in(d.LogIn("nobody")))
        await c.refused(UnknownAgent, desk.go_ready(d.GoReady("nobody")))
        await desk.log_in(d.LogIn("p01", ready=True))
        await desk.log_in(d.LogIn("p02"))
        await c.refused(UnknownContact, desk.accept(d.Accept("p01", "c-none")))
        contact = await c.contact()  # offered to p01, the only one ready
        # someone else's offer: refused by the use case, before the engine
        await c.refused(NotYourContact, desk.accept(d.Accept("p02", contact)))
        await c.refused(NotYourContact, desk.decline(d.Decline("p02", contact)))
        # p01's, but in the wrong stage: the lifecycle's refusal, unchanged
        await c.refused(InvalidTransition, desk.complete(d.Complete("p01", contact)))
        await desk.accept(d.Accept("p01", contact))
        await c.refused(
            UnknownTarget, desk.transfer(d.Transfer("p01", contact, to_queue="nowhere"))
        )
        await c.refused(UnknownAgent, desk.transfer(d.Transfer("p01", contact, to_agent="zz")))
        # p02 is not ready: the engine's rule on the target's room, unchanged
        await c.refused(CommandRejected, desk.transfer(d.Transfer("p01", contact, to_agent="p02")))
        with pytest.raises(ValueError, match="either to_queue or to_agent"):
            d.Transfer("p01", contact)
        await c.refused(CommandRejected, desk.log_out(d.LogOut("p01")))  # holds a contact
        await desk.complete(d.Complete("p01", contact))
        await desk.finish_wrap_up(d.FinishWrapUp("p01", contact))
        ended = desk.finish_wrap_up(d.FinishWrapUp("p01", contact))
        with pytest.raises(NotYourContact, match="has ended"):
            await ended

    _run(tmp_path, scenario)


def test_supervision_moves_checks_and_guards(tmp_path: Path) -> None:
    async def scenario(c: Center) -> None:
        sup = c.supervision
        move = s.MoveAgent(
            "p01",
            capacity=((Channel.VOICE, 1), (Channel.CHAT, 2)),
            queues=frozenset({"voice", "chat"}),
            site="lyon",
            team="lyon-voice",
            skills=(("billing", 9), ("support", 0)),
            by="sup",
        )
        moved = await sup.move_agent(move)
        assert _kinds(moved.events)[0] == "AgentConfigured"
        assert moved.agent is not None
        spec = moved.agent.spec
        assert (spec.site, spec.team, spec.skills) == ("lyon", "lyon-voice", (("billing", 9),))
        assert spec.queues == {"voice", "chat"} and spec.capacity.limit(Channel.CHAT) == 2
        for bad, kind in (
            (s.MoveAgent("p01", site="rome"), "site"),
            (s.MoveAgent("p01", team="rome-voice"), "team"),
            (s.MoveAgent("p01", skills=(("juggling", 3),)), "skill"),
            (s.MoveAgent("p01", queues=frozenset({"nowhere"})), "queue"),
        ):
            with pytest.raises(UnknownTarget, match=f"no {kind}"):
                await sup.move_agent(bad)
        await c.refused(UnknownAgent, sup.move_agent(s.MoveAgent("nobody", site="paris")))

        def refuse(spec: object) -> None:
            raise PermissionError("not there")

        await c.refused(PermissionError, sup.move_agent(s.MoveAgent("p01", site="paris"), refuse))
        with pytest.raises(ValueError, match="at least one"):
            s.MoveAgent("p01")

        await c.refused(UnknownAgent, sup.log_out(s.ForceLogOut("nobody")))
        await c.desk.log_in(d.LogIn("p02"))
        out = await sup.log_out(s.ForceLogOut("p02", by="sup"))
        assert _kinds(out.events) == ["AgentLoggedOut"] and out.events[0].by == "sup"

        await c.refused(UnknownTarget, sup.queue_standby(s.QueueStandby("nowhere", True)))
        standby = await sup.queue_standby(s.QueueStandby("chat", True, by="sup"))
        assert _kinds(standby.events) == ["QueueStandbySet"]
        channel = await sup.channel_standby(s.ChannelStandby(Channel.EMAIL, True, by="sup"))
        assert _kinds(channel.events) == ["ChannelStandbySet"]

        await c.refused(UnknownContact, sup.change_priority(s.ChangePriority("c-none", 5)))
        contact = await c.contact()
        changed = await sup.change_priority(s.ChangePriority(contact, 7, by="sup"))
        assert _kinds(changed.events) == ["ContactPriorityChanged"]
        assert c.contacts.get(contact).priority == 7  # type: ignore[union-attr]

    _run(tmp_path, scenario)


def test_a_contact_leaves_cancelled_or_abandoned(tmp_path: Path) -> None:
    async def scenario(c: Center) -> None:
        dep = c.departure
        await c.refused(UnknownContact, dep.leave(Leave("c-none", abandoned=True)))
        waiting = await c.contact()  # nobody is logged in: it waits
        cancelled = await dep.leave(Leave(waiting, abandoned=False, by="sup"))
        assert [e.reason.value for e in cancelled.events if isinstance(e, ev.ContactEnded)] == [
            "cancelled"
        ]
        await c.desk.log_in(d.LogIn("p01", ready=True))
        talking = await c.contact()
        await c.desk.accept(d.Accept("p01", talking))
        await c.refused(InvalidTransition, dep.leave(Leave(talking, abandoned=False)))
        hung_up = await dep.leave(Leave(talking, abandoned=True, by="carrier"))
        assert _kinds(hung_up.events)[0] == "ContactCompleted"  # wrap-up follows
        assert c.contacts.get(talking).state == "wrap_up"  # type: ignore[union-attr]

    _run(tmp_path, scenario)
