"""The center configuration: the shipped example, errors as FILE:LINE: field:
message, `joignable serve` refusing a bad file, and live re-application that
touches only what changed."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from joignable.cli import app as cli_app
from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.model import Channel, ContactSpec
from joignable.journal import from_stored
from joignable.service.clock import ManualClock
from joignable.service.config import CenterConfig, ConfigError, load, parse, queue_spec
from joignable.service.configurator import Configurator, RemovalNotAllowed
from joignable.service.runner import CenterRunner
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from tests.integration.conftest import CENTER_YAML

GOOD = """\
skills: [billing]
sites: [{id: paris}]
queues:
  - id: voice
    channels: [voice]
agents:
  - id: a1
    site: paris
    skills: {billing: 5}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text, "center.yaml")
    return [str(p) for p in info.value.problems]


def test_the_example_center_is_valid() -> None:
    config = load(CENTER_YAML)
    assert [q.id for q in config.queues] == ["voice", "voice@lyon", "chat", "email"]
    assert config.throttles == [
        {"queue": "voice", "site": "lyon", "target": 0.2, "limit": 0.1, "window_s": 300,
         "min_sample": 20}
    ]  # fmt: skip
    assert len(config.agents) == 30
    assert {a.site for a in config.agents} == {"paris", "lyon", None}
    assert {a.outsourcer for a in config.agents} == {None, "acme"}
    # acme's e-mail contract: its queue is acme's in the core too (figures, alerts)
    places = {q.id: (queue_spec(q).site, queue_spec(q).outsourcer) for q in config.queues}
    assert places == {
        "voice": (None, None),
        "voice@lyon": ("lyon", None),
        "chat": (None, None),
        "email": (None, "acme"),
    }


def test_errors_name_file_line_and_field() -> None:
    assert parse(GOOD).agents[0].skills == {"billing": 5}
    assert problems(GOOD.replace("site: paris", "site: mars")) == [
        "center.yaml:8: agents[0].site: unknown site 'mars'"
    ]
    assert problems(GOOD.replace("billing: 5", "billing: 11")) == [
        "center.yaml:9: agents[0].skills.billing: level must be 1..10"
    ]
    assert problems(GOOD.replace("    site: paris", "    colour: blue")) == [
        "center.yaml:8: agents[0].colour: unknown key 'colour'"
    ]
    assert problems(GOOD.replace("[voice]", "[fax]"))[0].startswith(
        "center.yaml:5: queues[0].channels[0]: Input should be"
    )
    assert problems(GOOD + "  - id: a1\n") == ["center.yaml:10: agents[1].id: duplicate id 'a1'"]
    assert problems(GOOD + "skills: [x]\n") == ["center.yaml:10: skills: duplicate key"]
    syntax = problems("queues:\n  - id: [unclosed\n")
    assert len(syntax) == 1 and syntax[0].startswith("center.yaml:3: (document): ")
    assert problems("- just\n- a list\n") == [
        "center.yaml:1: (document): the document must be a mapping of keys"
    ]


