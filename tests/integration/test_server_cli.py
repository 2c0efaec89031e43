"""`joignable user`: add, list, change a password; bad input exits 2 with a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from joignable.cli import app
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from joignable.web.auth import verify_password


@pytest.mark.slow
def test_user_add_list_and_password(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'u.db'}"
    run = CliRunner().invoke
    ok = run(app, ["user", "add", "ana", "--role", "supervisor", "--sites", "paris,lyon",
                   "--password", "s3cret-pass", "--db", db])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "ana added (supervisor sites=paris,lyon)" in ok.output
    agent = run(app, ["user", "add", "p01", "--role", "agent", "--db", db], input="pw-123456\n" * 2)
    assert agent.exit_code == 0, agent.output
    listed = run(app, ["user", "list", "--db", db])
    assert "ana\tsupervisor\tscope=lyon,paris" in listed.output
    assert "p01\tagent\tscope=-\tagent=p01" in listed.output
    assert (
        run(app, ["user", "password", "ana", "--password", "another-1", "--db", db]).exit_code == 0
    )
    with EventLog.open(db) as log:
        user = Accounts(log.engine).get_user("ana")
        assert user is not None and verify_password(user.password_hash, "another-1")
        assert user.password_hash.startswith("$argon2id$")

    def refused(args: list[str], message: str) -> None:
        result = run(app, ["user", *args, "--db", db])
        assert result.exit_code == 2 and message in result.output, result.output

    refused(["add", "ana", "--role", "admin", "--password", "long-enough"], "already exists")
    refused(["add", "bob", "--role", "boss", "--password", "long-enough"], "role must be one of")
    refused(["add", "bob", "--role", "agent", "--sites", "paris", "--password", "long-enough"],
            "scope a supervisor only")  # fmt: skip
    refused(["add", "bob", "--role", "admin", "--password", "short"], "at least 8")
    refused(["add", "b b", "--role", "admin", "--password", "long-enough"], "invalid user name")
    refused(["password", "nobody", "--password", "long-enough"], "no user 'nobody'")


def test_serve_refuses_a_stored_configuration_that_no_longer_validates(tmp_path: Path) -> None:
    """Without --config the server starts from the stored configuration; when it
    no longer validates it must not start on an empty one (that would remove
    every queue and agent): it says why and exits 2, the store untouched."""
    import asyncio

    from joignable.service.clock import ManualClock
    from joignable.service.configurator import Configurator, StoredConfigInvalid
    from joignable.service.runner import CenterRunner

    db = f"sqlite:///{tmp_path / 'c.db'}"
    document = {"queues": [{"id": "voice", "channels": ["fax"]}]}
    with EventLog.open(db) as log:
        Accounts(log.engine).save_config(document, by="old", now=0.0)
    # a host not on this machine: were the check missing, uvicorn would fail to bind
    result = CliRunner().invoke(app, ["serve", "--db", db, "--host", "203.0.113.1"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "no longer validates" in said and "channels" in said and "--config FILE" in said

    async def start() -> None:  # the configurator refuses too (the app's own start)
        with EventLog.open(db) as log:
            runner = CenterRunner(log, ManualClock())
            await runner.start()
            try:
                await Configurator(runner, Accounts(log.engine)).start(None)
            finally:
                await runner.stop()

    try:
        asyncio.run(start())
    except StoredConfigInvalid as exc:
        assert "channels" in str(exc)
    else:
        raise AssertionError("started on an empty center")
    with EventLog.open(db) as log:
        stored = Accounts(log.engine).load_config()
        assert stored is not None and stored.document == document


def test_serve_refuses_a_file_that_would_wipe_the_stored_center(tmp_path: Path) -> None:
    """An empty (or truncated) --config over a database holding a center exits
    2 naming the queues and agents it would remove, the store untouched;
    --allow-removal lets it through (to the server's start)."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    document = {
        "queues": [{"id": "voice", "channels": ["voice"]}],
        "agents": [{"id": "a1", "capacity": {"voice": 1}}],
    }
    with EventLog.open(db) as log:
        Accounts(log.engine).save_config(document, by="admin", now=0.0)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    # a host not on this machine: were the check missing, uvicorn would fail to bind
    args = ["serve", "--db", db, "--host", "203.0.113.1", "--config", str(empty)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert (
        "would remove" in said
        and "queues: voice" in said
        and "agents: a1" in said
        and "--allow-removal" in said
    )
    with EventLog.open(db) as log:
        stored = Accounts(log.engine).load_config()
        assert stored is not None and stored.document == document

    allowed = CliRunner().invoke(app, [*args, "--allow-removal"])
    assert allowed.exit_code != 2 and "would remove" not in allowed.output
