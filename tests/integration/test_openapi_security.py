"""The OpenAPI schema says how to authenticate (issue 11: /docs could not
"Try it out"): a bearer scheme, required by every operation but the public
ones, and every operation filed under a named section, none under "default"."""

from __future__ import annotations

from pathlib import Path

from joignable.web.app import create_app
from joignable.web.state import Settings
from tests.integration.conftest import Server

PUBLIC = {
    ("POST", "/api/auth/token"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    # channel adapters authenticate their senders themselves (the webhook's HMAC)
    ("POST", "/channels/{kind}/{name}"),
}


def test_the_schema_declares_the_bearer_token_and_names_every_section(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'o.db'}"))
    schema = app.openapi()
    assert schema["components"]["securitySchemes"]["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "a token from POST /api/auth/token",
    }
    operations = [
        (method.upper(), path, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    ]
    assert len(operations) > 20
    for method, path, op in operations:
        expected = [] if (method, path) in PUBLIC else [{"bearerToken": []}]
        assert op["security"] == expected, (method, path)
        assert op.get("tags") and "default" not in op["tags"], (method, path)


def test_the_favicon_is_served(sqlite_server: Server) -> None:
    client = sqlite_server.client()
    r = client.get("/favicon.ico", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon"' in client.get("/login").text
