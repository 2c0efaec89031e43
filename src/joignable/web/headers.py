"""Security headers on every response, and the Content-Security-Policy on pages.

Why one middleware: a header set route by route is forgotten on the next
page. The policy allows scripts, styles and connections (the live
WebSocket included) from this origin only and no inline script or style, so
an injected `<script>` or attribute does not run; framing is refused
(clickjacking). `Strict-Transport-Security` is sent only over HTTPS, where
the browser honours it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The policy of every HTML page.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
#: Sent on every response.
COMMON_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000")


def security_headers(*, html: bool, https: bool) -> list[tuple[bytes, bytes]]:
    """The headers to add to a response: `html` — it is a page; `https` — the
    request came over HTTPS."""
    headers = list(COMMON_HEADERS)
    if html:
        headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
    if https:
        headers.append(HSTS)
    return headers


class SecurityHeaders:
    """ASGI middleware adding `security_headers` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def adding_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                html = any(
                    name.lower() == b"content-type" and value.startswith(b"text/html")
                    for name, value in headers
                )
                for name, value in security_headers(html=html, https=https):
                    if name not in present:
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, adding_send)
