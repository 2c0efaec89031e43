"""The figures of the trade, folded incrementally from the event stream.

One pure module computes every figure of `KPIS.md` for the live server, the
simulator and the reports, so that a supervisor, a simulation and an export
never disagree. Feed it every engine event in order (`KpiBook.apply`); ask
`figures(now, by=..., since=...)` at any time.

Counting rules (see docs/kpis.md):
  * a contact belongs to the 15-minute interval in which it entered its first
    queue, and to that queue and channel; a callback created for a contact
    that left the line is the same customer request, not a new offered one;
  * per site and per outsourcer, a contact counts under its queue's site and
    outsourcer while it waits (waiting, longest wait); once answered, where the
    agent who answered it works; when nobody answered, under its queue's site
    and outsourcer ("-" for what the queue does not name);
  * wait = entry into the queue → answer (accept) or abandon; ASA is the mean
    wait of answered contacts, average wait covers all that stopped waiting;
  * SL(T) = answered within T / offered; the variant excluding short abandons
    is given beside it, named;
  * occupancy = handling time (talk, hold, wrap-up) / (handling + available
    idle time); not-ready time is excluded;
  * reachability = customers reached (answered, called back, resolved in
    self-service) / customers who tried, per customer, not per attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import events as ev
from ..model import EndReason
from ..routing.lifecycle import Presence as P
from .agent_time import UNASSIGNED, AgentTime, Dims
from .customers import REACHED, TRIED, Customers, People
from .figures import Acc, Figures, KpiSettings, figures_of

__all__ = ["DIMENSIONS", "Figures", "KpiBook", "KpiSettings"]

DIMENSIONS = ("queue", "channel", "site", "outsourcer", "interval")


class _Contact:
    __slots__ = (
        "accepted",
        "accs",
        "agent",
        "channel",
        "completed",
        "customer",
        "dims",
        "entered",
        "id",
        "interval",
        "leg_wrap",
        "line",
        "queue",
        "resolved",
        "site_dims",
        "transferred",
    )

    def __init__(self, e: ev.ContactQueued, interval: float, line: _Line) -> None:
        spec = e.contact
        self.id = spec.id
        self.customer = spec.customer or spec.id
        self.channel = str(spec.channel)  # its value (a plain str)
        self.queue = spec.queue
        self.line = line  # where it waits (or waited): its queue's site and outsourcer
        self.entered = e.at
        self.interval = interval
        self.accepted: float | None = None
        self.completed: float | None = None
        self.agent = ""
        self.resolved = False  # its waiting phase is over (answered or left)
        self.transferred = False
        self.leg_wrap: float | None = 0.0  # transferring agents' wrap-up; None once booked
        self.site_dims: Dims = ()
        self.accs: tuple[Acc, ...] = ()  # where its figures are booked (cached)...
        self.dims: Dims = ()  # ...and under which keys


#: A contact's site dims and accumulators, then all its dims and accumulators.
_SiteBooks = tuple[Dims, tuple[Acc, ...], Dims, tuple[Acc, ...]]

#: The dimensions a waiting contact counts under, in the order of `_Line.keys`.
_LINE_DIMS = ("all", "queue", "channel", "site", "outsourcer")
_NOWHERE = (UNASSIGNED, UNASSIGNED)


class _Line:
    """The contacts waiting in one queue on one channel, with the queue's site and
    outsourcer ("-" when it names none) as they were when they entered: one count
    to move when a contact starts or stops waiting, not one per dimension."""

    __slots__ = ("keys", "n", "place")

    def __init__(self, queue: str, channel: str, place: tuple[str, str]) -> None:
        site, outsourcer = self.place = place
        #: (dim, key) in the order of _LINE_DIMS
        self.keys: Dims = (
            ("all", "all"), ("queue", queue), ("channel", channel),
            ("site", site), ("outsourcer", outsourcer),
        )  # fmt: skip
        self.n = 0


class KpiBook:
    """Incremental KPIs. `apply` every event in order; read with `figures`."""

    def __init__(self, settings: KpiSettings | None = None) -> None:
        self.settings = settings or KpiSettings()
        self._buckets: dict[tuple[str, str, float], Acc] = {}
        # where contacts are booked (dims and accumulators), shared by all contacts of
        # one (interval, queue, channel) from their entry, and (..., site, outsourcer) on
        self._entry_books: dict[tuple[float, str, str], tuple[Dims, tuple[Acc, ...]]] = {}
        self._site_books: dict[tuple[float, str, str, str, str], _SiteBooks] = {}
        self._open: dict[str, _Contact] = {}  # requests not finished
        self._waiting: dict[str, _Contact] = {}  # ... of which still waiting in line
        self._lines: dict[tuple[str, str, str, str], _Line] = {}  # every line, by its keys
        self._pending: dict[str, int] = {}  # customers with an open request: not lost (yet)
        self._customers = Customers(self._pending)  # who tried / was reached, per interval acc
        self._callback_of: dict[str, str] = {}
        # callbacks being handled → their request, already reached: booked in AHT
        self._calling: dict[str, _Contact] = {}
        self._legs: dict[int, tuple[_Contact | None, float]] = {}  # transfer seq -> (c, since)
        self._agent_time = AgentTime(self.settings.interval_s, self._accs)
        self._queue_sl: dict[str, float] = {}
        self._queue_place: dict[str, tuple[str, str]] = {}  # queue -> (site, outsourcer)
        self._line_of: dict[tuple[str, str], _Line] = {}  # (queue, channel) -> its line now
        # the sliding window: the same sums per minute, for the last 2 × window
        self._minutes: dict[tuple[str, str, float], Acc] = {}
        self._minute = -1.0
        self.events = 0
        self._handlers: dict[type[ev.Event], Callable[[Any], None]] = {
            ev.QueueConfigured: self._queue,
            ev.AgentConfigured: self._agent,
            ev.AgentLoggedIn: self._presence,
            ev.AgentLoggedOut: self._presence,
            ev.AgentPresenceChanged: self._presence,
            ev.ContactQueued: self._queued,
            ev.ContactOffered: self._offered,
            ev.OfferAccepted: self._accepted,
            ev.OfferDeclined: self._declined,
            ev.ContactCompleted: self._completed,
            ev.WrapUpFinished: self._wrapped,
            ev.ContactTransferred: self._transferred,
            ev.ContactEnded: self._ended,
            ev.SelfServiceEnded: self._self_service,
        }

    # --------------------------------------------------------------- feeding

    def apply(self, event: ev.Event) -> None:
        self.events += 1
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def apply_all(self, events: Iterable[ev.Event]) -> None:
        for event in events:
            self.apply(event)

    def forget(self, before: float) -> int:
        """Drop the figures of the intervals over by `before` (a live book keeps
        about a day: the tower reads since midnight and the sliding window, and a
        book fed for weeks would grow by every interval and every customer who
        tried in it). `figures(since=...)` for a time before `before` no longer
        counts those intervals; reports read the event log, not a live book.
        Contacts still open keep their own bookings. Returns the buckets dropped."""
        first = self._interval(before)  # those starting before it ended by `before`
        old = [k for k in self._buckets if k[2] < first]
        for k in old:
            del self._buckets[k]
        for entry in [k for k in self._entry_books if k[0] < first]:
            del self._entry_books[entry]
        for site in [k for k in self._site_books if k[0] < first]:
            del self._site_books[site]
        self._agent_time.forget(first)
        if old:
            self._customers.keep(set(self._buckets.values()))
        return len(old)

    # ---------------------------------------------------------- internals

    def _interval(self, at: float) -> float:
        step = self.settings.interval_s
        return (at // step) * step

    def _accs(
        self, interval: float, dims: tuple[tuple[str, str], ...], per_interval: bool = True
    ) -> tuple[Acc, ...]:
        """The accumulators of `dims` for `interval`. Unless `per_interval` is
        False (a contact already booked there, now learning its site), `dims`
        holds ("all", "all") and what is booked counts for the interval itself
        too: the interval's own bucket *is* its "all" bucket (the two would
        always hold the same sums), so it is booked once."""
        buckets = self._buckets
        out = []
        for dim, key in dims:
            k = (dim, key, interval)
            acc = buckets.get(k)
            if acc is None:
                acc = buckets[k] = Acc()
            out.append(acc)
        if per_interval:
            k = ("interval", str(int(interval)), interval)
            if k not in buckets:
                buckets[k] = out[dims.index(("all", "all"))]
        return tuple(out)

    def _targets(self, at: float, accs: tuple[Acc, ...], dims: Dims) -> tuple[Acc, ...]:
        """Where something that happened at `at` is booked: `accs` (of `dims`, for
        its interval) and, when the book keeps a sliding window, the minute
        buckets of `dims`. The caller adds the same to each, in this order."""
        window = self.settings.window_s
        if window <= 0:  # a report-only book keeps no window
            return accs
        minute = (at // 60.0) * 60.0
        minutes = self._minutes
        if minute != self._minute:  # a new minute: forget what no window will read
            self._minute = minute
            self._agent_time.flush(minute)
            horizon = minute - 2 * window
            for k in [k for k in minutes if k[2] < horizon]:
                del minutes[k]
        out = list(accs)
        for dim, key in dims:
            k = (dim, key, minute)
            bucket = minutes.get(k)
            if bucket is None:
                bucket = minutes[k] = Acc()
            out.append(bucket)
        return tuple(out)

    def _self_service(self, e: ev.SelfServiceEnded) -> None:
        """A contact handled with no agent (visual IVR, FAQ, SMS link, bot)."""
        at, channel, customer = e.at, e.channel.value, e.customer
        dims = (("all", "all"), ("channel", channel))
        accs = self._accs(self._interval(at), dims)
        targets = self._targets(at, accs, dims)
        for acc in targets:
            acc.volume[channel] = acc.volume.get(channel, 0) + 1
            acc.self_service += e.resolved
        self._book_customer(customer, accs, targets, TRIED | REACHED if e.resolved else TRIED)

    def _book_customer(
        self, customer: str, accs: tuple[Acc, ...], targets: tuple[Acc, ...], bits: int
    ) -> None:
        """`customer` tried or was reached in `accs` (interval accumulators, in the
        shared bookings) and in the minute buckets that follow them in `targets`."""
        self._customers.add(customer, accs, bits)
        for i in range(len(accs), len(targets)):
            customers = targets[i].customers
            customers[customer] = customers.get(customer, 0) | bits

    def _queue(self, e: ev.QueueConfigured) -> None:
        q = e.queue
        self._queue_sl[q.id] = q.sl_seconds
        self._queue_place[q.id] = (q.site or UNASSIGNED, q.outsourcer or UNASSIGNED)
        self._line_of.clear()  # contacts entering from now on wait where it now belongs

    def _agent(self, e: ev.AgentConfigured) -> None:
        self._agent_time.configure(e.agent.id, e.agent.site, e.agent.outsourcer, e.at)

    def _presence(self, e: ev.Event) -> None:
        if isinstance(e, ev.AgentLoggedIn):
            self._agent_time.set(e.agent_id, e.at, presence=P.NOT_READY)
        elif isinstance(e, ev.AgentLoggedOut):
            self._agent_time.set(e.agent_id, e.at, presence=P.OFFLINE)
        elif isinstance(e, ev.AgentPresenceChanged):
            self._agent_time.set(e.agent_id, e.at, presence=P.READY if e.ready else P.NOT_READY)

    def _busy(self, agent_id: str, at: float, offered: int, busy: int) -> None:
        self._agent_time.set(agent_id, at, None, offered, busy)

    def _queued(self, e: ev.ContactQueued) -> None:
        spec = e.contact
        origin = dict(spec.attributes).get("callback_of") if spec.attributes else None
        if origin is not None:  # the same request, called back
            self._callback_of[spec.id] = origin
            return
        queue, channel = spec.queue, str(spec.channel)
        line = self._line_of.get((queue, channel)) or self._line(queue, channel)
        c = _Contact(e, self._interval(e.at), line)
        key = (c.interval, queue, channel)
        books = self._entry_books.get(key)
        if books is None:
            dims = line.keys[:3]  # all, queue, channel
            books = self._entry_books[key] = (dims, self._accs(c.interval, dims))
        c.dims, c.accs = books
        self._open[c.id] = c
        self._wait(c, +1)
        customer = c.customer
        before = self._pending.get(customer, 0)
        self._pending[customer] = before + 1
        if not before:
            self._customers.opened(customer)
        self._book_offered(e.at, c.accs, c.dims, c)

    def _line(self, queue: str, channel: str) -> _Line:
        """The line where contacts entering `queue` on `channel` wait now."""
        place = self._queue_place.get(queue, _NOWHERE)
        key = (queue, channel, *place)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = _Line(queue, channel, place)
        self._line_of[(queue, channel)] = line
        return line

    def _offered(self, e: ev.ContactOffered) -> None:
        self._busy(e.agent_id, e.at, 1, 0)

    def _declined(self, e: ev.OfferDeclined) -> None:
        self._busy(e.agent_id, e.at, -1, 0)

    def _resolve(self, c: _Contact, at: float) -> tuple[Acc, ...]:
        """The contact stopped waiting (once): from now on it is booked under its
        site dims too, which count it as offered now — where the agent who answered
        works, or, when nobody did, its queue's site and outsourcer. Where its
        outcome goes."""
        c.resolved = True
        self._wait(c, -1)
        where = self._agent_time.where.get(c.agent)  # who answered, if anyone
        site, outsourcer = where or c.line.place
        key = (c.interval, c.queue, c.channel, site, outsourcer)
        books = self._site_books.get(key)
        if books is None:
            site_dims = (("site", site), ("outsourcer", outsourcer))
            site_accs = self._accs(c.interval, site_dims, per_interval=False)
            books = (site_dims, site_accs, c.dims + site_dims, c.accs + site_accs)
            self._site_books[key] = books
        c.site_dims, site_accs, c.dims, c.accs = books
        self._book_offered(at, site_accs, c.site_dims, c)  # site dims learn of it now
        return self._targets(at, c.accs, c.dims)

    def _book_offered(self, at: float, accs: tuple[Acc, ...], dims: Dims, c: _Contact) -> None:
        """Count `c` as offered (volume, customer who tried) under `dims`."""
        channel = c.channel
        targets = self._targets(at, accs, dims)
        for acc in targets:
            acc.offered += 1
            acc.volume[channel] = acc.volume.get(channel, 0) + 1
        self._book_customer(c.customer, accs, targets, TRIED)

    def _accepted(self, e: ev.OfferAccepted) -> None:
        self._busy(e.agent_id, e.at, -1, 1)
        origin = self._callback_of.pop(e.contact_id, None)
        if origin is not None:
            self._called_back(origin, e.contact_id, e.at)
            return
        c = self._open.get(e.contact_id)
        if c is None:
            return
        c.accepted = c.accepted or e.at
        if c.resolved:
            return
        c.agent = e.agent_id
        wait = e.at - c.entered
        in_sl = wait <= self._queue_sl.get(c.queue, self.settings.sl_seconds)
        targets = self._resolve(c, e.at)
        for acc in targets:
            acc.answered += 1
            acc.answered_in_sl += in_sl
            acc.wait_answered += wait
            acc.wait_all += wait
            acc.waited += 1
        self._book_customer(c.customer, c.accs, targets, REACHED)

    def _called_back(self, origin: str, callback: str, at: float) -> None:
        """The callback was answered: the customer is reached, and its talk and
        wrap-up are the request's handling time (booked at wrap-up)."""
        c = self._close(origin)
        if c is None:
            return
        self._book_customer(c.customer, c.accs, self._targets(at, c.accs, c.dims), REACHED)
        c.accepted, c.completed = at, None
        self._calling[callback] = c

    def _handling(self, contact_id: str) -> _Contact | None:
        """The record of a contact being handled: a request, or a callback's."""
        return self._open.get(contact_id) or self._calling.get(contact_id)

    def _completed(self, e: ev.ContactCompleted) -> None:  # talk → wrap-up: still handling
        c = self._handling(e.contact_id)
        if c is not None:
            c.completed = e.at

    def _wrapped(self, e: ev.WrapUpFinished) -> None:
        self._busy(e.agent_id, e.at, 0, -1)
        if e.leg:
            self._leg_wrapped(e.leg, e.at)
            return
        c = self._close(e.contact_id) or self._calling.pop(e.contact_id, None)
        if c is None or c.accepted is None or c.completed is None:
            return
        talk = c.completed - c.accepted
        wrap = e.at - c.completed + (c.leg_wrap or 0.0)
        c.leg_wrap = None  # booked: a transferring agent's wrap-up still open books alone
        transferred = c.transferred
        for acc in self._targets(e.at, c.accs, c.dims):
            acc.talk += talk
            acc.talked += 1
            acc.wrap += wrap
            acc.handled += 1
            acc.transfers += transferred

    def _transferred(self, e: ev.ContactTransferred) -> None:
        c = self._handling(e.contact_id)
        if e.wrap_deadline > e.at:  # the agent wraps up its part: still handling
            self._legs[e.seq] = (c, e.at)
        else:
            self._busy(e.from_agent, e.at, 0, -1)
        if e.to_agent:
            self._busy(e.to_agent, e.at, 1, 0)
        if c is not None:
            c.transferred = True

    def _leg_wrapped(self, seq: int, at: float) -> None:
        """A transferring agent closed its part: that wrap-up is the contact's
        handling time too — added to its own if not yet booked, else booked now.
        (A contact that ended unanswered books no handling time: AHT is per
        handled contact; the agent's time still counts in occupancy.)"""
        c, since = self._legs.pop(seq, (None, at))
        if c is None:
            return
        if c.leg_wrap is not None:
            c.leg_wrap += at - since
        elif c.completed is not None:
            for acc in self._targets(at, c.accs, c.dims):
                acc.wrap += at - since

    def _ended(self, e: ev.ContactEnded) -> None:
        self._calling.pop(e.contact_id, None)  # a callback that ended unfinished
        origin = self._callback_of.pop(e.contact_id, None)
        if origin is not None:  # the callback failed: the request ends, not reached
            self._close(origin)
            return
        c = self._open.get(e.contact_id)
        if c is None:
            return
        if c.resolved:  # a transferred contact that left its second queue
            if e.reason is not EndReason.CALLBACK:  # a callback keeps the request open
                self._close(c.id)
            return
        wait = e.at - c.entered
        reason = e.reason
        short = wait <= self.settings.short_abandon_s
        for acc in self._resolve(c, e.at):
            acc.wait_all += wait
            acc.waited += 1
            if reason is EndReason.ABANDONED:
                acc.abandoned += 1
                acc.short += short
            elif reason is EndReason.CALLBACK:
                acc.callbacks += 1
            else:
                acc.other += 1
        if reason is not EndReason.CALLBACK:  # a callback keeps the request open
            self._close(c.id)

    # --------------------------------------------------------------- reading

    def figures(
        self, now: float, *, by: str | None = None, since: float | None = None
    ) -> dict[str, Figures]:
        """Figures per key of dimension `by` (None: one key "all"), over the
        intervals starting at or after `since` (None: everything kept)."""
        dim = by or "all"
        if dim not in ("all", *DIMENSIONS):
            raise ValueError(f"unknown dimension {by!r}; use one of {', '.join(DIMENSIONS)}")
        first = self._interval(since) if since is not None else None
        accs: dict[str, Acc] = {}
        key_of: dict[Acc, str] = {}
        for (d, key, interval), acc in self._buckets.items():
            if d != dim or (first is not None and interval < first):
                continue
            accs.setdefault(key, Acc()).merge(acc)
            key_of[acc] = key
        self._agent_time.add_open_time(accs, dim, now, first)
        return self._all_figures(accs, dim, now, self._customers.people(key_of.get))

    def window(
        self, now: float, *, by: str | None = None, span_s: float | None = None
    ) -> dict[str, Figures]:
        """Figures over the sliding window (`settings.window_s`, or the shorter
        `span_s` read from the same per-minute buckets: the tower's last 5 min)
        ending at `now`: contributions booked in the window, to the minute (the
        minute in which the window starts counts whole); occupancy from the
        intervals it overlaps, pro rata, plus each agent's current segment.
        Raises ValueError when the book keeps no window or `span_s` is not in
        (0, window_s]."""
        if self.settings.window_s <= 0:
            raise ValueError("this KPI book keeps no sliding window (window_s=0)")
        span = self.settings.window_s if span_s is None else span_s
        if not 0 < span <= self.settings.window_s:
            raise ValueError(
                f"span_s must be in (0, {self.settings.window_s:g}] (the buckets kept), not {span_s}"
            )
        dim = by or "all"
        start = now - span
        first_minute = (start // 60.0) * 60.0
        accs: dict[str, Acc] = {}
        for (d, key, minute), acc in self._minutes.items():
            if d == dim and first_minute <= minute <= now:
                accs.setdefault(key, Acc()).merge(acc)
        step = self.settings.interval_s
        for (d, key, interval), acc in self._buckets.items():
            if d != dim or interval + step <= start or interval > now:
                continue
            share = (min(interval + step, now) - max(interval, start)) / step
            target = accs.setdefault(key, Acc())
            target.handling += acc.handling * share
            target.avail += acc.avail * share
        self._agent_time.add_open_time(accs, dim, now, start)
        return self._all_figures(accs, dim, now)

    def _all_figures(
        self, accs: dict[str, Acc], dim: str, now: float, people: dict[str, People] | None = None
    ) -> dict[str, Figures]:
        """Figures per key; what is live (waiting, pending customers) is read once.
        `people`: the customers tried, reached and lost per key, when counted from
        the shared bookings (else from each accumulator's own `customers`)."""
        waiting: dict[str, list[float]] = {}  # key -> [count, longest]
        if dim in _LINE_DIMS:
            i = _LINE_DIMS.index(dim)
            for line in self._lines.values():
                if line.n:
                    key = line.keys[i][1]
                    w = waiting.get(key)
                    if w is None:
                        waiting[key] = [line.n, -1.0]  # -1: oldest not seen yet
                        if key not in accs:  # waiting, though nothing booked there (yet)
                            accs[key] = Acc()
                    else:
                        w[0] += line.n
            missing = len(waiting)
            for c in self._waiting.values():  # oldest first: stop once every key has its oldest
                if not missing:
                    break
                w = waiting[c.line.keys[i][1]]
                if w[1] < 0:
                    w[1] = max(now - c.entered, 0.0)
                    missing -= 1
        pending = self._pending
        none = (0, 0, 0)
        return {
            key: figures_of(
                acc,
                waiting.get(key, (0, 0.0)),
                pending,
                None if people is None else people.get(key, none),
            )
            for key, acc in sorted(accs.items())
        }

    def _wait(self, c: _Contact, sign: int) -> None:
        """A contact starts (+1) or stops (-1) waiting in line."""
        if sign > 0:
            self._waiting[c.id] = c
        elif self._waiting.pop(c.id, None) is None:
            return
        c.line.n += sign

    def _close(self, contact_id: str) -> _Contact | None:
        """The request is over (answered and finished, called back, or lost)."""
        c = self._open.pop(contact_id, None)
        if c is not None:
            if not c.resolved:
                self._wait(c, -1)
            left = self._pending[c.customer] - 1
            if left:
                self._pending[c.customer] = left
            else:
                del self._pending[c.customer]
                self._customers.closed(c.customer)
        return c

    def agents(self) -> dict[str, str]:
        """Each known agent's activity as the KPI book sees it."""
        return self._agent_time.activities()

    def statistics(self) -> dict[str, int]:
        return {
            "events": self.events,
            "open_contacts": len(self._open),
            "buckets": len(self._buckets),
            "window_minutes": len(self._minutes),
            "customers": len(self._customers),
        }
