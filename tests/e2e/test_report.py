"""The simulation report in a real headless Chromium, as a director opens it from
a mail attachment: one file, nothing fetched, the five charts drawn with their
axes, the headline figures and tables equal to report.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from joignable.sim.compare import simulate_report
from joignable.sim.loader import load_scenario
from joignable.sim.report import write_report
from tests.e2e.live_server import CHROMIUM, artefact_on_failure

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "sim-small.yaml"
CHARTS = ["Arrivals vs capacity", "Service level", "ASA", "Abandonment rate", "Occupancy"]


def test_report_opens_offline_with_its_charts_and_figures(tmp_path: Path) -> None:
    scenario = load_scenario(GOLDEN)
    write_report(simulate_report(scenario, seed=3, replications=2), tmp_path)
    report = json.loads((tmp_path / "report.json").read_text())
    overall = report["overall"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        try:
            with artefact_on_failure(page, tmp_path, "report"):
                page.goto((tmp_path / "report.html").as_uri())
                expect(page.locator("h1")).to_have_text(scenario.name)
                charts = page.locator("svg[role=img]")
                expect(charts).to_have_count(5)
                labels = [charts.nth(i).get_attribute("aria-label") or "" for i in range(5)]
                for want, got in zip(CHARTS, labels, strict=True):
                    assert got.startswith(want), labels
                for i in range(5):
                    chart = charts.nth(i)
                    box = chart.bounding_box()
                    assert box is not None and box["width"] > 600 and box["height"] > 150
                    assert chart.locator("polyline, circle").count() >= 1  # a series is drawn
                    ticks = chart.locator("text.a").all_text_contents()
                    assert ticks and not any(re.search(r"\de[+-]\d", t) for t in ticks), ticks
                reach = f"{100 * overall['reachability']['mean']:.1f} %"
                expect(page.get_by_text(reach).first).to_be_visible()
                expect(page.get_by_role("heading", name="Per queue")).to_be_visible()
                expect(page.locator("table tr th", has_text="billing").first).to_be_visible()
        finally:
            browser.close()
    assert requests == [(tmp_path / "report.html").as_uri()]  # nothing else fetched
