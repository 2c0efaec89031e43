"""Alert rules from configuration (the `alerts:` list of the center YAML).

Why apart from `alerts.py`: reading a rule from loosely typed YAML or JSON is
a different job from evaluating it; errors here must name the rule and the
field so that a typo in a configuration file is found at once. `METRICS` is
what a rule may watch: a misspelt metric would otherwise never fire, without
a word (`service/config.py` refuses any other name).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from .rules import EVERY, AlertRule, Comparison, ScopeKind, Severity, Window

_E = TypeVar("_E", bound=StrEnum)

#: The figures a rule may watch: the numbers of each member of the live
#: snapshot (`service/live.py`'s FIELDS, except `volume`, a count per channel).
METRICS: tuple[str, ...] = (
    "offered", "answered", "abandoned", "short_abandons", "waiting", "longest_wait",
    "answer_rate", "abandonment_rate", "service_level", "service_level_excl_short",
    "asa", "avg_wait", "aht", "occupancy",
)  # fmt: skip


def rule_from_dict(data: Mapping[str, object]) -> AlertRule:
    """An `AlertRule` from configuration (YAML/JSON); raises ValueError naming
    the rule and the field that does not fit."""
    rule_id = str(data.get("id", ""))
    known = set(AlertRule.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"alert rule {rule_id or '?'}: unknown field(s) {', '.join(unknown)}")
    try:
        clear = data.get("clear")
        return AlertRule(
            id=rule_id,
            metric=str(data.get("metric", "")),
            scope=_choice(data, "scope", ScopeKind, ScopeKind.QUEUE),
            scope_id=str(data.get("scope_id", EVERY)),
            comparison=_choice(data, "comparison", Comparison, Comparison.ABOVE),
            threshold=_number(data, "threshold", None),
            hold_s=_number(data, "hold_s", 0.0),
            clear=None if clear is None else _number(data, "clear", None),
            clear_hold_s=_number(data, "clear_hold_s", 0.0),
            severity=_choice(data, "severity", Severity, Severity.WARNING),
            window=_choice(data, "window", Window, Window.SLIDING),
            min_offered=int(_number(data, "min_offered", 0.0)),
            contract=bool(data.get("contract", False)),
            title=str(data.get("title", "")),
        )
    except ValueError as exc:
        if str(exc).startswith("alert rule"):
            raise
        raise ValueError(f"alert rule {rule_id or '?'}: {exc}") from None


def _choice(data: Mapping[str, object], name: str, kind: type[_E], default: _E) -> _E:
    value = str(data.get(name, default.value))
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}") from None


def _number(data: Mapping[str, object], name: str, default: float | None) -> float:
    value = data.get(name, default)
    if value is None:
        raise ValueError(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {value!r}") from None
