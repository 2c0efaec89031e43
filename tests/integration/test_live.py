"""The live hub: figures follow the engine, pushed over a real WebSocket,
at most a second behind; alerts fire and are recorded; scoped views."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from pathlib import Path

import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from joignable.core import commands as cmd
from joignable.core.alerts.rules import AlertRule, ScopeKind, Severity
from joignable.core.model import AgentSpec, Capacity, Channel, ContactSpec, QueueSpec
from joignable.service.live import LiveHub, scoped_view
from joignable.service.runner import CenterRunner
from joignable.store import EventLog
from joignable.web.auth import User

WAITING_RULE = AlertRule(
    id="backlog", metric="waiting", scope=ScopeKind.QUEUE, threshold=5, clear=1,
    severity=Severity.CRITICAL,
)  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def center(tmp_path: Path) -> tuple[EventLog, CenterRunner, LiveHub]:
    log = EventLog.open(str(tmp_path / "live.db"))
    runner = CenterRunner(log)
    hub = LiveHub(runner, rules=[WAITING_RULE], min_interval=0.25, heartbeat=1.0)
    await runner.start()
    await hub.start()
    await runner.submit(cmd.ConfigureQueue(queue=QueueSpec(id="billing", wrap_up=0)))
    for i, (site, outsourcer) in enumerate([("paris", ""), ("lyon", "acme")]):
        agent = AgentSpec(id=f"a{i}", site=site, outsourcer=outsourcer,
                          capacity=Capacity.only(Channel.VOICE))  # fmt: skip
        await runner.submit(cmd.ConfigureAgent(agent=agent))
    return log, runner, hub


@pytest.mark.slow
def test_figures_reach_a_websocket_client_within_a_second(tmp_path: Path) -> None:
    async def run() -> None:
        log, runner, hub = await center(tmp_path)

        async def ws(websocket: WebSocket) -> None:
            await websocket.accept()
            await hub.serve(websocket)

        app = Starlette(routes=[WebSocketRoute("/ws", ws)])
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        staleness: list[float] = []
        messages: list[dict] = []
        try:
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as client:
                first = json.loads(await client.recv())
                assert first["type"] == "snapshot"
                assert first["figures"]["sliding"]["queue"]["billing"] == {}

                async def listen() -> None:
                    async for raw in client:
                        message = json.loads(raw)
                        if message["oldest_at"] is not None:
                            staleness.append(time.time() - message["oldest_at"])
                        messages.append(message)

                listener = asyncio.create_task(listen())
                for i in range(40):  # a contact every 50 ms; nobody logged in: they wait
                    spec = ContactSpec(id=f"c{i}", channel=Channel.VOICE, queue="billing")
                    await runner.submit(cmd.AddContact(contact=spec))
                    await asyncio.sleep(0.05)
                await asyncio.sleep(1.2)
                last = messages[-1]
                billing = last["figures"]["sliding"]["queue"]["billing"]
                assert billing["offered"] == 40 and billing["waiting"] == 40
                assert billing["longest_wait"] > 1.0
                assert last["seq"] == runner.engine.seq
                (alert,) = last["alerts"]["active"]
                assert alert["rule_id"] == "backlog" and alert["scope_id"] == "billing"
                # pushes are rate-limited: ~4 a second while contacts arrive
                gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(messages)]
                assert min(gaps) >= 0.2
                # a supervisor logs an agent in: the figures follow
                await runner.submit(cmd.LogIn(agent_id="a0"))
                await asyncio.sleep(0.6)
                agents = messages[-1]["agents"]["by_state"]
                assert agents.get("reserved", 0) + agents.get("busy", 0) == 1
                listener.cancel()
        finally:
            server.should_exit = True
            await serving
            await hub.stop()
            await runner.stop()
            log.close()
        assert staleness and max(staleness) < 1.0, staleness

    asyncio.run(run())


def test_scoped_view_shows_only_the_outsourcers_own_part(tmp_path: Path) -> None:
    async def run() -> None:
        log, runner, hub = await center(tmp_path)
        try:
            await runner.submit(cmd.LogIn(agent_id="a1"))
            snapshot = hub.push()
            acme = User("acme-sup", "supervisor", outsourcer="acme")
            scope = scoped_view("acme", agent=acme.may_see_agent, queue={"billing"}.__contains__)
            mine = hub.view(snapshot, scope)
            assert [a["id"] for a in mine["agents"]["list"]] == ["a1"]
            assert (mine["agents"]["total"], mine["agents"]["by_state"]) == (1, {"available": 1})
            assert set(mine["figures"]["sliding"]["outsourcer"]) == {"acme"}
            assert mine["figures"]["sliding"]["site"] == {}  # lyon's figures are not acme's
            assert mine["figures"]["today"]["center"] == {"all": {}}  # its queues: no contact yet
            assert set(snapshot["figures"]["sliding"]["site"]) == {"paris", "lyon"}
            assert hub.view(snapshot) is snapshot  # unscoped: everything
            json.dumps(snapshot)  # it is all plain JSON
        finally:
            await hub.stop()
            await runner.stop()
            log.close()

    asyncio.run(run())
