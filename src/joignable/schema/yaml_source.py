# Why: both documents are read the same safe way, keeping the line of every key and
# value so each problem can name it, and refusing what YAML would silently accept
# (duplicate keys) or explain badly (tabs, a list or scalar as the whole document,
# bytes that are not text, an alias that contains itself or expands to millions).
from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Any

import yaml

from joignable.schema.problem import Loc, Problem, SchemaError

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
MAX_NODES = 200_000  # a document, its aliases expanded: far above any center or scenario
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(raw: bytes, file: str) -> str:
    """The text of a document's bytes: UTF-8, or UTF-16/32 with a byte-order mark
    (which YAML allows). Raises SchemaError naming the line of the first byte
    that is not text in that encoding."""
    encoding, body = "utf-8", raw
    for bom, name in _BOMS:
        if raw.startswith(bom):
            encoding, body = name, raw[len(bom) :]
            break
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        what = "UTF-8 text" if encoding == "utf-8" else f"{encoding.upper()} text"
        byte = body[exc.start : exc.start + 1].hex()
        raise SchemaError([Problem(file, line, (), f"not {what} (byte 0x{byte})")]) from None


class _Loader(yaml.SafeLoader):
    """Safe YAML where `10:00` stays the text "10:00" (YAML 1.1 reads it as 600):
    times of day and durations are written that way, and a silent number is worse
    than a refused one."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        if kind is yaml.ScalarNode and tag in (_INT, _FLOAT) and ":" in value:
            return _STR
        return tag


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed document: its file name, plain data (a mapping) and node tree for lines."""

    file: str
    data: dict[str, Any]
    node: yaml.MappingNode

    def line(self, loc: Loc) -> int:
        """The 1-based line of the deepest part of `loc` found in the document."""
        return self.locate(loc)[0]

    def locate(self, loc: Loc) -> tuple[int, Loc]:
        """The 1-based line of `loc` and `loc` as written in the document.

        A part naming the `kind` of the mapping it stands on (the tag Pydantic adds
        for a union) is dropped; a part not in the document (a required field left
        out) is kept, the line being its parent's."""
        node: yaml.Node | None = self.node
        line = int(self.node.start_mark.line) + 1
        kept: list[str | int] = []
        for i, part in enumerate(loc):
            child = _child(node, part) if node is not None else None
            if child is None:
                if isinstance(part, str) and _is_tag(node, part) and i + 1 < len(loc):
                    continue
                kept.append(part)
                node = None
                continue
            kept.append(part)
            node = child
            line = int(child.start_mark.line) + 1
        return line, tuple(kept)

    def problem(self, loc: Loc, message: str) -> Problem:
        """A Problem at `loc` of this document (union tags left out of its field)."""
        line, where = self.locate(loc)
        return Problem(self.file, line, where, message)


def parse(text: str, file: str, *, allow_empty: bool = False) -> Source:
    """Parse YAML `text` read from `file` into a Source.

    Raises SchemaError naming file and line for malformed YAML (tabs, bad
    indentation), duplicate keys, an empty document (unless `allow_empty`: then
    an empty mapping) or a root that is not a mapping.
    """
    node, data = _compose(text, file)
    if node is None and allow_empty:
        mark = yaml.Mark(file, 0, 0, 0, "", 0)
        return Source(file, {}, yaml.MappingNode(_MAP, [], mark, mark))
    if node is None:
        raise SchemaError([Problem(file, 1, (), "empty file; expected a mapping")])
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        line = int(node.start_mark.line) + 1
        raise SchemaError([Problem(file, line, (), "the document must be a mapping of keys")])
    return Source(file, data, node)


def value(text: str, file: str) -> Any:
    """One YAML value of any kind (a command-line `--set`), read as `parse` reads
    a document (`10:00` stays text); None for empty text. Raises SchemaError."""
    return _compose(text, file)[1]


def _compose(text: str, file: str) -> tuple[yaml.Node | None, Any]:
    for n, raw in enumerate(text.splitlines(), start=1):
        indent = raw[: len(raw) - len(raw.lstrip(" \t"))]
        if "\t" in indent:
            raise SchemaError([Problem(file, n, (), "tab in indentation; indent with spaces")])
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_aliases(node, file)
            dup = _duplicate(node, ()) if node is not None else None
            if dup is not None:
                raise SchemaError([Problem(file, dup[1], dup[0], "duplicate key")])
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text[: max(exc.position, 0)].count("\n") + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "a byte"
        message = f"invalid YAML: character {char} is not allowed (write it escaped in quotes)"
        raise SchemaError([Problem(file, line, (), message)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise SchemaError([Problem(file, line, (), f"invalid YAML: {msg}")]) from None
    except SchemaError:
        raise
    except Exception as exc:  # the YAML library on hostile input: depth, odd dates, ...
        text = str(exc).splitlines()[0] if str(exc) else ""
        message = f"invalid YAML: {type(exc).__name__}: {text}"[:200]
        raise SchemaError([Problem(file, 1, (), message)]) from None
    return node, data


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


def _is_tag(node: yaml.Node | None, part: str) -> bool:
    kind = _child(node, "kind") if node is not None else None
    return isinstance(kind, yaml.ScalarNode) and kind.value == part


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


def _check_aliases(root: yaml.Node, file: str) -> None:
    """Refuse an alias that contains its own anchor (the data would be infinite)
    and aliases that expand the document past MAX_NODES (a "billion laughs"),
    before anything walks the data recursively."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_NODES:
                line = int(node.start_mark.line) + 1
                message = f"aliases expand the document past {MAX_NODES:,} values"
                raise SchemaError([Problem(file, line, (), message)])
            continue
        if key in sizes:
            continue
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                line = int(child.start_mark.line) + 1
                message = "the anchor on this line contains an alias of itself (recursive anchor)"
                raise SchemaError([Problem(file, line, (), message)])
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []
