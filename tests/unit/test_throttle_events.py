"""Migration-throttle decisions are events of the log: the engine records
them (`RecordThrottle` → `ThrottleDecided`), a replay folds each throttle's
latest decision, and the throttle bank — a read model — takes a decision it
did not make (a restart's replay) without deciding again, while its own
decisions stay pending until logged and are taken back when refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.codec import decode, encode
from joignable.core.routing.engine import Engine
from joignable.core.routing.throttle import (
    ThrottleLowered,
    ThrottleSettings,
    ThrottleTargetSet,
    decision_of,
    facts_of,
)
from joignable.service.throttles import ThrottleBank

LYON = ThrottleSettings(queue="voice", site="lyon", target=0.2, min_sample=2, cooldown_s=0)
CUT = ThrottleLowered(
    at=100.0, queue="voice", site="lyon", share=0.1, previous=0.2, abandonment_rate=0.5, sample=4
)


def logged(
    engine: Engine, decision: ThrottleLowered | ThrottleTargetSet, now: float
) -> list[ev.Event]:
    return engine.handle(cmd.RecordThrottle(decision=facts_of(decision)), now)


def test_a_decision_is_an_event_that_a_replay_folds() -> None:
    engine = Engine()
    (event,) = logged(engine, CUT, 101.0)
    assert isinstance(event, ev.ThrottleDecided) and event.decision.kind == "ThrottleLowered"
    assert engine.throttles["voice"].share == 0.1
    assert logged(engine, CUT, 102.0) == []  # the same decision again: nothing
    target = ThrottleTargetSet(
        at=200.0, queue="voice", site="lyon", share=0.05, previous=0.1, target=0.05, by="sup"
    )
    (second,) = logged(engine, target, 201.0)
    kind, data = encode(event)
    stored = decode(kind, event.at, event.seq, data)  # as the log gives it back
    assert stored == event and decision_of(stored.decision) == CUT  # type: ignore[attr-defined]
    replayed = Engine()
    replayed.replay([stored])
    assert replayed.throttles == {"voice": facts_of(CUT)}
    replayed.replay([second])
    assert decision_of(replayed.throttles["voice"]) == target


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("share", 1.5, "share"), ("previous", float("nan"), "previous"), ("kind", "Oops", "kind")],
)
def test_a_decision_that_does_not_fit_is_refused_naming_it(
    field: str, value: object, message: str
) -> None:
    bad = replace(facts_of(CUT), **{field: value})
    with pytest.raises(cmd.CommandRejected, match=message):
        Engine().handle(cmd.RecordThrottle(decision=bad), 1.0)


def test_the_replay_gives_the_bank_its_logged_share_without_deciding() -> None:
    bank = ThrottleBank([LYON], now=500.0)
    bank.apply(ev.ThrottleDecided(at=100.0, seq=7, decision=facts_of(CUT)))
    controller = bank.controllers["voice"]
    assert controller.share == 0.1 and controller.target == 0.2
    assert list(bank.recent) == [CUT] and controller.statistics(500.0).lowered == 1
    assert [bank.route("voice") for _ in range(10)].count("voice@lyon") == 1
    # the same event seen again (a replay after a store failure) changes nothing
    bank.apply(ev.ThrottleDecided(at=100.0, seq=7, decision=facts_of(CUT)))
    assert list(bank.recent) == [CUT] and controller.statistics(500.0).lowered == 1
    # a throttle since moved to another site does not take it
    paris = ThrottleBank([ThrottleSettings(queue="voice", site="paris", target=0.3)], now=0.0)
    paris.apply(ev.ThrottleDecided(at=100.0, seq=7, decision=facts_of(CUT)))
    assert paris.controllers["voice"].share == 0.3 and not paris.recent


def test_own_decisions_are_pending_until_logged_and_taken_back_when_refused() -> None:
    bank = ThrottleBank([LYON], now=0.0)
    controller = bank.controllers["voice"]
    (lower,) = bank.configure([ThrottleSettings(queue="voice", site="lyon", target=0.1)], 10.0)
    assert controller.share == 0.1 and list(bank.pending.values()) == [lower]
    bank.apply(ev.ThrottleDecided(at=10.0, seq=3, decision=facts_of(lower)))
    assert bank.pending == {} and list(bank.recent) == [lower]  # not adopted a second time

    (again,) = bank.configure([ThrottleSettings(queue="voice", site="lyon", target=0.05)], 20.0)
    assert controller.share == 0.05
    bank.refused(again)  # the store failed: the log still says 0.1
    assert controller.share == 0.1 and bank.pending == {} and list(bank.recent) == [lower]
