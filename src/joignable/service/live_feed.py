"""The live hub's WebSocket clients: one latest message each, sent when ready.

Why a module of its own: serving sockets is I/O with rules of its own — a
slow client skips snapshots and never makes the others wait (each holds only
its latest message), clients of one scope with one agent filter share one
encoded message per snapshot, and a tower client may change its agent filter
at any time and get the answer at once. The hub (`service/live.py`) builds
each snapshot and hands it to `publish`; what a client is shown of it is the
`view` the hub gives (`service/live_views.py`), or the client's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Hashable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from joignable.service.roster import EVERYONE, AgentFilter, agent_filter
from joignable.service.scope import Scope

Snapshot = dict[str, Any]
#: what a client of `scope` with agent filter `find` is shown of a snapshot
ScopedView = Callable[[Snapshot, Scope | None, AgentFilter], Snapshot]
#: a client's picture of its own (an agent's desk)
OwnView = Callable[[Snapshot], Snapshot]


class _Client:
    __slots__ = ("find", "latest", "ready", "scope", "view")

    def __init__(self, view: OwnView | None, scope: Scope | None) -> None:
        self.view = view
        self.scope = scope
        self.find = EVERYONE
        self.latest = ""
        self.ready = asyncio.Event()


class LiveFeed:
    """The connected clients; `view` cuts a snapshot to a client's scope and filter."""

    def __init__(self, view: ScopedView) -> None:
        self.view = view
        self._clients: set[_Client] = set()
        self._last: Snapshot | None = None

    def __len__(self) -> int:
        return len(self._clients)

    @property
    def last(self) -> Snapshot | None:
        """The snapshot published last (None: none yet)."""
        return self._last

    def publish(self, snapshot: Snapshot) -> None:
        """Make `snapshot` every client's latest message (sent as each is ready)."""
        self._last = snapshot
        shared: dict[tuple[Hashable, AgentFilter], str] = {}
        for client in list(self._clients):
            client.latest = self._message(client, snapshot, shared)
            client.ready.set()

    def _message(
        self, client: _Client, snapshot: Snapshot, shared: dict[tuple[Hashable, AgentFilter], str]
    ) -> str:
        """What `client` is sent of `snapshot`; clients of the same scope with the
        same agent filter share one message (`shared`, for one snapshot)."""
        if client.view is not None:  # a picture of its own (an agent's desk)
            return json.dumps(client.view(snapshot), separators=(",", ":"))
        key = (None if client.scope is None else client.scope.key, client.find)
        text = shared.get(key)
        if text is None:
            view = self.view(snapshot, client.scope, client.find)
            text = shared[key] = json.dumps(view, separators=(",", ":"))
        return text

    async def serve(
        self,
        websocket: WebSocket,
        first: Snapshot,
        view: OwnView | None = None,
        *,
        scope: Scope | None = None,
    ) -> None:
        """Stream to an accepted WebSocket, starting with `first`, until it closes:
        the tower's picture as `scope` may see it (None: unscoped), or what
        `view` makes of each snapshot. The tower's client may send ``{"type":
        "agents", "find": ..., "state": ...}`` to choose the agents listed
        (`AgentFilter`); the answer comes at once, then with every snapshot."""
        client = _Client(view, scope)
        self._clients.add(client)
        client.latest = self._message(client, first, {})
        client.ready.set()
        receiver = asyncio.create_task(self._receive(websocket, client))
        try:
            while not receiver.done():
                waiter = asyncio.create_task(client.ready.wait())
                await asyncio.wait({waiter, receiver}, return_when=asyncio.FIRST_COMPLETED)
                if not waiter.done():
                    waiter.cancel()
                    break
                client.ready.clear()
                await websocket.send_text(client.latest)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            self._clients.discard(client)
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiver

    async def _receive(self, websocket: WebSocket, client: _Client) -> None:
        """Read what the client sends (an agent filter; anything else is ignored),
        to notice when it leaves."""
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while True:
                message = await websocket.receive()
                if message.get("type") == "websocket.disconnect":
                    return
                find = agent_filter(message.get("text"))
                if find is None or client.view is not None or find == client.find:
                    continue
                client.find = find
                if self._last is not None:  # answer now, not at the next push
                    client.latest = self._message(client, self._last, {})
                    client.ready.set()
