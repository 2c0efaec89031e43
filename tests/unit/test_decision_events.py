"""Decisions made outside routing are events too: the center-wide engine rules
(a replay rebuilds them), self-service outcomes (the KPI book folds them) and
alert raise/clear (the state holds the active alerts)."""

from __future__ import annotations

from typing import Any

import pytest

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.alerts.rules import AlertEvaluator, AlertRule, ScopeKind
from joignable.core.codec import decode, encode
from joignable.core.model import AlertFacts, Channel, ContactSpec, QueueSpec
from joignable.core.routing.engine import Engine, EngineSettings
from joignable.service.decisions import raised_of


def test_configure_engine_emits_an_event_that_a_replay_folds() -> None:
    engine = Engine()
    out = engine.handle(cmd.ConfigureEngine(max_missed_offers=5, by="admin"), 1.0)
    assert [type(e) for e in out] == [ev.EngineConfigured]
    assert engine.settings == EngineSettings(max_missed_offers=5)
    stored = [decode(encode(e)[0], e.at, e.seq, encode(e)[1]) for e in out]
    replayed = Engine()
    replayed.replay(stored)
    assert replayed.settings == EngineSettings(max_missed_offers=5)
    assert replayed.seq == engine.seq


def test_the_same_settings_again_emit_nothing() -> None:
    engine = Engine()
    assert engine.handle(cmd.ConfigureEngine(max_missed_offers=3), 1.0) == []
    assert engine.seq == 0


def test_a_negative_limit_is_rejected_naming_it() -> None:
    with pytest.raises(cmd.CommandRejected, match="max_missed_offers"):
        Engine().handle(cmd.ConfigureEngine(max_missed_offers=-1), 1.0)


def test_a_self_service_outcome_is_an_event_and_not_for_a_queued_contact() -> None:
    engine = Engine()
    done = cmd.EndSelfService(contact_id="s1", channel=Channel.SMS, resolved=False)
    out = engine.handle(done, 5.0)
    assert [(type(e), e.customer, e.resolved) for e in out] == [  # type: ignore[attr-defined]
        (ev.SelfServiceEnded, "s1", False)
    ]
    engine.handle(cmd.ConfigureQueue(queue=QueueSpec(id="q")), 6.0)
    engine.handle(cmd.AddContact(contact=ContactSpec(id="c1", channel=Channel.SMS, queue="q")), 7.0)
    with pytest.raises(cmd.CommandRejected, match="c1"):
        engine.handle(cmd.EndSelfService(contact_id="c1", channel=Channel.SMS, resolved=True), 8)


def facts(alert_id: str = "r/queue:q@1000", **kw: object) -> AlertFacts:
    base: dict[str, Any] = dict(
        id=alert_id + "/raised", alert_id=alert_id, at=1.0, rule_id="r", metric="waiting",
        scope="queue", scope_id="q", severity="critical", value=7.0, threshold=5.0, title="t",
    )  # fmt: skip
    return AlertFacts(**(base | kw))


def test_alerts_raised_and_cleared_are_folded_into_the_state_once() -> None:
    engine = Engine()
    out = engine.handle(cmd.RaiseAlert(alert=facts()), 1.0)
    out += engine.handle(cmd.RaiseAlert(alert=facts()), 2.0)  # again: nothing
    assert [type(e) for e in out] == [ev.AlertRaised]
    replayed = Engine()
    replayed.replay([decode(encode(e)[0], e.at, e.seq, encode(e)[1]) for e in out])
    assert list(replayed.alerts) == ["r/queue:q@1000"]
    gone = facts(id="r/queue:q@1000/cleared", reason="recovered", raised_at=1.0)
    assert [type(e) for e in engine.handle(cmd.ClearAlert(alert=gone), 3.0)] == [ev.AlertCleared]
    assert engine.alerts == {} and engine.handle(cmd.ClearAlert(alert=gone), 4.0) == []


def test_the_evaluator_takes_back_restored_alerts_and_clears_orphans() -> None:
    rule = AlertRule(id="r", metric="waiting", scope=ScopeKind.QUEUE, threshold=5)
    evaluator = AlertEvaluator([rule])
    mine = raised_of(facts())
    orphan = raised_of(facts("gone/queue:q@1000", rule_id="gone"))
    cleared = evaluator.restore([mine, orphan], 10.0)
    assert [(c.alert_id, c.reason) for c in cleared] == [("gone/queue:q@1000", "rule changed")]
    assert evaluator.active() == [mine]
    figures = {"sliding": {"queue": {"q": {"waiting": 9}}}}
    assert evaluator.evaluate(figures, 20.0) == []  # still active: not raised twice
