"""The JSON webhook's codec: a signed JSON contact ⇄ an `Arrival`, and back.

Why pure: the signature check, the payload's rules and the idempotency key
are what a sender depends on and what an attacker probes; as plain functions
of bytes and headers they are tested without a server (and the lint test of
`tests/unit/test_layers.py` keeps the web layer out of this module).

The request (`POST /channels/webhook/<name>`):

- header `X-Joignable-Signature: sha256=<hex>`: the HMAC-SHA256 of the raw
  body under the channel's secret (the alert webhooks' scheme, read back);
  missing → `MissingSignature` (401), wrong → `BadSignature` (403), checked
  before the body is read at all;
- body, a JSON object: `id` (required: the sender's id of the contact, at
  most 128 characters; a retry with the same id gets the same contact, and
  one with the same id but another content is refused), `channel` and
  `queue` (required unless the channel's configuration gives them),
  `customer`, `identifiers` ({"phone": "+33…", "email": "…"}), `language`,
  `skills` ({skill: level}), `priority`, `attributes` ({name: text}).
  Not JSON → `MalformedInput` (400); a field wrong, missing or unknown →
  `InvalidField` (422) naming it.

The answer (`encode`) is `{"contact_id", "queue", "requested_queue",
"replayed"}`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from joignable.channels.base import BadSignature, InvalidField, MalformedInput, MissingSignature
from joignable.core.model import Channel
from joignable.schema import errors
from joignable.schema.fields import Id, Level
from joignable.schema.text import FreeText, SafeName
from joignable.service.admission import Admitted, Arrival

SIGNATURE_HEADER = "x-joignable-signature"
KEY_PREFIX = "webhook"

Name = Annotated[SafeName, StringConstraints(min_length=1, max_length=64)]


class WebhookContact(BaseModel):
    """The JSON body of a webhook contact (see the module's opening)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    id: Annotated[SafeName, StringConstraints(min_length=1, max_length=128)]
    channel: Channel | None = None
    queue: Id | None = None
    customer: Annotated[SafeName, StringConstraints(max_length=200)] = ""
    identifiers: dict[Name, Annotated[SafeName, StringConstraints(max_length=200)]] = Field(
        default_factory=dict, max_length=8
    )
    language: Annotated[str, StringConstraints(pattern=r"^([A-Za-z-]{2,16})?$")] = ""
    skills: dict[Id, Level] = Field(default_factory=dict, max_length=32)
    priority: int = Field(0, ge=-1000, le=1000)
    attributes: dict[Name, Annotated[FreeText, StringConstraints(max_length=500)]] = Field(
        default_factory=dict, max_length=32
    )


def sign(secret: str, body: bytes) -> str:
    """The signature header value for `body`: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookCodec:
    """The codec of the webhook channel `name`, signed with `secret`;
    `queue` / `channel`: what a contact naming none gets (None: it must)."""

    def __init__(
        self,
        name: str,
        secret: str,
        *,
        queue: str | None = None,
        channel: Channel | None = None,
    ) -> None:
        if not secret:
            raise ValueError("a webhook channel needs a secret")
        self.name = name
        self._secret = secret
        self.queue = queue
        self.channel = channel

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Return if `headers` sign `body`; raises `MissingSignature`, `BadSignature`."""
        given = _header(headers, SIGNATURE_HEADER)
        if not given:
            raise MissingSignature(f"missing the {SIGNATURE_HEADER} header (sha256=<hex HMAC>)")
        if not hmac.compare_digest(sign(self._secret, body), given.strip()):
            raise BadSignature(f"the {SIGNATURE_HEADER} header does not sign this body")

    def decode(self, body: bytes, headers: Mapping[str, str]) -> Arrival:
        """The arrival a signed webhook request asks for. Raises
        `MissingSignature`, `BadSignature`, `MalformedInput`, `InvalidField`."""
        self.verify(body, headers)
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError):  # JSONDecodeError is a ValueError
            raise MalformedInput("the body is not JSON") from None
        if not isinstance(data, dict):
            raise MalformedInput("the body must be a JSON object (a contact)")
        try:
            contact = WebhookContact.model_validate(data)
        except ValidationError as exc:
            first = errors.problems(exc, WebhookContact, None)[0]
            field = ".".join(str(part) for part in first.loc)
            raise InvalidField(
                f"{field}: {first.message}" if field else first.message, field
            ) from None
        return self.arrival(contact)

    def arrival(self, contact: WebhookContact) -> Arrival:
        """The arrival of a valid body; raises `InvalidField` when it names no
        channel or queue and the channel's configuration gives none."""
        channel = contact.channel or self.channel
        if channel is None:
            raise InvalidField("channel: required (this webhook has no default channel)", "channel")
        queue = contact.queue or self.queue
        if queue is None:
            raise InvalidField("queue: required (this webhook has no default queue)", "queue")
        return Arrival(
            channel=channel,
            queue=queue,
            customer=contact.customer,
            identifiers=tuple(sorted(contact.identifiers.items())),
            skills=tuple(sorted(contact.skills.items())),
            language=contact.language,
            priority=contact.priority,
            attributes=tuple(sorted(contact.attributes.items())),
            idempotency_key=f"{KEY_PREFIX}:{self.name}:{contact.id}",
            by=f"{KEY_PREFIX}/{self.name}",
        )

    def encode(self, admitted: Admitted) -> bytes:
        """The JSON answer once the contact is durable."""
        return json.dumps(_answer(admitted), separators=(",", ":")).encode()


def _answer(admitted: Admitted) -> dict[str, Any]:
    return {
        "contact_id": admitted.contact_id,
        "queue": admitted.queue,
        "requested_queue": admitted.requested_queue,
        "replayed": admitted.replayed,
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    """Header `name` (lower case) of `headers`, whatever their case."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), "")
    return value
