# Why: the runner should only move time forward and talk to the engine. What a
# scenario says about *who arrives when and how they behave* (rates per interval,
# surges, the playbook's customer-facing measures) is resolved here once, into
# plain absolute-time tables, so the runner's inner loop does no parsing.
"""Arrival streams and customer-facing measures, in absolute virtual time."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from joignable.core.model import Channel

from .distributions import Distribution, Piece, Surge, piecewise_rates, poisson_arrivals
from .scenario import (
    CallbackOffer,
    IvrMessage,
    PromisedDelay,
    Scenario,
    SelfServiceLink,
    TrafficModel,
    seconds_of_day,
)


@dataclass(frozen=True, slots=True)
class Window:
    """A measure active over [start, end) for some queues and channels (empty: all)."""

    start: float
    end: float
    queues: frozenset[str]
    channels: frozenset[Channel]

    def covers(self, t: float, queue: str, channel: Channel) -> bool:
        return (
            self.start <= t < self.end
            and (not self.queues or queue in self.queues)
            and (not self.channels or channel in self.channels)
        )


@dataclass(frozen=True, slots=True)
class Stream:
    """One traffic line of the scenario, resolved."""

    index: int
    queue: str
    channel: Channel
    skills: tuple[tuple[str, int], ...]
    language: str
    priority: int
    handle: Distribution
    wrap: Distribution
    patience: Distribution | None
    ring: float
    pieces: tuple[Piece, ...]
    patience_factors: tuple[tuple[Window, float], ...]

    def arrivals(self, rng: random.Random) -> list[float]:
        return poisson_arrivals(rng, self.pieces)

    def expected(self) -> float:
        """Expected number of arrivals."""
        return sum((p.end - p.start) * p.rate for p in self.pieces)


@dataclass(frozen=True, slots=True)
class Measures:
    """The playbook's customer-facing measures, each with its window."""

    ivr: tuple[tuple[Window, float], ...]  # resolve share
    self_service: tuple[tuple[Window, float, float], ...]  # share, success
    callback: tuple[tuple[Window, float, float], ...]  # after, accept share
    promised: tuple[tuple[Window, float], ...]  # patience factor

    def ivr_share(self, t: float, queue: str, channel: Channel) -> float:
        return _combined(w_s[1] for w_s in self.ivr if w_s[0].covers(t, queue, channel))

    def link(self, t: float, queue: str, channel: Channel) -> tuple[float, float]:
        for w, share, success in self.self_service:
            if w.covers(t, queue, channel):
                return share, success
        return 0.0, 0.0

    def callback_offer(self, t: float, queue: str, channel: Channel) -> tuple[float, float] | None:
        for w, after, accept in self.callback:
            if w.covers(t, queue, channel):
                return after, accept
        return None

    def patience_factor(self, t: float, queue: str, channel: Channel) -> float:
        f = 1.0
        for w, factor in self.promised:
            if w.covers(t, queue, channel):
                f *= factor
        return f


def _combined(shares: object) -> float:
    """Probability that at least one of several independent shares applies."""
    keep = 1.0
    for s in shares:  # type: ignore[attr-defined]
        keep *= 1.0 - float(s)
    return 1.0 - keep


def _counts(s: Scenario, t: TrafficModel, epoch: float) -> list[tuple[float, float, float]]:
    """(start, end, expected contacts) stretches of one traffic line."""
    step = s.interval_minutes * 60.0
    t_open = epoch + seconds_of_day(s.open)
    t_close = epoch + seconds_of_day(s.close)
    out: list[tuple[float, float, float]] = []
    if isinstance(t.per_interval, list):
        for i, n in enumerate(t.per_interval):
            a = t_open + i * step
            if a >= t_close:
                break
            b = min(a + step, t_close)
            out.append((a, b, n * (b - a) / step))
        return out
    marks = sorted((epoch + seconds_of_day(k), v) for k, v in (t.per_interval or {}).items())
    for i, (a, n) in enumerate(marks):
        b = marks[i + 1][0] if i + 1 < len(marks) else t_close
        a, b = max(a, t_open), min(b, t_close)
        if b > a:
            out.append((a, b, n * (b - a) / step))
    return out


def _window(s: Scenario, epoch: float, at: str, until: str | None) -> tuple[float, float]:
    start = epoch + seconds_of_day(at)
    end = epoch + seconds_of_day(until) if until else math.inf
    return start, end


def build_streams(s: Scenario, epoch: float) -> list[Stream]:
    """Every traffic line as a Stream with its constant-rate pieces (surges applied)."""
    streams = []
    for i, t in enumerate(s.traffic):
        ch = s.channel(t.channel)
        surges = [
            Surge(epoch + seconds_of_day(g.start), epoch + seconds_of_day(g.end), g.multiplier)
            for g in s.surges
            if (not g.channels or t.channel in g.channels) and (not g.queues or t.queue in g.queues)
        ]
        factors = tuple(
            (
                Window(
                    epoch + seconds_of_day(g.start),
                    epoch + seconds_of_day(g.end),
                    frozenset(g.queues),
                    frozenset(g.channels),
                ),
                g.patience_factor,
            )
            for g in s.surges
            if g.patience_factor != 1.0
        )
        patience = t.patience or ch.patience
        skills = t.skills if t.skills is not None else s.queues[t.queue].skills
        streams.append(
            Stream(
                index=i,
                queue=t.queue,
                channel=t.channel,
                skills=tuple(sorted(skills.items())),
                language=t.language,
                priority=t.priority,
                handle=(t.handle_time or ch.handle_time).build(),
                wrap=(t.wrap_time or ch.wrap_time).build(),
                patience=patience.build() if patience is not None else None,
                ring=ch.ring_time,
                pieces=tuple(piecewise_rates(_counts(s, t, epoch), surges)),
                patience_factors=factors,
            )
        )
    return streams


def build_measures(s: Scenario, epoch: float) -> Measures:
    ivr, link, callback, promised = [], [], [], []
    for m in s.measures:
        if not isinstance(m, IvrMessage | SelfServiceLink | CallbackOffer | PromisedDelay):
            continue
        start, end = _window(s, epoch, m.at, m.until)
        w = Window(start, end, frozenset(m.queues), frozenset(m.channels))
        if isinstance(m, IvrMessage):
            ivr.append((w, m.resolve_share))
        elif isinstance(m, SelfServiceLink):
            link.append((w, m.share, m.success))
        elif isinstance(m, CallbackOffer):
            callback.append((w, m.after, m.accept_share))
        else:
            promised.append((w, m.factor))
    return Measures(tuple(ivr), tuple(link), tuple(callback), tuple(promised))
