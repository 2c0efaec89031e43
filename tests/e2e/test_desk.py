"""The agent desk in a real headless Chromium: log in, take an offer, complete,
wrap up with a code; the engine's state is checked through the API."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.live_server import (
    CHROMIUM,
    artefact_on_failure,
    csp_violations,
    live_server,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_agent_takes_a_contact_from_offer_to_wrap_up() -> None:
    with live_server() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page()
        violations = csp_violations(page)
        try:
            with artefact_on_failure(page, server.artefacts, "desk"):
                sign_in(page, server.base, "p01", "/desk")
                expect(page.locator("#conn")).to_have_text("live")
                expect(page.locator("#state")).to_have_text("offline")
                page.click("#btn-login")
                expect(page.locator("#state")).to_have_text("available")

                contact = server.contact("voice")
                card = page.locator(f'.contact-card[data-contact="{contact}"]')
                expect(card).to_have_attribute("data-stage", "offered")
                expect(page.locator("#state")).to_have_text("reserved")
                card.get_by_role("button", name="Accept").click()
                expect(card).to_have_attribute("data-stage", "connected")
                assert server.api("GET", f"/api/contacts/{contact}").json()["state"] == "connected"

                card.get_by_role("button", name="Complete").click()
                expect(card).to_have_attribute("data-stage", "wrap_up")
                expect(card.locator(".title")).to_have_text("Wrap-up: voice")  # not "voice · voice"
                expect(card.get_by_label("solved, no follow-up needed")).to_be_checked()
                card.locator("select").select_option("sale")
                card.get_by_role("button", name="Finish wrap-up").click()
                expect(page.locator("#contacts")).to_contain_text("No contact right now.")
                record = server.api("GET", f"/api/contacts/{contact}").json()
                assert record["state"] == "ended" and record["wrap_up_code"] == "sale"
                assert server.api("GET", "/api/agents/p01").json()["activity"] == "available"

                page.click("#btn-break")
                expect(page.locator("#state")).to_have_text("not ready (break)")
                assert violations == []  # everything ran under the page's CSP
        finally:
            browser.close()


def test_agent_transfers_a_call_then_wraps_up_its_own_part() -> None:
    with live_server() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page()
        try:
            with artefact_on_failure(page, server.artefacts, "desk-transfer"):
                sign_in(page, server.base, "p01", "/desk")
                expect(page.locator("#conn")).to_have_text("live")
                page.click("#btn-login")
                expect(page.locator("#state")).to_have_text("available")
                contact = server.contact("voice")
                card = page.locator(f'.contact-card[data-contact="{contact}"]')
                card.get_by_role("button", name="Accept").click()
                expect(card).to_have_attribute("data-stage", "connected")

                target = card.get_by_label("transfer to")
                expect(target.locator('option[value="queue:voice@lyon"]')).to_have_count(1)
                card.get_by_role("button", name="Transfer").click()  # nothing chosen yet
                expect(page.locator("#toast")).to_contain_text("choose a queue or a colleague")
                target.select_option("queue:voice@lyon")
                card.get_by_role("button", name="Transfer").click()

                leg = page.locator(f'.contact-card[data-contact="{contact}"][data-leg]')
                expect(leg).to_contain_text("Wrap-up after transfer")
                expect(page.locator("#state")).to_have_text("wrap up")
                assert server.api("GET", "/api/agents/p01").json()["wrapping_transferred"] == [
                    contact
                ]
                record = server.api("GET", f"/api/contacts/{contact}").json()
                assert record["state"] == "waiting" and record["queue"] == "voice@lyon"

                # the next agent says whether it is solved
                expect(leg.get_by_label("solved, no follow-up needed")).to_have_count(0)
                leg.locator("select").select_option("information")
                leg.get_by_role("button", name="Finish wrap-up").click()
                expect(page.locator("#contacts")).to_contain_text("No contact right now.")
                expect(page.locator("#state")).to_have_text("available")
                record = server.api("GET", f"/api/contacts/{contact}").json()
                assert record["state"] == "waiting"  # it goes on without this agent
                closed = [h for h in record["history"] if h["event"] == "WrapUpFinished"]
                assert closed and closed[-1]["code"] == "information" and closed[-1]["leg"] > 0
        finally:
            browser.close()
