"""The JSON webhook channel over real HTTP (uvicorn on 127.0.0.1): mounted from
the configuration's `channels:` section, a signed contact is durable in the
event log before the 202; unsigned, badly signed or malformed requests store
nothing; a channel that is not configured is not there (404)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from joignable.channels.webhook.codec import sign
from tests.integration.conftest import CENTER_YAML, Server, add_users, start_server

SECRET_ENV = "JOIGNABLE_TEST_CRM_SECRET"
SECRET = "crm-signing-secret"
URL = "/channels/webhook/crm"


def with_channels(tmp_path: Path, entries: str) -> Path:
    path = tmp_path / "center.yaml"
    path.write_text(CENTER_YAML.read_text() + "\nchannels:\n" + entries)
    return path


@pytest.fixture(scope="module")
def webhook_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module (each test uses its own contact ids)."""
    tmp_path = tmp_path_factory.mktemp("webhook")
    os.environ[SECRET_ENV] = SECRET
    url = f"sqlite:///{tmp_path / 'webhook.db'}"
    add_users(url)
    config = with_channels(
        tmp_path, f"  - {{kind: webhook, name: crm, secret_env: {SECRET_ENV}, channel: email}}\n"
    )
    try:
        running = start_server(url, config)
    finally:
        del os.environ[SECRET_ENV]  # read at start: the server keeps its adapter
    try:
        yield running
    finally:
        running.stop()


def post(server: Server, payload: Any, secret: str | None = SECRET) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Joignable-Signature"] = sign(secret, body)
    return server.client().post(URL, content=body, headers=headers)


def queued(server: Server, contact_id: str | None = None) -> list[dict[str, Any]]:
    """The contacts the event log holds (ContactQueued events' contacts), of
    `contact_id` only when given."""
    return [
        r.data["contact"]
        for r in server.services.log.read()
        if r.kind == "ContactQueued" and contact_id in (None, r.data["contact"]["id"])
    ]


def test_a_signed_contact_is_in_the_log_before_the_202(webhook_server: Server) -> None:
    r = post(webhook_server, {"id": "ticket-1", "queue": "email", "customer": "cust-1",
                              "identifiers": {"email": "ana@example.org"}})  # fmt: skip
    assert r.status_code == 202, r.text
    answer = r.json()
    assert answer["queue"] == "email" and answer["replayed"] is False
    (stored,) = queued(webhook_server, answer["contact_id"])  # durable when the answer came
    assert stored["channel"] == "email"  # the channel's default
    assert ["customer.email", "ana@example.org"] in stored["attributes"]
    seen = webhook_server.client("sup").get(f"/api/contacts/{answer['contact_id']}")
    assert seen.status_code == 200 and seen.json()["state"] == "waiting"


def test_a_retry_with_the_same_id_gets_the_same_contact(webhook_server: Server) -> None:
    payload = {"id": "ticket-2", "queue": "email"}
    first = post(webhook_server, payload)
    again = post(webhook_server, payload)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["contact_id"] == first.json()["contact_id"]
    assert again.json()["replayed"] is True
    assert len(queued(webhook_server, first.json()["contact_id"])) == 1
    before = len(queued(webhook_server))
    changed = post(webhook_server, {**payload, "priority": 9})
    assert changed.status_code == 409 and "id" in changed.text
    assert len(queued(webhook_server)) == before


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("not the secret", 403)])
def test_unsigned_or_badly_signed_stores_nothing(
    webhook_server: Server, secret: str | None, status: int
) -> None:
    before = list(webhook_server.services.log.read())
    r = post(webhook_server, {"id": "ticket-3", "queue": "email"}, secret=secret)
    assert r.status_code == status, r.text
    assert "signature" in r.text
    assert list(webhook_server.services.log.read()) == before


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        (b"{not json", 400, None),
        ({"id": "t-4", "queue": "email", "prority": 1}, 422, "prority"),
        ({"id": "t-4", "queue": "emial"}, 422, "queue"),
        ({"queue": "email"}, 422, "id"),
    ],
)
def test_a_malformed_contact_is_4xx_naming_the_field(
    webhook_server: Server, payload: Any, status: int, field: str | None
) -> None:
    before = list(webhook_server.services.log.read())
    r = post(webhook_server, payload)
    assert r.status_code == status, r.text
    detail = r.json()["detail"][0]
    if field is not None:
        assert detail["loc"] == ["body", field]
        assert field in detail["msg"]
    assert list(webhook_server.services.log.read()) == before


def test_a_queue_that_does_not_take_the_channel_is_409(webhook_server: Server) -> None:
    before = len(queued(webhook_server))
    r = post(webhook_server, {"id": "t-5", "queue": "voice"})  # email into the phone queue
    assert r.status_code == 409, r.text
    assert len(queued(webhook_server)) == before


def test_a_name_not_configured_is_404(webhook_server: Server) -> None:
    r = webhook_server.client().post("/channels/webhook/erp", content=b"{}")
    assert r.status_code == 404 and "webhook/erp" in r.text
    r = webhook_server.client().post("/channels/sms/crm", content=b"{}")
    assert r.status_code == 404


@pytest.mark.slow
def test_no_channel_is_mounted_without_a_channels_section(sqlite_server: Server) -> None:
    server = sqlite_server
    body = json.dumps({"id": "t-6", "queue": "email"}).encode()
    headers = {"X-Joignable-Signature": sign(SECRET, body)}
    r = server.client().post(URL, content=body, headers=headers)  # no channels: section
    assert r.status_code == 404
    assert queued(server) == []
