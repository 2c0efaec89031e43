"""A scenario whose traffic walks a flow: its `flows:` part checked against the flow
(file:line and the name probably meant), and runs where the flow, not a probability,
decides who reaches routing: the hours, the crisis flag, the callers' answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from joignable.sim.loader import ScenarioError, parse_scenario
from joignable.sim.runner import simulate

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "examples" / "flows"


def _data(open_: str = "14:00", close: str = "17:00", **flow: Any) -> dict[str, Any]:
    entry = {
        "file": "main.yaml",
        "crisis_file": "crisis.yaml",
        "route": {"technical": "tech", "general": "billing", "claims": "billing"},
        "skills": {"technical": "tech", "outage": "tech", "claims": "billing"},
        "callers": {"menus": {"intent": {"1": 1.0}, "still_need": {"1": 0.2}}},
        **flow,
    }
    return {
        "name": "flows",
        "date": "2024-03-12",
        "timezone": "Europe/Paris",
        "open": open_,
        "close": close,
        "drain_minutes": 30,
        "channels": {"voice": {"handle_time": 200, "patience": 600, "ring_time": 0}},
        "queues": {
            "billing": {"channels": ["voice", "callback"], "skills": {"billing": 1}},
            "tech": {"channels": ["voice", "callback"], "skills": {"tech": 1}},
        },
        "traffic": [{"queue": "billing", "channel": "voice", "per_interval": {"00:00": 25}}],
        "agents": {
            "a": {
                "count": 6,
                "skills": {"billing": 5, "tech": 5},
                "capacity": {"voice": 1},
                "shift": {"start": "00:00", "end": "23:00"},
            }
        },
        "flows": [entry],
    }


def _parse(data: dict[str, Any]) -> Any:
    return parse_scenario(yaml.safe_dump(data, sort_keys=False), "s.yaml", FLOWS)


def _problems(data: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as info:
        _parse(data)
    return str(info.value)


def test_a_misspelt_node_or_key_names_the_line_and_the_name_meant() -> None:
    data = _data(callers={"menus": {"menus": {"1": 0.5}, "intent": {"4": 0.1}}})
    text = _problems(data)
    assert "s.yaml:" in text
    assert (
        "flows[0].callers.menus.menus: unknown menu node of flow main 'menus'; did you mean 'menu'?"
        in text
    )
    assert "flows[0].callers.menus.intent.4: unknown key '4'" in text


def test_unrouted_queues_unknown_skills_and_bad_shares_are_refused() -> None:
    text = _problems(_data(route={"technical": "techs"}, skills={}))
    assert "flows[0].route.technical: unknown queue 'techs'; did you mean 'tech'?" in text
    assert "names queue 'general', not a queue of the scenario: route it" in text
    assert "unknown skill 'outage' (no agent holds it)" in text
    text = _problems(_data(callers={"menus": {"menu": {"1": 0.7, "2": 0.6}}}))
    assert "flows[0].callers.menus.menu: shares add up to more than 1" in text


def test_a_missing_or_broken_flow_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    text = _problems(_data(file="nowhere.yaml", crisis_file=None))
    assert "flows[0].file: flow nowhere.yaml is not usable" in text and "cannot read" in text
    (tmp_path / "bad.yaml").write_text("flow: x\nstart: a\nnodes: {a: {kind: sey}}\n")
    data = _data(file=str(tmp_path / "bad.yaml"), crisis_file=None)
    assert "bad.yaml:3" in _problems(data)


@pytest.mark.slow
def test_office_hours_decide_who_reaches_routing() -> None:
    open_ = simulate(_parse(_data("14:00", "17:00")), seed=3)
    closed = simulate(_parse(_data("18:30", "20:00")), seed=3)  # main.yaml closes at 18:00
    ivr_open, ivr_closed = open_.extra["ivr"], closed.extra["ivr"]
    assert ivr_open["walked"] > 100 and ivr_closed["walked"] > 50
    assert ivr_open["self_service_resolved"] + ivr_open["self_service_unresolved"] == 0
    assert ivr_open["enqueued"] > 0.7 * ivr_open["walked"]  # the rest: claims voicemail
    assert ivr_closed["enqueued"] == 0
    served = ivr_closed["self_service_resolved"] + ivr_closed["self_service_unresolved"]
    assert served == ivr_closed["walked"] - ivr_closed["abandoned"] == closed.self_service


@pytest.mark.slow
def test_the_crisis_flag_puts_the_outage_flow_live_and_deflects_callers() -> None:
    calm = simulate(_parse(_data()), seed=4)
    crisis = {"kind": "crisis", "at": "14:00", "until": "15:30", "message": "Panne en cours"}
    hit = simulate(_parse({**_data(), "measures": [crisis]}), seed=4)
    assert calm.self_service == 0
    resolved = hit.extra["ivr"]["self_service_resolved"]
    assert resolved > 0.5 * hit.extra["ivr"]["walked"] / 2  # most of the crisis half
    assert hit.self_service == resolved + hit.extra["ivr"]["self_service_unresolved"]
    assert hit.extra["ivr"]["enqueued"] < calm.extra["ivr"]["enqueued"]


@pytest.mark.slow
def test_same_seed_same_run_with_flows() -> None:
    a, b = simulate(_parse(_data()), seed=9), simulate(_parse(_data()), seed=9)
    assert a.extra == b.extra and a.commands == b.commands and a.events == b.events
