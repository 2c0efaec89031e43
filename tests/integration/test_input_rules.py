"""Bad input over real HTTP: a 422 names the field and the problem and never
echoes what was sent (a huge body must not come back)."""

from __future__ import annotations

from pathlib import Path

import pytest

from joignable.store import EventLog, StoreError
from joignable.store.eventlog import StoredEvent
from tests.integration.conftest import Server


def test_a_422_names_the_field_but_never_echoes_the_input(server: Server) -> None:
    root = server.client("root")
    secret = "do-not-echo-" + "x" * 10_000
    response = root.post(
        "/api/contacts", json={"channel": "voice", "queue": "voice", "customer": {"n": secret}}
    )
    assert response.status_code == 422, response.text
    assert "do-not-echo" not in response.text
    problems = response.json()["detail"]
    assert any("customer" in p["loc"] for p in problems)
    assert all(set(p) == {"loc", "msg", "type"} for p in problems)


def test_control_characters_are_refused_in_ids_names_and_attributes(server: Server) -> None:
    root = server.client("root")
    voice = {"channel": "voice", "queue": "voice"}
    refused = [
        ({**voice, "customer": "cust\x00omer"}, "customer"),
        ({**voice, "customer": "a\u0085b"}, "customer"),  # C1 control (NEL)
        ({**voice, "customer": "a\ufffeb"}, "customer"),  # non-character
        ({**voice, "attributes": {"note": "bell\x07"}}, "attributes"),
        ({**voice, "attributes": {"ke\ny": "v"}}, "attributes"),
    ]
    for body, field in refused:
        response = root.post("/api/contacts", json=body)
        assert response.status_code == 422, (body, response.text)
        problems = response.json()["detail"]
        assert any(field in p["loc"] for p in problems), problems
        assert "not allowed" in response.text
    kept = root.post("/api/contacts", json={**voice, "attributes": {"note": "line 1\n\tline 2"}})
    assert kept.status_code == 201, kept.text  # TAB and LF are free text


def test_a_control_character_in_a_user_name_or_idempotency_key_is_a_422(server: Server) -> None:
    anon = server.client()
    token = anon.post("/api/auth/token", json={"username": "ro\x00ot", "password": "x"})
    assert token.status_code == 422 and "username" in str(token.json()["detail"])
    keyed = server.client("root").post(
        "/api/contacts",
        json={"channel": "voice", "queue": "voice"},
        headers={"Idempotency-Key": b"k\x85ey"},  # a C1 control, as Latin-1
    )
    assert keyed.status_code == 422, keyed.text
    assert "idempotency-key" in str(keyed.json()["detail"]).lower()


def test_the_text_rule() -> None:
    from joignable.schema.text import check_text

    assert check_text("Zoë 東京 ✓", field="name") == "Zoë 東京 ✓"
    assert check_text("a\tb\nc", field="note", free_text=True) == "a\tb\nc"
    for bad in ("\x00", "\x1f", "\x7f", "\x9f", "\ud800", "\ufdd0", "\uffff", "\U0001fffe"):
        with pytest.raises(ValueError, match="name: character U\\+"):
            check_text(f"ok{bad}", field="name")
    with pytest.raises(ValueError, match="U\\+000D"):
        check_text("a\rb", field="note", free_text=True)


def test_nothing_that_cannot_be_encoded_reaches_the_event_log(tmp_path: Path) -> None:
    with EventLog.open(f"sqlite:///{tmp_path / 'log.db'}") as log:
        for data in ({"customer": "\ud800"}, {"\udfff": 1}, {"n": [float("nan")]}):
            with pytest.raises(StoreError, match="not JSON"):
                log.append([StoredEvent(seq=1, at=0.0, kind="contact_arrived", data=data)])
        assert log.last_seq() == 0
