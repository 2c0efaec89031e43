"""What-if overrides on a parsed scenario, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from joignable.sim.loader import load_scenario
from joignable.sim.whatif import OverrideError, apply_overrides, parse_path

PLAYBOOK = Path(__file__).resolve().parents[2] / "examples" / "crisis-playbook.yaml"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(PLAYBOOK)


def test_relative_and_absolute_overrides(scenario) -> None:
    s = apply_overrides(
        scenario,
        [
            "agents.outsourcer_x.count=+10",
            "agents.paris_voice.count=-6",
            "queues.billing.max_wait=120",
            "queues.billing.on_max_wait=callback",
            "surges[0].multiplier=*0.5",
            "measures[1].accept_share=0.8",
            "traffic[0].per_interval.10:00=40",
            "agents.paris_chat.skills.billing=6",
        ],
    )
    assert s.agents["outsourcer_x"].count == 18
    assert s.agents["paris_voice"].count == 10
    assert s.queues["billing"].max_wait == 120
    assert s.queues["billing"].on_max_wait.value == "callback"
    assert s.surges[0].multiplier == 4.0
    assert s.measures[1].accept_share == 0.8  # type: ignore[union-attr]
    assert s.traffic[0].per_interval["10:00"] == 40  # type: ignore[index]
    assert s.agents["paris_chat"].skills["billing"] == 6
    assert scenario.agents["outsourcer_x"].count == 8  # the original is untouched


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("agents.outsourcer_y.count=+10", "agents.outsourcer_y: not found (known: lyon_chat"),
        (
            "queues.billing.maxwait=3",
            "queues.billing.maxwait: unknown key 'maxwait'; did you mean 'max_wait'?",
        ),
        ("agents.paris_voice.count=-20", "agents.paris_voice.count: Input should be greater"),
        (
            "agents.paris_chat.skills.billing=11",
            "agents.paris_chat.skills.billing: level must be 1..10",
        ),
        (
            "queues.billing.overflow_to=nowhere",
            "queues.billing.overflow_to: unknown queue 'nowhere'",
        ),
        ("surges[5].multiplier=2", "surges[5]: no such item (1 items)"),
        ("agents.paris_voice.count", "expected path=value"),
    ],
)
def test_override_errors(scenario, expr: str, message: str) -> None:
    with pytest.raises(OverrideError) as info:
        apply_overrides(scenario, [expr])
    assert message in str(info.value)
    assert str(info.value).startswith(f"--set {expr}")


def test_parse_path() -> None:
    assert parse_path("traffic[0].per_interval.08:00") == ["traffic", 0, "per_interval", "08:00"]
    assert parse_path("measures.2.at") == ["measures", 2, "at"]
