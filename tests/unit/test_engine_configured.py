"""The center-wide engine rules are an event: a replay rebuilds them."""

from __future__ import annotations

import pytest

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.codec import decode, encode
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
