# Why: a person fixing a scenario needs `FILE:LINE: path.to.field: message`, not a
# Pydantic dump or a traceback. The YAML node tree keeps every value's line, so a
# validation error's location is walked down that tree to the line it came from.
# Whatever the bytes (truncated, fuzzed, binary), the only exception out of here is
# `ScenarioError`.
"""Scenario loading: YAML → Pydantic model, errors as FILE:LINE: field: message."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .scenario import Scenario, check_references, seconds_of_day

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"


class _Loader(yaml.SafeLoader):
    """Safe YAML where `10:00` stays the string "10:00" (YAML 1.1 reads it as 600)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        if kind is yaml.ScalarNode and tag in (_INT, _FLOAT) and ":" in value:
            return _STR
        return tag


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}: {where}{self.message}"


class ScenarioError(Exception):
    """A scenario that cannot be used; `problems` each name file, line and field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems or [Problem("<scenario>", 1, "", "invalid scenario")]
        super().__init__("\n".join(str(p) for p in self.problems))


def parse_yaml(text: str, file: str = "<scenario>") -> tuple[Any, yaml.Node | None]:
    """Parse YAML text into (data, node tree). Raises ScenarioError on any failure."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise ScenarioError([Problem(file, line, "", f"invalid YAML: {msg}")]) from None
    except Exception as exc:  # the YAML library on hostile input: depth, odd dates, ...
        raise ScenarioError([Problem(file, 1, "", f"invalid YAML: {_short(exc)}")]) from None
    return data, node


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:200]


def locate(node: yaml.Node | None, loc: tuple[str | int, ...]) -> tuple[int, str]:
    """The line (1-based) and dotted path of a location in the node tree.

    Walks mappings by key and sequences by index; a location element that is not in
    the tree (a Pydantic union tag) is skipped, and one that is missing (a required
    field) is named but the line is its parent's.
    """
    parts: list[str] = []
    line = node.start_mark.line + 1 if node is not None else 1
    current = node
    for i, key in enumerate(loc):
        child = _child(current, key)
        if child is None:
            if isinstance(key, str) and _is_tag(current, key) and i + 1 < len(loc):
                continue
            parts.append(f"[{key}]" if isinstance(key, int) else str(key))
            current = None
            continue
        parts.append(f"[{key}]" if isinstance(key, int) else str(key))
        current = child
        line = child.start_mark.line + 1
    return line, _join(parts)


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return v if isinstance(v, yaml.Node) else k
    elif (
        isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value)
    ):
        child: yaml.Node = node.value[key]
        return child
    return None


def _is_tag(node: yaml.Node | None, key: str) -> bool:
    """Whether `key` is the value of the mapping's `kind` (a discriminated union tag)."""
    kind = _child(node, "kind")
    return isinstance(kind, yaml.ScalarNode) and kind.value == key


def _join(parts: list[str]) -> str:
    out = ""
    for p in parts:
        out += p if p.startswith("[") or not out else f".{p}"
    return out


def _message(err: Any) -> str:
    msg = str(err.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if err.get("type") == "extra_forbidden":
        msg = "unknown field"
    return msg


def validate(data: Any, node: yaml.Node | None, file: str, base_dir: Path | None) -> Scenario:
    """Validate parsed YAML into a Scenario. Raises ScenarioError."""
    if not isinstance(data, dict):
        line = node.start_mark.line + 1 if node is not None else 1
        raise ScenarioError([Problem(file, line, "", "a scenario must be a YAML mapping")])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            line, path = locate(node, tuple(err["loc"]))
            problems.append(Problem(file, line, path, _message(err)))
        raise ScenarioError(problems) from None
    problems = []
    for loc, msg in check_references(scenario):
        line, path = locate(node, loc)
        problems.append(Problem(file, line, path, msg))
    if problems:
        raise ScenarioError(problems)
    return _resolve_csv(scenario, node, file, base_dir)


def _resolve_csv(s: Scenario, node: yaml.Node | None, file: str, base: Path | None) -> Scenario:
    """Read every `csv:` traffic file into `per_interval`, so runs never touch files."""
    if not any(t.csv for t in s.traffic):
        return s
    traffic = []
    for i, t in enumerate(s.traffic):
        if t.csv is None:
            traffic.append(t)
            continue
        line, path = locate(node, ("traffic", i, "csv"))
        csv_path = (base or Path(".")) / t.csv
        try:
            text = csv_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(
                [Problem(file, line, path, f"cannot read {t.csv}: {exc}")]
            ) from None
        volumes = _read_volumes(text, str(csv_path), t.queue, t.channel.value)
        traffic.append(t.model_copy(update={"csv": None, "per_interval": volumes}))
    return s.model_copy(update={"traffic": traffic})


def _read_volumes(text: str, file: str, queue: str, channel: str) -> dict[str, float]:
    rows = csv.DictReader(io.StringIO(text))
    if not rows.fieldnames or not {"interval_start", "volume"} <= set(rows.fieldnames):
        raise ScenarioError([Problem(file, 1, "", "columns interval_start and volume are needed")])
    volumes: dict[str, float] = {}
    for n, row in enumerate(rows, start=2):
        if row.get("queue") not in (None, "", queue) or row.get("channel") not in (
            None,
            "",
            channel,
        ):
            continue
        try:
            start = str(row["interval_start"]).strip()
            seconds_of_day(start)
            volume = float(row["volume"])
            if volume < 0 or volume != volume:
                raise ValueError("volume must be ≥ 0")
        except (ValueError, TypeError) as exc:
            raise ScenarioError([Problem(file, n, "", str(exc))]) from None
        volumes[start] = volume
    return volumes


def parse_scenario(text: str, file: str = "<scenario>", base_dir: Path | None = None) -> Scenario:
    """A Scenario from YAML text. Raises ScenarioError naming file, line and field."""
    data, node = parse_yaml(text, file)
    return validate(data, node, file, base_dir)


def load_scenario(path: str | Path) -> Scenario:
    """A Scenario from a YAML file. Raises ScenarioError (also for unreadable files)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError([Problem(str(path), 1, "", f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError([Problem(str(path), line, "", "not UTF-8 text")]) from None
    return parse_scenario(text, str(path), p.parent)
