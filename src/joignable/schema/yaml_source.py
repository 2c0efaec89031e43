# Why: both documents are read the same safe way, keeping the line of every key and
# value so each problem can name it, and refusing what YAML would silently accept
# (duplicate keys) or explain badly (tabs, a list or scalar as the whole document).
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from joignable.schema.problem import Loc, Problem, SchemaError


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed document: its file name, plain data (a mapping) and node tree for lines."""

    file: str
    data: dict[str, Any]
    node: yaml.MappingNode

    def line(self, loc: Loc) -> int:
        """The 1-based line of the deepest part of `loc` found in the document."""
        node: yaml.Node = self.node
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return int(node.start_mark.line) + 1

    def problem(self, loc: Loc, message: str) -> Problem:
        """A Problem at `loc` of this document."""
        return Problem(self.file, self.line(loc), loc, message)


def parse(text: str, file: str) -> Source:
    """Parse YAML `text` read from `file` into a Source.

    Raises SchemaError naming file and line for malformed YAML (tabs, bad
    indentation), duplicate keys, an empty document or a root that is not a mapping.
    """
    for n, raw in enumerate(text.splitlines(), start=1):
        indent = raw[: len(raw) - len(raw.lstrip(" \t"))]
        if "\t" in indent:
            raise SchemaError([Problem(file, n, (), "tab in indentation; indent with spaces")])
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            dup = _duplicate(node, ()) if node is not None else None
            if dup is not None:
                raise SchemaError([Problem(file, dup[1], dup[0], "duplicate key")])
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise SchemaError([Problem(file, line, (), f"invalid YAML: {msg}")]) from None
    except yaml.YAMLError as exc:
        raise SchemaError([Problem(file, 1, (), f"invalid YAML: {exc}"[:200])]) from None
    if node is None:
        raise SchemaError([Problem(file, 1, (), "empty file; expected a mapping")])
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        line = int(node.start_mark.line) + 1
        raise SchemaError([Problem(file, line, (), "the document must be a mapping of keys")])
    return Source(file, data, node)


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value if isinstance(value, yaml.Node) else key
    elif (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        child: yaml.Node = node.value[part]
        return child
    return None


def _duplicate(node: yaml.Node, loc: Loc) -> tuple[Loc, int] | None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    return (*loc, key.value), int(key.start_mark.line) + 1
                seen.add(key.value)
                found = _duplicate(value, (*loc, key.value))
                if found is not None:
                    return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _duplicate(item, (*loc, i))
            if found is not None:
                return found
    return None
