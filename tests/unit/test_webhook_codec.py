"""The JSON webhook's codec, as plain function calls: a signed JSON contact
becomes an `Arrival` with an idempotency key of the sender's id; every way a
request can be wrong raises a named error carrying its status and field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from joignable.channels.base import BadSignature, InvalidField, MalformedInput, MissingSignature
from joignable.channels.webhook.codec import SIGNATURE_HEADER, WebhookCodec, sign
from joignable.core.model import Channel
from joignable.service.admission import Admitted

SECRET = "s3cret-of-the-crm"


def signed(payload: Any, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return body, {"X-Joignable-Signature": sign(secret, body)}


def codec(**defaults: Any) -> WebhookCodec:
    return WebhookCodec("crm", SECRET, **defaults)


def test_a_signed_contact_becomes_an_arrival_keyed_by_the_senders_id() -> None:
    body, headers = signed(
        {
            "id": "ticket-42",
            "channel": "email",
            "queue": "email",
            "customer": "cust-7",
            "identifiers": {"email": "ana@example.org", "phone": "+33612345678"},
            "language": "fr",
            "skills": {"billing": 3},
            "priority": 5,
            "attributes": {"subject": "Invoice"},
        }
    )
    arrival = codec().decode(body, headers)
    assert arrival.channel is Channel.EMAIL
    assert arrival.queue == "email"
    assert arrival.customer == "cust-7"
    assert arrival.identifiers == (("email", "ana@example.org"), ("phone", "+33612345678"))
    assert arrival.skills == (("billing", 3),)
    assert (arrival.language, arrival.priority) == ("fr", 5)
    assert arrival.attributes == (("subject", "Invoice"),)
    assert arrival.idempotency_key == "webhook:crm:ticket-42"
    assert arrival.by == "webhook/crm"


def test_the_channels_defaults_fill_what_the_contact_leaves_out() -> None:
    body, headers = signed({"id": "m-1"})
    arrival = codec(queue="chat", channel=Channel.CHAT).decode(body, headers)
    assert (arrival.channel, arrival.queue) == (Channel.CHAT, "chat")


def test_the_signature_header_is_found_whatever_its_case() -> None:
    body, headers = signed({"id": "m-1", "channel": "chat", "queue": "chat"})
    lower = {SIGNATURE_HEADER: headers["X-Joignable-Signature"]}
    assert codec().decode(body, lower).queue == "chat"


def test_no_signature_is_401() -> None:
    with pytest.raises(MissingSignature) as caught:
        codec().decode(b'{"id": "m-1"}', {})
    assert caught.value.status == 401


@pytest.mark.parametrize("secret", ["another secret", ""])
def test_a_wrong_signature_is_403_before_the_body_is_read(secret: str) -> None:
    body = b"not even json"
    headers = {"X-Joignable-Signature": sign(secret, body) if secret else "sha256=00"}
    with pytest.raises(BadSignature) as caught:
        codec().decode(body, headers)
    assert caught.value.status == 403


def test_a_body_changed_after_signing_is_refused() -> None:
    body, headers = signed({"id": "m-1", "channel": "chat", "queue": "chat"})
    with pytest.raises(BadSignature):
        codec().decode(body.replace(b"m-1", b"m-2"), headers)


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'"a string"'])
def test_what_is_not_a_json_object_is_400(body: bytes) -> None:
    with pytest.raises(MalformedInput) as caught:
        codec().decode(*signed(body))
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"channel": "chat", "queue": "chat"}, "id", "required"),
        ({"id": "m-1", "channel": "fax", "queue": "chat"}, "channel", "voice"),
        ({"id": "m-1", "channel": "chat", "queue": "chat", "prority": 3}, "prority",
         "did you mean 'priority'"),
        ({"id": "m-1", "channel": "chat", "queue": "chat", "priority": 5000}, "priority", "1000"),
        ({"id": "m-1", "channel": "chat", "queue": "chat", "skills": {"billing": 11}},
         "skills.billing", "1..10"),
        ({"id": "m-1", "channel": "chat", "queue": "no spaces"}, "queue", "pattern"),
        ({"id": "m-1", "queue": "chat"}, "channel", "no default channel"),
        ({"id": "m-1", "channel": "chat"}, "queue", "no default queue"),
        ({"id": "x" * 129, "channel": "chat", "queue": "chat"}, "id", "128"),
    ],
)  # fmt: skip
def test_a_field_wrong_missing_or_unknown_is_422_naming_it(
    payload: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(InvalidField) as caught:
        codec().decode(*signed(payload))
    assert caught.value.status == 422
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.as_dict()["detail"][0]["loc"] == ["body", *field.split(".")]


def test_the_answer_names_the_contact_and_where_it_went() -> None:
    answer = json.loads(codec().encode(Admitted("c-1", "voice@lyon", "voice", replayed=True)))
    assert answer == {
        "contact_id": "c-1",
        "queue": "voice@lyon",
        "requested_queue": "voice",
        "replayed": True,
    }


def test_a_codec_without_a_secret_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookCodec("crm", "")
