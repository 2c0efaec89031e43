"""Each row of the control tower — queue, channel, site, outsourcer — carries its
agents by state, over the real server (`/tower/ws` and `GET /api/live`), as a
scoped supervisor may see them; sites and outsourcers a queue names are rows
before any contact or agent is there; the waiting contacts are listed per queue.

The counts are worked out by hand on examples/center.yaml (every agent there
may take every queue: no `queues:` list): p01-p07 Paris phone (voice,
callback), p08-p12 Paris digital (chat, email), l01-l05 Lyon phone, l06-l10
Lyon digital, x01-x03 acme blended (voice, callback, chat, email), x04-x08
acme digital (chat, email)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from joignable.service.clock import ManualClock
from tests.integration.conftest import CENTER_YAML
from tests.integration.test_tower_scope import add_user, feed, next_message, ok, start

STATES = ("available", "reserved", "busy", "wrap_up", "not_ready")


def counts(**n: int) -> dict[str, int]:
    return {state: n.get(state, 0) for state in STATES}


@pytest.mark.slow
def test_every_row_counts_its_agents_by_state(tmp_path: Path) -> None:
    server = start(tmp_path, CENTER_YAML.read_text(encoding="utf-8"), ManualClock(1.76e9))
    root = server.client("root")
    try:
        for agent, ready in [("p01", True), ("p02", False), ("p08", True), ("l01", False),
                             ("x01", True), ("x04", False)]:  # fmt: skip
            ok(root.post(f"/api/agents/{agent}/login", json={"ready": ready}))
        # l01 now takes voice@lyon only: not counted under the other queues
        ok(root.post("/api/supervisor/agents/l01/move", json={"queues": ["voice@lyon"]}))
        # a call for voice: offered to p01 (first step: Paris and Lyon; l01 not ready)
        contact = ok(root.post("/api/contacts", json={"channel": "voice", "queue": "voice"}))
        assert ok(root.get("/api/agents/p01"))["offered"] == [contact["id"]]

        with feed(server, "sup") as ws:
            message = next_message(
                ws, lambda m: m["agent_states"]["site"].get("paris", {}).get("reserved") == 1
            )
        rows = message["agent_states"]
        assert rows["queue"] == {
            "voice": counts(available=1, reserved=1, not_ready=1),  # x01, p01, p02
            "voice@lyon": counts(available=1, reserved=1, not_ready=2),  # ... and l01
            "chat": counts(available=2, not_ready=1),  # p08, x01, x04
            "email": counts(available=2, not_ready=1),
        }
        voice = counts(available=1, reserved=1, not_ready=2)  # x01, p01, p02, l01
        digital = counts(available=2, not_ready=1)  # p08, x01, x04
        assert rows["channel"] == {"callback": voice, "chat": digital, "email": digital,
                                   "voice": voice}  # fmt: skip
        assert rows["site"] == {
            "paris": counts(available=1, reserved=1, not_ready=1),  # p08, p01, p02
            "lyon": counts(not_ready=1),
            "-": counts(available=1, not_ready=1),  # acme's agents have no site
        }
        assert rows["outsourcer"] == {
            "acme": counts(available=1, not_ready=1),
            "-": counts(available=1, reserved=1, not_ready=2),
        }
        # the same once over HTTP
        assert ok(server.client("sup").get("/api/live"))["agent_states"] == rows

        # a Paris supervisor: Paris's agents (p01, p02, p08), on the rows they may see
        paris = ok(server.client("paris-sup").get("/api/live"))["agent_states"]
        assert paris == {
            "queue": {
                "voice": counts(reserved=1, not_ready=1),
                "chat": counts(available=1),
                "email": counts(available=1),
            },
            "channel": {
                "callback": counts(reserved=1, not_ready=1),
                "voice": counts(reserved=1, not_ready=1),
                "chat": counts(available=1),
                "email": counts(available=1),
            },
            "site": {"paris": counts(available=1, reserved=1, not_ready=1)},
            "outsourcer": {},
        }
        # acme's: x01 and x04, on queue email and outsourcer acme
        with feed(server, "acme-sup") as ws:
            acme = next_message(ws, lambda m: True)["agent_states"]
        assert acme == {
            "queue": {"email": counts(available=1, not_ready=1)},
            "channel": {
                "callback": counts(available=1),
                "voice": counts(available=1),
                "chat": counts(available=1, not_ready=1),
                "email": counts(available=1, not_ready=1),
            },
            "site": {},
            "outsourcer": {"acme": counts(available=1, not_ready=1)},
        }
    finally:
        server.stop()


SMALL = """center: {name: Small center, timezone: Europe/Paris}
sites: [{id: paris}, {id: nice}]
outsourcers: [{id: beta}]
queues:
  - {id: voice, channels: [voice]}
  - {id: south, channels: [voice], site: nice, outsourcer: beta}
agents:
  - {id: a1, site: paris}
"""


@pytest.mark.slow
def test_sites_and_outsourcers_a_queue_names_are_rows_from_the_start(tmp_path: Path) -> None:
    """No agent works at nice or for beta and no contact came yet: queue south
    names them, so the tower lists them (with no agent), for whoever may see them."""
    server = start(tmp_path, SMALL, ManualClock(1.76e9))
    try:
        with feed(server, "sup") as ws:
            message = next_message(ws, lambda m: True)
        for window in ("sliding", "today"):
            figures = message["figures"][window]
            assert set(figures["site"]) == {"paris", "nice"}, window
            assert set(figures["outsourcer"]) == {"beta"}, window
        assert "nice" not in message["agent_states"]["site"]  # nobody there
        assert message["agent_states"]["queue"]["south"] == counts()  # a1 is offline
        # a supervisor of site nice sees its row, Paris's does not
        add_user(f"sqlite:///{tmp_path / 'tower.db'}", "nice-sup", sites=("nice",))
        live = ok(server.client("nice-sup").get("/api/live"))["figures"]["sliding"]
        assert set(live["site"]) == {"nice"}
        assert (
            "nice"
            not in ok(server.client("paris-sup").get("/api/live"))["figures"]["sliding"]["site"]
        )
    finally:
        server.stop()


@pytest.mark.slow
def test_each_queue_lists_its_longest_waiting_contacts(tmp_path: Path) -> None:
    """41 calls wait in voice, then one in south: the tower lists voice's 20
    oldest and south's one (not only the 40 oldest of the center)."""
    clock = ManualClock(1.76e9)
    server = start(tmp_path, SMALL, clock)
    root = server.client("root")
    try:
        voice = []
        for _ in range(41):
            voice.append(
                ok(root.post("/api/contacts", json={"channel": "voice", "queue": "voice"}))["id"]
            )
            clock.advance(1.0)
        south = ok(root.post("/api/contacts", json={"channel": "voice", "queue": "south"}))["id"]
        live: dict[str, Any] = ok(root.get("/api/live"))
        listed = [(w["queue"], w["id"]) for w in live["waiting"]]
        assert listed == [("voice", c) for c in voice[:20]] + [("south", south)]
        assert live["waiting_per_queue"] == 20
    finally:
        server.stop()
