# Why: the center file and a scenario name the same things (ids, skill levels, an
# agent's capacity per channel, a time zone); each is checked here once, so the
# same mistake gets the same message in either document.
from __future__ import annotations

import difflib
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, StringConstraints

from joignable.core.model import Channel
from joignable.schema.text import SafeName

__all__ = [
    "Id",
    "Level",
    "Limits",
    "Text",
    "TimeZone",
    "check_level",
    "check_zone",
    "unknown",
]

#: The id of a queue, agent, team, site, skill…: what URLs, logs and files carry.
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")]
#: A free text shown to people (a name, a title).
Text = Annotated[SafeName, StringConstraints(max_length=200)]  # no control characters


def check_level(value: int) -> int:
    """`value` if it is a skill level (1..10); raises ValueError otherwise."""
    if not 1 <= value <= 10:
        raise ValueError("level must be 1..10")
    return value


#: A skill level, 1 (can take it) to 10 (expert).
Level = Annotated[int, AfterValidator(check_level)]
#: How many contacts of each channel an agent may hold at once.
Limits = dict[Channel, Annotated[int, Field(ge=0, le=60)]]


def check_zone(value: str) -> str:
    """`value` if it is an IANA time zone; raises ValueError naming it otherwise."""
    try:
        ZoneInfo(value)
    except Exception:  # ZoneInfoNotFoundError, ValueError, OSError for odd keys
        raise ValueError(f"unknown time zone {value!r} (an IANA name: Europe/Paris)") from None
    return value


#: An IANA time zone name.
TimeZone = Annotated[str, AfterValidator(check_zone)]


def unknown(what: str, value: str, known: set[str] | list[str]) -> str:
    """The message for a reference `value` to a `what` (queue, site…) not in `known`."""
    close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {value!r}{hint}"
