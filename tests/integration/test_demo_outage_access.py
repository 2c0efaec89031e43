"""The demo's outage switch is the whole center's: on the real server with demo
traffic, admins and unscoped supervisors get it (page and endpoint), a
supervisor scoped to sites or an outsourcer gets neither (a 403 saying why);
without demo traffic nobody gets it (the page has no switch, the endpoint 404)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from joignable.core.model import Channel
from joignable.service.demo import DemoSettings, QueueTraffic
from joignable.sim.distributions import Exponential, LogNormal
from tests.integration.conftest import Server, add_users, start_server

pytestmark = pytest.mark.slow

#: a trickle of chats: the switch is what is tested, not the traffic
DEMO = DemoSettings(
    traffic=(QueueTraffic("chat", Channel.CHAT, 0.2, LogNormal(60, 0.5), Exponential(600)),),
    human_agent="",
    seed=11,
)
SWITCH = 'id="outage-box"'


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    add_users(url)
    running = start_server(url, demo=DEMO)
    try:
        yield running
    finally:
        running.stop()


def test_scoped_supervisors_may_not_simulate_an_outage(demo_server: Server) -> None:
    for user in ("paris-sup", "acme-sup"):
        client = demo_server.client(user)
        refused = client.post("/api/demo/outage", json={"on": True})
        assert refused.status_code == 403, refused.text
        assert "limited to some sites or to one outsourcer" in refused.json()["detail"]
        page = client.get("/tower")
        assert page.status_code == 200 and SWITCH not in page.text
    assert demo_server.services.demo.outage is False  # nothing was switched

    for user in ("sup", "root"):
        client = demo_server.client(user)
        page = client.get("/tower")
        assert page.status_code == 200 and SWITCH in page.text
        on = client.post("/api/demo/outage", json={"on": True})
        assert on.status_code == 200, on.text
        assert on.json()["outage"] is True and demo_server.services.demo.outage is True
        off = client.post("/api/demo/outage", json={"on": False})
        assert off.status_code == 200 and off.json()["outage"] is False


def test_without_demo_traffic_there_is_no_switch(sqlite_server: Server) -> None:
    for user in ("sup", "paris-sup"):
        client = sqlite_server.client(user)
        page = client.get("/tower")
        assert page.status_code == 200 and SWITCH not in page.text
        missing = client.post("/api/demo/outage", json={"on": True})
        assert missing.status_code == 404, missing.text
        assert missing.json()["detail"] == "this server runs no demo traffic"
    agent = sqlite_server.client("p01").post("/api/demo/outage", json={"on": True})
    assert agent.status_code == 403  # an agent: refused before anything else
