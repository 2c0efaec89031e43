"""The tower's cell status (core/kpis/status.py): a queue's own target, the alert
rules and the active alerts decide a figure's colour; never calmer than an alert."""

from joignable.core.alerts.rules import AlertRule, Comparison, ScopeKind, Severity
from joignable.core.kpis.status import Targets, cell_status, statuses


def test_two_queues_with_different_targets_colour_one_figure_differently() -> None:
    out = statuses(
        {"sliding": {"queue": {"a": {"service_level": 0.75}, "b": {"service_level": 0.75}}}},
        queue_targets={"a": Targets(0.7, 20), "b": Targets(0.8, 20)},
    )
    assert out["sliding"]["queue"]["a"]["service_level"] == "ok"
    assert out["sliding"]["queue"]["b"]["service_level"] == "warning"


def test_a_rule_past_its_threshold_gives_its_severity_and_an_alert_keeps_it() -> None:
    rule = AlertRule(id="ab", metric="abandonment_rate", scope=ScopeKind.QUEUE,
                     threshold=0.15, clear=0.10, severity=Severity.CRITICAL)  # fmt: skip
    kw = {"kind": "queue", "member": "a", "window": "sliding", "rules": [rule]}
    assert cell_status("abandonment_rate", 0.2, **kw) == "critical"  # type: ignore[arg-type]
    assert cell_status("abandonment_rate", 0.12, **kw) == "ok"  # type: ignore[arg-type]
    # between clear and threshold with the alert still raised: the cell stays red
    held = cell_status("abandonment_rate", 0.12, alerts=["critical"], **kw)  # type: ignore[arg-type]
    assert held == "critical"
    assert Comparison.ABOVE is rule.comparison


def test_no_value_no_target_no_rule_no_status() -> None:
    assert cell_status("aht", 100.0, kind="queue", member="a", window="sliding") is None
    assert cell_status("longest_wait", 30.0, kind="queue", member="a", window="sliding",
                       targets=Targets(0.8, 20)) == "warning"  # fmt: skip
