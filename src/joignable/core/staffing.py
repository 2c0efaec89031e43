# Why this module exists: the digital twin, the planning reports and `joignable staff`
# all need the same queueing figures — Erlang B, Erlang C, Erlang A (M/M/N+M) — and the
# smallest number of agents meeting a target. Textbook formulas with factorials overflow
# past a few hundred Erlangs; here every formula is evaluated with recursions, bounded
# series and logarithms, so it stays exact to ~1e-9 and fast at 10,000 Erlangs and beyond.
# Pure: standard library `math` only, no clock, no I/O, no randomness.
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
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "ErlangAResult",
    "ErlangCResult",
    "StaffingResult",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "scheduled_agents",
    "staff",
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


# ---------------------------------------------------------------------------------------
# Staffing searches


def _phi_ratio(beta: float) -> float:
    """Φ(β)/φ(β) for the standard normal, β ≥ 0."""
    return math.sqrt(math.pi / 2) * math.erfc(-beta / math.sqrt(2)) * math.exp(beta * beta / 2)


def _halfin_whitt(a: float, ok: Callable[[float, float], bool]) -> int:
    """Square-root-staffing guess a + β√a, β found by bisection on the Halfin–Whitt
    approximation p_wait ≈ 1/(1 + β·Φ(β)/φ(β)); ``ok(beta, p_wait)`` says if β is enough.
    """
    lo, hi = 0.0, 1.0
    while not ok(hi, 1.0 / (1.0 + hi * _phi_ratio(hi))):
        lo, hi = hi, hi * 2
        if hi > 32:
            break
    root_a = math.sqrt(a)
    while (hi - lo) * root_a > 0.25:  # a quarter of an agent is precise enough
        mid = (lo + hi) / 2
        if ok(mid, 1.0 / (1.0 + mid * _phi_ratio(mid))):
            hi = mid
        else:
            lo = mid
    return math.floor(a + lo * root_a)


class _BWalker:
    """Erlang B at (a, n), moved to n±1 in O(1) with the recursion, in log space."""

    __slots__ = ("a", "la", "lb", "n")

    def __init__(self, a: float, n: int) -> None:
        self.a = a
        self.la = math.log(a)
        self.n = n
        self.lb = _log_erlang_b(a, n)

    def up(self) -> None:
        self.n += 1
        self.lb = self.la + self.lb - math.log(self.n + self.a * math.exp(self.lb))

    def down(self) -> None:
        b = math.exp(self.lb)
        self.lb = math.log(self.n) + self.lb - self.la - math.log1p(-b)
        self.n -= 1


def _smallest_c(
    a: float, meets: Callable[[ErlangCResult], bool], guess: int, aht: float, t: float
) -> int:
    """Smallest n > a whose Erlang C figures meet ``meets`` (monotone in n)."""
    floor_n = math.floor(a) + 1
    walker = _BWalker(a, max(guess, floor_n))

    def at() -> ErlangCResult:
        return _c_figures(a, walker.n, math.exp(walker.lb), aht, t)

    if meets(at()):
        while walker.n > floor_n:
            walker.down()
            if not meets(at()):
                walker.up()
                break
    else:
        while True:
            walker.up()
            if meets(at()):
                break
    return walker.n


def _smallest(score: Callable[[int], float], lo: int, hi: int, lowest: int) -> int:
    """Smallest n ≥ lowest with score(n) ≥ 0, for a score non-decreasing in n.

    ``lo`` and ``hi`` are guesses that should bracket the answer; the bracket is widened
    by doubling if they do not, then closed by regula falsi with the Illinois fix (an
    end kept twice has its weight halved), which needs few evaluations on smooth scores.
    """
    bad = max(lowest, lo)
    good = max(bad + 1, hi)
    width = good - bad
    f_bad = score(bad)
    while f_bad >= 0:  # widen downwards
        if bad == lowest:
            return lowest
        good, bad = bad, max(lowest, bad - width)
        width *= 2
        f_bad = score(bad)
    f_good = score(good)
    while f_good < 0:  # widen upwards
        bad, f_bad = good, f_good
        good += width
        width *= 2
        f_good = score(good)
    w_bad, w_good, kept = f_bad, f_good, 0
    while good - bad > 1:
        if math.isfinite(w_bad) and math.isfinite(w_good) and w_good > w_bad:
            root = bad - w_bad * (good - bad) / (w_good - w_bad)
            c = min(max(math.ceil(root), bad + 1), good - 1)
        else:
            c = (bad + good) // 2
        f_c = score(c)
        if f_c >= 0:
            good, w_good = c, f_c
            if kept == 1:
                w_bad /= 2
            kept = 1
        else:
            bad, w_bad = c, f_c
            if kept == -1:
                w_good /= 2
            kept = -1
    return good


