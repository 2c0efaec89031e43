"""A snapshot of in-memory state as plain JSON-ready data, and back, exactly.

Why a graph codec and not one hand-written codec per class: what a restart
must rebuild is the writer's engine (contacts, agents, lines, the timer heap,
the router's availability index in its longest-idle order) *and* every read
model the replay feeds (the read side's own engine, the contact index, the
KPI book's accumulators, the throttles' controllers). Those objects share
references (a router entry holds its agent, a KPI contact is in several
dicts, a cached tuple of accumulators is the very objects of the buckets) and
their order matters (dict insertion order is the longest-idle order, a heap
is a list in heap order). A codec that walks the object graph once, keeps
every container's order and every shared reference, and rebuilds the same
graph, is exact by construction and does not drift when a class gains a
field; per-class codecs would be a thousand lines that must follow every
change of the engine and of the figures.

The walk is bounded to the project's own state: objects of classes defined
in `joignable.core` and `joignable.service` (by `__dict__` or `__slots__`),
enums, NamedTuples, the built-in containers, `deque` and `OrderedDict`,
classes used as keys (an event type) and bound methods (a handler table).
Anything else (a lock, a socket, a function, a clock of the shell) raises
`SnapshotError`: such an object is not state the log can rebuild, and a
model holding one is simply not snapshotted. Decoding imports only classes of
those two packages. Nothing here reads a clock, a file or randomness.

Format (version `FORMAT`): ``{"format": 1, "classes": [name...], "nodes":
[node...], "roots": [ref...]}``; a value is a JSON scalar, ``{"#": i}`` (node
i), ``{"f": "inf"}`` (a float JSON has no word for), ``{"e": [class, value]}``
(an enum member), ``{"c": class}`` (a class) or ``{"m": [ref, name]}`` (a
bound method); a node is ``[kind, ...]``.
"""

from __future__ import annotations

import importlib
import math
import types
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

FORMAT = 1
#: the packages whose classes a snapshot may hold (and decoding may import)
ALLOWED = ("joignable.core.", "joignable.service.")

_SCALARS = (str, int, bool, type(None))


class SnapshotError(ValueError):
    """State that cannot be snapshotted, or a snapshot that does not decode."""


def _allowed(module: str) -> bool:
    return module.startswith(ALLOWED)


def _slots_of(cls: type) -> tuple[str, ...]:
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        slots = klass.__dict__.get("__slots__", ())
        if isinstance(slots, str):
            slots = (slots,)
        names.extend(s for s in slots if s not in ("__dict__", "__weakref__"))
    return tuple(names)


class _Encoder:
    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.memo: dict[int, int] = {}
        self.classes: list[str] = []
        self.class_index: dict[type, int] = {}
        self.keep: list[Any] = []  # the objects memoised by id stay alive while encoding

    def cls(self, cls: type) -> int:
        index = self.class_index.get(cls)
        if index is None:
            if not _allowed(cls.__module__) or "<locals>" in cls.__qualname__:
                raise SnapshotError(f"{cls.__module__}.{cls.__qualname__} is not snapshot state")
            index = self.class_index[cls] = len(self.classes)
            self.classes.append(f"{cls.__module__}:{cls.__qualname__}")
        return index

    def value(self, obj: Any) -> Any:
        if isinstance(obj, _SCALARS) and not isinstance(obj, Enum):
            return obj
        if isinstance(obj, float):
            if math.isfinite(obj):
                return obj
            return {"f": repr(obj)}
        if isinstance(obj, Enum):
            return {"e": [self.cls(type(obj)), self.value(obj.value)]}
        if isinstance(obj, type):
            return {"c": self.cls(obj)}
        if isinstance(obj, types.MethodType):
            return {"m": [self.value(obj.__self__), obj.__func__.__name__]}
        return {"#": self.node(obj)}

    def node(self, obj: Any) -> int:
        key = id(obj)
        index = self.memo.get(key)
        if index is not None:
            return index
        index = self.memo[key] = len(self.nodes)
        self.keep.append(obj)
        self.nodes.append(None)
        self.nodes[index] = self.build(obj)
        return index

    def items(self, values: Iterable[Any]) -> list[Any]:
        value = self.value
        return [value(v) for v in values]

    def build(self, obj: Any) -> list[Any]:
        kind = type(obj)
        if kind is dict:
            return ["d", [[self.value(k), self.value(v)] for k, v in obj.items()]]
        if kind is list:
            return ["l", self.items(obj)]
        if kind is tuple:
            return ["t", self.items(obj)]
        if kind is set:
            return ["s", self.items(obj)]
        if kind is frozenset:
            return ["fs", self.items(obj)]
        if kind is deque:
            return ["q", obj.maxlen, self.items(obj)]
        if kind is OrderedDict:
            return ["od", [[self.value(k), self.value(v)] for k, v in obj.items()]]
        if isinstance(obj, tuple) and hasattr(kind, "_fields"):  # a NamedTuple
            return ["nt", self.cls(kind), self.items(obj)]
        index = self.cls(kind)  # refuses what is not the project's own
        if isinstance(obj, types.FunctionType | types.BuiltinFunctionType):
            raise SnapshotError(f"a function ({obj!r}) is not snapshot state")
        return ["o", index, [[name, self.value(v)] for name, v in _attributes(obj)]]


