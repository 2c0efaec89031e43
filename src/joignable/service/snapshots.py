"""What a runner's snapshot holds, and when one may stand in for the log's head.

Why: a restart used to replay the whole log into a new engine and every read
model (7.3 s at 45k events). A snapshot is the writer's engine and the read
models as of one durable seq (`core/snapshot.py` encodes the object graph);
a restart restores it and replays only the events after it. It may stand in
for the head of the log only when restoring it gives what a full replay
would give, so a snapshot is refused (and the log replayed from its start) when:

* its format or its payload is unknown or does not decode (corrupt);
* the code changed since it was taken (`code`: a digest of the source of
  every module whose classes it holds: an upgrade replays once, in full);
* the runner starts from another state (`key`: the engine's settings and each
  read model's starting state, e.g. a new `keep_ended_contacts`, other KPI
  settings, other throttles): the fold of the same events would differ;
* it is past the log's end (a log restored from an older backup).

A read model that keeps a cursor of its own in the database (the outbox's
`Deliveries`) is not in the snapshot: it says with `replay_after()` from
which seq it needs the events, and the runner reads the log from there.
See docs/decisions/0031-restart-from-snapshot.md.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from joignable.core.codec import to_plain
from joignable.core.routing.engine import Engine
from joignable.core.snapshot import FORMAT, SnapshotError, decode_graph, encode_graph, modules_of

#: the payload's own version (the graph's format is inside it)
VERSION = 1


@runtime_checkable
class TailModel(Protocol):
    """A read model fed from its own durable cursor rather than restored."""

    def replay_after(self) -> int: ...


@runtime_checkable
class KeyedModel(Protocol):
    """A read model whose starting state is not a pure function of its
    configuration (it reads the clock), so it names that configuration."""

    def snapshot_key(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class Restored:
    """A snapshot restored into the engine and the read models."""

    seq: int
    at: float


def starting_key(engine: Engine, models: Sequence[object]) -> str:
    """A digest of the state a replay starts from: the new engine's settings and
    each read model's state before any event (or its `snapshot_key()`).
    Raises `SnapshotError` if a model cannot be snapshotted."""
    parts: list[Any] = [to_plain(engine.settings)]
    for model in models:
        if isinstance(model, KeyedModel):
            parts.append([type(model).__qualname__, to_plain(model.snapshot_key())])
        else:
            parts.append(_canonical(encode_graph([model])))
    return hashlib.sha256(_canonical(parts).encode()).hexdigest()


def capture(engine: Engine, models: Sequence[object], key: str) -> dict[str, Any]:
    """The payload of a snapshot of `engine` and `models` (plain data sharing
    nothing with them: it may be written from another thread). Raises
    `SnapshotError` if a model holds what cannot be snapshotted."""
    graph = encode_graph([engine, *models])
    return {"version": VERSION, "key": key, "code": code_digest(modules_of(graph)), "graph": graph}


def restore(data: dict[str, Any], engine: Engine, models: Sequence[object], key: str) -> None:
    """Put the snapshot's state into `engine` and `models` (fresh, unfed).
    Raises `SnapshotError` saying why the snapshot may not stand in for the
    log's head; then they may be half restored: build them anew."""
    if not isinstance(data, dict) or data.get("version") != VERSION:
        version = data.get("version") if isinstance(data, dict) else None
        raise SnapshotError(
            f"unknown snapshot version {version!r} (this joignable reads {VERSION})"
        )
    graph = data.get("graph")
    if not isinstance(graph, dict) or graph.get("format") != FORMAT:
        raise SnapshotError("the snapshot's state is not in a known format")
    if data.get("key") != key:
        raise SnapshotError("the center starts from other settings than the snapshot's")
    try:
        code = code_digest(modules_of(graph))
    except SnapshotError:
        raise
    except (TypeError, AttributeError) as exc:
        raise SnapshotError(f"the snapshot's class list does not decode: {exc!r}") from exc
    if data.get("code") != code:
        raise SnapshotError("the code changed since the snapshot was taken")
    decode_graph(graph, [engine, *models])


def code_digest(modules: Sequence[str]) -> str:
    """A digest of the source of `modules` (the classes a snapshot holds)."""
    digest = hashlib.sha256()
    for name in modules:
        digest.update(name.encode())
        digest.update(_source_digest(name))
    return digest.hexdigest()


@cache
def _source_digest(module: str) -> bytes:
    if not module.startswith(("joignable.core.", "joignable.service.")):
        raise SnapshotError(f"a snapshot may not hold classes of {module!r}")
    try:
        path = importlib.import_module(module).__file__
    except ImportError as exc:
        raise SnapshotError(f"no module {module!r} any more") from exc
    if path is None:
        raise SnapshotError(f"module {module!r} has no source")
    return hashlib.sha256(Path(path).read_bytes()).digest()


def _canonical(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, allow_nan=False)
