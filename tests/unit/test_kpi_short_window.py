"""A shorter window read from the sliding window's per-minute buckets (issue 11:
the tower's last 5 minutes), not from a second book."""

from __future__ import annotations

import pytest

from joignable.core import commands as cmd
from joignable.core.kpis.book import KpiBook, KpiSettings

from .test_kpis import small_center, voice


def test_a_short_span_counts_only_its_minutes() -> None:
    e, log = small_center()
    log += e.handle(voice("early"), 1000)  # 10 min before: in the 15, not in the 5
    log += e.handle(cmd.Abandon(contact_id="early"), 1010)
    log += e.handle(voice("late"), 1500)  # 100 s before
    book = KpiBook(KpiSettings(window_s=900))
    book.apply_all(log)
    fifteen = book.window(1600)["all"]
    five = book.window(1600, span_s=300)["all"]
    assert (fifteen.offered, fifteen.abandoned) == (2, 1)
    assert (five.offered, five.abandoned) == (1, 0)
    # the full span is the sliding window itself; what waits now is in every span
    assert book.window(1600, span_s=900) == book.window(1600)
    assert five.waiting == fifteen.waiting == 1


@pytest.mark.parametrize("span", [0, -60, 901])
def test_a_span_the_buckets_do_not_cover_is_refused(span: float) -> None:
    with pytest.raises(ValueError, match=r"span_s must be in \(0, 900\]"):
        KpiBook(KpiSettings(window_s=900)).window(100, span_s=span)