def _attributes(obj: Any) -> list[tuple[str, Any]]:
    """An object's attributes: its `__dict__` in order, then its set slots."""
    out: list[tuple[str, Any]] = list(getattr(obj, "__dict__", {}).items())
    for name in _slots_of(type(obj)):
        try:
            out.append((name, object.__getattribute__(obj, name)))
        except AttributeError:
            continue  # a slot never set stays unset
    return out


def encode_graph(roots: Sequence[Any]) -> dict[str, Any]:
    """The plain form of the object graph reachable from `roots` (each an
    object of the project's own classes). Raises `SnapshotError` naming what
    cannot be snapshotted."""
    enc = _Encoder()
    refs = [enc.node(root) for root in roots]
    return {"format": FORMAT, "classes": enc.classes, "nodes": enc.nodes, "roots": refs}


def modules_of(data: dict[str, Any]) -> list[str]:
    """The modules whose classes a snapshot holds, sorted (a shell can tell by
    their source whether the code changed since the snapshot was taken)."""
    return sorted({name.split(":", 1)[0] for name in data.get("classes", ())})


class _Decoder:
    def __init__(self, data: dict[str, Any]) -> None:
        self.nodes: list[Any] = data["nodes"]
        self.classes = [_import(name) for name in data["classes"]]
        self.memo: dict[int, Any] = {}

    def value(self, v: Any) -> Any:
        if not isinstance(v, dict):
            if isinstance(v, list):
                raise SnapshotError("a bare list where a value was expected")
            return v
        if "#" in v:
            return self.node(v["#"])
        if "f" in v:
            return float(v["f"])
        if "e" in v:
            cls, raw = v["e"]
            return self.classes[cls](self.value(raw))
        if "c" in v:
            return self.classes[v["c"]]
        if "m" in v:
            target, name = v["m"]
            return getattr(self.value(target), name)
        raise SnapshotError(f"an unknown value {v!r}")

    def node(self, index: int) -> Any:
        if index in self.memo:
            return self.memo[index]
        node = self.nodes[index]
        kind = node[0]
        value = self.value
        if kind == "d" or kind == "od":
            out: dict[Any, Any] = {} if kind == "d" else OrderedDict()
            self.memo[index] = out
            for k, v in node[1]:
                out[value(k)] = value(v)
            return out
        if kind == "l":
            items: list[Any] = []
            self.memo[index] = items
            items.extend(value(v) for v in node[1])
            return items
        if kind == "s":
            members: set[Any] = set()
            self.memo[index] = members
            members.update(value(v) for v in node[1])
            return members
        if kind == "q":
            queue: deque[Any] = deque(maxlen=node[1])
            self.memo[index] = queue
            queue.extend(value(v) for v in node[2])
            return queue
        if kind == "t":
            built: Any = tuple(value(v) for v in node[1])
        elif kind == "fs":
            built = frozenset(value(v) for v in node[1])
        elif kind == "nt":
            built = self.classes[node[1]]._make(value(v) for v in node[2])
        elif kind == "o":
            cls = self.classes[node[1]]
            obj = object.__new__(cls)
            self.memo[index] = obj
            self.fill(obj, node[2])
            return obj
        else:
            raise SnapshotError(f"an unknown node kind {kind!r}")
        self.memo[index] = built
        return built

    def fill(self, obj: Any, attributes: list[Any]) -> None:
        for name, v in attributes:
            object.__setattr__(obj, name, self.value(v))


def _import(name: str) -> type:
    module, _, qualname = name.partition(":")
    if not _allowed(module) or not qualname:
        raise SnapshotError(f"a snapshot may not hold {name!r}")
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise SnapshotError(f"no class {name!r} any more")
    if not isinstance(target, type):
        raise SnapshotError(f"{name!r} is not a class")
    return target


def decode_graph(data: dict[str, Any], into: Sequence[Any]) -> None:
    """Restore a snapshot made by `encode_graph(roots)` into `into`: objects of
    the same classes as the roots, made fresh by their constructors, whose
    attributes are replaced by the snapshot's (so whoever holds them sees the
    restored state). Raises `SnapshotError` when the data does not decode or
    does not fit (another format, another class, other attributes)."""
    try:
        if data.get("format") != FORMAT:
            raise SnapshotError(f"snapshot format {data.get('format')!r}, not {FORMAT}")
        dec = _Decoder(data)
        roots = data["roots"]
        if len(roots) != len(into):
            raise SnapshotError(f"{len(roots)} objects in the snapshot, {len(into)} expected")
        plan = []
        for ref, target in zip(roots, into, strict=True):
            node = dec.nodes[ref]
            if node[0] != "o" or dec.classes[node[1]] is not type(target):
                raise SnapshotError(f"the snapshot does not hold a {type(target).__name__}")
            names = [name for name, _ in node[2]]
            if sorted(names) != sorted(name for name, _ in _attributes(target)):
                raise SnapshotError(f"{type(target).__name__} has other attributes now")
            dec.memo[ref] = target
            plan.append((target, node[2]))
        # every value first, then every attribute: a snapshot that fails to
        # decode leaves the targets as they were
        values = [(t, [(name, dec.value(v)) for name, v in attrs]) for t, attrs in plan]
        for target, attributes in values:
            for name, value in attributes:
                object.__setattr__(target, name, value)
    except SnapshotError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, ImportError) as exc:
        raise SnapshotError(f"the snapshot does not decode: {exc!r}") from exc
