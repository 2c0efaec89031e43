"""Threshold alerts with hold time and hysteresis, as pure code.

Why: a supervisor must be told when a queue, channel, site or outsourcer
breaks a threshold (including an outsourcer's contract levels), but not be
flooded by an alert that flickers around its threshold. A rule raises only
after its condition has held for `hold_s` seconds, and clears only when the
figure has come back past a separate clear level (hysteresis) for
`clear_hold_s` seconds. A figure sitting between the clear level and the
threshold never changes an alert's state.

The evaluator is fed figures and `now` by the shell (the live hub, the
simulator) and returns `AlertRaised` / `AlertCleared` events; it reads no
clock and does no I/O. Figures are plain nested mappings::

    figures[window][scope kind][scope id][metric] -> float | None

with windows "5m" (last 5 minutes), "sliding" (last 15) and "today" (since midnight), the
shape of the live snapshot. A `None` figure (no data yet) freezes the state.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

#: figures[window][scope kind][scope id][metric]
Readings = Mapping[str, Mapping[str, Mapping[str, Mapping[str, float | int | None]]]]

#: scope id of a rule that applies to every member of its scope kind.
EVERY = "*"


class ScopeKind(StrEnum):
    CENTER = "center"
    QUEUE = "queue"
    CHANNEL = "channel"
    SITE = "site"
    OUTSOURCER = "outsourcer"


class Comparison(StrEnum):
    """`ABOVE`: alert when the figure is greater than the threshold (abandonment,
    longest wait); `BELOW`: when it is lower (service level, answer rate)."""

    ABOVE = "above"
    BELOW = "below"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Window(StrEnum):
    """The figures a rule watches: the last 5 minutes (clears soon after a
    problem ends), the last 15 (`SLIDING`, steadier), or since midnight."""

    FIVE_MIN = "5m"
    SLIDING = "sliding"
    TODAY = "today"


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One alert rule.

    `clear` is the level the figure must come back past to clear the alert
    (below it for `ABOVE`, above it for `BELOW`); `None` means the threshold
    itself. `min_offered` ignores the scope while fewer contacts were offered
    in the window (a rate on three contacts is noise). `contract` marks an
    outsourcer's contractual level, shown apart on the control tower.
    """

    id: str
    metric: str
    scope: ScopeKind
    threshold: float
    comparison: Comparison = Comparison.ABOVE
    scope_id: str = EVERY
    hold_s: float = 0.0
    clear: float | None = None
    clear_hold_s: float = 0.0
    severity: Severity = Severity.WARNING
    window: Window = Window.SLIDING
    min_offered: int = 0
    contract: bool = False
    title: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("alert rule: id must not be empty")
        if not self.metric:
            raise ValueError(f"alert rule {self.id}: metric must not be empty")
        if not math.isfinite(self.threshold):
            raise ValueError(f"alert rule {self.id}: threshold must be a finite number")
        if self.hold_s < 0 or self.clear_hold_s < 0:
            raise ValueError(f"alert rule {self.id}: hold times must be >= 0")
        if self.min_offered < 0:
            raise ValueError(f"alert rule {self.id}: min_offered must be >= 0")
        if self.clear is not None:
            wrong_side = (
                self.clear > self.threshold
                if self.comparison is Comparison.ABOVE
                else self.clear < self.threshold
            )
            if wrong_side or not math.isfinite(self.clear):
                side = "<=" if self.comparison is Comparison.ABOVE else ">="
                raise ValueError(
                    f"alert rule {self.id}: clear level must be {side} threshold "
                    f"{self.threshold} for a rule '{self.comparison}', got {self.clear}"
                )

    @property
    def clear_level(self) -> float:
        return self.threshold if self.clear is None else self.clear

    def breached(self, value: float) -> bool:
        """Whether `value` is past the threshold (the raising side)."""
        if self.comparison is Comparison.ABOVE:
            return value > self.threshold
        return value < self.threshold

    def recovered(self, value: float) -> bool:
        """Whether `value` is back past the clear level (the clearing side)."""
        level = self.clear_level
        if self.comparison is Comparison.ABOVE:
            return value < level if self.clear is not None else value <= level
        return value > level if self.clear is not None else value >= level

    def describe(self) -> str:
        sign = ">" if self.comparison is Comparison.ABOVE else "<"
        where = "every " + self.scope.value if self.scope_id == EVERY else self.scope_id
        return self.title or f"{self.metric} {sign} {self.threshold:g} ({where})"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertEvent:
    """Base of alert events. `id` is unique per event and stable across
    re-evaluations (notifications use it as their idempotency key);
    `alert_id` names the alert occurrence both of its events share."""

    id: str
    alert_id: str
    at: float
    rule_id: str
    metric: str
    scope: ScopeKind
    scope_id: str
    severity: Severity
    value: float | None
    threshold: float
    title: str
    contract: bool = False

    @property
    def kind(self) -> str:
        return type(self).__name__

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "alert_id": self.alert_id,
            "at": self.at,
            "rule_id": self.rule_id,
            "metric": self.metric,
            "scope": self.scope.value,
            "scope_id": self.scope_id,
            "severity": self.severity.value,
            "value": self.value,
            "threshold": self.threshold,
            "title": self.title,
            "contract": self.contract,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRaised(AlertEvent):
    """The rule's condition held for its hold time."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertCleared(AlertEvent):
    """The figure came back past the clear level (or the rule was removed)."""

    raised_at: float
    reason: str = "recovered"

    def as_dict(self) -> dict[str, object]:
        out = AlertEvent.as_dict(self)
        out["raised_at"] = self.raised_at
        out["reason"] = self.reason
        return out


@dataclass(slots=True)
class _Track:
    """The state of one (rule, scope id) pair."""

    breach_since: float | None = None
    recover_since: float | None = None
    raised: AlertRaised | None = None


@dataclass(frozen=True, slots=True)
class EvaluatorStatistics:
    rules: int
    tracked: int
    active: int
    raised_total: int
    cleared_total: int
    by_severity: dict[str, int] = field(default_factory=dict)


class AlertEvaluator:
    """Evaluates alert rules against figures; keeps which alerts are active."""

    def __init__(self, rules: Iterable[AlertRule] = ()) -> None:
        self._rules: dict[str, AlertRule] = {}
        self._tracks: dict[tuple[str, str], _Track] = {}
        self._raised_total = 0
        self._cleared_total = 0
        for rule in rules:
            if rule.id in self._rules:
                raise ValueError(f"alert rule id {rule.id!r} is used twice")
            self._rules[rule.id] = rule

    def restore(self, active: Iterable[AlertRaised], now: float) -> list[AlertCleared]:
        """Take back alerts active before a restart (from the event log), as if
        this evaluator had raised them. Those whose rule is gone (or changed
        id) are returned cleared with reason "rule changed", to be recorded."""
        out: list[AlertCleared] = []
        for raised in active:
            rule = self._rules.get(raised.rule_id)
            if rule is None:
                out.append(self._clear(raised, None, now, "rule changed"))
                continue
            self._tracks[(raised.rule_id, raised.scope_id)] = _Track(raised=raised)
        return out

    @property
    def rules(self) -> tuple[AlertRule, ...]:
        return tuple(self._rules.values())

    def set_rules(self, rules: Iterable[AlertRule], now: float) -> list[AlertEvent]:
        """Replace the rules (a live configuration change). Tracks of rules kept
        unchanged survive; active alerts of removed or changed rules are cleared
        with reason "rule changed"."""
        new: dict[str, AlertRule] = {}
        for rule in rules:
            if rule.id in new:
                raise ValueError(f"alert rule id {rule.id!r} is used twice")
            new[rule.id] = rule
        out: list[AlertEvent] = []
        for key in sorted(self._tracks):
            rule_id = key[0]
            if new.get(rule_id) == self._rules.get(rule_id):
                continue
            track = self._tracks.pop(key)
            if track.raised is not None:
                out.append(self._clear(track.raised, None, now, "rule changed"))
        self._rules = new
        return out

    def evaluate(self, figures: Readings, now: float) -> list[AlertEvent]:
        """Feed the current figures at time `now`; return the alerts raised and
        cleared by this evaluation, in a deterministic order (rule, scope id)."""
        out: list[AlertEvent] = []
        for rule in self._rules.values():
            members = figures.get(rule.window.value, {}).get(rule.scope.value, {})
            ids = sorted(members) if rule.scope_id == EVERY else [rule.scope_id]
            seen = set(ids)
            for scope_id in ids:
                value = _reading(members.get(scope_id), rule)
                event = self._step(rule, scope_id, value, now)
                if event is not None:
                    out.append(event)
            if rule.scope_id == EVERY:  # a member that vanished keeps its alert frozen
                for key in [k for k in self._tracks if k[0] == rule.id and k[1] not in seen]:
                    if self._tracks[key].raised is None:
                        del self._tracks[key]
        return out

    def active(self) -> list[AlertRaised]:
        """Alerts currently raised, most severe first, then oldest first."""
        order = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
        live = [t.raised for t in self._tracks.values() if t.raised is not None]
        return sorted(live, key=lambda a: (order[a.severity], a.at, a.alert_id))

    def active_now(self, figures: Readings, now: float) -> list[dict[str, object]]:
        """The active alerts (as `active()` orders them) as dicts, each with how it
        stands at `now` in `figures`: `value_now`, the figure its rule watches as
        `figures` hold it (its rule's window, scope kind and member: the very
        number a row built from `figures` shows; None when absent), `window`,
        `since` (when it was raised) and `held_s` (seconds since). `value`
        stays the figure at the moment it was raised."""
        out: list[dict[str, object]] = []
        for alert in self.active():
            rule = self._rules.get(alert.rule_id)
            window = (rule.window if rule is not None else Window.SLIDING).value
            member = figures.get(window, {}).get(alert.scope.value, {}).get(alert.scope_id)
            row = alert.as_dict()
            row["value_now"] = _number_of(None if member is None else member.get(alert.metric))
            row["window"] = window
            row["since"] = alert.at
            row["held_s"] = round(max(now - alert.at, 0.0), 3)
            out.append(row)
        return out

    def statistics(self) -> EvaluatorStatistics:
        active = self.active()
        by_severity: dict[str, int] = {}
        for alert in active:
            by_severity[alert.severity.value] = by_severity.get(alert.severity.value, 0) + 1
        return EvaluatorStatistics(
            rules=len(self._rules),
            tracked=len(self._tracks),
            active=len(active),
            raised_total=self._raised_total,
            cleared_total=self._cleared_total,
            by_severity=by_severity,
        )

    # ------------------------------------------------------------------ internals

    def _step(
        self, rule: AlertRule, scope_id: str, value: float | None, now: float
    ) -> AlertEvent | None:
        key = (rule.id, scope_id)
        track = self._tracks.get(key)
        if track is None:
            if value is None or not rule.breached(value):
                return None  # nothing to remember until a breach starts
            track = self._tracks[key] = _Track()
        if value is None:  # no data: hold the state, restart the clocks
            track.breach_since = track.recover_since = None
            return None
        if track.raised is None:
            if not rule.breached(value):
                del self._tracks[key]
                return None
            if track.breach_since is None:
                track.breach_since = now
            if now - track.breach_since < rule.hold_s:
                return None
            alert_id = f"{rule.id}/{rule.scope.value}:{scope_id}@{round(now * 1000)}"
            track.raised = AlertRaised(
                id=alert_id + "/raised",
                alert_id=alert_id,
                at=now,
                rule_id=rule.id,
                metric=rule.metric,
                scope=rule.scope,
                scope_id=scope_id,
                severity=rule.severity,
                value=value,
                threshold=rule.threshold,
                title=rule.describe(),
                contract=rule.contract,
            )
            track.breach_since = track.recover_since = None
            self._raised_total += 1
            return track.raised
        if not rule.recovered(value):
            track.recover_since = None
            return None
        if track.recover_since is None:
            track.recover_since = now
        if now - track.recover_since < rule.clear_hold_s:
            return None
        raised = track.raised
        del self._tracks[key]
        return self._clear(raised, value, now, "recovered")

    def _clear(
        self, raised: AlertRaised, value: float | None, now: float, reason: str
    ) -> AlertCleared:
        self._cleared_total += 1
        return AlertCleared(
            id=raised.alert_id + "/cleared",
            alert_id=raised.alert_id,
            at=now,
            rule_id=raised.rule_id,
            metric=raised.metric,
            scope=raised.scope,
            scope_id=raised.scope_id,
            severity=raised.severity,
            value=value,
            threshold=raised.threshold,
            title=raised.title,
            contract=raised.contract,
            raised_at=raised.at,
            reason=reason,
        )


def _reading(member: Mapping[str, float | int | None] | None, rule: AlertRule) -> float | None:
    """The rule's metric in one scope member, or None when absent or too thin."""
    if member is None:
        return None
    if rule.min_offered:
        offered = member.get("offered")
        if offered is None or offered < rule.min_offered:
            return None
    return _number_of(member.get(rule.metric))


def _number_of(value: object) -> float | None:
    """A figure as a finite float, or None (absent, not a number, infinite)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
