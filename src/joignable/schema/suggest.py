# Why: a misspelt key is the commonest fault in a hand-written file; naming the key
# that was probably meant saves a trip to the documentation.
from __future__ import annotations

import difflib
from collections.abc import Iterable


def unknown_key(key: str, allowed: Iterable[str]) -> str:
    """The message for `key` not among `allowed`, with "did you mean …" when one is close."""
    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key '{key}'{hint}"