def test_serve_refuses_a_bad_file_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "center.yaml"
    bad.write_text(GOOD.replace("site: paris", "site: mars"))
    result = CliRunner().invoke(cli_app, ["serve", "--config", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:8: agents[0].site: unknown site 'mars'" in result.output
    missing = CliRunner().invoke(cli_app, ["serve", "--config", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_reapplying_touches_only_what_changed_and_keeps_live_moves(tmp_path: Path) -> None:
    async def main() -> None:
        url = str(tmp_path / "c.db")
        first = parse(GOOD)
        with EventLog.open(url) as log:
            runner = CenterRunner(log, ManualClock())
            await runner.start()
            configurator = Configurator(runner, Accounts(log.engine))
            applied = await configurator.start(first)
            assert applied.commands == 2
            # a supervisor moves a1 live (standby on the queue too)
            moved = replace(runner.engine.agents["a1"].spec, languages=frozenset({"fr"}))
            await runner.submit(cmd.ConfigureAgent(agent=moved, by="sup"))
            await runner.submit(cmd.SetQueueStandby(queue_id="voice", standby=True, by="sup"))
            await runner.stop()
        with EventLog.open(url) as log:  # restart with the same file: nothing re-applied
            runner = CenterRunner(log, ManualClock())
            await runner.start()
            configurator = Configurator(runner, Accounts(log.engine))
            assert (await configurator.start(first)).commands == 0
            assert runner.engine.queues["voice"].spec.standby is True
            assert runner.engine.agents["a1"].languages == frozenset({"fr"})  # the move survived
            changed = parse(GOOD.replace("billing: 5", "billing: 7"))
            result = await configurator.apply(changed, by="admin")
            assert result.commands == 1 and result.events == 1
            assert runner.engine.agents["a1"].skills == {"billing": 7}
            assert runner.engine.agents["a1"].languages == frozenset()  # redefined by config
            assert runner.engine.queues["voice"].spec.standby is True  # live state kept
            await runner.stop()

    asyncio.run(main())


def test_what_leaves_the_configuration_leaves_the_engine_once_free(tmp_path: Path) -> None:
    two = (
        GOOD.replace(
            "queues:\n  - id: voice\n    channels: [voice]\n",
            "queues:\n  - id: voice\n    channels: [voice]\n  - id: old\n    channels: [voice]\n",
        )
        + "  - id: a2\n    site: paris\n"
    )

    async def main() -> None:
        with EventLog.open(str(tmp_path / "c.db")) as log:
            runner = CenterRunner(log, ManualClock())
            await runner.start()
            configurator = Configurator(runner, Accounts(log.engine))
            await configurator.start(parse(two))
            assert {"old"} <= set(runner.engine.queues) and "a2" in runner.engine.agents
            await runner.submit(cmd.LogIn(agent_id="a2"))  # a2 is at work
            call = ContactSpec(id="c1", channel=Channel.VOICE, queue="old")
            await runner.submit(cmd.AddContact(contact=call))  # and answers for "old"
            result = await configurator.apply(parse(GOOD), by="admin", allow_removal=True)
            assert result.kept == ("a2", "old")  # both still in use: kept, said so
            contact = runner.engine.contacts["c1"]
            await runner.submit(cmd.Accept(contact_id="c1", agent_id=contact.agent))
            await runner.submit(cmd.Complete(contact_id="c1", agent_id=contact.agent))
            await runner.submit(cmd.FinishWrapUp(contact_id="c1", agent_id=contact.agent))
            await runner.submit(cmd.LogOut(agent_id="a2"))
            result = await configurator.apply(parse(GOOD), by="admin")
            assert result.kept == () and result.commands == 2
            assert "old" not in runner.engine.queues and "a2" not in runner.engine.agents
            assert set(runner.engine.queues) == {"voice"}
            await runner.stop()

    asyncio.run(main())


def test_apply_announces_to_listeners_and_a_refused_removal_changes_nothing(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        with EventLog.open(str(tmp_path / "c.db")) as log:
            runner = CenterRunner(log, ManualClock())
            await runner.start()
            configurator = Configurator(runner, Accounts(log.engine))
            heard: list[tuple[list[str], str]] = []
            configurator.listen(
                lambda config, by: heard.append(([q.id for q in config.queues], by))
            )
            await configurator.start(parse(GOOD))
            assert heard == [(["voice"], "config")]  # start announces too
            with pytest.raises(RemovalNotAllowed) as refused:
                await configurator.apply(CenterConfig(), by="admin")
            assert refused.value.queues == ("voice",) and "voice" in runner.engine.queues
            assert len(heard) == 1 and configurator.current.queues  # nothing announced
            result = await configurator.apply(CenterConfig(), by="admin", allow_removal=True)
            assert "voice" in result.removed and heard[-1] == ([], "admin")
            await runner.stop()

    asyncio.run(main())


def test_engine_settings_are_logged_and_come_back_from_the_log(tmp_path: Path) -> None:
    async def main() -> None:
        url = str(tmp_path / "c.db")
        with EventLog.open(url) as log:
            runner = CenterRunner(log, ManualClock())
            await runner.start()
            configurator = Configurator(runner, Accounts(log.engine))
            await configurator.start(parse("center: {max_missed_offers: 5}\n" + GOOD))
            assert runner.engine.settings.max_missed_offers == 5
            await runner.stop()
            stored = [e for e in from_stored(log.read()) if isinstance(e, ev.EngineConfigured)]
            assert [(e.max_missed_offers, e.by) for e in stored] == [(5, "config")]
        with EventLog.open(url) as log:  # a second process: no configurator, the log says it
            runner = CenterRunner(log, ManualClock())
            await runner.start()
            assert runner.engine.settings.max_missed_offers == 5
            await runner.stop()

    asyncio.run(main())
