"""Applies a center configuration to the running engine, live.

Why: the configuration lives in a file at start and changes through the API
afterwards; both must end as ConfigureQueue / ConfigureAgent commands through
the single writer (so every change is an event with who made it), only for
what changed, and the version applied is stored so that a restart diffs
against it instead of undoing what supervisors changed live.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.commands import CommandRejected
from joignable.core.routing.lifecycle import InvalidTransition
from joignable.service.config import CenterConfig, ConfigError, changes, validate
from joignable.service.runner import CenterRunner
from joignable.store.accounts import Accounts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying a configuration did."""

    commands: int
    events: int
    kept: tuple[str, ...]  # ids no longer in the configuration that could not go yet


class StoredConfigInvalid(ConfigError):
    """The configuration stored by an earlier version no longer validates and no
    file replaces it: starting would empty the center, so it does not start."""


class Configurator:
    """Holds the current configuration; `apply()` makes a new one live."""

    def __init__(self, runner: CenterRunner, accounts: Accounts) -> None:
        self.runner = runner
        self.accounts = accounts
        self.current = CenterConfig()
        self._lock = asyncio.Lock()

    async def start(self, from_file: CenterConfig | None) -> Applied:
        """Apply `from_file` (or, without a file, the stored configuration)
        against the configuration applied last time. Call after the runner started."""
        stored = await asyncio.to_thread(self.accounts.load_config)
        previous: CenterConfig | None = None
        if stored is not None:
            try:
                previous = validate(stored.document)
            except ConfigError as exc:  # written by an older version: re-apply everything
                if from_file is None:  # never empty a center for want of a file
                    raise StoredConfigInvalid(exc.problems) from None
                log.warning("the stored configuration no longer validates: %s", exc)
        self.current = previous or CenterConfig()
        target = from_file or previous or CenterConfig()
        return await self.apply(target, by="config", previous=previous)

    async def apply(
        self, config: CenterConfig, *, by: str, previous: CenterConfig | None = None
    ) -> Applied:
        """Make `config` live: send the Configure commands it needs, store it.
        Raises `CommandRejected` / `RunnerUnavailable` from the runner."""
        async with self._lock:
            old = previous if previous is not None else self.current
            engine = self.runner.engine
            commands = changes(old, config, engine, by=by)
            results: list[list[ev.Event]] = []
            if commands:
                results = await asyncio.gather(*(self.runner.submit(c) for c in commands))
            engine_events = await self.runner.submit(
                cmd.ConfigureEngine(max_missed_offers=config.center.max_missed_offers, by=by)
            )
            results.append(engine_events)
            now = self.runner.clock.now()
            document = config.model_dump(mode="json")
            await asyncio.to_thread(self.accounts.save_config, document, by=by, now=now)
            self.current = config
            removed, events, kept = await self._remove_what_left(config, by)
            return Applied(
                len(commands) + removed,
                sum(len(r) for r in results) + events,
                kept,
            )

    async def _remove_what_left(
        self, config: CenterConfig, by: str
    ) -> tuple[int, int, tuple[str, ...]]:
        """Remove the queues and agents no longer in `config`; the engine refuses
        while something depends on them (contacts in a queue, an overflow to it,
        an agent logged in), and those are kept until a later apply. Returns
        (commands accepted, events, ids kept)."""
        engine = self.runner.engine
        ids = {q.id for q in config.queues} | {a.id for a in config.agents}
        done = events = 0
        progress = True
        while progress:  # a queue that another leaving queue overflows to goes second
            progress = False
            removals: list[cmd.Command] = [
                cmd.RemoveAgent(agent_id=a, by=by) for a in sorted(engine.agents) if a not in ids
            ]
            removals += [
                cmd.RemoveQueue(queue_id=q, by=by) for q in sorted(engine.queues) if q not in ids
            ]
            for command in removals:
                try:
                    out = await self.runner.submit(command)
                except (CommandRejected, InvalidTransition) as exc:
                    log.info("kept: %s", exc)
                    continue
                done += 1
                events += len(out)
                progress = True
        kept = sorted(x for x in (*engine.queues, *engine.agents) if x not in ids)
        return done, events, tuple(kept)
