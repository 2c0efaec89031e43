"""The status (ok / warning / critical) of every figure the tower shows.

Why here: the page used to colour cells from thresholds of its own, blind to
each queue's targets. The hub now judges each figure with the pure
`core/kpis/status.py` — the queue's own `Targets` from its configuration, the
alert rules in force and the alerts active on that figure — and the page only
maps the status to a class, so the colour, the legend and the alert list agree.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from joignable.core.alerts.rules import AlertRule, Readings
from joignable.core.kpis.status import Targets, statuses
from joignable.service.readside import ReadSide

__all__ = ["figure_statuses", "queue_targets"]


def queue_targets(read: ReadSide) -> dict[str, Targets]:
    """Each configured queue's targets (`sl_target` within `sl_seconds`)."""
    return {
        queue_id: Targets(queue.spec.sl_target, queue.spec.sl_seconds)
        for queue_id, queue in read.center.queues.items()
    }


def figure_statuses(
    figures: Readings,
    read: ReadSide,
    rules: Sequence[AlertRule],
    active: Iterable[Mapping[str, Any]],
    queues: Collection[str] | None = None,
) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """window → kind → member → metric → status for `figures` (the snapshot's, or
    a scoped view's). Queue rows are judged on their own targets; the summary,
    channel, site and outsourcer rows on the target every queue shares (none
    when the queues differ; a scoped view's rows are its `queues` together, so
    theirs) — plus, for every row, the `rules` and the `active` alerts on it."""
    targets = queue_targets(read)
    mix = targets if queues is None else {q: t for q, t in targets.items() if q in queues}
    shared = set(mix.values())
    center = next(iter(shared)) if len(shared) == 1 else None
    return statuses(
        figures, queue_targets=targets, center_targets=center, rules=rules, active=active
    )
