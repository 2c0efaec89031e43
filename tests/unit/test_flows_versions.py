# Why: a published name is a pointer to an immutable version; these pin that the
# version is the content's hash, that a bad flow is never published, that rollback
# moves the pointer back with who and when recorded, and what diff lists.
from __future__ import annotations

from pathlib import Path

import pytest

from joignable.core.flows import model as m
from joignable.core.flows.versions import Change, FlowBook, PublishRefused, content_hash, diff
from joignable.schema.flow import load_flow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "flows"


def _flow(text: str, extra: tuple[m.Node, ...] = ()) -> m.Flow:
    nodes = (m.Say("hello", m.Text((("fr", text),)), "bye"), m.Hangup("bye"), *extra)
    flow = m.Flow("main", "hello", ("fr",), nodes)
    return m.Flow("main", "hello", ("fr",), nodes, version=content_hash(flow))


def test_version_is_the_content_hash() -> None:
    assert _flow("a").version == _flow("a").version != _flow("b").version
    main = load_flow(EXAMPLES / "main.yaml")
    assert main.version == content_hash(main) == load_flow(EXAMPLES / "main.yaml").version


def test_publish_points_new_contacts_and_keeps_old_versions() -> None:
    v1, v2 = _flow("a"), _flow("b")
    book = FlowBook().publish(v1, by="ana", at=10.0).publish(v2, by="bob", at=20.0)
    current = book.current("main")
    assert current is not None and current.version == v2.version
    assert book.version(v1.version) == v1  # a caller on v1 finishes on it
    assert [(p.version, p.by, p.at) for p in book.history] == [
        (v1.version, "ana", 10.0), (v2.version, "bob", 20.0),
    ]  # fmt: skip


def test_rollback_moves_the_pointer_back() -> None:
    v1, v2 = _flow("a"), _flow("b")
    book = FlowBook().publish(v1, "ana", 1.0).publish(v2, "ana", 2.0)
    back = book.rollback("main", "cy", 3.0)
    current = back.current("main")
    assert current is not None and current.version == v1.version
    assert back.history[-1].rollback and back.history[-1].by == "cy"
    assert book.current("main") == v2  # the old book is unchanged (a value)
    with pytest.raises(PublishRefused, match="no earlier version"):
        FlowBook().publish(v1, "ana", 1.0).rollback("main", "ana", 2.0)


def test_an_invalid_flow_is_never_published() -> None:
    bad = _flow("a", (m.Hangup("lost"),))
    with pytest.raises(PublishRefused) as exc:
        FlowBook().publish(bad, "ana", 1.0)
    assert exc.value.problems == ["node lost: unreachable: no path from the start leads here"]
    tampered = m.Flow("main", "hello", ("fr",), _flow("a").nodes, version="0" * 16)
    with pytest.raises(PublishRefused, match="not the hash"):
        FlowBook().publish(tampered, "ana", 1.0)


def test_diff_lists_added_removed_and_changed_nodes() -> None:
    main = load_flow(EXAMPLES / "main.yaml")
    crisis = load_flow(EXAMPLES / "crisis.yaml")
    changes = diff(main, crisis)
    assert Change("added", "reassure") in changes
    assert Change("removed", "greeting") in changes
    assert Change("changed", "billing_queue") in changes
    assert Change("changed", "start") in changes and Change("changed", "schedules") in changes
    assert diff(main, main) == []
