"""The composition root: one function builds a whole center from its settings.

Why one place: the server, the demo, the tests and the benches all need the
same object graph — the event log, the single writer, the read side, the
use cases (admission, configuration), the live hub and its notifier, the
channel adapters, the demo's simulated traffic — wired in the same order,
started and stopped in the same order. Before this module that wiring was
spread over `create_app`, router start-up hooks, the demo replacing the app's
lifespan and string keys on `app.state`; now `bootstrap(settings)` builds a
typed `Container` and the web app only serves it (cosmicpython's
`bootstrap.py`: dependencies injected in one place, nothing at import time).

What a test may swap is a small protocol (`Overrides`): the clock
(`service/clock.py`), the journal and the notifier (`service/ports.py`), the
adapter factories (`channels/base.py`) and the environment secrets are read
from. `start()` replays the log, applies the configuration and starts the
live hub, the channels and the demo; `stop()` undoes it in reverse.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry

from joignable.channels.base import AdapterContext, AdapterFactory, ChannelAdapter
from joignable.channels.registry import ADAPTERS
from joignable.core.routing.engine import EngineSettings
from joignable.service.admission import Admission
from joignable.service.clock import Clock, SystemClock
from joignable.service.config import CenterConfig, alert_rules, from_store, load, throttle_settings
from joignable.service.configurator import Applied, Configurator
from joignable.service.contacts import ContactIndex
from joignable.service.delivery import Deliveries
from joignable.service.demo import DemoTraffic
from joignable.service.departure import Departure
from joignable.service.desk import Desk
from joignable.service.heap import HeapKeeper
from joignable.service.housekeeping import Housekeeping
from joignable.service.live import LiveHub
from joignable.service.metrics import metrics_registry
from joignable.service.notify import Notifier, targets_from_env
from joignable.service.ports import AlertNotifier, Journal
from joignable.service.readside import ReadSide
from joignable.service.runner import CenterRunner
from joignable.service.supervision import Supervision
from joignable.settings import Settings
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from joignable.store.alerts import AlertHistory
from joignable.store.outbox import Outbox

if TYPE_CHECKING:
    from joignable.web.auth import Auth

log = logging.getLogger(__name__)

SECRET_ENV = "JOIGNABLE_SECRET"


@dataclass(frozen=True, slots=True)
class Overrides:
    """The parts a caller (a test) gives instead of the real ones; None: real.

    `journal` an open event log (the container closes it at `stop()`);
    `clock` the time; `notifier` who hears of alert and throttle decisions
    (default: the targets `env` names, `service/notify.py`); `adapters` the
    factory of each channel kind (default `channels.registry.ADAPTERS`);
    `env` where secrets and notification targets are read (default
    `os.environ`).
    """

    journal: Journal | None = None
    clock: Clock | None = None
    notifier: AlertNotifier | None = None
    adapters: Mapping[str, AdapterFactory] | None = None
    env: Mapping[str, str] | None = None


@dataclass(eq=False, slots=True)
class Container:
    """One center, built and wired: every part a handler, a channel or a test uses.

    `config` is the configuration in force (None: the center has none at
    all); it follows every apply. Build it with `bootstrap`, then `start()`.
    """

    settings: Settings
    clock: Clock
    log: Journal
    accounts: Accounts
    runner: CenterRunner
    contacts: ContactIndex
    read: ReadSide  # what readers see: durable events only
    configurator: Configurator
    admission: Admission
    desk: Desk  # the agent desk's use cases
    supervision: Supervision  # the supervisor's use cases
    departure: Departure  # a contact leaving (cancelled, abandoned)
    auth: Auth
    live: LiveHub
    alert_history: AlertHistory
    notifier: AlertNotifier
    deliveries: Deliveries | None  # the durable outbox's worker (None: in-memory notifier)
    metrics: CollectorRegistry
    channels: dict[tuple[str, str], ChannelAdapter]
    demo: DemoTraffic | None
    config: CenterConfig | None
    start_config: CenterConfig | None = None
    adapter_context: AdapterContext | None = None
    factories: Mapping[str, AdapterFactory] = field(default_factory=dict)
    housekeeping: Housekeeping | None = None
    heap: HeapKeeper = field(default_factory=HeapKeeper)
    _started: list[str] = field(default_factory=list)

    def channel(self, kind: str, name: str) -> ChannelAdapter | None:
        """The mounted channel adapter `kind`/`name` (None: not configured)."""
        return self.channels.get((kind, name))

    async def start(self) -> Applied:
        """Start the center: the live hub, the writer (which replays the log:
        crash recovery), the configuration (the file's, else the stored one),
        the channel adapters it lists, the purge of expired tokens and
        idempotency keys (`service/housekeeping.py`), the demo traffic. Returns what applying
        the configuration did. Raises `StoreError` when the log cannot be
        read, `ChannelSetupError` when a channel cannot be mounted; what was
        started is stopped again before it raises."""
        try:
            await self.live.start()
            self._started.append("live")
            if self.deliveries is not None:
                await self.deliveries.start()
                self._started.append("deliveries")
            await self.runner.start()
            self._started.append("runner")
            self.configurator.listen(self._applied)  # start() announces too
            applied = await self.configurator.start(self.start_config)
            log.info("configuration applied: %d command(s)", applied.commands)
            await self._mount_channels()
            await self.heap.start()
            self._started.append("heap")
            if self.housekeeping is not None:
                await self.housekeeping.start()
                self._started.append("housekeeping")
            if self.demo is not None:
                self.live.add_section("demo", self.demo.section)
                await self.demo.start()
                self._started.append("demo")
            return applied
        except BaseException:
            await self.stop()
            raise

    async def _mount_channels(self) -> None:
        """Build and start one adapter per `channels:` entry of the configuration."""
        config = self.config
        context = self.adapter_context
        for mount in config.channels if config is not None else ():
            if context is None:
                break
            adapter = self.factories[mount.kind](mount, context)
            await adapter.transport.start()
            self.channels[adapter.key] = adapter
            log.info("channel %s/%s mounted", mount.kind, mount.name)

    def _applied(self, config: CenterConfig, by: str) -> None:
        """A configuration was applied (at start, or through the API): it is the
        one in force; its alert rules and throttles take over (unchanged ones
        keep their state), its time zone and name are the tower's. Channels
        are mounted at start: a change of `channels:` takes effect at restart."""
        self.config = config
        hub = self.live
        hub.set_rules(alert_rules(config))
        hub.set_throttles(throttle_settings(config), by=by)
        hub.tz = ZoneInfo(config.center.timezone)
        self.notifier.center = config.center.name

    async def stop(self) -> None:
        """Stop what `start()` started, in reverse order, then close the log."""
        try:
            if "demo" in self._started and self.demo is not None:
                await self.demo.stop()
            for key, adapter in reversed(list(self.channels.items())):
                try:
                    await adapter.transport.stop()
                except Exception:
                    log.exception("stopping channel %s/%s failed", *key)
            self.channels.clear()
            if "housekeeping" in self._started and self.housekeeping is not None:
                await self.housekeeping.stop()
            if "heap" in self._started:
                await self.heap.stop()
            if "live" in self._started:
                await self.live.stop()
            if "deliveries" in self._started and self.deliveries is not None:
                await self.deliveries.stop()
                await self.deliveries.feed()  # the decisions the hub's stop logged
            try:
                await self.notifier.aclose(wait=False)
            except Exception:
                log.exception("closing the notifier failed")
            if "runner" in self._started:
                await self.runner.stop()
        finally:
            self._started.clear()
            self.log.close()


async def bootstrap(
    settings: Settings,
    config: CenterConfig | None = None,
    *,
    overrides: Overrides | None = None,
) -> Container:
    """The center `settings` describe, built but not started (call `start()`).

    `config` is the configuration to start with; None: the settings' (`config`,
    else the file at `config_path`), else the one the database holds from the
    last apply. Raises `ConfigError` for a bad file (before anything is
    opened), `StoreError` when the database cannot be opened.
    """
    overrides = overrides or Overrides()
    env: Mapping[str, str] = overrides.env if overrides.env is not None else os.environ
    file_config = config or _file_config(settings)  # fail early on a bad file
    clock = overrides.clock or settings.clock or SystemClock()
    journal: Journal
    if overrides.journal is not None:
        journal = overrides.journal
    else:
        journal = await asyncio.to_thread(
            EventLog.open, settings.database_url, tenant=settings.tenant
        )
    try:
        return await _build(settings, file_config, clock, journal, overrides, env)
    except BaseException:
        journal.close()
        raise


async def _build(
    settings: Settings,
    file_config: CenterConfig | None,
    clock: Clock,
    journal: Journal,
    overrides: Overrides,
    env: Mapping[str, str],
) -> Container:
    # imported here: `web.auth` imports `web.state`, which imports this module
    from joignable.web.auth import Auth

    accounts = Accounts(journal.engine, settings.tenant)
    config = file_config or await asyncio.to_thread(_stored_config, accounts)
    secret = settings.secret or env.get(SECRET_ENV, "").strip()
    if not secret:
        secret = await asyncio.to_thread(accounts.secret, "session")
    contacts = ContactIndex(settings.keep_ended_contacts)
    engine_settings = None
    if config is not None:
        engine_settings = EngineSettings(max_missed_offers=config.center.max_missed_offers)
    read = ReadSide()
    runner = CenterRunner(
        journal,
        clock,
        settings=engine_settings,
        read_models=[contacts, read],
        snapshot_every=settings.snapshot_every,
    )
    history = AlertHistory(journal.engine, settings.tenant)
    center_name = config.center.name if config else ""
    notifier = overrides.notifier or _notifier_from_env(env, history, center_name)
    # the hub and the deliveries must see the replay: built before the runner starts.
    # A notifier given by the caller hears the hub directly (in memory); the
    # server's own goes through the durable outbox, fed from the log
    # (service/delivery.py, decision 0023).
    deliveries = None
    if overrides.notifier is None and isinstance(notifier, Notifier):
        outbox = Outbox(journal.engine, settings.tenant)
        deliveries = await asyncio.to_thread(Deliveries, runner, outbox, notifier)
    live = LiveHub(
        runner,
        rules=alert_rules(config),
        throttles=throttle_settings(config),
        notifier=notifier if deliveries is None else None,
        timezone=config.center.timezone if config else "UTC",
        read=read,
    )
    admission = Admission(
        runner, accounts=accounts, clock=clock, contacts=contacts, throttles=lambda: live.throttles
    )
    demo = None
    if settings.demo is not None:
        demo = DemoTraffic(runner, settings.demo, admission)
    auth = Auth(
        accounts,
        secret,
        clock,
        token_ttl=settings.token_ttl,
        session_ttl=settings.session_ttl,
        secure_cookies=settings.secure_cookies,
    )
    configurator = Configurator(runner, accounts)
    return Container(
        settings=settings,
        clock=clock,
        log=journal,
        accounts=accounts,
        runner=runner,
        contacts=contacts,
        read=read,
        configurator=configurator,
        admission=admission,
        desk=Desk(runner, read, contacts),
        supervision=Supervision(runner, read, contacts, configurator),
        departure=Departure(runner, contacts),
        auth=auth,
        live=live,
        alert_history=history,
        notifier=notifier,
        deliveries=deliveries,
        metrics=metrics_registry(runner, read, clock),
        channels={},
        demo=demo,
        config=config,
        start_config=config,
        adapter_context=AdapterContext(admission, env),
        housekeeping=Housekeeping(accounts, clock, key_window_s=settings.idempotency_window_s),
        factories=dict(overrides.adapters if overrides.adapters is not None else ADAPTERS),
    )


def _file_config(settings: Settings) -> CenterConfig | None:
    if settings.config is not None:
        return settings.config
    if settings.config_path is not None:
        return load(settings.config_path)
    return None


def _stored_config(accounts: Accounts) -> CenterConfig | None:
    """The configuration the last apply stored (None: none, or it no longer
    validates: the configurator then says so); rules left out are logged."""
    stored = accounts.load_config()
    if stored is None:
        return None
    config, problems = from_store(stored.document)
    for problem in problems if config is not None else ():
        log.warning("the stored configuration: %s: rule left out", problem)
    return config


def _notifier_from_env(env: Mapping[str, str], history: AlertHistory, center: str) -> Notifier:
    """The notifier of the targets the environment names; a target set wrong
    is left out, with an error in the log naming its variable."""
    webhooks, emails, problems = targets_from_env(env)
    for problem in problems:
        log.error("alert notifications: %s", problem)
    return Notifier(webhooks=webhooks, emails=emails, history=history, center=center)
