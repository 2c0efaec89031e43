# Why this module exists: the Erlang B, C and A formulas every planning figure rests on.
# Textbook formulas with factorials overflow past a few hundred Erlangs; here every formula
# is evaluated with recursions, bounded series and logarithms, so it stays exact to ~1e-9
# and fast at 10,000 Erlangs and beyond. Pure: standard library `math` only.
"""Erlang B / C / A formulas and staffing for contact-center planning.

Units: ``traffic`` is in Erlangs (arrival rate × mean handle time). Every duration
(``aht``, ``threshold``, ``patience``, ``asa``) may be in any unit, as long as all use
the same one; the CLI uses seconds.

Service level, as everywhere in joignable (see KPIS.md): **SL(T) = contacts answered
within T / all arrivals** (offered). With Erlang A, callers who abandon count in the
denominator and never in the numerator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "ErlangAResult",
    "ErlangCResult",
    "StaffingResult",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "scheduled_agents",
    "traffic_erlangs",
]

_EPS = 1e-18  # relative size of the last series term kept
_TINY = 1e-12  # tolerance for float noise in ceil() of quotients


# ---------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class ErlangCResult:
    """Erlang C (M/M/N, infinitely patient callers) figures for ``agents`` servers.

    ``service_level`` is answered within ``threshold`` / all arrivals; ``asa`` is the
    mean wait of all (here: all answered) contacts; ``occupancy`` is traffic / agents,
    capped at 1 when the queue is unstable (agents ≤ traffic).
    """

    agents: int
    traffic: float
    p_wait: float
    service_level: float
    asa: float
    occupancy: float
    threshold: float


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """Erlang A (M/M/N+M, exponential patience) figures for ``agents`` servers.

    ``p_wait``: an arrival finds all agents busy. ``p_abandon``: an arrival hangs up
    before being answered. ``service_level``: answered within ``threshold`` / all
    arrivals. ``asa``: mean wait of the answered contacts. ``average_wait``: mean wait of
    all arrivals (abandoned ones until they hang up). ``occupancy``: carried traffic /
    agents.
    """

    agents: int
    traffic: float
    patience: float
    p_wait: float
    p_abandon: float
    service_level: float
    asa: float
    average_wait: float
    occupancy: float
    threshold: float


@dataclass(frozen=True, slots=True)
class StaffingResult:
    """What :func:`staff` found.

    ``agents``: agents needed on contacts (the smallest number meeting every target).
    ``scheduled_agents``: agents to schedule once shrinkage is applied.
    ``servers``: simultaneous contacts those agents can hold (agents × concurrency);
    ``performance`` describes the queue with that many servers (its ``agents`` field
    counts servers). ``limited_by`` names the target(s) that set the number.
    """

    agents: int
    scheduled_agents: int
    servers: int
    concurrency: int
    shrinkage: float
    limited_by: tuple[str, ...]
    performance: ErlangCResult | ErlangAResult


# ---------------------------------------------------------------------------------------
# Input checks


def _finite(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def _positive(name: str, value: float) -> float:
    v = _finite(name, value)
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return v


def _non_negative(name: str, value: float) -> float:
    v = _finite(name, value)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return v


def _count(name: str, value: int, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def _open_fraction(name: str, value: float) -> float:
    v = _finite(name, value)
    if not 0 < v < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return v


# ---------------------------------------------------------------------------------------
# Numerical kernels


def _log_add(p: float, q: float) -> float:
    """log(e^p + e^q) without overflow."""
    if p < q:
        p, q = q, p
    if q == -math.inf:
        return p
    return p + math.log1p(math.exp(q - p))


def _digamma(z: float) -> float:
    """ψ(z) for z > 0: upward recurrence to z ≥ 10, then the asymptotic series."""
    acc = 0.0
    while z < 10.0:
        acc -= 1.0 / z
        z += 1.0
    f = 1.0 / (z * z)
    tail = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))))
    return acc + math.log(z) - 0.5 / z - tail


def _tail_sums(x: float, w: float, *, extra: bool) -> tuple[float, float, float, float]:
    """Sums over j ≥ 0 of t_j = w^j / ((x+1)(x+2)…(x+j)), for x > 0, w ≥ 0.

    Returns ``(log_scale, g, h, s)`` with, after multiplication by ``exp(log_scale)``:
    G = Σ t_j, H = Σ j·t_j and S = Σ t_j · x/(x+j+1) · Σ_{i=1..j+1} 1/(x+i)
    (H and S only when ``extra``). G is x·e^w·w^-x·γ(x, w), the lower incomplete gamma
    scaled; the sum starts at its largest term and walks both ways, so every term is
    ≤ 1 and nothing overflows. Costs O(√max(x, w)) terms.
    """
    if w == 0.0:
        return 0.0, 1.0, 0.0, 0.0
    peak = max(0, math.ceil(w - x - 1.0))  # first j whose successor ratio w/(x+j+1) ≤ 1
    log_scale = 0.0
    if peak:
        log_scale = peak * math.log(w) - (math.lgamma(x + peak + 1.0) - math.lgamma(x + 1.0))
    if not extra:
        g = 1.0
        t = 1.0
        j = peak
        while True:  # upwards
            j += 1
            t *= w / (x + j)
            g += t
            if t <= _EPS * g:
                break
        t = 1.0
        j = peak
        while j > 0:  # downwards
            t *= (x + j) / w
            j -= 1
            g += t
            if t <= _EPS * g:
                break
        return log_scale, g, 0.0, 0.0

    if peak == 0:
        c = 1.0 / (x + 1.0)
    elif peak < 64:
        c = math.fsum(1.0 / (x + i) for i in range(1, peak + 2))
    else:
        c = _digamma(x + peak + 2.0) - _digamma(x + 1.0)
    c_peak = c
    g = 1.0
    h = float(peak)
    s = x / (x + peak + 1.0) * c
    t = 1.0
    j = peak
    while True:  # upwards: j -> j+1
        j += 1
        t *= w / (x + j)
        c += 1.0 / (x + j + 1.0)
        g += t
        h += j * t
        s += t * x / (x + j + 1.0) * c
        if t <= _EPS * g:
            break
    t = 1.0
    j = peak
    c = c_peak
    while j > 0:  # downwards: j -> j-1
        t *= (x + j) / w
        c -= 1.0 / (x + j + 1.0)
        j -= 1
        g += t
        h += j * t
        s += t * x / (x + j + 1.0) * c
        if t <= _EPS * g:
            break
    return log_scale, g, h, s


def _log_erlang_b(a: float, n: int) -> float:
    """log of Erlang B blocking for traffic a > 0 and n ≥ 0 lines.

    n ≤ 32: the recursion B(k) = a·B(k−1) / (k + a·B(k−1)) (unless B underflows).
    n ≤ a: 1/B = Σ_{m=0..n} Π_{i<m} (n−i)/a, a sum of decreasing terms ≤ 1.
    n > a: B = p(n) / P(X ≤ n) for X ~ Poisson(a), with p(n) from lgamma and
    P(X ≤ n) = 1 − p(n)·(G(n, a) − 1), which stays ≥ ~1/2, so no cancellation.
    """
    if n == 0:
        return 0.0
    if n <= 32:  # few lines: the classic recursion is exact and cheapest
        b = 1.0
        for k in range(1, n + 1):
            b = a * b / (k + a * b)
        if b > 1e-300:
            return math.log(b)
    if n <= a:
        inv = 1.0
        t = 1.0
        for i in range(n):
            t *= (n - i) / a
            inv += t
            if t <= _EPS * inv:
                break
        return -math.log(inv)
    log_pmf = -a + n * math.log(a) - math.lgamma(n + 1.0)
    _, g, _, _ = _tail_sums(float(n), a, extra=False)  # peak is 0 here: no scale
    return log_pmf - math.log1p(-math.exp(log_pmf) * (g - 1.0))


def _clamp01(p: float) -> float:
    return 0.0 if p < 0.0 else 1.0 if p > 1.0 else p


def _c_figures(a: float, n: int, b: float, aht: float, threshold: float) -> ErlangCResult:
    """Erlang C figures from the Erlang B value ``b`` for the same (a, n)."""
    if a == 0.0:
        return ErlangCResult(n, a, 0.0, 1.0, 0.0, 0.0, threshold)
    if n <= a:
        return ErlangCResult(n, a, 1.0, 0.0, math.inf, 1.0, threshold)
    spare = n - a
    p_wait = _clamp01(n * b / (spare + a * b))
    sl = _clamp01(1.0 - p_wait * math.exp(-spare * threshold / aht))
    asa = p_wait * aht / spare
    return ErlangCResult(n, a, p_wait, sl, asa, a / n, threshold)


# ---------------------------------------------------------------------------------------
# Public formulas


def traffic_erlangs(volume: float, interval: float, aht: float) -> float:
    """Offered traffic in Erlangs: ``volume`` contacts arriving over ``interval``, each
    needing ``aht`` on average (interval and aht in the same unit).

    Raises ValueError if volume < 0 or interval, aht ≤ 0.
    """
    v = _non_negative("volume", volume)
    return v * _positive("aht", aht) / _positive("interval", interval)


def erlang_b(traffic: float, lines: int) -> float:
    """Erlang B: probability that an arrival finds all ``lines`` busy and is lost
    (M/M/N/N), for ``traffic`` Erlangs offered.

    Returns a probability in [0, 1]. Raises ValueError if traffic < 0 or lines < 0.
    """
    a = _non_negative("traffic", traffic)
    n = _count("lines", lines)
    if a == 0.0:
        return 0.0 if n > 0 else 1.0
    return _clamp01(math.exp(_log_erlang_b(a, n)))


def erlang_c(traffic: float, agents: int, aht: float, threshold: float = 20.0) -> ErlangCResult:
    """Erlang C (M/M/N, callers never abandon) for ``agents`` agents.

    Takes the offered ``traffic`` in Erlangs, the mean handle time ``aht`` and the SL
    ``threshold`` T (same time unit). Returns an :class:`ErlangCResult`: probability of
    waiting, SL(T) = answered within T / all arrivals, ASA (in the unit of aht) and
    occupancy. With agents ≤ traffic the queue grows without bound: p_wait = 1,
    SL = 0, ASA = inf, occupancy = 1.

    Raises ValueError if traffic < 0, agents < 0, aht ≤ 0 or threshold < 0.
    """
    a = _non_negative("traffic", traffic)
    n = _count("agents", agents)
    h = _positive("aht", aht)
    t = _non_negative("threshold", threshold)
    b = math.exp(_log_erlang_b(a, n)) if a > 0 and n > a else 1.0
    return _c_figures(a, n, b, h, t)


def erlang_a(
    traffic: float, agents: int, aht: float, patience: float, threshold: float = 20.0
) -> ErlangAResult:
    """Erlang A (Palm's M/M/N+M): callers hang up after an exponential patience with
    mean ``patience``.

    Takes ``traffic`` in Erlangs, ``agents``, the mean handle time ``aht``, the mean
    ``patience`` and the SL ``threshold`` T (same time unit). Returns an
    :class:`ErlangAResult`. The figures are Mandelbaum & Zeltyn's closed forms, with
    x = N·patience/aht, y = traffic·patience/aht, E = Erlang B(traffic, N) and
    A = x·e^y·y^-x·γ(x, y):

    - P(wait) = A·E / (1 + (A − 1)·E); π = P(wait)/A is the probability that all N
      agents are busy and nobody waits;
    - P(abandon) = π · (x + (y − x)·A) / y; average wait = P(abandon) · patience;
    - SL(T) = 1 − P(abandon) − π · x · e^y · y^-(x+1) · γ(x+1, y·e^(−T/patience))
      (answered after T is removed from all answered);
    - ASA = π · patience · Σ_j t_j · x/(x+j+1) · Σ_{i≤j+1} 1/(x+i) / (1 − P(abandon)),
      t_j = y^j / ((x+1)…(x+j)): an arrival finding j waiting is answered with
      probability x/(x+j+1), after a mean of patience · Σ 1/(x+i).

    Every term is summed in log space from its largest term (see ``_tail_sums``). With
    no agent everybody abandons and ASA is inf.

    Raises ValueError if traffic < 0, agents < 0, aht ≤ 0, patience ≤ 0 or threshold < 0.
    """
    a = _non_negative("traffic", traffic)
    n = _count("agents", agents)
    h = _positive("aht", aht)
    pat = _positive("patience", patience)
    t = _non_negative("threshold", threshold)
    if a == 0.0:
        return ErlangAResult(n, a, pat, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, t)
    if n == 0:
        return ErlangAResult(n, a, pat, 1.0, 1.0, 0.0, math.inf, pat, 0.0, t)
    r = pat / h
    x = n * r
    y = a * r
    lb = _log_erlang_b(a, n)
    log_rest = math.log(-math.expm1(lb)) - lb  # log(1/E − 1)
    scale, g, hh, s = _tail_sums(x, y, extra=True)
    log_den = _log_add(log_rest, scale + math.log(g))  # log(1/π)
    pi_scaled = math.exp(scale - log_den)  # π · exp(scale)
    p_wait = _clamp01(pi_scaled * g)
    p_ab = _clamp01(pi_scaled * hh / y)
    served = 1.0 - p_ab
    z_log = -t / pat  # log z, z = e^(−θT)
    scale2, g2, _, _ = _tail_sums(x + 1.0, y * math.exp(z_log), extra=False)
    log_late = (
        -log_den + math.log(x / (x + 1.0)) + (x + 1.0) * z_log - y * math.expm1(z_log) + scale2
    )
    late = math.exp(log_late) * g2  # answered, after more than T
    sl = _clamp01(served - late)
    asa = pi_scaled * s * pat / served if served > 0.0 else math.inf
    occupancy = _clamp01(a * served / n)
    return ErlangAResult(n, a, pat, p_wait, p_ab, sl, asa, p_ab * pat, occupancy, t)


def scheduled_agents(required: int, shrinkage: float) -> int:
    """Agents to schedule so that ``required`` remain on contacts once ``shrinkage``
    (share of paid time lost to breaks, training, absence) is taken:
    ceil(required / (1 − shrinkage)).

    Raises ValueError if required < 0 or shrinkage is outside [0, 1).
    """
    n = _count("required", required)
    s = _finite("shrinkage", shrinkage)
    if not 0 <= s < 1:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    q = n / (1.0 - s)
    return max(n, math.ceil(q - _TINY * max(1.0, q)))
