"""Capacity profiles: a named capacity agents share, overridden per channel by
an agent's own; an unknown profile is an error with its line; changing a profile
reconfigures the agents that use it (and only them)."""

from __future__ import annotations

import pytest

from joignable.core import commands as cmd
from joignable.core.model import Channel
from joignable.core.routing.engine import Engine
from joignable.service.config import ConfigError, agent_spec, changes, parse

CENTER = """\
queues:
  - {id: q, channels: [voice, chat, email]}
capacity_profiles:
  - {id: digital, capacity: {chat: 3, email: 5}}
  - {id: phone, capacity: {voice: 1}}
agents:
  - {id: d1, profile: digital}
  - {id: d2, profile: digital, capacity: {chat: 2}}
  - {id: v1, profile: phone}
  - {id: x1}
"""


def limits(config, agent_id: str) -> dict[Channel, int]:
    a = config.agent(agent_id)
    return {ch: n for ch, n in agent_spec(a, config).capacity.limits if n}


def test_profiles_give_agents_their_capacity() -> None:
    config = parse(CENTER, "center.yaml")
    assert limits(config, "d1") == {Channel.CHAT: 3, Channel.EMAIL: 5}
    assert limits(config, "d2") == {Channel.CHAT: 2, Channel.EMAIL: 5}  # own capacity wins
    assert limits(config, "v1") == {Channel.VOICE: 1, Channel.CALLBACK: 1}
    assert Channel.VOICE in limits(config, "x1")  # no profile: the defaults


def test_an_unknown_profile_names_its_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse(CENTER.replace("profile: phone", "profile: fone"), "center.yaml")
    assert "center.yaml:9: agents[2].profile: unknown capacity profile 'fone'" in str(info.value)
    with pytest.raises(ConfigError, match="duplicate id 'digital'"):
        parse(CENTER.replace("id: phone", "id: digital"), "center.yaml")


def test_a_changed_profile_reconfigures_the_agents_using_it() -> None:
    old = parse(CENTER, "center.yaml")
    engine = Engine()
    for command in changes(None, old, engine):
        engine.handle(command, 0)
    new = parse(CENTER.replace("{chat: 3, email: 5}", "{chat: 4, email: 5}"), "center.yaml")
    moved = changes(old, new, engine)
    # d2 names its own chat limit: its capacity does not change, nor is it touched
    assert [c.agent.id for c in moved if isinstance(c, cmd.ConfigureAgent)] == ["d1"]
    for command in moved:
        engine.handle(command, 1)
    assert engine.agents["d1"].limits[Channel.CHAT] == 4
    assert engine.agents["d2"].limits[Channel.CHAT] == 2
