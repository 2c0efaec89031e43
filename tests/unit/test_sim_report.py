"""The report: confidence intervals, files, and same seed → same bytes (golden file).

Regenerate the golden file after an intended change of the simulator, the KPI book
or the golden scenario, and review the diff before committing it:

    JOIGNABLE_REGEN_GOLDEN=1 .venv/bin/pytest tests/unit/test_sim_report.py -k golden
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from joignable.sim.compare import simulate_report
from joignable.sim.loader import load_scenario
from joignable.sim.report import bounds_of, intervals_csv, summarize, t975, to_json, write_report

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _golden_report() -> str:
    scenario = load_scenario(GOLDEN / "sim-small.yaml")
    return to_json(simulate_report(scenario, seed=7, replications=3))


def test_golden_same_seed_same_report_byte_for_byte() -> None:
    expected = GOLDEN / "sim-small-report.json"
    text = _golden_report()
    if os.environ.get("JOIGNABLE_REGEN_GOLDEN"):
        expected.write_text(text, encoding="utf-8")
    assert text == _golden_report()  # twice in one process
    assert text == expected.read_text(encoding="utf-8"), "run with JOIGNABLE_REGEN_GOLDEN=1"


def test_another_seed_gives_another_report() -> None:
    scenario = load_scenario(GOLDEN / "sim-small.yaml")
    a = to_json(simulate_report(scenario, seed=7, replications=1))
    b = to_json(simulate_report(scenario, seed=8, replications=1))
    assert a != b


def test_t_quantiles_and_summary() -> None:
    assert t975(1) == pytest.approx(12.7062, abs=1e-4)
    assert t975(9) == pytest.approx(2.2622, abs=1e-4)
    assert t975(35) == pytest.approx(2.0301, abs=2e-3)
    assert t975(10_000) == pytest.approx(1.9602, abs=1e-3)
    s = summarize([1.0, 2.0, 3.0, None])
    assert s["mean"] == 2.0 and s["n"] == 3
    assert s["high"] - 2.0 == pytest.approx(4.302653 * 1.0 / 3**0.5, rel=1e-5)
    assert summarize([None])["mean"] is None
    assert summarize([5.0])["low"] is None
    rate = summarize([0.02, 0.9, 0.1], bounds_of("service_level"))
    assert rate["low"] == 0.0 and rate["high"] <= 1.0  # a rate's interval stays in [0, 1]
    assert summarize([0.02, 0.9, 0.1])["low"] < 0  # unbounded: the plain t interval


def test_report_files(tmp_path: Path) -> None:
    scenario = load_scenario(GOLDEN / "sim-small.yaml")
    report = simulate_report(scenario, seed=7, replications=2)
    paths = write_report(report, tmp_path / "out")
    assert [p.name for p in paths] == ["report.json", "intervals.csv", "report.html"]
    for dim in ("overall", "by_queue", "by_channel", "by_site", "by_outsourcer", "by_interval"):
        assert report[dim], dim
    assert set(report["by_site"]) >= {"paris", "lyon", "rabat"}
    assert report["by_outsourcer"]["outsourcer_x"]["answered"]["mean"] > 0
    overall = report["overall"]
    for metric in ("service_level", "service_level_excl_short", "asa", "reachability", "lost"):
        assert overall[metric]["mean"] is not None, metric
    assert overall["callbacks"]["mean"] > 0 and overall["self_service"]["mean"] > 0
    assert "all contacts offered" in report["definitions"]["service_level"]
    rows = intervals_csv(report).splitlines()
    assert rows[0].startswith("interval,start_epoch,arrivals,")
    assert rows[1].startswith("09:00,")
    html = (tmp_path / "out" / "report.html").read_text()
    assert html.count("<svg") == 5 and "<script" not in html
    assert not re.search(r"(src|href)=\"?(https?:)?//", html)
    assert "SL excl. short abandons" in html


def test_chart_axes_read_as_round_numbers() -> None:
    from joignable.sim.html import chart

    svg = chart("ASA", ["08:00", "08:15", "08:30"], [("ASA", [12.0, 1860.0, 640.0])])
    ticks = re.findall(r'class="a" text-anchor="end">([^<]+)<', svg)
    assert ticks == ["0", "500", "1,000", "1,500", "2,000"]
    small = chart("x", ["a", "b"], [("x", [0.2, 0.46])])
    assert re.findall(r'text-anchor="end">([^<]+)<', small) == [
        "0",
        "0.125",
        "0.25",
        "0.375",
        "0.5",
    ]
    flat = chart("x", ["a", "b"], [("x", [0.0, 0.0])])
    assert "nan" not in flat and 'text-anchor="end">1<' in flat
