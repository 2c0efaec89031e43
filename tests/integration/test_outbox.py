"""Alert notifications are durable: a real webhook receiver and a real SMTP
server on 127.0.0.1, the real server on SQLite and PostgreSQL. While the
receivers are down the outbox rows stay pending, their attempts growing;
a restart on the same database delivers each once; a row already sent is
not sent again; a row left "sending" by a crash is sent again with the same
Idempotency-Key and Message-ID, for the receiver to recognise."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from joignable.store import EventLog
from tests.integration.conftest import Server, add_users, free_port, start_server
from tests.integration.test_notify import Receiver, Sink

CENTER = """
queues:
  - {id: chat, channels: [chat]}
alerts:
  - {id: chat-backlog, metric: waiting, scope: queue, scope_id: chat, threshold: 1,
     severity: critical, title: Chat backlog}
"""


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


class Targets:
    """A webhook URL and an SMTP relay on free ports, nothing listening yet."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hook_port, self.smtp_port = free_port(), free_port()
        self.hook = f"http://127.0.0.1:{self.hook_port}/hook"
        monkeypatch.setenv("JOIGNABLE_ALERT_WEBHOOK_URL", self.hook)
        monkeypatch.setenv("JOIGNABLE_ALERT_WEBHOOK_SECRET", "hook-secret")
        monkeypatch.setenv("JOIGNABLE_ALERT_SMTP", f"127.0.0.1:{self.smtp_port}")
        monkeypatch.setenv("JOIGNABLE_ALERT_EMAIL_TO", "sup@example.org")
        self.receiver: Receiver | None = None
        self.sink = Sink()
        self.smtp: Controller | None = None

    def up(self) -> None:
        self.receiver = Receiver([], port=self.hook_port)
        self.smtp = Controller(self.sink, hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()

    def close(self) -> None:
        if self.receiver is not None:
            self.receiver.close()
        if self.smtp is not None:
            self.smtp.stop()

    def told(self) -> int:
        hooks = len(self.receiver.requests) if self.receiver is not None else 0
        return hooks + len(self.sink.messages)


@pytest.fixture
def targets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Targets]:
    made = Targets(monkeypatch)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def center(tmp_path: Path) -> Path:
    path = tmp_path / "center.yaml"
    path.write_text(CENTER, encoding="utf-8")
    return path


def raise_alert(server: Server) -> None:
    root = server.client("root")
    for _ in range(2):  # nobody answers chat: 2 waiting, over the threshold of 1
        assert root.post("/api/contacts", json={"channel": "chat", "queue": "chat"}).is_success


def deliveries(server: Server) -> dict[str, Any]:
    response = server.client("root").get("/api/alerts")
    assert response.status_code == 200, response.text
    return dict(response.json()["deliveries"])


def outbox_rows(url: str) -> list[tuple[str, str, int]]:
    with EventLog.open(url) as log, log.engine.connect() as conn:
        query = "SELECT destination, status, attempts FROM notice_outbox ORDER BY destination"
        return [(str(d), str(s), int(a)) for d, s, a in conn.execute(text(query)).all()]


