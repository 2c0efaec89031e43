"""The channel adapter protocol: a pure codec and a thin transport.

Why: voice, e-mail, SMS, chat and social providers all have to put contacts
into the center the same way — through the admission use case, stored before
they are acknowledged — and each speaks its own wire format over its own
transport. Splitting every adapter in two keeps the part worth testing pure:

- the **codec** turns the wire format into use-case inputs (an `Arrival`) and
  the use case's outcome (`Admitted`) back into the wire format. It does no
  I/O, reads no clock and imports nothing from the web layer (a lint test,
  `tests/unit/test_layers.py`, says so); bad input raises a `DecodeError`
  subclass naming the problem and the status it maps to;
- the **transport** receives and answers: an HTTP webhook handled under
  `/channels/<kind>/<name>` (`HttpTransport`), or later a socket server
  (SIP, SMTP) with its own `start()` / `stop()`.

`joignable.bootstrap` builds one adapter per entry of the configuration's
`channels:` section (`schema/channels.py`) with the factory its kind names,
starts them once the center runs and stops them before it stops.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from joignable.schema.channels import ChannelMount
from joignable.service.admission import Admission, Admitted, Arrival


class DecodeError(Exception):
    """Input a codec cannot turn into an arrival; `status` is the HTTP status it
    maps to and `field` the part of the input at fault ("" when none)."""

    status = 400

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        """The error as a JSON body: `{"detail": [{"loc": [...], "msg": ...}]}`."""
        loc = ["body", *self.field.split(".")] if self.field else ["body"]
        return {"detail": [{"loc": loc, "msg": self.message}]}


class MalformedInput(DecodeError):
    """The body is not the format the channel takes (not JSON, not an object)."""

    status = 400


class InvalidField(DecodeError):
    """A field is missing, unknown or out of range (`field` names it)."""

    status = 422


class MissingSignature(DecodeError):
    """The request carries no signature: who sent it is unknown."""

    status = 401


class BadSignature(DecodeError):
    """The signature does not match the body under the channel's secret."""

    status = 403


class Codec(Protocol):
    """Wire format ⇄ use-case inputs and outcomes; pure (no I/O, no clock)."""

    def decode(self, body: bytes, headers: Mapping[str, str]) -> Arrival:
        """The arrival `body` (with its `headers`) asks for; raises `DecodeError`."""
        ...

    def encode(self, admitted: Admitted) -> bytes:
        """The answer the provider gets once the contact is durable."""
        ...


class Transport(Protocol):
    """What receives a provider's traffic; started after the center, stopped before."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@runtime_checkable
class HttpTransport(Protocol):
    """A transport served by the web app under `/channels/<kind>/<name>`.

    `handle` takes the request's raw `body` and `headers` and returns the
    status, the body and the media type of the answer; it never raises for
    bad input (the status says it).
    """

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def handle(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes, str]: ...


@dataclass(frozen=True, slots=True)
class ChannelAdapter:
    """One mounted channel: its configuration entry, codec and transport."""

    mount: ChannelMount
    codec: Codec
    transport: Transport

    @property
    def key(self) -> tuple[str, str]:
        """(kind, name): where an HTTP transport is served, `/channels/<kind>/<name>`."""
        return (self.mount.kind, self.mount.name)


@dataclass(frozen=True, slots=True)
class AdapterContext:
    """What a factory may use: the admission use case and the environment
    (secrets are read from it, never from the stored configuration)."""

    admission: Admission
    env: Mapping[str, str]


#: builds the adapter of one `channels:` entry; raises `ChannelSetupError`
AdapterFactory = Callable[[ChannelMount, AdapterContext], ChannelAdapter]


class ChannelSetupError(Exception):
    """A configured channel cannot be mounted (its secret is not set); the
    server refuses to start and says which channel and what is missing."""
