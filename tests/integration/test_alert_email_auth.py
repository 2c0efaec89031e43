"""Alert e-mail through an SMTP relay that requires a login: the server reads
the user, the password and the TLS mode from the environment and signs in.
The relay is a real aiosmtpd on 127.0.0.1 that refuses mail without AUTH."""

from __future__ import annotations

import time
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.integration.conftest import add_users, free_port, start_server

CENTER = """
queues:
  - {id: chat, channels: [chat]}
alerts:
  - {id: chat-backlog, metric: waiting, scope: queue, scope_id: chat, threshold: 1,
     severity: critical, title: Chat backlog}
"""


class Relay:
    """Accepts mail only after AUTH as tower / its password."""

    def __init__(self) -> None:
        self.messages: list[tuple[bool, bytes]] = []
        self.logins: list[tuple[bytes, bytes]] = []

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=(data.login, data.password) == (b"tower", b"relay pass"))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((session.authenticated, envelope.content))
        return "250 OK"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_alert_mail_goes_through_an_authenticated_relay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay = Relay()
    port = free_port()
    controller = Controller(
        relay, hostname="127.0.0.1", port=port, authenticator=relay.authenticate,
        auth_required=True, auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    for name, value in {
        "JOIGNABLE_ALERT_SMTP": f"127.0.0.1:{port}",
        "JOIGNABLE_ALERT_EMAIL_TO": "sup@example.org",
        "JOIGNABLE_ALERT_EMAIL_FROM": "tower@example.org",
        "JOIGNABLE_ALERT_SMTP_USER": "tower",
        "JOIGNABLE_ALERT_SMTP_PASSWORD": "relay pass",
        "JOIGNABLE_ALERT_SMTP_TLS": "none",  # a local relay without TLS, said explicitly
    }.items():
        monkeypatch.setenv(name, value)
    center = tmp_path / "center.yaml"
    center.write_text(CENTER, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'mail.db'}"
    add_users(url)
    server = start_server(url, center)
    try:
        root = server.client("root")
        for _ in range(2):  # nobody answers chat: 2 waiting, over the threshold of 1
            body = {"channel": "chat", "queue": "chat"}
            assert root.post("/api/contacts", json=body).status_code == 201
        deadline = time.monotonic() + 15
        while not relay.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        ((signed_in, raw),) = relay.messages
        assert signed_in and relay.logins == [(b"tower", b"relay pass")]
        mail = message_from_bytes(raw)
        assert mail["Subject"].startswith("[joignable] CRITICAL RAISED: Chat backlog")
        assert (mail["From"], mail["To"]) == ("tower@example.org", "sup@example.org")

        def delivered() -> bool:
            rows = root.get("/api/alerts/history").json()
            return bool(rows) and rows[0]["deliveries"].get("email sup@example.org", {}).get("ok")

        deadline = time.monotonic() + 10
        while not delivered() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert delivered()
    finally:
        server.stop()
        controller.stop()
