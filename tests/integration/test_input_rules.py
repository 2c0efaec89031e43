"""Bad input over real HTTP: a 422 names the field and the problem and never
echoes what was sent (a huge body must not come back)."""

from __future__ import annotations

from tests.integration.conftest import Server


def test_a_422_names_the_field_but_never_echoes_the_input(server: Server) -> None:
    root = server.client("root")
    secret = "do-not-echo-" + "x" * 10_000
    response = root.post(
        "/api/contacts", json={"channel": "voice", "queue": "voice", "customer": {"n": secret}}
    )
    assert response.status_code == 422, response.text
    assert "do-not-echo" not in response.text
    problems = response.json()["detail"]
    assert any("customer" in p["loc"] for p in problems)
    assert all(set(p) == {"loc", "msg", "type"} for p in problems)
