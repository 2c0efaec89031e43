# Why: "what if we had ten more outsourcer agents?" should not need a copy of the
# scenario file. `--set path=value` edits the validated scenario, then validates it
# again, so an override can never produce a scenario the loader would refuse.
"""What-if overrides: `agents.outsourcer_x.count=+10`, `queues.billing.max_wait=120`."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from joignable.schema import errors, yaml_source
from joignable.schema.problem import SchemaError

from .scenario import Scenario, check_references

_INDEX = re.compile(r"\[(\d+)\]")


class OverrideError(ValueError):
    """An override that does not apply; the message names the override and the field."""


def parse_path(path: str) -> list[str | int]:
    """`traffic[0].per_interval.08:00` → ["traffic", 0, "per_interval", "08:00"]."""
    out: list[str | int] = []
    for part in path.split("."):
        if not part:
            raise ValueError("empty field name")
        name = _INDEX.sub("", part)
        if name:
            out.append(int(name) if name.isdigit() else name)
        out += [int(n) for n in _INDEX.findall(part)]
    return out


def _value(text: str) -> Any:
    try:
        return yaml_source.value(text, "--set")
    except SchemaError:
        return text


def _combine(old: Any, raw: str) -> Any:
    """Relative forms on numbers: +N, -N (add), *F (multiply); anything else replaces."""
    number = isinstance(old, int | float) and not isinstance(old, bool)
    if number and raw[:1] in "+-*" and len(raw) > 1:
        operand = _value(raw[1:])
        if isinstance(operand, int | float) and not isinstance(operand, bool):
            result = (
                old * operand if raw[0] == "*" else old + (operand if raw[0] == "+" else -operand)
            )
            if isinstance(old, int) and float(result).is_integer():
                return int(result)
            return result
    return _value(raw)


def _label(path: list[str | int]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def apply_override(data: dict[str, Any], expr: str) -> None:
    """Apply one `path=value` to the scenario's data (a dict), in place."""
    if "=" not in expr:
        raise OverrideError(f"--set {expr}: expected path=value")
    path_text, raw = (x.strip() for x in expr.split("=", 1))
    try:
        path = parse_path(path_text)
    except ValueError as exc:
        raise OverrideError(f"--set {expr}: {exc}") from None
    node: Any = data
    for i, key in enumerate(path[:-1]):
        node = _step(node, key, path[: i + 1], expr)
    last = path[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or not 0 <= last < len(node):
            raise OverrideError(f"--set {expr}: {_label(path)}: no such item ({len(node)} items)")
        node[last] = _combine(node[last], raw)
    elif isinstance(node, dict):
        node[str(last)] = _combine(node.get(str(last)), raw)
    else:
        raise OverrideError(f"--set {expr}: {_label(path[:-1])} has no fields")


def _step(node: Any, key: str | int, path: list[str | int], expr: str) -> Any:
    if isinstance(node, dict):
        if str(key) in node and node[str(key)] is not None:
            return node[str(key)]
        known = ", ".join(sorted(map(str, node))) or "none"
        raise OverrideError(f"--set {expr}: {_label(path)}: not found (known: {known})")
    if isinstance(node, list):
        if isinstance(key, int) and 0 <= key < len(node):
            return node[key]
        raise OverrideError(f"--set {expr}: {_label(path)}: no such item ({len(node)} items)")
    raise OverrideError(f"--set {expr}: {_label(path)}: not found")


def apply_overrides(scenario: Scenario, overrides: list[str]) -> Scenario:
    """A new Scenario with every override applied and validated again.

    Raises OverrideError naming the override, the field and what is wrong.
    """
    if not overrides:
        return scenario
    data = scenario.model_dump(mode="json")
    for expr in overrides:
        apply_override(data, expr)
    joined = " ".join(f"--set {e}" for e in overrides)
    try:
        result = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = errors.problems(exc, Scenario, None)
        raise OverrideError("\n".join(f"{joined}: {p}" for p in problems)) from None
    refs = check_references(result)
    if refs:
        raise OverrideError("\n".join(f"{joined}: {_label(list(loc))}: {msg}" for loc, msg in refs))
    return result
