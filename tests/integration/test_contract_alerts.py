"""An outsourcer's contract alerts on the control tower, end to end: the example
center's configuration, a runner on a manual clock, the live hub's figures per
outsourcer and its alert evaluator — no figure made up."""

from __future__ import annotations

import asyncio
from pathlib import Path

from joignable.core import commands as cmd
from joignable.core.alerts.config import rule_from_dict
from joignable.core.model import Channel, ContactSpec
from joignable.service.clock import ManualClock
from joignable.service.config import changes, load
from joignable.service.live import LiveHub
from joignable.service.runner import CenterRunner
from joignable.store import EventLog
from tests.integration.conftest import CENTER_YAML


def test_an_outsourcers_contract_alerts_fire_on_the_example_center(tmp_path: Path) -> None:
    """The example center's e-mail queue is acme's (`outsourcer: acme`): its
    e-mails wait and give up under acme on the control tower, and acme's
    contract levels (maximum wait, abandonment) fire there, not under "-"."""
    contract = {"scope": "outsourcer", "scope_id": "acme", "contract": True}
    rules = [
        rule_from_dict(contract | {"id": "acme-wait", "metric": "longest_wait",
                                   "threshold": 120}),
        rule_from_dict(contract | {"id": "acme-abandon", "metric": "abandonment_rate",
                                   "threshold": 0.2, "min_offered": 5}),
    ]  # fmt: skip

    async def run() -> None:
        clock = ManualClock(1_760_000_000.0)
        log = EventLog.open(str(tmp_path / "center.db"))
        runner = CenterRunner(log, clock)
        hub = LiveHub(runner, rules=rules)
        await runner.start()
        await hub.start()
        try:
            for command in changes(None, load(CENTER_YAML), runner.engine):
                await runner.submit(command)
            assert runner.engine.queues["email"].spec.outsourcer == "acme"
            for i in range(8):  # nobody logged in: they wait
                spec = ContactSpec(id=f"e{i}", channel=Channel.EMAIL, queue="email")
                await runner.submit(cmd.AddContact(contact=spec))
                clock.advance(10)
            clock.advance(100)  # e0 has waited 180 s
            snapshot = hub.push()
            acme = snapshot["figures"]["sliding"]["outsourcer"]["acme"]
            assert (acme["waiting"], acme["longest_wait"]) == (8, 180.0)
            assert snapshot["figures"]["sliding"]["site"]["-"]["waiting"] == 8  # no site
            (alert,) = snapshot["alerts"]["active"]
            assert (alert["rule_id"], alert["scope_id"], alert["contract"]) == (
                "acme-wait", "acme", True
            )  # fmt: skip
            for i in (5, 6, 7):
                await runner.submit(cmd.Abandon(contact_id=f"e{i}"))
            await runner.submit(cmd.LogIn(agent_id="x01"))  # takes e0..e4 (5 e-mails)
            for i in range(5):
                await runner.submit(cmd.Accept(contact_id=f"e{i}", agent_id="x01"))
            snapshot = hub.push()
            figures = snapshot["figures"]["sliding"]["outsourcer"]
            assert (figures["acme"]["offered"], figures["acme"]["abandoned"]) == (8, 3)
            assert figures["acme"]["abandonment_rate"] == 0.375
            assert "-" not in figures  # nothing of acme's is booked under "-"
            active = {(a["rule_id"], a["scope_id"]) for a in snapshot["alerts"]["active"]}
            assert active == {("acme-abandon", "acme")}  # the wait alert cleared
        finally:
            await hub.stop()
            await runner.stop()
            log.close()

    asyncio.run(run())
