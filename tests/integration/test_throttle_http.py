"""Migration throttle over real HTTP: contacts created through `POST /api/contacts`
for a throttled queue are split between the queue and its site variant by the
share; abandons at the site lower the share (a decision stored in the alert
history and shown on the control tower), later arrivals follow the lower share,
and a restart resumes at the lowered share."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from joignable.service.clock import ManualClock
from joignable.service.config import ConfigError, load
from joignable.service.notify import SIGNATURE_HEADER, verify
from tests.integration.conftest import Server, add_users, start_server
from tests.integration.test_notify import Receiver

CENTER = """
center: {name: Throttle test, timezone: Europe/Paris}
sites: [{id: paris}, {id: lyon}]
teams: [{id: lyon-voice, site: lyon}]
queues:
  - id: voice
    channels: [voice]
    steps: [{after: 0, sites: [paris, lyon]}]
  - id: voice@lyon
    channels: [voice]
    site: lyon
    steps: [{after: 0, teams: [lyon-voice]}, {after: 120}]
  - id: chat
    channels: [chat]
agents:
  - {id: p01, site: paris}
  - {id: l01, site: lyon, team: lyon-voice}
throttles:
  - queue: voice
    site: lyon
    target: 0.2
    limit: 0.1
    min_sample: 4
    window_s: 600
    cooldown_s: 10
    backoff: 0.5
    healthy_for_s: 3600
