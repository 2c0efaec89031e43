"""The simulator against queueing theory: a single-skill M/M/N center run on the real
engine must agree with Erlang C (patient callers) and Erlang A (exponential patience)
within the 95 % confidence interval of its replications.

Reference: 100 calls / 30 min, AHT 180 s (10 Erlangs), 14 agents, T = 20 s →
SL 0.888, P(wait) 0.174, ASA 7.84 s, occupancy 0.714 (docs KPIS.md).
"""

from __future__ import annotations

import pytest

from joignable.core.planning.staffing import erlang_a, erlang_c
from joignable.sim.report import replication_figures, summarize
from joignable.sim.runner import RunResult, simulate
from joignable.sim.whatif import apply_overrides

from .sim_helpers import mmn

REPLICATIONS = 8


def _runs(scenario, seed: int = 11) -> list[RunResult]:
    return [simulate(scenario, seed, rep) for rep in range(REPLICATIONS)]


def _stat(runs: list[RunResult], fn) -> dict:
    return summarize([fn(replication_figures(r)["all"]["all"]) for r in runs])


def _inside(stat: dict, value: float) -> bool:
    return stat["low"] <= value <= stat["high"]


@pytest.mark.slow
def test_mmn_agrees_with_erlang_c() -> None:
    theory = erlang_c(10.0, 14, 180.0, 20.0)
    runs = _runs(mmn(agents=14))
    sl = _stat(runs, lambda f: f["service_level"])
    asa = _stat(runs, lambda f: f["asa"])
    occ = _stat(runs, lambda f: f["occupancy"])
    assert _inside(sl, theory.service_level), (sl, theory)
    assert _inside(asa, theory.asa), (asa, theory)
    assert _inside(occ, theory.occupancy), (occ, theory)
    assert abs(sl["mean"] - 0.8884) < 0.02 and abs(asa["mean"] - 7.836) < 1.5
    # P(wait): SL with a threshold of (almost) zero is the share answered at once.
    at_once = apply_overrides(mmn(agents=14), ["queues.q.sl_seconds=0.000001"])
    p_wait = _stat(_runs(at_once), lambda f: 1.0 - f["service_level"])
    assert _inside(p_wait, theory.p_wait), (p_wait, theory)


@pytest.mark.slow
def test_mmn_with_patience_agrees_with_erlang_a() -> None:
    theory = erlang_a(10.0, 11, 180.0, 120.0, 20.0)
    runs = _runs(mmn(agents=11, patience=120.0), seed=5)
    p_ab = _stat(runs, lambda f: f["abandoned"] / f["offered"])
    sl = _stat(runs, lambda f: f["service_level"])
    asa = _stat(runs, lambda f: f["asa"])
    assert _inside(p_ab, theory.p_abandon), (p_ab, theory)
    assert _inside(sl, theory.service_level), (sl, theory)
    assert _inside(asa, theory.asa), (asa, theory)


def test_short_run_is_in_the_right_region() -> None:
    """A quick check for `make unit`: 6 hours, one replication, loose bounds."""
    r = simulate(mmn(agents=14, hours=6), seed=3)
    f = replication_figures(r)["all"]["all"]
    assert f["offered"] == f["answered"] > 1000
    assert 0.75 < f["service_level"] <= 1.0
    assert 0.6 < f["occupancy"] < 0.8
