# Why: publishing that takes minutes to reach callers, or that changes a flow under a
# caller already in it, is what peers get wrong. Here a version is immutable and named
# by the hash of its content, and a published name is only a pointer: publish and
# rollback are one move of the pointer, pure functions returning a new book, so the
# single writer can log the move as one event and apply it atomically (next round).
# A caller in a flow keeps the version their session names.
"""Flow versions: content hash, the book of published pointers, diff."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Flow

__all__ = ["Change", "FlowBook", "PublishRefused", "Published", "content_hash", "diff"]


def _canon(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {
            f.name: _canon(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if not f.name.startswith("_")  # derived (an index), not content
        }
        out["@"] = type(obj).__name__
        return out
    if isinstance(obj, dict):
        return {str(k): _canon(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, list | tuple):
        return [_canon(x) for x in obj]
    if isinstance(obj, date):
        return obj.isoformat()
    return obj


def _node_canon(node: Any) -> str:
    return json.dumps(_canon(node), sort_keys=True, ensure_ascii=False)


def content_hash(flow: Flow) -> str:
    """The version of `flow`: 16 hex digits of the SHA-256 of its content (everything
    but the `version` field), the same for the same content."""
    data = _canon(flow)
    data.pop("version", None)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Published:
    """One move of a name's pointer: the version, who moved it, when (epoch s), and
    whether it was a rollback."""

    name: str
    version: str
    by: str
    at: float
    rollback: bool = False


class PublishRefused(ValueError):
    """A publish or rollback that cannot be done; `problems` say why (never empty)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class FlowBook:
    """Every version ever published (by version, immutable), the pointer of each
    name, and the history of pointer moves, oldest first."""

    versions: tuple[tuple[str, Flow], ...] = ()
    pointers: tuple[tuple[str, str], ...] = ()
    history: tuple[Published, ...] = ()

    def current(self, name: str) -> Flow | None:
        """The flow `name` points to (what a new contact gets), or None."""
        version = dict(self.pointers).get(name)
        return None if version is None else self.version(version)

    def version(self, version: str) -> Flow | None:
        """The flow of `version` (what a contact already in it keeps), or None."""
        return dict(self.versions).get(version)

    def publish(self, flow: Flow, by: str, at: float) -> FlowBook:
        """A new book whose pointer `flow.id` names `flow`'s version. Raises
        PublishRefused when `flow` has problems (each listed) or its version is not
        its content hash."""
        from .validate import problems

        found = [str(p) for p in problems(flow)]
        if flow.version != content_hash(flow):
            found.append("the version is not the hash of the content")
        if found:
            raise PublishRefused(found)
        versions = dict(self.versions)
        versions.setdefault(flow.version, flow)
        return self._point(flow.id, flow.version, by, at, rollback=False, versions=versions)

    def rollback(self, name: str, by: str, at: float) -> FlowBook:
        """A new book whose pointer `name` names the version it named before the last
        move. Raises PublishRefused when there is none."""
        moves = [p for p in self.history if p.name == name]
        current = dict(self.pointers).get(name)
        earlier = [p.version for p in moves[:-1] if p.version != current]
        if not earlier:
            raise PublishRefused([f"flow {name!r} has no earlier version to roll back to"])
        return self._point(name, earlier[-1], by, at, rollback=True, versions=dict(self.versions))

    def _point(
        self, name: str, version: str, by: str, at: float, *, rollback: bool,
        versions: dict[str, Flow],
    ) -> FlowBook:  # fmt: skip
        pointers = dict(self.pointers)
        pointers[name] = version
        return FlowBook(
            versions=tuple(versions.items()),
            pointers=tuple(sorted(pointers.items())),
            history=(*self.history, Published(name, version, by, at, rollback)),
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two flows: `what` is "added", "removed" or "changed"
    (a node, or the flow's "start"/"languages"/"schedules" for `node` "")."""

    what: str
    node: str

    def __str__(self) -> str:
        return f"{self.what} {self.node}"


def diff(a: Flow, b: Flow) -> list[Change]:
    """What changes from flow `a` to flow `b`: nodes added, removed or changed (in
    `b`'s order, removed ones last), then the flow's own fields that changed."""
    old = {n.id: n for n in a.nodes}
    new = {n.id: n for n in b.nodes}
    out = []
    for node_id, node in new.items():
        if node_id not in old:
            out.append(Change("added", node_id))
        elif _node_canon(old[node_id]) != _node_canon(node):
            out.append(Change("changed", node_id))
    out += [Change("removed", node_id) for node_id in old if node_id not in new]
    for name in ("start", "languages", "schedules"):
        if _node_canon(getattr(a, name)) != _node_canon(getattr(b, name)):
            out.append(Change("changed", name))
    return out
