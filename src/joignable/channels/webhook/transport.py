"""The JSON webhook's transport: one signed POST in, one JSON answer out.

Why thin: everything a sender can get wrong is decided by the codec; this
only runs the admission use case — the contact is durable before the 202 —
and turns its refusals into statuses. The web app serves it under
`POST /channels/webhook/<name>` (`web/routers/channels.py`); the server's
body limit applies. Errors of the center itself (the store or the writer
unavailable) are left to the app's handlers: 503 with `Retry-After`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from joignable.channels.base import Codec, DecodeError
from joignable.core.commands import CommandRejected
from joignable.service.admission import Admission, KeyReused, UnknownQueue

log = logging.getLogger(__name__)

JSON = "application/json"


def _error(status: int, message: str, field: str = "") -> tuple[int, bytes, str]:
    loc = ["body", field] if field else ["body"]
    body = json.dumps({"detail": [{"loc": loc, "msg": message}]}).encode()
    return status, body, JSON


class WebhookTransport:
    """Admits what `codec` decodes through `admission`."""

    def __init__(self, codec: Codec, admission: Admission, name: str) -> None:
        self.codec = codec
        self.admission = admission
        self.name = name
        self.received = 0
        self.refused = 0

    async def start(self) -> None:
        """Nothing to open: the web app serves the requests."""

    async def stop(self) -> None:
        """Nothing to close."""

    async def handle(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes, str]:
        """(status, body, media type) for one request: 202 with the contact once
        it is durable (200 for a retry of one already admitted); 401/403 for a
        missing or wrong signature, 400/422 naming the problem, 409 for an id
        reused with another content or a queue that does not take the channel.
        Nothing is stored unless the answer is 200 or 202."""
        self.received += 1
        try:
            arrival = self.codec.decode(body, headers)
            admitted = await self.admission.admit(arrival)
        except DecodeError as exc:
            self.refused += 1
            log.info("webhook %s refused a request: %s", self.name, exc.message)
            return exc.status, json.dumps(exc.as_dict()).encode(), JSON
        except UnknownQueue as exc:
            self.refused += 1
            return _error(422, f"queue: {exc}", "queue")
        except KeyReused:
            self.refused += 1
            return _error(409, "id: already used for a contact with another content", "id")
        except CommandRejected as exc:
            self.refused += 1
            return _error(409, str(exc))
        return (200 if admitted.replayed else 202), self.codec.encode(admitted), JSON
