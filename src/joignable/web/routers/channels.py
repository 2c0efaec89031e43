"""Where HTTP channel adapters are served: `POST /channels/<kind>/<name>`.

Why one route for every adapter: the adapters a center takes are listed in
its configuration and built by the composition root at start
(`joignable.bootstrap`, `channels/`); the web app cannot know them when it
is created, so this route finds the mounted adapter at request time and
hands it the raw body and headers. A channel that is not configured answers
404. The route is open to anonymous callers: each adapter authenticates its
sender itself (the webhook's HMAC signature), before reading the body.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from joignable.channels.base import HttpTransport
from joignable.web.auth import allow_anonymous
from joignable.web.state import Services, get_services

router = APIRouter(tags=["channels"])


@router.post(
    "/channels/{kind}/{name}",
    dependencies=[Depends(allow_anonymous)],
    status_code=202,
    responses={
        202: {"description": "the contact is durable"},
        401: {"description": "no signature"},
        403: {"description": "wrong signature"},
        404: {"description": "no such channel is configured"},
    },
)
async def channel_request(
    kind: str, name: str, request: Request, services: Services = Depends(get_services)
) -> Response:
    """One request of the channel adapter `kind`/`name` (see `channels/`): for the
    JSON webhook, a signed contact; 202 once it is stored."""
    adapter = services.channel(kind, name)
    if adapter is None or not isinstance(adapter.transport, HttpTransport):
        raise HTTPException(404, f"no channel {kind}/{name} is configured")
    body = await request.body()
    status, answer, media_type = await adapter.transport.handle(body, request.headers)
    return Response(answer, status_code=status, media_type=media_type)
