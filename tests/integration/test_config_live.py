"""Alert rules and migration throttles follow the configuration live, over real
HTTP on SQLite: a `PUT /api/config` with a new threshold makes the rule fire
or stop firing, a bad rule gets a 422 naming the field (and changes nothing),
a new throttle target applies to the next arrivals, and a restart without a
configuration file takes the stored one back — alert rules, throttle, the
tower's channels and an outsourcer supervisor's queues."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from joignable.service.clock import ManualClock
from tests.integration.conftest import Server, add_users, start_server, wait_for

CENTER = """
center: {name: Live config test, timezone: Europe/Paris}
sites: [{id: paris}, {id: lyon}]
outsourcers: [{id: acme}]
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
    outsourcer: acme
agents:
  - {id: p01, site: paris}
  - {id: l01, site: lyon, team: lyon-voice}
  - {id: a01, outsourcer: acme, capacity: {chat: 3}}
alerts:
  - id: chat-backlog
    metric: waiting
    scope: queue
    scope_id: chat
    threshold: 5
    severity: critical
throttles:
  - {queue: voice, site: lyon, target: 0.2, min_sample: 4, window_s: 600, cooldown_s: 10,
     healthy_for_s: 3600}
"""


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'live-config.db'}"
    add_users(url)
    return url


@pytest.fixture
def center(tmp_path: Path) -> Path:
    path = tmp_path / "center.yaml"
    path.write_text(CENTER, encoding="utf-8")
    return path


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_760_000_000.0)


@pytest.fixture
def server(url: str, center: Path, clock: ManualClock) -> Iterator[Server]:
    running = start_server(url, center, clock=clock)
    try:
        yield running
    finally:
        running.stop()


def after_pushes(server: Server, n: int = 2) -> None:
    """Wait until the live hub evaluated its rules `n` more times."""
    hub = server.services.live
    start = hub.statistics()["pushes"]
    wait_for(lambda: hub.statistics()["pushes"] >= start + n)


def create(client: httpx.Client, n: int, queue: str) -> list[Any]:
    channel = "chat" if queue == "chat" else "voice"
    body = {"channel": channel, "queue": queue}
    return [ok(client.post("/api/contacts", json=body)) for _ in range(n)]


def active(client: httpx.Client) -> list[tuple[str, float]]:
    return [(a["rule_id"], a["threshold"]) for a in ok(client.get("/api/alerts"))["active"]]


def put(client: httpx.Client, change: Callable[[dict[str, Any]], None]) -> httpx.Response:
    document = ok(client.get("/api/config"))
    change(document)
    return client.put("/api/config", json=document)


def set_threshold(value: float) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["alerts"][0]["threshold"] = value

    return change


def set_target(value: float) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["throttles"][0]["target"] = value

    return change


def throttles(client: httpx.Client) -> list[dict[str, Any]]:
    return list(ok(client.get("/api/live"))["throttles"]["list"])


@pytest.mark.slow
def test_a_new_threshold_makes_the_rule_fire_then_not(server: Server) -> None:
    root = server.client("root")
    create(root, 3, "chat")  # nobody logged in: 3 wait, under the threshold of 5
    after_pushes(server)
    assert active(root) == []

    ok(put(root, set_threshold(2)))
    assert wait_for(lambda: active(root)) == [("chat-backlog", 2.0)]
    (rule,) = ok(root.get("/api/alerts"))["rules"]
    assert (rule["id"], rule["threshold"]) == ("chat-backlog", 2.0)

    ok(put(root, set_threshold(10)))  # the raised alert is cleared: its rule changed
    assert active(root) == []
    after_pushes(server)
    assert active(root) == []  # and 3 waiting do not raise it again
    history = wait_for(
        lambda: (rows := ok(root.get("/api/alerts/history"))) and len(rows) >= 2 and rows
    )
    assert sorted((h["kind"], h.get("reason") or "") for h in history) == [
        ("AlertCleared", "rule changed"),
        ("AlertRaised", ""),
    ]  # at one instant: the test's clock stands still


def test_a_bad_rule_through_the_api_is_a_422_naming_the_field(server: Server) -> None:
    root = server.client("root")

    def misspelt(document: dict[str, Any]) -> None:
        document["alerts"][0]["metric"] = "waitng"

    def unknown_queue(document: dict[str, Any]) -> None:
        document["alerts"][0]["scope_id"] = "vox"

    def bad_throttle(document: dict[str, Any]) -> None:
        document["throttles"][0]["target"] = 1.5

    r = put(root, misspelt)
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["loc"] == ["body", "alerts", 0, "metric"]
    assert "unknown metric 'waitng'; did you mean 'waiting'?" in problem["msg"]
    r = put(root, unknown_queue)
    assert r.status_code == 422
    assert r.json()["detail"] == [{"loc": ["alerts", 0, "scope_id"], "msg": "unknown queue 'vox'"}]
    r = put(root, bad_throttle)
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"loc": ["throttles", 0, "target"], "msg": "target must be in [0, 1]"}
    ]
    # nothing changed
    assert ok(root.get("/api/config"))["alerts"][0]["metric"] == "waiting"
    (rule,) = ok(root.get("/api/alerts"))["rules"]
    assert (rule["metric"], rule["scope_id"]) == ("waiting", "chat")
    assert throttles(root)[0]["target"] == 0.2
    assert server.client("sup").put("/api/config", json={}).status_code == 403


def test_a_new_throttle_target_applies_to_the_next_arrivals(server: Server) -> None:
    root = server.client("root")
    first = create(root, 10, "voice")
    assert [i for i, c in enumerate(first) if c["queue"] == "voice@lyon"] == [4, 9]

    ok(put(root, set_target(0.1)))  # a lower target: the share drops at once
    (stats,) = throttles(root)
    assert (stats["share"], stats["target"], stats["routed"]) == (0.1, 0.1, 10)
    later = create(root, 20, "voice")
    assert [i for i, c in enumerate(later) if c["queue"] == "voice@lyon"] == [9, 19]
    (decision,) = ok(root.get("/api/live"))["throttles"]["recent"]
    assert decision["kind"] == "ThrottleTargetSet" and decision["by"] == "root"
    assert (decision["previous"], decision["share"], decision["target"]) == (0.2, 0.1, 0.1)
    stored = wait_for(
        lambda: [h for h in ok(root.get("/api/alerts/history")) if h["kind"] == "ThrottleTargetSet"]
    )
    assert stored[0]["alert_id"] == "throttle:voice->lyon" and stored[0]["target"] == 0.1

    ok(put(root, set_target(0.3)))  # a higher one is reached in steps, as Lyon stays healthy
    (stats,) = throttles(root)
    assert (stats["share"], stats["target"], stats["routed"]) == (0.1, 0.3, 30)

    def no_throttle(document: dict[str, Any]) -> None:
        document["throttles"] = []

    ok(put(root, no_throttle))
    assert throttles(root) == []
    assert {c["queue"] for c in create(root, 10, "voice")} == {"voice"}


def channels_on_the_tower(client: httpx.Client) -> list[str]:
    page = client.get("/tower")
    assert page.status_code == 200, page.text
    match = re.search(r"data-channels='([^']*)'", page.text)
    assert match is not None
    return list(json.loads(match.group(1)))


@pytest.mark.slow
def test_a_restart_without_a_file_keeps_alerts_throttle_and_tower(
    url: str, center: Path, clock: ManualClock
) -> None:
    server = start_server(url, center, clock=clock)
    try:
        root = server.client("root")
        ok(put(root, set_threshold(2)))
        ok(put(root, set_target(0.1)))
        assert [c["queue"] for c in create(root, 10, "voice")].count("voice@lyon") == 1
    finally:
        server.stop()

    clock.advance(5)
    again = start_server(url, config_path=None, clock=clock)  # the stored configuration
    try:
        root = again.client("root")
        (rule,) = ok(root.get("/api/alerts"))["rules"]
        assert (rule["id"], rule["threshold"]) == ("chat-backlog", 2.0)
        (stats,) = throttles(root)
        assert (stats["queue"], stats["site"], stats["share"], stats["target"]) == (
            "voice", "lyon", 0.1, 0.1
        )  # fmt: skip
        later = create(root, 10, "voice")
        assert [i for i, c in enumerate(later) if c["queue"] == "voice@lyon"] == [9]
        assert channels_on_the_tower(again.client("sup")) == ["chat", "voice"]
        acme = ok(again.client("acme-sup").get("/api/live"))["figures"]["sliding"]["queue"]
        assert list(acme) == ["chat"]
        create(root, 3, "chat")
        assert wait_for(lambda: active(root)) == [("chat-backlog", 2.0)]
    finally:
        again.stop()


def test_an_active_alert_comes_back_from_the_log_after_a_restart(
    url: str, center: Path, clock: ManualClock
) -> None:
    server = start_server(url, center, clock=clock)
    try:
        root = server.client("root")
        ok(put(root, set_threshold(2)))
        create(root, 3, "chat")
        wait_for(lambda: active(root))
        (before,) = ok(root.get("/api/alerts"))["active"]
        logged = wait_for(lambda: kinds_in_log(server, "AlertRaised"))
        assert logged == ["AlertRaised"]  # the decision is an event of the single writer
    finally:
        server.stop()

    clock.advance(5)  # a re-evaluation would raise a new alert, with a later id
    again = start_server(url, config_path=None, clock=clock)
    try:
        (after,) = ok(again.client("root").get("/api/alerts"))["active"]
        assert (after["alert_id"], after["at"]) == (before["alert_id"], before["at"])
        assert again.services.live.runner.engine.alerts.keys() == {before["alert_id"]}
    finally:
        again.stop()


def kinds_in_log(server: Server, kind: str) -> list[str]:
    rows = server.services.log.read()
    return [r.kind for r in rows if r.kind == kind]
