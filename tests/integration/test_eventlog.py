"""The durable event log against real databases: SQLite files and a throw-away
PostgreSQL cluster (see tests/conftest.py).  Every test taking ``db_url`` runs
on both; SQLite-only properties (pragmas, crash durability) say so."""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import joignable
from joignable.store import (
    EventLog,
    SequenceConflict,
    StoredEvent,
    StoreError,
    database_url,
    normalize_url,
)
from joignable.store import eventlog as eventlog_module
from joignable.store.migrate import head_revision
from joignable.store.schema import metadata


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database: a SQLite file, or a new database on the session cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    url: str = request.getfixturevalue("postgres_database_url")
    return url


@pytest.fixture
def log(db_url: str) -> Iterator[EventLog]:
    with EventLog.open(db_url) as opened:
        yield opened


def ev(seq: int, kind: str = "ContactQueued", **data: Any) -> StoredEvent:
    payload = {"contact_id": f"c{seq}", "queue": "billing", **data}
    return StoredEvent(seq=seq, at=1_700_000_000.0 + seq / 8, kind=kind, data=payload)


def seqs(log: EventLog, **kwargs: Any) -> list[int]:
    return [e.seq for e in log.read(**kwargs)]


# -- round trip, batches, ordering ------------------------------------------------


@pytest.mark.slow
def test_append_then_read_returns_the_same_events(log: EventLog) -> None:
    written = [
        StoredEvent(1, 1_700_000_000.123456, "ContactQueued", {"contact_id": "c1", "n": 1}),
        StoredEvent(
            2, 1_700_000_001.5, "AgentLoggedIn", {"agent_id": "a17", "skills": ["fr", "en"]}
        ),
        StoredEvent(3, 0.1, "ContactOffered", {"nested": {"b": None, "a": [1.5, True]}, "é": "ü→"}),
    ]
    log.append(written)
    assert list(log.read()) == written
    assert log.count() == 3
    assert log.last_seq() == 3


def test_empty_log(log: EventLog) -> None:
    assert log.last_seq() == 0
    assert log.count() == 0
    assert list(log.read()) == []
    log.append([])  # an empty batch is a no-op
    assert log.statistics().batches_appended == 0


def test_batches_accumulate_in_seq_order(log: EventLog) -> None:
    log.append([ev(1)])
    log.append([ev(s) for s in range(2, 102)])
    log.append([ev(s) for s in range(102, 1102)])
    assert log.count() == 1101
    assert seqs(log) == list(range(1, 1102))
    assert seqs(log, after_seq=1000) == list(range(1001, 1102))
    assert seqs(log, after_seq=10, limit=5) == [11, 12, 13, 14, 15]
    assert seqs(log, limit=0) == []
    assert seqs(log, after_seq=1101) == []


def test_seq_need_not_be_contiguous_only_increasing(log: EventLog) -> None:
    log.append([ev(5), ev(7)])
    log.append([ev(100)])
    assert seqs(log) == [5, 7, 100]
    assert seqs(log, after_seq=6) == [7, 100]