def _log_gap(target: float, value: float) -> float:
    """log(target) − log(value), +inf when value is 0: monotone, and nearly linear in n
    for tail probabilities and waits, which keeps regula falsi short."""
    return math.inf if value <= 0.0 else math.log(target) - math.log(value)


def _needs_c(
    a: float,
    h: float,
    t: float,
    sl_target: float | None,
    asa_target: float | None,
    occ_target: float | None,
) -> dict[str, int]:
    """Servers each Erlang C target needs, for traffic a > 0."""
    needs: dict[str, int] = {}
    root_a = math.sqrt(a)
    if sl_target is not None:
        sl_min, z = sl_target, t / h

        def sl_ok(beta: float, pw: float) -> bool:
            return 1.0 - pw * math.exp(-beta * root_a * z) >= sl_min

        needs["service_level"] = _smallest_c(
            a, lambda r: r.service_level >= sl_min, _halfin_whitt(a, sl_ok), h, t
        )
    if asa_target is not None:
        asa_max, scaled = asa_target, asa_target / h

        def asa_ok(beta: float, pw: float) -> bool:
            return beta > 0 and pw / (beta * root_a) <= scaled

        needs["asa"] = _smallest_c(a, lambda r: r.asa <= asa_max, _halfin_whitt(a, asa_ok), h, t)
    if occ_target is not None:
        n = max(1, math.ceil(a / occ_target - _TINY * a))
        while a / n > occ_target:
            n += 1
        while n > 1 and a / (n - 1) <= occ_target:
            n -= 1
        needs["max_occupancy"] = n
    return needs


def _needs_a(
    a: float,
    h: float,
    t: float,
    pat: float,
    fig: Callable[[int], ErlangAResult],
    targets: tuple[float | None, float | None, float | None, float | None],
) -> dict[str, int]:
    """Servers each Erlang A target (SL, ASA, abandon, occupancy) needs, traffic a > 0.

    Each search is bracketed between a fluid-model guess (overloaded regime: a share
    1 − n/a abandons, the rest wait ln(a/n)·patience) and the Erlang C answer, on a log
    scale of the miss, which is nearly linear in n.
    """
    sl_target, asa_target, ab_target, occ_target = targets
    needs: dict[str, int] = {}
    if sl_target is not None:
        sl_min = sl_target
        lo = math.floor(a * max(sl_min, math.exp(-t / pat)))
        hi = _needs_c(a, h, t, sl_min, None, None)["service_level"]
        miss = 1.0 - sl_min
        needs["service_level"] = _smallest(
            lambda n: _log_gap(miss, 1.0 - fig(n).service_level), lo, hi, 1
        )
    if asa_target is not None:
        asa_max = asa_target
        lo = math.floor(a * math.exp(-asa_max / pat))
        hi = _needs_c(a, h, t, None, asa_max, None)["asa"]
        needs["asa"] = _smallest(lambda n: _log_gap(asa_max, fig(n).asa), lo, hi, 1)
    if ab_target is not None:
        ab_max = ab_target
        lo = math.floor(a * (1.0 - ab_max))
        hi = math.ceil(a + 2.0 * math.sqrt(a))
        needs["max_abandon"] = _smallest(lambda n: _log_gap(ab_max, fig(n).p_abandon), lo, hi, 1)
    if occ_target is not None:
        occ_max = occ_target
        hi = math.ceil(a / occ_max)
        needs["max_occupancy"] = _smallest(lambda n: occ_max - fig(n).occupancy, hi - 2, hi, 1)
    return needs


