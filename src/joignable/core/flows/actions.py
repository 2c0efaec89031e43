# Why: the engine's answers are data, so a channel only renders what the engine
# decided (voice as TwiML, the visual IVR as buttons, chat as quick replies) and a
# test or `joignable flows test` reads them as plain values; the inputs are data too,
# the CRM's answer included, so the engine never does I/O.
"""What goes into the flow engine (inputs) and what comes out (actions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Action",
    "Deflect",
    "Digits",
    "Ended",
    "Enqueue",
    "Entered",
    "Gather",
    "HangUp",
    "Hangup",
    "Input",
    "Lookup",
    "LookupDone",
    "LookupFailed",
    "NoInput",
    "OfferCallback",
    "Play",
    "Say",
    "Speech",
    "Transfer",
    "Voicemail",
]


# --- inputs ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Digits:
    """Keys pressed (DTMF), the finish key included if it was pressed."""

    value: str


@dataclass(frozen=True, slots=True)
class Speech:
    """Words said (speech recognition) or typed (visual IVR, chat)."""

    text: str


@dataclass(frozen=True, slots=True)
class NoInput:
    """The caller gave nothing before the time-out (or a lookup timed out)."""


@dataclass(frozen=True, slots=True)
class LookupDone:
    """The answer of the `Lookup` the session waits for (a JSON value)."""

    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class LookupFailed:
    """The `Lookup` failed (HTTP error, time-out, bad answer): the fallback branch."""

    reason: str = ""


@dataclass(frozen=True, slots=True)
class HangUp:
    """The caller hung up (or closed the page)."""


Input = Digits | Speech | NoInput | LookupDone | LookupFailed | HangUp


# --- actions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entered:
    """The engine entered node `node` of kind `kind`: the path taken, for the log
    and for `joignable flows test` (channels ignore it)."""

    node: str
    kind: str


@dataclass(frozen=True, slots=True)
class Say:
    """Say (or show) `text` in `language`."""

    text: str
    language: str


@dataclass(frozen=True, slots=True)
class Play:
    """Play the audio file `audio` (a reference the channel resolves)."""

    audio: str


@dataclass(frozen=True, slots=True)
class Gather:
    """Wait for the caller: `mode` "menu" (one key among `keys`, or one of `words`),
    "digits" (`min_length`..`max_length` digits, ended by `finish_key`) or "text";
    give `NoInput` after `timeout` seconds."""

    node: str
    mode: str
    min_length: int
    max_length: int
    finish_key: str
    timeout: float
    keys: tuple[str, ...]
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Lookup:
    """Call `url` (GET) within `timeout` s; answer with `LookupDone` or `LookupFailed`."""

    node: str
    url: str
    timeout: float


@dataclass(frozen=True, slots=True)
class OfferCallback:
    """Offer to be called back from `queue` keeping one's place: `key` (or yes)
    accepts; `NoInput` after `timeout` s declines."""

    node: str
    queue: str
    key: str
    timeout: float


@dataclass(frozen=True, slots=True)
class Enqueue:
    """The outcome that enters routing through the admission path: the queue,
    skills, priority, language and attributes (the flow's variables); `callback`
    when the caller is to be called back, keeping `since` (when they called) as
    their place; what to announce while waiting (`{position}`, `{wait}`,
    `{wait_minutes}` left for the channel) and how often, and how often to offer a
    callback (None: never)."""

    queue: str
    skills: tuple[str, ...]
    priority: int
    language: str
    attributes: tuple[tuple[str, str], ...]
    callback: bool
    since: float
    announce: str | None
    announce_every: float | None
    callback_every: float | None


@dataclass(frozen=True, slots=True)
class Deflect:
    """Send `message` with the self-service `link` by SMS to `to` (the caller's number)."""

    to: str
    link: str
    message: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """Transfer the call to `to` (a number or address)."""

    to: str


@dataclass(frozen=True, slots=True)
class Voicemail:
    """Record a message of at most `max_length` s into `mailbox`."""

    mailbox: str
    max_length: float


@dataclass(frozen=True, slots=True)
class Hangup:
    """End the call."""


@dataclass(frozen=True, slots=True)
class Ended:
    """The session ended at `node` with `outcome` ("enqueued", "callback",
    "transferred", "voicemail", "hangup", "self_service", "abandoned", "error");
    `self_service` records a resolution without an agent (the self-care rate);
    `reason` says what went wrong for "error"."""

    outcome: str
    node: str
    self_service: bool
    reason: str = ""


Action = (
    Entered | Say | Play | Gather | Lookup | OfferCallback | Enqueue | Deflect | Transfer | Voicemail
    | Hangup | Ended
)  # fmt: skip
