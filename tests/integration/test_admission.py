"""The admission use case on a real runner over SQLite: every way in (API,
demo, a future IVR flow) admits a contact through `Admission.admit`, so its
rules are checked here without HTTP — idempotency, the refusals, and a
migration throttle sending an arrival to the site variant."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from joignable.core.commands import CommandRejected
from joignable.core.model import Channel
from joignable.core.routing.throttle import ThrottleSettings
from joignable.service.admission import Admission, Arrival, KeyReused, UnknownQueue
from joignable.service.clock import ManualClock
from joignable.service.config import changes, load
from joignable.service.runner import CenterRunner
from joignable.service.throttles import ThrottleBank
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from tests.integration.conftest import CENTER_YAML

Scenario = Callable[[Admission, CenterRunner], Awaitable[None]]


def _run(tmp_path: Path, scenario: Scenario, bank: ThrottleBank | None = None) -> None:
    async def main() -> None:
        with EventLog.open(str(tmp_path / "admission.db")) as log:
            runner = CenterRunner(log, ManualClock())
            await runner.start()
            try:
                for command in changes(None, load(CENTER_YAML), runner.engine):
                    await runner.submit(command)
                admission = Admission(
                    runner,
                    accounts=Accounts(log.engine, log.tenant),
                    clock=ManualClock(),
                    throttles=lambda: bank,
                )
                await scenario(admission, runner)
            finally:
                await runner.stop()

    asyncio.run(main())


def test_a_retry_with_the_same_key_gets_the_same_contact_once(tmp_path: Path) -> None:
    async def scenario(admission: Admission, runner: CenterRunner) -> None:
        arrival = Arrival(
            channel=Channel.VOICE,
            queue="voice",
            customer="cust-1",
            identifiers=(("phone", "+33100000000"),),
            idempotency_key="k-1",
            by="ivr",
        )
        first = await admission.admit(arrival)
        again = await asyncio.gather(*(admission.admit(arrival) for _ in range(5)))
        assert not first.replayed and first.queue == first.requested_queue == "voice"
        assert {a.contact_id for a in again} == {first.contact_id}
        assert all(a.replayed and a.queue == "voice" for a in again)
        contact = runner.engine.contacts[first.contact_id]
        assert ("customer.phone", "+33100000000") in contact.spec.attributes
        added = [c for c in runner.engine.contacts.values() if c.customer == "cust-1"]
        assert len(added) == 1

    _run(tmp_path, scenario)


def test_refusals_are_domain_errors_and_add_nothing(tmp_path: Path) -> None:
    async def scenario(admission: Admission, runner: CenterRunner) -> None:
        await admission.admit(Arrival(Channel.VOICE, "voice", idempotency_key="k"))
        before = len(runner.engine.contacts)
        with pytest.raises(KeyReused):
            await admission.admit(Arrival(Channel.VOICE, "voice", "other", idempotency_key="k"))
        with pytest.raises(UnknownQueue):
            await admission.admit(Arrival(Channel.VOICE, "nowhere"))
        with pytest.raises(CommandRejected):  # the chat queue does not take voice
            await admission.admit(Arrival(Channel.VOICE, "chat"))
        assert len(runner.engine.contacts) == before

    _run(tmp_path, scenario)


def test_a_throttle_sends_arrivals_to_the_site_variant(tmp_path: Path) -> None:
    bank = ThrottleBank([ThrottleSettings(queue="voice", site="lyon", target=0.5)], now=0.0)

    async def scenario(admission: Admission, runner: CenterRunner) -> None:
        out = [await admission.admit(Arrival(Channel.VOICE, "voice")) for _ in range(8)]
        sent = [a for a in out if a.queue == "voice@lyon"]
        assert sent and all(a.requested_queue == "voice" for a in out)
        for a in sent:
            spec = runner.engine.contacts[a.contact_id].spec
            assert spec.queue == "voice@lyon" and ("throttled_from", "voice") in spec.attributes

    _run(tmp_path, scenario, bank)


def test_the_key_is_durable_exactly_when_its_contact_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One transaction for the contact and its key: a failed append leaves no
    key behind, a successful one leaves the key done (no second commit)."""
    from joignable.service.runner import RunnerUnavailable
    from joignable.store import StoreError

    async def scenario(admission: Admission, runner: CenterRunner) -> None:
        accounts = admission.accounts
        assert accounts is not None
        real = runner.log.append

        def failing(*_: object, **__: object) -> None:
            raise StoreError("disk full")

        monkeypatch.setattr(runner.log, "append", failing)
        with pytest.raises(RunnerUnavailable):
            await admission.admit(Arrival(Channel.VOICE, "voice", idempotency_key="k-fail"))
        assert accounts.get_key("k-fail") is None  # nothing claimed for a contact not stored
        monkeypatch.setattr(runner.log, "append", real)
        for _ in range(200):  # the probe resumes the runner
            if not runner.degraded:
                break
            await asyncio.sleep(0.05)
        marks: list[str] = []
        monkeypatch.setattr(accounts, "mark_key_done", marks.append)
        admitted = await admission.admit(Arrival(Channel.VOICE, "voice", idempotency_key="k-fail"))
        record = accounts.get_key("k-fail")
        assert record is not None and record.done and record.contact_id == admitted.contact_id
        assert marks == []  # done in the contact's own transaction

    _run(tmp_path, scenario)
