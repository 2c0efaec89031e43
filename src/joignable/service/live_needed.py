"""The control tower's "agents needed now", per queue, beside the agents logged in.

Why a module of its own: the figure joins three things the hub holds apart —
the sliding-window KPI figures (offered and AHT over the last 15 minutes), each
queue's own service-level target, and the agents counted under each queue — and
a scoped supervisor's view must count only the agents they see. The staffing
maths are `core/planning/needed_now.py` (on `staff`); the hub puts the result
in every snapshot (`needed`), so the tower page and `GET /api/live` show one
number. A queue's staffing is recomputed only when its inputs change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from joignable.core.planning.needed_now import needed_now
from joignable.service.readside import ReadSide

#: (offered, aht, sl_target, sl_seconds) -> the figure, per queue
_Inputs = tuple[int, float | None, float, float]


def logged_in(counts: Mapping[str, int] | None) -> int:
    """Agents logged in among `counts` (state -> agents of one tower row, offline
    agents never counted there): every state, not ready included."""
    return sum(counts.values()) if counts else 0


def with_logged_in(
    needed: Mapping[str, dict[str, Any]], rows: Mapping[str, Mapping[str, int]]
) -> dict[str, dict[str, Any]]:
    """Each queue's figure of `needed` with ``logged_in`` (its agents in `rows`,
    queue -> state -> count) and ``short`` (needed − logged in; None without a
    figure): what the tower shows beside it."""
    out: dict[str, dict[str, Any]] = {}
    for queue, figure in needed.items():
        n = logged_in(rows.get(queue))
        agents = figure.get("agents")
        out[queue] = {**figure, "logged_in": n, "short": None if agents is None else agents - n}
    return out


class NeededNowView:
    """Agents needed now for every queue the durable center `read` knows, on the
    sliding window of `window_s` seconds."""

    def __init__(self, read: ReadSide, window_s: float) -> None:
        self.read = read
        self.window_s = window_s
        self._last: dict[str, tuple[_Inputs, dict[str, Any]]] = {}

    def of(self, sliding_queues: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        """{queue: figure} (`NeededNow.as_dict`) for every configured queue, from
        the sliding-window figures per queue `sliding_queues` (offered, aht), in
        queue order. Queues that are no longer configured are left out."""
        out: dict[str, dict[str, Any]] = {}
        last = self._last
        for queue_id, queue in sorted(self.read.center.queues.items()):
            f = sliding_queues.get(queue_id, {})
            spec = queue.spec
            inputs: _Inputs = (
                int(f.get("offered") or 0),
                f.get("aht"),
                spec.sl_target,
                spec.sl_seconds,
            )
            kept = last.get(queue_id)
            if kept is None or kept[0] != inputs:
                offered, aht, target, seconds = inputs
                figure = needed_now(
                    offered, self.window_s, aht, sl_target=target, sl_seconds=seconds
                ).as_dict()
                kept = last[queue_id] = (inputs, figure)
            out[queue_id] = kept[1]
        for gone in last.keys() - out.keys():
            del last[gone]
        return out
