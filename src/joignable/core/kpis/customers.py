# Why this module exists: reachability is per customer, not per attempt, so the KPI
# book must remember who tried and who was reached since midnight. It used to keep,
# in each of the five accumulators a contact is booked in (all, queue, channel,
# site, outsourcer), a dict entry per customer: about 220 bytes for every new
# customer of the day, the largest part of the soak's memory slope (issue 17).
# Nearly every customer of one interval, queue and channel is booked in the very
# same accumulators with the very same bits, so here a customer holds one reference
# to a shared `Booking` (where they tried, where they were reached), and each
# booking counts its customers and how many of them still have a request open.
# Reading the figures walks the few distinct bookings, not the customers.
"""Who tried and who was reached, per accumulator: one shared booking per customer."""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .figures import Acc

__all__ = ["REACHED", "TRIED", "Booking", "Customers", "People"]

#: bits of a booking: the customer tried (was offered) there, was reached there
TRIED, REACHED = 1, 2

#: (customers tried, customers reached, customers lost) under one key
People = tuple[int, int, int]


class Booking:
    """Where some customers tried and were reached: `pairs` of (accumulator, bits),
    one per accumulator, immutable once made. `n` customers hold it, `pending` of
    them with a request still open. Shared: `Customers` makes one per content."""

    __slots__ = ("_next", "n", "pairs", "pending")

    def __init__(self, pairs: tuple[tuple[Acc, int], ...]) -> None:
        self.pairs = pairs
        self.n = 0
        self.pending = 0
        #: (accumulators, bits) added -> the booking that results (a cache)
        self._next: dict[tuple[tuple[Acc, ...], int], Booking] = {}


class Customers:
    """The customers of a KPI book's interval accumulators. `pending` is the
    book's own map of customers with an open request (read, never written):
    tell `opened`/`closed` when a customer enters or leaves it."""

    def __init__(self, pending: Container[str]) -> None:
        self._pending = pending
        self._of: dict[str, Booking] = {}
        self._empty = Booking(())
        self._bookings: dict[frozenset[tuple[Acc, int]], Booking] = {}

    def __len__(self) -> int:
        return len(self._of)

    def add(self, customer: str, accs: tuple[Acc, ...], bits: int) -> None:
        """`customer` tried (TRIED) or was reached (REACHED) in each of `accs`."""
        old = self._of.get(customer, self._empty)
        new = old._next.get((accs, bits))
        if new is None:
            new = old._next[(accs, bits)] = self._then(old, accs, bits)
        if new is old:
            return
        self._of[customer] = new
        new.n += 1
        old.n -= 1
        if customer in self._pending:
            new.pending += 1
            old.pending -= 1

    def _then(self, old: Booking, accs: tuple[Acc, ...], bits: int) -> Booking:
        mapping = dict(old.pairs)
        for acc in accs:
            mapping[acc] = mapping.get(acc, 0) | bits
        return self._canonical(mapping)

    def _canonical(self, mapping: dict[Acc, int]) -> Booking:
        key = frozenset(mapping.items())
        booking = self._bookings.get(key)
        if booking is None:
            booking = self._bookings[key] = Booking(tuple(mapping.items()))
        return booking

    def opened(self, customer: str) -> None:
        """`customer` has a request open again (it was not pending)."""
        booking = self._of.get(customer)
        if booking is not None:
            booking.pending += 1

    def closed(self, customer: str) -> None:
        """`customer` has no request open any more."""
        booking = self._of.get(customer)
        if booking is not None:
            booking.pending -= 1

    def people(self, key_of: Callable[[Acc], str | None]) -> dict[str, People]:
        """Customers tried, reached and lost per key, where `key_of` names the key
        an accumulator counts under (None: not read). A customer counts once per
        key however many of its accumulators map there; lost = tried, never
        reached, and no request open."""
        out: dict[str, list[int]] = {}
        for booking in self._bookings.values():
            n = booking.n
            if not n:
                continue
            keys: dict[str, int] = {}
            for acc, bits in booking.pairs:
                key = key_of(acc)
                if key is not None:
                    keys[key] = keys.get(key, 0) | bits
            for key, bits in keys.items():
                row = out.get(key)
                if row is None:
                    row = out[key] = [0, 0, 0]
                if bits & REACHED:
                    row[1] += n
                    if bits & TRIED:
                        row[0] += n
                else:
                    row[0] += n
                    row[2] += n - booking.pending
        return {key: (row[0], row[1], row[2]) for key, row in out.items()}

    def keep(self, alive: Collection[Acc]) -> None:
        """Forget the accumulators not in `alive` (their intervals were dropped) and
        the customers booked nowhere else."""
        pending = self._pending
        self._bookings.clear()
        self._empty = Booking(())
        kept: dict[str, Booking] = {}
        trimmed: dict[Booking, Booking] = {}
        for customer, booking in self._of.items():
            new = trimmed.get(booking)
            if new is None:
                pairs = {acc: bits for acc, bits in booking.pairs if acc in alive}
                new = trimmed[booking] = self._canonical(pairs) if pairs else self._empty
            if new is self._empty:
                continue
            kept[customer] = new
            new.n += 1
            new.pending += customer in pending
        self._of = kept

    def bookings(self) -> Iterable[Booking]:
        """The distinct bookings held by at least one customer."""
        return (b for b in self._bookings.values() if b.n)
