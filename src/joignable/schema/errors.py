# Why: Pydantic's own words ("Extra inputs are not permitted", "Value error, …") are
# not what a person fixing a file needs; this turns its errors into Problems of the
# shared shape, naming the key probably meant for an unknown one, at any depth of
# either document, by walking the model's types down the error's location.
from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from joignable.schema.problem import Loc, Problem
from joignable.schema.suggest import unknown_key
from joignable.schema.yaml_source import Source


def problems(exc: ValidationError, model: type[BaseModel], source: Source | None) -> list[Problem]:
    """The Problems of `exc` raised validating `model`, located in `source` (file and
    line) or, for plain data, without them."""
    out: list[Problem] = []
    for err in exc.errors():
        loc: Loc = tuple(p for p in err["loc"] if p != "[key]")
        message = _message(err, model, loc)
        out.append(
            source.problem(loc, message) if source is not None else Problem("", None, loc, message)
        )
    return out


def _message(err: Any, model: type[BaseModel], loc: Loc) -> str:
    if err.get("type") == "extra_forbidden" and loc:
        allowed = allowed_keys(model, loc[:-1])
        return unknown_key(str(loc[-1]), allowed or ())
    msg = str(err.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def allowed_keys(model: type[BaseModel], loc: Loc) -> list[str] | None:
    """The keys a mapping at `loc` of a `model` document may hold (None: unknown)."""
    tp: Any = model
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return None
    tp = _models(tp)
    if len(tp) == 1:
        return list(tp[0].model_fields)
    return None


def _unwrap(tp: Any) -> list[Any]:
    """The alternatives of a type: Annotated and Optional removed, unions split."""
    if typing.get_origin(tp) is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [x for arg in typing.get_args(tp) for x in _unwrap(arg) if x is not type(None)]
    return [tp]


def _models(tp: Any) -> list[type[BaseModel]]:
    return [t for t in _unwrap(tp) if isinstance(t, type) and issubclass(t, BaseModel)]


def _step(tp: Any, part: str | int) -> Any:
    options = _unwrap(tp)
    for option in options:
        if isinstance(option, type) and issubclass(option, BaseModel):
            field = option.model_fields.get(str(part))
            if field is not None:
                return field.annotation
            continue
        origin = typing.get_origin(option)
        args = typing.get_args(option)
        if origin is list and isinstance(part, int) and args:
            return args[0]
        if origin is dict and len(args) == 2:
            return args[1]
    models = [o for o in options if isinstance(o, type) and issubclass(o, BaseModel)]
    for m in models:  # a discriminated union: the part names the member's `kind`
        kind = m.model_fields.get("kind")
        if kind is not None and part in typing.get_args(kind.annotation):
            return m
    return None
