"""The `alerts:` section of the center configuration: each mistake is a
`FILE:LINE: field: message` problem (a misspelt metric too, which would
otherwise never fire), `joignable serve` refuses such a file with exit code 2
and no traceback, and a stored configuration with a rule that no longer
validates starts without that rule instead of failing or losing the center."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from joignable.cli import app as cli_app
from joignable.core.alerts.config import METRICS
from joignable.core.alerts.rules import Comparison, ScopeKind
from joignable.service.config import ConfigError, alert_rules, from_store, parse
from joignable.service.live import FIELDS
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from tests.integration.conftest import CENTER_YAML, add_users, free_port, start_server

BASE = """\
sites: [{id: paris}]
outsourcers: [{id: acme}]
queues:
  - id: voice
    channels: [voice]
alerts:
  - id: backlog
    metric: waiting
    scope: queue
    scope_id: voice
    threshold: 5
    clear: 2
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text, "center.yaml")
    return [str(p) for p in info.value.problems]


def test_a_valid_rule_becomes_the_cores_rule() -> None:
    (rule,) = alert_rules(parse(BASE))
    assert (rule.id, rule.metric, rule.scope, rule.scope_id) == (
        "backlog", "waiting", ScopeKind.QUEUE, "voice"
    )  # fmt: skip
    assert (rule.threshold, rule.clear, rule.comparison) == (5, 2, Comparison.ABOVE)
    no_rules = parse(BASE.split("alerts:")[0])
    assert [r.id for r in alert_rules(no_rules)] == ["sl-low", "abandon-high", "wait-long"]


def test_a_rule_watches_only_numbers_of_the_live_snapshot() -> None:
    assert set(METRICS) <= set(FIELDS)  # a rule on a figure the snapshot lacks never fires
    assert "volume" not in METRICS  # a count per channel, not a number


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("metric: waiting", "metric: waitng",
         "center.yaml:8: alerts[0].metric: unknown metric 'waitng'; did you mean 'waiting'? one of "),
        ("metric: waiting", "metric: volume", "center.yaml:8: alerts[0].metric: unknown metric 'volume'"),
        ("scope: queue", "scope: planet",
         "center.yaml:9: alerts[0].scope: Input should be 'center', 'queue', 'channel', 'site' or "
         "'outsourcer'"),
        ("scope_id: voice", "scope_id: vox", "center.yaml:10: alerts[0].scope_id: unknown queue 'vox'"),
        ("scope: queue", "scope: outsourcer",
         "center.yaml:10: alerts[0].scope_id: unknown outsourcer 'voice'"),
        ("scope: queue", "scope: center",
         "center.yaml:10: alerts[0].scope_id: a center rule watches the whole center"),
        ("threshold: 5", "threshold: many",
         "center.yaml:11: alerts[0].threshold: Input should be a valid number"),
        ("threshold: 5", "threshold: .inf", "center.yaml:11: alerts[0].threshold: Input should be a finite number"),
        ("    threshold: 5\n", "", "center.yaml:7: alerts[0].threshold: Field required"),
        ("clear: 2", "clear: 9",
         "center.yaml:12: alerts[0].clear: the clear level must be at or below the threshold 5 "
         "for a rule 'above' (hysteresis), got 9"),
        ("clear: 2", "comparison: below\n    clear: 2",
         "center.yaml:13: alerts[0].clear: the clear level must be at or above the threshold 5 "
         "for a rule 'below' (hysteresis), got 2"),
        ("clear: 2", "hold_s: -1", "center.yaml:12: alerts[0].hold_s: Input should be greater than or equal to 0"),
        ("clear: 2", "min_offered: 2.5", "center.yaml:12: alerts[0].min_offered: Input should be a valid integer"),
        ("clear: 2", "severity: dire", "center.yaml:12: alerts[0].severity: Input should be 'info', 'warning' or 'critical'"),
        ("clear: 2", "window: week", "center.yaml:12: alerts[0].window: Input should be '5m', 'sliding' or 'today'"),
        ("clear: 2", "colour: red", "center.yaml:12: alerts[0].colour: unknown key 'colour'"),
    ],
)  # fmt: skip
def test_each_mistake_names_file_line_and_field(old: str, new: str, expected: str) -> None:
    assert old in BASE
    (problem,) = problems(BASE.replace(old, new))
    assert problem.startswith(expected), problem


def test_two_rules_with_one_id_and_a_bad_time_zone() -> None:
    twice = BASE + "  - {id: backlog, metric: asa, threshold: 30}\n"
    assert problems(twice) == ["center.yaml:13: alerts[1].id: duplicate id 'backlog'"]
    (zone,) = problems("center: {timezone: Europe/Pariss}\n" + BASE)
    assert (
        zone == "center.yaml:1: center.timezone: unknown time zone 'Europe/Pariss' "
        "(an IANA name: Europe/Paris)"
    )


def test_serve_refuses_a_bad_alert_with_its_line_and_no_traceback(tmp_path: Path) -> None:
    """The file passes nothing to the server: before, the scope was only read
    by the tower's start-up, which failed with a traceback and no line."""
    bad = tmp_path / "center.yaml"
    bad.write_text(CENTER_YAML.read_text().replace("alerts: []", "alerts:\n" + "\n".join([
        "  - id: acme-sl", "    metric: service_level", "    scope: outsourcers",
        "    threshold: 0.8",
    ])))  # fmt: skip
    line = bad.read_text().splitlines().index("    scope: outsourcers") + 1
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    result = CliRunner().invoke(
        cli_app, ["serve", "--config", str(bad), "--db", url, "--port", str(free_port())]
    )
    assert result.exit_code == 2, result.output
    assert f"{bad}:{line}: alerts[0].scope: Input should be 'center', 'queue'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_a_stored_rule_that_no_longer_validates_is_left_out(tmp_path: Path) -> None:
    """The API used to store any alert rule; such a document must not stop the
    server nor lose the center (queues, agents) at a restart without a file."""
    config = parse(BASE)
    document = config.model_dump(mode="json")
    document["alerts"].append({"id": "typo", "metric": "waitng", "scope": "planet", "threshold": 1})
    kept, found = from_store(document)
    assert kept is not None and [a.id for a in kept.alerts] == ["backlog"]
    assert sorted(str(p) for p in found) == [
        "alerts[1].metric: unknown metric 'waitng'; did you mean 'waiting'? one of "
        + ", ".join(METRICS),
        "alerts[1].scope: Input should be 'center', 'queue', 'channel', 'site' or 'outsourcer'",
    ]
    assert from_store({**document, "queues": "nope"})[0] is None  # other problems: as before

    url = f"sqlite:///{tmp_path / 'stored.db'}"
    add_users(url)
    with EventLog.open(url) as log:
        Accounts(log.engine).save_config(document, by="old-version", now=time.time())
    server = start_server(url, config_path=None)
    try:
        root = server.client("root")
        assert [r["id"] for r in root.get("/api/alerts").json()["rules"]] == ["backlog"]
        assert [q["id"] for q in root.get("/api/queues").json()] == ["voice"]
        assert [a["id"] for a in root.get("/api/config").json()["alerts"]] == ["backlog"]
    finally:
        server.stop()
