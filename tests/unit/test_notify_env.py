"""Notification targets from the environment: an SMTP relay with a user, a
password and its TLS mode; a password is not sent in clear unless asked; a
setting that does not fit leaves its target out with a message naming the
variable (it never stops the center); secrets stay out of log lines."""

from __future__ import annotations

import pytest

from joignable.service.notify import EmailTarget, WebhookTarget, targets_from_env

RELAY = {"JOIGNABLE_ALERT_SMTP": "mail.example.org:2525", "JOIGNABLE_ALERT_EMAIL_TO": "a@x, b@y"}
HOOK = {
    "JOIGNABLE_ALERT_WEBHOOK_URL": "https://hooks.example.org/x",
    "JOIGNABLE_ALERT_WEBHOOK_SECRET": "s",
}


def one_email(env: dict[str, str]) -> EmailTarget:
    webhooks, emails, problems = targets_from_env(env)
    assert problems == [] and webhooks == []
    (target,) = emails
    return target


def test_an_authenticated_relay() -> None:
    env = {**RELAY, "JOIGNABLE_ALERT_SMTP_USER": "tower", "JOIGNABLE_ALERT_SMTP_PASSWORD": "pw"}
    target = one_email(env)
    assert (target.host, target.port, target.recipients) == (
        "mail.example.org",
        2525,
        ("a@x", "b@y"),
    )
    assert (target.username, target.password) == ("tower", "pw")
    assert (target.start_tls, target.use_tls) == (True, False)  # STARTTLS unless told otherwise
    assert "pw" not in repr(target)
    plain = one_email({**env, "JOIGNABLE_ALERT_SMTP_TLS": "none"})
    assert (plain.start_tls, plain.use_tls, plain.username) == (False, False, "tower")


@pytest.mark.parametrize(
    ("relay", "mode", "port", "start_tls", "use_tls"),
    [
        ("mail.example.org", "", 25, False, False),
        ("mail.example.org", "starttls", 587, True, False),
        ("mail.example.org", "TLS", 465, False, True),
        ("127.0.0.1:1025", "none", 1025, False, False),
    ],
)
def test_tls_modes_and_their_ports(
    relay: str, mode: str, port: int, start_tls: bool, use_tls: bool
) -> None:
    env = {**RELAY, "JOIGNABLE_ALERT_SMTP": relay, "JOIGNABLE_ALERT_SMTP_TLS": mode}
    target = one_email(env)
    assert (target.port, target.start_tls, target.use_tls) == (port, start_tls, use_tls)
    assert target.username is None and target.sender == "joignable@localhost"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"JOIGNABLE_ALERT_SMTP": "mail:twenty-five"}, "JOIGNABLE_ALERT_SMTP: expected host:port"),
        ({"JOIGNABLE_ALERT_SMTP": "mail:99999"}, "JOIGNABLE_ALERT_SMTP: expected host:port"),
        ({"JOIGNABLE_ALERT_SMTP_TLS": "ssl"},
         "JOIGNABLE_ALERT_SMTP_TLS: expected one of none, starttls, tls, got 'ssl'"),
        ({"JOIGNABLE_ALERT_SMTP_USER": "tower"},
         "JOIGNABLE_ALERT_SMTP_USER and JOIGNABLE_ALERT_SMTP_PASSWORD go together"),
        ({"JOIGNABLE_ALERT_EMAIL_TO": " , "},
         "JOIGNABLE_ALERT_SMTP is set but JOIGNABLE_ALERT_EMAIL_TO names no recipient"),
    ],
)  # fmt: skip
def test_a_setting_that_does_not_fit_is_named(change: dict[str, str], problem: str) -> None:
    env = {**RELAY, **HOOK, **change}
    webhooks, emails, problems = targets_from_env(env)
    assert emails == [] and len(webhooks) == 1  # the other target still works
    (message,) = problems
    assert message.startswith(problem) and message.endswith(": no e-mail")


def test_a_webhook_and_nothing_else() -> None:
    env = {"JOIGNABLE_ALERT_WEBHOOK_URL": "https://h/x", "JOIGNABLE_ALERT_WEBHOOK_SECRET": "s3"}
    assert targets_from_env(env) == ([WebhookTarget(url="https://h/x", secret="s3")], [], [])
    assert "s3" not in repr(targets_from_env(env)[0][0])
    assert targets_from_env({}) == ([], [], [])


@pytest.mark.parametrize("secret", [None, "", "   "])
def test_a_webhook_without_a_secret_is_refused(secret: str | None) -> None:
    env = {"JOIGNABLE_ALERT_WEBHOOK_URL": "https://h/x"}
    if secret is not None:
        env["JOIGNABLE_ALERT_WEBHOOK_SECRET"] = secret
    webhooks, emails, problems = targets_from_env(env)
    assert webhooks == [] and emails == []
    assert problems == [
        "JOIGNABLE_ALERT_WEBHOOK_URL is set but JOIGNABLE_ALERT_WEBHOOK_SECRET is empty: "
        "no webhook (its signature would be forgeable)"
    ]
