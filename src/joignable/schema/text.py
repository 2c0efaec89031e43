"""The one rule for text that comes from outside: ids, names, customer
identifiers and free attributes, on every route and channel.

Why one module: an id refused by the REST API but accepted by a channel
adapter (or the other way round) ends up in the log all the same, and a NUL
byte or a lone surrogate there breaks PostgreSQL, JSON encoders, logs and
terminals far from where it came in. The rule (decision 0020): refused
everywhere are the C0 controls (NUL included), DEL and the C1 controls, lone
surrogates, and the Unicode non-characters (U+FDD0..U+FDEF and every
U+xxFFFE/U+xxFFFF); free text (`free_text=True`: attribute values, notes) may
still hold TAB and LF, the controls that mean something in a free text.
Pydantic models use the `Annotated` types `SafeId`, `SafeName`, `FreeText`;
other code calls `check_text`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

_FREE_TEXT_CONTROLS = frozenset("\t\n")


def forbidden(char: str, *, free_text: bool = False) -> bool:
    """True when the one character `char` is refused by the rule (see the module)."""
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return not (free_text and char in _FREE_TEXT_CONTROLS)
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate: no UTF-8 for it
        return True
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def check_text(value: str, *, field: str, free_text: bool = False) -> str:
    """`value` unchanged when it follows the rule; raises `ValueError` naming
    `field`, the first refused character (as U+XXXX) and its position."""
    for position, char in enumerate(value):
        if forbidden(char, free_text=free_text):
            raise ValueError(
                f"{field}: character U+{ord(char):04X} at position {position} is not allowed "
                "(control characters, lone surrogates and non-characters are refused)"
            )
    return value


def _id(value: str) -> str:
    return check_text(value, field="id")


def _name(value: str) -> str:
    return check_text(value, field="text")


def _free(value: str) -> str:
    return check_text(value, field="text", free_text=True)


#: An id, a name, a customer identifier: no control character at all.
SafeId = Annotated[str, AfterValidator(_id)]
SafeName = Annotated[str, AfterValidator(_name)]
#: Free text (attribute values): TAB and LF allowed, other controls refused.
FreeText = Annotated[str, AfterValidator(_free)]
