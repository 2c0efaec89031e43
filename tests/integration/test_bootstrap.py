"""The composition root without HTTP: `bootstrap` builds the whole center from
settings, with the parts a test swaps (a manual clock, a notifier recording its
calls, a journal counting its appends), and one contact goes all the way
through it — admission, the writer, the log, the read side, the tower's alert
and the notifier. A channel whose secret is not set refuses to start; the
demo's traffic runs when the settings ask for it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from joignable.bootstrap import Container, Overrides, bootstrap
from joignable.channels.base import ChannelSetupError
from joignable.core import commands as cmd
from joignable.core.alerts.rules import AlertEvent
from joignable.core.model import Channel
from joignable.core.routing.throttle import ThrottleEvent
from joignable.service.admission import Arrival
from joignable.service.clock import ManualClock
from joignable.service.config import validate
from joignable.service.demo import DemoSettings, QueueTraffic
from joignable.settings import Settings
from joignable.sim.distributions import Exponential, LogNormal
from joignable.store import EventLog, StoredEvent

CENTER = {
    "center": {"name": "Bootstrap center"},
    "queues": [{"id": "chat", "channels": ["chat"]}],
    "agents": [{"id": "a1", "capacity": {"chat": 1}}],
    "alerts": [{"id": "queue-busy", "metric": "waiting", "scope": "queue", "threshold": 0.5,
                "clear": 0, "severity": "critical"}],
}  # fmt: skip


class RecordingNotifier:
    """A notifier that records what it is told (the `AlertNotifier` protocol)."""

    def __init__(self) -> None:
        self.center = ""
        self.alerts: list[AlertEvent] = []
        self.throttles: list[ThrottleEvent] = []
        self.closed = False

    def notify(self, event: AlertEvent) -> None:
        self.alerts.append(event)

    def notify_throttle(self, event: ThrottleEvent) -> None:
        self.throttles.append(event)

    async def aclose(self, wait: bool = True) -> None:
        self.closed = True


class CountingJournal:
    """The real event log, counting the batches appended (the `Journal` protocol)."""

    def __init__(self, log: EventLog) -> None:
        self.inner = log
        self.appends = 0
        self.closed = False

    @property
    def tenant(self) -> str:
        return self.inner.tenant

    @property
    def engine(self) -> Any:
        return self.inner.engine

    def append(self, events: Sequence[StoredEvent]) -> None:
        self.inner.append(events)
        self.appends += 1

    def read(self, after_seq: int = 0, limit: int | None = None) -> Iterator[StoredEvent]:
        return self.inner.read(after_seq, limit)

    def last_seq(self) -> int:
        return self.inner.last_seq()

    def close(self) -> None:
        self.closed = True
        self.inner.close()


async def until(check: Any, what: str) -> None:
    for _ in range(500):  # a generous sanity limit: 5 s
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def test_one_contact_goes_through_a_center_built_with_fakes(tmp_path: Path) -> None:
    async def run() -> None:
        clock = ManualClock(1_800_000_000.0)
        notifier = RecordingNotifier()
        journal = CountingJournal(EventLog.open(f"sqlite:///{tmp_path / 'center.db'}"))
        settings = Settings(database_url="unused: the journal is given")
        container: Container = await bootstrap(
            settings,
            validate(CENTER),
            overrides=Overrides(journal=journal, clock=clock, notifier=notifier, env={}),
        )
        assert container.clock is clock and container.log is journal
        await container.start()
        try:
            assert notifier.center == "Bootstrap center"  # the configuration named it
            admitted = await container.admission.admit(
                Arrival(channel=Channel.CHAT, queue="chat", customer="cust-1", by="test")
            )
            # durable before admit returned: the read side has it, stamped by the fake clock
            line = container.read.waiting_line("chat")
            assert line is not None
            assert [e.id for e in line.entries] == [admitted.contact_id]
            assert line.entries[0].entered == clock.now()
            rows = [r for r in journal.read() if r.kind == "ContactQueued"]
            assert [r.data["contact"]["id"] for r in rows] == [admitted.contact_id]
            assert journal.appends >= 2  # the configuration, then the contact

            container.live.push()  # the tower evaluates: one waiting > 0.5
            await container.live.decisions.drain()
            await until(lambda: notifier.alerts, "the alert reached the notifier")
            assert [a.rule_id for a in notifier.alerts] == ["queue-busy"]

            await container.runner.submit(cmd.LogIn(agent_id="a1", ready=True, by="test"))
            card = container.read.agent("a1")
            assert card is not None and card.offered == (admitted.contact_id,)
        finally:
            await container.stop()
        assert notifier.closed and journal.closed

    asyncio.run(run())


@pytest.mark.slow
def test_a_channel_without_its_secret_refuses_to_start(tmp_path: Path) -> None:
    config = validate(
        {**CENTER, "channels": [{"kind": "webhook", "name": "crm", "secret_env": "CRM_SECRET"}]}
    )

    async def run() -> None:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'center.db'}")
        container = await bootstrap(settings, config, overrides=Overrides(env={}))
        with pytest.raises(ChannelSetupError, match=r"webhook/crm: set \$CRM_SECRET"):
            await container.start()
        assert not container.runner.running  # what started was stopped

        with_secret = Overrides(env={"CRM_SECRET": "s"})
        container = await bootstrap(settings, config, overrides=with_secret)
        await container.start()
        try:
            adapter = container.channel("webhook", "crm")
            assert adapter is not None and adapter.mount.secret_env == "CRM_SECRET"
            assert container.channel("webhook", "erp") is None
        finally:
            await container.stop()
        assert container.channels == {}

    asyncio.run(run())


@pytest.mark.slow
def test_demo_traffic_runs_when_the_settings_ask_for_it(tmp_path: Path) -> None:
    traffic = (QueueTraffic("chat", Channel.CHAT, 50.0, LogNormal(60, 0.5), Exponential(600)),)

    async def run() -> None:
        url = f"sqlite:///{tmp_path / 'center.db'}"
        plain = await bootstrap(Settings(database_url=url), validate(CENTER))
        assert plain.demo is None
        plain.log.close()

        demo = DemoSettings(traffic=traffic, human_agent="", seed=7)
        container = await bootstrap(Settings(database_url=url, demo=demo), validate(CENTER))
        await container.start()
        try:
            assert container.demo is not None
            await until(lambda: container.demo.arrived > 0, "a demo customer arrived")
            assert container.live.snapshot()["demo"]["arrived"] > 0
        finally:
            await container.stop()
        with EventLog.open(url) as log:
            demo_contacts = [r for r in log.read() if r.kind == "ContactQueued"]
        assert demo_contacts and all(r.data["by"] == "demo" for r in demo_contacts)

    asyncio.run(run())
