"""Erlang B / C / A and staffing, against published values and brute-force chains."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joignable.core.planning.staffing import (
    ErlangAResult,
    ErlangCResult,
    erlang_a,
    erlang_b,
    erlang_c,
    scheduled_agents,
    staff,
    traffic_erlangs,
)

# --- independent references, computed the slow, obvious way -------------------------


def erlang_b_recursion(a: float, n: int) -> float:
    """The textbook recursion B(k) = a·B(k−1) / (k + a·B(k−1)), O(n)."""
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_a_chain(
    a: float, n: int, aht: float, patience: float, threshold: float, extra: int = 400
) -> dict[str, float]:
    """Erlang A from the M/M/n+M birth-death chain truncated at n + extra customers.

    Stationary law by detailed balance; waits from the tagged customer's absorbing chain
    (i customers ahead: moves to i−1 at rate nμ + iθ, abandons at rate θ), with the
    probability of being answered within T by uniformization. No incomplete gamma here.
    """
    lam, mu, theta = a / aht, 1.0 / aht, 1.0 / patience
    size = n + extra
    weights = [1.0]
    for k in range(1, size + 1):
        death = min(k, n) * mu + max(k - n, 0) * theta
        weights.append(weights[-1] * lam / death)
    total = math.fsum(weights)
    pi = [w / total for w in weights]
    p_wait = math.fsum(pi[n:])
    p_abandon = math.fsum(p * theta * (k - n) for k, p in enumerate(pi) if k > n) / lam

    # Tagged customer arriving when j = k − n are waiting: starts with j ahead.
    served = [0.0] * (extra + 1)  # P(answered | i ahead)
    wait_served = [0.0] * (extra + 1)  # E[wait · 1{answered} | i ahead]
    for i in range(extra + 1):
        rate = n * mu + i * theta + theta
        move = (n * mu + i * theta) / rate
        after = 1.0 if i == 0 else served[i - 1]
        after_wait = 0.0 if i == 0 else wait_served[i - 1]
        served[i] = move * after
        wait_served[i] = move * (after / rate + after_wait)

    # Uniformization: u_k(i) = P(answered within k jumps | i ahead).
    big = n * mu + (extra + 1) * theta
    u = [0.0] * (extra + 1)
    mean = big * threshold
    within = [0.0] * (extra + 1)
    for step in range(int(mean + 40 * math.sqrt(mean + 1) + 50)):
        if mean > 0:
            weight = math.exp(-mean + step * math.log(mean) - math.lgamma(step + 1))
        else:
            weight = 1.0 if step == 0 else 0.0
        if step:
            new = [0.0] * (extra + 1)
            for i in range(extra + 1):
                down = (n * mu + i * theta) / big
                stay = 1.0 - down - theta / big
                new[i] = down * (1.0 if i == 0 else u[i - 1]) + stay * u[i]
            u = new
        for i in range(extra + 1):
            within[i] += weight * u[i]

    arrivals_waiting = pi[n:]
    answered = 1.0 - p_abandon
    return {
        "p_wait": p_wait,
        "p_abandon": p_abandon,
        "service_level": 1.0
        - p_wait
        + math.fsum(p * within[j] for j, p in enumerate(arrivals_waiting)),
        "asa": math.fsum(p * wait_served[j] for j, p in enumerate(arrivals_waiting)) / answered,
        "average_wait": p_abandon / theta,
        "answered_check": 1.0
        - p_wait
        + math.fsum(p * served[j] for j, p in enumerate(arrivals_waiting)),
    }


# --- published values (KPIS.md) ---------------------------------------------------


def test_traffic_of_the_reference_case() -> None:
    assert traffic_erlangs(100, 30 * 60, 180) == pytest.approx(10.0)


def test_erlang_c_reference_14_agents() -> None:
    r = erlang_c(10.0, 14, aht=180, threshold=20)
    assert isinstance(r, ErlangCResult)
    assert r.p_wait == pytest.approx(0.1741319, abs=1e-7)
    assert r.service_level == pytest.approx(0.8883500, abs=1e-7)
    assert r.asa == pytest.approx(7.8359, abs=1e-4)
    assert r.occupancy == pytest.approx(0.7143, abs=1e-4)
    assert (r.agents, r.traffic, r.threshold) == (14, 10.0, 20.0)


def test_erlang_c_reference_11_agents() -> None:
    r = erlang_c(10.0, 11, aht=180, threshold=20)
    assert r.p_wait == pytest.approx(0.6821182, abs=1e-7)
    assert r.service_level == pytest.approx(0.3896138, abs=1e-7)


@pytest.mark.parametrize(("lines", "expected"), [(16, 0.02230), (17, 0.01295)])
def test_erlang_b_reference(lines: int, expected: float) -> None:
    assert erlang_b(10.0, lines) == pytest.approx(expected, abs=5e-6)
    assert erlang_b(10.0, lines) == pytest.approx(erlang_b_recursion(10.0, lines), rel=1e-12)


def test_staffing_reference_sl_80_20() -> None:
    r = staff(10.0, 180, service_level=0.8, threshold=20)
    assert r.agents == 14  # 13 agents give SL < 0.8, 14 give 0.888
    assert erlang_c(10.0, 13, 180, 20).service_level < 0.8
    assert r.limited_by == ("service_level",)
    assert r.performance == erlang_c(10.0, 14, 180, 20)


# --- Erlang C edges ------------------------------------------------------------------


@pytest.mark.parametrize("agents", [0, 1, 5, 10])
def test_erlang_c_unstable_queue(agents: int) -> None:
    r = erlang_c(10.0, agents, 180, 20)
    assert (r.p_wait, r.service_level, r.asa, r.occupancy) == (1.0, 0.0, math.inf, 1.0)


def test_erlang_c_without_traffic() -> None:
    r = erlang_c(0.0, 3, 180, 20)
    assert (r.p_wait, r.service_level, r.asa, r.occupancy) == (0.0, 1.0, 0.0, 0.0)


def test_erlang_c_threshold_zero_is_one_minus_p_wait() -> None:
    r = erlang_c(10.0, 14, 180, 0)
    assert r.service_level == pytest.approx(1 - 0.1741319, abs=1e-7)


# --- Erlang A against the brute-force chain ------------------------------------------


@pytest.mark.parametrize(
    ("a", "n", "patience", "threshold"),
    [
        (10.0, 14, 300.0, 20.0),  # the reference centre with 5-minute patience
        (10.0, 11, 120.0, 20.0),
        (10.0, 8, 120.0, 30.0),  # overloaded: only abandonment keeps it stable
        (3.0, 2, 60.0, 10.0),
        (20.0, 22, 600.0, 60.0),
        (10.0, 7, 30.0, 120.0),  # short patience, threshold four times longer
        (5.0, 5, 600.0, 0.0),  # SL(0) = answered at once
        (0.5, 1, 60.0, 20.0),
        (60.0, 32, 3600.0, 20.0),  # half the load abandons after a long wait
    ],
)
def test_erlang_a_matches_birth_death_chain(
    a: float, n: int, patience: float, threshold: float
) -> None:
    r = erlang_a(a, n, aht=180, patience=patience, threshold=threshold)
    extra = min(1200, max(100, int(2 * a * patience / 180) + 200))
    ref = erlang_a_chain(a, n, 180, patience, threshold, extra)
    assert isinstance(r, ErlangAResult)
    assert ref["answered_check"] == pytest.approx(1 - ref["p_abandon"], abs=1e-10)
    for name in ("p_wait", "p_abandon", "service_level", "asa", "average_wait"):
        assert getattr(r, name) == pytest.approx(ref[name], rel=1e-8, abs=1e-9), name
    assert r.occupancy == pytest.approx(a * (1 - ref["p_abandon"]) / n, rel=1e-9)


def test_erlang_a_reference_values() -> None:
    # Pinned from the chain above (10 Erlangs, 14 agents, AHT 180 s, patience 300 s).
    r = erlang_a(10.0, 14, 180, 300, 20)
    assert r.p_wait == pytest.approx(0.1452601, abs=1e-7)
    assert r.p_abandon == pytest.approx(0.0139837, abs=1e-7)
    assert r.service_level == pytest.approx(0.9167921, abs=1e-7)


def test_erlang_a_tends_to_erlang_c_with_endless_patience() -> None:
    a_fig = erlang_a(10.0, 14, 180, patience=1e9, threshold=20)
    c_fig = erlang_c(10.0, 14, 180, 20)
    assert a_fig.p_wait == pytest.approx(c_fig.p_wait, abs=1e-6)
    assert a_fig.service_level == pytest.approx(c_fig.service_level, abs=1e-6)
    assert a_fig.asa == pytest.approx(c_fig.asa, abs=1e-4)
    assert a_fig.p_abandon < 1e-6


def test_erlang_a_edges() -> None:
    none = erlang_a(10.0, 0, 180, 300, 20)
    assert (none.p_wait, none.p_abandon, none.service_level, none.asa) == (1.0, 1.0, 0.0, math.inf)
    idle = erlang_a(0.0, 3, 180, 300, 20)
    assert (idle.p_wait, idle.p_abandon, idle.service_level) == (0.0, 0.0, 1.0)


# --- staffing ------------------------------------------------------------------------


def test_staffing_with_shrinkage_and_concurrency() -> None:
    base = staff(10.0, 180, service_level=0.8, threshold=20, shrinkage=0.3)
    assert (base.agents, base.scheduled_agents) == (14, 20)
    chat = staff(10.0, 180, service_level=0.8, threshold=20, concurrency=3)
    assert (chat.agents, chat.servers, chat.concurrency) == (5, 15, 3)
    assert chat.performance.agents == 15


def test_staffing_each_target() -> None:
    asa = staff(10.0, 180, asa=20)
    assert erlang_c(10.0, asa.agents, 180).asa <= 20 < erlang_c(10.0, asa.agents - 1, 180).asa
    occ = staff(10.0, 180, max_occupancy=0.8)
    assert occ.agents == 13  # 10/13 = 0.77, 10/12 = 0.83
    occ_exact = staff(8.0, 180, max_occupancy=0.8)
    assert occ_exact.agents == 10  # 8/0.8 is 10, not 11 from float noise
    both = staff(10.0, 180, service_level=0.8, max_occupancy=0.6)
    assert both.agents == 17 and both.limited_by == ("max_occupancy",)
    ab = staff(10.0, 180, max_abandon=0.02, patience=300)
    assert isinstance(ab.performance, ErlangAResult)
    assert ab.performance.p_abandon <= 0.02 < erlang_a(10.0, ab.agents - 1, 180, 300).p_abandon


def test_staffing_without_traffic_needs_nobody() -> None:
    r = staff(0.0, 180, service_level=0.8)
    assert (r.agents, r.scheduled_agents) == (0, 0)
    assert r.performance.service_level == 1.0


def test_scheduled_agents() -> None:
    assert scheduled_agents(7, 0.3) == 10  # 7 / 0.7 is 10.000000000000002 in floats
    assert scheduled_agents(14, 0.3) == 20
    assert scheduled_agents(14, 0.0) == 14
    assert scheduled_agents(0, 0.5) == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_b(-1.0, 3), "traffic must be >= 0"),
        (lambda: erlang_b(1.0, -3), "lines must be >= 0"),
        (lambda: erlang_c(10.0, 14, 0), "aht must be > 0"),
        (lambda: erlang_c(math.nan, 14, 180), "traffic must be finite"),
        (lambda: erlang_c(10.0, 14.5, 180), "agents must be an integer"),  # type: ignore[arg-type]
        (lambda: erlang_c(10.0, 14, 180, -1), "threshold must be >= 0"),
        (lambda: erlang_a(10.0, 14, 180, 0), "patience must be > 0"),
        (lambda: staff(10.0, 180), "at least one target"),
        (lambda: staff(10.0, 180, service_level=1.0), "service_level must be strictly"),
        (lambda: staff(10.0, 180, max_abandon=0.05), "needs a patience"),
        (lambda: staff(10.0, 180, max_occupancy=1.5), "max_occupancy must be in"),
        (lambda: staff(10.0, 180, service_level=0.8, shrinkage=1.0), "shrinkage must be in"),
        (lambda: staff(10.0, 180, service_level=0.8, concurrency=0), "concurrency must be >= 1"),
        (lambda: scheduled_agents(-1, 0.3), "required must be >= 0"),
    ],
)
def test_bad_input_raises_value_error(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


# --- scale ---------------------------------------------------------------------------


def test_stable_at_10000_erlangs() -> None:
    a = 10_000.0
    assert erlang_b(a, 10_000) == pytest.approx(erlang_b_recursion(a, 10_000), rel=1e-9)
    for n in (9_000, 9_999, 10_001, 10_050, 10_100, 10_500, 20_000):
        c = erlang_c(a, n, 180, 20)
        b = erlang_b_recursion(a, n)
        if n > a:
            expected = n * b / (n - a * (1 - b))
            assert c.p_wait == pytest.approx(expected, rel=1e-9, abs=1e-300)
        for value in (c.p_wait, c.service_level, c.occupancy):
            assert 0.0 <= value <= 1.0
        f = erlang_a(a, n, 180, 300, 20)
        for value in (f.p_wait, f.p_abandon, f.service_level, f.occupancy):
            assert 0.0 <= value <= 1.0 and not math.isnan(value)
        assert not math.isnan(f.asa) and not math.isnan(f.average_wait)
    r = staff(a, 180, service_level=0.8, threshold=20)
    assert r.performance.service_level >= 0.8 > erlang_c(a, r.agents - 1, 180, 20).service_level
    big = staff(1_000_000.0, 180, service_level=0.8, threshold=20)
    assert 1_000_000 < big.agents < 1_000_200


def test_erlang_a_overloaded_at_scale_follows_the_fluid_model() -> None:
    # 10,000 Erlangs on 9,000 agents: 10 % of callers must abandon (fluid limit).
    f = erlang_a(10_000.0, 9_000, 180, 300, 20)
    assert f.p_abandon == pytest.approx(0.1, abs=1e-3)
    assert f.p_wait == pytest.approx(1.0, abs=1e-9)


# --- properties ------------------------------------------------------------------------

traffics = st.floats(min_value=0.01, max_value=20_000, allow_nan=False)
agent_counts = st.integers(min_value=0, max_value=25_000)


@given(traffics, agent_counts, st.floats(min_value=0, max_value=600))
@settings(max_examples=200, deadline=None)
def test_erlang_b_and_c_are_probabilities(a: float, n: int, t: float) -> None:
    assert 0.0 <= erlang_b(a, n) <= 1.0
    r = erlang_c(a, n, 180, t)
    for value in (r.p_wait, r.service_level, r.occupancy):
        assert 0.0 <= value <= 1.0
    assert r.asa >= 0.0


@given(
    st.floats(min_value=0.01, max_value=2_000),
    st.integers(min_value=1, max_value=2_500),
    st.floats(min_value=1, max_value=3_600),
    st.floats(min_value=0, max_value=600),
)
@settings(max_examples=150, deadline=None)
def test_erlang_a_figures_are_probabilities(a: float, n: int, patience: float, t: float) -> None:
    r = erlang_a(a, n, 180, patience, t)
    for value in (r.p_wait, r.p_abandon, r.service_level, r.occupancy):
        assert 0.0 <= value <= 1.0
    assert r.p_abandon <= r.p_wait + 1e-12
    assert r.service_level <= 1 - r.p_abandon + 1e-12
    assert r.asa >= 0.0 and 0.0 <= r.average_wait <= patience + 1e-9


@given(st.floats(min_value=0.01, max_value=2_000), st.integers(min_value=1, max_value=2_200))
@settings(max_examples=150, deadline=None)
def test_erlang_b_matches_the_recursion(a: float, n: int) -> None:
    assert erlang_b(a, n) == pytest.approx(erlang_b_recursion(a, n), rel=1e-9, abs=1e-300)


@given(traffics, st.integers(min_value=1, max_value=25_000), st.floats(min_value=0, max_value=600))
@settings(max_examples=150, deadline=None)
def test_erlang_c_service_level_grows_with_agents(a: float, n: int, t: float) -> None:
    assert erlang_c(a, n + 1, 180, t).service_level >= erlang_c(a, n, 180, t).service_level - 1e-12


@given(
    st.floats(min_value=0.01, max_value=3_000),
    st.integers(min_value=1, max_value=3_500),
    st.floats(min_value=10, max_value=1_200),
)
@settings(max_examples=100, deadline=None)
def test_erlang_a_service_level_grows_with_agents(a: float, n: int, patience: float) -> None:
    low, high = erlang_a(a, n, 180, patience, 20), erlang_a(a, n + 1, 180, patience, 20)
    # SL = answered − answered late: ~1e-12 absolute noise when both are near 1.
    assert high.service_level >= low.service_level - 1e-10
    assert high.p_abandon <= low.p_abandon * (1 + 1e-12)


@given(
    st.floats(min_value=0.01, max_value=20_000),
    st.floats(min_value=0.05, max_value=0.99),
    st.floats(min_value=0, max_value=300),
    st.floats(min_value=10, max_value=900),
)
@settings(max_examples=150, deadline=None)
def test_erlang_c_staffing_is_the_smallest_meeting_the_target(
    a: float, target: float, t: float, aht: float
) -> None:
    r = staff(a, aht, service_level=target, threshold=t)
    assert r.performance.service_level >= target
    assert erlang_c(a, r.agents, aht, t).service_level >= target
    assert r.agents == 1 or erlang_c(a, r.agents - 1, aht, t).service_level < target


@given(st.floats(min_value=0.01, max_value=5_000), st.floats(min_value=1, max_value=600))
@settings(max_examples=100, deadline=None)
def test_erlang_c_asa_staffing_is_the_smallest(a: float, target: float) -> None:
    r = staff(a, 180, asa=target)
    assert erlang_c(a, r.agents, 180).asa <= target
    assert r.agents == 1 or erlang_c(a, r.agents - 1, 180).asa > target


@given(
    st.floats(min_value=0.01, max_value=3_000),
    st.floats(min_value=0.05, max_value=0.99),
    st.floats(min_value=10, max_value=1_200),
    st.sampled_from(["service_level", "asa", "max_abandon", "max_occupancy"]),
)
@settings(max_examples=100, deadline=None)
def test_erlang_a_staffing_is_the_smallest(
    a: float, target: float, patience: float, kind: str
) -> None:
    figure = {
        "service_level": lambda f: f.service_level >= target,
        "asa": lambda f: f.asa <= target * 30,
        "max_abandon": lambda f: f.p_abandon <= target / 10,
        "max_occupancy": lambda f: f.occupancy <= target,
    }[kind]
    value = {"service_level": target, "asa": target * 30, "max_abandon": target / 10}.get(
        kind, target
    )
    r = staff(a, 180, patience=patience, threshold=20, **{kind: value})
    assert figure(erlang_a(a, r.agents, 180, patience, 20))
    assert r.agents == 1 or not figure(erlang_a(a, r.agents - 1, 180, patience, 20))


@given(
    st.floats(min_value=0.01, max_value=5_000),
    st.integers(min_value=1, max_value=8),
    st.floats(min_value=0, max_value=0.6),
)
@settings(max_examples=100, deadline=None)
def test_concurrency_and_shrinkage_compose(a: float, k: int, shrinkage: float) -> None:
    one = staff(a, 180, service_level=0.8, threshold=20)
    many = staff(a, 180, service_level=0.8, threshold=20, concurrency=k, shrinkage=shrinkage)
    assert many.agents == -(-one.agents // k)
    assert many.servers == many.agents * k
    assert many.scheduled_agents >= many.agents
    assert (many.scheduled_agents - 1) * (1 - shrinkage) < many.agents + 1e-9
