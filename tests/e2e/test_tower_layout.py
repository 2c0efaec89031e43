"""The tower at phone, laptop and wall widths during live traffic (issue 11):
the page never scrolls sideways and every action button and selector a
supervisor clicks is inside its panel's visible area (it used to sit behind a
sideways scrollbar at 1440 and 1920 px)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.live_server import CHROMIUM, artefact_on_failure, live_server, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OUTSIDE = """() => {
  const out = [];
  for (const panel of document.querySelectorAll("main .panel")) {
    if (panel.hidden) continue;
    const box = panel.getBoundingClientRect();
    for (const c of panel.querySelectorAll("button, select, input")) {
      const r = c.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;  // not displayed at this width
      if (r.left < box.left - 1 || r.right > box.right + 1)
        out.push(`${panel.getAttribute("aria-label")}: ${c.outerHTML.slice(0, 80)} at ${r.left}-${r.right} of ${box.left}-${box.right}`);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("width", [400, 1440, 1920])
def test_every_action_is_inside_its_panel(width: int) -> None:
    with live_server() as server, sync_playwright() as p:
        for agent in ("p01", "l01", "x01"):
            server.api("POST", f"/api/agents/{agent}/login", json={"ready": True})
        for _ in range(5):
            server.contact("voice")
        server.contact("chat", "chat")
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": width, "height": 1000})
        try:
            with artefact_on_failure(page, server.artefacts, f"tower-{width}"):
                sign_in(page, server.base, "supervisor", "/tower")
                expect(page.locator("#conn")).to_have_text("live")
                expect(page.locator("#t-waiting tbody tr").first).to_be_visible()
                expect(page.locator("#t-agents tbody tr").first).to_be_visible()
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                assert page.evaluate(OUTSIDE) == []
                # the buttons are there to be used: one of them, clicked, acts
                voice = page.locator('#t-queue tr[data-id="voice"]')
                voice.locator('button[data-action="standby"]').click()
                expect(voice).to_have_class("standby")
        finally:
            browser.close()
