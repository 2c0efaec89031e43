"""`core/planning/needed_now.py`: the tower's "agents needed now" is `staff` on the
measured traffic, and says why when there is no figure (issue 11)."""

from __future__ import annotations

import pytest

from joignable.core.planning.needed_now import (
    NO_AHT,
    NO_ARRIVALS,
    TARGET_OUT_OF_RANGE,
    needed_now,
)
from joignable.core.planning.staffing import erlang_c, staff


def test_the_figure_is_erlang_c_staffing_on_the_rate_and_aht() -> None:
    # KPIS.md's reference traffic: 100 calls in 30 min, AHT 180 s = 10 Erlangs; the
    # figure is the smallest staff meeting 80 % in 20 s (one agent fewer misses it)
    n = needed_now(100, 1800, 180, sl_target=0.8, sl_seconds=20)
    assert n.traffic == pytest.approx(10.0)
    assert n.agents == staff(10.0, 180, service_level=0.8, threshold=20).agents
    assert erlang_c(10.0, n.agents, 180, 20).service_level >= 0.8
    assert erlang_c(10.0, n.agents - 1, 180, 20).service_level < 0.8
    assert (n.model, n.aht_from, n.why) == ("erlang_c", "measured", "")
    assert n.as_dict()["agents"] == n.agents


def test_a_patience_makes_it_erlang_a() -> None:
    n = needed_now(100, 1800, 180, sl_target=0.8, sl_seconds=20, patience=120)
    expected = staff(10.0, 180, service_level=0.8, threshold=20, patience=120)
    assert (n.agents, n.model) == (expected.agents, "erlang_a")


def test_no_arrivals_or_no_handle_time_give_no_figure() -> None:
    idle = needed_now(0, 900, 120, sl_target=0.8, sl_seconds=20)
    assert (idle.agents, idle.why) == (None, NO_ARRIVALS)
    unknown = needed_now(5, 900, None, sl_target=0.8, sl_seconds=20)
    assert (unknown.agents, unknown.why, unknown.aht_from) == (None, NO_AHT, "")
    # the queue's default handle time stands in for an unknown one
    default = needed_now(5, 900, None, sl_target=0.8, sl_seconds=20, default_aht=300)
    assert default.aht_from == "default" and default.aht == 300
    assert default.agents == staff(5 * 300 / 900, 300, service_level=0.8, threshold=20).agents


@pytest.mark.parametrize("target", [0.0, 1.0])
def test_a_target_no_staffing_plans_for_gives_no_figure(target: float) -> None:
    n = needed_now(10, 900, 120, sl_target=target, sl_seconds=20)
    assert (n.agents, n.why) == (None, TARGET_OUT_OF_RANGE)


@pytest.mark.parametrize(("offered", "window"), [(-1, 900.0), (3, 0.0), (3, float("nan"))], ids=str)
def test_bad_inputs_are_named(offered: int, window: float) -> None:
    with pytest.raises(ValueError, match=r"offered|window_s"):
        needed_now(offered, window, 120, sl_target=0.8, sl_seconds=20)
