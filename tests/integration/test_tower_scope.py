"""The control tower shows a scoped supervisor exactly what the REST API lets
them see, over the real server: the `/tower/ws` feed, `GET /api/live`,
`GET /api/alerts` and `GET /api/alerts/history`. And in a center of 2,000
agents, the tower counts them all and any one of them can be found.

The example center (examples/center.yaml): queue `voice@lyon` is Lyon's, `email`
is acme's; `paris-sup` sees site paris, `acme-sup` outsourcer acme, `lyon-sup`
(added here) site lyon. Alert rules fire on every kind of scope at once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from joignable.service.clock import ManualClock
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from joignable.web.auth import hash_password
from tests.integration.conftest import CENTER_YAML, PASSWORD, Server, add_users, start_server

ALERTS = """alerts:
  - {id: queue-wait, metric: waiting, scope: queue, threshold: 0}
  - {id: channel-wait, metric: waiting, scope: channel, threshold: 0}
  - {id: center-wait, metric: waiting, scope: center, threshold: 0}
  - {id: site-offered, metric: offered, scope: site, threshold: 0}
  - {id: outsourcer-offered, metric: offered, scope: outsourcer, threshold: 0}
"""


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


def add_user(url: str, name: str, *, sites: tuple[str, ...] = (), outsourcer: str = "") -> None:
    with EventLog.open(url) as log:
        Accounts(log.engine).add_user(
            name,
            hash_password(PASSWORD),
            "supervisor",
            sites=sites,
            outsourcer=outsourcer,
            now=time.time(),
        )


def start(tmp_path: Path, center: str, clock: ManualClock) -> Server:
    path = tmp_path / "center.yaml"
    path.write_text(center, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'tower.db'}"
    add_users(url)
    add_user(url, "lyon-sup", sites=("lyon",))
    return start_server(url, path, clock=clock)


def feed(server: Server, user: str) -> ClientConnection:
    token = server.client(user).headers["Authorization"]
    url = server.url.replace("http://", "ws://", 1) + "/tower/ws"
    return ws_connect(url, additional_headers={"Authorization": token}, open_timeout=10)


def next_message(
    ws: ClientConnection, until: Callable[[dict[str, Any]], bool], timeout: float = 10.0
) -> dict[str, Any]:
    """The first snapshot received for which `until` holds."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no such snapshot came")
        message = json.loads(ws.recv(timeout=left))
        if until(message):
            return message


def offer_accept(client: httpx.Client, agent: str) -> None:
    """Log `agent` in and accept every contact offered to them."""
    ok(client.post(f"/api/agents/{agent}/login", json={"ready": True}))
    deadline = time.monotonic() + 5
    while not (offered := ok(client.get(f"/api/agents/{agent}"))["offered"]):
        assert time.monotonic() < deadline, f"nothing offered to {agent}"
        time.sleep(0.05)
    for contact in offered:
        ok(client.post(f"/api/agents/{agent}/offers/{contact}/accept"))


@pytest.fixture
def center(tmp_path: Path) -> Iterator[Server]:
    """The example center with contacts waiting in every queue, some answered at
    each site and by acme, and alerts raised on every kind of scope."""
    text = CENTER_YAML.read_text(encoding="utf-8").replace("alerts: []\n", ALERTS)
    assert ALERTS in text
    server = start(tmp_path, text, ManualClock(1_760_000_000.0))
    root = server.client("root")
    try:
        for queue, channel, n in [("voice@lyon", "voice", 3), ("voice", "voice", 3),
                                  ("email", "email", 8), ("chat", "chat", 2)]:  # fmt: skip
            for _ in range(n):
                ok(root.post("/api/contacts", json={"channel": channel, "queue": queue}))
        for agent in ("p01", "l01", "x04"):  # paris: voice, lyon: voice@lyon, acme: e-mails
            offer_accept(root, agent)
        yield server
    finally:
        server.stop()


def all_alerts_raised(message: dict[str, Any]) -> bool:
    kinds = {a["scope"] for a in message["alerts"]["active"]}
    return kinds == {"queue", "channel", "center", "site", "outsourcer"}


def visible_queues(server: Server, user: str) -> set[str]:
    return {q["id"] for q in ok(server.client(user).get("/api/queues"))}