def staff(
    traffic: float,
    aht: float,
    *,
    service_level: float | None = None,
    threshold: float = 20.0,
    asa: float | None = None,
    max_abandon: float | None = None,
    max_occupancy: float | None = None,
    patience: float | None = None,
    shrinkage: float = 0.0,
    concurrency: int = 1,
) -> StaffingResult:
    """Smallest number of agents meeting every given target, then shrinkage on top.

    Takes the offered ``traffic`` (Erlangs) and ``aht``, and at least one target:
    ``service_level`` (fraction answered within ``threshold`` of all arrivals),
    ``asa`` (max mean wait of answered contacts), ``max_abandon`` (max share of arrivals
    abandoning; needs ``patience``) and ``max_occupancy``. Without ``patience`` the
    model is Erlang C; with a mean ``patience`` it is Erlang A. Durations share one unit.

    ``concurrency`` k: an agent holds k contacts at once (chat). Approximation: the
    pool is modelled as k × agents independent servers, each contact taking ``aht``
    (its handle time *under* concurrency), and any free slot of any agent can take the
    next contact. It ignores that agents slow down with more chats and that slots of one
    agent are not independent; fine for planning, optimistic at high concurrency.

    Returns a :class:`StaffingResult` (agents, scheduled agents, the figures at that
    staffing). Search: a square-root-staffing (Halfin–Whitt) guess, then O(1) Erlang B
    recursion steps (Erlang C; ~0.2 ms at 10,000 Erlangs), or a bracket between a fluid
    guess and the Erlang C answer closed by regula falsi (Erlang A; a few evaluations of
    O(√load) each, ~4 ms at 10,000 Erlangs).

    Raises ValueError on a bad value, or if no target is given.
    """
    a = _non_negative("traffic", traffic)
    h = _positive("aht", aht)
    t = _non_negative("threshold", threshold)
    k = _count("concurrency", concurrency, 1)
    sl_target = None if service_level is None else _open_fraction("service_level", service_level)
    asa_target = None if asa is None else _positive("asa", asa)
    ab_target = None if max_abandon is None else _open_fraction("max_abandon", max_abandon)
    occ_target = None if max_occupancy is None else _finite("max_occupancy", max_occupancy)
    if occ_target is not None and not 0 < occ_target <= 1:
        raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")
    pat = None if patience is None else _positive("patience", patience)
    scheduled_agents(0, shrinkage)  # validates shrinkage
    if ab_target is not None and pat is None:
        raise ValueError("max_abandon needs a patience (Erlang A)")
    if sl_target is None and asa_target is None and ab_target is None and occ_target is None:
        raise ValueError("give at least one target: service_level, asa, max_abandon, max_occupancy")

    if a == 0.0:
        needs = {"no traffic": 0}
    elif pat is None:
        needs = _needs_c(a, h, t, sl_target, asa_target, occ_target)
    else:
        cache: dict[int, ErlangAResult] = {}
        patience_ = pat

        def fig(n: int) -> ErlangAResult:
            r = cache.get(n)
            if r is None:
                r = cache[n] = erlang_a(a, n, h, patience_, t)
            return r

        targets = (sl_target, asa_target, ab_target, occ_target)
        needs = _needs_a(a, h, t, pat, fig, targets)

    servers_needed = max(needs.values())
    agents = -(-servers_needed // k)
    servers = agents * k
    limited_by = tuple(name for name, n in needs.items() if -(-n // k) == agents)
    perf: ErlangCResult | ErlangAResult
    if pat is None:
        perf = erlang_c(a, servers, h, t)
        # The search walks Erlang B by recursion; settle last-digit noise at the boundary
        # so that the figures returned always meet the targets.
        while (sl_target is not None and perf.service_level < sl_target) or (
            asa_target is not None and perf.asa > asa_target
        ):
            agents += 1
            servers += k
            perf = erlang_c(a, servers, h, t)
    else:
        perf = fig(servers) if a > 0.0 else erlang_a(a, servers, h, pat, t)
    return StaffingResult(
        agents=agents,
        scheduled_agents=scheduled_agents(agents, shrinkage),
        servers=servers,
        concurrency=k,
        shrinkage=float(shrinkage),
        limited_by=limited_by,
        performance=perf,
    )
