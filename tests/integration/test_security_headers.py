"""Security headers over real HTTP: every page sends a Content-Security-Policy
allowing nothing inline and nothing from another origin; every response sends
nosniff, a referrer policy and refuses framing; the session cookie is HttpOnly
and SameSite."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import PASSWORD, Server


def _sign_in(browser: httpx.Client, user: str) -> httpx.Response:
    assert browser.get("/login").status_code == 200
    form = {"username": user, "password": PASSWORD, "csrf_token": browser.cookies["joignable_csrf"]}
    return browser.post("/login", data={**form, "next": "/"}, follow_redirects=False)


@pytest.mark.parametrize("path", ["/login", "/docs"])
def test_every_page_sends_a_strict_content_security_policy(
    sqlite_server: Server, path: str
) -> None:
    response = sqlite_server.client().get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = {
        d.split()[0]: d.split()[1:] for d in response.headers["content-security-policy"].split("; ")
    }
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "<script>" not in response.text  # no inline script to be refused
    assert " style=" not in response.text


def test_the_signed_in_pages_send_the_policy_and_have_no_inline_style(
    sqlite_server: Server,
) -> None:
    for user, path in (("p01", "/desk"), ("sup", "/tower"), ("sup", "/")):
        with httpx.Client(base_url=sqlite_server.url) as browser:
            assert _sign_in(browser, user).status_code == 303
            page = browser.get(path, follow_redirects=True)
            assert page.status_code == 200, (path, page.text)
            assert "script-src 'self'" in page.headers["content-security-policy"]
            assert " style=" not in page.text and "<script>" not in page.text


def test_every_response_refuses_sniffing_and_framing(sqlite_server: Server) -> None:
    for response in (
        sqlite_server.client().get("/login"),
        sqlite_server.client().get("/api/contacts"),  # a 401 JSON answer
        sqlite_server.client().get("/static/app.css"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers  # plain HTTP


def test_the_session_cookie_is_httponly_and_samesite(sqlite_server: Server) -> None:
    with httpx.Client(base_url=sqlite_server.url) as browser:
        response = _sign_in(browser, "p01")
    session = [c for c in response.headers.get_list("set-cookie") if c.startswith("joignable_s")]
    assert session, response.headers.get_list("set-cookie")
    flags = session[0].lower()
    assert "httponly" in flags
    assert "samesite=lax" in flags or "samesite=strict" in flags


def test_https_responses_carry_strict_transport_security(sqlite_server: Server) -> None:
    # Behind a TLS proxy on loopback: uvicorn takes the scheme from X-Forwarded-Proto.
    response = sqlite_server.client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "max-age=" in response.headers["strict-transport-security"]