@pytest.mark.slow
def test_receivers_down_keep_rows_pending_and_a_restart_delivers_each_once(
    server_db_url: str, center: Path, targets: Targets
) -> None:
    server = start_server(server_db_url, center)
    try:
        raise_alert(server)

        def retrying() -> list[dict[str, Any]]:
            rows = deliveries(server)["unsent"]
            ok = len(rows) == 2 and all(r["attempts"] >= 2 and r["last_error"] for r in rows)
            return rows if ok else []

        rows = wait_for(retrying)
        assert {r["destination"] for r in rows} == {
            f"webhook {targets.hook}",
            "email sup@example.org",
        }
        assert {r["status"] for r in rows} <= {"pending", "sending"}
        assert all(r["kind"] == "alert.raised" for r in rows)
        assert deliveries(server)["counts"]["sent"] == 0
        # a supervisor of an outsourcer sees none of them: the chat queue is not theirs
        scoped = server.client("acme-sup").get("/api/alerts").json()["deliveries"]
        assert scoped == {"counts": {}, "unsent": []}
    finally:
        server.stop()

    stored = outbox_rows(server_db_url)
    assert [s for _, s, _ in stored] == ["pending", "pending"]  # kept across the stop
    assert all(a >= 2 for *_, a in stored)

    targets.up()
    again = start_server(server_db_url, center)
    try:
        wait_for(lambda: targets.told() == 2)
        wait_for(lambda: deliveries(again)["counts"]["sent"] == 2)
        assert deliveries(again)["unsent"] == []
        history = again.client("root").get("/api/alerts/history").json()
        (row,) = [h for h in history if h["kind"] == "AlertRaised"]
        assert row["deliveries"][f"webhook {targets.hook}"]["ok"] is True
        assert row["deliveries"]["email sup@example.org"]["ok"] is True
    finally:
        again.stop()

    # a third start: every row is sent already, nothing goes out again
    third = start_server(server_db_url, center)
    try:
        time.sleep(1.0)  # the worker resumes at once; give it time to (not) send
        assert deliveries(third)["counts"]["sent"] == 2
    finally:
        third.stop()
    assert targets.receiver is not None
    assert len(targets.receiver.requests) == 1 and len(targets.sink.messages) == 1


@pytest.mark.slow
def test_a_row_left_sending_by_a_crash_goes_again_with_the_same_keys(
    tmp_path: Path, center: Path, targets: Targets
) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    add_users(url)
    targets.up()
    server = start_server(url, center)
    try:
        raise_alert(server)
        wait_for(lambda: targets.told() == 2)
        wait_for(lambda: deliveries(server)["counts"]["sent"] == 2)
    finally:
        server.stop()

    # the state a crash between the send and its "sent" mark leaves behind
    with EventLog.open(url) as log, log.engine.begin() as conn:
        conn.execute(text("UPDATE notice_outbox SET status = 'sending'"))

    again = start_server(url, center)
    try:
        wait_for(lambda: targets.told() == 4)  # at least once: both go again
        wait_for(lambda: deliveries(again)["counts"]["sent"] == 2)
    finally:
        again.stop()
    assert targets.receiver is not None
    (h1, b1, _), (h2, b2, _) = targets.receiver.requests
    assert h1["Idempotency-Key"] == h2["Idempotency-Key"] and b1 == b2
    first, second = (message_from_bytes(m) for m in targets.sink.messages)
    assert first["Message-ID"] == second["Message-ID"]
    assert first["X-Joignable-Event-Id"] == h1["Idempotency-Key"]
    assert [s for _, s, _ in outbox_rows(url)] == ["sent", "sent"]


@pytest.mark.slow
def test_an_event_logged_but_never_fed_is_told_after_a_restart(
    tmp_path: Path, center: Path, targets: Targets
) -> None:
    url = f"sqlite:///{tmp_path / 'unfed.db'}"
    add_users(url)
    server = start_server(url, center)
    try:
        raise_alert(server)
        wait_for(lambda: len(deliveries(server)["unsent"]) == 2)
    finally:
        server.stop()

    # the state a crash right after the log's append leaves: the event is in
    # the log, the outbox never had it
    with EventLog.open(url) as log, log.engine.begin() as conn:
        (seq,) = [e.seq for e in log.read() if e.kind == "AlertRaised"]
        conn.execute(text("DELETE FROM notice_outbox"))
        conn.execute(text("DELETE FROM alert_history"))
        conn.execute(text("UPDATE outbox_cursor SET seq = :s"), {"s": seq - 1})

    targets.up()
    again = start_server(url, center)
    try:
        wait_for(lambda: targets.told() == 2)
        wait_for(lambda: deliveries(again)["counts"]["sent"] == 2)
        kinds = [h["kind"] for h in again.client("root").get("/api/alerts/history").json()]
        assert kinds == ["AlertRaised"]
    finally:
        again.stop()
