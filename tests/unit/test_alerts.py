"""Alert rules: hold time, hysteresis, scopes, configuration errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joignable.core import commands as cmd
from joignable.core.alerts.config import rule_from_dict
from joignable.core.alerts.rules import (
    AlertCleared,
    AlertEvaluator,
    AlertRaised,
    AlertRule,
    Comparison,
    ScopeKind,
    Severity,
    Window,
)
from joignable.core.kpis.book import KpiBook
from joignable.core.model import AgentSpec, Capacity, Channel, ContactSpec, QueueSpec
from joignable.core.routing.engine import Engine


def figs(scope: str, member: str, **metrics: float | None) -> dict:
    return {"sliding": {scope: {member: dict(metrics)}}}


ABANDON = AlertRule(
    id="abandon",
    metric="abandonment_rate",
    scope=ScopeKind.QUEUE,
    threshold=0.10,
    clear=0.05,
    hold_s=30,
    severity=Severity.CRITICAL,
)

SL = AlertRule(
    id="sl",
    metric="service_level",
    scope=ScopeKind.OUTSOURCER,
    scope_id="acme",
    comparison=Comparison.BELOW,
    threshold=0.8,
    clear=0.85,
    contract=True,
)


def test_raises_only_after_the_hold_time_and_clears_past_the_clear_level() -> None:
    ev = AlertEvaluator([ABANDON])
    assert ev.evaluate(figs("queue", "billing", abandonment_rate=0.2), 0) == []
    assert ev.evaluate(figs("queue", "billing", abandonment_rate=0.2), 29) == []
    (raised,) = ev.evaluate(figs("queue", "billing", abandonment_rate=0.3), 30)
    assert isinstance(raised, AlertRaised)
    assert (raised.scope_id, raised.value, raised.severity) == ("billing", 0.3, Severity.CRITICAL)
    assert ev.active() == [raised]
    # between clear (0.05) and threshold (0.10): stays raised
    assert ev.evaluate(figs("queue", "billing", abandonment_rate=0.07), 40) == []
    (cleared,) = ev.evaluate(figs("queue", "billing", abandonment_rate=0.04), 50)
    assert isinstance(cleared, AlertCleared)
    assert cleared.alert_id == raised.alert_id and cleared.raised_at == 30
    assert cleared.id != raised.id
    assert ev.active() == []


def test_a_dip_during_the_hold_restarts_the_hold() -> None:
    ev = AlertEvaluator([ABANDON])
    ev.evaluate(figs("queue", "q", abandonment_rate=0.2), 0)
    ev.evaluate(figs("queue", "q", abandonment_rate=0.08), 20)  # not breached: restart
    assert ev.evaluate(figs("queue", "q", abandonment_rate=0.2), 35) == []
    assert ev.evaluate(figs("queue", "q", abandonment_rate=0.2), 64) == []
    assert len(ev.evaluate(figs("queue", "q", abandonment_rate=0.2), 65)) == 1


def test_below_rule_on_one_outsourcer_only() -> None:
    ev = AlertEvaluator([SL])
    data = {
        "sliding": {"outsourcer": {"acme": {"service_level": 0.5}, "other": {"service_level": 0.1}}}
    }
    (raised,) = ev.evaluate(data, 1)
    assert raised.scope_id == "acme" and raised.contract
    data["sliding"]["outsourcer"]["acme"]["service_level"] = 0.83
    assert ev.evaluate(data, 2) == []
    data["sliding"]["outsourcer"]["acme"]["service_level"] = 0.9
    (cleared,) = ev.evaluate(data, 3)
    assert isinstance(cleared, AlertCleared)


def test_an_outsourcers_contract_alerts_fire_from_engine_events() -> None:
    """acme's e-mail queue: 8 e-mails wait for acme's only agent, 3 give up; the
    contract levels (maximum wait, service level, abandonment) are read from the
    KPI book's sliding window per outsourcer, in the shape the control tower
    evaluates, and fire on acme — nothing on outsourcer "-"."""
    engine, book = Engine(), KpiBook()
    queue = QueueSpec(
        id="email", channels=frozenset({Channel.EMAIL}), outsourcer="acme", sl_seconds=3600
    )
    x1 = AgentSpec(id="x1", outsourcer="acme", capacity=Capacity.only(Channel.EMAIL))

    def run(command: cmd.Command, at: float) -> None:
        book.apply_all(engine.handle(command, at))

    def readings(now: float) -> dict:
        by = {k: f.as_dict() for k, f in book.window(now, by="outsourcer").items()}
        return {"sliding": {"outsourcer": by}}

    run(cmd.ConfigureQueue(queue=queue), 0)
    run(cmd.ConfigureAgent(agent=x1), 0)
    for i in range(8):
        spec = ContactSpec(id=f"e{i + 1}", channel=Channel.EMAIL, queue="email")
        run(cmd.AddContact(contact=spec), 10 * i)
    for cid, t in (("e6", 100), ("e7", 110), ("e8", 113)):
        run(cmd.Abandon(contact_id=cid), t)
    contract = {"scope": "outsourcer", "contract": True, "severity": "critical"}
    levels = [
        {"id": "acme-wait", "metric": "longest_wait", "scope_id": "acme", "threshold": 120},
        {"id": "acme-sl", "metric": "service_level", "scope_id": "acme",
         "comparison": "below", "threshold": 0.8, "min_offered": 5},
        {"id": "abandon", "metric": "abandonment_rate", "threshold": 0.2, "clear": 0.1,
         "min_offered": 5, "hold_s": 30},  # every outsourcer
    ]  # fmt: skip
    ev = AlertEvaluator(rule_from_dict(data | contract) for data in levels)
    (waited,) = ev.evaluate(readings(150), 150)  # e1 has waited 150 s; 3 offered: too thin
    assert isinstance(waited, AlertRaised) and waited.contract
    assert (waited.rule_id, waited.scope_id, waited.value) == ("acme-wait", "acme", 150.0)
    run(cmd.LogIn(agent_id="x1"), 200)  # e1..e5 are offered to x1
    for i in range(5):
        run(cmd.Accept(contact_id=f"e{i + 1}", agent_id="x1"), 201)
    out = ev.evaluate(readings(201), 201)  # nobody waits; 8 offered, 5 answered in SL
    assert [(type(a).__name__, a.rule_id, a.scope_id) for a in out] == [
        ("AlertCleared", "acme-wait", "acme"),
        ("AlertRaised", "acme-sl", "acme"),
    ]
    assert out[1].value == pytest.approx(5 / 8)
    assert ev.evaluate(readings(230), 230) == []  # abandonment held for 29 s only
    (abandon,) = ev.evaluate(readings(231), 231)
    assert isinstance(abandon, AlertRaised) and abandon.contract
    assert (abandon.rule_id, abandon.scope_id) == ("abandon", "acme")
    assert abandon.value == pytest.approx(3 / 8)
    assert {a.scope_id for a in ev.active()} == {"acme"}


def test_every_member_is_tracked_apart() -> None:
    ev = AlertEvaluator(
        [AlertRule(id="w", metric="longest_wait", scope=ScopeKind.QUEUE, threshold=60)]
    )
    data = {
        "sliding": {
            "queue": {
                "a": {"longest_wait": 90},
                "b": {"longest_wait": 10},
                "c": {"longest_wait": 61},
            }
        }
    }
    out = ev.evaluate(data, 5)
    assert [e.scope_id for e in out] == ["a", "c"]
    assert ev.statistics().active == 2


def test_missing_data_and_thin_samples_freeze_the_state() -> None:
    rule = AlertRule(
        id="a", metric="abandonment_rate", scope=ScopeKind.SITE, threshold=0.1, min_offered=10
    )
    ev = AlertEvaluator([rule])
    assert ev.evaluate(figs("site", "paris", abandonment_rate=0.5, offered=3), 0) == []
    (raised,) = ev.evaluate(figs("site", "paris", abandonment_rate=0.5, offered=12), 1)
    assert ev.evaluate(figs("site", "paris", abandonment_rate=None, offered=12), 2) == []
    assert ev.evaluate({}, 3) == []
    assert ev.active() == [raised]


def test_clear_hold_time() -> None:
    rule = AlertRule(
        id="a", metric="waiting", scope=ScopeKind.CENTER, threshold=10, clear=5, clear_hold_s=20
    )
    ev = AlertEvaluator([rule])
    assert len(ev.evaluate(figs("center", "all", waiting=11), 0)) == 1
    assert ev.evaluate(figs("center", "all", waiting=1), 10) == []
    assert ev.evaluate(figs("center", "all", waiting=6), 20) == []  # in the band: restart
    assert ev.evaluate(figs("center", "all", waiting=1), 25) == []
    assert len(ev.evaluate(figs("center", "all", waiting=1), 45)) == 1


def test_changed_rules_clear_their_alerts() -> None:
    ev = AlertEvaluator([ABANDON, SL])
    ev.evaluate(figs("outsourcer", "acme", service_level=0.1), 0)
    assert ev.set_rules([SL], 1) == []  # SL unchanged: kept
    assert len(ev.active()) == 1
    (cleared,) = ev.set_rules([ABANDON], 2)
    assert isinstance(cleared, AlertCleared) and cleared.reason == "rule changed"
    with pytest.raises(ValueError, match="used twice"):
        ev.set_rules([ABANDON, ABANDON], 3)


def test_rule_validation_and_config() -> None:
    with pytest.raises(ValueError, match="clear level"):
        AlertRule(id="x", metric="m", scope=ScopeKind.QUEUE, threshold=1, clear=2)
    rule = rule_from_dict(
        {"id": "c1", "metric": "service_level", "scope": "outsourcer", "scope_id": "acme",
         "comparison": "below", "threshold": "0.8", "clear": 0.85, "hold_s": 60,
         "severity": "critical", "contract": True}
    )  # fmt: skip
    assert rule.threshold == 0.8 and rule.comparison is Comparison.BELOW and rule.contract
    with pytest.raises(ValueError, match="c2: unknown field"):
        rule_from_dict({"id": "c2", "metric": "m", "threshold": 1, "bogus": 1})
    with pytest.raises(ValueError, match=r"c3: scope must be one of"):
        rule_from_dict({"id": "c3", "metric": "m", "threshold": 1, "scope": "planet"})
    with pytest.raises(ValueError, match="c4: threshold is required"):
        rule_from_dict({"id": "c4", "metric": "m"})
    assert "abandonment_rate >" in ABANDON.describe()


band = st.floats(min_value=0.05, max_value=0.10)


@settings(max_examples=200, deadline=None)
@given(
    start_raised=st.booleans(),
    values=st.lists(band, min_size=1, max_size=60),
    gaps=st.lists(st.floats(min_value=0, max_value=100), min_size=60, max_size=60),
)
def test_hysteresis_never_flaps_inside_the_band(
    start_raised: bool, values: list[float], gaps: list[float]
) -> None:
    ev = AlertEvaluator([ABANDON])
    now = 0.0
    if start_raised:
        ev.evaluate(figs("queue", "q", abandonment_rate=1.0), 0)
        assert len(ev.evaluate(figs("queue", "q", abandonment_rate=1.0), 30)) == 1
        now = 30.0
    for value, gap in zip(values, gaps, strict=False):
        now += gap
        assert ev.evaluate(figs("queue", "q", abandonment_rate=value), now) == []
    assert len(ev.active()) == int(start_raised)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=0.3), st.floats(min_value=0, max_value=40)),
        max_size=80,
    )
)
def test_events_alternate_and_respect_the_hold(samples: list[tuple[float, float]]) -> None:
    ev = AlertEvaluator([ABANDON])
    now, last = 0.0, None
    breach_start: float | None = None
    for value, gap in samples:
        now += gap
        if value > ABANDON.threshold:
            breach_start = now if breach_start is None else breach_start
        else:
            breach_start = None
        for event in ev.evaluate(figs("queue", "q", abandonment_rate=value), now):
            if isinstance(event, AlertRaised):
                assert not isinstance(last, AlertRaised)
                assert breach_start is not None and now - breach_start >= ABANDON.hold_s
                assert value > ABANDON.threshold
            else:
                assert isinstance(last, AlertRaised) and value < ABANDON.clear_level
            last = event


def test_an_active_alert_reads_its_figure_now_and_how_long_it_held() -> None:
    """`value` is frozen when the alert is raised; `value_now` is the figure as
    the figures given hold it (the rule's window), `held_s` the time since."""
    today = AlertRule(id="day", metric="service_level", scope=ScopeKind.QUEUE,
                      comparison=Comparison.BELOW, threshold=0.8, window=Window.TODAY)  # fmt: skip
    evaluator = AlertEvaluator([ABANDON, today])
    both = {"sliding": {"queue": {"q": {"abandonment_rate": 0.5}}},
            "today": {"queue": {"q": {"service_level": 0.536}}}}  # fmt: skip
    evaluator.evaluate(both, now=0)
    evaluator.evaluate(both, now=30)  # ABANDON holds 30 s
    later = {"sliding": {"queue": {"q": {"abandonment_rate": 0.227}}},
             "today": {"queue": {"q": {"service_level": 0.6}}}}  # fmt: skip
    assert evaluator.evaluate(later, now=90) == []  # still raised: between levels or past
    rows = {r["rule_id"]: r for r in evaluator.active_now(later, now=150)}
    assert (rows["abandon"]["value"], rows["abandon"]["value_now"]) == (0.5, 0.227)
    assert (rows["abandon"]["since"], rows["abandon"]["held_s"]) == (30, 120)
    assert rows["abandon"]["window"] == "sliding"
    assert (rows["day"]["value"], rows["day"]["value_now"]) == (0.536, 0.6)
    assert (rows["day"]["since"], rows["day"]["held_s"], rows["day"]["window"]) == (0, 150, "today")
    gone = {"sliding": {"queue": {}}, "today": {"queue": {"q": {}}}}
    assert [r["value_now"] for r in evaluator.active_now(gone, now=150)] == [None, None]