def check_part(server: Server, user: str, message: dict[str, Any], sites: set[str],
               outsourcers: set[str]) -> None:  # fmt: skip
    """`message` (a snapshot as `user` sees it) holds their part and no more."""
    client = server.client(user)
    queues = visible_queues(server, user)
    for window in ("sliding", "today"):
        figures = message["figures"][window]
        assert set(figures["queue"]) == queues, window
        assert set(figures["site"]) == sites, window
        assert set(figures["outsourcer"]) == outsourcers, window
        # the summary and the channel rows are their queues' figures together
        rows, together = figures["queue"].values(), figures["center"]["all"]
        for count in ("waiting", "offered", "answered"):  # ("today" may not be in yet)
            assert together.get(count, 0) == sum(r.get(count, 0) for r in rows), (window, count)
    for queue in queues:  # what the tower shows, the REST API lets them read
        assert client.get(f"/api/queues/{queue}").status_code == 200
    for queue in visible_queues(server, "sup") - queues:
        assert client.get(f"/api/queues/{queue}").status_code == 403
    assert message["waiting"] and {w["queue"] for w in message["waiting"]} <= queues
    assert set(message["standby"]["queues"]) <= queues
    # agents needed now: their queues, beside the agents they see under each
    needed = message["needed"]
    assert set(needed) == queues
    for queue, figure in needed.items():
        assert figure["logged_in"] == sum(message["agent_states"]["queue"][queue].values())
    agents = message["agents"]
    for row in agents["list"]:
        assert client.get(f"/api/agents/{row['id']}").status_code == 200
    api_agents = ok(client.get("/api/agents"))
    assert agents["total"] == sum(agents["by_state"].values()) == len(api_agents)
    assert {a["id"] for a in agents["list"]} == {a["id"] for a in api_agents}
    throttles = message["throttles"]["list"]
    assert all(t["queue"] in queues and f"{t['queue']}@{t['site']}" in queues for t in throttles)
    for alert in message["alerts"]["active"] + message["alerts"]["recent"]:
        kind, member = alert["scope"], alert["scope_id"]
        assert (
            (kind == "queue" and member in queues)
            or (kind == "site" and member in sites)
            or (kind == "outsourcer" and member in outsourcers)
        ), alert


@pytest.mark.slow
def test_a_site_supervisors_tower_shows_only_their_sites_part(center: Server) -> None:
    with feed(center, "sup") as everyone, feed(center, "paris-sup") as paris:
        whole = next_message(everyone, all_alerts_raised)
        assert {"voice@lyon", "email"} <= set(whole["figures"]["sliding"]["queue"])
        assert {"paris", "lyon"} <= set(whole["figures"]["sliding"]["site"])
        assert [t["site"] for t in whole["throttles"]["list"]] == ["lyon"]
        mine = next_message(paris, lambda m: m["seq"] >= whole["seq"] and m["alerts"]["active"])
    assert visible_queues(center, "paris-sup") == {"voice", "chat", "email"}  # not voice@lyon
    check_part(center, "paris-sup", mine, sites={"paris"}, outsourcers=set())
    sliding = mine["figures"]["sliding"]
    # the voice channel is queue voice alone: voice@lyon's contacts are not counted
    voice, whole_voice = (
        sliding["channel"]["voice"],
        whole["figures"]["sliding"]["channel"]["voice"],
    )
    assert voice["waiting"] == sliding["queue"]["voice"]["waiting"] < whole_voice["waiting"]
    assert voice["offered"] == sliding["queue"]["voice"]["offered"]
    assert sliding["site"]["paris"] == whole["figures"]["sliding"]["site"]["paris"]
    assert mine["throttles"]["list"] == []  # voice → lyon shows voice@lyon's abandonment
    alerts = {(a["scope"], a["scope_id"]) for a in mine["alerts"]["active"]}
    assert ("queue", "voice") in alerts and ("site", "paris") in alerts
    assert all(a["site"] == "paris" for a in mine["agents"]["list"])


