"""Decisions made outside routing are events too: the center-wide engine rules
(a replay rebuilds them) and self-service outcomes (the KPI book folds them)."""

from __future__ import annotations

import pytest

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.codec import decode, encode
from joignable.core.model import Channel, ContactSpec, QueueSpec
from joignable.core.routing.engine import Engine, EngineSettings


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
