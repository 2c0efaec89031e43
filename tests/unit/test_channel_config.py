"""The `channels:` section of the center file: each entry names a known adapter
kind (a misspelt one gets "did you mean"), a name mounted once, a queue the
center has, and the environment variable of its secret — never the secret."""

from __future__ import annotations

import pytest

from joignable.channels import KINDS
from joignable.channels.registry import ADAPTERS
from joignable.service.config import ConfigError, parse

BASE = """\
queues:
  - {id: chat, channels: [chat]}
channels:
"""


def problems(entries: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(BASE + entries, "center.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_webhook_entry_is_read() -> None:
    config = parse(
        BASE + "  - {kind: webhook, name: crm, secret_env: CRM_SECRET, queue: chat}\n",
        "center.yaml",
    )
    (mount,) = config.channels
    assert (mount.kind, mount.name, mount.secret_env, mount.queue) == (
        "webhook",
        "crm",
        "CRM_SECRET",
        "chat",
    )


def test_a_misspelt_kind_gets_did_you_mean() -> None:
    (problem,) = problems("  - {kind: webhok, name: crm, secret_env: CRM_SECRET}\n")
    assert problem.startswith("center.yaml:4: channels[0].kind")
    assert "unknown channel adapter 'webhok'; did you mean 'webhook'?" in problem


def test_a_misspelt_key_gets_did_you_mean() -> None:
    (problem,) = problems("  - {kind: webhook, name: crm, secret_env: X, queu: chat}\n")
    assert "unknown key 'queu'; did you mean 'queue'?" in problem


def test_a_secret_in_the_document_is_refused() -> None:
    found = problems("  - {kind: webhook, name: crm, secret_env: X, secret: hunter2}\n")
    assert any("unknown key 'secret'" in p for p in found)


def test_an_unknown_queue_and_a_name_mounted_twice_are_named() -> None:
    found = problems(
        "  - {kind: webhook, name: crm, secret_env: A, queue: chta}\n"
        "  - {kind: webhook, name: crm, secret_env: B}\n"
    )
    assert any("channels[0].queue" in p and "did you mean 'chat'" in p for p in found)
    assert any("channels[1].name" in p and "duplicate channel webhook/crm" in p for p in found)


def test_every_kind_the_schema_accepts_has_a_factory() -> None:
    assert set(KINDS) == set(ADAPTERS)
