"""The outbox table on SQLite and PostgreSQL: a second feed of the same event
writes no second row, a row is claimed (marked "sending") by one worker only,
a retry keeps its attempts and error, and a start resumes the rows a stop
left "sending"; the migration sets an older database's cursor to its last
event, so its history is not told again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from joignable.store import EventLog, migrate
from joignable.store.db import make_engine
from joignable.store.outbox import Outbox, Owed


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outbox]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'outbox.db'}"
    else:
        url = request.getfixturevalue("postgres_database_url")
    with EventLog.open(url) as log:
        yield Outbox(log.engine, log.tenant)


def owed(seq: int, *destinations: str) -> Owed:
    history = {
        "tenant": "default", "id": f"alert-{seq}", "alert_id": "a", "kind": "AlertRaised",
        "at": 1.0, "severity": "critical", "data": "{}", "deliveries": "{}",
    }  # fmt: skip
    notice = {"id": f"alert-{seq}", "kind": "alert.raised", "subject": "s", "payload": {}}
    return Owed(seq, history, f"alert-{seq}", notice, destinations)


def test_the_same_event_fed_twice_makes_no_second_row(outbox: Outbox) -> None:
    assert outbox.cursor() == 0
    assert outbox.feed([owed(7, "webhook h", "email m")], 7, now=100.0) == 2
    assert outbox.feed([owed(7, "webhook h", "email m")], 7, now=101.0) == 0
    assert outbox.cursor() == 7
    assert [(r.seq, r.destination, r.status) for r in outbox.due(100.0)] == [
        (7, "email m", "pending"), (7, "webhook h", "pending"),
    ]  # fmt: skip
    assert outbox.counts() == {"pending": 2, "sending": 0, "sent": 0, "failed": 0}


def test_claim_retry_and_resume(outbox: Outbox) -> None:
    outbox.feed([owed(3, "webhook h")], 3, now=10.0)
    assert outbox.claim(3, "webhook h") == 1
    assert outbox.claim(3, "webhook h") is None  # being sent: nobody else takes it
    assert outbox.due(10.0) == []
    outbox.finish(3, "webhook h", "pending", now=11.0, next_at=20.0, error="HTTP 503")
    assert outbox.due(19.0) == [] and outbox.next_due() == 20.0
    (row,) = outbox.due(20.0)
    assert (row.attempts, row.last_error, row.status) == (1, "HTTP 503", "pending")
    assert outbox.claim(3, "webhook h") == 2
    assert outbox.resume(now=12.0) == 1  # a stop while sending: pending again, due now
    (again,) = outbox.due(12.0)
    assert (again.status, again.attempts) == ("pending", 2)
    assert outbox.claim(3, "webhook h") == 3
    outbox.finish(3, "webhook h", "sent", now=13.0)
    assert outbox.due(1e12) == [] and outbox.next_due() is None
    assert outbox.resume(now=14.0) == 0  # a sent row is never taken again
    (sent,) = outbox.rows()
    assert (sent.status, sent.sent_at, sent.attempts) == ("sent", 13.0, 3)
    assert outbox.rows(unsent=True) == []
    with pytest.raises(ValueError, match="status"):
        outbox.finish(3, "webhook h", "lost", now=15.0)


def test_the_migration_starts_an_older_database_at_its_last_event(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine, "0004")  # a database of the version before the outbox
    with engine.begin() as conn:
        for seq in (1, 2, 3):
            conn.execute(
                text(
                    "INSERT INTO events (tenant, seq, at, kind, data) VALUES ('default', :s, 1, 'QueueRemoved', '{}')"
                ),
                {"s": seq},
            )
    engine.dispose()
    with EventLog.open(url) as log:  # upgraded to the head on opening
        assert Outbox(log.engine, log.tenant).cursor() == 3
