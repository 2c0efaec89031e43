"""Each user lands on their own page (issue 11): an agent on /tower gets a
page saying whose page it is with a link to their desk (not raw JSON); a
supervisor on /desk goes to the tower, opens an agent's desk with ?agent=,
and gets a clear page for an agent that does not exist or is not theirs."""

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


def test_every_user_is_sent_to_their_own_page() -> None:
    with live_server() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            agent = browser.new_page(viewport={"width": 400, "height": 800})
            violations = csp_violations(agent)
            with artefact_on_failure(agent, server.artefacts, "agent-on-tower"):
                sign_in(agent, server.base, "p01", "/desk")
                response = agent.goto(f"{server.base}/tower")
                assert response is not None and response.status == 403
                expect(agent.locator("#refused")).to_contain_text(
                    "This page is for admins and supervisors."
                )
                expect(agent.locator("#refused")).to_contain_text("p01 (agent)")
                agent.get_by_role("link", name="Go to my desk").click()
                expect(agent.locator("#conn")).to_have_text("live")
                assert violations == []

            sup = browser.new_page(viewport={"width": 1440, "height": 900})
            errors: list[str] = []
            sup.on("pageerror", lambda exc: errors.append(str(exc)))
            with artefact_on_failure(sup, server.artefacts, "supervisor-on-desk"):
                sign_in(sup, server.base, "supervisor", "/tower")
                sup.goto(f"{server.base}/desk")
                sup.wait_for_url("**/tower")
                sup.goto(f"{server.base}/desk?agent=p01")
                expect(sup.locator("#conn")).to_have_text("live")
                expect(sup.locator(".who")).to_contain_text("supervisor as p01")
                response = sup.goto(f"{server.base}/desk?agent=nobody")
                assert response is not None and response.status == 404
                expect(sup.locator("#refused")).to_contain_text("No agent 'nobody'.")
                expect(sup.get_by_role("link", name="Go to the control tower")).to_be_visible()
            assert errors == []

            acme = browser.new_page()
            with artefact_on_failure(acme, server.artefacts, "outsourcer-on-desk"):
                sign_in(acme, server.base, "acme", "/tower")
                response = acme.goto(f"{server.base}/desk?agent=p01")  # a Paris agent
                assert response is not None and response.status == 403
                expect(acme.locator("#refused")).to_contain_text("outside your scope")
        finally:
            browser.close()
