"""Events to plain JSON-ready dicts and back, for the event log and the wire.

Generic over the frozen dataclasses of `events.py` and `model.py`, driven by
their type hints: enums become their values, frozensets sorted lists, tuples
lists, nested specs dicts. `decode(encode(e)) == e` for every event (a
property test says so).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from enum import Enum
from functools import cache
from typing import Any

from .events import Event, event_types


class DecodeError(ValueError):
    """A stored or received event does not match its type."""


def to_plain(value: Any) -> Any:
    """A JSON-ready copy of `value` (dataclass, enum, set, tuple, scalars)."""
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set):
        return sorted(to_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    return value


def encode(event: Event) -> tuple[str, dict[str, Any]]:
    """(kind, data) for an event; `at` and `seq` are left out of data."""
    data = {
        f.name: to_plain(getattr(event, f.name))
        for f in dataclasses.fields(event)
        if f.name not in ("at", "seq")
    }
    return type(event).__name__, data


def decode(kind: str, at: float, seq: int, data: dict[str, Any]) -> Event:
    """Rebuild an event; raises `DecodeError` naming what does not fit."""
    cls = _event_class(kind)
    if cls is None:
        raise DecodeError(f"unknown event kind {kind!r}")
    try:
        fields = from_plain(cls, {**data, "at": at, "seq": seq})
    except (TypeError, ValueError, KeyError) as exc:
        raise DecodeError(f"{kind} seq {seq}: {exc}") from exc
    assert isinstance(fields, Event)
    return fields


_KINDS: dict[str, type[Event]] = {}


def _event_class(kind: str) -> type[Event] | None:
    """The event class stored as `kind`; the registry is rebuilt from the
    classes on a miss, so classes defined after the first decode are found."""
    cls = _KINDS.get(kind)
    if cls is None:
        _KINDS.clear()
        _KINDS.update(event_types())
        cls = _KINDS.get(kind)
    return cls


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_plain(tp: Any, value: Any) -> Any:
    """Build a value of type `tp` from its plain form."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return from_plain(inner[0], value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise TypeError(f"{tp.__name__} expects an object, got {type(value).__name__}")
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in value:
                kwargs[f.name] = from_plain(hints[f.name], value[f.name])
        return tp(**kwargs)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(value)
    if origin is frozenset:
        return frozenset(from_plain(args[0], v) for v in value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_plain(args[0], v) for v in value)
        return tuple(from_plain(a, v) for a, v in zip(args, value, strict=True))
    if origin is dict:
        return {from_plain(args[0], k): from_plain(args[1], v) for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise TypeError(f"expected true or false, got {value!r}")
        return value
    return value
