"""The tower's "needed now" column in a real headless Chromium (issue 11): a queue
with traffic and nobody left to answer shows the agents the server's staffing needs,
beside the agents logged in and the gap in red, with a tooltip saying how it is
computed; a queue with no arrivals shows "—"."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.live_server import CHROMIUM, artefact_on_failure, live_server, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEEDED_COL = 9  # td index: waiting … occ. (7), volume, agents, needed now


def test_the_needed_now_column_shows_the_staffing_of_a_queue_with_traffic() -> None:
    with live_server() as server, sync_playwright() as p:
        assert server.api("POST", "/api/agents/p01/login", json={"ready": True}).is_success
        for _ in range(2):  # two contacts handled: the queue has a handle time
            contact = server.contact("voice")
            assert server.api("GET", f"/api/contacts/{contact}").json()["agent"] == "p01"
            base = f"/api/agents/p01/contacts/{contact}"
            assert server.api("POST", f"/api/agents/p01/offers/{contact}/accept").is_success
            time.sleep(0.3)
            assert server.api("POST", f"{base}/complete").is_success
            assert server.api("POST", f"{base}/wrap-up", json={"resolved": True}).is_success
        # the one agent leaves: the queue is short of the agent it needs
        assert server.api("POST", "/api/agents/p01/logout").is_success
        for _ in range(4):
            server.contact("voice")
        live = server.api("GET", "/api/live").json()["needed"]
        voice = live["voice"]
        # (a share of the phone calls may go to voice@lyon: the example's throttle)
        assert voice["agents"] is not None and voice["offered"] >= 2
        assert voice["logged_in"] == 0 and voice["short"] == voice["agents"] > 0

        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        try:
            with artefact_on_failure(page, server.artefacts, "tower-needed"):
                sign_in(page, server.base, "supervisor", "/tower")
                expect(page.locator("#conn")).to_have_text("live")
                cell = page.locator('#t-queue tr[data-id="voice"] td').nth(NEEDED_COL)
                expect(cell).to_have_text(f"{voice['agents']} · 0 in · −{voice['short']}")
                expect(cell).to_have_class("needed bad")  # red: short
                title = cell.get_attribute("title") or ""
                assert f"{voice['offered']} arrivals in the last 15 min" in title
                assert "AHT" in title and "target 80 % answered within 20 s" in title
                assert "Erlang C" in title
                agents = voice["agents"]
                assert f"{agents} agent{'' if agents == 1 else 's'} needed, 0 logged in" in title
                print(f"tooltip: {title}")
                # a queue nobody called: no figure, not 0
                email = page.locator('#t-queue tr[data-id="email"] td').nth(NEEDED_COL)
                expect(email).to_have_text("— · 0 in")
                assert "no arrivals" in (email.get_attribute("title") or "")
                header = page.locator("#t-queue thead th").nth(NEEDED_COL + 1)
                expect(header).to_have_text("Needed now")
                shot = server.artefacts / "tower-needed-1440.png"
                page.screenshot(path=str(shot), full_page=True)
                print(f"screenshot: {shot}")
        finally:
            browser.close()
