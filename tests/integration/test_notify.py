"""Alert notifications against a real local HTTP receiver and a real SMTP sink."""

from __future__ import annotations

import asyncio
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from joignable.core.alerts.rules import AlertEvaluator, AlertRule, ScopeKind, Severity
from joignable.core.routing.throttle import ThrottleLowered, ThrottleRaised
from joignable.service.notify import (
    SIGNATURE_HEADER,
    EmailTarget,
    Notifier,
    WebhookTarget,
    verify,
)
from joignable.store import EventLog
from joignable.store.alerts import AlertHistory
from joignable.store.throttles import ThrottleHistory

SECRET = "s3cret"
RULE = AlertRule(
    id="abandon", metric="abandonment_rate", scope=ScopeKind.QUEUE, threshold=0.1, clear=0.05,
    severity=Severity.CRITICAL,
)  # fmt: skip


def alert_events():
    ev = AlertEvaluator([RULE])
    (raised,) = ev.evaluate({"sliding": {"queue": {"billing": {"abandonment_rate": 0.3}}}}, 100.0)
    (cleared,) = ev.evaluate({"sliding": {"queue": {"billing": {"abandonment_rate": 0.0}}}}, 160.0)
    return raised, cleared


class Receiver:
    """A real HTTP server on 127.0.0.1: answers `statuses` in turn (then 200)."""

    def __init__(self, statuses: list[int], port: int = 0) -> None:
        self.statuses = list(statuses)
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.requests.append((dict(self.headers.items()), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def history(tmp_path: Path) -> Iterator[AlertHistory]:
    log = EventLog.open(str(tmp_path / "center.db"))
    yield AlertHistory(log.engine, tenant=log.tenant)
    log.close()


def test_webhook_is_signed_retried_with_back_off_and_recorded(history: AlertHistory) -> None:
    raised, cleared = alert_events()
    receiver = Receiver([503, 502])
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    async def run() -> None:
        target = WebhookTarget(url=receiver.url, secret=SECRET, backoff_s=0.25)
        notifier = Notifier(webhooks=[target], history=history, center="demo", sleep=fake_sleep)
        notifier.notify(raised)
        notifier.notify(raised)  # the same event again: recorded and sent once
        await notifier.drain()
        notifier.notify(cleared)
        await notifier.aclose()
        stats = notifier.statistics()
        assert (stats.recorded, stats.duplicates, stats.delivered, stats.failed) == (2, 1, 2, 0)

    try:
        asyncio.run(run())
    finally:
        receiver.close()
    assert delays == [0.25, 0.5]  # exponential back-off between the three attempts
    bodies = [body for _, body, _ in receiver.requests]
    assert [status for *_, status in receiver.requests] == [503, 502, 200, 200]
    assert bodies[0] == bodies[1] == bodies[2]  # the same body each attempt
    for headers, body, _ in receiver.requests:
        assert verify(SECRET, body, headers[SIGNATURE_HEADER])
        assert not verify("wrong", body, headers[SIGNATURE_HEADER])
        assert headers["Idempotency-Key"] == json.loads(body)["id"]
    first = json.loads(bodies[0])
    assert first["type"] == "alert.raised" and first["alert"]["scope_id"] == "billing"
    assert first["id"] == raised.id and json.loads(bodies[3])["id"] == cleared.id
    rows = history.recent()
    assert [r["kind"] for r in rows] == ["AlertCleared", "AlertRaised"]
    assert rows[1]["deliveries"][f"webhook {receiver.url}"] == {
        "ok": True, "attempts": 3, "status": "HTTP 200",
    }  # fmt: skip


@pytest.mark.slow
def test_permanent_refusal_is_not_retried_and_unreachable_gives_up(history: AlertHistory) -> None:
    raised, _ = alert_events()
    receiver = Receiver([400])
    refused = Receiver([])
    refused.close()  # nothing listens there any more

    async def no_sleep(_: float) -> None:
        return None

    async def run() -> None:
        notifier = Notifier(
            webhooks=[
                WebhookTarget(url=receiver.url, secret=SECRET),
                WebhookTarget(url=refused.url, secret=SECRET, max_attempts=3, timeout_s=1),
            ],
            history=history,
            sleep=no_sleep,
        )
        notifier.notify(raised)
        await notifier.aclose()

    try:
        asyncio.run(run())
    finally:
        receiver.close()
    assert len(receiver.requests) == 1
    (row,) = history.recent()
    assert row["deliveries"][f"webhook {receiver.url}"]["status"] == "HTTP 400"
    unreachable = row["deliveries"][f"webhook {refused.url}"]
    assert unreachable["ok"] is False and unreachable["attempts"] == 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


def test_email_goes_through_a_real_smtp_sink(history: AlertHistory) -> None:
    raised, cleared = alert_events()
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:

        async def run() -> None:
            target = EmailTarget(
                host="127.0.0.1", port=port, sender="tower@example.org",
                recipients=("sup@example.org", "acme@example.org"),
            )  # fmt: skip
            notifier = Notifier(emails=[target], history=history, center="demo")
            notifier.notify(raised)
            notifier.notify(cleared)
            await notifier.aclose()
            assert notifier.statistics().delivered == 2

        asyncio.run(run())
    finally:
        controller.stop()
    assert len(sink.messages) == 2
    subjects = sorted(message_from_bytes(m)["Subject"] for m in sink.messages)
    assert subjects[0].startswith("[joignable] CRITICAL RAISED: abandonment_rate > 0.1")
    assert subjects[1].startswith("[joignable] CRITICAL cleared:")
    mail = message_from_bytes(sink.messages[0])
    assert mail["Message-ID"].endswith("@joignable>") and "billing" in mail.get_payload()
    assert all(
        r["deliveries"]["email sup@example.org,acme@example.org"]["ok"] for r in history.recent()
    )


def test_throttle_decisions_reach_webhooks_and_cuts_reach_mailboxes(tmp_path: Path) -> None:
    """Every decision goes to the webhook, signed, keyed by its history row; only
    the cut goes by e-mail; outcomes are written into the stored decision's row."""
    log = EventLog.open(str(tmp_path / "center.db"))
    decisions = ThrottleHistory(log.engine, log.tenant)
    history = AlertHistory(log.engine, tenant=log.tenant)
    cut = ThrottleLowered(
        at=1000.0, queue="voice", site="lyon", share=0.1, previous=0.2,
        abandonment_rate=0.4, sample=12,
    )  # fmt: skip
    raised = ThrottleRaised(
        at=5000.0, queue="voice", site="lyon", share=0.15, previous=0.1,
        abandonment_rate=0.02, sample=30,
    )  # fmt: skip
    receiver, sink, port = Receiver([]), Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:

        async def run() -> None:
            mailbox = EmailTarget(
                host="127.0.0.1", port=port, sender="t@example.org", recipients=("sup@example.org",)
            )
            notifier = Notifier(
                webhooks=[WebhookTarget(url=receiver.url, secret=SECRET)],
                emails=[mailbox],
                history=history,
                center="demo",
            )
            for event in (cut, raised):
                notifier.notify_throttle(event)  # recorded in the history, then told
            notifier.notify_throttle(cut)  # the same decision again: told once
            await notifier.aclose()
            assert decisions.last("voice", "lyon") == raised
            assert notifier.statistics().delivered == 3  # two webhooks, one e-mail

        asyncio.run(run())
    finally:
        controller.stop()
        receiver.close()
        log.close()
    kinds = []
    for headers, body, _ in receiver.requests:
        assert verify(SECRET, body, headers[SIGNATURE_HEADER])
        payload = json.loads(body)
        assert headers["Idempotency-Key"] == payload["id"]
        assert headers["X-Joignable-Event"] == payload["type"]
        kinds.append(payload["type"])
        assert payload["throttle"]["queue"] == "voice" and payload["center"] == "demo"
    assert sorted(kinds) == ["throttle.lowered", "throttle.raised"]
    (mail,) = [message_from_bytes(m, policy=email.policy.default) for m in sink.messages]
    assert mail["Subject"] == (
        "[joignable] WARNING Throttle voice → lyon lowered: share 20% → 10% "
        "(abandonment 40% over 12 contacts)"
    )
    assert "20.0% → 10.0%" in mail.get_content()
    rows = {r["kind"]: r for r in history.recent()}
    assert rows["ThrottleLowered"]["deliveries"][f"webhook {receiver.url}"]["ok"]
    assert rows["ThrottleLowered"]["deliveries"]["email sup@example.org"]["ok"]
    assert list(rows["ThrottleRaised"]["deliveries"]) == [f"webhook {receiver.url}"]