"""


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


@pytest.fixture
def center(tmp_path: Path) -> Path:
    path = tmp_path / "center.yaml"
    path.write_text(CENTER, encoding="utf-8")
    return path


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_760_000_000.0)


@pytest.fixture
def throttled(tmp_path: Path, center: Path, clock: ManualClock) -> Iterator[Server]:
    """The throttled center on SQLite, on a clock the test moves."""
    url = f"sqlite:///{tmp_path / 'throttle.db'}"
    add_users(url)
    running = start_server(url, center, clock=clock)
    try:
        yield running
    finally:
        running.stop()


def create(client: httpx.Client, n: int, queue: str = "voice", **headers: str) -> list[Any]:
    channel = "chat" if queue == "chat" else "voice"
    return [
        ok(client.post("/api/contacts", json={"channel": channel, "queue": queue}, headers=headers))
        for _ in range(n)
    ]


def throttle(client: httpx.Client) -> dict[str, Any]:
    (only,) = ok(client.get("/api/live"))["throttles"]["list"]
    return dict(only)


def test_arrivals_are_split_by_the_share(throttled: Server) -> None:
    root = throttled.client("root")
    made = create(root, 50)
    to_lyon = [c for c in made if c["queue"] == "voice@lyon"]
    assert len(to_lyon) == 10  # 20 % of 50, spread evenly: every fifth contact
    assert [i for i, c in enumerate(made) if c["queue"] == "voice@lyon"] == list(range(4, 50, 5))
    assert {c["queue"] for c in made} == {"voice", "voice@lyon"}
    assert all(c["requested_queue"] == "voice" for c in made)

    # the record and the waiting lines agree with the responses
    assert ok(root.get(f"/api/contacts/{to_lyon[0]['id']}"))["queue"] == "voice@lyon"
    waiting = {c["id"] for c in ok(root.get("/api/queues/voice@lyon/waiting"))}
    assert waiting == {c["id"] for c in to_lyon}
    assert len(ok(root.get("/api/queues/voice/waiting"))) == 40
    stats = throttle(root)
    assert (stats["routed"], stats["routed_to_site"], stats["share"]) == (50, 10, 0.2)

    # a queue without a throttle is left alone
    assert {c["queue"] for c in create(root, 10, "chat")} == {"chat"}

    # an idempotent retry returns the same contact, in the same queue, routed once
    first = create(root, 5, **{"Idempotency-Key": "k-1"})
    assert len({c["id"] for c in first}) == 1 and first[0]["queue"] == "voice"
    assert throttle(root)["routed"] == 51


def test_the_variant_on_standby_keeps_arrivals_in_the_queue(throttled: Server) -> None:
    root, sup = throttled.client("root"), throttled.client("sup")
    ok(sup.post("/api/supervisor/queues/voice@lyon/standby", json={"standby": True}))
    assert {c["queue"] for c in create(root, 10)} == {"voice"}
    assert throttle(root)["routed"] == 0  # not counted while the site cannot take them
    ok(sup.post("/api/supervisor/queues/voice@lyon/standby", json={"standby": False}))
    assert sum(c["queue"] == "voice@lyon" for c in create(root, 10)) == 2


def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_abandons_at_the_site_lower_the_share_durably(
    server_db_url: str, center: Path, clock: ManualClock
) -> None:
    """On SQLite and on PostgreSQL (the decision is stored, then read back)."""
    server = start_server(server_db_url, center, clock=clock)
    try:
        root = server.client("root")
        made = create(root, 20)
        to_lyon = [c["id"] for c in made if c["queue"] == "voice@lyon"]
        assert len(to_lyon) == 4
        clock.advance(30)  # longer than the short-abandon grace
        for contact_id in to_lyon:
            ok(root.post(f"/api/contacts/{contact_id}/abandon"))

        # the live hub decides at its next push: Lyon abandoned 4 of 4, over the 10 % limit
        stats = wait_for(lambda: (s := throttle(root))["share"] < 0.2 and s)
        assert stats["share"] == pytest.approx(0.1) and stats["lowered"] == 1
        (decision,) = ok(root.get("/api/live"))["throttles"]["recent"]
        assert decision["kind"] == "ThrottleLowered"
        assert (decision["previous"], decision["share"]) == (0.2, pytest.approx(0.1))
        assert decision["abandonment_rate"] == 1.0 and decision["sample"] == 4

        # stored in the alert history, next to the alerts
        history = wait_for(
            lambda: [
                h for h in ok(root.get("/api/alerts/history")) if h["kind"] == "ThrottleLowered"
            ]
        )
        (row,) = history
        assert row["alert_id"] == "throttle:voice->lyon" and row["severity"] == "warning"
        assert row["share"] == pytest.approx(0.1) and "lowered" in row["title"]

        # later arrivals follow the lower share
        later = create(root, 50)
        assert sum(c["queue"] == "voice@lyon" for c in later) in (4, 5, 6)
        assert throttle(root)["routed_to_site"] - 4 == sum(
            c["queue"] == "voice@lyon" for c in later
        )
    finally:
        server.stop()

    # after a restart the throttle resumes at the lowered share, decision listed
    clock.advance(5)
    again = start_server(server_db_url, center, clock=clock)
    try:
        root = again.client("root")
        stats = throttle(root)
        assert stats["share"] == pytest.approx(0.1) and stats["target"] == 0.2
        recent = ok(root.get("/api/live"))["throttles"]["recent"]
        assert [d["kind"] for d in recent] == ["ThrottleLowered"]
        assert sum(c["queue"] == "voice@lyon" for c in create(root, 30)) == 3
    finally:
        again.stop()


def test_a_throttle_without_its_site_queue_is_refused_with_file_and_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "center.yaml"
    path.write_text(CENTER.replace("id: voice@lyon", "id: voice-lyon"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(path)
    (problem,) = info.value.problems
    line = CENTER.splitlines().index("  - queue: voice") + 1
    assert str(problem).startswith(f"{path}:{line}: throttles[0]: ")
    assert "'voice@lyon'" in str(problem) and "not configured" in str(problem)


@pytest.mark.slow
def test_a_cut_is_told_to_the_configured_webhook(
    tmp_path: Path, center: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's own notifier (from the environment) tells a real webhook of the
    decision, signed, once it is stored; the delivery is written into its row."""
    receiver = Receiver([])
    monkeypatch.setenv("JOIGNABLE_ALERT_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("JOIGNABLE_ALERT_WEBHOOK_SECRET", "hook-secret")
    url = f"sqlite:///{tmp_path / 'told.db'}"
    add_users(url)
    server = start_server(url, center, clock=clock)
    try:
        root = server.client("root")
        to_lyon = [c["id"] for c in create(root, 20) if c["queue"] == "voice@lyon"]
        clock.advance(30)
        for contact_id in to_lyon:
            ok(root.post(f"/api/contacts/{contact_id}/abandon"))

        def told() -> list[tuple[dict[str, str], dict[str, Any]]]:
            bodies = [(h, json.loads(b)) for h, b, _ in receiver.requests]
            return [(h, b) for h, b in bodies if b["type"].startswith("throttle.")]

        ((headers, body),) = wait_for(told)
        assert body["type"] == "throttle.lowered" and body["throttle"]["site"] == "lyon"
        assert body["throttle"]["share"] == pytest.approx(0.1)
        raw = next(b for h, b, _ in receiver.requests if json.loads(b)["type"] == body["type"])
        assert verify("hook-secret", raw, headers[SIGNATURE_HEADER])
        row = wait_for(
            lambda: [
                h
                for h in ok(root.get("/api/alerts/history"))
                if h["kind"] == "ThrottleLowered" and h["deliveries"]
            ]
        )[0]
        assert row["id"] == body["id"] == headers["Idempotency-Key"]
        assert row["deliveries"][f"webhook {receiver.url}"]["ok"] is True
    finally:
        server.stop()
        receiver.close()
