"""Migration-throttle shares come from the event log: a restart on the same
database shows the share the controller cut even when nothing else kept it,
a replay of the log by another reader rebuilds it, and a database written
before throttle decisions were events keeps its stored share, now logged."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete

from joignable.core.routing.engine import Engine
from joignable.core.routing.throttle import ThrottleLowered
from joignable.journal import from_stored
from joignable.service.clock import ManualClock
from joignable.service.config import load, throttle_settings
from joignable.service.throttles import ThrottleBank
from joignable.store import EventLog
from joignable.store.alerts import alert_history
from joignable.store.throttles import ThrottleHistory
from tests.integration.conftest import add_users, start_server
from tests.integration.test_throttle_http import center, clock, create, ok, throttle, wait_for

__all__ = ["center", "clock"]  # fixtures


@pytest.mark.slow
def test_a_restart_takes_the_share_from_the_log(
    server_db_url: str, center: Path, clock: ManualClock
) -> None:
    server = start_server(server_db_url, center, clock=clock)
    try:
        root = server.client("root")
        to_lyon = [c["id"] for c in create(root, 20) if c["queue"] == "voice@lyon"]
        clock.advance(30)
        for contact_id in to_lyon:
            ok(root.post(f"/api/contacts/{contact_id}/abandon"))
        wait_for(lambda: throttle(root)["share"] < 0.2)
        wait_for(lambda: [h for h in ok(root.get("/api/alerts/history"))])  # told and recorded
    finally:
        server.stop()

    with EventLog.open(server_db_url) as log:
        # another reader of the log rebuilds the share: the engine's fold and the bank
        engine = Engine()
        bank = ThrottleBank(throttle_settings(load(center)), clock.now())
        for event in from_stored(log.read()):
            engine.apply(event)
            bank.apply(event)
        assert engine.throttles["voice"].kind == "ThrottleLowered"
        assert engine.throttles["voice"].share == pytest.approx(0.1)
        assert bank.controllers["voice"].share == pytest.approx(0.1)
        # nothing beside the log keeps it any more
        with log.engine.begin() as conn:
            conn.execute(delete(alert_history))

    clock.advance(5)
    again = start_server(server_db_url, center, clock=clock)
    try:
        root = again.client("root")
        stats = throttle(root)
        assert stats["share"] == pytest.approx(0.1) and stats["target"] == 0.2
        assert stats["lowered"] == 1  # counted from the log, not decided again
        assert [d["kind"] for d in ok(root.get("/api/live"))["throttles"]["recent"]] == [
            "ThrottleLowered"
        ]
        assert sum(c["queue"] == "voice@lyon" for c in create(root, 30)) == 3
    finally:
        again.stop()


@pytest.mark.slow
def test_an_older_database_keeps_its_stored_share_and_logs_it(
    tmp_path: Path, center: Path, clock: ManualClock
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    add_users(url)
    cut = ThrottleLowered(
        at=clock.now() - 600, queue="voice", site="lyon", share=0.05, previous=0.2,
        abandonment_rate=0.5, sample=8,
    )  # fmt: skip
    with EventLog.open(url) as log:  # what a version before ThrottleDecided stored
        assert ThrottleHistory(log.engine, log.tenant).record(cut)
    server = start_server(url, center, clock=clock)
    try:
        root = server.client("root")
        wait_for(lambda: throttle(root)["share"] == pytest.approx(0.05))

        def logged() -> list[str]:
            return [r.kind for r in server.services.log.read() if r.kind == "ThrottleDecided"]

        assert wait_for(logged) == ["ThrottleDecided"]
        assert sum(c["queue"] == "voice@lyon" for c in create(root, 40)) == 2
        # told before: not told again, recorded once
        rows = [h for h in ok(root.get("/api/alerts/history")) if h["kind"] == "ThrottleLowered"]
        assert len(rows) == 1
    finally:
        server.stop()