@pytest.mark.slow
def test_an_outsourcer_supervisors_tower_shows_only_their_part(center: Server) -> None:
    with feed(center, "sup") as everyone, feed(center, "acme-sup") as acme:
        whole = next_message(everyone, all_alerts_raised)
        mine = next_message(acme, lambda m: m["seq"] >= whole["seq"] and m["alerts"]["active"])
    assert visible_queues(center, "acme-sup") == {"email"}
    check_part(center, "acme-sup", mine, sites=set(), outsourcers={"acme"})
    sliding = mine["figures"]["sliding"]
    assert set(sliding["channel"]) == {"email"}
    assert sliding["channel"]["email"] == sliding["queue"]["email"]
    alerts = {(a["scope"], a["scope_id"]) for a in mine["alerts"]["active"]}
    assert alerts == {("queue", "email"), ("outsourcer", "acme")}
    assert {a["outsourcer"] for a in mine["agents"]["list"]} == {"acme"}
    # GET /api/live gives them the same part of "needed now": e-mails arrived, none
    # handled yet (no handle time: no figure), acme's one agent logged in there
    live = ok(center.client("acme-sup").get("/api/live"))["needed"]
    assert live == mine["needed"]
    assert live["email"]["offered"] == 8 and live["email"]["agents"] is None
    assert live["email"]["logged_in"] == 1


@pytest.mark.slow
def test_a_lyon_supervisor_sees_lyons_queue_and_its_throttle(center: Server) -> None:
    with feed(center, "sup") as everyone, feed(center, "lyon-sup") as lyon:
        whole = next_message(everyone, all_alerts_raised)
        mine = next_message(lyon, lambda m: m["seq"] >= whole["seq"] and m["alerts"]["active"])
    assert "voice@lyon" in visible_queues(center, "lyon-sup")
    check_part(center, "lyon-sup", mine, sites={"lyon"}, outsourcers=set())
    assert [(t["queue"], t["site"]) for t in mine["throttles"]["list"]] == [("voice", "lyon")]
    # two of its queues take voice: the channel row is the two together
    sliding = mine["figures"]["sliding"]
    both = sliding["queue"]["voice"]["waiting"] + sliding["queue"]["voice@lyon"]["waiting"]
    assert sliding["channel"]["voice"]["waiting"] == both


@pytest.mark.slow
def test_the_alert_routes_are_scoped(center: Server) -> None:
    with feed(center, "sup") as everyone:
        next_message(everyone, all_alerts_raised)
    # the history is stored in the background: compare once it has settled
    # (the clock is manual, so nothing new is raised after that)
    history_all = settled_history(center.client("sup"))
    everything = ok(center.client("sup").get("/api/alerts"))["active"]
    assert {a["scope"] for a in everything} == {"queue", "channel", "center", "site", "outsourcer"}
    for user, queues, sites, outsourcers in [
        ("paris-sup", {"voice", "chat", "email"}, {"paris"}, set()),
        ("acme-sup", {"email"}, set(), {"acme"}),
        ("lyon-sup", {"voice", "voice@lyon", "chat", "email"}, {"lyon"}, set()),
    ]:
        client = center.client(user)

        def mine(alert: dict[str, Any], q: set[str] = queues, s: set[str] = sites,
                 o: set[str] = outsourcers) -> bool:  # fmt: skip
            kind, member = alert["scope"], alert["scope_id"]
            return (
                (kind == "queue" and member in q)
                or (kind == "site" and member in s)
                or (kind == "outsourcer" and member in o)
            )

        body = ok(client.get("/api/alerts"))
        assert body["active"] and all(mine(a) for a in body["active"]), user
        assert {a["id"] for a in body["active"]} == {a["id"] for a in everything if mine(a)}
        assert body["rules"] == ok(center.client("sup").get("/api/alerts"))["rules"]
        history = ok(client.get("/api/alerts/history", params={"limit": 1000}))
        assert history and [r["id"] for r in history] == [
            r["id"] for r in history_all if mine(r)
        ], user
        assert len(ok(client.get("/api/alerts/history", params={"limit": 1}))) == 1


def settled_history(client: Any) -> list[dict[str, Any]]:
    """The alert history once two reads 0.3 s apart agree (at least 5 rows)."""
    deadline = time.monotonic() + 20
    last: list[dict[str, Any]] | None = None
    while True:
        rows = ok(client.get("/api/alerts/history", params={"limit": 1000}))
        if rows == last and len(rows) >= 5:
            return rows
        assert time.monotonic() < deadline, "the alert history did not settle"
        last = rows
        time.sleep(0.3)


