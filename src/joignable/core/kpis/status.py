# Why this module exists: the tower colours a figure green, amber or red, and a
# supervisor must be able to trust that colour. It used to come from thresholds
# hard-coded in the page script, blind to each queue's own target, and an alert's
# severity then painted over it, so the colour and the alert list could disagree.
# Here one pure function judges a figure against the queue's own targets and the
# alert rules in force — and never shows a cell calmer than an alert raised on it.
"""The status of a figure (ok / warning / critical) from targets and alert rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..alerts.rules import EVERY, AlertRule, Readings, Severity

__all__ = [
    "CRITICAL",
    "OK",
    "SL_METRICS",
    "STATUSES",
    "WAIT_METRICS",
    "WARNING",
    "Targets",
    "cell_status",
    "statuses",
]

OK = "ok"
WARNING = "warning"
CRITICAL = "critical"
#: every status, calmest first
STATUSES: tuple[str, ...] = (OK, WARNING, CRITICAL)
_RANK = {OK: 0, WARNING: 1, CRITICAL: 2}
#: an alert's severity as a status (an info alert is not a problem)
_OF_SEVERITY = {
    Severity.INFO.value: OK,
    Severity.WARNING.value: WARNING,
    Severity.CRITICAL.value: CRITICAL,
}

#: figures judged against the service-level target (a share answered in time)
SL_METRICS = frozenset({"service_level", "service_level_excl_short"})
#: figures judged against the answer-time target (seconds)
WAIT_METRICS = frozenset({"longest_wait", "asa"})


@dataclass(frozen=True, slots=True)
class Targets:
    """A queue's own targets: `sl_target` of contacts answered within
    `sl_seconds` (its answer-time target)."""

    sl_target: float
    sl_seconds: float


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None


def _worse(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if _RANK[a] >= _RANK[b] else b


def cell_status(
    metric: str,
    value: float | None,
    *,
    kind: str,
    member: str,
    window: str,
    offered: float | None = None,
    targets: Targets | None = None,
    rules: Sequence[AlertRule] = (),
    alerts: Iterable[str] = (),
) -> str | None:
    """The status of one figure: `metric` = `value` for `member` of scope `kind`
    (queue, channel, site, outsourcer, center) over `window` ("sliding", "today").

    Takes the `targets` that apply to the row (None: none), the alert `rules` in
    force, the severities of the `alerts` active on this very figure, and the
    row's `offered` (for a rule's `min_offered`).

    Returns "ok", "warning", "critical", or None when nothing judges the figure
    (no value, no target, no rule on it). The worst of: the target — a service
    level under `sl_target`, or a longest wait or ASA over `sl_seconds`, is a
    warning (at or within: ok); each rule watching this figure (its scope kind,
    member or "*", metric and window; `min_offered` met) — past its threshold,
    its severity, else ok; each active alert — its severity (an alert raised and
    not yet cleared keeps its colour while the figure sits between its clear
    level and its threshold). So a cell is never calmer than an alert on it.
    Raises nothing.
    """
    status: str | None = None
    for severity in alerts:
        status = _worse(status, _OF_SEVERITY.get(severity, WARNING))
    number = _number(value)
    if number is None:
        return status
    if targets is not None:
        if metric in SL_METRICS:
            status = _worse(status, OK if number >= targets.sl_target else WARNING)
        elif metric in WAIT_METRICS:
            status = _worse(status, OK if number <= targets.sl_seconds else WARNING)
    for rule in rules:
        if rule.metric != metric or rule.scope.value != kind or rule.window.value != window:
            continue
        if rule.scope_id not in (EVERY, member):
            continue
        if rule.min_offered and (offered is None or offered < rule.min_offered):
            continue
        status = _worse(status, _OF_SEVERITY[rule.severity.value] if rule.breached(number) else OK)
    return status


def statuses(
    figures: Readings,
    *,
    queue_targets: Mapping[str, Targets],
    center_targets: Targets | None = None,
    rules: Sequence[AlertRule] = (),
    active: Iterable[Mapping[str, Any]] = (),
) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """The status of every figure of `figures` (window → kind → member → metric →
    value, the live snapshot's shape) that something judges, in the same shape
    (figures with no status are left out).

    A queue's row is judged on `queue_targets[queue]`; the other rows (center,
    channel, site, outsourcer mix queues) on `center_targets` — the target every
    queue shares, None when they differ — and every row on the `rules` and the
    `active` alerts (dicts with scope, scope_id, metric, window, severity, as
    `AlertEvaluator.active_now` gives them). Raises nothing.
    """
    on_cell: dict[tuple[str, str, str, str], list[str]] = {}
    for alert in active:
        key = (
            str(alert.get("window", "sliding")),
            str(alert.get("scope", "")),
            str(alert.get("scope_id", "")),
            str(alert.get("metric", "")),
        )
        on_cell.setdefault(key, []).append(str(alert.get("severity", WARNING)))
    by_cell: dict[tuple[str, str, str], list[AlertRule]] = {}
    for rule in rules:
        by_cell.setdefault((rule.window.value, rule.scope.value, rule.metric), []).append(rule)
    judged = SL_METRICS | WAIT_METRICS
    out: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for window, kinds in figures.items():
        out_kinds = out.setdefault(window, {})
        for kind, members in kinds.items():
            out_members = out_kinds.setdefault(kind, {})
            for member, row in members.items():
                targets = queue_targets.get(member) if kind == "queue" else center_targets
                cells: dict[str, str] = {}
                for metric, value in row.items():
                    rules_here = by_cell.get((window, kind, metric), [])
                    alerts = on_cell.get((window, kind, member, metric), [])
                    if not rules_here and not alerts and (targets is None or metric not in judged):
                        continue
                    status = cell_status(
                        metric,
                        value if isinstance(value, int | float) else None,
                        kind=kind,
                        member=member,
                        window=window,
                        offered=_number(row.get("offered")),
                        targets=targets,
                        rules=rules_here,
                        alerts=alerts,
                    )
                    if status is not None:
                        cells[metric] = status
                if cells:
                    out_members[member] = cells
    return out
