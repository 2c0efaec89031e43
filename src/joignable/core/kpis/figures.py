"""The figures of the trade, as sums and as the ratios derived from them.

Why a module of its own: `kpis.KpiBook` decides *where* a contact or an agent's
time is booked (queue, channel, site, interval, the sliding window); this
module says *what* is summed (`Acc`) and how each figure derives from the sums
(`figures_of`) — the definitions of docs/kpis.md in one place.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from .customers import REACHED, TRIED, People


@dataclass(frozen=True, slots=True)
class KpiSettings:
    interval_s: float = 900.0
    short_abandon_s: float = 5.0
    sl_seconds: float = 20.0  # default T; a queue's own `sl_seconds` wins
    window_s: float = 900.0  # the sliding window of live figures (0: not kept, reports only)


@dataclass(frozen=True, slots=True)
class Figures:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandons: int = 0
    answered_in_sl: int = 0
    other_outcomes: int = 0  # overflowed out, voicemail, closed, cancelled
    callbacks: int = 0
    self_service: int = 0
    transfers: int = 0
    waiting: int = 0
    longest_wait: float = 0.0
    answer_rate: float | None = None
    abandonment_rate: float | None = None
    service_level: float | None = None
    service_level_excl_short: float | None = None
    asa: float | None = None
    avg_wait: float | None = None
    talk_time: float | None = None
    wrap_time: float | None = None
    aht: float | None = None
    occupancy: float | None = None
    transfer_rate: float | None = None
    customers_tried: int = 0
    customers_reached: int = 0
    reachability: float | None = None
    lost: int = 0
    volume: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in _FIGURE_FIELDS}
        out["volume"] = dict(self.volume)
        return out


_FIGURE_FIELDS = tuple(f.name for f in fields(Figures))


class Acc:
    """Sums for one (dimension, key[, interval or minute]); figures derive from them.

    `customers` (customer -> TRIED | REACHED bits) is kept by the sliding
    window's minute accumulators only, which live half an hour; the interval
    accumulators, kept all day, leave who tried and who was reached to the
    book's shared bookings (`customers.Customers`), at a fraction of the memory.
    """

    __slots__ = (
        "abandoned",
        "answered",
        "answered_in_sl",
        "avail",
        "callbacks",
        "customers",
        "handled",
        "handling",
        "offered",
        "other",
        "self_service",
        "short",
        "talk",
        "talked",
        "transfers",
        "volume",
        "wait_all",
        "wait_answered",
        "waited",
        "wrap",
    )

    def __init__(self) -> None:
        self.offered = self.answered = self.abandoned = self.short = 0
        self.answered_in_sl = self.other = self.callbacks = self.self_service = 0
        self.transfers = self.waited = self.talked = self.handled = 0
        self.wait_answered = self.wait_all = self.talk = self.wrap = 0.0
        self.handling = self.avail = 0.0
        self.volume: dict[str, int] = {}
        self.customers: dict[str, int] = {}  # customer -> TRIED | REACHED

    def tried(self, customer: str) -> None:
        """`customer` tried here (counted once however many times)."""
        customers = self.customers
        customers[customer] = customers.get(customer, 0) | TRIED

    def reached(self, customer: str) -> None:
        """`customer` was reached here (answered, called back, self-served)."""
        customers = self.customers
        customers[customer] = customers.get(customer, 0) | REACHED

    def merge(self, other: Acc) -> None:
        for name in self.__slots__:
            mine = getattr(self, name)
            theirs = getattr(other, name)
            if name == "customers":
                for k, bits in theirs.items():
                    mine[k] = mine.get(k, 0) | bits
            elif isinstance(mine, dict):
                for k, v in theirs.items():
                    mine[k] = mine.get(k, 0) + v
            else:
                setattr(self, name, mine + theirs)


def ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def figures_of(
    a: Acc, live: Sequence[float], pending: Container[str], people: People | None = None
) -> Figures:
    """The figures of one accumulator; `live` is (waiting, longest wait) now and
    `pending` the customers with a request still open (not lost). `people` is
    (tried, reached, lost) when counted elsewhere, else counted from
    `a.customers`."""
    waiting, longest = int(live[0]), live[1]
    handled_time = a.talk + a.wrap
    if people is not None:
        tried, reached, lost = people
    else:
        tried = reached = lost = 0
        for customer, bits in a.customers.items():
            if bits & REACHED:
                reached += 1
                tried += bits & TRIED
            elif bits & TRIED:
                tried += 1
                lost += customer not in pending
    return Figures(
        offered=a.offered,
        answered=a.answered,
        abandoned=a.abandoned,
        short_abandons=a.short,
        answered_in_sl=a.answered_in_sl,
        other_outcomes=a.other,
        callbacks=a.callbacks,
        self_service=a.self_service,
        transfers=a.transfers,
        waiting=waiting,
        longest_wait=longest,
        answer_rate=ratio(a.answered, a.offered),
        abandonment_rate=ratio(a.abandoned - a.short, a.offered - a.short),
        service_level=ratio(a.answered_in_sl, a.offered),
        service_level_excl_short=ratio(a.answered_in_sl, a.offered - a.short),
        asa=ratio(a.wait_answered, a.answered),
        avg_wait=ratio(a.wait_all, a.waited),
        talk_time=ratio(a.talk, a.talked),
        wrap_time=ratio(a.wrap, a.handled),
        aht=ratio(handled_time, a.handled),
        occupancy=ratio(a.handling, a.handling + a.avail),
        transfer_rate=ratio(a.transfers, a.handled),
        customers_tried=tried,
        customers_reached=reached,
        reachability=ratio(reached, tried),
        lost=lost,
        volume=dict(sorted(a.volume.items())),
    )