def test_read_pages_through_more_than_one_batch(
    log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    log.append([ev(s) for s in range(1, 5_001)])
    assert seqs(log) == list(range(1, 5_001))  # default page size is 2,000
    monkeypatch.setattr(eventlog_module, "READ_BATCH", 7)
    assert seqs(log, after_seq=4_900) == list(range(4_901, 5_001))
    assert seqs(log, after_seq=3, limit=20) == list(range(4, 24))
    assert seqs(log, limit=14) == list(range(1, 15))  # a limit that is a whole page count


def test_read_streams_without_holding_a_connection(
    log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(eventlog_module, "READ_BATCH", 10)
    log.append([ev(s) for s in range(1, 31)])
    seen = []
    for event in log.read():
        seen.append(event.seq)
        # Between pages nothing is checked out, so the writer is never blocked...
        assert log.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        if event.seq == 15:
            # ...and events appended meanwhile past the cursor are seen.
            log.append([ev(31), ev(32)])
    assert seen == list(range(1, 33))


def test_tenants_have_independent_sequences(db_url: str) -> None:
    with EventLog.open(db_url, tenant="acme") as acme, EventLog.open(db_url, tenant="globex") as gx:
        acme.append([ev(1, who="acme"), ev(2, who="acme")])
        gx.append([ev(1, who="globex")])
        acme.append([ev(3, who="acme")])
        assert [e.data["who"] for e in acme.read()] == ["acme"] * 3
        assert [e.data["who"] for e in gx.read()] == ["globex"]
        assert (acme.last_seq(), gx.last_seq()) == (3, 1)
        assert (acme.count(), gx.count()) == (3, 1)


def test_payload_is_stored_as_canonical_json(log: EventLog) -> None:
    data = {"zeta": 1, "alpha": {"y": 2, "x": [3, "é"]}}
    log.append([StoredEvent(1, 2.5, "Thing", data)])
    with log.engine.connect() as conn:
        raw = conn.execute(text("SELECT data FROM events WHERE seq = 1")).scalar_one()
    assert raw == json.dumps(data, separators=(",", ":"), sort_keys=True)
    assert raw == '{"alpha":{"x":[3,"\\u00e9"],"y":2},"zeta":1}'


# -- conflicts and atomicity --------------------------------------------------------


def test_duplicate_seq_raises_and_writes_nothing_of_the_batch(log: EventLog) -> None:
    log.append([ev(s) for s in range(1, 11)])
    with pytest.raises(SequenceConflict):
        log.append([ev(s, kind="Intruder") for s in range(10, 20)])  # 10 is taken
    with pytest.raises(SequenceConflict):
        log.append([ev(s, kind="Intruder") for s in range(3, 6)])  # all taken
    with pytest.raises(SequenceConflict):
        log.append([ev(11, kind="Intruder"), ev(12, kind="Intruder"), ev(12, kind="Intruder")])
    with pytest.raises(SequenceConflict):
        log.append([ev(12, kind="Intruder"), ev(11, kind="Intruder")])  # not increasing
    assert seqs(log) == list(range(1, 11))
    assert {e.kind for e in log.read()} == {"ContactQueued"}
    assert log.statistics().conflicts == 4
    log.append([ev(11)])  # the log is still usable afterwards
    assert log.last_seq() == 11


def test_conflict_error_is_a_store_error(log: EventLog) -> None:
    log.append([ev(1)])
    with pytest.raises(StoreError):
        log.append([ev(1)])


def test_bad_payload_in_a_batch_writes_nothing(log: EventLog) -> None:
    with pytest.raises(StoreError, match="not JSON"):
        log.append([ev(1), StoredEvent(2, 0.0, "Bad", {"x": object()}), ev(3)])
    with pytest.raises(StoreError, match="not JSON"):
        log.append([ev(1), StoredEvent(2, 0.0, "Bad", {"x": float("nan")})])
    with pytest.raises(StoreError):
        log.append([StoredEvent(0, 0.0, "Bad", {})])  # seq starts at 1
    assert log.count() == 0


def test_two_writers_racing_for_the_same_seqs_exactly_one_batch_wins(db_url: str) -> None:
    """The primary key, not luck, decides: whatever the interleaving, each round
    stores exactly one writer's whole batch and the other gets SequenceConflict."""
    rounds, batch = 15, 50
    with EventLog.open(db_url) as a, EventLog.open(db_url) as b:
        barrier = threading.Barrier(2)
        outcome: dict[str, list[str]] = {"a": [], "b": []}

        def writer(name: str, log: EventLog) -> None:
            for r in range(rounds):
                start = r * batch + 1
                barrier.wait(timeout=30)
                try:
                    log.append([ev(s, kind=name) for s in range(start, start + batch)])
                    outcome[name].append("won")
                except SequenceConflict:
                    outcome[name].append("lost")
                barrier.wait(timeout=30)

        threads = [threading.Thread(target=writer, args=(n, lg)) for n, lg in (("a", a), ("b", b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)

        stored = list(a.read())
        assert [e.seq for e in stored] == list(range(1, rounds * batch + 1))
        for r in range(rounds):
            kinds = {e.kind for e in stored[r * batch : (r + 1) * batch]}
            assert len(kinds) == 1, f"round {r} mixes writers: {kinds}"
            winner = kinds.pop()
            assert outcome[winner][r] == "won"
            assert outcome["b" if winner == "a" else "a"][r] == "lost"


# -- reopening, migrations, errors ----------------------------------------------------


def test_reopen_reads_everything_back(db_url: str) -> None:
    with EventLog.open(db_url) as log:
        log.append([ev(s) for s in range(1, 251)])
        written = list(log.read())
    with EventLog.open(db_url, create=False) as again:
        assert list(again.read()) == written
        assert again.last_seq() == 250
        assert again.statistics().last_seq == 250  # known from the open
        assert again.statistics().events_appended == 0
        again.append([ev(251)])
        assert again.last_seq() == 251


def test_migrations_are_idempotent_and_match_the_schema(db_url: str) -> None:
    with EventLog.open(db_url) as first:
        first.append([ev(1)])
    with EventLog.open(db_url) as second:  # upgrading an up-to-date db changes nothing
        assert second.count() == 1
        with second.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head_revision()
            # the event log's tables (later migrations add the server's own)
            assert {"alembic_version", "events", "snapshots"} <= set(
                inspect(conn).get_table_names()
            )
            pk = inspect(conn).get_pk_constraint("events")
            assert pk["constrained_columns"] == ["tenant", "seq"]
            # What the migrations built is what schema.py describes.
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_concurrent_first_opens_migrate_once(db_url: str) -> None:
    errors: list[BaseException] = []

    def opener() -> None:
        try:
            EventLog.open(db_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with EventLog.open(db_url, create=False) as log:
        assert log.count() == 0


def test_open_without_create_needs_a_migrated_database(db_url: str) -> None:
    if db_url.startswith("sqlite:///"):
        Path(db_url.removeprefix("sqlite:///")).touch()  # an empty SQLite database
    with pytest.raises(StoreError, match="schema revision none"):
        EventLog.open(db_url, create=False)


def test_open_without_create_does_not_create_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    with pytest.raises(StoreError, match="no database"):
        EventLog.open(str(path), create=False)
    assert not path.exists()


def test_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(StoreError):
        EventLog.open("postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2")


def test_closed_log_refuses_work(log: EventLog) -> None:
    log.close()
    log.close()
    with pytest.raises(StoreError, match="closed"):
        log.append([ev(1)])
    with pytest.raises(StoreError, match="closed"):
        list(log.read())


def test_statistics_is_a_frozen_snapshot(log: EventLog) -> None:
    log.append([ev(1), ev(2)])
    before = log.statistics()
    log.append([ev(3)])
    after = log.statistics()
    assert (before.events_appended, before.batches_appended, before.last_seq) == (2, 1, 2)
    assert (after.events_appended, after.batches_appended, after.last_seq) == (3, 2, 3)
    assert after.backend in ("sqlite", "postgresql")
    with pytest.raises(AttributeError):
        after.last_seq = 9  # type: ignore[misc]


def test_snapshots(log: EventLog) -> None:
    assert log.latest_snapshot() is None
    log.save_snapshot(10, 100.0, {"queues": {"billing": ["c1"]}})
    log.save_snapshot(20, 200.0, {"queues": {}})
    latest = log.latest_snapshot()
    assert latest is not None
    assert (latest.seq, latest.at, latest.data) == (20, 200.0, {"queues": {}})
    with pytest.raises(SequenceConflict):
        log.save_snapshot(20, 201.0, {})


# -- backend specifics ------------------------------------------------------------------


def test_sqlite_pragmas_are_set_on_every_connection(tmp_path: Path) -> None:
    path = tmp_path / "pragmas.db"
    with EventLog.open(str(path)) as log:
        engine = log.engine
        with engine.connect() as c1, engine.connect() as c2:  # two pooled connections
            for conn in (c1, c2):
                pragma = conn.exec_driver_sql
                assert pragma("PRAGMA journal_mode").scalar() == "wal"
                assert pragma("PRAGMA synchronous").scalar() == 2  # FULL
                assert pragma("PRAGMA busy_timeout").scalar() == 10_000
                assert pragma("PRAGMA foreign_keys").scalar() == 1
    # WAL is recorded in the file itself: a plain sqlite3 connection sees it too.
    plain = sqlite3.connect(path)
    try:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        plain.close()


def test_plain_path_and_sqlite_url_open_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "same.db"
    with EventLog.open(str(path)) as log:
        log.append([ev(1)])
    with EventLog.open(f"sqlite:///{path}") as log:
        assert log.count() == 1
        assert log.backend == "sqlite"


@pytest.mark.postgres
def test_postgresql_scheme_without_driver_is_accepted(postgres_database_url: str) -> None:
    plain = postgres_database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with EventLog.open(plain) as log:
        assert log.backend == "postgresql"
        assert log.engine.dialect.driver == "psycopg"
        log.append([ev(1)])
        assert log.last_seq() == 1


# -- the URL helper ------------------------------------------------------------------


def test_database_url_explicit_beats_env_beats_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOIGNABLE_DATABASE_URL", raising=False)
    assert database_url(None) == "sqlite:///joignable.db"
    monkeypatch.setenv("JOIGNABLE_DATABASE_URL", "")
    assert database_url(None) == "sqlite:///joignable.db"
    monkeypatch.setenv("JOIGNABLE_DATABASE_URL", "postgresql://cc:pw@db.example:5432/joignable")
    assert database_url(None) == "postgresql+psycopg://cc:pw@db.example:5432/joignable"
    assert database_url("sqlite:///other.db") == "sqlite:///other.db"
    assert database_url("/var/lib/joignable/events.db") == "sqlite:////var/lib/joignable/events.db"


def test_normalize_url() -> None:
    assert normalize_url(None) == "sqlite:///joignable.db"
    assert normalize_url("events.db") == "sqlite:///events.db"
    assert normalize_url(":memory:") == "sqlite:///:memory:"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:////abs/x.db") == "sqlite:////abs/x.db"


def test_password_is_not_shown(tmp_path: Path) -> None:
    with EventLog.open(str(tmp_path / "x.db")) as log:
        assert "x.db" in repr(log)
    from joignable.store.db import redact

    assert "s3cret" not in redact("postgresql+psycopg://cc:s3cret@db/joignable")


# -- durability -----------------------------------------------------------------------

WRITER = Path(__file__).with_name("eventlog_writer.py")


def _acknowledged_then_killed(path: Path, batch: int, wanted: int) -> list[int]:
    """Start the writer, collect *wanted* acknowledgements, SIGKILL it, and
    return every seq it acknowledged (lines already printed count too)."""
    src = str(Path(joignable.__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(path), str(batch)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    acks: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(acks) < wanted:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                assert proc.stderr is not None
                pytest.fail(f"writer exited early ({proc.wait()}): {proc.stderr.read()}")
            acks.append(int(line))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        reader.join(timeout=30)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    while (line := lines.get_nowait() if not lines.empty() else None) is not None:
        if line.endswith("\n"):  # a complete line was printed after the append returned
            acks.append(int(line))
    assert proc.returncode == -signal.SIGKILL
    return acks


@pytest.mark.slow
def test_acknowledged_events_survive_sigkill(tmp_path: Path) -> None:
    """A writer process is killed with SIGKILL while appending (real settings:
    WAL, synchronous=FULL, no fsync shortcut).  Every seq it acknowledged is in
    the log afterwards, the log is gap-free, and batches are all-or-nothing.
    Three rounds: each new writer continues the log the previous one left."""
    path = tmp_path / "durable.db"
    batch = 25
    for round_ in range(3):
        acks = _acknowledged_then_killed(path, batch, wanted=20 + 7 * round_)
        assert acks == sorted(acks) and len(acks) >= 20
        with EventLog.open(str(path), tenant="durability", create=False) as log:
            stored = list(log.read())
            last = log.last_seq()
        assert last >= acks[-1], f"round {round_}: acknowledged {acks[-1]}, log ends at {last}"
        assert [e.seq for e in stored] == list(range(1, last + 1))  # gap-free
        assert all(e.data == {"n": e.seq, "queue": "billing"} for e in stored)
        assert last % batch == 0  # no half batch
