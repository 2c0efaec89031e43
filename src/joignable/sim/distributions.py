# Why: handle times, wrap-up times, patience and arrivals are random in a
# simulation, but a run must be repeatable. Every draw here comes from a
# `random.Random` the caller passes in (seeded and logged), never the global one.
"""Random durations (exponential, lognormal by mean and CV, empirical, fixed) and
Poisson arrivals with piecewise-constant rates and surges."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Exponential:
    """Exponential with the given mean (seconds)."""

    mean: float

    def sample(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.mean) if self.mean > 0 else 0.0


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Lognormal given by its own mean and coefficient of variation (std / mean)."""

    mean: float
    cv: float

    @property
    def mu(self) -> float:
        return self._params()[0]

    @property
    def sigma(self) -> float:
        return self._params()[1]

    def _params(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal distribution."""
        sigma = math.sqrt(math.log1p(self.cv**2))
        return math.log(self.mean) - sigma**2 / 2.0, sigma

    def sample(self, rng: random.Random) -> float:
        if self.mean <= 0:
            return 0.0
        return rng.lognormvariate(*self._params())


@dataclass(frozen=True, slots=True)
class Empirical:
    """Resamples observed values with equal weight."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)

    def sample(self, rng: random.Random) -> float:
        return self.values[rng.randrange(len(self.values))]


@dataclass(frozen=True, slots=True)
class Fixed:
    """Always the same value (a deterministic duration)."""

    mean: float

    def sample(self, rng: random.Random) -> float:
        return self.mean


Distribution = Exponential | LogNormal | Empirical | Fixed


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of time [start, end) with a constant arrival rate (per second)."""

    start: float
    end: float
    rate: float


@dataclass(frozen=True, slots=True)
class Surge:
    """Arrival rates multiplied by `multiplier` over [start, end)."""

    start: float
    end: float
    multiplier: float


def piecewise_rates(
    counts: Sequence[tuple[float, float, float]], surges: Iterable[Surge] = ()
) -> list[Piece]:
    """Turn (start, end, expected contacts in that stretch) into constant-rate pieces,
    split where surges begin or end and multiplied by every surge covering them."""
    surges = list(surges)
    pieces: list[Piece] = []
    for start, end, count in counts:
        if end <= start:
            continue
        cuts = {start, end}
        for s in surges:
            for t in (s.start, s.end):
                if start < t < end:
                    cuts.add(t)
        edges = sorted(cuts)
        base = count / (end - start)
        for a, b in itertools.pairwise(edges):
            mult = 1.0
            for s in surges:
                if s.start <= a and b <= s.end:
                    mult *= s.multiplier
            pieces.append(Piece(a, b, base * mult))
    return pieces


def poisson_arrivals(rng: random.Random, pieces: Iterable[Piece]) -> list[float]:
    """Arrival times of a Poisson process with the pieces' rates, in time order.

    Within a piece the gaps are exponential; at a piece's end the draw restarts at
    the next piece (exact, the process being memoryless).
    """
    times: list[float] = []
    for piece in pieces:
        if piece.rate <= 0:
            continue
        t = piece.start
        while True:
            t += rng.expovariate(piece.rate)
            if t >= piece.end:
                break
            times.append(t)
    return times


def mean_of(dist: Distribution) -> float:
    """The distribution's mean (seconds)."""
    return dist.mean
