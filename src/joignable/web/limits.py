"""Request body limits, enforced while the body streams in.

Why an ASGI middleware rather than a check in the routes: by the time a route
runs, FastAPI has read the whole body into memory — a 100 MB upload would be
held whole before anyone looked at its size. Here a declared
`Content-Length` over the limit is refused before a byte is read, and a
chunked body is counted as it arrives and refused as soon as it passes the
limit. The refusal is a 413 with a JSON `detail`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MIB = 1024 * 1024
#: The default limit of a request body, in bytes.
DEFAULT_MAX_BODY = 1 * MIB
#: The limit of `PUT /api/config` (a whole center's configuration).
DEFAULT_MAX_CONFIG_BODY = 16 * MIB


class BodyTooLarge(Exception):
    """Raised inside `receive` when the streamed body passes the limit."""


def limit_for(method: str, path: str, *, default: int, config: int) -> int:
    """The body limit in bytes for a request `method` on `path`."""
    if method == "PUT" and path.rstrip("/") == "/api/config":
        return config
    return default


class BodyLimit:
    """ASGI middleware refusing HTTP request bodies over the limit of their route
    (see `limit_for`) with 413. Takes the app and the two limits in bytes."""

    def __init__(self, app: ASGIApp, *, default: int, config: int) -> None:
        self.app = app
        self.default = default
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["method"], scope["path"], default=self.default, config=self.config)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        received = 0
        started = False
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now, while the client may still be sending; what
                    # the app answers afterwards (it sees an error) is dropped.
                    if not started and not refused:
                        refused = True
                        await _refuse(send, limit)
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(BodyTooLarge):  # answered already by `counting_receive`
            await self.app(scope, counting_receive, tracking_send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        {"detail": f"request body too large: the limit of this route is {limit} bytes"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
