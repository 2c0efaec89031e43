"""The tower's colours in a real headless Chromium (issue 11): a figure cell's
class follows the status the server judged on the queue's own target (not a
threshold in the page script), the cell carries a mark beside the colour, and
the legend saying what each colour means is visible."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.live_server import CHROMIUM, artefact_on_failure, live_server, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SL_COL = 2  # td index: waiting, longest wait, service level
CLASS = {"ok": "good", "warning": "warn", "critical": "bad"}


def test_a_cell_is_coloured_by_the_status_the_server_judged() -> None:
    with live_server() as server, sync_playwright() as p:
        for _ in range(3):  # nobody logged in: they wait, none answered in time
            server.contact("voice")
        live = server.api("GET", "/api/live").json()
        assert live["figures"]["sliding"]["queue"]["voice"]["service_level"] == 0
        # 0 % against the queue's 80 % target, no alert rule: a warning — the page's
        # old thresholds painted any service level under 60 % red
        assert live["statuses"]["sliding"]["queue"]["voice"]["service_level"] == "warning"

        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        try:
            with artefact_on_failure(page, server.artefacts, "tower-status"):
                sign_in(page, server.base, "supervisor", "/tower")
                expect(page.locator("#conn")).to_have_text("live")
                cell = page.locator('#t-queue tr[data-id="voice"] td').nth(SL_COL)
                expect(cell).to_have_text("0 %")
                expect(cell).to_have_class(CLASS["warning"])
                expect(cell).to_have_attribute("data-status", "warning")
                assert "short of the queue's target" in (cell.get_attribute("title") or "")
                # the mark beside the colour (not colour alone)
                mark = cell.evaluate("c => getComputedStyle(c, '::before').content")
                assert mark == '"▲"'
                # a figure nothing judges (no target, no rule): no colour, no mark
                aht = page.locator('#t-queue tr[data-id="voice"] td').nth(5)
                expect(aht).to_have_class("")
                assert aht.get_attribute("data-status") is None
                legend = page.locator("#legend")
                expect(legend).to_be_visible()
                expect(legend).to_contain_text("critical")
                expect(legend).to_contain_text("past a critical alert rule")
                expect(legend).to_contain_text("short of the queue's target")

                # the last 5 minutes, chosen once, are still shown after a reload
                page.locator('.window-toggle [data-window="5m"]').click()
                expect(cell).to_have_attribute("data-status", "warning")
                page.reload()
                expect(page.locator("#conn")).to_have_text("live")
                expect(page.locator('.window-toggle [data-window="5m"]')).to_have_class("seg on")
                expect(page.locator('.window-toggle [data-window="sliding"]')).to_have_class("seg")
                expect(cell).to_have_text("0 %")
        finally:
            browser.close()
