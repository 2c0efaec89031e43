# Why: a published flow is logged as data inside its `FlowPublished` event, so a
# replay rebuilds the exact version without the YAML file, the schema package or
# anything outside the standard library. The plain form is the tagged form the
# content hash is computed on (`versions._canon`: each dataclass carries its class
# name under "@"), so the hash of the rebuilt flow checks the round trip: a document
# that does not rebuild to its own version is refused, never half-applied.
"""A flow as plain JSON-ready data and back: `flow_to_data`, `flow_from_data`."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

from .. import hours
from . import model as m
from .versions import _canon, content_hash

__all__ = ["flow_from_data", "flow_to_data"]

_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (m.Text, m.Say, m.Play, m.Choice, m.Menu, m.Gather, m.Condition, m.Case,
                m.Branch, m.Set, m.Lookup, m.Enqueue, m.Callback, m.Deflect, m.Transfer,
                m.Voicemail, m.Hangup, m.Flow, hours.Schedule, hours.Shift, hours.Closure,
                hours.SpecialDay)
}  # fmt: skip


def flow_to_data(flow: m.Flow) -> dict[str, Any]:
    """`flow` as plain data (dicts tagged with their class under "@", lists, scalars)."""
    data = _canon(flow)
    assert isinstance(data, dict)
    return data


def flow_from_data(data: Any) -> m.Flow:
    """The flow of `flow_to_data`'s output. Raises ValueError naming what does not
    fit, or when the rebuilt flow's content hash is not its recorded version."""
    try:
        flow = _build(m.Flow, data)
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"not a flow document: {exc}") from None
    if not isinstance(flow, m.Flow):
        raise ValueError("not a flow document: the top level must be a Flow")
    if flow.version != content_hash(flow):
        raise ValueError(f"flow {flow.id!r}: the version is not the hash of the content")
    return flow


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(m) | vars(hours))


def _build(hint: Any, value: Any) -> Any:
    if isinstance(value, dict) and "@" in value:
        cls = _CLASSES.get(value["@"])
        if cls is None:
            raise ValueError(f"unknown part {value['@']!r}")
        hints = _hints(cls)
        kwargs = {
            f.name: _build(hints[f.name], value[f.name])
            for f in dataclasses.fields(cls)
            if f.init and f.name in value
        }
        return cls(**kwargs)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if isinstance(value, list):
            tuples = [a for a in args if typing.get_origin(a) is tuple]
            return _build(tuples[0] if tuples else tuple[Any, ...], value)
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(a, v) for a, v in zip(args, value, strict=True))
    if origin in (dict, Mapping) or hint is Mapping:
        if not isinstance(value, dict):
            raise TypeError(f"expected a mapping, got {value!r}")
        key, val = args if args else (Any, Any)
        return {_build(key, k): _build(val, v) for k, v in value.items()}
    if hint is date:
        if not isinstance(value, str):
            raise TypeError(f"expected a date, got {value!r}")
        return date.fromisoformat(value)
    return value
