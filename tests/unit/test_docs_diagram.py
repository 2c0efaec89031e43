"""The lifecycle diagram in docs/routing.md is generated from the transition table."""

from pathlib import Path

from joignable.core.routing.lifecycle import mermaid


def test_routing_doc_shows_the_current_contact_lifecycle() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "routing.md"
    assert mermaid() in doc.read_text()
