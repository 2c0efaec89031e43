"""The store going away: while the log can be neither appended to nor read,
the runner is degraded and refuses every command at once (nothing is
acknowledged that is not durable, the writer does not stop); a back-off probe
re-reads the log and the runner resumes by itself. Real SQLite log; the
outage is simulated by making `append` and `read` raise `StoreError` (as
root, chmod cannot make the file unwritable here)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from joignable.core import commands as cmd
from joignable.core.model import AgentSpec, Capacity, Channel, ContactSpec, QueueSpec
from joignable.service.clock import ManualClock
from joignable.service.contacts import ContactIndex
from joignable.service.runner import CenterRunner, RunnerUnavailable
from joignable.store import EventLog, StoreError
from tests.integration.conftest import Server


def _contact(i: int) -> cmd.AddContact:
    return cmd.AddContact(contact=ContactSpec(id=f"c{i}", channel=Channel.VOICE, queue="q"))


def test_the_runner_refuses_while_the_store_is_down_and_resumes_by_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        with EventLog.open(str(tmp_path / "a.db")) as log:
            index = ContactIndex()
            runner = CenterRunner(log, ManualClock(), read_models=[index])
            await runner.start()
            await runner.submit(
                cmd.ConfigureQueue(queue=QueueSpec(id="q", channels=frozenset({Channel.VOICE})))
            )
            await runner.submit(
                cmd.ConfigureAgent(agent=AgentSpec(id="a", capacity=Capacity.only(Channel.VOICE)))
            )
            await runner.submit(_contact(0))

            def down(*_: object, **__: object) -> None:
                raise StoreError("the database is gone")

            monkeypatch.setattr(log, "append", down)
            monkeypatch.setattr(log, "read", down)
            monkeypatch.setattr(log, "last_seq", down)
            with pytest.raises(RunnerUnavailable, match="the database is gone"):
                await runner.submit(_contact(1))
            assert runner.degraded and runner.running  # the writer did not crash
            # readers keep the last durable state meanwhile, not an empty center
            assert index.get("c0") is not None and index.get("c1") is None
            with pytest.raises(RunnerUnavailable, match="store is unavailable"):
                await runner.submit(_contact(2))
            assert runner.statistics().degraded
            monkeypatch.undo()
            for _ in range(200):  # the probe re-reads the log (first wait 0.25 s)
                if not runner.degraded:
                    break
                await asyncio.sleep(0.05)
            assert not runner.degraded
            await runner.submit(_contact(3))
            assert "c1" not in runner.engine.contacts and "c2" not in runner.engine.contacts
            assert index.get("c0") is not None and index.get("c3") is not None
            assert log.last_seq() == runner.engine.seq
            await runner.stop()

    asyncio.run(main())


def test_http_answers_503_with_retry_after_and_healthz_degraded_then_resumes(
    sqlite_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = sqlite_server.client("root")
    anon = sqlite_server.client()
    body = {"channel": "chat", "queue": "chat", "customer": "web-1"}
    log = sqlite_server.services.runner.log

    def down(*_: object, **__: object) -> None:
        raise StoreError("the database is gone")

    monkeypatch.setattr(log, "append", down)
    monkeypatch.setattr(log, "read", down)
    headers = {"Idempotency-Key": "outage-1"}
    refused = root.post("/api/contacts", json=body, headers=headers)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "2"
    health = anon.get("/healthz")
    assert health.status_code == 503 and health.json()["status"] == "degraded"
    monkeypatch.undo()
    deadline = time.monotonic() + 30
    while anon.get("/healthz").status_code != 200:
        assert time.monotonic() < deadline, "the server did not resume"
        time.sleep(0.05)
    made = root.post("/api/contacts", json=body, headers=headers)
    assert made.status_code == 201, made.text
    again = root.post("/api/contacts", json=body, headers=headers)
    assert again.json()["id"] == made.json()["id"]  # the retry created no duplicate
