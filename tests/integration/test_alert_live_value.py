"""An active alert shows its figure now, not the one it was raised on: the real
server on a manual clock, contacts created over HTTP, `GET /api/alerts` read
against the queue's row of `GET /api/live` (the tower's figures) as they change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from joignable.service.clock import ManualClock
from tests.integration.conftest import CENTER_YAML, Server, add_users, start_server, wait_for

RULES = """alerts:
  - {id: backlog, metric: waiting, scope: queue, scope_id: voice, threshold: 1, clear: 0}
  - {id: old-wait, metric: longest_wait, scope: queue, scope_id: voice, threshold: 60}
"""


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_760_000_000.0)


@pytest.fixture
def server(tmp_path: Path, clock: ManualClock) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    add_users(url)
    center = tmp_path / "center.yaml"
    text = CENTER_YAML.read_text(encoding="utf-8")
    # these rules, and no throttle (the last section): every voice contact waits in voice
    before, throttles, _ = text.partition("\nthrottles:")
    assert before.endswith("\nalerts: []") and throttles
    text = before.removesuffix("alerts: []") + RULES + "throttles: []\n"
    center.write_text(text, encoding="utf-8")
    running = start_server(url, center, clock=clock)
    try:
        yield running
    finally:
        running.stop()


def alerts(client: httpx.Client) -> dict[str, dict[str, Any]]:
    return {a["rule_id"]: a for a in ok(client.get("/api/alerts"))["active"]}


def voice_row(client: httpx.Client) -> dict[str, Any]:
    return dict(ok(client.get("/api/live"))["figures"]["sliding"]["queue"]["voice"])


def create(client: httpx.Client, n: int) -> None:
    for _ in range(n):  # nobody is logged in: they wait
        ok(client.post("/api/contacts", json={"channel": "voice", "queue": "voice"}))


@pytest.mark.slow
def test_the_listed_value_follows_the_live_figure(server: Server, clock: ManualClock) -> None:
    sup = server.client("sup")
    create(sup, 3)
    raised = wait_for(lambda: alerts(sup).get("backlog"))
    # the figure now is the queue row's, whatever it was when the alert was raised
    wait_for(lambda: alerts(sup)["backlog"]["value_now"] == 3)
    assert voice_row(sup)["waiting"] == 3
    assert raised["since"] == raised["at"] and raised["window"] == "sliding"

    create(sup, 4)  # the figure changes: the same alert, its value now follows
    # (the read side takes each durable batch just after the contact is acknowledged)
    backlog = wait_for(lambda: (a := alerts(sup)["backlog"])["value_now"] == 7 and a)
    assert voice_row(sup)["waiting"] == 7
    assert (backlog["alert_id"], backlog["value"]) == (raised["alert_id"], raised["value"])
    assert backlog["value"] < 7  # the value it was raised on stays as it was

    clock.advance(180)  # three minutes on the center's clock: held that long
    backlog = alerts(sup)["backlog"]
    assert (backlog["since"], backlog["held_s"]) == (raised["since"], raised["held_s"] + 180)
    # a figure that moves with time: the oldest wait, read at the same instant as the row
    old = wait_for(lambda: alerts(sup).get("old-wait"))
    assert old["value_now"] == voice_row(sup)["longest_wait"] == 180
    clock.advance(60)
    assert alerts(sup)["old-wait"]["value_now"] == voice_row(sup)["longest_wait"] == 240
    assert alerts(sup)["old-wait"]["value"] == 180  # raised on 180 s

    # a scoped supervisor who sees the queue reads the same figure
    paris = alerts(server.client("paris-sup"))
    assert paris["old-wait"]["value_now"] == 240 and paris["backlog"]["value_now"] == 7
