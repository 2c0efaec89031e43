"""The example center's callbacks are made: a caller whose maximum wait passes is
promised a callback, and an agent who takes calls is offered it (the audit found
such callbacks waiting for ever, turned into callbacks of themselves)."""

from __future__ import annotations

from pathlib import Path

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.model import Channel, ContactSpec
from joignable.core.routing.engine import Engine
from joignable.service.config import agent_spec, changes, load

CENTER = Path(__file__).resolve().parents[2] / "examples" / "center.yaml"


def test_the_example_centers_callbacks_reach_an_agent() -> None:
    config = load(CENTER)
    engine = Engine()
    for command in changes(None, config, engine):
        engine.handle(command, 0)
    voice = engine.queues["voice"].spec
    assert Channel.CALLBACK in voice.channels  # it calls back, so it takes callbacks
    assert engine.agents["p01"].limits[Channel.CALLBACK] == 1  # who takes calls calls back
    engine.handle(
        cmd.AddContact(contact=ContactSpec(id="c1", channel=Channel.VOICE, queue="voice")), 0
    )
    engine.advance(601)  # nobody logged in: the maximum wait (600 s) passes
    assert list(engine.contacts) == ["c1-cb"]
    engine.advance(1300)
    assert list(engine.contacts) == ["c1-cb"], "a callback is never promised again"
    out = engine.handle(cmd.LogIn(agent_id="p01", ready=True), 1301)
    assert any(isinstance(e, ev.ContactOffered) and e.contact_id == "c1-cb" for e in out)


def test_a_named_callback_capacity_wins() -> None:
    config = load(CENTER)
    a = config.agents[0].model_copy(update={"capacity": {Channel.VOICE: 1, Channel.CALLBACK: 0}})
    assert agent_spec(a).capacity.limit(Channel.CALLBACK) == 0
