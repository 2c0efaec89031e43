"""The API documentation in a real headless Chromium on a closed network: every
request off the machine is refused, and Swagger UI (/docs) still renders the
whole API, with its files served by joignable itself; "Authorize" takes a
bearer token and "Try it out" then gets real answers."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import Route, expect, sync_playwright

from tests.e2e.live_server import (
    CHROMIUM,
    PASSWORDS,
    artefact_on_failure,
    csp_violations,
    live_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_api_docs_render_without_any_request_off_the_machine() -> None:
    with live_server() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        violations = csp_violations(page)
        outside: list[str] = []

        def closed_network(route: Route) -> None:
            if urlparse(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", closed_network)
        try:
            with artefact_on_failure(page, server.artefacts, "api-docs"):
                page.goto(f"{server.base}/docs")
                expect(page.locator(".swagger-ui .info .title")).to_contain_text("joignable")
                expect(
                    page.locator(".opblock-summary-path", has_text="/api/contacts").first
                ).to_be_visible()
                page.locator(".opblock-summary-path", has_text="/api/auth/token").first.click()
                expect(page.get_by_text("username").first).to_be_visible()
                # Authorize with a bearer token, then "Try it out" works (no CSRF asked)
                token = page.context.request.post(
                    f"{server.base}/api/auth/token",
                    data={"username": "supervisor", "password": PASSWORDS["supervisor"]},
                ).json()["access_token"]
                page.locator(".btn.authorize").first.click()
                page.locator(".modal-ux input").first.fill(token)
                page.locator(".modal-ux .btn.authorize").first.click()
                page.locator(".modal-ux .btn-done").first.click()
                # GET /api/queues itself (its block's id: tag and operation id),
                # not the first path that starts with it
                queues = page.locator("#operations-configuration-list_queues_api_queues_get")
                queues.locator(".opblock-summary").click()
                queues.locator(".try-out__btn").click()
                queues.locator(".execute").click()
                expect(
                    queues.locator(".live-responses-table tbody .response-col_status").first
                ).to_have_text("200")
                assert violations == []  # everything ran under the page's CSP
            assert page.context.request.get(f"{server.base}/redoc").status == 404
        finally:
            browser.close()
    assert outside == []  # nothing was asked of a CDN or any other host
