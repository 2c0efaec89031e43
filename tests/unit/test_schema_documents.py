# Why: the center file and a scenario are read by one schema package (decision 0019);
# these pin that the same mistake gets the same message, file and line in either.
from __future__ import annotations

import pytest

from joignable.schema.problem import Problem
from joignable.schema.queue import overflow_cycles
from joignable.service.config import ConfigError
from joignable.service.config import parse as parse_center
from joignable.sim.loader import ScenarioError, parse_scenario

CENTER = """\
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

SCENARIO = """\
name: small
open: "08:00"
close: "10:00"
queues:
  billing:
    channels: [voice]
    skills: {billing: 1}
traffic:
  - queue: billing
    channel: voice
    per_interval: {"08:00": 10}
agents:
  team:
    count: 3
    skills:
      billing: 5
    shift: {start: "08:00", end: "10:00"}
"""


def center_problems(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as info:
        parse_center(text, "center.yaml")
    return info.value.problems


def scenario_problems(text: str) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "crisis.yaml")
    return info.value.problems


def _without_file(p: Problem) -> str:
    return str(p).split(": ", 1)[1]


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("queues:\n\t- id: q1\n", 2, "(document): tab in indentation; indent with spaces"),
        ("center:\n  name: a\n bad: b\n", 3, "(document): invalid YAML:"),
        ("skills: [a]\nname: x\nskills: [b]\n", 3, "skills: duplicate key"),
        (
            "queues:\n  q:\n    sl_target: 1\n    sl_target: 2\n",
            4,
            "queues.q.sl_target: duplicate key",
        ),
        ("- a\n- b\n", 1, "(document): the document must be a mapping of keys"),
        ("just words\n", 1, "(document): the document must be a mapping of keys"),
    ],
)
def test_malformed_yaml_gives_the_same_message_in_both_documents(
    text: str, line: int, expected: str
) -> None:
    (center,) = center_problems(text)
    (scenario,) = scenario_problems(text)
    assert (center.file, center.line) == ("center.yaml", line)
    assert (scenario.file, scenario.line) == ("crisis.yaml", line)
    assert _without_file(center).startswith(expected)
    assert _without_file(center) == _without_file(scenario)
    assert isinstance(center, Problem) and str(center).startswith(f"center.yaml:{line}: ")


def test_an_empty_file_is_refused_as_a_scenario_and_is_the_default_center() -> None:
    (problem,) = scenario_problems("# nothing yet\n")
    assert str(problem) == "crisis.yaml:1: (document): empty file; expected a mapping"
    assert parse_center("# nothing yet\n", "center.yaml").queues == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("skills: [billing]\n", "skills: [billing]\nsits: []\n", "center.yaml:2: sits: "
         "unknown key 'sits'; did you mean 'sites'?"),
        ("    site: paris\n", "    sitte: paris\n", "center.yaml:8: agents[0].sitte: "
         "unknown key 'sitte'; did you mean 'site'?"),
        ("    channels: [voice]\n", "    channels: [voice]\n    steps: [{after: 0, levles: {}}]\n",
         "center.yaml:6: queues[0].steps[0].levles: unknown key 'levles'; did you mean 'levels'?"),
        ("    channels: [voice]\n", "    channels: [voice]\n    offer_timeots: {voice: 5}\n",
         "center.yaml:6: queues[0].offer_timeots: unknown key 'offer_timeots'; "
         "did you mean 'offer_timeouts'?"),
    ],
)  # fmt: skip
def test_a_misspelt_center_key_gets_did_you_mean_at_every_level(
    old: str, new: str, expected: str
) -> None:
    assert old in CENTER
    assert [str(p) for p in center_problems(CENTER.replace(old, new, 1))] == [expected]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("name: small\n", "name: small\ndescripton: x\n", "crisis.yaml:2: descripton: "
         "unknown key 'descripton'; did you mean 'description'?"),
        ("    count: 3\n", "    count: 3\n    languags: [fr]\n", "crisis.yaml:15: "
         "agents.team.languags: unknown key 'languags'; did you mean 'languages'?"),
        ("    channels: [voice]\n", "    channels: [voice]\n    steps: [{after: 0, levles: {}}]\n",
         "crisis.yaml:7: queues.billing.steps[0].levles: unknown key 'levles'; "
         "did you mean 'levels'?"),
        ("    shift: {start: \"08:00\", end: \"10:00\"}\n",
         "    shift: {start: \"08:00\", end: \"10:00\", breaks: [{at: \"09:00\", minuts: 5}]}\n",
         "crisis.yaml:17: agents.team.shift.breaks[0].minuts: unknown key 'minuts'; "
         "did you mean 'minutes'?"),
        ("name: small\n", "name: small\nmeasures:\n  - kind: callback_offer\n    at: \"08:30\"\n"
         "    accept_share: 0.5\n    afetr: 30\n", "crisis.yaml:6: measures[0].afetr: "
         "unknown key 'afetr'; did you mean 'after'?"),
    ],
)  # fmt: skip
def test_a_misspelt_scenario_key_gets_did_you_mean_at_every_level(
    old: str, new: str, expected: str
) -> None:
    assert old in SCENARIO
    messages = [str(p) for p in scenario_problems(SCENARIO.replace(old, new, 1))]
    assert expected in messages


def test_a_key_far_from_every_allowed_one_gets_no_guess() -> None:
    text = CENTER.replace("    site: paris\n", "    zzzz: 1\n", 1)
    assert [p.message for p in center_problems(text)] == ["unknown key 'zzzz'"]


@pytest.mark.parametrize(
    ("rules", "field", "message"),
    [
        ("    steps: [{after: 0, levels: {billing: 12}}]\n", "steps[0].levels.billing",
         "level must be 1..10"),
        ("    overflow_to: salse\n", "overflow_to", "unknown queue 'salse'"),
        ("    steps: [{after: 30}]\n", "steps", "steps must start at 0 s and widen in time"),
        ("    offer_timeout: 0\n", "offer_timeout", "Input should be greater than 0"),
        ("    max_wait: 1:30\n", "max_wait", "Input should be a valid number"),
    ],
)  # fmt: skip
def test_a_queue_check_written_once_gives_the_same_message_in_both(
    rules: str, field: str, message: str
) -> None:
    marker = "    channels: [voice]\n"
    (center,) = center_problems(CENTER.replace(marker, marker + rules, 1))
    (scenario,) = scenario_problems(SCENARIO.replace(marker, marker + rules, 1))
    assert (center.field, center.line) == (f"queues[0].{field}", 6)
    assert (scenario.field, scenario.line) == (f"queues.billing.{field}", 7)
    assert center.message.startswith(message)
    assert center.message == scenario.message


def test_an_unknown_channel_and_a_bad_agent_level_read_the_same_in_both() -> None:
    marker = "    channels: [voice]\n"
    (center,) = center_problems(CENTER.replace(marker, "    channels: [pigeon]\n", 1))
    (scenario,) = scenario_problems(SCENARIO.replace(marker, "    channels: [pigeon]\n", 1))
    assert center.message == scenario.message and "'pigeon'" not in center.field
    assert "voice" in center.message
    (center,) = center_problems(CENTER.replace("billing: 5", "billing: 0", 1))
    (scenario,) = scenario_problems(SCENARIO.replace("billing: 5", "billing: 0", 1))
    assert center.message == scenario.message == "level must be 1..10"
    assert (center.field, scenario.field) == (
        "agents[0].skills.billing",
        "agents.team.skills.billing",
    )


def test_a_misspelt_throttle_field_gets_did_you_mean() -> None:
    text = CENTER + "throttles:\n  - {queue: voice, site: paris, targt: 0.2}\n"
    assert [str(p) for p in center_problems(text)] == [
        "center.yaml:11: throttles[0].targt: unknown key 'targt'; did you mean 'target'?"
    ]


def test_plain_data_problems_have_no_file_or_line() -> None:
    from joignable.service.config import validate

    with pytest.raises(ConfigError) as info:
        validate({"queus": []})
    assert [str(p) for p in info.value.problems] == [
        "queus: unknown key 'queus'; did you mean 'queues'?"
    ]


def test_an_overflow_circle_is_refused_in_both_documents() -> None:
    center = CENTER.replace(
        "    channels: [voice]\n",
        "    channels: [voice]\n    overflow_to: voice2\n"
        "  - id: voice2\n    channels: [voice]\n    overflow_to: voice3\n"
        "  - id: voice3\n    channels: [voice]\n    overflow_to: voice\n",
        1,
    )
    (problem,) = center_problems(center)
    assert (problem.field, problem.line) == ("queues[0].overflow_to", 6)
    assert problem.message.startswith(
        "overflows go round in a circle (voice → voice2 → voice3 → voice)"
    )
    scenario = SCENARIO.replace(
        "    skills: {billing: 1}\n",
        "    skills: {billing: 1}\n    overflow_to: spare\n"
        "  spare:\n    channels: [voice]\n    skills: {billing: 1}\n    overflow_to: billing\n",
        1,
    )
    (found,) = scenario_problems(scenario)
    assert found.field == "queues.billing.overflow_to"
    assert "billing → spare → billing" in found.message


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        ({"a": "b", "b": None}, {}),
        ({"a": "b", "b": "a"}, {"a": ["a", "b", "a"]}),
        ({"x": "a", "a": "b", "b": "a"}, {"a": ["a", "b", "a"]}),  # x leads into it
        ({"b": "c", "a": "b", "c": "b"}, {"b": ["b", "c", "b"]}),
        ({"a": "a"}, {}),  # itself: check_queue's own message
        ({"a": "gone"}, {}),  # unknown: check_queue's own message
        ({"a": "b", "b": "a", "c": "d", "d": "c"}, {"a": ["a", "b", "a"], "c": ["c", "d", "c"]}),
    ],
)
def test_overflow_cycles(targets: dict[str, str | None], expected: dict[str, list[str]]) -> None:
    assert overflow_cycles(targets) == expected
