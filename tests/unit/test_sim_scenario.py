"""Scenario loading: every mistake is FILE:LINE: field: message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from joignable.sim.loader import ScenarioError, load_scenario, parse_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

GOOD = """\
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


def _error(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "crisis.yaml")
    return str(info.value)


def test_good_scenario_loads_and_times_stay_strings() -> None:
    s = parse_scenario(GOOD.replace('"08:00"', "08:00"), "ok.yaml")  # unquoted: not 480
    assert s.open == "08:00" and s.agents["team"].count == 3


def test_a_queue_names_its_site_and_outsourcer_as_in_the_server_configuration() -> None:
    text = GOOD.replace("    skills: {billing: 1}\n", "    site: rabat\n    outsourcer: acme\n", 1)
    spec = parse_scenario(text, "ok.yaml").queues["billing"].build("billing")
    assert (spec.site, spec.outsourcer) == ("rabat", "acme")
    spec = parse_scenario(GOOD, "ok.yaml").queues["billing"].build("billing")
    assert (spec.site, spec.outsourcer) == (None, None)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "billing: 5",
            "billing: 12",
            "crisis.yaml:16: agents.team.skills.billing: level must be 1..10",
        ),
        ("count: 3", "count: -1", "crisis.yaml:14: agents.team.count: Input should be greater"),
        ("count: 3", "count: lots", "crisis.yaml:14: agents.team.count: Input should be a valid"),
        (
            "channel: voice",
            "channel: pigeon",
            "crisis.yaml:10: traffic[0].channel: Input should be",
        ),
        (
            "queue: billing",
            "queue: sales",
            "crisis.yaml:9: traffic[0].queue: unknown queue 'sales'",
        ),
        ('close: "10:00"', 'close: "7h"', "crisis.yaml:3: close: time of day must be HH:MM"),
        ('close: "10:00"', 'close: "07:00"', "crisis.yaml:3: close: close must be after open"),
        (
            "    count: 3\n",
            "    count: 3\n    colour: blue\n",
            "crisis.yaml:15: agents.team.colour: unknown key 'colour'",
        ),
        ("    channel: voice\n", "", "crisis.yaml:9: traffic[0].channel: Field required"),
        ("[voice]", "[voice", "crisis.yaml:7: (document): invalid YAML"),
        ("name: small", "name: [small", "crisis.yaml:2: (document): invalid YAML"),
    ],
)
def test_errors_name_file_line_and_field(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    assert _error(GOOD.replace(old, new, 1)).splitlines()[0].startswith(expected)


def test_measure_errors_skip_the_union_tag() -> None:
    text = GOOD + 'measures:\n  - kind: callback_offer\n    at: "08:30"\n    accept_share: 2\n'
    assert _error(text) == "crisis.yaml:21: measures[0].accept_share: share must be between 0 and 1"


def test_not_a_mapping_and_empty_file() -> None:
    assert (
        _error("- a\n- b\n") == "crisis.yaml:1: (document): the document must be a mapping of keys"
    )
    assert _error("") == "crisis.yaml:1: (document): empty file; expected a mapping"


def test_unreadable_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"missing\.yaml:1: \(document\): cannot read"):
        load_scenario(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"name: x\n\xff\xfe\x00")
    with pytest.raises(ScenarioError, match=r"bad.yaml:2: \(document\): not UTF-8"):
        load_scenario(bad)


def test_csv_traffic(tmp_path: Path) -> None:
    (tmp_path / "volumes.csv").write_text("interval_start,volume\n08:00,12\n08:15,20\n")
    text = GOOD.replace('per_interval: {"08:00": 10}', "csv: volumes.csv")
    (tmp_path / "s.yaml").write_text(text)
    s = load_scenario(tmp_path / "s.yaml")
    assert s.traffic[0].per_interval == {"08:00": 12.0, "08:15": 20.0}
    (tmp_path / "volumes.csv").write_text("interval_start,volume\n08:00,twelve\n")
    with pytest.raises(ScenarioError, match=r"volumes.csv:2: \(document\): could not convert"):
        load_scenario(tmp_path / "s.yaml")


def test_examples_load() -> None:
    for name in ("normal-day", "crisis-outage", "crisis-playbook"):
        s = load_scenario(EXAMPLES / f"{name}.yaml")
        assert sum(g.count for gid, g in s.agents.items() if gid != "outsourcer_x_crisis") == 50


def _must_be_scenario_error(text: str) -> None:
    try:
        parse_scenario(text, "fuzz.yaml")
    except ScenarioError as exc:
        first = str(exc).splitlines()[0]
        assert first.startswith("fuzz.yaml:"), first
        assert int(first.split(":")[1]) >= 1


PLAYBOOK = (EXAMPLES / "crisis-playbook.yaml").read_text()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, len(PLAYBOOK)), noise=st.text(max_size=20), at=st.integers(0, 4000))
def test_fuzz_truncated_and_garbled_yaml(cut: int, noise: str, at: int) -> None:
    truncated = PLAYBOOK[:cut]
    _must_be_scenario_error(truncated)
    pos = min(at, len(truncated))
    _must_be_scenario_error(truncated[:pos] + noise + truncated[pos:])


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab:-[]{}'\"!&*#|>%@`?, \n\t0123456789.")), max_size=80)
)
def test_fuzz_yaml_punctuation(text: str) -> None:
    _must_be_scenario_error(text)
