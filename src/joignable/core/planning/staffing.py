# Why this module exists: the digital twin, the planning reports and `joignable staff`
# all need the smallest number of agents meeting a target (SL, ASA, abandonment,
# occupancy). The formulas themselves are in `erlang.py` (re-exported here); this module
# holds the fast searches over them. Pure: standard library only.
"""Staffing for contact-center planning, on the Erlang B / C / A formulas.

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

from .erlang import (
    _TINY,
    ErlangAResult,
    ErlangCResult,
    StaffingResult,
    _c_figures,
    _count,
    _finite,
    _log_erlang_b,
    _non_negative,
    _open_fraction,
    _positive,
    erlang_a,
    erlang_b,
    erlang_c,
    scheduled_agents,
    traffic_erlangs,
)

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