def big_center(agents: int) -> str:
    """A center of `agents` agents, a0000…: the first half at Paris, the rest at Lyon."""
    lines = [
        "center: {name: Big center, timezone: Europe/Paris}",
        "sites: [{id: paris}, {id: lyon}]",
        "queues:",
        "  - {id: voice, channels: [voice]}",
        "agents:",
    ]
    for i in range(agents):
        site = "paris" if i < agents // 2 else "lyon"
        lines.append(f"  - {{id: a{i:04d}, name: Agent {i}, site: {site}}}")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_a_big_center_counts_every_agent_and_finds_any(tmp_path: Path) -> None:
    server = start(tmp_path, big_center(2000), ManualClock(1_760_000_000.0))
    try:
        ok(server.client("root").post("/api/agents/a1999/login", json={"ready": False}))
        with feed(server, "sup") as everyone, feed(server, "lyon-sup") as lyon:
            whole = next_message(everyone, lambda m: "not_ready" in m["agents"]["by_state"])
            agents = whole["agents"]
            assert (agents["total"], agents["matching"], len(agents["list"])) == (2000, 2000, 300)
            assert agents["by_state"] == {"not_ready": 1, "offline": 1999}
            assert agents["list"][0]["id"] == "a0000"

            # Lyon's agents sort after Paris's: all counted, its first 300 listed
            mine = next_message(lyon, lambda m: "not_ready" in m["agents"]["by_state"])["agents"]
            assert (mine["total"], mine["matching"], len(mine["list"])) == (1000, 1000, 300)
            assert mine["by_state"] == {"not_ready": 1, "offline": 999}
            assert {a["site"] for a in mine["list"]} == {"lyon"}
            assert mine["list"][0]["id"] == "a1000"

            # the filter reaches any agent: at once, then in every snapshot
            lyon.send(json.dumps({"type": "agents", "find": "A1999"}))
            found = next_message(lyon, lambda m: m["agents"]["filter"]["find"] == "a1999")
            assert [a["id"] for a in found["agents"]["list"]] == ["a1999"]
            assert (found["agents"]["matching"], found["agents"]["total"]) == (1, 1000)
            ok(server.client("lyon-sup").post("/api/supervisor/agents/a1999/logout", json={}))
            later = next_message(lyon, lambda m: m["agents"]["list"][0]["state"] == "offline")
            assert [a["id"] for a in later["agents"]["list"]] == ["a1999"]
            lyon.send(json.dumps({"type": "agents", "find": "", "state": "offline"}))
            offline = next_message(lyon, lambda m: m["agents"]["filter"]["state"] == "offline")
            assert offline["agents"]["matching"] == 1000 and len(offline["agents"]["list"]) == 300
            # a filter is one client's: the others still see the whole list
            everyone.send(json.dumps({"type": "agents", "find": "agent 1999"}))
            assert [a["id"] for a in next_message(
                everyone, lambda m: m["agents"]["filter"]["find"] == "agent 1999"
            )["agents"]["list"]] == ["a1999"]  # fmt: skip

        # once, over HTTP; and Paris's supervisor cannot find a Lyon agent
        live = ok(server.client("sup").get("/api/live", params={"find": "a1999"}))
        assert [a["id"] for a in live["agents"]["list"]] == ["a1999"]
        paris = ok(server.client("paris-sup").get("/api/live", params={"find": "a1999"}))
        assert paris["agents"]["list"] == [] and paris["agents"]["total"] == 1000
        listed = ok(server.client("paris-sup").get("/api/live"))["agents"]["list"]
        assert listed[-1]["id"] == "a0299" and {a["site"] for a in listed} == {"paris"}
    finally:
        server.stop()


@pytest.mark.slow
def test_a_tower_client_may_send_anything(center: Server) -> None:
    """Messages that are no agent filter are ignored; the feed goes on."""
    with feed(center, "sup") as ws:
        first = next_message(ws, lambda m: True)
        for junk in ["not json", "[1, 2]", '{"type": "other"}', "x" * 5000,
                     '{"type": "agents", "find": 3, "state": ["idle"]}']:  # fmt: skip
            ws.send(junk)
        for _ in range(2):  # the heartbeat's snapshots keep coming
            message = next_message(ws, lambda m: m["seq"] >= first["seq"])
        assert message["agents"]["total"] == 30
        assert message["agents"]["filter"] == {"find": "", "state": ""}
