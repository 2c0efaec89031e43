# Why this module exists: the control tower shows, per queue, how many agents the
# traffic of the last minutes needs to meet the queue's own service-level target — the
# signal to add agents in time. The live read model measures the inputs (offered, AHT
# over the sliding window); this module turns them into a staffing with `staff` (the
# Erlang maths are not repeated here) and says why when there is no figure. Pure.
"""Agents needed now: Erlang C (or A, with a patience) staffing on measured traffic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .staffing import staff, traffic_erlangs

__all__ = ["NeededNow", "needed_now"]

#: why there is no figure (`NeededNow.why`)
NO_ARRIVALS = "no arrivals in the window"
NO_AHT = "handle time unknown (no contact completed in the window)"
TARGET_OUT_OF_RANGE = "service-level target must be above 0 % and below 100 %"


@dataclass(frozen=True, slots=True)
class NeededNow:
    """The staffing for one queue's recent traffic.

    ``agents`` is None when there is no figure; ``why`` then says why (else "").
    ``offered`` contacts arrived over ``window_s`` seconds; ``aht`` (seconds) is the
    one used, measured or the queue's default (``aht_from``: "measured", "default"
    or "" when unknown); ``traffic`` in Erlangs; ``model`` "erlang_c" or "erlang_a".
    """

    agents: int | None
    offered: int
    window_s: float
    aht: float | None
    aht_from: str
    traffic: float | None
    sl_target: float
    sl_seconds: float
    model: str
    why: str

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (floats rounded for display)."""
        return {
            "agents": self.agents,
            "offered": self.offered,
            "window_s": self.window_s,
            "aht": None if self.aht is None else round(self.aht, 1),
            "aht_from": self.aht_from,
            "traffic": None if self.traffic is None else round(self.traffic, 3),
            "sl_target": self.sl_target,
            "sl_seconds": self.sl_seconds,
            "model": self.model,
            "why": self.why,
        }


def needed_now(
    offered: int,
    window_s: float,
    aht: float | None,
    *,
    sl_target: float,
    sl_seconds: float,
    default_aht: float | None = None,
    patience: float | None = None,
) -> NeededNow:
    """Agents needed for `offered` arrivals over `window_s` seconds handled in `aht`
    seconds on average (None: none measured; `default_aht` is used when given), to
    answer `sl_target` of arrivals within `sl_seconds` (SL as in KPIS.md). With a mean
    `patience` (seconds) the model is Erlang A, else Erlang C.

    Returns a :class:`NeededNow`; its ``agents`` is None, with the reason in ``why``,
    when nothing arrived, the handle time is unknown, or the target is 0 or 100 %
    (no finite staffing plans for those). Raises ValueError on a negative `offered`,
    a `window_s` ≤ 0, or a bad duration (`staff`'s checks).
    """
    if offered < 0:
        raise ValueError(f"offered must be ≥ 0, got {offered!r}")
    if not window_s > 0:
        raise ValueError(f"window_s must be > 0, got {window_s!r}")
    model = "erlang_c" if patience is None else "erlang_a"
    used, source = (aht, "measured") if aht else (default_aht, "default" if default_aht else "")
    why = ""
    if offered == 0:
        why = NO_ARRIVALS
    elif not used:
        why = NO_AHT
    elif not 0.0 < sl_target < 1.0:
        why = TARGET_OUT_OF_RANGE
    if why or used is None:
        return NeededNow(
            None, offered, window_s, used or None, source, None, sl_target, sl_seconds, model, why
        )
    traffic = traffic_erlangs(offered, window_s, used)
    result = staff(traffic, used, service_level=sl_target, threshold=sl_seconds, patience=patience)
    return NeededNow(
        result.agents, offered, window_s, used, source, traffic, sl_target, sl_seconds, model, ""
    )
